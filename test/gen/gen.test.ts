import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEstate } from '../../src/gen/estate.js';
import type { GenOptions } from '../../src/gen/plan.js';
import { runGen } from '../../src/cli/commands/gen.js';
import { loadSnapshot } from '../../src/ingest/snapshot/load.js';
import { doctor } from '../../src/doctor/doctor.js';
import { CATALOG } from '../../src/doctor/catalog.js';
import { compileWorld } from '../../src/trace/world.js';

// A medium estate: 48 data VPCs (some through the TGW, a peering mesh), 5 node groups of 6 nodes,
// 60 Services x 5 endpoints (kube-proxy dumps from the real generator).
const medium: GenOptions = { vpcs: 48, clusters: 5, nodesPerCluster: 6, services: 60, endpointsPerService: 5, seed: 3, faults: true };

function generated(o: GenOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-gen-'));
  try {
    const out = join(dir, 'estate');
    const r = runGen({ ...o, out });
    const nodeA = statSync(join(out, 'nodes/c0-n1/iptables-save.txt'));
    const nodeB = statSync(join(out, 'nodes/c0-n2/iptables-save.txt'));
    return { manifest: r.manifest, estate: loadSnapshot(out), sharedInode: nodeA.ino === nodeB.ino && nodeA.nlink > 1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('podpath gen', () => {
  it('is deterministic: the same options give the same files', () => {
    const a = generateEstate(medium);
    const b = generateEstate(medium);
    expect(a.files.map((f) => f.text)).toEqual(b.files.map((f) => f.text));
    expect(generateEstate({ ...medium, seed: 4 }).manifest.faults).not.toEqual(a.manifest.faults);
  });

  it('seeds one fault of every finding kind PP101-PP113, and doctor reports each expected key', () => {
    const { manifest, estate, sharedInode } = generated(medium);
    expect(sharedInode).toBe(true);
    const kinds = [...CATALOG.keys()].filter((id) => id >= 'PP101' && id <= 'PP113');
    expect(new Set(manifest.faults.map((f) => f.id))).toEqual(new Set(kinds));
    const r = doctor(estate);
    const keys = new Set(r.findings.map((f) => f.key));
    expect(manifest.faults.filter((f) => !keys.has(f.key))).toEqual([]);
    // Nodes sharing one hard-linked dump: read once (named by its first path), parsed once.
    const src = (n: string) => estate.nodes.find((x) => x.name === n)!.iptables!;
    const [a, b] = [src('c0-n1'), src('c0-n2')];
    expect(b.file).toBe(a.file);
    expect(a.file).toMatch(/nodes\/c0-n0\/iptables-save\.txt$/);
    const w = compileWorld(estate);
    expect(w.nodes.get('c0-n2')!.ruleset).toBe(w.nodes.get('c0-n1')!.ruleset);
  });

  it('the clean variant has no finding', () => {
    const { manifest, estate } = generated({ ...medium, faults: false });
    expect(manifest.faults).toEqual([]);
    const r = doctor(estate);
    expect(r.findings.map((f) => `${f.key}: ${f.title}`)).toEqual([]);
    expect(r.stats.tracedPairs).toBeGreaterThan(100);
  });

  it('refuses options the address plan cannot hold, in one line', () => {
    expect(() => generateEstate({ ...medium, clusters: 101 })).toThrow(/at most 100 clusters/);
    expect(() => generateEstate({ ...medium, vpcs: 3 })).toThrow(/--clean/);
  });
});
