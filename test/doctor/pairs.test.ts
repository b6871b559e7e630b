// tracePairs decides each source's pairs with what it found of the source once and each destination's address
// parsed once: the pairs it traces must be exactly those shouldTrace picks one by one.
import { describe, expect, it } from 'vitest';
import { doctorWorld } from '../../src/doctor/doctor.js';
import { shouldTrace, tracePairs } from '../../src/doctor/pairs.js';
import type { PairResult } from '../../src/doctor/types.js';
import { generatedEstate } from '../helpers/gen-estate.js';

describe('tracePairs', () => {
  it('traces the pairs shouldTrace picks, every kind of source and destination, in order', () => {
    const estate = generatedEstate({ vpcs: 48, clusters: 5, nodesPerCluster: 3, services: 20, endpointsPerService: 3, seed: 3, faults: true });
    const { world, sources, destinations } = doctorWorld(estate);
    const asked: string[] = [];
    // `known` answers every pair, so nothing is traced: the test reads which pairs tracePairs would trace.
    tracePairs(world, sources, destinations, undefined, undefined, undefined, (s, d) => {
      asked.push(`${s.key} -> ${d.key}`);
      return { key: `${s.key} -> ${d.key}`, src: s.key, dst: d.key, verdict: 'delivered', traces: [] } satisfies PairResult;
    });
    const picked = sources.flatMap((s) => destinations.filter((d) => shouldTrace(world, s, d)).map((d) => `${s.key} -> ${d.key}`));
    expect(asked).toEqual(picked);
    // The estate exercises every branch of the decision.
    for (const kind of ['pods', 'hosts', 'subnet']) expect(asked.some((k) => k.startsWith(`${kind}:`)), kind).toBe(true);
    for (const kind of ['dns', 'service', 'pods', 'rds', 'subnet']) expect(asked.some((k) => k.includes(`-> ${kind}`)), kind).toBe(true);
    expect(asked.some((k) => k.startsWith('hosts:') && k.includes('-> dns:'))).toBe(true);
    expect(asked.length).toBeLessThan(sources.length * destinations.length);
  });
});
