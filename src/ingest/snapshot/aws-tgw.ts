/**
 * Maps the transit gateway records of a snapshot onto the model: gateways,
 * their VPC, peering and other attachments, and each route table's routes from
 * whichever outputs the snapshot holds:
 * - `search-transit-gateway-routes` (all routes of one table), or
 * - per-table static routes plus per-table propagations (Batfish's recordings).
 *
 * A table whose routes are not all in the snapshot is marked `incomplete`
 * (with what is missing), so that traces answer `unknown` rather than `no-route`.
 * An attachment listed by several accounts (a shared gateway, or both ends of a
 * peering attachment, which carry the same id) is one attachment per gateway.
 */
import type { EstateInput } from '../../model/estate.js';
import type { AwsTgwRoute } from '../aws/describe-transit-gateways.js';
import type { VendorRecords } from './collect-docs.js';
import type { SnapshotNotes } from './notes.js';
import { ipv4Cidr } from './ipv4-cidr.js';

type Tgws = NonNullable<EstateInput['transitGateways']>;
type Attachment = NonNullable<Tgws[number]['attachments']>[number];
type TgwRouteIn = NonNullable<NonNullable<Tgws[number]['routeTables']>[number]['routes']>[number];

interface AttachmentDraft {
  id: string;
  tgw: string;
  target: { vpc: string } | { peerTgw: string } | { other: string };
  subnets: Set<string>;
  routeTable?: string;
  state: string;
  /** True once a describe-transit-gateway-attachments record (which carries `Association`) was read. */
  associationRead: boolean;
  /** `Options.SecurityGroupReferencingSupport` of a describe-transit-gateway-vpc-attachments record, when read. */
  sgReferencing?: boolean;
}

export function convertTgws(r: VendorRecords, vpcIds: Set<string>, subnetIds: Set<string>, notes: SnapshotNotes): Tgws {
  const ids = new Set([...r.transitGateways.map((g) => g.id), ...r.tgwAttachments.map((a) => a.TransitGatewayId), ...r.tgwRouteTables.map((t) => t.tgw)]);
  const attachments = new Map<string, AttachmentDraft>();
  for (const a of r.tgwAttachments) {
    const key = `${a.TransitGatewayId} ${a.TransitGatewayAttachmentId}`;
    const vpc = a.VpcId ?? (a.ResourceType === 'vpc' ? a.ResourceId : undefined);
    let target: AttachmentDraft['target'];
    if (vpc) {
      if (!vpcIds.has(vpc)) { notes.warn(`${a.TransitGatewayAttachmentId} attaches ${vpc}, which is unknown; attachment ignored`, a.file); continue; }
      target = { vpc };
    } else if (a.ResourceType === 'peering' && a.ResourceId?.startsWith('tgw-')) {
      target = { peerTgw: a.ResourceId };
    } else {
      target = { other: `${a.ResourceType ?? 'unknown type'} ${a.ResourceId ?? ''}`.trim() };
      notes.ignore(`${a.TransitGatewayAttachmentId} (${target.other})`, 'this attachment type is not modelled: routes to it say unknown', a.file);
    }
    const e = attachments.get(key) ?? { id: a.TransitGatewayAttachmentId, tgw: a.TransitGatewayId, target, subnets: new Set<string>(), state: a.State ?? 'available', associationRead: false };
    // describe-transit-gateway-attachments records carry ResourceType (and Association when there is one);
    // describe-transit-gateway-vpc-attachments records carry neither, so they say nothing about the association.
    if (a.ResourceType !== undefined) e.associationRead = true;
    for (const s of a.SubnetIds ?? []) if (subnetIds.has(s)) e.subnets.add(s);
    const sgRef = a.Options?.SecurityGroupReferencingSupport;
    if (sgRef) e.sgReferencing = sgRef === 'enable';
    if (a.Association && (!a.Association.State || a.Association.State === 'associated')) e.routeTable = a.Association.TransitGatewayRouteTableId;
    attachments.set(key, e);
  }
  for (const id of [...ids]) for (const a of attachments.values()) if ('peerTgw' in a.target && a.tgw === id && !ids.has(a.target.peerTgw)) ids.add(a.target.peerTgw);

  return [...ids].map((id) => {
    const mine = [...attachments.values()].filter((a) => a.tgw === id);
    const known = new Set(mine.map((a) => a.id));
    const tables = r.tgwRouteTables.filter((t) => t.tgw === id).map((t) => convertTable(t, r, known, notes));
    const tableIds = new Set(tables.map((t) => t.id));
    const atts: Attachment[] = mine.map((a) => {
      let unknown: string | undefined;
      if (a.routeTable && !tableIds.has(a.routeTable)) unknown = `it is associated with ${a.routeTable}, which is not in the snapshot`;
      else if (!a.associationRead) unknown = 'no describe-transit-gateway-attachments output lists it (describe-transit-gateway-vpc-attachments has no association)';
      if (unknown) notes.warn(`${a.id}: ${unknown}; traces entering the gateway by it say unknown`);
      return {
        id: a.id, ...a.target, subnets: [...a.subnets], state: a.state,
        ...(a.routeTable && tableIds.has(a.routeTable) ? { routeTable: a.routeTable } : {}), ...(unknown ? { associationUnknown: unknown } : {}),
        ...(a.sgReferencing !== undefined ? { securityGroupReferencing: a.sgReferencing } : {}),
      };
    });
    if (!r.transitGateways.some((g) => g.id === id) && !r.tgwRouteTables.some((t) => t.tgw === id)) {
      notes.derive(`transit gateway ${id}`, 'named by attachments only; its route tables are not in the snapshot');
    }
    // The gateway's option; AWS's default (disable) when no output states it.
    const sgRef = r.transitGateways.find((g) => g.id === id && g.securityGroupReferencing !== undefined)?.securityGroupReferencing;
    return { id, attachments: atts, routeTables: tables, ...(sgRef !== undefined ? { securityGroupReferencing: sgRef } : {}) };
  });
}

function convertTable(t: VendorRecords['tgwRouteTables'][number], r: VendorRecords, attachments: Set<string>, notes: SnapshotNotes) {
  const outputs = r.tgwRoutes.filter((x) => x.table === t.id);
  const full = outputs.find((x) => !x.only);
  const staticOnly = outputs.find((x) => x.only === 'static');
  const props = r.tgwPropagations.find((x) => x.table === t.id);
  const missing: string[] = [];
  const propagations = new Set<string>();
  const routes: TgwRouteIn[] = [];
  const source = full ?? staticOnly;
  if (!source) missing.push('no route output (search-transit-gateway-routes or static routes) is in the snapshot');
  else if (source.more) missing.push(`${source.file} says more routes are available than it holds`);
  if (!full && !props) missing.push('its propagations (get-transit-gateway-route-table-propagations) are not in the snapshot');
  for (const route of source?.routes ?? []) readRoute(t.id, route, source!.file, r, attachments, routes, propagations, missing, notes);
  for (const p of props?.propagations ?? []) {
    if (p.State && p.State !== 'enabled') continue;
    if (attachments.has(p.TransitGatewayAttachmentId)) propagations.add(p.TransitGatewayAttachmentId);
    else missing.push(`it learns routes from ${p.TransitGatewayAttachmentId} (${p.ResourceType ?? 'unknown type'}), which is not in the snapshot`);
  }
  const incomplete = missing.length ? missing.join('; ') : undefined;
  if (incomplete) notes.warn(`${t.id}: its routes are not all known (${incomplete}); traces that find no route there say unknown`, t.file);
  return { id: t.id, propagations: [...propagations], routes, ...(incomplete ? { incomplete } : {}) };
}

function readRoute(
  table: string, route: AwsTgwRoute, file: string, r: VendorRecords, attachments: Set<string>,
  routes: TgwRouteIn[], propagations: Set<string>, missing: string[], notes: SnapshotNotes,
): void {
  const att = route.TransitGatewayAttachments[0]?.TransitGatewayAttachmentId;
  let destinations: { destination: string; prefixList?: string }[];
  if (route.PrefixListId) {
    const entries = r.prefixLists.get(route.PrefixListId);
    if (!entries) { missing.push(`the entries of prefix list ${route.PrefixListId} (a route of it) are not in the snapshot`); return; }
    destinations = entries.flatMap((c) => ipv4Cidr(c, table, notes, file) ?? []).map((d) => ({ destination: d, prefixList: route.PrefixListId! }));
  } else {
    const d = ipv4Cidr(route.DestinationCidrBlock, table, notes, file);
    if (!d) return;
    destinations = [{ destination: d }];
  }
  if (route.State === 'blackhole') { for (const d of destinations) routes.push({ ...d, blackhole: true }); return; }
  if (route.State === 'deleted' || route.State === 'deleting') return;
  if (!att || !attachments.has(att)) {
    missing.push(`a route to ${destinations.map((d) => d.destination).join(', ')} goes to ${att ?? 'no attachment'}, which is not in the snapshot`);
    return;
  }
  if (route.Type === 'propagated' && !route.PrefixListId) propagations.add(att);
  else for (const d of destinations) routes.push({ ...d, attachment: att });
}
