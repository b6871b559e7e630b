/**
 * describe-route-tables and transit gateway routes read as AWS applies them:
 * targets podpath does not model are kept (a trace taking one is unknown),
 * `Origin` and prefix lists rank same-destination routes, and TGW prefix list
 * routes are expanded from the list's entries.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../src/trace/world.js';
import { traceOne } from '../helpers/estates.js';

const dir = mkdtempSync(join(tmpdir(), 'podpath-route-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, doc: unknown) => writeFileSync(join(dir, 'aws', name), JSON.stringify(doc, null, 1));
mkdirSync(join(dir, 'aws'));
write('describe-vpcs.json', { Vpcs: [{ VpcId: 'vpc-a', CidrBlock: '10.1.0.0/16' }, { VpcId: 'vpc-b', CidrBlock: '10.2.0.0/16' }] });
write('describe-subnets.json', { Subnets: [
  { SubnetId: 'subnet-a', VpcId: 'vpc-a', CidrBlock: '10.1.1.0/24', AvailabilityZone: 'eu-west-1a' },
  { SubnetId: 'subnet-b', VpcId: 'vpc-b', CidrBlock: '10.2.0.0/20', AvailabilityZone: 'eu-west-1a' },
] });
write('describe-route-tables.json', { RouteTables: [
  {
    RouteTableId: 'rtb-a', VpcId: 'vpc-a', Associations: [{ Main: true }],
    Routes: [
      { DestinationCidrBlock: '10.1.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
      { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-a', Origin: 'CreateRoute', State: 'active' },
      { DestinationPrefixListId: 'pl-s3', GatewayId: 'vpce-s3', Origin: 'CreateRoute', State: 'active' },
      { DestinationCidrBlock: '10.2.0.0/16', GatewayId: 'vgw-a', Origin: 'EnableVgwRoutePropagation', State: 'active' },
      { DestinationCidrBlock: '10.2.0.0/16', TransitGatewayId: 'tgw-1', Origin: 'CreateRoute', State: 'active' },
      { DestinationCidrBlock: '192.0.2.0/24', CarrierGatewayId: 'cagw-1', Origin: 'CreateRoute', State: 'active' },
      { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-1', Origin: 'CreateRoute', State: 'active' },
    ],
  },
  { RouteTableId: 'rtb-b', VpcId: 'vpc-b', Associations: [{ Main: true }], Routes: [{ DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-1', State: 'active' }] },
] });
write('get-managed-prefix-list-entries.pl-s3.json', { Entries: [{ Cidr: '52.216.0.0/15' }, { Cidr: '10.2.9.0/24' }] });
write('describe-transit-gateways.json', { TransitGateways: [{ TransitGatewayId: 'tgw-1' }] });
write('describe-transit-gateway-vpc-attachments.json', { TransitGatewayVpcAttachments: [
  { TransitGatewayAttachmentId: 'tgw-attach-a', TransitGatewayId: 'tgw-1', VpcId: 'vpc-a', SubnetIds: ['subnet-a'], State: 'available' },
  { TransitGatewayAttachmentId: 'tgw-attach-b', TransitGatewayId: 'tgw-1', VpcId: 'vpc-b', SubnetIds: ['subnet-b'], State: 'available' },
] });
write('describe-transit-gateway-attachments.json', { TransitGatewayAttachments: [
  { TransitGatewayAttachmentId: 'tgw-attach-a', TransitGatewayId: 'tgw-1', ResourceType: 'vpc', ResourceId: 'vpc-a', State: 'available', Association: { TransitGatewayRouteTableId: 'tgw-rtb-1', State: 'associated' } },
  { TransitGatewayAttachmentId: 'tgw-attach-b', TransitGatewayId: 'tgw-1', ResourceType: 'vpc', ResourceId: 'vpc-b', State: 'available', Association: { TransitGatewayRouteTableId: 'tgw-rtb-1', State: 'associated' } },
] });
write('describe-transit-gateway-route-tables.json', { TransitGatewayRouteTables: [{ TransitGatewayRouteTableId: 'tgw-rtb-1', TransitGatewayId: 'tgw-1' }] });
write('TransitGatewayStaticRoutes.json', { TransitGatewayStaticRoutes: [{ TransitGatewayRouteTableId: 'tgw-rtb-1', AdditionalRoutesAvailable: false, Routes: [
  { PrefixListId: 'pl-s3', TransitGatewayAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-b' }], Type: 'static', State: 'active' },
] }] });
write('TransitGatewayPropagations.json', { TransitGatewayPropagations: [{ TransitGatewayRouteTableId: 'tgw-rtb-1', TransitGatewayRouteTablePropagations: [
  { TransitGatewayAttachmentId: 'tgw-attach-a', ResourceType: 'vpc', State: 'enabled' },
  { TransitGatewayAttachmentId: 'tgw-attach-b', ResourceType: 'vpc', State: 'enabled' },
] }] });
write('describe-instances.json', { Reservations: [{ Instances: [
  { InstanceId: 'i-a', SubnetId: 'subnet-a', VpcId: 'vpc-a', PrivateIpAddress: '10.1.1.10', NetworkInterfaces: [], SecurityGroups: [{ GroupId: 'sg-a' }] },
  { InstanceId: 'i-b', SubnetId: 'subnet-b', VpcId: 'vpc-b', PrivateIpAddress: '10.2.9.20', NetworkInterfaces: [], SecurityGroups: [{ GroupId: 'sg-b' }] },
] }] });
const allEgress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
write('describe-security-groups.json', { SecurityGroups: [
  { GroupId: 'sg-a', VpcId: 'vpc-a', IpPermissions: [], IpPermissionsEgress: allEgress },
  { GroupId: 'sg-b', VpcId: 'vpc-b', IpPermissions: [], IpPermissionsEgress: allEgress },
] });

describe('route rules as AWS applies them (describe-route-tables)', () => {
  const { estate, notes } = inspectSnapshot(dir);
  const routes = estate.routeTables.find((t) => t.id === 'rtb-a')!.routes;

  it('keeps routes to targets podpath does not model, with a warning, instead of dropping them', () => {
    expect(routes).toEqual(expect.arrayContaining([
      expect.objectContaining({ destination: '52.216.0.0/15', target: 'vpce-s3', prefixList: 'pl-s3' }),
      expect.objectContaining({ destination: '192.0.2.0/24', target: 'cagw-1' }),
    ]));
    expect(notes.warnings.some((w) => w.message.includes('cagw-1') && w.message.includes('say unknown'))).toBe(true);
  });

  it('reads Origin: EnableVgwRoutePropagation is a propagated route', () => {
    expect(routes).toContainEqual(expect.objectContaining({ destination: '10.2.0.0/16', target: 'vgw-a', origin: 'propagated' }));
  });

  const w = compileWorld(estate);
  it('ends unknown, naming the route, when the longest match is a route to a VPC endpoint', () => {
    const t = traceOne(w, { src: 'instance:i-a', dst: '52.216.4.4:443' });
    expect(t.verdict).toBe('unknown');
    expect(t.decidingRule?.ref).toBe('rtb-a#52.216.0.0/15');
  });

  it('takes the static route over the propagated one for the same destination', () => {
    const t = traceOne(w, { src: 'instance:i-a', dst: '10.2.1.20:22' });
    expect(t.forward.find((h) => h.kind === 'route-table')?.rule?.text).toBe('10.2.0.0/16 -> tgw-1');
  });

  it('takes a more specific prefix list route (to the endpoint) over the static /16', () => {
    const t = traceOne(w, { src: 'instance:i-a', dst: '10.2.9.20:22' });
    expect(t.forward.find((h) => h.kind === 'route-table')?.rule?.text).toBe('10.2.9.0/24 -> vpce-s3 (prefix list pl-s3)');
    expect(t.verdict).toBe('unknown');
  });
});

describe('transit gateway prefix list routes (TransitGatewayStaticRoutes)', () => {
  const { estate } = inspectSnapshot(dir);

  it('expands a prefix list route into the list\'s entries, marked with the list', () => {
    const table = estate.transitGateways[0]!.routeTables[0]!;
    expect(table.routes).toEqual([
      expect.objectContaining({ destination: '52.216.0.0/15', attachment: 'tgw-attach-b', prefixList: 'pl-s3' }),
      expect.objectContaining({ destination: '10.2.9.0/24', attachment: 'tgw-attach-b', prefixList: 'pl-s3' }),
    ]);
    expect(table.propagations).toEqual(['tgw-attach-a', 'tgw-attach-b']);
    expect(table.incomplete).toBeUndefined();
  });
});

describe('a transit gateway attachment whose association is not recorded', () => {
  it('says unknown, not no-route: describe-transit-gateway-vpc-attachments does not carry the association', () => {
    const partial = mkdtempSync(join(tmpdir(), 'podpath-route-rules-'));
    try {
      mkdirSync(join(partial, 'aws'));
      for (const f of readdirSync(join(dir, 'aws'))) if (f !== 'describe-transit-gateway-attachments.json') copyFileSync(join(dir, 'aws', f), join(partial, 'aws', f));
      const { estate, notes } = inspectSnapshot(partial);
      expect(notes.warnings.some((w) => w.message.startsWith('tgw-attach-a: no describe-transit-gateway-attachments output lists it'))).toBe(true);
      const t = traceOne(compileWorld(estate), { src: 'instance:i-a', dst: '10.2.1.20:22' });
      expect(t.verdict).toBe('unknown');
      expect(t.decidingRule?.ref).toBe('tgw-attach-a#association');
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });
});
