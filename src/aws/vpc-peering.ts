/**
 * VPC peering connections: whether a packet crossing one is carried.
 *
 * Semantics:
 * - Only an `active` peering connection carries traffic (the other states of
 *   its lifecycle are set-up or tear-down states:
 *   https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-lifecycle).
 * - A peering connection joins exactly two VPCs and is not transitive; it offers
 *   no edge-to-edge routing through a gateway or private connection of either
 *   VPC (internet gateway, NAT device, VPN, Direct Connect, gateway endpoint)
 *   (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations).
 *   podpath models this as AWS enforces it at the connection: it carries a
 *   packet only when its source lies in the sending VPC's CIDR blocks and its
 *   destination in the receiving VPC's. A pod address outside the node VPC
 *   (un-masqueraded pod traffic) is therefore dropped here, before any route
 *   table or security group of the peer VPC sees it.
 *
 * Guarantees: pure and total; `ok` only for an active connection whose two
 * sides are exactly `from` and `to`, with src in `from` and dst in `to`; every
 * drop names the failed condition with the addresses and blocks involved.
 */
import { formatIpv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import { contains, parseCidr } from '../net/prefix.js';
import type { Peering, Vpc } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';

/** Whether the peering connection carries the packet. */
export type PeeringDecision = { ok: true; rule: RuleRef } | { ok: false; reason: string; rule: RuleRef };

const WHY = "a peering connection carries only traffic between the two VPCs' own addresses";

function inVpc(vpc: Vpc, ip: number): boolean {
  return vpc.cidrBlocks.some((b) => contains(parseCidr(b, { nonAligned: 'mask' }), ip));
}

/** Checks a packet leaving VPC `from` through `pcx` toward VPC `to`. */
export function checkPeering(pcx: Peering, from: Vpc, to: Vpc, packet: Packet): PeeringDecision {
  const sides = `${pcx.requester} <-> ${pcx.accepter}`;
  if (pcx.status !== 'active') {
    return {
      ok: false,
      reason: `${pcx.id} is ${pcx.status}: only an active peering connection carries traffic`,
      rule: awsRule(pcx.id, undefined, `${sides} (status ${pcx.status})`),
    };
  }
  const joins = (a: string, b: string) => (pcx.requester === a && pcx.accepter === b) || (pcx.requester === b && pcx.accepter === a);
  if (from.id === to.id || !joins(from.id, to.id)) {
    return {
      ok: false,
      reason: `${pcx.id} connects ${pcx.requester} and ${pcx.accepter}, not ${from.id} to ${to.id}: peering is not transitive`,
      rule: awsRule(pcx.id, undefined, sides),
    };
  }
  const text = `${from.id} (${from.cidrBlocks.join(', ')}) -> ${to.id} (${to.cidrBlocks.join(', ')})`;
  const rule = awsRule(pcx.id, undefined, text);
  if (!inVpc(from, packet.src)) {
    return {
      ok: false,
      reason: `source ${formatIpv4(packet.src)} is not inside ${from.id}'s CIDR blocks ${from.cidrBlocks.join(', ')}; ${WHY}`,
      rule,
    };
  }
  if (!inVpc(to, packet.dst)) {
    return {
      ok: false,
      reason: `destination ${formatIpv4(packet.dst)} is not inside ${to.id}'s CIDR blocks ${to.cidrBlocks.join(', ')}; ${WHY}`,
      rule,
    };
  }
  return { ok: true, rule };
}
