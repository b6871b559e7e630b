import type { Report } from '../../report/model.js';

/** What a command returns: the report to render and the exit code. */
export interface CommandResult {
  report: Report;
  exitCode: number;
}
