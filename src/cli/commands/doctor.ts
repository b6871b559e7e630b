/** `podpath doctor|fix|plan|diff` (placeholder until implemented). */
import { PodpathError } from '../../model/errors.js';
import type { InputOptions } from '../../ingest/load.js';
import type { CommandResult } from './result.js';

export interface DoctorOptions extends InputOptions { failOn: 'error' | 'warning' | 'note' | 'none' }
export interface FixOptions extends InputOptions { finding?: string }
export interface PlanOptions extends InputOptions { nodes: number; podsPerNode: number; onPrem: string[] }
export interface DiffOptions { a: string; b: string }

const todo = (what: string) => new PodpathError('PP_USAGE', `podpath ${what} is not implemented yet`);
export function runDoctor(_o: DoctorOptions): CommandResult { throw todo('doctor'); }
export function runFix(_o: FixOptions): CommandResult { throw todo('fix'); }
export function runPlan(_o: PlanOptions): CommandResult { throw todo('plan'); }
export function runDiff(_o: DiffOptions): CommandResult { throw todo('diff'); }
