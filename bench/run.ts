/**
 * `npm run bench`: speed figures, each as a ratio against a baseline measured
 * in the same run on the same machine (absolute times vary between machines).
 *
 * trace/seed: warm `traceFlow` on the seed estate (world compiled once), against
 * the naive reference walk: the same flow with the world recompiled for every
 * trace (re-parsing every node's iptables and rebuilding every route trie),
 * which is what a tool without a compiled model does. Goal: < 1 ms per trace.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { loadEstateFile } from '../src/ingest/estate-yaml.js';
import { compileWorld } from '../src/trace/world.js';
import { traceFlow, type FlowSpec } from '../src/trace/trace.js';

const root = join(import.meta.dirname, '..');

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

const estate = loadEstateFile(join(root, 'examples/seed-2015.estate.yaml'));
const world = compileWorld(estate);
const flows: [string, FlowSpec][] = [
  ['pod -> RDS (dropped)', { src: 'pod:default/api-7f9', dst: 'rds:prod-db' }],
  ['node -> RDS (delivered, with reply)', { src: 'node:node-1', dst: 'rds:prod-db' }],
  ['pod -> DNS VIP (DNAT, with reply)', { src: 'pod:default/api-7f9', dst: '10.0.0.10:53', proto: 'udp' }],
];

console.log('trace/seed: warm trace vs naive reference walk (world recompiled per trace)');
for (const [name, flow] of flows) {
  const warm = measure(() => traceFlow(world, flow), 500);
  const naive = measure(() => traceFlow(compileWorld(estate), flow), 100);
  console.log(`  ${name.padEnd(38)} warm ${warm.toFixed(1).padStart(7)} us/trace   naive ${naive.toFixed(1).padStart(7)} us/trace   ratio ${(naive / warm).toFixed(1)}x   goal <1000 us: ${warm < 1000 ? 'met' : 'NOT met'}`);
}

// doctor at scale: equivalence classes vs a per-pod-pair baseline (bench/doctor.ts).
const { benchDoctor } = await import('./doctor.js');
for (const line of benchDoctor(200, 2000, 3)) console.log(line);

// iptables: parse vs iptables-restore --test, and the indexed walk vs a linear one (bench/iptables.ts).
await import('./iptables.js');
