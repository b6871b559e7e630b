/**
 * The podpath agent: keeps a node's nat masquerade rules as its config says,
 * as ip-masq-agent does, with the pure core in src/k8s/masq-agent.
 *
 * Each sync: read the config (a rejected file keeps the last good config,
 * logged with file, line and key, counted in a metric), discover routed
 * CIDRs when asked, read `iptables-save -t nat`, reconcile, apply the payload
 * with one `iptables-restore --noflush -w` when there is one (nothing is
 * written when nothing changed), read the table again and report conflicts.
 * Syncs repeat every resyncInterval and when the config file changes, until
 * the AbortSignal aborts. Everything it uses is passed in (no module state).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PodpathError } from '../model/errors.js';
import {
  agentConflicts, defaultConfig, parseAgentConfig, readNatTable, reconcile, uninstallPayload,
  type AgentConfig, type AgentConflict, type AgentFlags,
} from '../k8s/masq-agent/index.js';
import type { ConfigSource } from './config-source.js';
import type { RoutedCidrDiscovery } from './discovery.js';
import type { IptablesExec } from './iptables.js';
import type { AgentLog } from './log.js';
import type { AgentMetrics } from './metrics.js';

/** What one sync did. */
export interface SyncOutcome {
  /** The payload applied (or, with dryRun, the one that would be). Undefined when nothing had to change. */
  payload?: string;
  /** Whether iptables-restore ran. */
  wrote: boolean;
  rulesInChain: number;
  /** Conflicts in the nat table after the sync (before it, with dryRun). */
  conflicts: AgentConflict[];
  /** The config used. */
  config: AgentConfig;
}

/** The agent's collaborators, injected. */
export interface AgentDeps {
  iptables: IptablesExec;
  config: ConfigSource;
  log: AgentLog;
  metrics: AgentMetrics;
  /** Needed when a config sets discoverRoutedCIDRs. @default none: the key is reported and ignored */
  discovery?: RoutedCidrDiscovery;
  /** Clock for metrics. @default Date.now */
  now?: () => number;
}

/** Options, passed explicitly. */
export interface AgentOptions {
  flags: AgentFlags;
  /** Compute and report, never write. @default false */
  dryRun?: boolean;
}

/**
 * One agent: `sync()` once, or `run(signal)` until aborted. A config that is
 * invalid at the first sync is an error (PodpathError: there is no good config
 * to keep); later ones are logged and the last good config stays.
 */
export class MasqAgent {
  private lastGood: AgentConfig | undefined;
  private discovered: string[] = [];
  private healthy = false;

  constructor(private readonly opts: AgentOptions, private readonly deps: AgentDeps) {}

  /** True while the last sync succeeded. */
  isHealthy(): boolean {
    return this.healthy;
  }

  /** Reads the config; keeps the last good one when the new one is rejected. */
  async loadConfig(): Promise<AgentConfig> {
    const { log, metrics } = this.deps;
    let read;
    try {
      read = await this.deps.config.read();
    } catch (e) {
      if (!this.lastGood || !(e instanceof PodpathError)) throw e;
      metrics.configErrors.inc();
      log.error('config unreadable; keeping the last good config', { file: e.file, error: e.message });
      return this.lastGood;
    }
    if ('missing' in read) {
      log.info('no config file; using ip-masq-agent defaults', { file: read.missing });
      return (this.lastGood = defaultConfig(this.opts.flags));
    }
    const r = parseAgentConfig(read.text, read.file, this.opts.flags);
    for (const w of r.warnings) log.warn(w, { file: read.file });
    if ('error' in r) {
      const { file, line, key, message } = r.error;
      if (!this.lastGood) throw new PodpathError('PP_SCHEMA', message, { file, line });
      metrics.configErrors.inc();
      log.error('config rejected; keeping the last good config', { file, line, key, error: message });
      return this.lastGood;
    }
    if (r.value.discoverRoutedCIDRs && !this.deps.discovery) log.warn('discoverRoutedCIDRs is set but no discovery is available here; ignored', { file: read.file });
    return (this.lastGood = r.value);
  }

  /** One sync. Rejects on an iptables failure (the node's rules are then as they were: restore is atomic). */
  async sync(signal?: AbortSignal): Promise<SyncOutcome> {
    const { iptables, metrics, log } = this.deps;
    const now = this.deps.now ?? Date.now;
    const end = metrics.reconcileSeconds.startTimer();
    try {
      const config = await this.loadConfig();
      if (config.discoverRoutedCIDRs && this.deps.discovery) {
        try {
          this.discovered = await this.deps.discovery.routedCidrs(signal);
          log.info('routed CIDRs discovered', { cidrs: this.discovered });
        } catch (e) {
          log.warn('routed CIDR discovery failed; keeping the previous list', { error: (e as Error).message, kept: this.discovered });
        }
      }
      const spec = { config, flags: this.opts.flags, discovered: config.discoverRoutedCIDRs ? this.discovered : [] };
      const before = readNatTable(await iptables.saveNat(), undefined, this.opts.flags.masqChain);
      const r = reconcile(spec, before);
      let conflicts = r.conflicts;
      let wrote = false;
      if (r.payload && !this.opts.dryRun) {
        await iptables.restore(r.payload);
        wrote = true;
        metrics.writes.inc();
        log.info('rules applied', { chain: this.opts.flags.masqChain, changes: r.changes, rules: r.rulesInChain });
        conflicts = agentConflicts(readNatTable(await iptables.saveNat(), undefined, this.opts.flags.masqChain), this.opts.flags.masqChain, config.podCIDRs);
      }
      for (const c of conflicts) log.warn('conflict: another rule decides masquerade', { rule: c.rule.text, position: c.position, ...(c.via ? { via: c.via.text } : {}), message: c.message });
      metrics.rulesInChain.set(r.rulesInChain);
      metrics.conflicts.set(conflicts.length);
      metrics.lastSuccess.set(now() / 1000);
      this.healthy = true;
      return { payload: r.payload, wrote, rulesInChain: r.rulesInChain, conflicts, config };
    } catch (e) {
      this.healthy = false;
      metrics.failures.inc();
      throw e;
    } finally {
      end();
    }
  }

  /**
   * Syncs until `signal` aborts: every resyncInterval and on config file
   * changes. A failed sync is logged and retried at the next tick; the first
   * sync's failure is returned to the caller (a bad start is an error).
   */
  async run(signal: AbortSignal): Promise<void> {
    await this.sync(signal);
    let wake: AbortController | undefined;
    this.deps.config.watch?.(() => wake?.abort(), signal);
    while (!signal.aborted) {
      wake = new AbortController();
      const interval = (this.lastGood ?? defaultConfig(this.opts.flags)).resyncIntervalMs;
      try {
        await sleep(interval, undefined, { signal: AbortSignal.any([signal, wake.signal]) });
      } catch {
        // woken by a file change or by shutdown
      }
      if (signal.aborted) break;
      try {
        await this.sync(signal);
      } catch (e) {
        this.deps.log.error('sync failed; rules left as they were', { error: e instanceof PodpathError ? e.oneLine() : (e as Error).message });
      }
    }
  }

  /** Removes the agent's jumps and chain; returns the payload applied, or undefined when nothing was installed. */
  async uninstall(): Promise<string | undefined> {
    const payload = uninstallPayload(this.opts.flags.masqChain, readNatTable(await this.deps.iptables.saveNat(), undefined, this.opts.flags.masqChain));
    if (payload && !this.opts.dryRun) {
      await this.deps.iptables.restore(payload);
      this.deps.log.info('agent rules removed', { chain: this.opts.flags.masqChain });
    }
    return payload;
  }

  /** Conflicts in the node's nat table as it is (no config needed). */
  async check(podCIDRs: readonly string[] = []): Promise<AgentConflict[]> {
    return agentConflicts(readNatTable(await this.deps.iptables.saveNat(), undefined, this.opts.flags.masqChain), this.opts.flags.masqChain, podCIDRs);
  }
}
