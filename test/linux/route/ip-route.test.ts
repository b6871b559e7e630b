import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveNodeRoutes, formatRouteDst, lookupNodeRoute, parseIpRoute, type RouteEntry } from '../../../src/linux/route/ip-route.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { maskOf, parseCidr } from '../../../src/net/prefix.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const corpusFile = (name: string) => path.resolve(repoRoot, '../shared/corpus/ip-route', name);
const parseCorpus = (name: string, table?: string) =>
  parseIpRoute({ text: readFileSync(corpusFile(name), 'utf8'), file: `corpus/ip-route/${name}` }, table ? { table } : {});
const ip = parseIpv4;
const show = (r: RouteEntry | undefined) => r && { dst: formatRouteDst(r.dst), via: r.via && formatIpv4(r.via), dev: r.dev, line: r.loc?.line };

describe('parseIpRoute on real dumps (shared corpus)', () => {
  it.each([
    ['eks-vpc-cni-node1.ip-route.txt', 11],
    ['eks-vpc-cni-pod-netns.ip-route.txt', 2],
    ['eks-vpc-cni-trunk-node.ip-route.txt', 5],
    ['eks-vpc-cni-trunk-node.ip-route-table-101.txt', 3],
    ['eks-vpc-cni-trunk-node.ip-route-table-102.txt', 3],
    ['kops-vpc-cni-master.ip-route.txt', 5],
    ['kubeadm-vagrant-master-bossjones.ip-route.txt', 4],
    ['iptables-semantics-openvpn-laptop.ip-route.txt', 5],
  ])('reads every line of %s as a route (%i routes, no errors)', (name, count) => {
    const { value, diagnostics } = parseCorpus(name);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(value).toHaveLength(count);
    expect(value.map((r) => r.loc?.line)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });

  it('EKS node: pod /32 routes point at their veth, the subnet is connected, the rest goes to the VPC router', () => {
    const { value } = parseCorpus('eks-vpc-cni-node1.ip-route.txt');
    expect(show(lookupNodeRoute(value, ip('172.31.20.89')))).toEqual({ dst: '172.31.20.89', via: undefined, dev: 'eni8ca2e41546c', line: 7 });
    expect(lookupNodeRoute(value, ip('172.31.25.1'))).toMatchObject({ proto: 'kernel', scope: 'link', src: ip('172.31.23.106'), dev: 'eth0' });
    expect(show(lookupNodeRoute(value, ip('10.0.18.52')))).toEqual({ dst: 'default', via: '172.31.16.1', dev: 'eth0', line: 1 });
    expect(show(lookupNodeRoute(value, ip('169.254.170.23')))).toMatchObject({ dev: 'pod-id-link0' });
    expect(value[10]!.text).toBe('172.31.31.116 dev eni1b7730a1e08 scope link');
  });

  it('EKS pod netns: everything goes via 169.254.1.1, which is on-link', () => {
    const { value } = parseCorpus('eks-vpc-cni-pod-netns.ip-route.txt');
    expect(show(lookupNodeRoute(value, ip('10.0.18.52')))).toEqual({ dst: 'default', via: '169.254.1.1', dev: 'eth0', line: 1 });
    const onLink = lookupNodeRoute(value, ip('169.254.1.1'));
    expect(onLink).toMatchObject({ scope: 'link', dev: 'eth0', dst: { len: 32 } });
    expect(onLink?.via).toBeUndefined();
  });

  it('trunk node: a per-ENI table dump is read into the table it was shown from', () => {
    const t101 = parseCorpus('eks-vpc-cni-trunk-node.ip-route-table-101.txt', '101').value;
    expect(t101.every((r) => r.table === '101')).toBe(true);
    expect(lookupNodeRoute(t101, ip('8.8.8.8'))).toBeUndefined();
    expect(show(lookupNodeRoute(t101, ip('8.8.8.8'), '101'))).toEqual({ dst: 'default', via: '172.31.0.1', dev: 'vlan.eth.1', line: 1 });
    expect(show(lookupNodeRoute(t101, ip('172.31.2.37'), '101'))).toMatchObject({ dev: 'vlan015fbd5badf' });
  });

  it('trunk node: the instance metadata address has its own host route', () => {
    const { value } = parseCorpus('eks-vpc-cni-trunk-node.ip-route.txt');
    expect(lookupNodeRoute(value, ip('169.254.169.254'))).toMatchObject({ dst: { len: 32 }, dev: 'eth0', loc: { line: 2 } });
  });

  it('kops (CRLF): keeps no carriage return and reads proto, src and metric of the DHCP default', () => {
    const { value } = parseCorpus('kops-vpc-cni-master.ip-route.txt');
    expect(value[0]).toMatchObject({ via: ip('172.30.32.1'), dev: 'ens5', proto: 'dhcp', src: ip('172.30.47.189'), metric: 100 });
    expect(value.some((r) => /\r/.test(r.text) || /\r/.test(r.dev ?? ''))).toBe(false);
    expect(show(lookupNodeRoute(value, ip('172.30.32.1')))).toEqual({ dst: '172.30.32.1', via: undefined, dev: 'ens5', line: 3 });
  });

  it('kubeadm (old two-space style): reads the linkdown flag and the connected routes', () => {
    const { value } = parseCorpus('kubeadm-vagrant-master-bossjones.ip-route.txt');
    expect(value[2]).toMatchObject({ dev: 'docker0', src: ip('172.17.0.1'), flags: ['linkdown'], proto: 'kernel', scope: 'link' });
    expect(value[0]!.proto).toBeUndefined();
    expect(show(lookupNodeRoute(value, ip('192.168.50.7')))).toMatchObject({ dev: 'enp0s8', line: 4 });
  });

  it('OpenVPN laptop: parses the netmask-as-gateway routes and warns about each', () => {
    const { value, diagnostics } = parseCorpus('iptables-semantics-openvpn-laptop.ip-route.txt');
    expect(value[0]).toMatchObject({ metric: 303, src: ip('10.13.42.162') });
    expect(show(lookupNodeRoute(value, ip('10.13.37.5')))).toEqual({ dst: '10.13.37.0/24', via: '255.255.255.0', dev: 'tun0', line: 2 });
    expect(diagnostics).toEqual([2, 4].map((line) => expect.objectContaining({ severity: 'warning', line, message: expect.stringContaining('looks like a netmask') })));
  });

  it('reports every line of an `ip rule` dump as not a route, with its line', () => {
    const { value, diagnostics } = parseCorpus('eks-vpc-cni-trunk-node.ip-rule.txt');
    expect(value).toEqual([]);
    expect(diagnostics.map((d) => [d.severity, d.line])).toEqual(Array.from({ length: 10 }, (_, i) => ['error', i + 1]));
    expect(diagnostics[0]).toMatchObject({ file: 'corpus/ip-route/eks-vpc-cni-trunk-node.ip-rule.txt', text: '10:     from all iif vlan.eth.2 lookup 102' });
  });
});

describe('parseIpRoute formats', () => {
  it('reads `ip route show table all` output: types, tables, and skips IPv6 with a warning', () => {
    const text = [
      'default via 172.20.0.1 dev eth0',
      '10.244.1.0/24 dev cbr0 proto kernel scope link src 10.244.1.1',
      'blackhole 10.244.9.0/24 proto bird',
      'unreachable 10.99.0.0/16',
      'prohibit 10.98.0.0/16 metric 5',
      'throw 10.97.0.0/16',
      'default via 172.31.0.1 dev vlan.eth.1 table 101',
      'broadcast 172.20.0.255 dev eth0 table local proto kernel scope link src 172.20.0.23',
      'local 172.20.0.23 dev eth0 table local proto kernel scope host src 172.20.0.23',
      'local 127.0.0.0/8 dev lo table 255 proto kernel scope host src 127.0.0.1',
      '::1 dev lo proto kernel metric 256 pref medium',
      'fe80::/64 dev eth0 proto kernel metric 256 pref medium',
      'default via fe80::1 dev eth0 proto ra metric 1024 expires 1799sec pref medium',
    ].join('\n');
    const { value, diagnostics } = parseIpRoute({ text, file: 'n1/ip-route.txt' });
    expect(value.map((r) => [r.type, formatRouteDst(r.dst), r.table])).toEqual([
      ['unicast', 'default', 'main'],
      ['unicast', '10.244.1.0/24', 'main'],
      ['blackhole', '10.244.9.0/24', 'main'],
      ['unreachable', '10.99.0.0/16', 'main'],
      ['prohibit', '10.98.0.0/16', 'main'],
      ['throw', '10.97.0.0/16', 'main'],
      ['unicast', 'default', '101'],
      ['broadcast', '172.20.0.255', 'local'],
      ['local', '172.20.0.23', 'local'],
      ['local', '127.0.0.0/8', 'local'],
    ]);
    expect(diagnostics.map((d) => [d.severity, d.line, d.message])).toEqual([
      ['warning', 11, 'IPv6 route skipped (podpath traces IPv4 only)'],
      ['warning', 12, 'IPv6 route skipped (podpath traces IPv4 only)'],
      ['warning', 13, 'IPv6 route skipped (podpath traces IPv4 only)'],
    ]);
    expect(lookupNodeRoute(value, ip('10.244.9.3'))).toMatchObject({ type: 'blackhole', proto: 'bird' });
    expect(lookupNodeRoute(value, ip('172.20.0.23'), 'local')).toMatchObject({ type: 'local', scope: 'host' });
  });

  it('reads a multipath route with its nexthop lines', () => {
    const text = 'default proto static metric 10\n\tnexthop via 172.20.0.1 dev eth0 weight 1\n\tnexthop via 172.20.1.1 dev eth1 weight 2 onlink\n10.0.0.0/8 dev eth1';
    const { value, diagnostics } = parseIpRoute({ text, file: 'f' });
    expect(diagnostics).toEqual([]);
    expect(value).toHaveLength(2);
    expect(value[0]!.nexthops).toEqual([
      { via: ip('172.20.0.1'), dev: 'eth0', weight: 1 },
      { via: ip('172.20.1.1'), dev: 'eth1', weight: 2 },
    ]);
    expect(value[0]!.text).toBe('default proto static metric 10 nexthop via 172.20.0.1 dev eth0 weight 1 nexthop via 172.20.1.1 dev eth1 weight 2 onlink');
  });

  it('reads `via inet` gateways and ignores attributes that do not change forwarding', () => {
    const { value, diagnostics } = parseIpRoute({ text: '10.1.0.0/16 via inet 172.20.0.9 dev eth0 mtu 1400 pref medium expires 300sec', file: 'f' });
    expect(diagnostics).toEqual([]);
    expect(value[0]).toMatchObject({ via: ip('172.20.0.9'), dev: 'eth0' });
  });

  it('keeps file:line from firstLine and reports bad lines as errors without a route', () => {
    const text = 'default via 10.0.0.1 dev eth0\nnot-a-route dev eth0\n10.0.0.0/33 dev eth0\n10.1.0.0/16 via 10.0.0.300 dev eth0\n10.2.0.0/16 dev eth0 metric x\nnat 10.9.9.9 via 10.0.0.7\n   nexthop via 10.0.0.1 dev eth0';
    const { value, diagnostics } = parseIpRoute({ text, file: 'estate.yaml', firstLine: 40 });
    expect(value.map((r) => r.loc)).toEqual([{ file: 'estate.yaml', line: 40 }]);
    expect(diagnostics.map((d) => [d.severity, d.line, d.message])).toEqual([
      ['error', 41, "'not-a-route' is not a route destination (expected PREFIX or default)"],
      ['error', 42, "bad destination '10.0.0.0/33'"],
      ['error', 43, "gateway '10.0.0.300' is not an IPv4 address"],
      ['error', 44, "metric 'x' is not a number"],
      ['error', 45, "route type 'nat' is obsolete: the kernel refuses it"],
    ]);
  });

  it('warns about unknown attributes and masks a destination with host bits set', () => {
    const { value, diagnostics } = parseIpRoute({ text: '10.1.2.3/16 dev eth0 frobnicate 7', file: 'f' });
    expect(formatRouteDst(value[0]!.dst)).toBe('10.1.0.0/16');
    expect(diagnostics.map((d) => d.message)).toEqual(["'10.1.2.3/16' has host bits set; read as 10.1.0.0/16", "unrecognised 'frobnicate 7' ignored"]);
  });

  it('warns about a unicast route that names neither a device, a gateway nor next hops', () => {
    const { value, diagnostics } = parseIpRoute({ text: '10.0.0.0/8 proto static', file: 'f' });
    expect(value).toHaveLength(1);
    expect(diagnostics).toEqual([{ severity: 'warning', file: 'f', line: 1, text: '10.0.0.0/8 proto static', message: 'unicast route without dev, via or nexthop: it cannot forward' }]);
  });

  it('never throws on arbitrary text, and locates every route and diagnostic on an input line', () => {
    const arbText = fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('default via 1.2.3.4 dev eth0', '\tnexthop via 1.2.3.4', 'blackhole', 'local', '10.0.0.0/8 via')), { maxLength: 8 }).map((ls) => ls.join('\n'));
    fc.assert(
      fc.property(arbText, (text) => {
        const r = parseIpRoute({ text, file: 'f' });
        const n = text.split('\n').length;
        expect(r.value.every((x) => x.loc !== undefined && x.loc.line >= 1 && x.loc.line <= n)).toBe(true);
        expect(r.diagnostics.every((d) => d.line >= 1 && d.line <= n)).toBe(true);
      }),
    );
  });
});

describe('lookupNodeRoute', () => {
  const routes = parseIpRoute({
    text: ['default via 172.20.0.1 dev eth0 metric 100', 'default via 172.20.1.1 dev eth1 metric 50', '10.0.0.0/8 dev eth1 metric 1000', '10.0.0.0/16 dev eth2 metric 5', '10.0.0.0/16 dev eth3 metric 5'].join('\n'),
    file: 'f',
  }).value;
  it.each([
    ['8.8.8.8', 'eth1', 'among equal prefixes the lowest metric wins'],
    ['10.1.0.1', 'eth1', 'a /8 with a high metric beats /0 routes'],
    ['10.0.0.1', 'eth2', 'the longest prefix wins over metric; on a full tie the first listed'],
  ])('routes %s out of %s (%s)', (dst, dev) => {
    expect(lookupNodeRoute(routes, ip(dst))?.dev).toBe(dev);
  });

  it('equals a brute-force sort by (prefix length desc, metric asc, order) on random tables', () => {
    const arbRoute = fc
      .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('main', '101'))
      .map(([a, len, metric, table]) => `${formatRouteDst({ addr: (a & maskOf(len)) >>> 0, len })} dev d${a % 5} metric ${metric} table ${table}`);
    const arbDst = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constant(0));
    fc.assert(
      fc.property(fc.array(arbRoute, { maxLength: 20 }), arbDst, fc.constantFrom('main', '101'), (lines, dst, table) => {
        const rs = parseIpRoute({ text: lines.join('\n'), file: 'f' }).value;
        const inside = (r: RouteEntry) => r.dst.len === 0 || dst >>> (32 - r.dst.len) === r.dst.addr >>> (32 - r.dst.len);
        const want = rs
          .map((r, i) => ({ r, i }))
          .filter(({ r }) => r.table === table && inside(r))
          .sort((a, b) => b.r.dst.len - a.r.dst.len || a.r.metric - b.r.metric || a.i - b.i)[0]?.r;
        expect(lookupNodeRoute(rs, dst, table)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });
});

describe('deriveNodeRoutes', () => {
  const routes = deriveNodeRoutes({
    eth0: { name: 'eth0', address: ip('172.20.0.23'), prefix: parseCidr('172.20.0.0/24') },
    bridge: { name: 'cbr0', address: ip('10.244.1.1'), prefix: parseCidr('10.244.1.0/24') },
    at: { file: 'examples/seed.estate.yaml', line: 57 },
  });

  it('gives the kernel-connected routes and a default via the VPC router (subnet base + 1), as ip route prints them', () => {
    expect(routes.filter((r) => r.table === 'main').map((r) => r.text)).toEqual([
      'default via 172.20.0.1 dev eth0',
      '172.20.0.0/24 dev eth0 proto kernel scope link src 172.20.0.23',
      '10.244.1.0/24 dev cbr0 proto kernel scope link src 10.244.1.1',
    ]);
  });

  it('marks every route derived and points it at the node declaration', () => {
    expect(routes.every((r) => r.derived && r.loc?.line === 57)).toBe(true);
  });

  it.each([
    ['10.244.1.7', 'cbr0', undefined],
    ['172.20.0.50', 'eth0', undefined],
    ['10.0.18.52', 'eth0', '172.20.0.1'],
  ])('routes %s out of %s', (dst, dev, via) => {
    const r = lookupNodeRoute(routes, ip(dst));
    expect([r?.dev, r?.via === undefined ? undefined : formatIpv4(r.via)]).toEqual([dev, via]);
  });

  it('adds local-table routes for its own addresses and loopback', () => {
    expect(lookupNodeRoute(routes, ip('172.20.0.23'), 'local')).toMatchObject({ type: 'local', dev: 'eth0' });
    expect(lookupNodeRoute(routes, ip('127.0.0.53'), 'local')).toMatchObject({ type: 'local', dev: 'lo' });
  });

  it('uses an explicit gateway when given, and reparses to the same main routes', () => {
    const alt = deriveNodeRoutes({ eth0: { name: 'ens5', address: ip('172.30.47.189'), prefix: parseCidr('172.30.32.0/19') }, gateway: ip('172.30.32.1') });
    expect(alt[0]!.text).toBe('default via 172.30.32.1 dev ens5');
    const main = alt.filter((r) => r.table === 'main');
    const reparsed = parseIpRoute({ text: main.map((r) => r.text).join('\n'), file: 'f' }).value;
    expect(reparsed.map(({ loc: _l, derived: _d, ...r }) => r)).toEqual(main.map(({ loc: _l, derived: _d, ...r }) => r));
  });
});
