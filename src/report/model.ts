/** What commands hand to renderers. */
import type { Trace } from '../trace/types.js';

/** One step of the demo story: a what-if and the traces it produced. */
export interface DemoScene {
  title: string;
  /** The change made to the model copy for this scene, if any. */
  change?: string;
  traces: Trace[];
}

export type Report =
  | { kind: 'traces'; traces: Trace[] }
  | { kind: 'demo'; estate: string; summary: string[]; scenes: DemoScene[] };
