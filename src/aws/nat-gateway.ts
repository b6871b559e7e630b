/**
 * NAT gateways: source translation of traffic routed to them, and the
 * reverse translation of replies.
 *
 * Semantics (Amazon VPC user guide, "NAT gateway basics",
 * https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html and
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html):
 * - The gateway replaces the source address with its own private address; a
 *   public gateway's traffic is then mapped to its Elastic IP by the internet
 *   gateway (modelled by the IGW step, as for instances). What happens next is
 *   decided by the route table of the gateway's own subnet.
 * - Replies are translated back to the original source; connections cannot be
 *   initiated toward the instances behind it (unsolicited inbound is dropped).
 * - A private gateway's traffic routed to an internet gateway is dropped there.
 * - It supports TCP, UDP and ICMP (every protocol a podpath packet can have).
 * - It translates the source port too, to any port of 1024-65535 (VPC user
 *   guide, "Ephemeral ports" for network ACLs: "A NAT gateway uses ports
 *   1024-65535"), so the reply comes back to that port through stateless NACLs.
 *   podpath traces one representative, `NAT_GATEWAY_PORT` (1024, the low end of
 *   the range: a NACL written for Linux client ports, 32768-60999, loses the
 *   replies of the connections that get a lower port), and says so in the hop
 *   notes as an assumption.
 *
 * Guarantees: pure; `natGatewayForward` translates only when the gateway is
 * available; `natGatewayReply` un-translates only a
 * packet that is the exact reverse of a recorded translation.
 */
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';
import { reversed, samePacket, type Packet } from '../net/packet.js';
import type { NatGateway } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';

/** One translation the gateway made: what it received and what it sent. */
export interface NatTranslation {
  original: Packet;
  translated: Packet;
}

export type NatForward = { ok: true; packet: Packet; rule: RuleRef; note: string } | { ok: false; reason: string; rule: RuleRef };
export type NatReply = { ok: true; packet: Packet; rule: RuleRef; note: string } | { ok: false; reason: string; rule: RuleRef };

/** The source ports a NAT gateway translates to (VPC user guide, "Ephemeral ports"). */
export const NAT_GATEWAY_PORTS = { from: 1024, to: 65535 } as const;
/** The translated source port podpath traces: the low end of the range (an assumption, said in the notes). */
export const NAT_GATEWAY_PORT = NAT_GATEWAY_PORTS.from;

/** Translates a packet the gateway received from its VPC: source address and (TCP, UDP) source port. */
export function natGatewayForward(gw: NatGateway, p: Packet): NatForward {
  if (gw.state !== 'available') return { ok: false, reason: `NAT gateway ${gw.id} is ${gw.state}: only an available gateway forwards`, rule: awsRule(gw.id, undefined, `state ${gw.state}`) };
  const ported = p.proto === 'tcp' || p.proto === 'udp';
  const packet = { ...p, src: parseIpv4(gw.privateIp), ...(ported ? { sport: NAT_GATEWAY_PORT } : {}) };
  const address = `source ${formatIpv4(p.src)} -> ${gw.privateIp} (the gateway's private address${gw.publicIp ? `; the internet gateway maps it to ${gw.publicIp}` : ''})`;
  const port = ported
    ? `; source port ${p.sport} -> ${NAT_GATEWAY_PORT} (assumed: the gateway picks any port of ${NAT_GATEWAY_PORTS.from}-${NAT_GATEWAY_PORTS.to}; podpath traces the low end, so replies meet the NACLs on that port)`
    : '';
  return { ok: true, packet, rule: awsRule(gw.id, undefined, `SNAT to ${gw.privateIp}`), note: address + port };
}

/** Un-translates a packet addressed to the gateway: the reply of a recorded translation, or dropped. */
export function natGatewayReply(gw: NatGateway, translations: readonly NatTranslation[], p: Packet): NatReply {
  const t = translations.find((x) => samePacket(reversed(x.translated), p));
  if (!t) {
    return { ok: false, reason: `NAT gateway ${gw.id} drops traffic that is not the reply of a connection it translated (no unsolicited inbound)`, rule: awsRule(gw.id, undefined, 'no translation for this packet') };
  }
  const packet = reversed(t.original);
  return { ok: true, packet, rule: awsRule(gw.id, undefined, `reverse of SNAT to ${gw.privateIp}`), note: `destination ${formatIpv4(p.dst)} -> ${formatIpv4(packet.dst)} (the reply is translated back)` };
}
