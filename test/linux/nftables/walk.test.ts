/**
 * nftables walk semantics, one rule set per behaviour: accept ends only its
 * base chain, drop is final, jump/goto/return, policies, named priorities,
 * iptables tables interleaved by priority, nat chains at nf_nat's point,
 * numgen branches, masks and ct mark, and unknown naming the rule.
 */
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import { walkHookWithNft, type MergedHookOutcome } from '../../../src/linux/nftables/hook.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import type { NetfilterContext, Ruleset } from '../../../src/linux/iptables/types.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import type { Packet } from '../../../src/net/packet.js';

const pkt = (src: string, dst: string, dport = 80, proto: Packet['proto'] = 'tcp'): Packet => ({ src: parseIpv4(src), dst: parseIpv4(dst), proto, sport: 40000, dport });
const NODE = parseIpv4('192.168.0.2');
const ctx = (over: Partial<NetfilterContext> = {}): NetfilterContext => ({
  isLocal: (ip) => ip === NODE, ifaceAddress: (i) => (i === 'eth0' ? NODE : undefined), ctState: 'NEW', inIface: 'eth1', outIface: 'eth0', ...over,
});
const none: Ruleset = { tables: new Map(), file: 'none' };
const ipt = (text: string): Ruleset => parseIptablesSave({ text, file: 'iptables-save.txt' }).value;
const order = (o: MergedHookOutcome) => o.stages.map((s) => (s.kind === 'nft' ? `${s.outcome.chain.name}:${s.outcome.verdict}` : s.kind === 'iptables' ? `iptables ${s.outcome.table}:${s.outcome.verdict}` : `skip ${s.what}`));

describe('nft base chains', () => {
  it('accept ends only its base chain; the next base chain of the hook still runs and its drop is final', () => {
    const nft = parseNftText(`table inet a {
  chain first { type filter hook forward priority filter - 5; policy accept; ip daddr 10.0.0.9 accept }
  chain second { type filter hook forward priority filter; policy accept; ip daddr 10.0.0.9 drop }
}`, 'r.nft');
    const [o] = walkHookWithNft(none, nft, 'FORWARD', pkt('10.0.0.1', '10.0.0.9'), ctx(), 0);
    expect(order(o!)).toEqual(['first:accept', 'second:drop']);
    expect(o!.verdict).toBe('DROP');
    const drop = o!.stages[1]!;
    expect(drop.kind === 'nft' && drop.outcome.ref).toBe('r.nft:3');
  });

  it('jump returns, goto does not; return in the base chain applies the policy', () => {
    const nft = parseNftText(`table ip t {
  chain sub { ip saddr 10.0.0.1 return; meta mark set 0x1 }
  chain gone { meta mark set meta mark | 0x10 }
  chain in { type filter hook input priority 0; policy drop;
    jump sub
    meta mark 0x1 goto gone
    accept
  }
}`, 'j.nft');
    const a = walkHookWithNft(none, nft, 'INPUT', pkt('10.0.0.2', '192.168.0.2'), ctx(), 0)[0]!;
    // sub set mark 1, goto gone ORs 0x10, gone ends: back to the base chain's caller (none) -> policy drop
    expect(a.verdict).toBe('DROP');
    expect(a.mark).toBe(0x11);
    const b = walkHookWithNft(none, nft, 'INPUT', pkt('10.0.0.1', '192.168.0.2'), ctx(), 0)[0]!;
    expect(b.verdict).toBe('ACCEPT');
    expect(b.mark).toBe(0);
  });

  it('interleaves iptables tables at their standard priorities (mangle -150, filter 0) with nft chains', () => {
    const rs = ipt(`*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x80/0xffffffff
COMMIT
`);
    const nft = parseNftText(`table ip n {
  chain before { type filter hook prerouting priority mangle - 10; meta mark 0x80 drop }
  chain after { type filter hook prerouting priority mangle + 10; meta mark 0x80 counter }
}`, 'n.nft');
    const [o] = walkHookWithNft(rs, nft, 'PREROUTING', pkt('10.0.0.1', '10.0.0.9'), ctx(), 0);
    expect(order(o!)).toEqual(['before:accept', 'iptables mangle:ACCEPT', 'after:accept']);
    const after = o!.stages[2]!;
    expect(after.kind === 'nft' && after.outcome.matched.map((m) => m.ref)).toEqual(['n.nft:3']);
  });

  it('nat chains run at nf_nat\'s point in priority order and stop after the first NAT', () => {
    const nft = parseNftText(`table ip n {
  chain filt { type filter hook prerouting priority -90; ip daddr 10.96.0.10 drop }
  chain nat2 { type nat hook prerouting priority 10; dnat to 10.0.0.3 }
  chain nat1 { type nat hook prerouting priority -200; ip daddr 10.96.0.10 dnat to 10.0.0.2:53 }
}`, 'nat.nft');
    const [o] = walkHookWithNft(none, nft, 'PREROUTING', pkt('10.0.0.1', '10.96.0.10', 53, 'udp'), ctx(), 0);
    expect(order(o!)).toEqual(['nat1:accept', 'skip ip n nat2', 'filt:accept']);
    expect(o!.packet).toMatchObject({ dst: parseIpv4('10.0.0.2'), dport: 53 });
  });

  it('numgen random mod 3 forks into three branches of 1/3', () => {
    const nft = parseNftText(`table ip n { chain p { type nat hook prerouting priority dstnat; numgen random mod 3 vmap { 0 : accept, 1-2 : drop } } }`, 'g.nft');
    const outs = walkHookWithNft(none, nft, 'PREROUTING', pkt('10.0.0.1', '10.0.0.9'), ctx(), 0);
    expect(outs.map((o) => [o.verdict, o.probability.toFixed(3)])).toEqual([['ACCEPT', '0.333'], ['DROP', '0.333'], ['DROP', '0.333']]);
  });

  it('meta mark set ct mark & 0x80 keeps only bit 0x80 of the connection mark (clearing other marks)', () => {
    const nft = parseNftText(`table ip aws-cni { chain pre { type filter hook prerouting priority mangle; meta mark set ct mark & 0x80 } }`, 'cni.nft');
    const [o] = walkHookWithNft(none, nft, 'PREROUTING', pkt('10.0.0.1', '10.0.0.9'), ctx({ ctState: 'ESTABLISHED', connmark: 0x80 }), 0x40000);
    expect(o!.mark).toBe(0x80);
  });

  it('a construct podpath does not model ends unknown naming the rule and its line', () => {
    const nft = parseNftText(`table ip n {\n  chain f { type filter hook forward priority 0;\n    ip daddr 10.0.0.9 limit rate 10/second accept\n  }\n}`, 'u.nft');
    const [o] = walkHookWithNft(none, nft, 'FORWARD', pkt('10.0.0.1', '10.0.0.9'), ctx(), 0);
    expect(o!.verdict).toBe('unknown');
    expect(o!.unknownReason).toContain('limit rate 10/second accept');
    expect(o!.unknownReason).toContain('u.nft:3');
    // a rule whose earlier match fails never reaches the unknown part
    expect(walkHookWithNft(none, nft, 'FORWARD', pkt('10.0.0.1', '10.0.0.8'), ctx(), 0)[0]!.verdict).toBe('ACCEPT');
  });

  it('ip6, arp, bridge and netdev tables are set aside for IPv4 packets', () => {
    const nft = parseNftText(`table ip6 six { chain f { type filter hook forward priority 0; policy drop; } }\ntable bridge br { chain f { type filter hook forward priority 0; policy drop; } }`, 's.nft');
    expect(walkHookWithNft(none, nft, 'FORWARD', pkt('10.0.0.1', '10.0.0.9'), ctx(), 0)[0]!.verdict).toBe('ACCEPT');
  });
});
