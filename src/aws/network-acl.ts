/**
 * Network ACL evaluation for one direction of one packet at a subnet boundary.
 *
 * Semantics (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html):
 * - Stateless: "responses to allowed inbound traffic are subject to the rules for
 *   outbound traffic (and vice versa)". The tracer evaluates the reply too.
 * - "Rules are evaluated starting with the lowest numbered rule. As soon as a rule
 *   matches traffic, it's applied regardless of any higher-numbered rule that
 *   might contradict it."
 * - Every ACL ends with the rule `*`, which denies what no numbered rule matched.
 * - Ingress rules match the packet's source, egress rules its destination; ports
 *   bound the destination port.
 * - The default network ACL of a VPC allows all inbound and outbound traffic
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/default-network-acl.html).
 *
 * Guarantees: pure and total; the result is the action of the lowest-numbered
 * matching rule (the first listed on a duplicated number, which AWS does not
 * allow), else deny by `*`; it does not depend on the order rules are listed in
 * (property-tested against a brute-force oracle).
 */
import type { Packet } from '../net/packet.js';
import { contains, parseCidr, type Prefix } from '../net/prefix.js';
import type { NaclRule, NetworkAcl } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';
import { describePacketTraffic, describeRuleTraffic, portMatches, protoMatches } from './rule-match.js';
import type { Direction } from './security-group.js';
import { formatIpv4 } from '../net/ipv4.js';

/** The outcome of a network ACL for one packet, with the deciding entry. */
export interface NaclDecision {
  action: 'allow' | 'deny';
  /** `acl-x#ingress[100]`, or `acl-x#ingress[*]` for the implicit final deny. */
  rule: RuleRef;
}

/** `100 allow tcp 5432 from 172.20.0.0/16`. */
export function describeNaclRule(rule: NaclRule, direction: Direction): string {
  return `${rule.rule} ${rule.action} ${describeRuleTraffic(rule.proto, rule.ports)} ${direction === 'ingress' ? 'from' : 'to'} ${rule.cidr}`;
}

interface CompiledNaclRule { rule: NaclRule; prefix: Prefix; ref: RuleRef }
/** Sorted, parsed rule lists, by list (what-ifs replace a list rather than edit it) and ACL id. */
const compiledLists = new WeakMap<readonly NaclRule[], { id: string; rules: CompiledNaclRule[] }>();

function compiled(acl: NetworkAcl, direction: Direction): CompiledNaclRule[] {
  const list = acl[direction];
  const known = compiledLists.get(list);
  if (known && known.id === acl.id) return known.rules;
  // Array.prototype.sort is stable, so equal numbers keep their listed order.
  const rules = [...list].sort((a, b) => a.rule - b.rule).map((rule) => ({
    rule, prefix: parseCidr(rule.cidr, { nonAligned: 'mask' }), ref: awsRule(acl.id, `${direction}[${rule.rule}]`, describeNaclRule(rule, direction)),
  }));
  compiledLists.set(list, { id: acl.id, rules });
  return rules;
}

/** Evaluates `acl`'s rules for `direction` on `packet`: lowest rule number first, first match wins. */
export function evaluateNacl(acl: NetworkAcl, direction: Direction, packet: Packet): NaclDecision {
  const peer = direction === 'ingress' ? packet.src : packet.dst;
  for (const { rule, prefix, ref } of compiled(acl, direction)) {
    if (matchesPeer(rule, prefix, peer, packet)) return { action: rule.action, rule: ref };
  }
  const traffic = `${describePacketTraffic(packet)} ${direction === 'ingress' ? 'from' : 'to'} ${formatIpv4(peer)}`;
  return {
    action: 'deny',
    rule: awsRule(acl.id, `${direction}[*]`, `* deny all traffic (no numbered ${direction} rule matches ${traffic})`),
  };
}

/** True when `rule` matches `packet` in `direction` (as evaluateNacl tries each rule). */
export function naclRuleMatches(rule: NaclRule, direction: Direction, packet: Packet): boolean {
  return matchesPeer(rule, parseCidr(rule.cidr, { nonAligned: 'mask' }), direction === 'ingress' ? packet.src : packet.dst, packet);
}

/** A rule's protocol, ports and CIDR (parsed: `prefix`) against a packet whose peer address is `peer`. */
function matchesPeer(rule: NaclRule, prefix: Prefix, peer: number, packet: Packet): boolean {
  return protoMatches(rule.proto, packet) && portMatches(rule.proto, rule.ports, packet) && contains(prefix, peer);
}

/**
 * The default network ACL AWS creates with a VPC: rule 100 allows all traffic
 * from and to 0.0.0.0/0 in each direction (then `*` denies, unreachably).
 * Used for subnets with no explicit ACL association.
 */
export function defaultNetworkAcl(vpcId: string): NetworkAcl {
  const allowAll: NaclRule = { rule: 100, proto: 'all', cidr: '0.0.0.0/0', action: 'allow' };
  return { id: `acl-default-${vpcId}`, vpc: vpcId, ingress: [{ ...allowAll }], egress: [{ ...allowAll }] };
}
