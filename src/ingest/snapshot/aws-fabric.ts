/**
 * Maps AWS vendor records of the fabric (VPCs, subnets, route tables,
 * gateways, peerings, transit gateways) onto the model. Cross references that
 * the snapshot cannot resolve become warnings with an explicit marker: a VPC
 * known only from route tables or peerings is derived from their CIDRs; an
 * internet gateway named by a route is derived as attached to that VPC; a
 * route to a target the snapshot does not describe points at an unresolved
 * `eni-` target that traces report as unknown.
 */
import type { EstateInput } from '../../model/estate.js';
import { PodpathError } from '../../model/errors.js';
import { isIpv6 } from '../../net/ipv4.js';
import { nameTag } from '../aws/common.js';
import type { AwsRoute } from '../aws/describe-route-tables.js';
import type { VendorRecords } from './collect-docs.js';
import type { SnapshotNotes } from './notes.js';
import { convertTgws } from './aws-tgw.js';
import { ipv4Cidr } from './ipv4-cidr.js';
import { eniOwners, type EniOwners } from './eni-owners.js';

type In<K extends keyof EstateInput> = NonNullable<EstateInput[K]>;
export interface Fabric {
  vpcs: In<'vpcs'>;
  subnets: In<'subnets'>;
  routeTables: In<'routeTables'>;
  peerings: In<'peerings'>;
  internetGateways: In<'internetGateways'>;
  natGateways: In<'natGateways'>;
  transitGateways: In<'transitGateways'>;
}

export { ipv4Cidr };

export function convertFabric(r: VendorRecords, notes: SnapshotNotes): Fabric {
  const vpcs: In<'vpcs'> = [];
  for (const v of r.vpcs) {
    const assoc = (v.CidrBlockAssociationSet ?? []).filter((a) => !a.CidrBlockState || a.CidrBlockState.State === 'associated').map((a) => a.CidrBlock);
    const blocks = [...new Set([v.CidrBlock, ...assoc])];
    for (const a of v.Ipv6CidrBlockAssociationSet ?? []) if (a.Ipv6CidrBlock) ipv4Cidr(a.Ipv6CidrBlock, v.VpcId, notes, v.file);
    vpcs.push({ id: v.VpcId, name: nameTag(v.Tags), cidrBlocks: blocks });
  }
  deriveVpcs(r, vpcs, notes);
  const vpcIds = new Set(vpcs.map((v) => v.id));

  const tableOfSubnet = new Map<string, string>();
  for (const t of r.routeTables) for (const a of t.Associations) if (a.SubnetId) tableOfSubnet.set(a.SubnetId, t.RouteTableId);
  const aclOfSubnet = new Map<string, string>();
  for (const a of r.networkAcls) for (const s of a.Associations) if (s.SubnetId) aclOfSubnet.set(s.SubnetId, a.NetworkAclId);
  const mains = new Set(r.routeTables.filter((t) => t.Associations.some((a) => a.Main)).map((t) => t.VpcId));

  const subnets: In<'subnets'> = [];
  for (const s of r.subnets) {
    for (const a of s.Ipv6CidrBlockAssociationSet ?? []) if (a.Ipv6CidrBlock) ipv4Cidr(a.Ipv6CidrBlock, s.SubnetId, notes, s.file);
    if (!s.CidrBlock) { notes.ignore(s.SubnetId, 'IPv6-only subnet: IPv6 traces are unknown for now', s.file); continue; }
    if (!vpcIds.has(s.VpcId)) { notes.warn(`${s.SubnetId} is in ${s.VpcId}, which the snapshot does not describe; subnet ignored`, s.file); continue; }
    const routeTable = tableOfSubnet.get(s.SubnetId);
    if (!routeTable && !mains.has(s.VpcId)) { notes.warn(`${s.SubnetId} has no route table association and ${s.VpcId}'s main route table is not in the snapshot; subnet ignored`, s.file); continue; }
    const networkAcl = aclOfSubnet.get(s.SubnetId);
    if (!networkAcl && r.networkAcls.length) notes.warn(`${s.SubnetId} is associated with no network ACL in the snapshot: allow-all default assumed`, s.file);
    subnets.push({
      id: s.SubnetId, vpc: s.VpcId, cidr: s.CidrBlock, name: nameTag(s.Tags), ...(routeTable ? { routeTable } : {}), ...(networkAcl ? { networkAcl } : {}),
      ...(s.AvailabilityZone ? { availabilityZone: s.AvailabilityZone } : {}),
    });
  }
  const subnetIds = new Set(subnets.map((s) => s.id));

  const internetGateways: In<'internetGateways'> = [];
  for (const g of r.internetGateways) {
    const att = g.Attachments.find((a) => vpcIds.has(a.VpcId) && (!a.State || a.State === 'available' || a.State === 'attached'));
    if (att) internetGateways.push({ id: g.InternetGatewayId, vpc: att.VpcId });
    else notes.ignore(g.InternetGatewayId, 'not attached to a VPC of the snapshot', g.file);
  }

  const peerings: In<'peerings'> = [];
  for (const p of mergePeeringViews(r.peerings, notes)) {
    const [a, b] = [p.RequesterVpcInfo.VpcId, p.AccepterVpcInfo.VpcId];
    if (!vpcIds.has(a) || !vpcIds.has(b)) {
      const what = `${p.VpcPeeringConnectionId} joins ${a} and ${b}, and one of them is unknown`;
      if (p.Status.Code === 'active') notes.warn(`${what}; peering ignored`, p.file);
      else notes.ignore(`${p.VpcPeeringConnectionId} (${p.Status.Code})`, `${what}; it carries no traffic`, p.file);
      continue;
    }
    peerings.push({ id: p.VpcPeeringConnectionId, requester: a, accepter: b, status: peeringStatus(p.Status.Code, p.VpcPeeringConnectionId, notes, p.file) });
  }

  const natGateways: In<'natGateways'> = [];
  for (const g of r.natGateways) {
    const addr = g.NatGatewayAddresses.find((x) => x.IsPrimary) ?? g.NatGatewayAddresses[0];
    if (!subnetIds.has(g.SubnetId) || !addr?.PrivateIp) { notes.warn(`${g.NatGatewayId}: its subnet ${g.SubnetId} or its private address is not in the snapshot; NAT gateway ignored`, g.file); continue; }
    const state = ['pending', 'failed', 'available', 'deleting', 'deleted'].includes(g.State ?? 'available') ? (g.State ?? 'available') : 'failed';
    natGateways.push({
      id: g.NatGatewayId, subnet: g.SubnetId, privateIp: addr.PrivateIp, ...(addr.PublicIp ? { publicIp: addr.PublicIp } : {}),
      connectivity: g.ConnectivityType ?? 'public', state: state as 'available',
    });
  }

  const transitGateways = convertTgws(r, vpcIds, subnetIds, notes);
  const known = {
    pcx: new Set(peerings.map((p) => p.id)), nat: new Set(natGateways.map((g) => g.id)), tgw: new Set(transitGateways.map((g) => g.id)),
    i: new Set(r.instances.filter((i) => i.SubnetId && i.PrivateIpAddress).map((i) => i.InstanceId)), igw: new Set(internetGateways.map((g) => g.id)),
  };
  const routeTables: In<'routeTables'> = [];
  const owners = eniOwners(r);
  for (const t of r.routeTables) {
    if (!vpcIds.has(t.VpcId)) { notes.warn(`${t.RouteTableId} is in ${t.VpcId}, which is unknown; route table ignored`, t.file); continue; }
    const routes: In<'routeTables'>[number]['routes'] = [];
    const unresolved: { prefixList: string; target: string }[] = [];
    t.Routes.forEach((route, i) => {
      const where = `${t.RouteTableId} route ${i}`;
      const target = routeTarget(route, t.VpcId, where, owners, known, internetGateways, notes, t.file);
      if (!target) return;
      // Origin (describe-route-tables): CreateRouteTable (local), CreateRoute (static), EnableVgwRoutePropagation (propagated).
      const origin = route.Origin === 'EnableVgwRoutePropagation' ? { origin: 'propagated' as const } : {};
      const pl = route.DestinationPrefixListId ? { prefixList: route.DestinationPrefixListId } : {};
      if (route.DestinationPrefixListId && !r.prefixLists.has(route.DestinationPrefixListId)) {
        notes.warn(`${where}: prefix list ${route.DestinationPrefixListId} has no entries in the snapshot (describe-managed-prefix-lists / get-managed-prefix-list-entries); a lookup this route could win answers unknown`, t.file);
        unresolved.push({ prefixList: route.DestinationPrefixListId, target });
        return;
      }
      for (const destination of routeDestinations(route, where, r, notes, t.file)) routes.push({ destination, target, ...origin, ...pl });
    });
    routeTables.push({ id: t.RouteTableId, vpc: t.VpcId, main: t.Associations.some((a) => a.Main === true), routes, ...(unresolved.length ? { unresolved } : {}) });
  }
  return { vpcs, subnets, routeTables, peerings, internetGateways, natGateways, transitGateways };
}

/** VPCs the snapshot names but does not describe, derived from local routes and peering CIDRs. */
function deriveVpcs(r: VendorRecords, vpcs: In<'vpcs'>, notes: SnapshotNotes): void {
  const have = new Set(vpcs.map((v) => v.id));
  const blocks = new Map<string, { cidrs: Set<string>; from: Set<string> }>();
  const add = (vpc: string, cidr: string | undefined, from: string) => {
    if (have.has(vpc) || !cidr || isIpv6(cidr.split('/')[0] ?? '')) return;
    const e = blocks.get(vpc) ?? { cidrs: new Set(), from: new Set() };
    e.cidrs.add(cidr);
    e.from.add(from);
    blocks.set(vpc, e);
  };
  for (const t of r.routeTables) for (const route of t.Routes) if (route.GatewayId === 'local') add(t.VpcId, route.DestinationCidrBlock, `${t.RouteTableId}'s local route`);
  for (const p of r.peerings) {
    for (const info of [p.RequesterVpcInfo, p.AccepterVpcInfo]) {
      for (const c of info.CidrBlockSet?.map((x) => x.CidrBlock) ?? [info.CidrBlock]) add(info.VpcId, c, `${p.VpcPeeringConnectionId}'s VPC info`);
    }
  }
  for (const [id, e] of blocks) {
    vpcs.push({ id, cidrBlocks: [...e.cidrs] });
    notes.derive(`VPC ${id} (${[...e.cidrs].join(', ')})`, `not in describe-vpcs; CIDR blocks from ${[...e.from].join(', ')}`);
  }
}

/**
 * One record per peering connection. A cross-account (or cross-region) peering
 * is listed by describe-vpc-peering-connections in both accounts, each with its
 * own side's view (tags, peering options); the connection, its two VPCs and its
 * status are the same (VPC Peering guide, "VPC peering connections": the
 * requester and the accepter see one pcx- id). Two views that disagree on the
 * VPCs are an error; on the status, the one that carries no traffic is kept.
 */
function mergePeeringViews(list: VendorRecords['peerings'], notes: SnapshotNotes): VendorRecords['peerings'] {
  const byId = new Map<string, VendorRecords['peerings'][number]>();
  for (const p of list) {
    const seen = byId.get(p.VpcPeeringConnectionId);
    if (!seen) { byId.set(p.VpcPeeringConnectionId, p); continue; }
    const ends = (x: typeof p) => `${x.RequesterVpcInfo.VpcId} -> ${x.AccepterVpcInfo.VpcId}`;
    if (ends(seen) !== ends(p)) {
      throw new PodpathError('PP_SCHEMA', `${p.VpcPeeringConnectionId} joins ${ends(p)} here but ${ends(seen)} in ${seen.file}`, { file: p.file });
    }
    if (seen.Status.Code !== p.Status.Code) {
      const kept = seen.Status.Code === 'active' ? p : seen;
      notes.warn(`${p.VpcPeeringConnectionId} is ${seen.Status.Code} in ${seen.file} but ${p.Status.Code} here: read as ${kept.Status.Code}`, p.file);
      byId.set(p.VpcPeeringConnectionId, kept);
    }
    notes.derive(`${p.VpcPeeringConnectionId} (one connection)`, `listed by both accounts: ${seen.file} and ${p.file}`);
  }
  return [...byId.values()];
}

function peeringStatus(code: string, id: string, notes: SnapshotNotes, file: string) {
  const same = ['active', 'pending-acceptance', 'rejected', 'deleted', 'failed', 'expired'] as const;
  if ((same as readonly string[]).includes(code)) return code as (typeof same)[number];
  const mapped = code === 'deleting' ? 'deleted' : 'pending-acceptance';
  notes.warn(`${id} is ${code}: read as ${mapped} (not active, carries no traffic)`, file);
  return mapped;
}

/** The model target of a route, or undefined when the route is set aside. */
function routeTarget(
  route: AwsRoute, vpc: string, where: string, owners: EniOwners, known: Record<'pcx' | 'nat' | 'tgw' | 'i' | 'igw', Set<string>>,
  igws: In<'internetGateways'>, notes: SnapshotNotes, file: string,
): string | undefined {
  const original = route.GatewayId ?? route.NatGatewayId ?? route.VpcPeeringConnectionId ?? route.TransitGatewayId ?? route.InstanceId ?? route.NetworkInterfaceId;
  if (route.State === 'blackhole') {
    notes.derive(`${where} -> blackhole`, `State blackhole: its target ${original ?? '(none)'} no longer exists, so AWS drops what it matches`);
    return 'blackhole';
  }
  const unresolved = (id: string, kind: string) => {
    notes.warn(`${where}: ${kind} ${id} is not in the snapshot; traces that take this route say unknown`, file);
    return `eni-unresolved-${id}`;
  };
  const gw = route.GatewayId;
  if (gw === 'local') return 'local';
  if (gw?.startsWith('igw-')) {
    if (!known.igw.has(gw)) {
      igws.push({ id: gw, vpc });
      known.igw.add(gw);
      notes.derive(`internet gateway ${gw} attached to ${vpc}`, `${where} sends traffic to it (AWS requires it attached to the table's VPC)`);
    }
    return gw;
  }
  if (gw?.startsWith('vgw-')) return gw;
  if (route.NatGatewayId) return known.nat.has(route.NatGatewayId) ? route.NatGatewayId : unresolved(route.NatGatewayId, 'NAT gateway');
  if (route.VpcPeeringConnectionId) return known.pcx.has(route.VpcPeeringConnectionId) ? route.VpcPeeringConnectionId : unresolved(route.VpcPeeringConnectionId, 'peering connection');
  if (route.TransitGatewayId) return known.tgw.has(route.TransitGatewayId) ? route.TransitGatewayId : unresolved(route.TransitGatewayId, 'transit gateway');
  if (route.InstanceId) return known.i.has(route.InstanceId) ? route.InstanceId : unresolved(route.InstanceId, 'instance');
  if (route.NetworkInterfaceId) {
    const id = route.NetworkInterfaceId;
    const owner = owners.primary(id);
    if (owner && known.i.has(owner)) return owner;
    // A secondary interface (device index 1 and up) of an instance in the snapshot: the route names that ENI.
    const secondaryOf = owners.secondary(id);
    if (secondaryOf && known.i.has(secondaryOf)) return id;
    notes.warn(`${where}: network interface ${id} is not an interface of an instance in the snapshot; traces that take this route say unknown`, file);
    return id;
  }
  // Kept, so that longest-prefix match and route priority pick them as AWS does; traces that take them say unknown.
  const kept = (gw?.startsWith('vpce-') ? gw : undefined) ?? route.EgressOnlyInternetGatewayId ?? route.CarrierGatewayId ?? route.LocalGatewayId ?? route.CoreNetworkArn;
  if (kept && /^((vpce|eigw|cagw|lgw)-[A-Za-z0-9-]+|arn:aws[a-z-]*:networkmanager::\d*:core-network\/[A-Za-z0-9-]+)$/.test(kept)) {
    notes.warn(`${where} -> ${kept}: this target kind (VPC endpoint, egress-only/carrier/local gateway, Cloud WAN) is not modelled; traces that take this route say unknown`, file);
    return kept;
  }
  notes.ignore(`${where} (-> ${original ?? Object.keys(route).find((k) => k.endsWith('Id') || k.endsWith('Arn')) ?? 'unknown target'})`, 'this target is not one podpath reads', file);
  return undefined;
}

/** The IPv4 destinations of a route: its CIDR, or its prefix list's entries. */
function routeDestinations(route: AwsRoute, where: string, r: VendorRecords, notes: SnapshotNotes, file: string): string[] {
  if (route.DestinationPrefixListId) {
    const entries = r.prefixLists.get(route.DestinationPrefixListId);
    if (!entries) {
      notes.warn(`${where}: prefix list ${route.DestinationPrefixListId} has no entries in the snapshot; route ignored`, file);
      return [];
    }
    return entries.flatMap((c) => ipv4Cidr(c, where, notes, file) ?? []);
  }
  if (route.DestinationIpv6CidrBlock) {
    ipv4Cidr(route.DestinationIpv6CidrBlock, where, notes, file);
    return [];
  }
  const c = ipv4Cidr(route.DestinationCidrBlock, where, notes, file);
  return c ? [c] : [];
}
