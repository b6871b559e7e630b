/** `podpath snapshot check` and `podpath collect` (placeholder until implemented). */
import { PodpathError } from '../../model/errors.js';
import type { CommandResult } from './result.js';

export interface SnapshotCheckOptions { dir: string }
export interface CollectOptions { region: string; profile?: string; context?: string; out: string }

export function runSnapshotCheck(_o: SnapshotCheckOptions): CommandResult {
  throw new PodpathError('PP_USAGE', 'podpath snapshot check is not implemented yet');
}
export async function runCollect(_o: CollectOptions): Promise<CommandResult> {
  throw new PodpathError('PP_USAGE', 'podpath collect is not implemented yet');
}
