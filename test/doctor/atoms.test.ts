import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { atomsOf, classesOf } from '../../src/doctor/atoms.js';
import { lastAddress, maskOf, parseCidr, type Prefix } from '../../src/net/prefix.js';

const prefix = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, len]): Prefix => ({ addr: (a & maskOf(len)) >>> 0, len }));

describe('prefix atoms', () => {
  it('cover the address space exactly, in order, without gaps', () => {
    fc.assert(fc.property(fc.array(prefix, { maxLength: 40 }), (ps) => {
      const atoms = atomsOf(ps);
      expect(atoms[0]!.start).toBe(0);
      expect(atoms.at(-1)!.end).toBe(2 ** 32);
      for (let i = 1; i < atoms.length; i++) expect(atoms[i]!.start).toBe(atoms[i - 1]!.end);
      expect(atoms.length).toBeLessThanOrEqual(2 * ps.length + 1);
    }));
  });

  it('never split a mentioned prefix partially, and sign each atom with exactly the prefixes containing it', () => {
    fc.assert(fc.property(fc.array(prefix, { maxLength: 30 }), (ps) => {
      for (const a of atomsOf(ps)) {
        for (const p of ps) {
          const inside = a.start >= p.addr && a.end - 1 <= lastAddress(p);
          const outside = a.end - 1 < p.addr || a.start > lastAddress(p);
          expect(inside || outside).toBe(true);
          expect(a.prefixes.some((q) => q.addr === p.addr && q.len === p.len)).toBe(inside);
        }
      }
    }));
  });

  it('groups atoms with the same signature into one class', () => {
    const atoms = atomsOf([parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16')]);
    const classes = classesOf(atoms);
    const tenSlashEight = classes.find((c) => c[0]!.signature === '10.0.0.0/8')!;
    expect(tenSlashEight).toHaveLength(2);
    expect(classes.find((c) => c[0]!.signature === '')!.length).toBe(2);
  });
});
