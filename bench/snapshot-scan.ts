/**
 * `npx tsx bench/snapshot-scan.ts [NODES...]` (default 1000 4000): the synthetic VPC CNI snapshot
 * (test/ingest/vpc-cni-estate.ts) of each size, read as the loader does, with the two converters
 * timed on their own (median of 5 rounds), and the whole load (median of 3). The converters held
 * the two look-ups that once scanned every record per node or per route: each ENI route's owner
 * in convertFabric (routes x interfaces) and each node's VPC blocks in convertK8s (nodes x
 * subnets). Doubling the nodes should about double a time; a quadratic scan quadruples it.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { convertFabric } from '../src/ingest/snapshot/aws-fabric.js';
import { convertHosts } from '../src/ingest/snapshot/aws-hosts.js';
import { emptyRecords, sortDocument } from '../src/ingest/snapshot/collect-docs.js';
import { readJsonFile } from '../src/ingest/snapshot/json-file.js';
import { convertK8s } from '../src/ingest/snapshot/k8s-convert.js';
import { detectProfile } from '../src/ingest/snapshot/k8s-profile.js';
import { inspectSnapshot } from '../src/ingest/snapshot/load.js';
import { SnapshotNotes } from '../src/ingest/snapshot/notes.js';
import { keepOnePerId } from '../src/ingest/snapshot/shared-records.js';
import { writeVpcCniSnapshot } from '../test/ingest/vpc-cni-estate.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const timed = <T>(ms: number[], fn: () => T): T => {
  const t0 = performance.now();
  const v = fn();
  ms.push(performance.now() - t0);
  return v;
};

/** One round of the loader's steps up to the k8s conversion, the two converters timed. */
function converters(dir: string, fabricMs: number[], k8sMs: number[]): void {
  const notes = new SnapshotNotes();
  const records = emptyRecords();
  for (const folder of ['aws', 'k8s']) for (const f of readdirSync(join(dir, folder)).sort()) sortDocument(readJsonFile(join(dir, folder, f)), records, notes);
  keepOnePerId(records, notes);
  const fabric = timed(fabricMs, () => convertFabric(records, notes));
  const hosts = convertHosts(records, fabric, notes, {});
  const profile = detectProfile(records, undefined, notes);
  timed(k8sMs, () => convertK8s(records, { instances: hosts.instances, subnets: fabric.subnets, vpcs: fabric.vpcs }, new Map(), profile, undefined, notes));
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const nodes of sizes.length ? sizes : [1000, 4000]) {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-scan-bench-'));
  try {
    writeVpcCniSnapshot(dir, nodes);
    const fabricMs: number[] = [], k8sMs: number[] = [], loadMs: number[] = [];
    for (let round = 0; round < 5; round++) converters(dir, fabricMs, k8sMs);
    for (let round = 0; round < 3; round++) {
      const { estate } = timed(loadMs, () => inspectSnapshot(dir));
      if (estate.nodes.length !== nodes) throw new Error(`loaded ${estate.nodes.length} of ${nodes} nodes`);
    }
    const f = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
    process.stdout.write(`VPC CNI snapshot, ${nodes} nodes: convertFabric ${f(fabricMs)}, convertK8s ${f(k8sMs)}, whole load ${f(loadMs)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
