/** The dotted-quad reader accepts exactly what ipaddr.js's strict four-part check accepts. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { formatIpv4, isValidIpv4, parseIpv4, readIpv4 } from '../../src/net/ipv4.js';

/** Strings made of the characters that matter to an address reader. */
const addressLike = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', '.', 'x', 'a', ' ', '-', '/', ':', '+', '\n', '٣'), maxLength: 20 });
/** Near-misses of dotted quads: parts of 0-4 digits, 1-6 parts. */
const nearQuad = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.string({ unit: fc.constantFrom('0', '1', '9'), maxLength: 4 })), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join('.'));

describe('readIpv4', () => {
  it('agrees with ipaddr.js IPv4.isValidFourPartDecimal on random strings and near-quads', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), addressLike, nearQuad), (s) => {
        expect(isValidIpv4(s)).toBe(ipaddr.IPv4.isValidFourPartDecimal(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same number as ipaddr.js for every valid quad', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (o) => {
        const s = o.join('.');
        const [a, b, c, d] = ipaddr.IPv4.parse(s).octets as [number, number, number, number];
        expect(parseIpv4(s)).toBe(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
        expect(formatIpv4(parseIpv4(s))).toBe(s);
      }),
    );
  });

  it('reads a slice of a longer string without copying it', () => {
    expect(readIpv4('-s 10.0.0.1/32', 3, 11)).toBe(parseIpv4('10.0.0.1'));
    expect(readIpv4('-s 10.0.0.1/32', 3, 12)).toBe(-1);
  });

  it('rejects leading zeros, out-of-range octets and short forms that inet_aton would take', () => {
    for (const s of ['010.0.0.1', '10.0.0.256', '10.1', '167772161', '0x0a.0.0.1', '10.0.0.1.', '.10.0.0.1', '10..0.1', '']) {
      expect(isValidIpv4(s), s).toBe(false);
      expect(() => parseIpv4(s)).toThrow(/not an IPv4 address/);
    }
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
  });
});
