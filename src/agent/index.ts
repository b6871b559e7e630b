/**
 * The podpath agent daemon (I/O): reads its config file, keeps the node's
 * masquerade chain with iptables-restore, serves /healthz and /metrics.
 * The pure core is src/k8s/masq-agent.
 */
export { MasqAgent, type AgentDeps, type AgentOptions, type SyncOutcome } from './daemon.js';
export { commandIptables, IptablesFailed, type IptablesExec, type CommandIptablesOptions } from './iptables.js';
export { fileConfigSource, type ConfigSource, type ConfigRead } from './config-source.js';
export { agentMetrics, type AgentMetrics } from './metrics.js';
export { pinoLogger, suppressRepeats, type AgentLog } from './log.js';
export { startServer } from './server.js';
export { ec2Discovery, routedCidrs, type RoutedCidrDiscovery } from './discovery.js';
export { agentConflicts, reconcile, uninstallPayload, parseAgentConfig, type AgentConflict } from '../k8s/masq-agent/index.js';
