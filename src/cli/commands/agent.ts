/**
 * `podpath agent`: the masquerade agent (a DaemonSet on every node). With
 * --once, --dry-run, --check or --uninstall it does one thing and exits;
 * otherwise it runs until SIGTERM/SIGINT, serving /healthz and /metrics.
 * Exit codes: 0 ok; 1 --check found conflicts; 2 invalid config, unreadable
 * file, iptables missing or failing (one line, printed by cli/main.ts).
 */
import { PodpathError } from '../../model/errors.js';
import { DEFAULT_FLAGS, parseToPorts, type AgentConflict, type AgentFlags } from '../../k8s/masq-agent/index.js';
import {
  MasqAgent, agentMetrics, commandIptables, fileConfigSource, pinoLogger, startServer, suppressRepeats, IptablesFailed, ec2Discovery,
  type IptablesExec,
} from '../../agent/index.js';

/** The command's options (commander's names). */
export interface AgentCliOptions {
  config: string;
  dryRun?: boolean;
  once?: boolean;
  uninstall?: boolean;
  check?: boolean;
  port: number;
  host: string;
  masqChain: string;
  nomasqAllReservedRanges?: boolean;
  randomFully: boolean;
  toPorts?: string;
  enableIpv6?: boolean;
  logLevel: string;
}

/** ip-masq-agent's config path (its ConfigMap mounted at /etc/config). */
export const DEFAULT_CONFIG_PATH = '/etc/config/ip-masq-agent';
/** The default port of /healthz and /metrics. */
export const DEFAULT_PORT = 9745;

/** Runs the agent; resolves to the exit code. `iptables` and `signal` are injectable for tests. */
export async function runAgent(
  opts: AgentCliOptions,
  io: { out: (s: string) => void; err: (s: string) => void },
  inject: { iptables?: IptablesExec; signal?: AbortSignal; onListening?: (port: number) => void; logDest?: NodeJS.WritableStream } = {},
): Promise<number> {
  const flags = agentFlags(opts);
  const logger = pinoLogger(inject.logDest ?? process.stderr, opts.logLevel);
  const deps = {
    iptables: inject.iptables ?? commandIptables(),
    config: fileConfigSource(opts.config),
    log: suppressRepeats(logger),
    metrics: agentMetrics(),
    discovery: ec2Discovery(),
  };
  const agent = new MasqAgent({ flags, dryRun: opts.dryRun }, deps);
  try {
    if (opts.check) {
      const conflicts = await agent.check();
      io.out(conflictText(conflicts, flags.masqChain));
      return conflicts.length ? 1 : 0;
    }
    if (opts.uninstall) {
      const payload = await agent.uninstall();
      io.out(payload === undefined ? `nothing to remove: no ${flags.masqChain} chain or jump\n` : opts.dryRun ? payload : `removed ${flags.masqChain} and its jumps\n`);
      return 0;
    }
    if (opts.once || opts.dryRun) {
      const r = await agent.sync(inject.signal);
      if (opts.dryRun) io.out(r.payload ?? `# no change: ${flags.masqChain} is up to date\n`);
      else io.out(r.wrote ? `applied ${flags.masqChain} (${r.rulesInChain} rules)\n` : `no change: ${flags.masqChain} is up to date (${r.rulesInChain} rules)\n`);
      io.out(conflictText(r.conflicts, flags.masqChain));
      return 0;
    }
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    inject.signal?.addEventListener('abort', stop, { once: true });
    try {
      const { port } = await startServer({ host: opts.host, port: opts.port, metrics: deps.metrics, healthy: () => agent.isHealthy(), signal: ctl.signal });
      inject.onListening?.(port);
      logger.info({ port, host: opts.host, config: opts.config, chain: flags.masqChain }, 'agent started');
      await agent.run(ctl.signal);
      logger.info('agent stopped');
      return 0;
    } finally {
      ctl.abort();
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  } catch (e) {
    if (e instanceof IptablesFailed) throw new PodpathError('PP_IPTABLES', e.message, { hint: 'the node\'s rules were left as they were' });
    throw e;
  }
}

function agentFlags(opts: AgentCliOptions): AgentFlags {
  const toPorts = parseToPorts(opts.toPorts ?? '');
  if (typeof toPorts === 'string') throw new PodpathError('PP_USAGE', `invalid --to-ports ${JSON.stringify(opts.toPorts)}: ${toPorts}`);
  if (!/^[A-Za-z0-9_-]{1,28}$/.test(opts.masqChain)) throw new PodpathError('PP_USAGE', `invalid --masq-chain ${JSON.stringify(opts.masqChain)}: 1-28 letters, digits, - or _`);
  return { ...DEFAULT_FLAGS, masqChain: opts.masqChain, nomasqAllReservedRanges: opts.nomasqAllReservedRanges ?? false, randomFully: opts.randomFully, toPorts, enableIpv6: opts.enableIpv6 ?? false };
}

function conflictText(conflicts: AgentConflict[], chain: string): string {
  if (conflicts.length === 0) return `no conflicts: nothing else in nat POSTROUTING decides masquerade around ${chain}\n`;
  return conflicts.map((c) => `conflict: ${c.rule.file}:${c.rule.line}: ${c.message}\n`).join('');
}
