/**
 * Internet gateways: what happens to a packet a route table sends to one.
 *
 * Semantics (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html):
 * an internet gateway performs one-to-one network address translation for
 * instances that have a public IPv4 address (or Elastic IP): their private
 * source address is replaced by the public one. A packet from a private address
 * with no public mapping cannot be translated and is not forwarded. A packet
 * whose destination is not routable on the internet (RFC 1918, RFC 6598...,
 * see net/ranges.ts) leaves toward nowhere: nothing on the internet answers it.
 *
 * Guarantees: pure and total; `ok` only for an internet-routable destination
 * and a source with a public mapping, and then only the source address changes.
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import { nonInternetRange } from '../net/ranges.js';
import type { InternetGateway } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';

/** The gateway's verdict on an outbound packet. */
export type IgwDecision =
  | { ok: true; packetOut: Packet; note: string; rule: RuleRef }
  | { ok: false; reason: string; rule: RuleRef };

/**
 * Sends `packet` out of the VPC through `igw`. `publicIpOf` maps a private
 * address to the public IPv4 the gateway translates it to, if any.
 */
export function igwEgress(igw: InternetGateway, packet: Packet, publicIpOf: (privateIp: Ipv4) => Ipv4 | undefined): IgwDecision {
  const range = nonInternetRange(packet.dst);
  if (range !== undefined) {
    return {
      ok: false,
      reason: `${formatIpv4(packet.dst)} is ${range}: not routable on the internet`,
      rule: awsRule(igw.id, undefined, `${igw.id} (internet)`),
    };
  }
  const pub = publicIpOf(packet.src);
  if (pub === undefined) {
    return {
      ok: false,
      reason: `source ${formatIpv4(packet.src)} has no public IPv4 address: ${igw.id} translates only addresses of instances with a public IPv4 or Elastic IP`,
      rule: awsRule(igw.id, 'nat', `${igw.id} 1:1 NAT (no mapping for ${formatIpv4(packet.src)})`),
    };
  }
  return {
    ok: true,
    packetOut: { ...packet, src: pub },
    note: `${igw.id} translates source ${formatIpv4(packet.src)} to public ${formatIpv4(pub)}`,
    rule: awsRule(igw.id, 'nat', `${igw.id} 1:1 NAT ${formatIpv4(packet.src)} -> ${formatIpv4(pub)}`),
  };
}
