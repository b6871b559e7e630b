/**
 * `npm run bench`: every speed figure with its baseline, measured in one run on
 * this machine (absolute times vary between machines), printed as
 * `name: value unit (ratio x baseline)` and written to bench/results.json.
 *
 *   trace warm      traceFlow on the seed estate, world compiled once, against the
 *                   naive walk: the world recompiled for every trace. Goal < 1 ms.
 *   doctor          `podpath gen` estate loaded and checked in a child process
 *                   (wall time, peak RSS; the child bundled with esbuild as the CLI
 *                   is), three runs: the median wall time and the largest peak
 *                   RSS, against the goals (5 s, 2 GB), and the seeded faults
 *                   found; then once on the estate's clean variant (`gen
 *                   --clean`), whose findings must be none. Default size: 200 VPCs,
 *                   10 x 20 nodes, 500 Services; `--large` (or BENCH_LARGE=1):
 *                   1,000 VPCs, 50 x 200 nodes, 2,000 Services x 5.
 *   growth          doctor at 1x, 2x, 4x VPCs, distinct rule sets (node groups)
 *                   and rules (Services), each against its 1x run.
 *   incremental     IncrementalCheck per change kind against a full re-check of
 *                   the changed estate (bench/incremental.ts).
 *   iptables        parse vs `iptables-restore --test` (median of paired rounds),
 *                   indexed walk vs the naive linear walk (bench/iptables.ts).
 *   LPM             route-table trie vs linear scan (bench/lpm.ts).
 *   helpers         bench/agent.ts (benchAgent), bench/cli.ts (benchCli),
 *                   bench/nft.ts (benchNft), each run when present; their
 *                   figures are printed as the others (ratio = baseline / value).
 */
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadEstateFile } from '../src/ingest/estate-yaml.js';
import { loadSnapshot } from '../src/ingest/snapshot/load.js';
import { compileWorld } from '../src/trace/world.js';
import { traceFlow, type FlowSpec } from '../src/trace/trace.js';
import { runGen } from '../src/cli/commands/gen.js';
import type { GenOptions } from '../src/gen/plan.js';
import { asFigure, line, median, r2, type Figure, type MeasuredFigure } from './figure.js';

const root = join(import.meta.dirname, '..');
const large = process.argv.includes('--large') || process.env.BENCH_LARGE === '1';
const figures: Figure[] = [];
const say = (s: string): void => void process.stdout.write(`${s}\n`);
const add = (fs: Figure[]): void => {
  for (const f of fs) {
    figures.push(f);
    say(line(f));
  }
};

/** Median time per call in microseconds over `rounds` rounds of `batch` calls. */
function measure(fn: () => void, batch: number, rounds = 15): number {
  for (let i = 0; i < batch; i++) fn(); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

function benchTrace(): Figure[] {
  const estate = loadEstateFile(join(root, 'examples/seed-2015.estate.yaml'));
  const world = compileWorld(estate);
  const flows: [string, FlowSpec][] = [
    ['pod -> RDS (dropped)', { src: 'pod:default/api-7f9', dst: 'rds:prod-db' }],
    ['node -> RDS (delivered, with reply)', { src: 'node:node-1', dst: 'rds:prod-db' }],
    ['pod -> DNS VIP (DNAT, with reply)', { src: 'pod:default/api-7f9', dst: '10.0.0.10:53', proto: 'udp' }],
  ];
  return flows.map(([name, flow]) => {
    const warm = measure(() => traceFlow(world, flow), 500);
    const naive = measure(() => traceFlow(compileWorld(estate), flow), 100);
    return { name: `trace warm, seed: ${name}`, value: r2(warm), unit: 'us/trace', baseline: `naive walk (world recompiled) ${r2(naive)} us`, ratio: r2(naive / warm) };
  });
}

/** What the doctor child prints, with the number of faults the estate was seeded with. */
interface DoctorRun { loadMs: number; doctorMs: number; peakRssMb: number; findings: number; missed: string[]; stats: Record<string, number>; seeded: number }

// The child is bundled as the CLI is (esbuild, no keepNames wrappers), so it runs the code users run.
const childDir = mkdtempSync(join(tmpdir(), 'podpath-bench-child-'));
const child = join(childDir, 'doctor-child.mjs');
await build({
  entryPoints: [join(import.meta.dirname, 'doctor-child.ts')], outfile: child, bundle: true, format: 'esm', platform: 'node', target: 'node20',
  external: ['@aws-sdk/*', '@kubernetes/client-node', 'pino', 'prom-client'], logLevel: 'warning',
  banner: { js: "import { createRequire as __podpathRequire } from 'node:module'; const require = __podpathRequire(import.meta.url);" },
  nodePaths: [join(root, 'node_modules')],
});
process.on('exit', () => rmSync(childDir, { recursive: true, force: true }));

/** Trace warm on the large estate (issue 15, acceptance 2: < 1 ms), against the same trace in a world recompiled for it. */
function benchTraceLarge(o: GenOptions): Figure[] {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-trace-'));
  try {
    runGen({ ...o, out: join(dir, 'e') });
    const estate = loadSnapshot(join(dir, 'e'));
    const rulesets = new Map();
    const world = compileWorld(estate, { rulesets });
    const pod = estate.pods.find((p) => !p.hostNetwork)!;
    const svc = estate.services.find((s) => s.clusterIP !== estate.cluster?.dnsServiceIp)!;
    const flows: [string, FlowSpec][] = [
      ['pod -> RDS', { src: `pod:${pod.name}`, dst: `rds:${estate.rdsInstances[0]!.id}` }],
      [`pod -> ClusterIP (${svc.endpoints.length} endpoints)`, { src: `pod:${pod.name}`, dst: `${svc.clusterIP}:${svc.ports[0]!.port}` }],
    ];
    return flows.map(([name, flow]) => {
      const warm = measure(() => traceFlow(world, flow), 50, 9);
      // The baseline recompiles the world (its parsed dumps kept, as a what-if copy does) for every trace.
      const cold = measure(() => traceFlow(compileWorld(estate, { rulesets, lazyRulesets: true }), flow), 2, 5);
      return { name: `trace warm, large estate: ${name}`, value: r2(warm), unit: 'us/trace', baseline: `world recompiled ${r2(cold)} us`, ratio: r2(cold / warm) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Generates an estate and runs doctor on it `rounds` times, each in a child process of its own (its own
 * heap, its own peak RSS); undefined when a run failed.
 */
function runDoctorGen(o: GenOptions, label: string, rounds = 1): DoctorRun[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-gen-'));
  try {
    const out = join(dir, 'estate');
    const g = runGen({ ...o, out });
    say(`doctor/${label}: ${o.vpcs} VPCs, ${o.clusters} x ${o.nodesPerCluster} nodes, ${o.services} Services x ${o.endpointsPerService}; ${g.manifest.distinctRulesets} distinct rule sets, ${g.manifest.faults.length} seeded faults`);
    const runs: DoctorRun[] = [];
    for (let i = 0; i < rounds; i++) {
      const run = spawnSync(process.execPath, ['--max-old-space-size=6144', child, out], { encoding: 'utf8', timeout: 20 * 60_000, cwd: root });
      if (run.status !== 0) {
        say(`  doctor failed: ${(run.stderr || run.error?.message || `signal ${run.signal}`).split('\n').slice(0, 3).join(' | ')}`);
        return undefined;
      }
      const r = { ...(JSON.parse(run.stdout.trim().split('\n').pop()!) as Omit<DoctorRun, 'seeded'>), seeded: g.manifest.faults.length };
      say(`  load ${r.loadMs.toFixed(0)} ms, doctor ${r.doctorMs.toFixed(0)} ms, peak RSS ${r.peakRssMb.toFixed(0)} MB, ${r.findings} findings, seeded faults missed: ${r.missed.length ? r.missed.join(', ') : 'none'}; ${JSON.stringify(r.stats)}`);
      runs.push(r);
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Doctor's wall time (the median of `rounds` runs: this shared machine's load moves one run by ±20%) and its largest peak RSS. */
function benchDoctorGen(o: GenOptions, label: string, rounds: number): Figure[] {
  const runs = runDoctorGen(o, label, rounds);
  if (!runs) return [{ name: `doctor ${label}`, value: -1, unit: 'ms', baseline: 'goal 5000 ms (run failed)', ratio: null }];
  const wall = median(runs.map((r) => r.loadMs + r.doctorMs));
  const rss = Math.max(...runs.map((r) => r.peakRssMb));
  const of = rounds > 1 ? `, median of ${rounds} runs` : '';
  const found = Math.min(...runs.map((r) => r.seeded - r.missed.length));
  return [
    { name: `doctor ${label}: seeded faults found`, value: found, unit: `of ${runs[0]!.seeded}`, baseline: 'goal: all', ratio: null },
    { name: `doctor ${label} (load + check${of})`, value: Math.round(wall), unit: 'ms', baseline: 'goal 5000 ms', ratio: r2(5000 / wall) },
    { name: `doctor ${label} peak RSS${rounds > 1 ? ` (largest of ${rounds} runs)` : ''}`, value: Math.round(rss), unit: 'MB', baseline: 'goal 2048 MB', ratio: r2(2048 / rss) },
  ];
}

/** The clean variant (`podpath gen --clean`: no fault seeded) of an estate: doctor must find nothing there (issue 15, acceptance 1). */
function benchClean(o: GenOptions, label: string): Figure[] {
  const r = runDoctorGen({ ...o, faults: false }, `${label} clean`)?.[0];
  return [{ name: `doctor ${label} clean variant: findings`, value: r ? r.findings : -1, unit: 'findings', baseline: r ? 'goal 0 (no false positive)' : 'goal 0 (run failed)', ratio: null }];
}

/**
 * Growth (issue 15, acceptance 3): doctor at 1x, 2x and 4x of one dimension,
 * the others fixed; each size's time and peak RSS against the 1x run of the
 * same sweep (linear growth: 2x and 4x; RSS includes Node's own ~50 MB).
 */
function benchGrowth(dim: string, at: (k: number) => GenOptions): Figure[] {
  const base = runDoctorGen(at(1), `growth ${dim} 1x`)?.[0];
  if (!base) return [{ name: `doctor growth in ${dim}`, value: -1, unit: 'x', baseline: 'the 1x run failed', ratio: null }];
  const out: Figure[] = [];
  for (const k of [2, 4]) {
    const r = runDoctorGen(at(k), `growth ${dim} ${k}x`)?.[0];
    if (!r) { out.push({ name: `doctor growth in ${dim} ${k}x`, value: -1, unit: 'x', baseline: 'run failed', ratio: null }); continue; }
    const time = (r.loadMs + r.doctorMs) / (base.loadMs + base.doctorMs);
    out.push({ name: `doctor growth in ${dim} ${k}x: time`, value: r2(time), unit: 'x the 1x run', baseline: `linear ${k}x`, ratio: r2(k / time) });
    out.push({ name: `doctor growth in ${dim} ${k}x: peak RSS`, value: r2(r.peakRssMb / base.peakRssMb), unit: 'x the 1x run', baseline: `linear ${k}x`, ratio: r2(k / (r.peakRssMb / base.peakRssMb)) });
  }
  return out;
}

add(benchTrace());
const medium: GenOptions = { vpcs: 200, clusters: 10, nodesPerCluster: 20, services: 500, endpointsPerService: 5, seed: 1, faults: true };
add(benchDoctorGen(medium, 'medium', 3));
add(benchClean(medium, 'medium'));
const small = { vpcs: 100, clusters: 5, nodesPerCluster: 10, services: 100, endpointsPerService: 5, seed: 1, faults: true };
add(benchGrowth('VPCs', (k) => ({ ...small, vpcs: 100 * k })));
add(benchGrowth('distinct rule sets', (k) => ({ ...small, clusters: 5 * k })));
add(benchGrowth('rules', (k) => ({ ...small, services: 100 * k })));
const largeEstate: GenOptions = { vpcs: 1000, clusters: 50, nodesPerCluster: 200, services: 2000, endpointsPerService: 5, seed: 1, faults: true };
if (large) add(benchDoctorGen(largeEstate, 'large', 3));
if (large) add(benchClean(largeEstate, 'large'));
if (large) add(benchTraceLarge(largeEstate));
else say('doctor/large: skipped (npm run bench -- --large, or BENCH_LARGE=1)');
const { benchIncremental } = await import('./incremental.js');
// Ten changes of each kind after one warm-up: a median of three was mostly the JIT's first passes (a sequence of
// changes, as fix's checks and the agent make, runs warm; the literature's figures are averages over sequences).
add(benchIncremental(large ? largeEstate : medium, large ? 'large' : 'medium', 10));
const { benchIptables } = await import('./iptables.js');
add(await benchIptables());
const { benchLpm } = await import('./lpm.js');
add(benchLpm());
// Other benches, when their module is present: each exports a function returning MeasuredFigure[].
for (const [file, fn] of [['agent', 'benchAgent'], ['cli', 'benchCli'], ['nft', 'benchNft']] as const) {
  if (!existsSync(join(import.meta.dirname, `${file}.ts`))) {
    say(`${file}: bench/${file}.ts not present, skipped`);
    continue;
  }
  const mod = (await import(`./${file}.js`)) as Record<string, () => MeasuredFigure[] | Promise<MeasuredFigure[]>>;
  add((await mod[fn]!()).map(asFigure));
}
writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), large, figures }, null, 2)}\n`);
say(`wrote bench/results.json (${figures.length} figures)`);
