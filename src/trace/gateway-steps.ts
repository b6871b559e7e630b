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
 * - Transit gateway: the route table associated with the sending VPC's
 *   attachment decides; the packet then enters the destination VPC through the
 *   attachment's subnet. Onward routing from that subnet's route table toward
 *   an address outside the destination VPC is not modelled and says `unknown`.
 */
import { formatIpv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import type { TransitGateway, Vpc } from '../model/aws.js';
import { natGatewayForward, natGatewayReply } from '../aws/nat-gateway.js';
import { routeThroughTgw } from '../aws/transit-gateway.js';
import { inVpc, nacl } from './aws-steps.js';
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

/** A packet routed to a transit gateway from a subnet of `from`'s VPC. */
export function tgwForward(w: World, tgw: TransitGateway, from: SubnetRecord, p: Packet, hops: Hop[]): StepResult {
  const vpcs = new Map<string, Vpc>([...w.vpcs].map(([id, r]) => [id, r.vpc]));
  const d = routeThroughTgw(tgw, from.vpc.vpc.id, p.dst, vpcs);
  if (d.kind !== 'forward') {
    hops.push(hop('tgw', p, undefined, { at: tgw.id, gateway: tgw.id, decision: d.kind === 'drop' ? 'drop' : 'no-route', rule: d.rule, notes: [d.reason] }));
    return { end: { kind: d.kind === 'drop' ? 'dropped' : 'no-route', rule: d.rule, reason: `transit gateway ${tgw.id}: ${d.reason}` } };
  }
  const vpc = w.vpcs.get(d.attachment.vpc);
  const subnetId = d.attachment.subnets[0];
  const subnet = subnetId ? w.subnets.get(subnetId) : undefined;
  const notes = [`${d.ingress.id} (from ${from.vpc.vpc.id}) is associated with ${d.table}; out through ${d.attachment.id} into ${d.attachment.vpc}`];
  hops.push(hop('tgw', p, p, { at: tgw.id, gateway: tgw.id, routeTable: d.table, decision: 'forward', rule: d.rule, notes }));
  if (!vpc) return { end: { kind: 'unknown', rule: d.rule, reason: `${d.attachment.id} attaches ${d.attachment.vpc}, which the estate does not describe` } };
  if (!inVpc(vpc, p.dst)) {
    return {
      end: {
        kind: 'unknown',
        rule: d.rule,
        reason: `${formatIpv4(p.dst)} is outside ${vpc.vpc.id}: routing onward from the attachment subnet's route table is not modelled yet`,
      },
    };
  }
  return { next: { at: 'vpc-deliver', vpc, from: subnet, via: d.attachment.id }, packet: p };
}
