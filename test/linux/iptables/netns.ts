/**
 * A throwaway network namespace for the kernel-oracle tests: created with a
 * unique `ppo<random>` name, used only through `ip netns exec NAME`, deleted by
 * `close()` (call it in afterAll / finally). Nothing here touches the root
 * namespace's rules, and no packet is sent anywhere.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** What `iptables -V` says about the backend. */
export type Backend = 'nf_tables' | 'legacy';

export interface Netns {
  name: string;
  backend: Backend;
  /** `iptables-restore [--test]` of `text`; ok and stderr. */
  restore(text: string, opts?: { test?: boolean; noflush?: boolean }): { ok: boolean; stderr: string };
  /** `iptables-save` output. */
  save(): string;
  /** Runs a command inside the namespace. */
  exec(cmd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  close(): void;
}

const run = (cmd: string, args: string[], input?: string) => {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
};

/** Why the kernel oracle cannot run here, or undefined when it can. */
export function oracleUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'iptables-restore', 'iptables-save']) {
    if (run('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (scripts/install-system-deps.sh)`;
  }
  return undefined;
}

/** Creates a fresh namespace. Throws when it cannot. */
export function openNetns(): Netns {
  const name = `ppo${randomBytes(5).toString('hex')}`;
  const made = run('ip', ['netns', 'add', name]);
  if (made.status !== 0) throw new Error(`ip netns add ${name}: ${made.stderr}`);
  const v = run('iptables', ['-V']).stdout;
  const backend: Backend = v.includes('nf_tables') ? 'nf_tables' : 'legacy';
  const exec = (cmd: string, args: string[], input?: string) => run('ip', ['netns', 'exec', name, cmd, ...args], input);
  return {
    name,
    backend,
    exec,
    restore(text, opts = {}) {
      const r = exec('iptables-restore', [...(opts.test ? ['--test'] : []), ...(opts.noflush ? ['--noflush'] : [])], text);
      return { ok: r.status === 0, stderr: r.stderr };
    },
    save() {
      const r = exec('iptables-save', []);
      if (r.status !== 0) throw new Error(`iptables-save in ${name}: ${r.stderr}`);
      return r.stdout;
    },
    close() {
      run('ip', ['netns', 'del', name]);
    },
  };
}
