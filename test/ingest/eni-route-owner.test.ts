/**
 * A route whose target is a network interface (`NetworkInterfaceId`) becomes the instance that has
 * it as its primary interface, or stays the ENI when it is a secondary interface of a known
 * instance; anything else warns. The owner is found through an index (eni-owners.ts): these cases
 * pin which record wins when several name the interface, as the former scans in input order did.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { convertFabric } from '../../src/ingest/snapshot/aws-fabric.js';
import { emptyRecords, sortDocument } from '../../src/ingest/snapshot/collect-docs.js';
import { eniOwners } from '../../src/ingest/snapshot/eni-owners.js';
import { SnapshotNotes } from '../../src/ingest/snapshot/notes.js';

const ENI = 'eni-0aaa';
type Eni = { NetworkInterfaceId: string; Attachment?: { DeviceIndex?: number; InstanceId?: string } };

/** An instance; `known` ones have a subnet and an address (the loader's test for "an instance in the snapshot"). */
const instance = (id: string, enis: Eni[], known = true) => ({
  InstanceId: id, NetworkInterfaces: enis, ...(known ? { SubnetId: 'subnet-1', PrivateIpAddress: '10.0.1.10' } : {}),
});
const at = (DeviceIndex?: number, InstanceId?: string): Eni => ({ NetworkInterfaceId: ENI, Attachment: { ...(DeviceIndex === undefined ? {} : { DeviceIndex }), ...(InstanceId ? { InstanceId } : {}) } });

/** The model target of `rtb-1`'s route toward the ENI, and the warnings that name the ENI. */
function routeToEni(instances: object[], interfaces: object[] = []) {
  const r = emptyRecords();
  const notes = new SnapshotNotes();
  const docs: [string, unknown][] = [
    ['describe-vpcs.json', { Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16' }] }],
    ['describe-subnets.json', { Subnets: [{ SubnetId: 'subnet-1', VpcId: 'vpc-1', CidrBlock: '10.0.1.0/24' }] }],
    ['describe-route-tables.json', { RouteTables: [{ RouteTableId: 'rtb-1', VpcId: 'vpc-1', Associations: [{ Main: true }], Routes: [
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' },
      { DestinationCidrBlock: '192.0.2.0/24', NetworkInterfaceId: ENI },
    ] }] }],
    ['describe-instances.json', { Reservations: [{ Instances: instances }] }],
    ['describe-network-interfaces.json', { NetworkInterfaces: interfaces }],
  ];
  for (const [file, value] of docs) expect(sortDocument({ file, value, unwrapped: false }, r, notes)).toBeDefined();
  const fabric = convertFabric(r, notes);
  const route = (fabric.routeTables[0]!.routes ?? []).find((x) => x.destination === '192.0.2.0/24');
  return { target: route?.target, warned: notes.warnings.filter((w) => w.message.includes(ENI)).length };
}

describe('route to a network interface: which record names its owner', () => {
  it('the first instance listing it as primary wins, in describe-instances order', () => {
    expect(routeToEni([instance('i-1', [at(0)]), instance('i-2', [at(0)])])).toEqual({ target: 'i-1', warned: 0 });
    expect(routeToEni([instance('i-2', [at(0)]), instance('i-1', [at(0)])])).toEqual({ target: 'i-2', warned: 0 });
  });

  it('describe-instances answers before describe-network-interfaces, whatever their order in the files', () => {
    expect(routeToEni([instance('i-2', []), instance('i-1', [{ NetworkInterfaceId: ENI }])], [at(0, 'i-2')])).toEqual({ target: 'i-1', warned: 0 });
  });

  it('an instance interface without a device index is primary; a describe-network-interfaces one is neither', () => {
    expect(routeToEni([instance('i-1', [{ NetworkInterfaceId: ENI }])])).toEqual({ target: 'i-1', warned: 0 });
    expect(routeToEni([instance('i-2', [])], [at(undefined, 'i-2')])).toEqual({ target: ENI, warned: 1 });
  });

  it('the first primary owner decides even when it is not an instance of the snapshot: no later owner is tried', () => {
    expect(routeToEni([instance('i-0', [at(0)], false), instance('i-2', [at(0)])])).toEqual({ target: ENI, warned: 1 });
  });

  it('the first describe-network-interfaces record decides even without an InstanceId', () => {
    expect(routeToEni([instance('i-2', [])], [at(0), at(0, 'i-2')])).toEqual({ target: ENI, warned: 1 });
    expect(routeToEni([instance('i-2', [])], [at(0, 'i-2'), at(0)])).toEqual({ target: 'i-2', warned: 0 });
  });

  it('a primary owner anywhere beats a secondary one listed earlier', () => {
    expect(routeToEni([instance('i-1', [at(1)]), instance('i-2', [at(0)])])).toEqual({ target: 'i-2', warned: 0 });
  });

  it('a secondary interface of a known instance stays the ENI without a warning; the first secondary owner decides', () => {
    expect(routeToEni([instance('i-1', [at(2)])])).toEqual({ target: ENI, warned: 0 });
    expect(routeToEni([instance('i-2', [])], [at(1, 'i-2')])).toEqual({ target: ENI, warned: 0 });
    expect(routeToEni([instance('i-0', [at(1)], false), instance('i-2', [at(1)])])).toEqual({ target: ENI, warned: 1 });
  });

  it('an interface no record names warns and stays the ENI', () => {
    expect(routeToEni([instance('i-1', [])])).toEqual({ target: ENI, warned: 1 });
  });
});

describe('eniOwners', () => {
  it('answers like a scan in input order for any instances and interfaces naming overlapping ENIs', () => {
    const attachment = fc.record({ DeviceIndex: fc.constantFrom(0, 1, 2), InstanceId: fc.constantFrom('i-0', 'i-1', 'i-2') }, { requiredKeys: [] });
    const eni = fc.record({ NetworkInterfaceId: fc.constantFrom('eni-0', 'eni-1', 'eni-2'), Attachment: attachment }, { requiredKeys: ['NetworkInterfaceId'] });
    const instances = fc.array(fc.record({ InstanceId: fc.constantFrom('i-0', 'i-1', 'i-2', 'i-3'), NetworkInterfaces: fc.array(eni, { maxLength: 3 }) }), { maxLength: 5 });
    fc.assert(fc.property(instances, fc.array(eni, { maxLength: 6 }), (instances, interfaces) => {
      const owners = eniOwners({ instances, interfaces } as unknown as Parameters<typeof eniOwners>[0]);
      // The former per-route scans, as the oracle.
      const scan = (id: string, fits: (d: number | undefined) => boolean, fitsIface: (d: number | undefined) => boolean) =>
        instances.find((i) => i.NetworkInterfaces.some((e) => e.NetworkInterfaceId === id && fits(e.Attachment?.DeviceIndex)))?.InstanceId
        ?? interfaces.find((e) => e.NetworkInterfaceId === id && fitsIface(e.Attachment?.DeviceIndex))?.Attachment?.InstanceId;
      for (const id of ['eni-0', 'eni-1', 'eni-2', 'eni-9']) {
        expect(owners.primary(id)).toBe(scan(id, (d) => (d ?? 0) === 0, (d) => d === 0));
        expect(owners.secondary(id)).toBe(scan(id, (d) => (d ?? 0) > 0, (d) => (d ?? 0) > 0));
      }
    }), { numRuns: 300 });
  });
});
