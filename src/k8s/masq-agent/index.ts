/**
 * The podpath agent's pure core (ip-masq-agent compatible): config reading
 * and validation, the rules it keeps, reconcile to an iptables-restore
 * payload, and the conflict check doctor can run offline.
 */
export { parseAgentConfig, defaultConfig, parseToPorts, cidrProblem, DEFAULT_CHAIN, DEFAULT_FLAGS } from './config.js';
export type { AgentConfig, AgentFlags, ConfigError, ConfigResult, PortInterval } from './config.js';
export { desiredChain, desiredJumps, includeList, jumpComment, type AgentSpec } from './rules.js';
export { reconcile, uninstallPayload, type ReconcileResult } from './reconcile.js';
export { readNatTable } from './nat-read.js';
export { agentConflicts, type AgentConflict } from './conflicts.js';
export { parseGoDuration } from './duration.js';
