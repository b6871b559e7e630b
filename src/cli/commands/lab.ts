/** `podpath lab up|exec|check|down|gc` (placeholder until implemented). */
import { PodpathError } from '../../model/errors.js';
import type { CommandResult } from './result.js';

export interface LabUpOptions { estate?: string; snapshot?: string; name?: string }
export interface LabExecOptions { name: string; where: string; command: string[] }
export interface LabNameOptions { name: string }

const todo = () => new PodpathError('PP_USAGE', 'podpath lab is not implemented yet');
export async function runLabUp(_o: LabUpOptions): Promise<CommandResult> { throw todo(); }
export async function runLabExec(_o: LabExecOptions): Promise<CommandResult> { throw todo(); }
export async function runLabCheck(_o: LabNameOptions): Promise<CommandResult> { throw todo(); }
export async function runLabDown(_o: LabNameOptions): Promise<CommandResult> { throw todo(); }
export async function runLabGc(): Promise<CommandResult> { throw todo(); }
