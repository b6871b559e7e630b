/**
 * Steps in the AWS fabric: ENI checks, security groups (stateful), subnet
 * NACLs (stateless), route tables, peering, the internet gateway and delivery
 * to the interface that owns the destination.
 */
import { formatIpv4 } from '../net/ipv4.js';
import { contains } from '../net/prefix.js';
import type { Packet } from '../net/packet.js';
import { awsRule } from '../model/source.js';
import { checkEniEgress, checkEniIngress, ownsAddress } from '../aws/eni.js';
import { evaluateSecurityGroups, isResolverDns } from '../aws/security-group.js';
import { evaluateNacl } from '../aws/network-acl.js';
import { formatRouteTarget, lookupRoute, unresolvedFor } from '../aws/route-table.js';
import { NON_INTERNET_RANGES } from '../net/ranges.js';
import { checkPeering } from '../aws/vpc-peering.js';
import { igwEgress } from '../aws/internet-gateway.js';
import type { EniRecord, SubnetRecord, VpcRecord, World } from './world.js';
import type { SecurityGroup } from '../model/aws.js';
import type { Session, StepResult } from './state.js';
import { hop } from './hop.js';
import { noteSender, referenceMembers } from './sg-reference.js';
import { nodeIfaceOf } from './node-steps.js';
import type { Hop } from './types.js';

/** The packet leaves an ENI: source/dest check, then security group egress. */
export function eniOut(w: World, session: Session, eni: EniRecord, p: Packet, hops: Hop[]): StepResult {
  noteSender(session, eni, p);
  const checked = sourceDestCheck(eni, 'egress', p, hops);
  if (checked) return checked;
  const sg = securityGroup(w, session, eni, 'egress', p, hops);
  if (sg) return sg;
  return { next: { at: 'subnet-out', eni }, packet: p };
}

/**
 * The ENI's source/dest check: a drop ends the trip; a packet that passes only
 * because the check is off gets a hop saying so (the evidence kube-up relied on).
 */
function sourceDestCheck(eni: EniRecord, direction: 'egress' | 'ingress', p: Packet, hops: Hop[]): StepResult | undefined {
  const check = direction === 'egress' ? checkEniEgress(eni, p) : checkEniIngress(eni, p);
  if (!check.ok) {
    hops.push(hop('eni', p, undefined, { at: eni.id, check: 'source-dest', direction, decision: 'drop', rule: check.rule, notes: [check.reason] }));
    return { end: { kind: 'dropped', rule: check.rule, reason: check.reason } };
  }
  const [field, address] = direction === 'egress' ? ['source', p.src] : ['destination', p.dst];
  if (!ownsAddress(eni, address)) {
    hops.push(hop('eni', p, p, { at: eni.id, check: 'source-dest', direction, decision: 'accept', notes: [`${field} ${formatIpv4(address)} is not an address of ${eni.id}; passes because its source/dest check is off`] }));
  }
  return undefined;
}

const groupIds = new WeakMap<readonly SecurityGroup[], string[]>();

/** The ids of an interface's groups, listed once per groups list (hops share the list: nobody changes it). */
function groupIdsOf(eni: EniRecord): string[] {
  let ids = groupIds.get(eni.groups);
  if (!ids || ids.length !== eni.groups.length) groupIds.set(eni.groups, (ids = eni.groups.map((g) => g.id)));
  return ids;
}

/** Security group evaluation at an ENI; returns an end when denied. Replies of admitted flows pass. */
export function securityGroup(w: World, session: Session, eni: EniRecord, direction: 'egress' | 'ingress', p: Packet, hops: Hop[]): StepResult | undefined {
  const groups = groupIdsOf(eni);
  if (isResolverDns(eni.subnet.vpc.resolver, direction, p)) {
    // Still a connection this interface opened: its answer is a reply, not a new flow (RDS and instances tell them apart).
    if (direction === 'egress') session.admitted(eni.id, p);
    hops.push(hop('security-group', p, p, {
      at: eni.id, direction, groups, decision: 'accept',
      rule: awsRule('AmazonProvidedDNS', direction, 'security groups do not filter DNS to or from the VPC resolver (VPC base + 2)'),
      notes: [`DNS ${direction === 'egress' ? 'to' : 'from'} the Amazon-provided resolver ${formatIpv4(eni.subnet.vpc.resolver)} is not filtered by security groups (AWS: Route 53 Resolver traffic cannot be blocked by them)`],
    }));
    return undefined;
  }
  if (session.isTrackedReply(eni.id, p)) {
    hops.push(hop('security-group', p, p, {
      at: eni.id, direction, groups, decision: 'accept',
      rule: awsRule(groups.join(',') || eni.id, direction, 'reply of a tracked connection'),
      notes: ['allowed as the reply of a connection the security group admitted (security groups are stateful)'],
    }));
    return undefined;
  }
  const refs = referenceMembers(w, session, eni, direction, p);
  const d = evaluateSecurityGroups(eni.groups, direction, p, refs.membersOf);
  if (!d.allowed) {
    hops.push(hop('security-group', p, undefined, { at: eni.id, direction, groups, decision: 'drop', rule: d.rule, notes: [d.rule.text, ...refs.notes] }));
    return { end: { kind: 'dropped', rule: d.rule, reason: `security group ${direction} at ${owner(eni)}: ${d.rule.text}` } };
  }
  session.admitted(eni.id, p);
  hops.push(hop('security-group', p, p, { at: eni.id, direction, groups, decision: 'accept', rule: d.rule, notes: refs.notes }));
  return undefined;
}

/** NACL evaluation for a subnet boundary crossing; returns an end when denied. */
export function nacl(subnet: SubnetRecord, direction: 'egress' | 'ingress', p: Packet, hops: Hop[]): StepResult | undefined {
  const d = evaluateNacl(subnet.acl, direction, p);
  const notes = subnet.aclDerived ? [`${subnet.subnet.id} has no NACL in the input: the VPC default NACL (allow all) is assumed`] : [];
  if (d.action === 'deny') {
    notes.push(`network ACLs are stateless: ${direction === 'ingress' ? 'inbound' : 'outbound'} rules apply to replies too`);
    hops.push(hop('nacl', p, undefined, { at: subnet.acl.id, direction, acl: subnet.acl.id, decision: 'drop', rule: d.rule, notes }));
    return { end: { kind: 'dropped', rule: d.rule, reason: `network ACL ${subnet.acl.id} (${direction}) of ${subnet.subnet.id} denies it: ${d.rule.text}` } };
  }
  hops.push(hop('nacl', p, p, { at: subnet.acl.id, direction, acl: subnet.acl.id, decision: 'accept', rule: d.rule, notes }));
  return undefined;
}

/** After the ENI: same-subnet delivery is layer 2; anything else crosses the NACL and the route table. */
export function subnetOut(w: World, eni: EniRecord, p: Packet, hops: Hop[], session?: Session): StepResult {
  const subnet = eni.subnet;
  const local = w.enis.get(p.dst);
  // Traffic to another interface in the same subnet is switched at layer 2: route
  // tables and NACLs do not apply (VPC gateway route tables doc: "Traffic destined
  // for the MAC address of another network interface in the subnet uses data link
  // (layer 2) routing"); NACLs filter traffic entering and leaving a subnet.
  if (local && local.subnet === subnet) return { next: { at: 'eni-in', eni: local, from: subnet }, packet: p };
  // Traffic to the Amazon DNS server is not filtered by network ACLs (VPC docs,
  // "Network ACL rules": Amazon DNS, DHCP and metadata traffic are exempt).
  if (p.dst === subnet.vpc.resolver) return deliverResolver(subnet.vpc, subnet, p, hops);
  const denied = nacl(subnet, 'egress', p, hops);
  if (denied) return denied;
  return routeFrom(w, subnet, p, hops, session);
}

/** The subnet's route table decides where a packet leaving the subnet goes (its NACL already passed). */
export function routeFrom(w: World, subnet: SubnetRecord, p: Packet, hops: Hop[], session?: Session): StepResult {
  const table = subnet.routeTable;
  const route = lookupRoute(table, p.dst);
  const isPublic = !NON_INTERNET_RANGES.some((r) => contains(r.prefix, p.dst));
  const open = unresolvedFor(table, p.dst, route, isPublic);
  if (open) {
    const why = `${open.prefixList} -> ${formatRouteTarget(open.target)}: the prefix list's entries are not in the input, so whether it matches ${formatIpv4(p.dst)} more specifically than ${route ? route.text : 'no route'} is not known`;
    hops.push(hop('route-table', p, undefined, { at: table.id, table: table.id, decision: 'unknown', rule: open.rule, notes: [why] }));
    return { end: { kind: 'unknown', rule: open.rule, reason: `${table.id}: ${why}` } };
  }
  const assumed = table.unresolved.length && route && route.target.kind !== 'local' && route.prefix.len < 32 && !isPublic
    ? [`assumed: the gateway endpoint prefix list(s) ${table.unresolved.map((u) => u.prefixList).join(', ')} hold only public ranges of their service, so not ${formatIpv4(p.dst)}`] : [];
  if (!route) {
    const rule = awsRule(table.id, undefined, `no route matches ${formatIpv4(p.dst)}`);
    hops.push(hop('route-table', p, undefined, { at: table.id, table: table.id, decision: 'no-route', rule, notes: [`${table.id} has no route for ${formatIpv4(p.dst)}`] }));
    return { end: { kind: 'no-route', rule, reason: `${table.id} (${subnet.subnet.id}) has no route to ${formatIpv4(p.dst)}` } };
  }
  const t = route.target;
  const routeHop = (decision: 'forward' | 'drop' | 'unknown', notes: string[] = []) =>
    hops.push(hop('route-table', p, decision === 'forward' ? p : undefined, { at: table.id, table: table.id, decision, rule: route.rule, notes: [...assumed, ...notes] }));
  switch (t.kind) {
    case 'local':
      routeHop('forward');
      return { next: { at: 'vpc-deliver', vpc: subnet.vpc, from: subnet, via: table.id }, packet: p };
    case 'blackhole':
      routeHop('drop', ['blackhole route: AWS drops the packet']);
      return { end: { kind: 'dropped', rule: route.rule, reason: `${table.id} blackholes ${route.text}` } };
    case 'instance':
    case 'eni': {
      // A route to an ENI sends the packet to that interface, whichever instance
      // port it is (VPC route tables doc, "Route table concepts": targets include
      // a network interface); an instance target means its primary interface.
      const target = t.kind === 'instance' ? w.instanceEni.get(t.id) : w.enisById.get(t.id);
      if (!target) {
        routeHop('unknown', [`target ${t.id} is not in the estate`]);
        return { end: { kind: 'unknown', rule: route.rule, reason: `${table.id} routes to ${t.id}, which the estate does not describe` } };
      }
      routeHop('forward', [`to ${owner(target)} (${formatIpv4(target.primary)})`]);
      return { next: { at: 'eni-in', eni: target, from: subnet }, packet: p };
    }
    case 'pcx': {
      routeHop('forward');
      return peering(w, subnet, t.id, p, hops);
    }
    case 'igw': {
      routeHop('forward');
      const igw = w.igws.get(t.id)!;
      const r = igwEgress(igw, p, (ip) => w.enis.get(ip)?.publicIp);
      if (!r.ok) {
        const rule = awsRule(igw.id, undefined, r.reason);
        hops.push(hop('igw', p, undefined, { at: igw.id, gateway: igw.id, decision: 'drop', rule, notes: [r.reason] }));
        return { end: { kind: 'dropped', rule, reason: `internet gateway ${igw.id}: ${r.reason}` } };
      }
      hops.push(hop('igw', p, r.packetOut, { at: igw.id, gateway: igw.id, decision: 'nat', rule: awsRule(igw.id, undefined, r.note), notes: [r.note] }));
      hops.push(hop('target', r.packetOut, undefined, { at: 'internet', endpoint: formatIpv4(p.dst), decision: 'deliver', notes: ['left AWS toward the internet'] }));
      return { end: { kind: 'delivered', endpoint: { kind: 'internet' }, packet: r.packetOut } };
    }
    case 'nat': {
      const gw = w.natGateways.get(t.id);
      if (!gw) {
        routeHop('unknown', [`NAT gateway ${t.id} is not in the estate`]);
        return { end: { kind: 'unknown', rule: route.rule, reason: `${table.id} routes to ${t.id}, which the estate does not describe` } };
      }
      routeHop('forward', [`to NAT gateway ${t.id} in ${gw.subnet.subnet.id}`]);
      return { next: { at: 'nat-gateway', eni: gw, from: subnet }, packet: p };
    }
    case 'tgw': {
      const tgw = w.transitGateways.get(t.id);
      if (!tgw) {
        routeHop('unknown', [`transit gateway ${t.id} is not in the estate`]);
        return { end: { kind: 'unknown', rule: route.rule, reason: `${table.id} routes to ${t.id}, which the estate does not describe` } };
      }
      routeHop('forward');
      return { next: { at: 'tgw', tgw, from: subnet }, packet: p };
    }
    case 'vgw':
      if (session?.entry === t.id) {
        routeHop('forward');
        hops.push(hop('vgw', p, undefined, { at: t.id, gateway: t.id, decision: 'deliver', notes: [`back out through ${t.id}, the gateway the flow came in by`] }));
        return { end: { kind: 'delivered', endpoint: { kind: 'outside', via: t.id }, packet: p } };
      }
      routeHop('unknown', [`${t.kind} targets are not modelled yet`]);
      return { end: { kind: 'unknown', rule: route.rule, reason: `${table.id} sends it to ${t.id}: ${t.kind} gateways are not modelled yet` } };
    case 'unmodelled':
      routeHop('unknown', [`the route ${route.text} wins (longest prefix, then AWS route priority), and its target kind is not modelled`]);
      return { end: { kind: 'unknown', rule: route.rule, reason: `${table.id} sends it by ${route.text}: ${unmodelledKind(t.id)} targets are not modelled` } };
  }
}

/** What an unmodelled target is, from its id. */
function unmodelledKind(id: string): string {
  if (id.startsWith('vpce-')) return 'VPC endpoint (gateway, interface or Gateway Load Balancer)';
  if (id.startsWith('eigw-')) return 'egress-only internet gateway';
  if (id.startsWith('cagw-')) return 'carrier gateway';
  if (id.startsWith('lgw-')) return 'local gateway';
  return 'Cloud WAN core network';
}

function peering(w: World, from: SubnetRecord, pcxId: string, p: Packet, hops: Hop[]): StepResult {
  const pcx = w.peerings.get(pcxId)!;
  const otherId = pcx.requester === from.vpc.vpc.id ? pcx.accepter : pcx.requester;
  const other = w.vpcs.get(otherId)!;
  if (pcx.requester !== from.vpc.vpc.id && pcx.accepter !== from.vpc.vpc.id) {
    const rule = awsRule(pcxId, undefined, `${pcxId} does not connect ${from.vpc.vpc.id}`);
    hops.push(hop('peering', p, undefined, { at: pcxId, peering: pcxId, decision: 'drop', rule, notes: [rule.text] }));
    return { end: { kind: 'dropped', rule, reason: rule.text } };
  }
  const r = checkPeering(pcx, from.vpc.vpc, other.vpc, p);
  if (!r.ok) {
    hops.push(hop('peering', p, undefined, { at: pcxId, peering: pcxId, decision: 'drop', rule: r.rule, notes: [r.reason] }));
    const resume = { loc: { at: 'vpc-deliver' as const, vpc: other, from, via: pcxId }, packet: p, assumption: `if ${pcxId} carried it` };
    return { end: { kind: 'dropped', rule: r.rule, reason: `peering ${pcxId}: ${r.reason}`, resume } };
  }
  hops.push(hop('peering', p, p, { at: pcxId, peering: pcxId, decision: 'forward', rule: r.rule, notes: [`into ${other.vpc.id}`] }));
  return { next: { at: 'vpc-deliver', vpc: other, from, via: pcxId }, packet: p };
}

/**
 * Traffic from a VPN enters the VPC through its virtual private gateway. The
 * gateway routes to the VPC's own CIDR blocks only (it advertises them to the
 * VPN; Site-to-Site VPN guide, "Route tables and VPN route priority"), so a
 * destination outside them (a public address) has no route; inside, the local
 * route delivers it, NACL and security group of the destination applying.
 * Assumed: no gateway route table (edge association) on the gateway.
 */
export function vgwIn(w: World, gateway: string, vpc: VpcRecord, p: Packet, hops: Hop[]): StepResult {
  if (!inVpc(vpc, p.dst)) {
    const rule = awsRule(gateway, undefined, `no route to ${formatIpv4(p.dst)}`);
    const reason = `${gateway} routes only to ${vpc.vpc.id}'s CIDR blocks (${vpc.vpc.cidrBlocks.join(', ')}), not to ${formatIpv4(p.dst)}`;
    hops.push(hop('vgw', p, undefined, { at: gateway, gateway, decision: 'no-route', rule, notes: [reason] }));
    return { end: { kind: 'no-route', rule, reason } };
  }
  const notes = [`into ${vpc.vpc.id} by its local route (assumed: no gateway route table is associated with ${gateway})`];
  hops.push(hop('vgw', p, p, { at: gateway, gateway, decision: 'forward', rule: awsRule(gateway, undefined, `local route of ${vpc.vpc.id}`), notes }));
  return { next: { at: 'vpc-deliver', vpc, via: gateway }, packet: p };
}

/** Delivery inside a VPC to the interface that owns the destination address. */
export function vpcDeliver(w: World, vpc: VpcRecord, from: SubnetRecord | undefined, via: string, p: Packet, hops: Hop[]): StepResult {
  const target = w.enis.get(p.dst);
  if (target && target.subnet.vpc === vpc) return { next: { at: 'eni-in', eni: target, from }, packet: p };
  if (p.dst === vpc.resolver) return deliverResolver(vpc, from, p, hops);
  const reason = `no network interface in ${vpc.vpc.id} has ${formatIpv4(p.dst)} (arrived via ${via}); nothing answers`;
  hops.push(hop('target', p, undefined, { at: vpc.vpc.id, endpoint: formatIpv4(p.dst), decision: 'drop', notes: [reason] }));
  return { end: { kind: 'dropped', reason } };
}

/**
 * A ping to a managed endpoint (RDS, the VPC resolver): AWS documents no ICMP
 * echo replies from either and operators report none, so the request is
 * taken to go unanswered (an assumption, stated), not refused: the client
 * times out. The lab's emulation agrees (test/lab).
 */
function unansweredPing(endpoint: string, at: string, p: Packet, hops: Hop[]): StepResult {
  const reason = `${endpoint} does not answer ping (assumed: AWS documents no ICMP echo reply from managed endpoints)`;
  hops.push(hop('target', p, undefined, { at, endpoint, decision: 'drop', notes: [reason] }));
  return { end: { kind: 'dropped', reason } };
}

/** The Amazon-provided DNS server (VPC base + 2) answers DNS from inside its own VPC only. */
function deliverResolver(vpc: VpcRecord, from: SubnetRecord | undefined, p: Packet, hops: Hop[]): StepResult {
  const endpoint = `AmazonProvidedDNS ${formatIpv4(vpc.resolver)} (${vpc.vpc.id})`;
  if (!from || from.vpc !== vpc) {
    const reason = `${endpoint} answers only queries from inside ${vpc.vpc.id}`;
    hops.push(hop('target', p, undefined, { at: vpc.vpc.id, endpoint, decision: 'drop', notes: [reason] }));
    return { end: { kind: 'dropped', reason } };
  }
  if (p.proto === 'icmp') return unansweredPing(endpoint, vpc.vpc.id, p, hops);
  if (p.dport !== 53) {
    const reason = `${endpoint} listens only on port 53`;
    hops.push(hop('target', p, undefined, { at: vpc.vpc.id, endpoint, decision: 'reject', notes: [reason] }));
    return { end: { kind: 'rejected', reason } };
  }
  hops.push(hop('target', p, undefined, { at: vpc.vpc.id, endpoint, decision: 'deliver', notes: ['the VPC resolver answers'] }));
  return { end: { kind: 'delivered', endpoint: { kind: 'vpc-resolver', vpc }, packet: p } };
}

/** The resolver's answer goes straight to the asking interface (no NACL: see deliverResolver). */
export function resolverReply(w: World, vpc: VpcRecord, p: Packet): StepResult {
  const target = w.enis.get(p.dst);
  if (target && target.subnet.vpc === vpc) return { next: { at: 'eni-in', eni: target, skipNacl: true }, packet: p };
  return { end: { kind: 'dropped', reason: `no interface in ${vpc.vpc.id} has ${formatIpv4(p.dst)}` } };
}

/** The packet enters an ENI: subnet NACL when it crosses the subnet boundary, SG ingress, source/dest check. */
export function eniIn(w: World, session: Session, eni: EniRecord, from: SubnetRecord | undefined, skipNacl: boolean, p: Packet, hops: Hop[]): StepResult {
  // A reply to a connection this interface opened (its SG admitted the request on the way out).
  const replyToClient = session.isTrackedReply(eni.id, p);
  // A NAT gateway has no security group: its own step handles NACL and translation.
  if (eni.owner.kind === 'nat-gateway') return { next: { at: 'nat-gateway', eni, from: skipNacl ? eni.subnet : from }, packet: p };
  if (from !== eni.subnet && !skipNacl) {
    const denied = nacl(eni.subnet, 'ingress', p, hops);
    if (denied) return denied;
  }
  const sg = securityGroup(w, session, eni, 'ingress', p, hops);
  if (sg) return sg;
  const checked = sourceDestCheck(eni, 'ingress', p, hops);
  if (checked) return checked;
  if (eni.owner.kind === 'rds') {
    const rds = eni.owner.rds;
    const endpoint = `rds:${rds.id} ${rds.address}:${rds.port}`;
    if (replyToClient) {
      hops.push(hop('target', p, undefined, { at: rds.id, endpoint, decision: 'deliver', notes: ['the reply of a connection RDS opened'] }));
      return { end: { kind: 'delivered', endpoint: { kind: 'rds', eni }, packet: p } };
    }
    if (p.proto === 'icmp') return unansweredPing(endpoint, rds.id, p, hops);
    if (p.proto !== 'tcp' || p.dport !== rds.port) {
      const reason = `RDS ${rds.id} listens only on tcp/${rds.port}`;
      hops.push(hop('target', p, undefined, { at: rds.id, endpoint, decision: 'reject', notes: [reason] }));
      return { end: { kind: 'rejected', reason } };
    }
    hops.push(hop('target', p, undefined, { at: rds.id, endpoint, decision: 'deliver', notes: [`${rds.engine} accepts the connection`] }));
    return { end: { kind: 'delivered', endpoint: { kind: 'rds', eni }, packet: p } };
  }
  if (eni.owner.kind !== 'instance') throw new Error(`unexpected owner of ${eni.id}`);
  const node = w.nodeByInstance.get(eni.owner.instance.id);
  if (node) {
    const iface = nodeIfaceOf(node, eni);
    if (iface) return { next: { at: 'node-in', node, iface: iface.name }, packet: p };
    const reason = `${eni.id} (device index ${eni.deviceIndex}) of ${node.node.name}: no node interface could be matched to it (no MAC or address in ip addr, and no connected, local or broadcast route with its address)`;
    hops.push(hop('target', p, undefined, { at: node.node.name, endpoint: `node:${node.node.name}`, decision: 'unknown', notes: [reason] }));
    return { end: { kind: 'unknown', reason } };
  }
  hops.push(hop('target', p, undefined, { at: eni.owner.instance.id, endpoint: `instance:${eni.owner.instance.id}`, decision: 'deliver', notes: [] }));
  return { end: { kind: 'delivered', endpoint: { kind: 'instance', eni }, packet: p } };
}

/** A reply from the internet: the IGW maps the public address back to the private one. */
export function internetIn(w: World, p: Packet, hops: Hop[]): StepResult {
  const eni = publicIndex(w).get(p.dst);
  if (!eni || !eni.subnet.vpc.igw) {
    hops.push(hop('target', p, undefined, { at: 'internet', endpoint: formatIpv4(p.dst), decision: 'drop', notes: ['no interface owns this public address'] }));
    return { end: { kind: 'dropped', reason: `no interface has public address ${formatIpv4(p.dst)}` } };
  }
  const igw = eni.subnet.vpc.igw;
  const q = { ...p, dst: eni.primary };
  const note = `public ${formatIpv4(p.dst)} -> private ${formatIpv4(eni.primary)}`;
  hops.push(hop('igw', p, q, { at: igw.id, gateway: igw.id, decision: 'nat', rule: awsRule(igw.id, undefined, note), notes: [note] }));
  return { next: { at: 'eni-in', eni }, packet: q };
}

const publicIndexes = new WeakMap<World, Map<number, EniRecord>>();

/** Interfaces by public IPv4 address (built once per world). */
function publicIndex(w: World): Map<number, EniRecord> {
  let index = publicIndexes.get(w);
  if (!index) {
    index = new Map();
    for (const e of w.enis.values()) if (e.publicIp !== undefined) index.set(e.publicIp, e);
    publicIndexes.set(w, index);
  }
  return index;
}

/** A readable name for an ENI's owner. */
export function owner(eni: EniRecord): string {
  const o = eni.owner;
  return o.kind === 'rds' ? `rds:${o.rds.id}` : o.kind === 'nat-gateway' ? `nat-gateway:${o.nat.id}` : `instance:${o.instance.id}`;
}

/** True when `ip` is inside one of the VPC's CIDR blocks. */
export function inVpc(vpc: VpcRecord, ip: number): boolean {
  return vpc.blocks.some((b) => contains(b, ip));
}
