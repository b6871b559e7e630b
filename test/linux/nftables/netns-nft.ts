/**
 * nft in a throwaway network namespace (unique `ppn<random>` name, deleted by
 * close()): the kernel as oracle for what nft accepts and how it lists a
 * ruleset. Nothing touches the root namespace; no packet is sent.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const run = (cmd: string, args: string[], input?: string) => {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
};

/** Why the oracle cannot run here, or undefined. */
export function nftUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'nft']) if (run('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (scripts/install-system-deps.sh)`;
  return undefined;
}

export interface NftNetns {
  /** `nft [-c] -f FILE`: ok, and the line nft's error names (FILE:LINE:COL). */
  load(file: string, check?: boolean): { ok: boolean; line?: number; stderr: string };
  list(json?: boolean): string;
  flush(): void;
  close(): void;
}

export function openNftNetns(): NftNetns {
  const name = `ppn${randomBytes(5).toString('hex')}`;
  const made = run('ip', ['netns', 'add', name]);
  if (made.status !== 0) throw new Error(`ip netns add ${name}: ${made.stderr}`);
  const nft = (args: string[]) => run('ip', ['netns', 'exec', name, 'nft', ...args]);
  return {
    load(file, check = false) {
      const r = nft([...(check ? ['-c'] : []), '-f', file]);
      const m = /:(\d+):\d+(-\d+)?: Error/.exec(r.stderr);
      return { ok: r.status === 0, stderr: r.stderr, ...(m ? { line: Number(m[1]) } : {}) };
    },
    list(json = false) {
      const r = nft([...(json ? ['-j'] : []), 'list', 'ruleset']);
      if (r.status !== 0) throw new Error(`nft list ruleset: ${r.stderr}`);
      return r.stdout;
    },
    flush() {
      nft(['flush', 'ruleset']);
    },
    close() {
      run('ip', ['netns', 'del', name]);
    },
  };
}
