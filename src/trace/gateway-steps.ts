/**
 * Steps at AWS gateways that translate or re-route: NAT gateways and transit
 * gateways (semantics and AWS references in src/aws/nat-gateway.ts and
 * src/aws/transit-gateway.ts).
 *
 * - NAT gateway, forward: NACL of the gateway's subnet (when the packet comes
 *   from another subnet), source translation to the gateway's private address,
 *   then the gateway's subnet route table decides (via `subnet-out`).
 * - NAT gateway, reply (a packet addressed to the gateway): translated back
 *   when it is the reverse of a translation recorded in this run, then routed
 *   from the gateway's subnet to the original client; anything else is dropped
 *   (no unsolicited inbound).
 * - Transit gateway: the sending subnet's zone must hold a subnet of the VPC's
 *   attachment (whose inbound NACL applies); the route table associated with
 *   the attachment decides, across peering attachments; the packet enters the
 *   destination VPC at the attachment's subnet in its zone, whose outbound NACL
 *   and route table take it on (to an instance, or onward: centralised egress).
 */
import { formatIpv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import type { TgwAttachment, TransitGateway, Vpc } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';
import { natGatewayForward, natGatewayReply } from '../aws/nat-gateway.js';
import { attachmentSubnetFor, routeThroughTgw } from '../aws/transit-gateway.js';
import { inVpc, nacl, routeFrom } from './aws-steps.js';
import type { EniRecord, SubnetRecord, World } from './world.js';
import type { Session, StepResult } from './state.js';
import { hop } from './hop.js';
import type { Hop } from './types.js';

/** A packet reaches a NAT gateway: routed to it (forward) or addressed to it (a reply). */
export function natGatewayIn(w: World, session: Session, eni: EniRecord, from: SubnetRecord | undefined, p: Packet, hops: Hop[]): StepResult {
  if (eni.owner.kind !== 'nat-gateway') throw new Error(`${eni.id} is not a NAT gateway`);
  const gw = eni.owner.nat;
  if (from !== eni.subnet) {
    const denied = nacl(eni.subnet, 'ingress', p, hops);
    if (denied) return denied;
  }
  if (p.dst === eni.primary) {
    const r = natGatewayReply(gw, session.natTranslations(gw.id), p);
    if (!r.ok) {
      hops.push(hop('nat-gateway', p, undefined, { at: gw.id, gateway: gw.id, decision: 'drop', rule: r.rule, notes: [r.reason] }));
      return { end: { kind: 'dropped', rule: r.rule, reason: r.reason } };
    }
    hops.push(hop('nat-gateway', p, r.packet, { at: gw.id, gateway: gw.id, decision: 'nat', rule: r.rule, notes: [r.note] }));
    return { next: { at: 'subnet-out', eni }, packet: r.packet };
  }
  const r = natGatewayForward(gw, p);
  if (!r.ok) {
    hops.push(hop('nat-gateway', p, undefined, { at: gw.id, gateway: gw.id, decision: 'drop', rule: r.rule, notes: [r.reason] }));
    return { end: { kind: 'dropped', rule: r.rule, reason: r.reason } };
  }
  session.natTranslated(gw.id, { original: p, translated: r.packet });
  const notes = [r.note, `then the route table of ${eni.subnet.subnet.id} (the gateway's subnet) decides`];
  hops.push(hop('nat-gateway', p, r.packet, { at: gw.id, gateway: gw.id, decision: 'nat', rule: r.rule, notes }));
  return { next: { at: 'subnet-out', eni }, packet: r.packet };
}

/** How many transit gateways one packet may cross (peering attachments chain them). */
const MAX_TGW_HOPS = 8;

/**
 * A packet routed to a transit gateway from subnet `from`: the VPC's
 * attachment must have a subnet in `from`'s Availability Zone, whose NACL
 * (inbound) applies; then the route table associated with the attachment
 * decides, across peering attachments to other gateways, until the packet
 * leaves through a VPC attachment.
 */
export function tgwForward(w: World, tgw: TransitGateway, from: SubnetRecord, p: Packet, hops: Hop[], session?: Session): StepResult {
  const az = from.subnet.availabilityZone;
  const ingress = tgw.attachments.find((a) => a.vpc === from.vpc.vpc.id);
  if (ingress) {
    const entry = attachmentSubnet(w, ingress, az);
    if (entry.kind === 'missing-az') {
      // AWS Transit Gateway guide, "How transit gateways work" / "Resource attachments": traffic is only forwarded to
      // the transit gateway if the attachment has a subnet in the same Availability Zone.
      const rule = awsRule(ingress.id, 'subnets', `no attachment subnet in ${az}`);
      const reason = `${ingress.id} (${from.vpc.vpc.id}) has no subnet in ${az}, the zone of ${from.subnet.id} (its subnets: ${entry.have}); AWS does not forward traffic from that zone to ${tgw.id}`;
      hops.push(hop('tgw', p, undefined, { at: tgw.id, gateway: tgw.id, decision: 'drop', rule, notes: [reason] }));
      return { end: { kind: 'dropped', rule, reason: `transit gateway ${tgw.id}: ${reason}` } };
    }
    if (entry.kind === 'subnet') {
      // AWS Transit Gateway guide, "How Network ACLs work with transit gateways": the attachment subnet's
      // inbound rules evaluate traffic from the instances to the transit gateway (also when it is the same subnet).
      const denied = nacl(entry.subnet, 'ingress', p, hops);
      if (denied) return denied;
    }
  }
  return throughTgws(w, tgw, ingress ?? from.vpc.vpc.id, az, p, hops, session);
}

/**
 * A packet from outside the estate enters `tgw` through `attachment` (a VPN,
 * Direct Connect or peering attachment, or a VPC attachment standing for a
 * source beyond it), and is routed by the attachment's associated table.
 */
export function tgwIn(w: World, tgw: TransitGateway, attachment: TgwAttachment, p: Packet, hops: Hop[], session?: Session): StepResult {
  return throughTgws(w, tgw, attachment, undefined, p, hops, session);
}

const vpcMaps = new WeakMap<World, ReadonlyMap<string, Vpc>>();

/** The world's VPCs by id, built once per world (TGW route tables are compiled per map). */
function vpcMap(w: World): ReadonlyMap<string, Vpc> {
  let m = vpcMaps.get(w);
  if (!m) vpcMaps.set(w, (m = new Map<string, Vpc>([...w.vpcs].map(([id, r]) => [id, r.vpc]))));
  return m;
}

/** Routing across transit gateways (peering attachments chain them) until the packet leaves through a VPC attachment. */
function throughTgws(w: World, tgw: TransitGateway, first: TgwAttachment | string, az: string | undefined, p: Packet, hops: Hop[], session?: Session): StepResult {
  const vpcs = vpcMap(w);
  let ingress = first;
  let cur = tgw;
  for (let n = 0; n < MAX_TGW_HOPS; n++) {
    const d = routeThroughTgw(cur, ingress, p.dst, vpcs);
    if (d.kind !== 'forward') {
      const decision = d.kind === 'drop' ? 'drop' : d.kind === 'unknown' ? 'unknown' : 'no-route';
      hops.push(hop('tgw', p, undefined, { at: cur.id, gateway: cur.id, decision, rule: d.rule, notes: [d.reason] }));
      const kind = d.kind === 'drop' ? 'dropped' : d.kind;
      return { end: { kind, rule: d.rule, reason: `transit gateway ${cur.id}: ${d.reason}` } };
    }
    const out = d.attachment;
    const into = out.vpc ?? (out.peerTgw ? `peer transit gateway ${out.peerTgw}` : out.other!);
    const notes = [`${d.ingress.id} (from ${d.ingress.vpc ?? d.ingress.other ?? `peer ${d.ingress.peerTgw ?? '?'}`}) is associated with ${d.table}; out through ${out.id} into ${into}`, ...d.notes];
    if (session?.entry === out.id) {
      hops.push(hop('tgw', p, undefined, { at: cur.id, gateway: cur.id, routeTable: d.table, decision: 'deliver', rule: d.rule, notes: [...notes, `back out through ${out.id}, the attachment the flow came in by`] }));
      return { end: { kind: 'delivered', endpoint: { kind: 'outside', via: out.id }, packet: p } };
    }
    hops.push(hop('tgw', p, p, { at: cur.id, gateway: cur.id, routeTable: d.table, decision: 'forward', rule: d.rule, notes }));
    if (out.peerTgw) {
      const peer = w.transitGateways.get(out.peerTgw);
      const peerSide = peer?.attachments.find((a) => a.id === out.id && a.peerTgw === cur.id);
      if (!peer || !peerSide) {
        return { end: { kind: 'unknown', rule: d.rule, reason: `${out.id} peers ${cur.id} with ${out.peerTgw}, whose side of the attachment is not in the input` } };
      }
      cur = peer;
      ingress = peerSide;
      continue;
    }
    if (!out.vpc) return { end: { kind: 'unknown', rule: d.rule, reason: `${d.table} sends it to ${out.id} (${out.other ?? 'unknown'}): this attachment type is not modelled` } };
    return intoVpc(w, out, az, d.rule, p, hops, session);
  }
  return { end: { kind: 'dropped', reason: `routing loop between transit gateways: more than ${MAX_TGW_HOPS} gateways crossed` } };
}

type AttachmentEntry = { kind: 'subnet'; subnet: SubnetRecord; assumed?: string } | { kind: 'none' } | { kind: 'missing-az'; have: string };

/** Attachment subnets by world, attachment and zone: the answer depends on nothing else, and every pair through a gateway asks. */
const attachmentEntries = new WeakMap<World, WeakMap<TgwAttachment, Map<string | undefined, AttachmentEntry>>>();

/** The attachment subnet serving zone `az` (found once per world, attachment and zone). */
function attachmentSubnet(w: World, a: TgwAttachment, az: string | undefined): AttachmentEntry {
  let byAttachment = attachmentEntries.get(w);
  if (!byAttachment) attachmentEntries.set(w, (byAttachment = new WeakMap()));
  let byZone = byAttachment.get(a);
  if (!byZone) byAttachment.set(a, (byZone = new Map()));
  let entry = byZone.get(az);
  if (!entry) byZone.set(az, (entry = findAttachmentSubnet(w, a, az)));
  return entry;
}

function findAttachmentSubnet(w: World, a: TgwAttachment, az: string | undefined): AttachmentEntry {
  const records = a.subnets.flatMap((id) => w.subnets.get(id) ?? []);
  if (!records.length) return { kind: 'none' };
  const pick = attachmentSubnetFor(records.map((r) => ({ id: r.subnet.id, availabilityZone: r.subnet.availabilityZone, r })), az);
  if (!pick) return { kind: 'missing-az', have: records.map((r) => `${r.subnet.id} in ${r.subnet.availabilityZone ?? '?'}`).join(', ') };
  return { kind: 'subnet', subnet: pick.subnet.r, ...(pick.assumed ? { assumed: pick.assumed } : {}) };
}

/**
 * The packet leaves the transit gateway through a VPC attachment: it enters
 * the VPC at the attachment's interface in the packet's zone (else another
 * zone's, an assumption said in the notes), whose subnet's outbound NACL and
 * route table decide (AWS Transit Gateway guide, "How Network ACLs work with
 * transit gateways"; no NACL when the destination is in that same subnet).
 * Onward routing from there serves centralised egress (a NAT gateway in this VPC).
 */
function intoVpc(w: World, out: TgwAttachment, az: string | undefined, rule: RuleRef, p: Packet, hops: Hop[], session?: Session): StepResult {
  const vpc = w.vpcs.get(out.vpc!);
  if (!vpc) return { end: { kind: 'unknown', rule, reason: `${out.id} attaches ${out.vpc}, which the estate does not describe` } };
  const entry = attachmentSubnet(w, out, az);
  if (entry.kind === 'none') {
    if (!inVpc(vpc, p.dst)) return { end: { kind: 'unknown', rule, reason: `${out.id} has no subnet in the input, so the route table that takes ${formatIpv4(p.dst)} onward from ${vpc.vpc.id} is unknown` } };
    return { next: { at: 'vpc-deliver', vpc, from: undefined, via: out.id }, packet: p };
  }
  let subnet: SubnetRecord;
  const notes: string[] = [];
  if (entry.kind === 'subnet') {
    subnet = entry.subnet;
    if (entry.assumed) notes.push(entry.assumed);
  } else {
    subnet = w.subnets.get(out.subnets.find((id) => w.subnets.has(id))!)!;
    notes.push(`assumed: ${out.id} has no subnet in ${az ?? 'the source zone'}; the transit gateway uses its interface in ${subnet.subnet.id} (${subnet.subnet.availabilityZone ?? '?'})`);
  }
  const local = w.enis.get(p.dst);
  if (local && local.subnet === subnet) return { next: { at: 'eni-in', eni: local, from: subnet }, packet: p };
  const denied = nacl(subnet, 'egress', p, hops);
  if (denied) return denied;
  if (notes.length) hops.push(hop('tgw', p, p, { at: out.id, gateway: out.id, decision: 'forward', notes: [`into ${vpc.vpc.id} at ${subnet.subnet.id}`, ...notes] }));
  return routeFrom(w, subnet, p, hops, session);
}
