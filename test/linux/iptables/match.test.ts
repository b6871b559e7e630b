/** Match semantics, one row per case: does `<words> -j ACCEPT` take this packet? */
import { describe, expect, it } from 'vitest';
import { walkChain, walkHook } from '../../../src/linux/iptables/walk.js';
import type { HookName, NetfilterContext } from '../../../src/linux/iptables/types.js';
import type { Packet } from '../../../src/net/packet.js';
import { node, parse, pkt } from './helpers.js';

type Answer = 'holds' | 'fails' | 'unknown' | number;

/** Walks `-A <chain> <words> -j ACCEPT` in a chain whose policy is DROP. */
function answer(words: string, p: Packet, ctx: NetfilterContext, hook: HookName = 'FORWARD', mark = 0): Answer {
  const chain = hook === 'PREROUTING' || hook === 'POSTROUTING' ? hook : hook;
  const tableName = hook === 'PREROUTING' || hook === 'POSTROUTING' ? 'mangle' : 'filter';
  const builtins = tableName === 'mangle' ? ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT'];
  const text = [`*${tableName}`, ...builtins.map((c) => `:${c} DROP [0:0]`), `-A ${chain} ${words} -j ACCEPT`, 'COMMIT', ''].join('\n');
  const { value, diagnostics } = parse(text);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const out = walkChain(value, tableName, chain, hook, p, ctx, mark);
  if (out.length > 1) return out.find((o) => o.verdict === 'ACCEPT')!.probability;
  return out[0]!.verdict === 'ACCEPT' ? 'holds' : out[0]!.verdict === 'DROP' ? 'fails' : 'unknown';
}

const ctx = node({ inIface: 'eth0', outIface: 'cni0', locals: ['192.168.1.5', '127.0.0.1'] });
const tcp = pkt('10.0.0.1', '10.0.0.2', 'tcp', 40000, 80);
const udp = pkt('10.0.0.1', '10.0.0.2', 'udp', 68, 67);
const icmp = pkt('10.0.0.1', '10.0.0.2', 'icmp', 0, 0);

describe('generic options', () => {
  it.each<[string, Packet, Answer]>([
    ['-s 10.0.0.0/24', tcp, 'holds'],
    ['! -s 10.0.0.0/24', tcp, 'fails'],
    ['-d 10.0.0.3/32', tcp, 'fails'],
    ['-d 10.0.0.0/255.255.255.0', tcp, 'holds'],
    ['-s 0.0.0.0/0', tcp, 'holds'],
    ['-i eth0', tcp, 'holds'],
    ['-i eth+', tcp, 'holds'],
    ['-i eth1', tcp, 'fails'],
    ['! -i eth+', tcp, 'fails'],
    ['-o cni+', tcp, 'holds'],
    ['-o cni', tcp, 'fails'],
    ['-p tcp', tcp, 'holds'],
    ['-p 6', tcp, 'holds'],
    ['-p all', udp, 'holds'],
    ['! -p tcp', udp, 'holds'],
    ['-p udp', icmp, 'fails'],
    ['-f', tcp, 'fails'],
    ['! -f', tcp, 'holds'],
  ])('%s on %j: %s', (words, p, expected) => {
    expect(answer(words, p, ctx)).toBe(expected);
  });

  it('an interface the hook does not have compares as empty: in a chain called from OUTPUT, -i never holds, ! -i always does', () => {
    const verdict = (words: string) => {
      const rs = parse(['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT DROP [0:0]', ':U - [0:0]',
        '-A OUTPUT -j U', `-A U ${words} -j ACCEPT`, 'COMMIT', ''].join('\n')).value;
      return walkHook(rs, 'OUTPUT', tcp, ctx, 0)[0]!.verdict;
    };
    expect(verdict('-i eth0')).toBe('DROP');
    expect(verdict('! -i eth0')).toBe('ACCEPT');
  });

  it('an interface the caller did not give is unknown', () => {
    expect(answer('-i eth0', tcp, node(), 'FORWARD')).toBe('unknown');
  });
});

describe('port, protocol and ICMP modules', () => {
  it.each<[string, Packet, Answer]>([
    ['-p tcp -m tcp --dport 80', tcp, 'holds'],
    ['-p tcp -m tcp --dport 1:1024', tcp, 'holds'],
    ['-p tcp -m tcp --dport 81:', tcp, 'fails'],
    ['-p tcp -m tcp --sport :40000', tcp, 'holds'],
    ['-p tcp -m tcp ! --dport 80', tcp, 'fails'],
    ['-p tcp --destination-port 80', tcp, 'holds'],
    ['-p udp -m udp --sport 67:68 --dport 67:68', udp, 'holds'],
    ['-p udp -m udp ! --sport 67:68 ! --dport 67:68', udp, 'fails'],
    ['-p tcp -m multiport --dports 22,80,443', tcp, 'holds'],
    ['-p tcp -m multiport --dports 22,443', tcp, 'fails'],
    ['-p tcp -m multiport --ports 40000', tcp, 'holds'],
    ['-p tcp -m multiport ! --sports 1:1024', tcp, 'holds'],
    ['-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN', tcp, 'unknown'],
    ['-p tcp -m tcp --syn --dport 81', tcp, 'fails'],
    ['-p icmp -m icmp --icmp-type 8', icmp, 'holds'],
    ['-p icmp -m icmp --icmp-type echo-request', icmp, 'holds'],
    ['-p icmp -m icmp --icmp-type any', icmp, 'holds'],
    ['-p icmp -m icmp --icmp-type 0', icmp, 'fails'],
    ['-p icmp -m icmp --icmp-type 3/4', icmp, 'fails'],
  ])('%s on %j: %s', (words, p, expected) => {
    expect(answer(words, p, ctx)).toBe(expected);
  });
});

describe('state, mark, address type and statistic modules', () => {
  const est: NetfilterContext = { ...ctx, ctState: 'ESTABLISHED' };
  it.each<[string, NetfilterContext, Answer]>([
    ['-m conntrack --ctstate NEW', ctx, 'holds'],
    ['-m conntrack --ctstate RELATED,ESTABLISHED', ctx, 'fails'],
    ['-m conntrack --ctstate RELATED,ESTABLISHED', est, 'holds'],
    ['-m state --state NEW', ctx, 'holds'],
    ['-m conntrack --ctstate INVALID', ctx, 'fails'],
    ['-m conntrack --ctstate DNAT', ctx, 'unknown'], // NEW in FORWARD: PREROUTING's NAT not given
    ['-m conntrack --ctstate DNAT', { ...ctx, ctStatus: { dnat: true } }, 'holds'],
    ['-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', { ...ctx, ctStatus: { dnat: false } }, 'holds'],
    ['-m conntrack --ctstate SNAT', ctx, 'fails'], // NEW: SNAT happens after FORWARD
    ['-m conntrack --ctorigdst 10.0.0.9', ctx, 'unknown'],
    ['-m addrtype --dst-type LOCAL', ctx, 'fails'],
    ['-m addrtype ! --dst-type LOCAL', ctx, 'holds'],
    ['-m addrtype --dst-type UNICAST', ctx, 'holds'],
    ['-m addrtype --dst-type BROADCAST', ctx, 'unknown'],
    ['-m addrtype --dst-type LOCAL,UNICAST', ctx, 'holds'],
    ['-m addrtype --src-type LOCAL --limit-iface-in', ctx, 'fails'], // 10.0.0.1 is no local address on any interface
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { ...ctx, isLocal: () => true }, 'unknown'], // which interface holds it: not given
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { ...ctx, isLocal: () => true, localDevice: () => 'eth0' }, 'holds'],
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { ...ctx, isLocal: () => true, localDevice: () => 'eth1' }, 'fails'],
    ['-m addrtype --dst-type UNICAST --limit-iface-in', { ...ctx, isLocal: () => true, localDevice: () => 'eth1' }, 'holds'], // inet_dev_addr_type: RTN_UNICAST
    ['-m connmark --mark 0x0', ctx, 'holds'], // NEW connection: ctmark 0
    ['-m connmark --mark 0x0', est, 'unknown'],
    ['-m limit --limit 5/min', ctx, 'holds'],
    ['-m set --match-set KUBE-CLUSTER-IP dst,dst', ctx, 'unknown'],
    ['-m recent --rcheck --seconds 60 --name x', ctx, 'fails'], // a first connection: not in the list yet
    ['-m recent ! --update --name x --rdest', ctx, 'holds'],
    ['-m recent --set --name x', ctx, 'holds'],
    ['-m comment --comment "a \\"quoted\\" note"', ctx, 'holds'],
    ['-m iprange --src-range 10.0.0.0-10.0.0.9', ctx, 'holds'],
    ['-m iprange ! --dst-range 10.0.0.0-10.0.0.9', ctx, 'fails'],
    ['-m statistic --mode random --probability 0.25', ctx, 0.25],
    ['-m statistic --mode random ! --probability 0.25', ctx, 0.75],
    ['-m statistic --mode nth --every 4 --packet 0', ctx, 0.25],
    ['-m statistic --mode random --probability 1.0', ctx, 'holds'],
    ['-m bpf --bytecode "4,48 0 0 9"', ctx, 'unknown'],
  ])('%s (%j): %s', (words, c, expected) => {
    expect(answer(words, tcp, c)).toBe(expected);
  });

  it.each<[string, number, Answer]>([
    ['-m mark --mark 0x4000/0x4000', 0x4000, 'holds'],
    ['-m mark --mark 0x4000/0x4000', 0xc000, 'holds'],
    ['-m mark ! --mark 0x4000/0x4000', 0x4000, 'fails'],
    ['-m mark --mark 0x4000', 0xc000, 'fails'],
    ['-m mark --mark 0x0/0x4000', 0x8000, 'holds'],
  ])('%s with mark %i: %s', (words, mark, expected) => {
    expect(answer(words, tcp, ctx, 'FORWARD', mark)).toBe(expected);
  });

  it('a rule with one unknown match but another failing match is simply not taken', () => {
    expect(answer('-s 192.0.2.0/24 -m set --match-set X src', tcp, ctx)).toBe('fails');
  });
});
