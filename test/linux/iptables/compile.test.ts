/** compile.ts: what a chain compiles to, and what compiled parts the same line shares across dumps. */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { ParseCache } from '../../../src/linux/iptables/parse-cache.js';
import { compiledChain, compiledRules } from '../../../src/linux/iptables/compile.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';

const text = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':CHECKS - [0:0]',
  '-A FORWARD -s 10.0.0.0/8 -j CHECKS',
  '-A FORWARD -p tcp --dport 443 -j ACCEPT',
  '-A CHECKS -d 10.1.0.0/16 -j DROP',
  'COMMIT',
  '',
].join('\n');

const forward = (rs: Ruleset) => compiledChain(rs.tables.get('filter')!.chains.get('FORWARD')!);

describe('compiledChain', () => {
  it('gives each dump its own compiled rules, sharing the compiled matches and target of a line read through one ParseCache', () => {
    const cache = new ParseCache();
    const a = forward(parseIptablesSave({ text, file: 'a' }, { cache }).value);
    const b = forward(parseIptablesSave({ text, file: 'b' }, { cache }).value);
    expect(compiledRules(a).map((c) => c.builtinTarget)).toEqual([false, true]);
    compiledRules(b).forEach((c, i) => {
      expect(c).not.toBe(compiledRules(a)[i]);
      expect(c.rule.loc.file).toBe('b');
      expect(c.all).toBe(compiledRules(a)[i]!.all);
      expect(c.effect).toBe(compiledRules(a)[i]!.effect);
    });
  });

  it('compiles a chain again when its rules changed, keeping what did not', () => {
    const rs = parseIptablesSave({ text, file: 'a' }).value;
    const chain = rs.tables.get('filter')!.chains.get('FORWARD')!;
    const before = compiledChain(chain);
    expect(compiledChain(chain)).toBe(before);
    chain.rules = [...chain.rules, { ...chain.rules[1]!, num: 3 }];
    const after = compiledChain(chain);
    expect(after).not.toBe(before);
    expect(compiledRules(after).map((c) => c.rule.num)).toEqual([1, 2, 3]);
    expect(compiledRules(after)[2]!.effect).toBe(compiledRules(before)[1]!.effect);
    expect(compiledRules(after)[2]!.builtinTarget).toBe(true);
  });
});
