// The renumberer rewrites addresses and CIDRs inside moved blocks and leaves every other one as written.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { renumberer } from '../../src/fix/renumber.js';
import { contains, formatPrefix, parseCidr } from '../../src/net/prefix.js';
import { formatIpv4, parseIpv4 } from '../../src/net/ipv4.js';

const moves = [{ from: '10.0.0.0/16', to: '172.31.0.0/16' }, { from: '100.64.0.0/10', to: '100.128.0.0/10' }];

/** The rewrite of one token, read plainly: an address moves with its block; a CIDR moves when it lies inside one, masked as the kernel reads it. */
function expected(addr: string, len: number | undefined): string {
  const ip = parseIpv4(addr);
  const move = moves.map((m) => [parseCidr(m.from), parseCidr(m.to)] as const)
    .find(([f]) => (len === undefined ? contains(f, ip) : len >= f.len && contains(f, parseCidr(`${addr}/${len}`, { nonAligned: 'mask' }).addr)));
  if (!move) return len === undefined ? addr : `${addr}/${len}`;
  const moved = formatIpv4((move[1].addr + (ip - move[0].addr)) >>> 0);
  return len === undefined ? moved : `${moved}/${len}`;
}

describe('renumberer', () => {
  const map = renumberer(moves);

  it('rewrites each address and CIDR of a line as the plain reading does', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const block = fc.constantFrom([10, 0], [100, 64], [100, 100], [172, 20], [10, 1]);
    const token = fc.record({ b: block, c: octet, d: octet, len: fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }) });
    fc.assert(fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), (tokens) => {
      const parts = tokens.map((t) => ({ addr: `${t.b[0]}.${t.b[1]}.${t.c}.${t.d}`, len: t.len }));
      const line = `-A KUBE-X ${parts.map((p) => `-d ${p.addr}${p.len === undefined ? '' : `/${p.len}`}`).join(' ')} -j ACCEPT`;
      const want = `-A KUBE-X ${parts.map((p) => `-d ${expected(p.addr, p.len)}`).join(' ')} -j ACCEPT`;
      expect(map(line)).toBe(want);
    }), { numRuns: 300, seed: 9 });
  });

  it('keeps a CIDR that covers a moved block, and refuses a prefix length over 32 as parseCidr does', () => {
    expect(map('route 10.0.0.0/8 via x; pods 100.64.0.0/10')).toBe('route 10.0.0.0/8 via x; pods 100.128.0.0/10');
    expect(formatPrefix(parseCidr('100.128.0.0/10'))).toBe('100.128.0.0/10');
    expect(() => map('10.0.1.0/33')).toThrow(/prefix length/);
  });
});
