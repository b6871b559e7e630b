/** nft text tokens: words end where nft's scanner ends them; any whitespace separates (a \v or no-break space once hung the reader). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tokenize } from '../../../src/linux/nftables/tokenize.js';

describe('tokenize', () => {
  it('splits words at whitespace of any kind, braces, ; , and quotes; keeps quoted text and line ends', () => {
    expect(tokenize('a\vb\u00a0c\fd {x;y}\n"q r",z # note\n', 'f').map((t) => t.t)).toEqual(['a', 'b', 'c', 'd', '{', 'x', ';', 'y', '}', '\n', 'q r', ',', 'z', '\n', '\n']);
  });

  it('ends on any text, and no token is empty unless quoted', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', '1', ' ', '\t', '\v', '\f', '\u00a0', '\u2003', '{', '}', ';', ',', '\n', '#', '.') }), (s) => {
      for (const t of tokenize(s, 'f')) if (!t.quoted) expect(t.t.length).toBeGreaterThan(0);
    }), { numRuns: 300 });
  });
});
