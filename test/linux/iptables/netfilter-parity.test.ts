/**
 * Netfilter parity found by checking podpath against kube-proxy's packet-flow
 * expectations: a built-in chain declared with policy `-`, SCTP as a traced
 * protocol, and conntrack's NAT of a reply done at the nat table's priority
 * (after raw and mangle), not before the hook.
 */
import { describe, expect, it } from 'vitest';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { walkNodePath, type NodePath } from '../../../src/linux/iptables/node-path.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { node, parse, pkt } from './helpers.js';

const NODE_IP = '172.20.0.23';
const addresses = [{ iface: 'eth0', addr: parseIpv4(NODE_IP), len: 24 }];
const ip = (n: number) => formatIpv4(n);

/** The tables of a hook that matched rule `text` of `table` (rules are found by their text). */
const matchedIn = (path: NonNullable<NodePath['reply']> | NodePath, hook: string, table: string): string[] =>
  path.steps.filter((s) => s.hook === hook).flatMap((s) => s.outcome.tables.filter((t) => t.table === table).flatMap((t) => t.matched.map((r) => r.text)));

describe("a built-in chain declared with policy '-'", () => {
  const text = '*filter\n:INPUT - [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT - [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n';

  it('is accepted as iptables-restore accepts it, with a warning saying the policy is assumed', () => {
    const { value, diagnostics } = parse(text);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(diagnostics.filter((d) => d.severity === 'warning').map((d) => d.line)).toEqual([2, 4]);
    const input = value.tables.get('filter')!.chains.get('INPUT')!;
    expect(input).toMatchObject({ policy: 'ACCEPT', policyKept: true });
    expect(value.tables.get('filter')!.chains.get('FORWARD')).toMatchObject({ policy: 'DROP' });
    expect(value.tables.get('filter')!.chains.get('FORWARD')!.policyKept).toBeUndefined();
  });

  it('decides as ACCEPT when the walk falls through, and the walk says that is assumed', () => {
    const rs = parse(text).value;
    const [h] = walkHook(rs, 'INPUT', pkt('10.0.0.1', NODE_IP, 'tcp'), node({ inIface: 'eth0', locals: [NODE_IP] }), 0);
    expect(h!.verdict).toBe('ACCEPT');
    expect(h!.tables[0]!.notes).toEqual([expect.stringContaining("policy assumed ACCEPT (declared '-'")]);
    // A rule still decides before the policy.
    const [u] = walkHook(rs, 'INPUT', pkt('10.0.0.1', NODE_IP, 'udp'), node({ inIface: 'eth0', locals: [NODE_IP] }), 0);
    expect(u!.verdict).toBe('DROP');
  });
});

describe('SCTP', () => {
  const rs = parse([
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -d 10.96.0.41/32 -p sctp -m sctp --dport 80 -j DNAT --to-destination 10.244.2.7:8080',
    '-A PREROUTING -p sctp --sport 5 -j DNAT --to-destination 10.244.2.8',
    '-A PREROUTING -p sctp -m sctp --chunk-types any INIT -j DROP',
    'COMMIT', '',
  ].join('\n')).value;

  it('is a traced protocol: -m sctp ports match it, DNAT rewrites its port, and the reply gets the DNAT undone', () => {
    const [path] = walkNodePath(rs, { packet: pkt('10.244.1.5', '10.96.0.41', 'sctp', 40000, 80), start: { kind: 'arrives', inIface: 'cbr0' }, outIface: 'eth0', addresses });
    expect(path!.end).toEqual({ kind: 'forwarded', outIface: 'eth0' });
    expect(path!.packetOut).toMatchObject({ proto: 'sctp', dst: parseIpv4('10.244.2.7'), dport: 8080, sport: 40000 });
    expect(path!.reply!.packetOut).toMatchObject({ proto: 'sctp', src: parseIpv4('10.96.0.41'), sport: 80 });
  });

  it('reads --sport without -m sctp as iptables does (the implicit match), and leaves --chunk-types unknown', () => {
    const [h] = walkHook(rs, 'PREROUTING', pkt('10.244.1.5', '10.9.9.9', 'sctp', 5, 99), node({ inIface: 'cbr0' }), 0);
    expect(h!.packet.dst).toBe(parseIpv4('10.244.2.8'));
    const [u] = walkHook(rs, 'PREROUTING', pkt('10.244.1.5', '10.9.9.9', 'sctp', 6, 99), node({ inIface: 'cbr0' }), 0);
    expect(u!.verdict).toBe('unknown');
    expect(u!.tables[0]!.unknown!.construct).toMatch(/chunk types are not modelled/);
  });

  it('does not match -m tcp or -m udp rules', () => {
    const tcp = parse('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p tcp -m tcp --dport 80 -j DROP\nCOMMIT\n').value;
    const [h] = walkHook(tcp, 'FORWARD', pkt('10.0.0.1', '10.0.0.2', 'sctp', 1, 80), node(), 0);
    expect(h!.verdict).toBe('ACCEPT');
  });
});

/**
 * The kernel undoes a reply's NAT in its nf_nat hooks, which run at the nat
 * table's priorities (NF_IP_PRI_NAT_DST = -100 in PREROUTING/OUTPUT, after
 * raw -300, conntrack -200 and mangle -150; NF_IP_PRI_NAT_SRC = 100 in
 * POSTROUTING/INPUT, after mangle, filter and security): rules before that
 * point see the reply as it arrived.
 */
describe('conntrack undoes a reply\'s NAT at the nat priority', () => {
  const rules = (extra: string[]) => parse([
    '*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    `-A PREROUTING -d ${NODE_IP}/32 -j MARK --set-xmark 0x1/0xffffffff`,
    '-A PREROUTING -d 10.244.1.5/32 -j MARK --set-xmark 0x2/0xffffffff',
    '-A POSTROUTING -s 10.244.2.7/32 -j MARK --set-xmark 0x3/0xffffffff',
    '-A POSTROUTING -s 10.96.0.10/32 -j MARK --set-xmark 0x4/0xffffffff',
    'COMMIT',
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -s 10.244.2.7/32 -j MARK --set-xmark 0x5/0xffffffff',
    'COMMIT',
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ...extra,
    'COMMIT', '',
  ].join('\n')).value;

  it('mangle PREROUTING sees a masqueraded reply addressed to the node; routing and FORWARD see the pod', () => {
    const rs = rules(['-A POSTROUTING -s 10.244.0.0/16 -o eth0 -j MASQUERADE']);
    const [path] = walkNodePath(rs, { packet: pkt('10.244.1.5', '8.8.8.8', 'udp', 40000, 53), start: { kind: 'arrives', inIface: 'cbr0' }, outIface: 'eth0', addresses });
    const reply = path!.reply!;
    const pre = reply.steps.find((s) => s.hook === 'PREROUTING')!;
    expect(ip(pre.packetIn.dst)).toBe(NODE_IP);
    expect(matchedIn(reply, 'PREROUTING', 'mangle')).toEqual([`-A PREROUTING -d ${NODE_IP}/32 -j MARK --set-xmark 0x1/0xffffffff`]);
    expect(pre.outcome.mark).toBe(1);
    expect(pre.outcome.conntrackNat).toMatchObject({ manip: 'destination' });
    expect(ip(pre.outcome.packet.dst)).toBe('10.244.1.5');
    expect(ip(reply.steps.find((s) => s.hook === 'FORWARD')!.packetIn.dst)).toBe('10.244.1.5');
    expect(reply.end).toEqual({ kind: 'forwarded', outIface: 'cbr0' });
  });

  it('mangle POSTROUTING sees a DNATed reply from the endpoint; the client gets it from the Service address', () => {
    const rs = rules(['-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.244.2.7:53']);
    const [path] = walkNodePath(rs, { packet: pkt('10.244.1.5', '10.96.0.10', 'udp', 40000, 53), start: { kind: 'arrives', inIface: 'cbr0' }, outIface: 'eth0', addresses });
    const reply = path!.reply!;
    expect(matchedIn(reply, 'POSTROUTING', 'mangle')).toEqual(['-A POSTROUTING -s 10.244.2.7/32 -j MARK --set-xmark 0x3/0xffffffff']);
    const post = reply.steps.find((s) => s.hook === 'POSTROUTING')!;
    expect(post.outcome.conntrackNat).toMatchObject({ manip: 'source' });
    expect(ip(reply.packetOut!.src)).toBe('10.96.0.10');
  });

  it('filter INPUT sees a reply to an OUTPUT DNAT from the endpoint (the source is rewritten after filter)', () => {
    const rs = rules(['-A OUTPUT -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.244.2.7:53']);
    const [path] = walkNodePath(rs, { packet: pkt(NODE_IP, '10.96.0.10', 'udp', 40000, 53), start: { kind: 'local' }, outIface: 'eth0', addresses });
    const reply = path!.reply!;
    expect(matchedIn(reply, 'INPUT', 'filter')).toEqual(['-A INPUT -s 10.244.2.7/32 -j MARK --set-xmark 0x5/0xffffffff']);
    expect(reply.end).toEqual({ kind: 'delivered-locally' });
    expect(ip(reply.packetOut!.src)).toBe('10.96.0.10');
  });

  it('changes nothing for a reply of a connection without NAT', () => {
    const rs = rules([]);
    const [path] = walkNodePath(rs, { packet: pkt('10.244.1.5', '10.0.18.52', 'tcp', 40000, 5432), start: { kind: 'arrives', inIface: 'cbr0' }, outIface: 'eth0', addresses });
    expect(path!.reply!.steps.every((s) => s.outcome.conntrackNat === undefined)).toBe(true);
    expect(matchedIn(path!.reply!, 'PREROUTING', 'mangle')).toEqual(['-A PREROUTING -d 10.244.1.5/32 -j MARK --set-xmark 0x2/0xffffffff']);
  });
});
