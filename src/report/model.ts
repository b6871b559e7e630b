/**
 * What commands hand to renderers: one report kind per command. Each kind is
 * declared, with its text rendering, in its own file under report/kinds/.
 */
import type { Trace } from '../trace/types.js';
import type { IptablesCheckReport, IptablesTraceReport } from './kinds/iptables.js';
import type { CollectReport, SnapshotCheckReport } from './kinds/snapshot.js';
import type { DiffReport, DoctorReport, FixReport, PlanReport } from './kinds/doctor.js';
import type { LabReport } from './kinds/lab.js';
import type { LoadNote } from '../model/load-note.js';

/** One step of the demo story: a what-if and the traces it produced. */
export interface DemoScene {
  title: string;
  /** The change made to the model copy for this scene, if any. */
  change?: string;
  traces: Trace[];
}

/** What `podpath report --html` wrote. */
export interface HtmlReportWritten {
  kind: 'html-report';
  /** The page written. */
  file: string;
  estate: string;
  findings: number;
  /** Findings with a proven fix (alone or combined). */
  proven: number;
  bytes: number;
}

export type Report =
  | { kind: 'traces'; traces: Trace[]; notes: LoadNote[] }
  | HtmlReportWritten
  | { kind: 'demo'; estate: string; summary: string[]; scenes: DemoScene[] }
  | IptablesCheckReport
  | IptablesTraceReport
  | SnapshotCheckReport
  | CollectReport
  | DoctorReport
  | FixReport
  | PlanReport
  | DiffReport
  | LabReport;
