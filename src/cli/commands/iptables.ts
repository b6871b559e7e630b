/** `podpath iptables check|trace` (placeholder until implemented). */
import { PodpathError } from '../../model/errors.js';
import type { CommandResult } from './result.js';

export interface IptablesCheckOptions { file: string }
export interface IptablesTraceOptions { file: string; src: string; dst: string; proto: 'tcp' | 'udp' | 'icmp'; in?: string; local?: boolean }

export function runIptablesCheck(_o: IptablesCheckOptions): CommandResult {
  throw new PodpathError('PP_USAGE', 'podpath iptables check is not implemented yet');
}
export function runIptablesTrace(_o: IptablesTraceOptions): CommandResult {
  throw new PodpathError('PP_USAGE', 'podpath iptables trace is not implemented yet');
}
