/** Walks on the real dumps: the outcomes SOURCES.md and the seed scenario describe. */
import { describe, expect, it } from 'vitest';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { corpus, fixture, node, pkt } from './helpers.js';

describe('flannel node broken after reboot (kube-dns has no endpoints)', () => {
  const rs = corpus('flannel-centos7-kubeadm-broken-after-reboot.iptables-save').value;
  const ctx = node({ inIface: 'cni0', outIface: 'eth0', locals: ['192.168.1.5'], ifaces: { eth0: '192.168.1.5' } });
  const dns = pkt('10.1.0.70', '10.2.0.10', 'udp', 40000, 53);

  it('leaves a pod -> 10.2.0.10:53/udp query un-NATed in PREROUTING: nat has no kube-dns DNAT', () => {
    const [pre, ...more] = walkHook(rs, 'PREROUTING', dns, ctx, 0);
    expect(more).toEqual([]);
    expect(pre).toMatchObject({ verdict: 'ACCEPT', probability: 1, packet: dns, missingTables: ['raw'] });
    expect(pre!.tables.map((t) => [t.table, t.verdict, t.nat])).toEqual([['mangle', 'ACCEPT', undefined], ['nat', 'ACCEPT', undefined]]);
  });

  it('rejects the forwarded query in filter KUBE-SERVICES with icmp-port-unreachable', () => {
    const [fwd] = walkHook(rs, 'FORWARD', dns, ctx, 0);
    expect(fwd!.verdict).toBe('REJECT');
    const filter = fwd!.tables.at(-1)!;
    expect(filter).toMatchObject({ table: 'filter', verdict: 'REJECT' });
    expect(filter.rule).toMatchObject({ chain: 'KUBE-SERVICES', loc: { line: 131 } });
    expect(filter.rule!.target!.args).toEqual({ with: 'icmp-port-unreachable' });
    expect(filter.matched.map((r) => r.loc.line)).toEqual([92, 93, 94]);
    expect(filter.nearMisses.map((n) => [n.rule.loc.line, n.failed])).toEqual([
      [124, '-m conntrack --ctstate INVALID: conntrack state is NEW'],
      [125, '-m mark --mark 0x4000/0x4000: mark is 0x0'],
      [126, '-m conntrack --ctstate RELATED,ESTABLISHED: conntrack state is NEW'],
    ]);
  });

  it('rejects pod -> pod traffic across nodes at FORWARD line 107, before FLANNEL-FWD is reached', () => {
    const [fwd] = walkHook(rs, 'FORWARD', pkt('10.1.0.70', '10.1.1.5', 'tcp', 40000, 80), { ...ctx, outIface: 'flannel.1' }, 0);
    expect(fwd!.verdict).toBe('REJECT');
    expect(fwd!.tables.at(-1)!.rule).toMatchObject({ chain: 'FORWARD', num: 16, loc: { line: 107 } });
  });
});

describe('kind node (kube-proxy iptables mode, kindnet)', () => {
  const rs = corpus('kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save').value;
  const ctx = node({ inIface: 'veth7', outIface: 'eth0', locals: ['172.18.0.5'], ifaces: { eth0: '172.18.0.5' } });

  it('DNATs kube-dns 10.96.0.10:53/udp to 10.244.0.3:53 (p=0.5) or 10.244.0.4:53, reporting both branches', () => {
    const out = walkHook(rs, 'PREROUTING', pkt('10.244.0.7', '10.96.0.10', 'udp', 40000, 53), ctx, 0);
    expect(out.map((h) => [h.verdict, h.probability, formatIpv4(h.packet.dst), h.packet.dport])).toEqual([
      ['ACCEPT', 0.5, '10.244.0.3', 53],
      ['ACCEPT', 0.5, '10.244.0.4', 53],
    ]);
    const nats = out.map((h) => h.tables.find((t) => t.table === 'nat')!);
    expect(nats.map((t) => [t.nat?.kind, t.nat?.rule.loc.line, t.rule?.chain])).toEqual([
      ['DNAT', 95, 'KUBE-SEP-6E7XQMQ4RAYOWTTM'],
      ['DNAT', 103, 'KUBE-SEP-WXWGHGKZOCNYRYI7'],
    ]);
    expect(nats[0]!.matched.map((r) => r.loc.line)).toEqual([72, 111, 128]);
    expect(nats[1]!.matched.map((r) => r.loc.line)).toEqual([72, 111, 129]);
    // A pod source is inside 10.244.0.0/16: no KUBE-MARK-MASQ, and the walk says why.
    expect(nats[0]!.nearMisses.map((n) => n.failed)).toContain('! -s 10.244.0.0/16: 10.244.0.7 is inside 10.244.0.0/16');
    expect(out.every((h) => h.mark === 0)).toBe(true);
  });

  it('marks a non-pod source for masquerade on the way to a service (KUBE-MARK-MASQ)', () => {
    const [h] = walkHook(rs, 'PREROUTING', pkt('172.18.0.1', '10.96.0.1', 'tcp', 40000, 443), ctx, 0);
    expect(h).toMatchObject({ mark: 0x4000, probability: 1 });
    expect(h!.packet).toEqual(pkt('172.18.0.1', '172.18.0.5', 'tcp', 40000, 6443));
  });

  it('masquerades pod -> outside traffic in KIND-MASQ-AGENT to eth0\'s address', () => {
    const [h] = walkHook(rs, 'POSTROUTING', pkt('10.244.0.7', '8.8.8.8', 'udp', 40000, 53), ctx, 0);
    const nat = h!.tables.find((t) => t.table === 'nat')!;
    expect(nat.nat).toMatchObject({ kind: 'MASQUERADE', rule: { chain: 'KIND-MASQ-AGENT', loc: { line: 84 } } });
    expect(formatIpv4(h!.packet.src)).toBe('172.18.0.5');
    expect(nat.matched.map((r) => r.loc.line)).toEqual([76, 87, 78]);
  });

  it('returns pod -> pod traffic from KIND-MASQ-AGENT unchanged', () => {
    const p = pkt('10.244.0.7', '10.244.0.9', 'tcp', 40000, 80);
    const [h] = walkHook(rs, 'POSTROUTING', p, ctx, 0);
    expect(h!.packet).toEqual(p);
    expect(h!.tables.find((t) => t.table === 'nat')!.matched.map((r) => r.loc.line)).toEqual([76, 87, 78, 83]);
  });

  it('DNATs a local DNS query to Docker\'s embedded resolver and lets filter OUTPUT pass it (ctstate DNAT known from the walk)', () => {
    const [h] = walkHook(rs, 'OUTPUT', pkt('172.18.0.5', '192.168.31.191', 'udp', 40000, 53), { ...ctx, inIface: undefined }, 0);
    expect(h!.verdict).toBe('ACCEPT');
    expect(h!.packet).toEqual(pkt('172.18.0.5', '127.0.0.11', 'udp', 40000, 50410));
    const filter = h!.tables.find((t) => t.table === 'filter')!;
    expect(filter.nearMisses.map((n) => n.failed)).toContain(
      '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT: conntrack state is NEW',
    );
  });

  it('skips the nat table for packets of established connections', () => {
    const [h] = walkHook(rs, 'PREROUTING', pkt('10.244.0.7', '10.96.0.10', 'udp', 40000, 53), { ...ctx, ctState: 'ESTABLISHED' }, 0);
    expect(h!.tables.map((t) => t.table)).toEqual(['mangle']);
    expect(h!.skippedTables).toEqual([{ table: 'nat', why: expect.stringContaining('first packet') }]);
  });
});

describe('the seed node: ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE', () => {
  const rs = fixture('seed-masquerade-not-10-8.iptables-save').value;
  const ctx = node({ outIface: 'eth0', locals: ['172.20.1.10'], ifaces: { eth0: '172.20.1.10' } });

  it('does not masquerade pod -> RDS 10.0.18.52: the near miss names the rule and why', () => {
    const p = pkt('10.244.1.5', '10.0.18.52', 'tcp', 40000, 5432);
    const [h] = walkHook(rs, 'POSTROUTING', p, ctx, 0);
    expect(h!.packet).toEqual(p);
    const nat = h!.tables.find((t) => t.table === 'nat')!;
    expect(nat.verdict).toBe('ACCEPT');
    expect(nat.nat).toBeUndefined();
    expect(nat.rule).toBeUndefined(); // the policy decided
    expect(nat.nearMisses).toHaveLength(1);
    expect(nat.nearMisses).toMatchObject([
      { rule: { loc: { file: 'seed-masquerade-not-10-8.iptables-save', line: 8 } }, failed: '! -d 10.0.0.0/8: 10.0.18.52 is inside 10.0.0.0/8' },
    ]);
    // The reason is written when read; as JSON it is a plain { rule, failed }.
    expect(JSON.parse(JSON.stringify(nat.nearMisses[0]))).toMatchObject({ rule: { loc: { line: 8 } }, failed: nat.nearMisses[0]!.failed });
  });

  it('masquerades pod -> 8.8.8.8 to eth0\'s address', () => {
    const [h] = walkHook(rs, 'POSTROUTING', pkt('10.244.1.5', '8.8.8.8', 'udp', 40000, 53), ctx, 0);
    expect(h!.packet.src).toBe(parseIpv4('172.20.1.10'));
    expect(h!.tables.find((t) => t.table === 'nat')!.nat).toMatchObject({ kind: 'MASQUERADE', rule: { loc: { line: 8 } } });
  });

  it('does not masquerade traffic leaving another interface', () => {
    const [h] = walkHook(rs, 'POSTROUTING', pkt('10.244.1.5', '8.8.8.8', 'udp', 40000, 53), { ...ctx, outIface: 'cbr0' }, 0);
    expect(h!.tables.find((t) => t.table === 'nat')!.nearMisses[0]!.failed).toBe('-o eth0: out interface is cbr0');
  });
});

describe('constructs podpath cannot decide from a dump give unknown, naming them', () => {
  it('calico cali-nat-outgoing MASQUERADE depends on ipsets', () => {
    const rs = corpus('calico-vxlan-kubeproxy-ipvs-zhongmingmao.nat.iptables-save').value;
    const [h] = walkHook(rs, 'POSTROUTING', pkt('192.168.1.5', '8.8.8.8', 'udp', 40000, 53), node({ outIface: 'ens33' }), 0);
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables.at(-1)!.unknown).toMatchObject({ rule: { loc: { line: 66 } }, construct: expect.stringContaining('-m set') });
  });

  it('weave WEAVE-NPC-EGRESS depends on a bridge port (physdev)', () => {
    const rs = corpus('weave-kubeadm-vagrant-bossjones.iptables-save').value;
    const [h] = walkHook(rs, 'FORWARD', pkt('10.32.0.5', '8.8.8.8', 'udp', 40000, 53), node({ inIface: 'weave', outIface: 'enp0s3' }), 0);
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables.at(-1)!.unknown).toMatchObject({ rule: { chain: 'WEAVE-NPC-EGRESS', loc: { line: 116 } }, construct: expect.stringContaining('physdev') });
  });

  it('a rule with a redacted x.x.x.x destination that is reached is unknown, not skipped', () => {
    const rs = corpus('kubeproxy-2017-docker-externalip-iorchard.iptables-save').value;
    const [h] = walkHook(rs, 'PREROUTING', pkt('10.100.13.7', '10.5.6.99', 'udp', 40000, 53), node({ inIface: 'docker0' }), 0);
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables.at(-1)!.unknown!.construct).toContain('x.x.x.x');
  });
});

describe('kube-proxy session affinity (-m recent) on the 2017 dump', () => {
  it('a first connection is not in the affinity list (the near miss says it is assumed) and takes the service\'s plain jump', () => {
    const rs = corpus('kubeproxy-2017-docker-externalip-iorchard.iptables-save').value;
    const [h] = walkHook(rs, 'PREROUTING', pkt('172.17.0.5', '10.24.0.1', 'tcp', 40000, 443), node({ inIface: 'docker0' }), 0);
    expect(h!.verdict).toBe('ACCEPT');
    const nat = h!.tables.find((t) => t.table === 'nat')!;
    expect(nat.nearMisses.map((n) => [n.rule.loc.line, n.failed])).toContainEqual([52, expect.stringContaining('the source is not in recent list KUBE-SEP-UPD7ND2TPNSDBE6L (assumed: a first connection)')]);
    expect(nat.matched.map((r) => r.loc.line)).toContain(53);
  });
});
