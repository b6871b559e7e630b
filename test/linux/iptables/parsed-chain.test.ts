/**
 * Chains of a parsed dump build their Rules when `rules` is first read
 * (parsed-chain.ts): the Rules equal those read line by line from the text,
 * whatever order chains are read in, with or without a ParseCache; the parse
 * builds none; the built array behaves as a plain chain's does.
 */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { ParseCache } from '../../../src/linux/iptables/parse-cache.js';
import { forEachParsedRule, ruleCount, rulesBuilt } from '../../../src/linux/iptables/parsed-chain.js';
import { compiledChain, compiledRule, compiledRules, INDEX_MIN } from '../../../src/linux/iptables/compile.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { restoreNoflush } from '../../../src/linux/iptables/restore.js';
import { withoutRules } from '../../../src/linux/iptables/remove.js';
import type { Chain, Match, Ruleset, Target } from '../../../src/linux/iptables/types.js';
import { node, pkt, saveFiles, saveText, table } from './helpers.js';

/** What a rule line gives, read from the text alone: chain, number, location, text, `[p:b]` counters. */
interface LineRule {
  chain: string;
  num: number;
  line: number;
  text: string;
  counters?: { packets: number; bytes: number };
}

const isPrintable = (c: number) => c > 32 && c < 127;

/** The `-A` lines of each table, by table and chain, as iptables-restore would append them (well-formed dumps only). */
function lineRules(text: string): Map<string, LineRule[]> {
  const out = new Map<string, LineRule[]>();
  let tableName = '';
  text.split('\n').forEach((raw, i) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!isPrintable(line.charCodeAt(line.length - 1))) line = line.trimEnd();
    const body = line.trimStart();
    if (body.startsWith('*')) tableName = body.slice(1).trim();
    const m = /^(?:\[(\d+):(\d+)\]\s+)?(?:-A|--append)\s+(\S+)/.exec(body);
    if (!m) return;
    const key = `${tableName}/${m[3]}`;
    const list = out.get(key) ?? [];
    out.set(key, list);
    list.push({ chain: m[3]!, num: list.length + 1, line: i + 1, text: line, ...(m[1] ? { counters: { packets: Number(m[1]), bytes: Number(m[2]) } } : {}) });
  });
  return out;
}

const chainsOf = (rs: Ruleset): [string, Chain][] => [...rs.tables.values()].flatMap((t) => [...t.chains].map(([n, c]) => [`${t.name}/${n}`, c] as [string, Chain]));

/** Each chain's matches and targets as forEachParsedRule gives them. */
function parsedParts(c: Chain): { matches: readonly Match[]; target: Target | undefined }[] {
  const out: { matches: readonly Match[]; target: Target | undefined }[] = [];
  forEachParsedRule(c, (matches, target, i) => {
    expect(i).toBe(out.length);
    out.push({ matches, target });
  });
  return out;
}

/**
 * Requires a freshly parsed rule set's Rules to be those of its text's lines, built on first read
 * (with `unbuilt`, built by nothing before; else a chain whose lines are interleaved with another's is built by the parse).
 */
function checkAgainstLines(rs: Ruleset, text: string, file: string, unbuilt = true): void {
  const expected = lineRules(text);
  let total = 0;
  for (const [key, c] of chainsOf(rs)) {
    const before = rulesBuilt(c);
    if (unbuilt) expect(before).toBe(false);
    const parts = parsedParts(c);
    expect(rulesBuilt(c)).toBe(before);
    const want = expected.get(key) ?? [];
    expect(ruleCount(c)).toBe(want.length);
    const rules = c.rules;
    expect(rulesBuilt(c)).toBe(true);
    expect(c.rules).toBe(rules);
    expect(rules).toHaveLength(want.length);
    rules.forEach((r, i) => {
      const w = want[i]!;
      const keys = ['chain', 'num', 'loc', 'text', 'matches', ...(r.target ? ['target'] : []), ...(r.counters ? ['counters'] : [])];
      expect(Object.keys(r)).toStrictEqual(keys);
      expect(Object.keys(r.loc)).toStrictEqual(['file', 'line']);
      expect([r.chain, r.num, r.loc.file, r.loc.line, r.text]).toStrictEqual([w.chain, w.num, file, w.line, w.text]);
      expect(r.matches).toBe(parts[i]!.matches);
      expect(r.target).toBe(parts[i]!.target);
      if (w.counters) expect(r.counters).toStrictEqual(w.counters);
      else if (r.counters) expect(r.text).toMatch(/\s(-c|--set-counters)\s/);
    });
    total += rules.length;
  }
  expect(total).toBe([...expected.values()].reduce((n, l) => n + l.length, 0));
}

/** Reads every chain's rules, last chain first. */
function buildBackwards(rs: Ruleset): void {
  for (const [, c] of chainsOf(rs).reverse()) void c.rules;
}

describe('chains that build their Rules when read', () => {
  const corpus = saveFiles().map((name) => [name, saveText(name)] as const);

  it('build Rules equal to the rule lines of the text, over the corpus, with and without a ParseCache', () => {
    const cache = new ParseCache();
    for (const round of [0, 1]) {
      for (const [name, text] of corpus) {
        checkAgainstLines(parseIptablesSave({ text, file: name }).value, text, name);
        checkAgainstLines(parseIptablesSave({ text, file: `${name}#${round}` }, { cache }).value, text, `${name}#${round}`);
      }
    }
    expect(cache.hits).toBeGreaterThan(500);
  });

  it('give the same rule set and diagnostics whatever order chains are read in, also after diagnostics that change Rules', () => {
    const loop = table('filter', ['A', 'B'], ['-A A -j B', '-A INPUT -j A', '-A B -j A', '-A B -p tcp -j ACCEPT']);
    const later = table('filter', [], ['-A INPUT -j LATER', ':LATER - [0:0]', '-A LATER -j DROP']);
    const interleaved = table('nat', ['X', 'Y'], ['-A X -s 10.0.0.0/8 -j RETURN', '-A Y -d 10.1.0.0/16 -j X', '-A X -j MASQUERADE', '-A POSTROUTING -j X', '-A Y -j RETURN']);
    for (const text of [...corpus.map(([, t]) => t), loop, later, interleaved]) {
      const forward = parseIptablesSave({ text, file: 'f' });
      const backward = parseIptablesSave({ text, file: 'f' });
      buildBackwards(backward.value);
      expect(backward.diagnostics).toStrictEqual(forward.diagnostics);
      expect(backward.value).toStrictEqual(forward.value);
    }
  });

  it('keep the numbers and lines of rules written interleaved with another chain\'s', () => {
    const text = table('nat', ['X', 'Y'], ['-A X -s 10.0.0.0/8 -j RETURN', '-A Y -d 10.1.0.0/16 -j X', '-A X -j MASQUERADE', '[3:180] -A X -j ACCEPT', '-A Y -j RETURN']);
    const { value, diagnostics } = parseIptablesSave({ text, file: 'i' });
    expect(diagnostics).toStrictEqual([]);
    checkAgainstLines(parseIptablesSave({ text, file: 'i' }).value, text, 'i', false);
    const x = value.tables.get('nat')!.chains.get('X')!;
    expect(x.rules.map((r) => [r.num, r.loc.line, r.target?.name, r.counters])).toStrictEqual([[1, 8, 'RETURN', undefined], [2, 10, 'MASQUERADE', undefined], [3, 11, 'ACCEPT', { packets: 3, bytes: 180 }]]);
  });

  it('are not built by the parse, its loop check included; a loop builds only the chain whose rule it changes', () => {
    const [name, text] = corpus.find(([n]) => n.startsWith('kind-v1.23-kube-proxy'))!;
    const rs = parseIptablesSave({ text, file: name }).value;
    const chains = chainsOf(rs);
    expect(chains.length).toBeGreaterThan(40);
    expect(chains.filter(([, c]) => rulesBuilt(c))).toStrictEqual([]);
    const loop = parseIptablesSave({ text: table('filter', ['A', 'B', 'C'], ['-A INPUT -j A', '-A A -j B', '-A B -p udp -j C', '-A B -j A', '-A C -j ACCEPT']), file: 'l' });
    expect(loop.diagnostics.map((d) => [d.line, d.message])).toStrictEqual([[11, 'jump loop A -> B -> A: the kernel refuses this rule set (ELOOP)']]);
    const filter = loop.value.tables.get('filter')!.chains;
    expect([...filter.values()].filter(rulesBuilt).map((c) => c.name)).toStrictEqual(['B']);
    expect(filter.get('B')!.rules[1]!.target).toMatchObject({ name: 'A', unknown: '-j A: jump loop A -> B -> A' });
    let targets: (Target | undefined)[] = [];
    forEachParsedRule(filter.get('B')!, (_, t) => targets.push(t));
    expect(targets).toStrictEqual(filter.get('B')!.rules.map((r) => r.target));
    targets = [];
    forEachParsedRule(filter.get('A')!, (_, t) => targets.push(t));
    expect(targets.map((t) => t?.name)).toStrictEqual(['B']);
  });

  it('hand out one array, which keeps changes; assigning rules replaces it; the compiled form follows', () => {
    const rs = parseIptablesSave({ text: table('nat', ['X'], ['-A X -s 10.0.0.0/8 -j RETURN', '-A X -j MASQUERADE']), file: 'm' }).value;
    const x = rs.tables.get('nat')!.chains.get('X')!;
    const first = compiledChain(x);
    expect(compiledChain(x)).toBe(first);
    const [ret, masq] = x.rules;
    x.rules.splice(1, 1);
    expect(x.rules).toStrictEqual([ret]);
    expect(ruleCount(x)).toBe(1);
    expect(compiledChain(x)).not.toBe(first);
    x.rules = [masq!];
    expect(x.rules).toStrictEqual([masq]);
    expect(compiledRules(compiledChain(x)).map((c) => c.rule)).toStrictEqual([masq]);
    masq!.target = { name: 'DROP', goto: false, text: '-j DROP', args: {} };
    const targets: string[] = [];
    forEachParsedRule(x, (_, t) => targets.push(t!.name));
    expect(targets).toStrictEqual(['DROP']);
  });

  it('read as plain chains: keys in order, spread, JSON, structuredClone, deep equality', () => {
    const text = table('filter', ['X'], ['-A X -s 10.0.0.0/8 -j RETURN']).replace(':X - [0:0]', ':X - [4:5]');
    const parse = () => parseIptablesSave({ text, file: 'p' }).value.tables.get('filter')!.chains;
    const x = parse().get('X')!;
    const input = parse().get('INPUT')!;
    expect(Object.keys(x)).toStrictEqual(['name', 'builtin', 'loc', 'rules', 'counters']);
    expect(Object.keys(input)).toStrictEqual(['name', 'builtin', 'loc', 'rules', 'policy', 'counters']);
    const plain = { name: 'X', builtin: false, loc: { file: 'p', line: 5 }, rules: [{ ...x.rules[0]! }], counters: { packets: 4, bytes: 5 } };
    expect(JSON.stringify(parse().get('X'))).toBe(JSON.stringify(plain));
    expect(structuredClone(parse().get('X'))).toStrictEqual(plain);
    expect({ ...parse().get('X')! }).toStrictEqual(plain);
    expect(parse().get('X')).toEqual(plain);
    const spread = { ...x };
    expect(spread.rules).toBe(x.rules);
  });

  it('work under the rule-set edits (restore, remove) as plain chains do', () => {
    const base = parseIptablesSave({ text: table('nat', ['X'], ['-A POSTROUTING -j X', '-A X -d 10.0.0.0/8 -j RETURN', '-A X -j MASQUERADE']), file: 'b' }).value;
    const over = parseIptablesSave({ text: table('nat', [], ['-A POSTROUTING -o eth1 -j MASQUERADE']), file: 'o' }).value;
    const post = restoreNoflush(base, over).tables.get('nat')!.chains.get('POSTROUTING')!;
    expect(post.rules.map((r) => [r.num, r.loc.file, r.target!.name])).toStrictEqual([[1, 'b', 'X'], [2, 'o', 'MASQUERADE']]);
    const fewer = withoutRules(base, (r) => r.target?.name === 'RETURN').tables.get('nat')!.chains.get('X')!;
    expect(fewer.rules.map((r) => [r.num, r.loc.line, r.target!.name])).toStrictEqual([[1, 9, 'MASQUERADE']]);
    expect(base.tables.get('nat')!.chains.get('X')!.rules).toHaveLength(2);
  });

  it('a walk makes the Rules (and compiled rules) it visits only, the same objects `rules` holds once built', () => {
    const n = INDEX_MIN * 2;
    const services = Array.from({ length: n }, (_, i) => `-A KUBE-SERVICES -d 10.96.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-${i}`);
    const text = table('nat', ['KUBE-SERVICES', ...services.map((_, i) => `KUBE-SVC-${i}`)], ['-A PREROUTING -j KUBE-SERVICES', ...services, ...services.map((_, i) => `-A KUBE-SVC-${i} -j DNAT --to-destination 10.244.0.${i % 250}:8080`)]);
    const rs = parseIptablesSave({ text, file: 'k' }).value;
    const chain = rs.tables.get('nat')!.chains.get('KUBE-SERVICES')!;
    const cc = compiledChain(chain);
    expect(cc.index).toBeDefined();
    const [out] = walkHook(rs, 'PREROUTING', pkt('10.244.1.2', '10.96.0.7', 'tcp', 40000, 80), node({ inIface: 'cni0' }), 0);
    expect(out!.packet.dst).toBe(0x0af40007);
    expect(out!.tables.find((t) => t.table === 'nat')!.matched.map((r) => [r.chain, r.num])).toContainEqual(['KUBE-SERVICES', 8]);
    // Only the destination's rule of KUBE-SERVICES was made and compiled; no chain's Rules were built.
    expect(rulesBuilt(chain)).toBe(false);
    expect(Object.keys(cc.rules)).toStrictEqual(['7']);
    const visited = compiledRule(cc, 7).rule;
    // A Rule made on its own is read as a built one is, changes included.
    visited.target = { name: 'DROP', goto: false, text: '-j DROP', args: {} };
    const targets: string[] = [];
    forEachParsedRule(chain, (_, t) => targets.push(t!.name));
    expect(targets[7]).toBe('DROP');
    expect(targets[6]).toBe('KUBE-SVC-6');
    expect(rulesBuilt(chain)).toBe(false);
    expect(chain.rules[7]).toBe(visited);
    expect(chain.rules.map((r) => r.num)).toStrictEqual(Array.from({ length: n }, (_, i) => i + 1));
    // Built later, the Rules are the array the compiled form was made from: it stays.
    expect(compiledChain(chain)).toBe(cc);
    expect(compiledRules(cc).map((c) => c.rule)).toStrictEqual(chain.rules);
  });
});
