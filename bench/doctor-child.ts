// Runs doctor on one snapshot folder in its own process (bench/run.ts spawns it) and prints one JSON
// line: load and doctor wall times, the process's peak RSS, and what doctor found against the manifest.
import { performance } from 'node:perf_hooks';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshot } from '../src/ingest/snapshot/load.js';
import { doctor } from '../src/doctor/doctor.js';

const dir = process.argv[2]!;
const t0 = performance.now();
const estate = loadSnapshot(dir);
const t1 = performance.now();
const r = doctor(estate);
const t2 = performance.now();
const manifest = existsSync(join(dir, 'manifest.json')) ? JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { faults: { key: string }[] } : { faults: [] };
const keys = new Set(r.findings.map((f) => f.key));
process.stdout.write(`${JSON.stringify({
  loadMs: t1 - t0, doctorMs: t2 - t1, peakRssMb: process.resourceUsage().maxRSS / 1024,
  findings: r.findings.length, missed: manifest.faults.filter((f) => !keys.has(f.key)).map((f) => f.key), stats: r.stats,
})}\n`);
