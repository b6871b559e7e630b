/**
 * `podpath snapshot check DIR` (what a snapshot holds, found/derived/ignored)
 * and `podpath collect` (live, read-only collection into a snapshot folder).
 * Both return reports and never print; collect's progress goes to an injected
 * writer (stderr by default).
 */
import { inspectSnapshot } from '../../ingest/snapshot/load.js';
import type { CollectReport } from '../../report/kinds/snapshot.js';
import type { CommandResult } from './result.js';

export interface SnapshotCheckOptions { dir: string }
export interface CollectOptions {
  region: string;
  profile?: string;
  context?: string;
  out: string;
  /** Where progress lines go; `transient` for steps (call n of m, pages), not for what a user must read. @default process.stderr */
  progress?: (line: string, transient?: boolean) => void;
}

export function runSnapshotCheck(o: SnapshotCheckOptions): CommandResult {
  const { estate, notes } = inspectSnapshot(o.dir);
  const counts: Record<string, number> = {};
  for (const key of ['vpcs', 'subnets', 'routeTables', 'peerings', 'internetGateways', 'natGateways', 'transitGateways', 'securityGroups', 'networkAcls', 'instances', 'rdsInstances', 'nodes', 'pods', 'services'] as const) {
    counts[key] = estate[key].length;
  }
  const report = { kind: 'snapshot-check' as const, dir: o.dir, found: notes.found, derived: notes.derived, ignored: notes.ignored, warnings: notes.warnings, counts };
  return { report, exitCode: notes.warnings.length ? 1 : 0 };
}

export async function runCollect(o: CollectOptions): Promise<CommandResult> {
  const { collectSnapshot } = await import('../../ingest/collect/collect.js');
  const progress = o.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const result = await collectSnapshot({ region: o.region, profile: o.profile, context: o.context, out: o.out, progress });
  const report: CollectReport = { kind: 'collect', ...result };
  return { report, exitCode: result.failures.length ? 1 : 0 };
}
