import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PrefixTrie } from '../../src/net/prefix-trie.js';
import { contains, formatPrefix, maskOf, parseCidr, prefixKey, samePrefix, type Prefix } from '../../src/net/prefix.js';
import { formatIpv4, parseIpv4 } from '../../src/net/ipv4.js';

const prefixArb = fc.record({ addr: fc.integer({ min: 0, max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }) })
  .map(({ addr, len }): Prefix => ({ addr: (addr & maskOf(len)) >>> 0, len }));

/** The oracle: scan every prefix, keep the longest that contains the address. */
function linearLongest(prefixes: Prefix[], ip: number): Prefix | undefined {
  let best: Prefix | undefined;
  for (const p of prefixes) if (contains(p, ip) && (!best || p.len > best.len)) best = p;
  return best;
}

describe('PrefixTrie', () => {
  it('longest match equals a linear scan on random tables', () => {
    fc.assert(
      fc.property(fc.array(prefixArb, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 }), (prefixes, ips) => {
        const trie = new PrefixTrie<string>();
        for (const p of prefixes) trie.insert(p, formatPrefix(p));
        for (const ip of ips) {
          // Addresses inside stored prefixes are the interesting ones: probe those too.
          for (const probe of [ip, ...prefixes.slice(0, 5).map((p) => (p.addr | (ip & ~maskOf(p.len))) >>> 0)]) {
            const want = linearLongest(prefixes, probe);
            expect(trie.longestMatch(probe)?.prefix).toEqual(want);
          }
        }
      }),
    );
  });

  it('allMatches lists every containing prefix, longest first', () => {
    fc.assert(
      fc.property(fc.array(prefixArb, { maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (prefixes, ip) => {
        const trie = new PrefixTrie<number>();
        prefixes.forEach((p, i) => trie.insert(p, i));
        const lens = trie.allMatches(ip).map((m) => m.prefix.len);
        const want = [...new Set(prefixes.filter((p) => contains(p, ip)).map((p) => p.len))].sort((a, b) => b - a);
        expect(lens).toEqual(want);
      }),
    );
  });

  it('replaces the value of a prefix inserted twice', () => {
    const trie = new PrefixTrie<string>();
    trie.insert(parseCidr('10.0.0.0/8'), 'first');
    trie.insert(parseCidr('10.0.0.0/8'), 'second');
    expect(trie.size).toBe(1);
    expect(trie.longestMatch(parseIpv4('10.1.2.3'))?.value).toBe('second');
  });
});

describe('prefixes and addresses', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.0.18.52', '10.0.18.52/32'],
  ])('parses %s as %s', (text, want) => expect(formatPrefix(parseCidr(text))).toBe(want));

  it.each(['10.0.0.0/33', '10.0.0/8', '10.0.0.256/32', 'ten/8', '10.0.0.0/-1', ''])('rejects %j', (text) => {
    expect(() => parseCidr(text)).toThrow(/CIDR|prefix length/);
  });

  it('rejects host bits by default with the canonical form as a hint, masks them on request', () => {
    expect(() => parseCidr('10.0.18.52/16')).toThrow(/host bits/);
    try {
      parseCidr('10.0.18.52/16');
    } catch (e) {
      expect((e as { hint?: string }).hint).toBe('did you mean 10.0.0.0/16?');
    }
    const warnings: string[] = [];
    expect(formatPrefix(parseCidr('10.0.18.52/16', { nonAligned: 'mask', onWarning: (w) => warnings.push(w) }))).toBe('10.0.0.0/16');
    expect(warnings).toHaveLength(1);
  });

  it('formats and parses addresses as inverses', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      expect(parseIpv4(formatIpv4(n))).toBe(n);
    }));
  });
});

describe('prefixKey', () => {
  it('names two prefixes alike exactly when they are the same block, with a safe integer', () => {
    const prefix = fc.record({ len: fc.integer({ min: 0, max: 32 }), addr: fc.integer({ min: 0, max: 0xffffffff }) }).map(({ addr, len }): Prefix => ({ addr: (addr & maskOf(len)) >>> 0, len }));
    fc.assert(fc.property(prefix, prefix, (a, b) => {
      expect(Number.isSafeInteger(prefixKey(a) * 16)).toBe(true);
      expect(prefixKey(a) === prefixKey(b)).toBe(samePrefix(a, b));
      expect(prefixKey({ ...a })).toBe(prefixKey(a));
      if (a.len < 32) expect(prefixKey({ addr: a.addr, len: a.len + 1 })).not.toBe(prefixKey(a));
    }), { numRuns: 2000 });
    expect(prefixKey({ addr: 0xffffffff, len: 32 })).not.toBe(prefixKey({ addr: 0, len: 0 }));
  });
});
