/**
 * Running the kernel's tools for the lab: every command has a timeout, runs
 * either in the root namespace (only `ip netns add/del/list/pids`, which
 * create and remove namespaces but give the root namespace no address or
 * route) or inside one lab namespace via `ip netns exec`.
 *
 * Guarantees: no command runs without a timeout (default 10 s); a failure
 * raises LabCommandError with the command line and its stderr; `runSync` is
 * for teardown paths (signal handlers, `exit`) where nothing async may run.
 */
import { execFile, spawnSync } from 'node:child_process';
import { PodpathError } from '../model/errors.js';

/** Result of one command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A lab command that failed: the command line and what it said. */
export class LabCommandError extends Error {
  constructor(readonly argv: string[], readonly result: RunResult) {
    super(`lab: \`${argv.join(' ')}\` failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'LabCommandError';
  }
}

export interface RunOptions {
  input?: string;
  /** @default 10000 */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit. @default false */
  allowFail?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command (argv[0] looked up in PATH) and collects its output. */
export function run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: o.timeoutMs ?? 10_000, killSignal: 'SIGKILL', maxBuffer: 32 << 20, env: o.env ?? process.env }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      const result: RunResult = {
        code: e ? (typeof e.code === 'number' ? e.code : 127) : 0,
        stdout: String(stdout),
        stderr: String(stderr) + (e && typeof e.code === 'string' ? ` ${e.code}` : ''),
        timedOut: Boolean(e?.killed),
      };
      if (result.code !== 0 && !o.allowFail) reject(new LabCommandError(argv, result));
      else resolve(result);
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });
}

/** Synchronous variant for teardown; never throws. */
export function runSync(argv: string[], timeoutMs = 5000): RunResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? ''), timedOut: r.signal === 'SIGKILL' };
}

/** `ip netns exec NS argv...`. */
export function inNs(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/** Throws the lab's one clear error when not running as root. */
export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new PodpathError('PP_USAGE', 'lab commands need root (network namespaces)', { hint: 'run with sudo' });
  }
}

/** Runs `tasks` with at most `limit` in flight; rejects with the first failure after all settle. */
export async function parallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}
