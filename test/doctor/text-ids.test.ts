import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalisedDump, TextIds } from '../../src/doctor/text-ids.js';
import { corpus } from '../helpers/estates.js';

/** The definition: what nodes' dumps are compared as. */
const reference = (text: string) => text.split('\n').filter((l) => !/^\s*#/.test(l)).map((l) => l.replace(/\[\d+:\d+\]/g, '').trim()).join('\n');

describe('normalisedDump', () => {
  it('equals the regex definition on every corpus dump', () => {
    const dir = join(corpus, 'iptables-save');
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'latin1');
      expect(normalisedDump(text), f).toBe(reference(text));
    }
  });

  it('equals the regex definition on lines of spaces, comments, counters, unicode whitespace and control characters', () => {
    const piece = fc.constantFrom('#', ' ', '\t', '\r', '\u00a0', '\ufeff', '\u2028', '\x01', '[0:0]', '[12:345]', '[1:', ']', '-A X', ':KUBE-SVC - ', '\n', 'a', '');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      expect(normalisedDump(text)).toBe(reference(text));
    }), { numRuns: 3000 });
  });
});

describe('TextIds', () => {
  it('names dumps that differ only in comments, counters and edge spaces alike, and others apart', () => {
    const ids = new TextIds();
    const a = ids.id({ text: '# Generated on Mon\n*nat\n:PREROUTING ACCEPT [5:300]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n' });
    const b = ids.id({ text: '# Generated on Tue\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-SERVICES \nCOMMIT\n' });
    const c = ids.id({ text: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-MARK\nCOMMIT\n' });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(ids.id({ text: '# only a comment\n' })).toBe('');
  });
});
