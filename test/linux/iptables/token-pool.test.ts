/**
 * The reader tokenizes every rule line into one reused TokenPool, whose array
 * keeps the Tokens of longer earlier lines past `count`: a line must read the
 * same as it does alone, whatever came before it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitLines } from '../../../src/linux/iptables/parse.js';
import { TokenPool, tokenize, tokenizeReusing } from '../../../src/linux/iptables/tokenize.js';
import { parse, saveFiles, saveText } from './helpers.js';

const corpusLines = saveFiles().flatMap((f) => splitLines(saveText(f)));

/** The pool's words of the last line, as plain records. */
const pooled = (pool: TokenPool) => pool.tokens.slice(0, pool.count).map((t) => ({ ...t }));

/** Reads the lines in order through one pool: each reads as tokenize reads it alone. */
function readsAsAlone(lines: readonly string[]): void {
  const pool = new TokenPool();
  for (const line of lines) {
    const error = tokenizeReusing(line, pool);
    const alone = tokenize(line);
    expect(pooled(pool)).toEqual(alone.tokens);
    expect(error).toBe(alone.error);
  }
}

describe('TokenPool', () => {
  it('reads each corpus line, in any order, as tokenize reads it alone', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(corpusLines, { minLength: 1, maxLength: 60 }), (lines) => {
        readsAsAlone(lines);
      }),
      { numRuns: 200 },
    );
  });

  it('reads generated lines (quotes, escapes, tabs, CR) as tokenize reads them alone', () => {
    const line = fc.array(fc.constantFrom(' ', '\t', '\r', '"', '\\', '!', '-', 'a', 'B', '9', '#', "'"), { maxLength: 40 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        readsAsAlone(lines);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rule lines after longer ones', () => {
  const head = ['*filter', ':INPUT ACCEPT [0:0]', ':KUBE-X - [0:0]'];
  const rules = [
    '-A INPUT -p tcp -m comment --comment "a long rule with words" -m tcp --dport 22 -m conntrack --ctstate NEW -j KUBE-X',
    '-A INPUT -m comment --comment',
    '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT',
    '-A INPUT -j',
    '-A INPUT -c 1',
    '-A INPUT !',
    '-A KUBE-X',
  ];

  it('read as each reads alone: same rules, same diagnostics', () => {
    const all = parse([...head, ...rules, 'COMMIT'].join('\n'));
    const input = all.value.tables.get('filter')!.chains.get('INPUT')!.rules;
    expect(input).toHaveLength(rules.length - 1);
    rules.forEach((rule, k) => {
      const alone = parse([...head, rule, 'COMMIT'].join('\n'));
      const chain = rule.startsWith('-A INPUT') ? 'INPUT' : 'KUBE-X';
      const mine = all.value.tables.get('filter')!.chains.get(chain)!.rules.find((r) => r.text === rule)!;
      const theirs = alone.value.tables.get('filter')!.chains.get(chain)!.rules[0]!;
      expect(mine.matches).toEqual(theirs.matches);
      expect(mine.target).toEqual(theirs.target);
      const lineNo = head.length + 1 + k;
      const messages = (ds: typeof all.diagnostics, at: number) => ds.filter((d) => d.line === at).map((d) => `${d.severity}: ${d.message}`);
      expect(messages(all.diagnostics, lineNo)).toEqual(messages(alone.diagnostics, head.length + 1));
    });
    // The short lines report what is missing, not words of the long line before them.
    expect(all.diagnostics.map((d) => d.message)).toEqual(expect.arrayContaining(['option --comment needs 1 value(s)', '-j needs a name', '-c needs two numbers']));
  });
});
