// doctor lets go of a delivered pair's traces once it has read them and traces the pair again when
// something reads them later: what is read must be exactly what tracing every pair from scratch gives.
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { doctor, doctorEdges, doctorWorld } from '../../src/doctor/doctor.js';
import { tracePairs } from '../../src/doctor/pairs.js';
import type { Estate } from '../../src/model/estate.js';
import { fixture } from '../helpers/estates.js';
import { generatedEstate } from '../helpers/gen-estate.js';

const generated = (): Estate => generatedEstate({ vpcs: 48, clusters: 5, nodesPerCluster: 3, services: 20, endpointsPerService: 3, seed: 3, faults: true });

const released = (p: object) => typeof Object.getOwnPropertyDescriptor(p, 'traces')?.get === 'function';

describe.each([
  ['the seed-like peering estate', () => loadEstateFile(fixture('peering-clean'))],
  ['a generated estate with every seeded fault', generated],
])('released traces on %s', (_, make) => {
  it('are traced again to what a fresh trace of every pair gives, and kept once read', () => {
    const estate = make();
    const r = doctor(estate);
    const delivered = r.pairs.filter((p) => p.verdict === 'delivered');
    expect(delivered.length).toBeGreaterThan(0);
    // The DNS check reads its pairs' traces again after tracing: those are kept.
    expect(delivered.filter((p) => !p.dst.startsWith('dns:')).every(released)).toBe(true);
    expect(r.pairs.filter((p) => p.verdict !== 'delivered').some(released)).toBe(false);

    const { world, sources, destinations } = doctorWorld(estate);
    const fresh = tracePairs(world, sources, destinations, doctorEdges(world));
    expect(r.pairs.map((p) => ({ ...p }))).toEqual(fresh.map((p) => ({ ...p })));
    expect(r.stats.traces).toBe(fresh.reduce((n, p) => n + p.traces.length, 0));
    // Read once, kept: a second read is the same array.
    const p = delivered.find((x) => !x.dst.startsWith('dns:'))!;
    expect(released(p)).toBe(false);
    expect(p.traces).toBe(p.traces);
  });
});
