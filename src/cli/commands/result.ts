import type { Report } from '../../report/model.js';

/** What a command returns: the report to render, the exit code, and loader notes for stderr. */
export interface CommandResult {
  report: Report;
  exitCode: number;
  /** Lines printed on stderr, each prefixed `podpath: ` (loader notes, src/model/load-note.ts). @default none */
  stderr?: string[];
}
