/**
 * A node's connection tracking table, reduced to what a trace needs.
 *
 * The kernel decides NAT on a connection's first packet and stores both
 * tuples: the original (as the packet arrived) and the expected reply (the
 * reverse of the packet as it left, after DNAT and SNAT). A later packet that
 * matches the reply tuple is ESTABLISHED, skips the nat table, and is
 * rewritten back: the destination in PREROUTING/OUTPUT (undoing SNAT or
 * MASQUERADE), the source in POSTROUTING/INPUT (undoing DNAT). See the
 * kernel's nf_nat_core.c (nf_nat_packet, manip types SRC and DST).
 */
import { reversed, samePacket, type Packet } from '../net/packet.js';

/** One tracked connection. */
export interface ConntrackEntry {
  /** The first packet as it entered the node (before any NAT). */
  original: Packet;
  /** The reply the node expects: the reverse of the packet as it left (after NAT). */
  reply: Packet;
  /** The connection mark (ctmark) set while the first packet passed. @default 0 */
  connmark: number;
}

/** Conntrack table of one node for one trace. */
export class Conntrack {
  private readonly entries: ConntrackEntry[] = [];

  /** Records a connection: the packet as it came in and as it went out. */
  record(entered: Packet, left: Packet, connmark = 0): ConntrackEntry {
    const entry = { original: entered, reply: reversed(left), connmark };
    this.entries.push(entry);
    return entry;
  }

  /** The entry whose expected reply is exactly this packet, if any. */
  matchReply(p: Packet): ConntrackEntry | undefined {
    return this.entries.find((e) => samePacket(e.reply, p));
  }
}

/** The reply with SNAT/MASQUERADE undone (destination rewritten), as PREROUTING does. */
export function undoSourceNat(entry: ConntrackEntry, p: Packet): Packet {
  return { ...p, dst: entry.original.src, dport: entry.original.sport };
}

/** The reply with DNAT undone (source rewritten), as POSTROUTING does. */
export function undoDestinationNat(entry: ConntrackEntry, p: Packet): Packet {
  return { ...p, src: entry.original.dst, sport: entry.original.dport };
}
