/**
 * How the agent reads and writes a node's nat table: an injected interface,
 * and its implementation by running `iptables-save -t nat` and
 * `iptables-restore --noflush -w SECONDS` (the payload on stdin).
 */
import { spawn } from 'node:child_process';
import { PodpathError } from '../model/errors.js';

/** Reads and writes the nat table. */
export interface IptablesExec {
  /** `iptables-save -t nat` output. */
  saveNat(): Promise<string>;
  /** Applies a payload with `iptables-restore --noflush` (waiting for the xtables lock). */
  restore(payload: string): Promise<void>;
}

/** Options of the command implementation. */
export interface CommandIptablesOptions {
  /** Words run before each command, e.g. `['ip', 'netns', 'exec', 'ns1']`. @default [] */
  prefix?: string[];
  /** The save and restore programs. @default iptables-save, iptables-restore */
  save?: string;
  restore?: string;
  /** Seconds `-w` waits for the xtables lock. @default 5 */
  waitSeconds?: number;
  /** Extra environment (e.g. XTABLES_LOCKFILE). @default none */
  env?: Record<string, string>;
}

/** Runs the iptables programs. A missing program is PP_MISSING_INPUT; a failing one names its stderr's first line. */
export function commandIptables(opts: CommandIptablesOptions = {}): IptablesExec {
  const prefix = opts.prefix ?? [];
  const save = opts.save ?? 'iptables-save';
  const restore = opts.restore ?? 'iptables-restore';
  const env = { ...process.env, ...(opts.env ?? {}) };
  return {
    saveNat: () => run([...prefix, save, '-t', 'nat'], '', env),
    restore: async (payload) => void (await run([...prefix, restore, '--noflush', '-w', String(opts.waitSeconds ?? 5)], payload, env)),
  };
}

function run(argv: string[], input: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT'
        ? new PodpathError('PP_MISSING_INPUT', `${argv[0]}: not found (the agent needs iptables-save and iptables-restore)`)
        : e);
    });
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      const text = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      // `ip netns exec` reports a missing program this way.
      if ((code === 127 || code === 255) && /exec of .* failed: No such file/.test(text)) {
        return reject(new PodpathError('PP_MISSING_INPUT', `${text.trim().split('\n')[0]} (the agent needs iptables-save and iptables-restore)`));
      }
      reject(new IptablesFailed(argv.join(' '), code ?? -1, text.trim().split('\n').filter(Boolean).join('; ')));
    });
    child.stdin.end(input);
  });
}

/** An iptables program exited non-zero (the lock was busy, the payload was refused...). */
export class IptablesFailed extends Error {
  constructor(readonly command: string, readonly exitCode: number, readonly stderr: string) {
    super(`${command} exited ${exitCode}: ${stderr || 'no message'}`);
    this.name = 'IptablesFailed';
  }
}
