/**
 * `assertWellFormed`: the invariants every trace keeps (in the spirit of
 * Batfish's Trace.validateHops). Tests run it on every trace they make.
 * - hops chain: each hop's packetIn is the previous hop's packetOut;
 * - only the last hop of a trip may lack packetOut;
 * - drop, reject and NAT decisions, and every route-table hop, name their rule;
 * - a reply exists exactly when the forward trip ended in delivery.
 */
import type { PacketView } from '../net/packet.js';
import type { Hop, Trace } from './types.js';

/** Throws an Error describing the first broken invariant. */
export function assertWellFormed(t: Trace): void {
  checkTrip(t.forward, 'forward');
  const delivered = t.forward.at(-1)?.decision === 'deliver';
  if (delivered !== (t.reply !== undefined)) throw new Error(`reply ${t.reply ? 'present' : 'missing'} although the forward trip ${delivered ? 'was' : 'was not'} delivered`);
  if (t.reply) checkTrip(t.reply, 'reply');
  if (t.verdict === 'delivered' && t.reply?.at(-1)?.decision !== 'deliver') throw new Error('verdict delivered but the reply was not delivered');
}

function checkTrip(hops: Hop[], name: string): void {
  if (hops.length === 0) throw new Error(`${name}: no hops`);
  hops.forEach((h, i) => {
    const where = `${name} hop ${i + 1} (${h.kind} at ${h.at})`;
    if (i < hops.length - 1 && !h.packetOut) throw new Error(`${where}: not the last hop but has no packetOut`);
    if (i > 0 && !same(hops[i - 1]!.packetOut!, h.packetIn)) throw new Error(`${where}: packetIn does not continue the previous hop's packetOut`);
    const needsRule = (['drop', 'reject', 'nat'].includes(h.decision) && h.kind !== 'target') || h.kind === 'route-table';
    if (needsRule && !h.rule) throw new Error(`${where}: decision ${h.decision} without a rule`);
  });
}

function same(a: PacketView, b: PacketView): boolean {
  return a.src === b.src && a.dst === b.dst && a.proto === b.proto && a.sport === b.sport && a.dport === b.dport;
}
