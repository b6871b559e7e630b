/** `podpath trace`: one flow through an estate file. */
import { loadInput, type InputOptions } from '../../ingest/load.js';
import { compileWorld } from '../../trace/world.js';
import { traceFlow } from '../../trace/trace.js';
import type { Proto } from '../../net/packet.js';
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
  const world = compileWorld(loadInput(o));
  const traces = traceFlow(world, { src: o.src, dst: o.dst, proto: o.proto, sport: o.sport, ...(o.entry ? { entry: o.entry } : {}) });
  return { report: { kind: 'traces', traces }, exitCode: traces.every((t) => t.verdict === 'delivered') ? 0 : 1 };
}
