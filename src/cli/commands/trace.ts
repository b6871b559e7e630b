/** `podpath trace`: one flow through an estate file. */
import { loadInput, type InputOptions } from '../../ingest/load.js';
import { compileWorld } from '../../trace/world.js';
import { traceFlow } from '../../trace/trace.js';
import { withHostsAt } from '../../trace/synthetic-hosts.js';
import { isValidIpv4 } from '../../net/ipv4.js';
import type { Proto } from '../../net/packet.js';
import { assumed, noteLine } from '../../model/load-note.js';
import type { CommandResult } from './result.js';

export interface TraceOptions extends InputOptions {
  src: string;
  dst: string;
  proto: Proto;
  sport?: number;
  /** Where a source outside the estate enters (internet, igw-, vgw-, tgw-attach-). */
  entry?: string;
}

/** Exit 0 when every branch is delivered, 1 otherwise. */
export function runTrace(o: TraceOptions): CommandResult {
  // A bare address inside a described subnet (or a VPC described without subnets) with no host there is traced as a synthetic host.
  const loaded = loadInput(o);
  const addresses = [o.src, o.dst.replace(/:\d+$/, '')].filter(isValidIpv4);
  const { estate, notes: placed } = withHostsAt(loaded, addresses);
  const world = compileWorld(estate);
  const traces = traceFlow(world, { src: o.src, dst: o.dst, proto: o.proto, sport: o.sport, ...(o.entry ? { entry: o.entry } : {}) });
  const notes = [...loaded.notes, ...placed.map(assumed)];
  return { report: { kind: 'traces', traces, notes }, exitCode: traces.every((t) => t.verdict === 'delivered') ? 0 : 1, stderr: notes.map(noteLine) };
}
