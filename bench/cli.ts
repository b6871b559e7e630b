/**
 * CLI start-up and run time from the packed package (issue 16): `podpath demo`
 * and `podpath trace` run as a user runs them after installing the tarball,
 * each against `node -e 0` measured in the same run (the baseline: Node's own
 * start). Goals: < 300 ms wall, < 2.5x `node -e 0`. Runs are interleaved so
 * that machine load hits command and baseline alike; the median is reported.
 * The bin keeps a V8 code cache (scripts/cli-loader.mjs), here in a temp
 * folder: the warm-up run writes it. `podpath demo (no code cache)` is the
 * first run's figure (PODPATH_CODE_CACHE=off), for comparison.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
// @ts-expect-error plain ESM script without types
import { packAndInstall } from '../scripts/packed-install.mjs';
import { median, type MeasuredFigure } from './figure.js';

function wall(cmd: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, stdio: 'ignore', env });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
  return ms;
}


/** Packs, installs into a temp folder, and times demo and trace against `node -e 0`. */
export async function benchCli(rounds = 9): Promise<MeasuredFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-cli-'));
  try {
    const { prefix } = packAndInstall(dir) as { prefix: string };
    const bin = join(prefix, 'node_modules', 'podpath', 'dist', 'podpath.js');
    const cached = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
    const commands: [string, string[], NodeJS.ProcessEnv][] = [
      ['podpath demo', ['node', bin, 'demo'], cached],
      ['podpath trace', ['node', bin, 'trace', '--estate', join(prefix, 'node_modules/podpath/examples/seed-2015.estate.yaml'), 'pod:api-7f9', 'rds:prod-db', '-q'], cached],
      ['podpath demo (no code cache)', ['node', bin, 'demo'], { ...process.env, PODPATH_CODE_CACHE: 'off' }],
    ];
    const out: MeasuredFigure[] = [];
    for (const [name, cmd, env] of commands) {
      wall(cmd, prefix, env); // warm the file cache and write the code cache
      const base: number[] = [];
      const runs: number[] = [];
      for (let i = 0; i < rounds; i++) {
        base.push(wall(['node', '-e', '0'], prefix));
        runs.push(wall(cmd, prefix, env));
      }
      const value = Math.round(median(runs));
      const baseline = Math.round(median(base));
      // ratio: baseline / value, as for every figure (below 1: slower than starting Node with nothing to run).
      out.push({ name, value, unit: 'ms', baseline, baselineName: 'node -e 0', ratio: baseline / value });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await benchCli()) console.log(`${f.name}: ${f.value} ${f.unit} wall, node -e 0: ${f.baseline} ${f.unit}, ${(f.value / f.baseline).toFixed(2)}x its time${f.name.includes('no code cache') ? '' : ' (goal < 300 ms, < 2.5x)'}`);
}
