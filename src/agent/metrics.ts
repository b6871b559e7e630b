/**
 * The agent's Prometheus metrics, in a registry of its own (no global state).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics the agent updates. */
export interface AgentMetrics {
  registry: Registry;
  reconcileSeconds: Histogram;
  rulesInChain: Gauge;
  configErrors: Counter;
  lastSuccess: Gauge;
  conflicts: Gauge;
  writes: Counter;
  failures: Counter;
}

/** A fresh set of metrics. */
export function agentMetrics(): AgentMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    reconcileSeconds: new Histogram({ name: 'podpath_agent_reconcile_duration_seconds', help: 'Time to read the nat table, reconcile and (when needed) apply', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    rulesInChain: new Gauge({ name: 'podpath_agent_rules_in_chain', help: "Rules in the agent's nat chain after the last reconcile", registers }),
    configErrors: new Counter({ name: 'podpath_agent_config_errors_total', help: 'Config files rejected (the last good config stayed in force)', registers }),
    lastSuccess: new Gauge({ name: 'podpath_agent_last_success_timestamp_seconds', help: 'Unix time of the last successful reconcile', registers }),
    conflicts: new Gauge({ name: 'podpath_agent_conflicts', help: "Rules in nat POSTROUTING that decide before or after the agent's chain", registers }),
    writes: new Counter({ name: 'podpath_agent_restore_writes_total', help: 'iptables-restore runs (a reconcile with nothing to change writes nothing)', registers }),
    failures: new Counter({ name: 'podpath_agent_reconcile_failures_total', help: 'Reconciles that failed (iptables error, lock busy)', registers }),
  };
}
