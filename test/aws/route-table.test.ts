import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRouteTable, compileRouteTable, formatRouteTarget, lookupRoute, parseRouteTarget } from '../../src/aws/route-table.js';
import type { RouteTable, Subnet, Vpc } from '../../src/model/aws.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import { formatPrefix } from '../../src/net/prefix.js';
import { arbAddress, arbCidr } from './arbitraries.js';
import { lookupRouteLinear } from './oracles.js';

const ip = parseIpv4;
const vpcK8s: Vpc = { id: 'vpc-k8s', cidrBlocks: ['172.20.0.0/16'] };
const table = (routes: [string, string][], id = 'rtb-k8s'): RouteTable => ({
  id,
  vpc: 'vpc-k8s',
  main: true,
  routes: routes.map(([destination, target]) => ({ destination, target })),
});
/** The seed's kube-up route table. */
const seedTable = table([
  ['10.0.0.0/16', 'pcx-1'],
  ['0.0.0.0/0', 'igw-1'],
  ['10.244.1.0/24', 'i-node1'],
]);

describe('route targets', () => {
  it.each([
    ['local', { kind: 'local' }],
    ['blackhole', { kind: 'blackhole' }],
    ['igw-1', { kind: 'igw', id: 'igw-1' }],
    ['nat-0abc', { kind: 'nat', id: 'nat-0abc' }],
    ['pcx-1', { kind: 'pcx', id: 'pcx-1' }],
    ['tgw-1', { kind: 'tgw', id: 'tgw-1' }],
    ['i-node1', { kind: 'instance', id: 'i-node1' }],
    ['eni-fw', { kind: 'eni', id: 'eni-fw' }],
    ['vgw-1', { kind: 'vgw', id: 'vgw-1' }],
    ['vpce-0abc', { kind: 'unmodelled', id: 'vpce-0abc' }],
    ['eigw-0abc', { kind: 'unmodelled', id: 'eigw-0abc' }],
    ['cagw-0abc', { kind: 'unmodelled', id: 'cagw-0abc' }],
    ['lgw-0abc', { kind: 'unmodelled', id: 'lgw-0abc' }],
  ])('reads %s from its id prefix and prints it back', (text, target) => {
    expect(parseRouteTarget(text)).toEqual(target);
    expect(formatRouteTarget(parseRouteTarget(text))).toBe(text);
  });
});

describe('compileRouteTable', () => {
  it('adds the implicit local route for every VPC CIDR block the table does not list', () => {
    const vpc: Vpc = { id: 'vpc-k8s', cidrBlocks: ['172.20.0.0/16', '100.64.0.0/16'] };
    const t = compileRouteTable(seedTable, vpc);
    const implicit = t.routes.filter((r) => r.implicit);
    expect(implicit.map((r) => r.text)).toEqual(['172.20.0.0/16 -> local', '100.64.0.0/16 -> local']);
    expect(implicit.every((r) => r.index === -1)).toBe(true);
    expect(implicit[0]!.rule.ref).toBe('rtb-k8s#172.20.0.0/16');
  });

  it('adds no local route for a block whose local target the table replaced with a network interface', () => {
    const t = compileRouteTable(table([['172.20.0.0/16', 'eni-fw']]), vpcK8s);
    expect(t.routes.map((r) => r.text)).toEqual(['172.20.0.0/16 -> eni-fw']);
    expect(lookupRoute(t, ip('172.20.0.23'))!.target).toEqual({ kind: 'eni', id: 'eni-fw' });
  });

  it('gives every listed route its index, text and an rtb#destination rule ref', () => {
    const t = compileRouteTable(seedTable, vpcK8s);
    const pcx = t.routes.find((r) => r.index === 0)!;
    expect(pcx).toMatchObject({ text: '10.0.0.0/16 -> pcx-1', implicit: false, rule: { ref: 'rtb-k8s#10.0.0.0/16', text: '10.0.0.0/16 -> pcx-1' } });
  });
});

describe('lookupRoute on the seed kube-up table', () => {
  const t = compileRouteTable(seedTable, vpcK8s);
  it.each([
    ['10.0.18.52', '10.0.0.0/16 -> pcx-1', 'RDS in the peer VPC goes over the peering'],
    ['172.20.0.23', '172.20.0.0/16 -> local', 'a node in the VPC stays local'],
    ['10.244.1.5', '10.244.1.0/24 -> i-node1', "a pod goes to its node's instance"],
    ['10.244.2.5', '0.0.0.0/0 -> igw-1', 'a pod CIDR without a route falls to the default'],
    ['8.8.8.8', '0.0.0.0/0 -> igw-1', 'the internet goes to the internet gateway'],
  ])('sends %s by %s (%s)', (dst, text) => {
    expect(lookupRoute(t, ip(dst))?.text).toBe(text);
  });

  it('finds no route when nothing contains the destination', () => {
    const noDefault = compileRouteTable(table([['10.0.0.0/16', 'pcx-1']]), vpcK8s);
    expect(lookupRoute(noDefault, ip('8.8.8.8'))).toBeUndefined();
  });

  it('uses the first listed route when a destination is (illegally) listed twice', () => {
    const dup = compileRouteTable(table([['10.0.0.0/16', 'pcx-1'], ['10.0.0.0/16', 'igw-1']]), vpcK8s);
    expect(lookupRoute(dup, ip('10.0.1.1'))?.text).toBe('10.0.0.0/16 -> pcx-1');
  });

  it('matches a blackhole route like any other (the caller drops)', () => {
    const bh = compileRouteTable(table([['10.0.0.0/16', 'blackhole']]), vpcK8s);
    expect(lookupRoute(bh, ip('10.0.1.1'))?.target).toEqual({ kind: 'blackhole' });
  });
});

describe('lookupRoute property', () => {
  const arbTarget = fc.constantFrom('local', 'blackhole', 'igw-1', 'nat-1', 'pcx-1', 'tgw-1', 'i-1', 'eni-1', 'vgw-1');
  const arbVpc = fc.array(arbCidr, { minLength: 1, maxLength: 3 }).map((cidrBlocks): Vpc => ({ id: 'vpc-x', cidrBlocks }));
  const arbTable = fc
    .array(fc.tuple(arbCidr, arbTarget), { maxLength: 25 })
    .map((routes): RouteTable => ({ id: 'rtb-x', vpc: 'vpc-x', main: false, routes: routes.map(([destination, target]) => ({ destination, target })) }));

  it('equals a linear longest-prefix scan on random tables and addresses', () => {
    fc.assert(
      fc.property(arbVpc, arbTable, fc.array(arbAddress, { minLength: 1, maxLength: 10 }), (vpc, rt, dsts) => {
        const t = compileRouteTable(rt, vpc);
        for (const dst of dsts) {
          const got = lookupRoute(t, dst);
          const want = lookupRouteLinear(rt, vpc, dst);
          expect(got && { destination: formatPrefix(got.prefix), target: formatRouteTarget(got.target) }).toEqual(want);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order routes are listed in when destinations are distinct', () => {
    const arbDistinct = arbTable.map((rt) => ({ ...rt, routes: rt.routes.filter((r, i) => rt.routes.findIndex((s) => s.destination === r.destination) === i) }));
    const arbPair = arbDistinct.chain((rt) =>
      fc.tuple(fc.constant(rt), fc.shuffledSubarray(rt.routes, { minLength: rt.routes.length, maxLength: rt.routes.length })),
    );
    fc.assert(
      fc.property(arbVpc, arbPair, arbAddress, (vpc, [rt, shuffled], dst) => {
        const a = lookupRoute(compileRouteTable(rt, vpc), dst);
        const b = lookupRoute(compileRouteTable({ ...rt, routes: shuffled }, vpc), dst);
        expect(b?.text).toBe(a?.text);
      }),
    );
  });
});

describe('checkRouteTable enforces AWS route rules', () => {
  const subnets: Subnet[] = [
    { id: 'subnet-a', vpc: 'vpc-k8s', cidr: '172.20.0.0/24' },
    { id: 'subnet-b', vpc: 'vpc-k8s', cidr: '172.20.1.0/24' },
    { id: 'subnet-other', vpc: 'vpc-main', cidr: '172.20.2.0/24' },
  ];
  it.each<[string, [string, string][], { index: number; message: string }[]]>([
    ['accepts the seed kube-up table', [['10.0.0.0/16', 'pcx-1'], ['0.0.0.0/0', 'igw-1'], ['10.244.1.0/24', 'i-node1']], []],
    ['accepts the local route listed explicitly', [['172.20.0.0/16', 'local']], []],
    ['accepts a subnet CIDR routed to a middlebox interface', [['172.20.1.0/24', 'eni-fw']], []],
    ['accepts a subnet CIDR routed to a NAT gateway', [['172.20.1.0/24', 'nat-1']], []],
    ['accepts a subnet CIDR routed to an instance', [['172.20.1.0/24', 'i-fw']], []],
    ['accepts the local route replaced by a network interface', [['172.20.0.0/16', 'eni-fw']], []],
    ['accepts a route less specific than the VPC block', [['172.16.0.0/12', 'pcx-1']], []],
    [
      'rejects a route inside the VPC toward a peering',
      [['172.20.1.0/24', 'pcx-1']],
      [{ index: 0, message: "172.20.1.0/24 lies inside vpc-k8s's CIDR block 172.20.0.0/16 (more specific than the local route): such a route may only target a network interface, instance, NAT gateway or Gateway Load Balancer endpoint, not pcx-1" }],
    ],
    [
      'rejects a route inside the VPC that is not a whole subnet',
      [['172.20.1.128/25', 'eni-fw']],
      [{ index: 0, message: "172.20.1.128/25 lies inside vpc-k8s's CIDR block 172.20.0.0/16 (more specific than the local route): its destination must be the entire CIDR block of a subnet of vpc-k8s (did you mean subnet-b's 172.20.1.0/24?)" }],
    ],
    [
      "does not count another VPC's subnet as a whole subnet",
      [['172.20.2.0/24', 'eni-fw']],
      [{ index: 0, message: "172.20.2.0/24 lies inside vpc-k8s's CIDR block 172.20.0.0/16 (more specific than the local route): its destination must be the entire CIDR block of a subnet of vpc-k8s" }],
    ],
    [
      'rejects replacing the local target with an internet gateway',
      [['172.20.0.0/16', 'igw-1']],
      [{ index: 0, message: "172.20.0.0/16 is vpc-k8s's CIDR block: its local route's target can only be replaced by a network interface, not igw-1" }],
    ],
    [
      'rejects a duplicate destination at its second occurrence',
      [['10.0.0.0/16', 'pcx-1'], ['0.0.0.0/0', 'igw-1'], ['10.0.0.0/16', 'igw-1']],
      [{ index: 2, message: 'duplicate destination 10.0.0.0/16: route 0 already has it (AWS keeps one route per destination)' }],
    ],
    [
      'rejects target local outside the VPC',
      [['10.0.0.0/16', 'local']],
      [{ index: 0, message: "target local is only valid for the VPC's own CIDR blocks (172.20.0.0/16), not 10.0.0.0/16" }],
    ],
  ])('%s', (_name, routes, problems) => {
    expect(checkRouteTable(table(routes), vpcK8s, subnets)).toEqual(problems);
  });
});

// VPC user guide, "How route priority works": longest prefix, then static, then prefix list, then propagated.
describe('route priority for the same destination (AWS route priority)', () => {
  const t = (routes: RouteTable['routes']): RouteTable => ({ id: 'rtb-p', vpc: 'vpc-k8s', main: true, routes });

  it('prefers a static route over a propagated one, whatever the listing order', () => {
    const c = compileRouteTable(t([
      { destination: '10.9.0.0/16', target: 'vgw-1', origin: 'propagated' },
      { destination: '10.9.0.0/16', target: 'pcx-1' },
    ]), vpcK8s);
    expect(lookupRoute(c, ip('10.9.1.1'))?.target).toEqual({ kind: 'pcx', id: 'pcx-1' });
  });

  it('prefers a CIDR route over a prefix-list route, and a prefix-list route over a propagated one', () => {
    const routes: RouteTable['routes'] = [
      { destination: '10.9.0.0/16', target: 'vgw-1', origin: 'propagated' },
      { destination: '10.9.0.0/16', target: 'vpce-s3', prefixList: 'pl-1' },
      { destination: '10.9.0.0/16', target: 'tgw-1' },
    ];
    expect(lookupRoute(compileRouteTable(t(routes), vpcK8s), ip('10.9.1.1'))?.target).toEqual({ kind: 'tgw', id: 'tgw-1' });
    const c = compileRouteTable(t(routes.slice(0, 2)), vpcK8s);
    expect(lookupRoute(c, ip('10.9.1.1'))).toMatchObject({ target: { kind: 'unmodelled', id: 'vpce-s3' }, rank: 'prefix-list', text: '10.9.0.0/16 -> vpce-s3 (prefix list pl-1)' });
  });

  it('lets a longer propagated prefix win over a shorter static one', () => {
    const c = compileRouteTable(t([
      { destination: '10.9.0.0/16', target: 'pcx-1' },
      { destination: '10.9.8.0/24', target: 'vgw-1', origin: 'propagated' },
    ]), vpcK8s);
    expect(lookupRoute(c, ip('10.9.8.1'))?.text).toBe('10.9.8.0/24 -> vgw-1 (propagated)');
  });

  it('does not call a static and a propagated route to one destination duplicates', () => {
    expect(checkRouteTable(t([
      { destination: '10.9.0.0/16', target: 'vgw-1', origin: 'propagated' },
      { destination: '10.9.0.0/16', target: 'pcx-1' },
    ]), vpcK8s, [])).toEqual([]);
  });
});
