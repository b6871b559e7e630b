import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { packetOf, sameData } from '../../src/doctor/redecide.js';
import { showPacket, type Packet } from '../../src/net/packet.js';

/** JSON with object keys sorted: equal strings are equal JSON data, whatever the key order. */
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
  x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x);

describe('hop re-decision helpers', () => {
  it('sameData agrees with JSON equality (key order aside)', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    // Pairs that are often equal: a value against a copy of itself, some field of it changed or not.
    const pair = fc.tuple(value, fc.jsonValue({ maxDepth: 1 }), fc.boolean()).map(([v, w, change]) => {
      const copy = JSON.parse(JSON.stringify(v)) as unknown;
      if (change && copy && typeof copy === 'object' && !Array.isArray(copy)) (copy as Record<string, unknown>)['k'] = w;
      return [v, copy] as const;
    });
    fc.assert(fc.property(fc.oneof(pair, fc.tuple(value, value)), ([a, b]) => {
      expect(sameData(a, b)).toBe(canonical(a) === canonical(b));
    }), { numRuns: 500, seed: 7 });
  });

  it('sameData counts a key holding undefined as absent, as JSON does', () => {
    expect(sameData({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameData({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameData({ a: 1, b: undefined }, { a: 1, b: 2 })).toBe(false);
    expect(sameData([1, { x: [2] }], [1, { x: [3] }])).toBe(false);
  });

  it('packetOf reads back the packet a hop record shows', () => {
    const packet = fc.record({
      src: fc.nat({ max: 0xffffffff }), dst: fc.nat({ max: 0xffffffff }), proto: fc.constantFrom('tcp', 'udp', 'sctp', 'icmp'),
      sport: fc.nat({ max: 65535 }), dport: fc.nat({ max: 65535 }),
    }).map((p): Packet => (p.proto === 'icmp' ? { ...p, sport: 0, dport: 0 } : p));
    fc.assert(fc.property(packet, (p) => { expect(packetOf(showPacket(p))).toEqual(p); }), { seed: 7 });
  });
});
