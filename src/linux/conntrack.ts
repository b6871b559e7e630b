/**
 * A node's connection tracking table, reduced to what a trace needs.
 *
 * The kernel decides NAT on a connection's first packet and stores both
 * tuples: the original (as the packet arrived) and the expected reply (the
 * reverse of the packet as it left, after DNAT and SNAT). A later packet that
 * matches the reply tuple is ESTABLISHED, skips the nat table, and is
 * rewritten back where the nat table would run (the nf_nat hooks' priority,
 * after raw and mangle): the destination in PREROUTING/OUTPUT (undoing SNAT or
 * MASQUERADE), the source in POSTROUTING/INPUT (undoing DNAT). See the
 * kernel's nf_nat_core.c (nf_nat_packet, manip types SRC and DST); walkHook
 * applies conntrackManip at that point.
 */
import { reversed, samePacket, type Packet } from '../net/packet.js';
import type { ConnTuples, HookName } from './iptables/types.js';

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

/**
 * Which address conntrack's NAT rewrites at a hook, for packets after a
 * connection's first: the destination in PREROUTING and OUTPUT, the source in
 * POSTROUTING and INPUT (nf_nat_core.c HOOK2MANIP). FORWARD rewrites nothing.
 */
export function manipAt(hook: HookName): 'source' | 'destination' | undefined {
  return hook === 'PREROUTING' || hook === 'OUTPUT' ? 'destination' : hook === 'POSTROUTING' || hook === 'INPUT' ? 'source' : undefined;
}

/**
 * A later packet of a tracked connection as conntrack's NAT leaves it at a
 * hook (nf_nat_packet): the rewritten address and port are those the other
 * direction's tuple expects, so a reply gets SNAT undone at the destination
 * manip and DNAT undone at the source manip, and a later request packet gets
 * the NAT its first packet got. Where the connection had no NAT, nothing changes.
 */
export function conntrackManip(conn: ConnTuples, manip: 'source' | 'destination', p: Packet): Packet {
  const other = conn.dir === 'REPLY' ? conn.original : conn.reply;
  return manip === 'destination' ? { ...p, dst: other.src, dport: other.sport } : { ...p, src: other.dst, sport: other.dport };
}

/** The reply with SNAT/MASQUERADE undone (destination rewritten), as PREROUTING does. */
export function undoSourceNat(entry: ConntrackEntry, p: Packet): Packet {
  return { ...p, dst: entry.original.src, dport: entry.original.sport };
}
