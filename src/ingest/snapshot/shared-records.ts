/**
 * Objects listed by more than one account or file of a multi-account snapshot:
 * a VPC shared through AWS RAM appears in the owner's and each participant's
 * describe-vpcs / describe-subnets (VPC user guide, "Share your VPC with other
 * accounts": participants see the shared subnets and their VPC), and a
 * recording may hold the same output twice. One record per id is kept: the
 * first one read; a later view that differs in more than tags and owner
 * fields is noted as a warning, never merged silently.
 */
import type { VendorRecords } from './collect-docs.js';
import type { SnapshotNotes } from './notes.js';

type Keyed = { file: string } & Record<string, unknown>;

const KINDS = [
  ['vpcs', 'VpcId'],
  ['subnets', 'SubnetId'],
  ['routeTables', 'RouteTableId'],
  ['networkAcls', 'NetworkAclId'],
  ['securityGroups', 'GroupId'],
  ['internetGateways', 'InternetGatewayId'],
  ['natGateways', 'NatGatewayId'],
  ['instances', 'InstanceId'],
  ['interfaces', 'NetworkInterfaceId'],
] as const;

/** What two views of one object may differ in: each account's own labels. */
const VIEW_FIELDS = new Set(['file', 'Tags', 'OwnerId', 'RequesterId', 'IsDefault']);

function comparable(x: Keyed): string {
  return JSON.stringify(Object.keys(x).filter((k) => !VIEW_FIELDS.has(k)).sort().map((k) => [k, x[k]]));
}

/** Keeps one record per id in each list of `r` (in place). */
export function keepOnePerId(r: VendorRecords, notes: SnapshotNotes): void {
  for (const [kind, key] of KINDS) {
    const list = r[kind] as unknown as Keyed[];
    const seen = new Map<string, Keyed>();
    const kept: Keyed[] = [];
    for (const x of list) {
      const id = x[key];
      if (typeof id !== 'string') { kept.push(x); continue; }
      const first = seen.get(id);
      if (!first) { seen.set(id, x); kept.push(x); continue; }
      if (comparable(first) === comparable(x)) notes.derive(`${id} (one object)`, `listed more than once: ${first.file} and ${x.file}`);
      else notes.warn(`${id} is listed again with different content; the view in ${first.file} is used`, x.file);
    }
    // In place, without spreading `kept` into splice() (that overflows the stack past ~120,000 records).
    if (kept.length === list.length) continue;
    list.length = 0;
    for (const x of kept) list.push(x);
  }
}
