/**
 * Protocol and port matching shared by security group and network ACL rules,
 * and the wording both use to describe rules and packets.
 *
 * AWS rule fields: `IpProtocol` is a name or IANA number, "-1" meaning all
 * protocols and all ports; for TCP and UDP `FromPort`/`ToPort` bound the
 * destination port; for ICMP they carry the ICMP type and code
 * (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html#security-group-rule-components,
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html).
 *
 * Guarantees: `protoMatches` and `portMatches` are total and pure. ICMP
 * type/code are not modelled (the packet carries none), so an ICMP rule
 * matches every ICMP packet whatever its `ports`; this over-approximates a
 * rule restricted to some ICMP types.
 */
import { PROTO_NUMBER, type Packet } from '../net/packet.js';
import type { PortRange, RuleProto } from '../model/fields.js';

/** True when a rule's protocol admits the packet's protocol. */
export function protoMatches(proto: RuleProto, packet: Packet): boolean {
  if (proto === 'all') return true;
  if (typeof proto === 'number') return PROTO_NUMBER[packet.proto] === proto;
  return proto === packet.proto;
}

/** True when the rule's port range admits the packet (ports apply to TCP and UDP only). */
export function portMatches(proto: RuleProto, ports: PortRange | undefined, packet: Packet): boolean {
  if (ports === undefined || proto === 'all') return true;
  if (packet.proto === 'icmp') return true;
  return ports.from <= packet.dport && packet.dport <= ports.to;
}

/** `tcp 5432`, `tcp 1024-65535`, `tcp all ports`, `icmp`, `all traffic`, `proto 47`. */
export function describeRuleTraffic(proto: RuleProto, ports: PortRange | undefined): string {
  if (proto === 'all') return 'all traffic';
  const name = typeof proto === 'number' ? protoName(proto) : proto;
  if (name === 'icmp' || (name !== 'tcp' && name !== 'udp')) return name;
  if (ports === undefined || (ports.from === 0 && ports.to === 65535)) return `${name} all ports`;
  return ports.from === ports.to ? `${name} ${ports.from}` : `${name} ${ports.from}-${ports.to}`;
}

/** `tcp 5432` or `icmp`: the packet's protocol and destination port. */
export function describePacketTraffic(packet: Packet): string {
  return packet.proto === 'icmp' ? 'icmp' : `${packet.proto} ${packet.dport}`;
}

function protoName(n: number): string {
  const entry = Object.entries(PROTO_NUMBER).find(([, v]) => v === n);
  return entry ? entry[0] : `proto ${n}`;
}
