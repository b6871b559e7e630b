/**
 * `ip route show table all` as a real EKS node prints it (IPv6, local,
 * broadcast, anycast and multicast routes), read and looked up as the kernel
 * does. The fixtures are the kernel's own output for the corpus trunk node
 * rebuilt in a namespace (eks-node.ts); the oracle part rebuilds it, requires
 * the fixtures byte for byte, and asks `ip route get` for each query below.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRouteFor, parseIpRoute, type RouteEntry } from '../../../src/linux/route/ip-route.js';
import { lookupPolicyRoute, parseIpRule, type PolicyRoute } from '../../../src/linux/route/ip-rule.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { openNetns, oracleUnavailable, type Netns } from '../iptables/netns.js';
import { fixturesDir } from '../iptables/helpers.js';
import { buildEksNode } from './eks-node.js';
import { corpus } from '../../helpers/estates.js';

const dir = join(fixturesDir, '../routes');
const routeText = readFileSync(join(dir, 'eks-trunk-node.ip-route-table-all.txt'), 'utf8');
const ruleText = readFileSync(join(dir, 'eks-trunk-node.ip-rule.txt'), 'utf8');
const routes = parseIpRoute({ text: routeText, file: 'eks-trunk-node.ip-route-table-all.txt' });
const rules = parseIpRule({ text: ruleText, file: 'eks-trunk-node.ip-rule.txt' });

/** A lookup: packet from `src` arriving on `iif` (`lo`: sent by the node) to `dst`, with skb mark `mark`. */
interface Query {
  what: string;
  src: string;
  iif: string;
  dst: string;
  mark?: number;
  /** What the kernel's `ip route get` answers (the oracle checks it). */
  expect: string;
}

const QUERIES: Query[] = [
  { what: 'pod on a VPC CNI veth to the internet: main default', src: '172.31.3.129', iif: 'eni1e3dd7d66d7', dst: '8.8.8.8', expect: 'dev eth0 via 172.31.0.1' },
  { what: 'reply to that pod: rule 512 to the pod, main', src: '8.8.8.8', iif: 'eth0', dst: '172.31.3.129', expect: 'dev eni1e3dd7d66d7 via -' },
  { what: 'branch-ENI pod: rule 10 iif vlan015fbd5badf, table 101', src: '172.31.2.37', iif: 'vlan015fbd5badf', dst: '8.8.8.8', expect: 'dev vlan.eth.1 via 172.31.0.1' },
  { what: 'reply on the branch ENI: rule 10 iif vlan.eth.1, table 101', src: '8.8.8.8', iif: 'vlan.eth.1', dst: '172.31.2.37', expect: 'dev vlan015fbd5badf via -' },
  { what: 'connmarked (0x80) pod traffic: rule 1024, main', src: '172.31.12.149', iif: 'eni5f2d60c848c', dst: '10.0.0.9', mark: 0x80, expect: 'dev eth0 via 172.31.0.1' },
  { what: "the node's own address: the local table (rule 20)", src: '172.31.5.5', iif: 'eth0', dst: '172.31.0.225', expect: 'local' },
  { what: "the subnet's broadcast address: a broadcast route of the local table", src: '172.31.5.5', iif: 'eth0', dst: '172.31.15.255', expect: 'broadcast' },
  { what: 'node to the instance metadata service', src: '172.31.0.225', iif: 'lo', dst: '169.254.169.254', expect: 'dev eth0 via -' },
  { what: 'node to a neighbour in its subnet', src: '172.31.0.225', iif: 'lo', dst: '172.31.7.7', expect: 'dev eth0 via -' },
];

function fromModel(d: PolicyRoute): string {
  if (d.kind === 'route') {
    const r = d.route;
    if (r.type === 'unicast') return `dev ${r.dev} via ${r.via ? formatIpv4(r.via) : '-'}`;
    return r.type;
  }
  return d.kind === 'unknown' ? `unknown: ${d.reason}` : d.kind;
}

const lookup = (q: Query) => lookupPolicyRoute(rules.value, routes.value, {
  src: parseIpv4(q.src), dst: parseIpv4(q.dst), proto: 'tcp', sport: 40000, dport: 443, mark: q.mark ?? 0, iif: q.iif,
});

describe('an EKS node\'s `ip route show table all`', () => {
  it('reads without errors; every IPv6 route (unicast, local, anycast, multicast) is set aside with a warning', () => {
    expect(routes.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const v6Lines = routeText.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => /(^|\s)[0-9a-f]*::/.test(l.split(' dev ')[0]!)).map(([, n]) => n);
    expect(v6Lines.length).toBe(29);
    expect(routes.diagnostics.map((d) => [d.line, d.message])).toEqual(v6Lines.map((n) => [n, 'IPv6 route skipped (podpath traces IPv4 only)']));
    expect(rules.diagnostics).toEqual([]);
  });

  it('keeps every IPv4 route with its table and type, local and broadcast routes included', () => {
    const count = (pred: (r: RouteEntry) => boolean) => routes.value.filter(pred).length;
    expect(routes.value).toHaveLength(16);
    expect([count((r) => r.table === 'main'), count((r) => r.table === '101'), count((r) => r.table === '102'), count((r) => r.table === 'local')]).toEqual([5, 3, 3, 5]);
    expect(routes.value.filter((r) => r.table === 'local').map((r) => r.type)).toEqual(['local', 'local', 'broadcast', 'local', 'broadcast']);
  });

  it('knows the node\'s own addresses from the local table, and that a broadcast address is not one', () => {
    expect(localRouteFor(routes.value, parseIpv4('172.31.0.225'))).toMatchObject({ type: 'local', dev: 'eth0' });
    expect(localRouteFor(routes.value, parseIpv4('127.3.4.5'))).toMatchObject({ type: 'local', dev: 'lo' });
    expect(localRouteFor(routes.value, parseIpv4('172.31.15.255'))).toBeUndefined();
    expect(localRouteFor(routes.value, parseIpv4('172.31.3.129'))).toBeUndefined();
  });

  it.each(QUERIES)('$what', (q) => {
    expect(fromModel(lookup(q))).toBe(q.expect);
  });

  it('answers unknown, naming the route, when a lookup selects an IPv4 multicast or anycast route', () => {
    const extra = parseIpRoute({ text: 'multicast 224.0.0.0/4 dev eth0 scope link\nanycast 172.31.0.0 dev eth0 table local scope link\n', file: 'x' });
    expect(extra.diagnostics).toEqual([]);
    const all = [...routes.value, ...extra.value];
    const ask = (dst: string) => lookupPolicyRoute(rules.value, all, { src: parseIpv4('172.31.0.225'), dst: parseIpv4(dst), proto: 'udp', sport: 1, dport: 2, mark: 0, iif: 'lo' });
    expect(ask('224.0.0.5')).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('multicast route (x:1)') });
    expect(ask('172.31.0.0')).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('anycast route (x:2)') });
  });
});

const unavailable = oracleUnavailable();

function fromKernel(out: { status: number | null; stdout: string; stderr: string }): string {
  if (out.status !== 0) return `error: ${out.stderr.trim()}`;
  const line = out.stdout.split('\n')[0]!;
  const type = /^(local|broadcast|multicast|anycast) /.exec(line)?.[1];
  if (type) return type;
  return `dev ${/ dev (\S+)/.exec(line)?.[1]} via ${/ via (\S+)/.exec(line)?.[1] ?? '-'}`;
}

describe.skipIf(unavailable !== undefined)('the EKS node rebuilt in a namespace (kernel oracle)', () => {
  let node: Netns;
  let peer: Netns;
  beforeAll(() => {
    node = openNetns();
    peer = openNetns();
    buildEksNode(node, peer);
  });
  afterAll(() => {
    node?.close();
    peer?.close();
  });

  it('prints the fixtures byte for byte', () => {
    expect(node.exec('ip', ['route', 'show', 'table', 'all']).stdout).toBe(routeText);
    expect(node.exec('ip', ['rule']).stdout).toBe(ruleText);
  });

  /** Lines with runs of blanks folded and trailing blanks cut (the corpus pastes lost tabs and some trailing spaces). */
  const lines = (text: string) => text.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter(Boolean);

  it.each([
    ['eks-vpc-cni-trunk-node.ip-route.txt', ['route']],
    ['eks-vpc-cni-trunk-node.ip-route-table-101.txt', ['route', 'show', 'table', '101']],
    ['eks-vpc-cni-trunk-node.ip-route-table-102.txt', ['route', 'show', 'table', '102']],
    ['eks-vpc-cni-trunk-node.ip-rule.txt', ['rule']],
  ])('prints the corpus node\'s %s as the real node did', (file, args) => {
    expect(lines(node.exec('ip', args).stdout)).toEqual(lines(readFileSync(join(corpus, 'ip-route', file), 'utf8')));
  });

  it.each(QUERIES)('ip route get agrees: $what', (q) => {
    const args = ['route', 'get', q.dst, 'from', q.src, ...(q.iif === 'lo' ? [] : ['iif', q.iif]), 'mark', String(q.mark ?? 0)];
    expect(fromKernel(node.exec('ip', args))).toBe(q.expect);
  });
});
