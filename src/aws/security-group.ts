/**
 * Security group evaluation for one direction of one packet.
 *
 * Semantics (AWS documentation):
 * - Rules only allow; a packet is allowed when any rule of any group attached to
 *   the network interface allows it ("the rules from all the security groups
 *   associated with the network interface are aggregated"), otherwise dropped
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-rule-characteristics).
 * - Ingress rules name the source, egress rules the destination. A rule that
 *   references a security group matches the private IP addresses of the network
 *   interfaces associated with that group
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-referencing):
 *   primary and secondary addresses and delegated prefixes alike. Which
 *   interface sent a packet, and whether a reference reaches across VPCs, is
 *   the tracer's knowledge: the caller answers through `membersOf`.
 * - Security groups are stateful: the reply of an allowed request is allowed
 *   whatever the other direction's rules say
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html).
 *   This module evaluates a single packet; the tracer must not call it for the
 *   reply of a connection it already admitted.
 *
 * Guarantees: pure and total; the result does not depend on the order of rules
 * or groups except for which allowing rule is reported (the first in group
 * order, then rule order); sound against a brute-force per-rule oracle
 * (property-tested).
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import { contains, maskedCidr } from '../net/prefix.js';
import type { SecurityGroup, SgRule } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';
import { describePacketTraffic, describeRuleTraffic, portMatches, protoMatches } from './rule-match.js';

/** Traffic direction relative to the network interface. */
export type Direction = 'ingress' | 'egress';

/** The outcome of evaluating security groups, with the deciding rule. */
export type SgDecision = { allowed: true; rule: RuleRef } | { allowed: false; rule: RuleRef };

/** `tcp 5432 from 172.20.0.0/16` / `all traffic to sg-0abc`. */
export function describeSgRule(rule: SgRule, direction: Direction): string {
  const peer = rule.cidr ?? rule.sg ?? '?';
  return `${describeRuleTraffic(rule.proto, rule.ports)} ${direction === 'ingress' ? 'from' : 'to'} ${peer}`;
}

/** The peers a referenced group admits for the packet being evaluated (a Set of addresses will do). */
export interface SgMembers {
  has(peer: Ipv4): boolean;
}

function ruleMatches(rule: SgRule, packet: Packet, peer: Ipv4, membersOf: (sgId: string) => SgMembers): boolean {
  if (!protoMatches(rule.proto, packet) || !portMatches(rule.proto, rule.ports, packet)) return false;
  if (rule.cidr !== undefined) return contains(maskedCidr(rule.cidr), peer);
  if (rule.sg !== undefined) return membersOf(rule.sg).has(peer);
  return false;
}

/**
 * True for DNS between an interface and its VPC's Amazon-provided resolver
 * (Route 53 Resolver, the VPC base + 2): security groups do not filter it.
 * VPC User Guide, "Security group rules", Restrictions: security groups cannot
 * block DNS requests to or from the Route 53 Resolver ("VPC+2 IP address",
 * AmazonProvidedDNS); Route 53 Resolver DNS Firewall filters those instead.
 * Egress: a query to port 53 of `resolver`; ingress: its answer from port 53.
 */
export function isResolverDns(resolver: Ipv4, direction: Direction, packet: Packet): boolean {
  if (packet.proto !== 'udp' && packet.proto !== 'tcp') return false;
  return direction === 'egress' ? packet.dst === resolver && packet.dport === 53 : packet.src === resolver && packet.sport === 53;
}

/**
 * Evaluates the union of `groups`' rules for `direction`. The peer address is
 * the packet's source on ingress and its destination on egress; the port is
 * the destination port.
 */
/** Each rule's RuleRef, made once per place (group, direction, index) the rule object sits at. */
const refs = new WeakMap<SgRule, { group: string; direction: Direction; i: number; ref: RuleRef }>();
function ruleRef(group: string, direction: Direction, i: number, rule: SgRule): RuleRef {
  const known = refs.get(rule);
  if (known && known.group === group && known.direction === direction && known.i === i) return known.ref;
  const ref = awsRule(group, `${direction}[${i}]`, describeSgRule(rule, direction));
  refs.set(rule, { group, direction, i, ref });
  return ref;
}

export function evaluateSecurityGroups(
  groups: SecurityGroup[],
  direction: Direction,
  packet: Packet,
  membersOf: (sgId: string) => SgMembers,
): SgDecision {
  const peer = direction === 'ingress' ? packet.src : packet.dst;
  for (const group of groups) {
    const rules = group[direction];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (ruleMatches(rule, packet, peer, membersOf)) {
        return { allowed: true, rule: ruleRef(group.id, direction, i, rule) };
      }
    }
  }
  const traffic = `${describePacketTraffic(packet)} ${direction === 'ingress' ? 'from' : 'to'} ${formatIpv4(peer)}`;
  if (groups.length === 0) {
    return { allowed: false, rule: awsRule('(no security group)', direction, `no security group is attached, so nothing allows ${traffic}`) };
  }
  const ids = groups.map((g) => g.id);
  return { allowed: false, rule: awsRule(ids.join(','), direction, `no rule of ${ids.join(', ')} allows ${traffic}`) };
}
