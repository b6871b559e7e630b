/** `podpath trace`: one flow through an estate file. */
import { loadInput, type InputOptions } from '../../ingest/load.js';
import { compileWorld } from '../../trace/world.js';
import { traceFlow } from '../../trace/trace.js';
import type { Proto } from '../../net/packet.js';
import { noteLine } from '../../model/load-note.js';
import type { CommandResult } from './result.js';

export interface TraceOptions extends InputOptions {
  src: string;
  dst: string;
  proto: Proto;
  sport?: number;
}

/** Exit 0 when every branch is delivered, 1 otherwise. */
export function runTrace(o: TraceOptions): CommandResult {
  const estate = loadInput(o);
  const world = compileWorld(estate);
  const traces = traceFlow(world, { src: o.src, dst: o.dst, proto: o.proto, sport: o.sport });
  return { report: { kind: 'traces', traces, notes: estate.notes }, exitCode: traces.every((t) => t.verdict === 'delivered') ? 0 : 1, stderr: estate.notes.map(noteLine) };
}
