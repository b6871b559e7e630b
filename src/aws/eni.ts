/**
 * Elastic network interfaces: the source/destination check.
 *
 * Semantics: with the check on (AWS's default), "the instance must be the
 * source or destination of any traffic it sends or receives"; it has to be
 * turned off for an instance that forwards traffic, such as a NAT instance or
 * a Kubernetes node routing pod CIDRs
 * (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html, "Disabling
 * source/destination checks"; ModifyInstanceAttribute `SourceDestCheck`: "ensure that the
 * instance is either the source or the destination of any traffic that it receives",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html).
 *
 * An interface's own addresses are its primary and secondary private IPv4
 * addresses and every address of the IPv4 prefixes delegated to it (EC2 User
 * Guide, "Assign prefixes to Amazon EC2 network interfaces": a prefix is a
 * range of private addresses assigned to the interface, used for instance by
 * the VPC CNI's prefix mode for pods).
 *
 * Guarantees: pure and total; with the check off every packet passes; with it
 * on, egress passes iff the source is one of the interface's own addresses and
 * ingress iff the destination is.
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import { contains, formatPrefix, type Prefix } from '../net/prefix.js';
import { awsRule, type RuleRef } from '../model/source.js';

/** What the check needs to know about a network interface. */
export interface EniView {
  /** `eni-...`, or the instance id when the interface is an instance's primary one. */
  id: string;
  /** The interface's private IPv4 addresses (primary and secondary). */
  addresses: readonly Ipv4[];
  /** IPv4 prefixes delegated to the interface (`Ipv4Prefixes`). @default none */
  prefixes?: readonly Prefix[];
  /** @default true, as AWS creates interfaces */
  sourceDestCheck: boolean;
}

/** Whether the interface lets the packet through. */
export type EniDecision = { ok: true } | { ok: false; reason: string; rule: RuleRef };

function checkRule(eni: EniView): RuleRef {
  return awsRule(eni.id, 'sourceDestCheck', 'sourceDestCheck: true');
}

/** True when `ip` is one of the interface's own addresses (primary, secondary, or inside a delegated prefix). */
export function ownsAddress(eni: EniView, ip: Ipv4): boolean {
  return eni.addresses.includes(ip) || (eni.prefixes ?? []).some((p) => contains(p, ip));
}

function addressList(eni: EniView): string {
  const all = [...eni.addresses.map(formatIpv4), ...(eni.prefixes ?? []).map(formatPrefix)];
  return all.length ? all.join(', ') : 'none';
}

/** A packet the instance sends out through `eni`. */
export function checkEniEgress(eni: EniView, packet: Packet): EniDecision {
  if (!eni.sourceDestCheck || ownsAddress(eni, packet.src)) return { ok: true };
  return {
    ok: false,
    reason: `source ${formatIpv4(packet.src)} is not an address of ${eni.id} (${addressList(eni)}) and its source/destination check is on`,
    rule: checkRule(eni),
  };
}

/** A packet delivered to the instance through `eni`. */
export function checkEniIngress(eni: EniView, packet: Packet): EniDecision {
  if (!eni.sourceDestCheck || ownsAddress(eni, packet.dst)) return { ok: true };
  return {
    ok: false,
    reason: `destination ${formatIpv4(packet.dst)} is not an address of ${eni.id} (${addressList(eni)}) and its source/destination check is on`,
    rule: checkRule(eni),
  };
}
