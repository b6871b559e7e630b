import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { routeThroughTgw, tgwRoutes } from '../../src/aws/transit-gateway.js';
import { TransitGatewaySchema, VpcSchema, type Vpc } from '../../src/model/aws.js';
import { formatIpv4, parseIpv4 } from '../../src/net/ipv4.js';

const vpcs = new Map<string, Vpc>([
  ['vpc-a', VpcSchema.parse({ id: 'vpc-a', cidrBlocks: ['10.1.0.0/16'] })],
  ['vpc-b', VpcSchema.parse({ id: 'vpc-b', cidrBlocks: ['10.2.0.0/16', '100.64.0.0/16'] })],
  ['vpc-c', VpcSchema.parse({ id: 'vpc-c', cidrBlocks: ['10.3.0.0/16'] })],
]);
const tgw = TransitGatewaySchema.parse({
  id: 'tgw-1',
  attachments: [
    { id: 'tgw-attach-a', vpc: 'vpc-a', routeTable: 'tgw-rtb-1' },
    { id: 'tgw-attach-b', vpc: 'vpc-b', routeTable: 'tgw-rtb-1' },
    { id: 'tgw-attach-c', vpc: 'vpc-c' },
  ],
  routeTables: [{
    id: 'tgw-rtb-1',
    propagations: ['tgw-attach-a', 'tgw-attach-b'],
    routes: [{ destination: '10.2.5.0/24', blackhole: true }, { destination: '10.2.0.0/16', attachment: 'tgw-attach-a' }, { destination: '10.244.0.0/16', attachment: 'tgw-attach-a' }],
  }],
});
const route = (from: string, dst: string) => routeThroughTgw(tgw, from, parseIpv4(dst), vpcs);

describe('transit gateway routing', () => {
  it('propagates every CIDR block of a propagating VPC attachment', () => {
    const texts = tgwRoutes(tgw, tgw.routeTables[0]!, vpcs).map((r) => r.rule.text);
    expect(texts).toContain('100.64.0.0/16 -> tgw-attach-b (propagated from vpc-b)');
    expect(texts).toContain('10.1.0.0/16 -> tgw-attach-a (propagated from vpc-a)');
  });

  it('prefers a static route over a propagated one for the same destination', () => {
    const d = route('vpc-a', '10.2.9.9');
    expect(d).toMatchObject({ kind: 'forward', attachment: { id: 'tgw-attach-a' } });
    expect(d.rule.text).toMatch(/static/);
  });

  it('uses the longest prefix: a blackhole /24 inside a /16 drops', () => {
    expect(route('vpc-a', '10.2.5.1')).toMatchObject({ kind: 'drop', reason: 'tgw-rtb-1 blackholes 10.2.5.0/24' });
  });

  it('routes by the table associated with the sending attachment', () => {
    expect(route('vpc-b', '10.1.2.3')).toMatchObject({ kind: 'forward', attachment: { id: 'tgw-attach-a' }, ingress: { id: 'tgw-attach-b' }, table: 'tgw-rtb-1' });
  });

  it('has no route for an attachment without a route table association', () => {
    expect(route('vpc-c', '10.1.2.3')).toMatchObject({ kind: 'no-route', rule: { ref: 'tgw-attach-c#association' } });
  });

  it('drops traffic from a VPC the gateway is not attached to', () => {
    expect(route('vpc-z', '10.1.2.3').kind).toBe('drop');
  });

  it('has no route for a destination no route covers', () => {
    expect(route('vpc-a', '192.0.2.1')).toMatchObject({ kind: 'no-route' });
  });

  it('agrees with a brute-force longest-prefix scan (static first on ties)', () => {
    const entries = tgwRoutes(tgw, tgw.routeTables[0]!, vpcs);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (ip) => {
      const matching = entries.filter((e) => ((ip ^ e.prefix.addr) >>> 0) >>> (32 - e.prefix.len || 32) === 0 || e.prefix.len === 0);
      const best = matching.sort((x, y) => y.prefix.len - x.prefix.len)[0];
      const d = routeThroughTgw(tgw, 'vpc-a', ip >>> 0, vpcs);
      if (!best) return d.kind === 'no-route';
      return best.attachment ? d.kind === 'forward' && d.attachment.id === best.attachment.id : d.kind === 'drop';
    }), { numRuns: 2000, examples: [[parseIpv4('10.2.5.7')], [parseIpv4('10.244.1.1')]] });
    expect(formatIpv4(parseIpv4('10.2.5.7'))).toBe('10.2.5.7');
  });
});

describe('transit gateway routes the input holds only in part', () => {
  const partial = TransitGatewaySchema.parse({
    id: 'tgw-2',
    attachments: [
      { id: 'tgw-attach-a', vpc: 'vpc-a', routeTable: 'tgw-rtb-2' },
      { id: 'tgw-attach-b', vpc: 'vpc-b', routeTable: 'tgw-rtb-2' },
    ],
    routeTables: [{ id: 'tgw-rtb-2', routes: [{ destination: '10.2.0.0/16', attachment: 'tgw-attach-b' }], incomplete: 'its propagations are not in the snapshot' }],
  });

  it('says unknown, never no-route, when no known route matches', () => {
    expect(routeThroughTgw(partial, 'vpc-a', parseIpv4('10.3.0.1'), vpcs)).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('its propagations are not in the snapshot') });
  });

  it('forwards by a known route and labels the assumption that no unrecorded route is more specific', () => {
    const d = routeThroughTgw(partial, 'vpc-a', parseIpv4('10.2.0.1'), vpcs);
    expect(d).toMatchObject({ kind: 'forward', attachment: { id: 'tgw-attach-b' } });
    expect(d.kind === 'forward' && d.notes[0]).toMatch(/^assumed: /);
  });
});

// AWS Transit Gateway guide, "Route evaluation order": static, then prefix list referenced, then propagated.
describe('transit gateway prefix list routes', () => {
  const g = TransitGatewaySchema.parse({
    id: 'tgw-3',
    attachments: [
      { id: 'tgw-attach-a', vpc: 'vpc-a', routeTable: 'tgw-rtb-3' },
      { id: 'tgw-attach-b', vpc: 'vpc-b' },
      { id: 'tgw-attach-c', vpc: 'vpc-c' },
    ],
    routeTables: [{
      id: 'tgw-rtb-3',
      propagations: ['tgw-attach-b'],
      routes: [{ destination: '10.2.0.0/16', attachment: 'tgw-attach-c', prefixList: 'pl-1' }, { destination: '10.3.0.0/16', attachment: 'tgw-attach-b', prefixList: 'pl-1' }, { destination: '10.3.0.0/16', attachment: 'tgw-attach-c' }],
    }],
  });

  it('prefers a prefix list route over a propagated one with the same destination', () => {
    expect(routeThroughTgw(g, 'vpc-a', parseIpv4('10.2.0.1'), vpcs)).toMatchObject({ kind: 'forward', attachment: { id: 'tgw-attach-c' }, rule: { text: '10.2.0.0/16 -> tgw-attach-c (prefix list pl-1)' } });
  });

  it('prefers a static CIDR route over a prefix list route with the same destination', () => {
    expect(routeThroughTgw(g, 'vpc-a', parseIpv4('10.3.0.1'), vpcs)).toMatchObject({ kind: 'forward', attachment: { id: 'tgw-attach-c' }, rule: { text: '10.3.0.0/16 -> tgw-attach-c (static)' } });
  });
});
