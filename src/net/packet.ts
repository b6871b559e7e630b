/**
 * The packet header podpath follows. Addresses are uint32 numbers for speed;
 * `showPacket` renders the form every report prints.
 */
import { formatIpv4, type Ipv4 } from './ipv4.js';

/**
 * IP protocols podpath traces. SCTP (RFC 9260) has ports like TCP and UDP;
 * kube-proxy writes `-p sctp` rules for SCTP Services.
 */
export type Proto = 'tcp' | 'udp' | 'icmp' | 'sctp';

/** Protocol numbers as in /etc/protocols (used by AWS rules: "6", "17", "1", "132"). */
export const PROTO_NUMBER: Record<Proto, number> = { tcp: 6, udp: 17, icmp: 1, sctp: 132 };

/** A packet header: the five-tuple. For ICMP echo, ports are 0 (the id is not modelled). */
export interface Packet {
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly proto: Proto;
  /** Source port (0 for ICMP). */
  readonly sport: number;
  /** Destination port (0 for ICMP). */
  readonly dport: number;
}

/** The printable form of a packet used in hop records and JSON output. */
export interface PacketView {
  src: string;
  dst: string;
  proto: Proto;
  sport?: number;
  dport?: number;
}

/** Renders a packet for reports. */
export function showPacket(p: Packet): PacketView {
  const view: PacketView = { src: formatIpv4(p.src), dst: formatIpv4(p.dst), proto: p.proto };
  if (p.proto !== 'icmp') {
    view.sport = p.sport;
    view.dport = p.dport;
  }
  return view;
}

/** The reply's header: addresses and ports swapped. */
export function reversed(p: Packet): Packet {
  return { src: p.dst, dst: p.src, proto: p.proto, sport: p.dport, dport: p.sport };
}

/** True when two headers are identical. */
export function samePacket(a: Packet, b: Packet): boolean {
  return a.src === b.src && a.dst === b.dst && a.proto === b.proto && a.sport === b.sport && a.dport === b.dport;
}
