/**
 * A ParseCache shared across dumps changes nothing in what parseIptablesSave
 * returns: the same Ruleset (deep, strict) and the same diagnostics as
 * without the cache, over the corpus, kube-proxy dumps and random edits of
 * them, in any order; lines read through the cache share their parse and
 * keep their own location.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { ParseCache } from '../../../src/linux/iptables/parse-cache.js';
import { kubeProxySaveText, type KubeProxyServicePort } from '../../../src/k8s/kube-proxy/rules.js';
import type { Rule, Ruleset } from '../../../src/linux/iptables/types.js';
import { compiledChain, compiledRules } from '../../../src/linux/iptables/compile.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import { saveFiles, saveText, table } from './helpers.js';
import { mutate, mutation } from './mutate.js';

/** Parses `text` with and without `cache` and requires the two results to be equal. */
function sameWithCache(cache: ParseCache, text: string, file: string): Ruleset {
  const plain = parseIptablesSave({ text, file });
  const cached = parseIptablesSave({ text, file }, { cache });
  expect(cached.diagnostics).toStrictEqual(plain.diagnostics);
  expect(cached.value).toStrictEqual(plain.value);
  return cached.value;
}

const rules = (rs: Ruleset): Rule[] => [...rs.tables.values()].flatMap((t) => [...t.chains.values()].flatMap((c) => c.rules));

/** kube-proxy's rules for `n` Services of 3 endpoints, the first at ClusterIP 10.96.0.`first`. */
function kubeProxy(n: number, first = 0, clusterCIDR = '10.244.0.0/16'): string {
  const ports: KubeProxyServicePort[] = Array.from({ length: n }, (_, i) => ({
    namespace: 'ns', name: `svc-${first + i}`, portName: 'http', protocol: i % 3 === 2 ? 'udp' : 'tcp', clusterIP: `10.96.${(first + i) >> 8}.${(first + i) & 255}`, port: 80,
    endpoints: Array.from({ length: 3 }, (_, j) => ({ ip: `10.244.${first + i}.${j + 2}`, port: 8080 })),
  }));
  return kubeProxySaveText(ports, { nodeName: 'n1', clusterCIDR });
}

describe('ParseCache', () => {
  const corpusTexts = saveFiles().map((name) => [name, saveText(name)] as const);

  it('gives the same rule sets and diagnostics as no cache over the corpus, read twice in a row through one cache', () => {
    const cache = new ParseCache();
    for (const round of [0, 1]) for (const [name, text] of corpusTexts) sameWithCache(cache, text, `${name}#${round}`);
    expect(cache.hits).toBeGreaterThan(0);
  });

  it('gives the same rule sets for kube-proxy dumps that differ in Services, cluster CIDR and a few lines', () => {
    const cache = new ParseCache();
    const base = kubeProxy(40);
    const variants = [
      base,
      kubeProxy(40, 20), // half the Services are new
      kubeProxy(40, 0, '10.200.0.0/16'), // every KUBE-SVC masquerade rule changes
      base.replace('*nat', '*nat\n# a comment\n\n'), // lines shifted
      base.replace(/\n/g, '\r\n'), // CRLF
      base.replace('-A KUBE-SERVICES', '-A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m tcp --dport 1 -j ACCEPT\n-A KUBE-SERVICES'),
      base,
    ];
    for (const [i, text] of variants.entries()) sameWithCache(cache, text, `node-${i}`);
    // 40 Services give about 450 rules per dump: most lines of the later dumps are hits.
    expect(cache.hits).toBeGreaterThan(5 * 400);
  });

  it('reads a line again when a chain it names is declared in one dump and not in another', () => {
    const cache = new ParseCache();
    const rule = '-A FORWARD -p tcp -j FOO --some-option 1';
    const withChain = table('filter', ['FOO'], [rule]);
    const without = table('filter', [], [rule]);
    const declaredLater = table('filter', [], [rule, ':FOO - [0:0]']);
    const builtinName = table('filter', [], ['-A FORWARD -p tcp -j INPUT']);
    for (const text of [withChain, without, declaredLater, withChain, without, builtinName, builtinName]) {
      const rs = sameWithCache(cache, text, 'f');
      expect(rules(rs)).toHaveLength(1);
    }
    // Without the chain FOO, `--some-option` goes to the unknown target FOO; with it, it is an unknown option.
    const a = parseIptablesSave({ text: withChain, file: 'a' }, { cache });
    const b = parseIptablesSave({ text: without, file: 'b' }, { cache });
    expect(a.diagnostics.map((d) => d.message)).toContain("unknown option '--some-option'");
    expect(b.diagnostics.map((d) => d.message)).not.toContain("unknown option '--some-option'");
  });

  it('finds a jump loop made of lines that the reference dump had in loop-free tables', () => {
    const ab = '-A A -j B';
    const ba = '-A B -j A';
    // The reference reads nat twice (each block loop-free); a later dump has both jumps in one nat table.
    const reference = `${table('nat', ['A', 'B'], [ab])}${table('nat', ['A', 'B'], [ba])}`;
    const looping = table('nat', ['A', 'B'], [ab, ba]);
    for (const order of [[reference, looping], [table('nat', ['A', 'B'], [ab]), looping, table('nat', ['A', 'B'], [ab]), looping]]) {
      const cache = new ParseCache();
      for (const text of order) sameWithCache(cache, text, 'loops');
      const { diagnostics } = parseIptablesSave({ text: looping, file: 'l' }, { cache });
      expect(diagnostics.filter((d) => d.message.includes('jump loop'))).toHaveLength(1);
    }
  });

  it('holds for random edits of corpus and kube-proxy dumps read through one cache in any order', () => {
    const texts = [...corpusTexts.map(([, t]) => t), kubeProxy(12)];
    const cache = new ParseCache();
    fc.assert(
      fc.property(
        fc.array(fc.record({ text: fc.constantFrom(...texts), edits: fc.array(mutation, { maxLength: 5 }), crlf: fc.boolean(), indent: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        (dumps) => {
          for (const [i, d] of dumps.entries()) {
            let text = mutate(d.text, d.edits);
            if (d.indent) text = text.replace(/\n-A /g, '\n  -A ');
            if (d.crlf) text = text.replace(/\n/g, '\r\n');
            sameWithCache(cache, text, `m${i}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('shares the parsed matches and target of a line between dumps; each Rule keeps its own number and location', () => {
    const cache = new ParseCache();
    const a = parseIptablesSave({ text: kubeProxy(5), file: 'a' }, { cache }).value;
    const b = parseIptablesSave({ text: `# header\n${kubeProxy(5)}`, file: 'b' }, { cache }).value;
    const ra = rules(a);
    const rb = rules(b);
    expect(rb).toHaveLength(ra.length);
    ra.forEach((r, i) => {
      const s = rb[i]!;
      expect(s).not.toBe(r);
      expect(s.matches).toBe(r.matches);
      expect(s.target).toBe(r.target);
      expect(s.loc).toStrictEqual({ file: 'b', line: r.loc.line + 1 });
      expect(r.loc.file).toBe('a');
    });
    expect(Object.isFrozen(ra[0]!.matches)).toBe(true);
    // The walk compiles a line's matches once for both dumps; each Rule has its own compiled rule.
    const services = (rs: Ruleset) => compiledChain(rs.tables.get('nat')!.chains.get('KUBE-SERVICES')!);
    const [ca, cb] = [services(a), services(b)];
    compiledRules(ca).forEach((c, i) => {
      expect(compiledRules(cb)[i]!.all).toBe(c.all);
      expect(compiledRules(cb)[i]!.rule).not.toBe(c.rule);
      expect(compiledRules(cb)[i]!.rule.loc.file).toBe('b');
    });
  });

  it('gives dumps replayed from one reference one destination index of a chain they share, each walk citing its own dump', () => {
    const cache = new ParseCache();
    const a = parseIptablesSave({ text: kubeProxy(100), file: 'a' }, { cache }).value;
    const b = parseIptablesSave({ text: `# header\n${kubeProxy(100)}`, file: 'b' }, { cache }).value;
    const services = (rs: Ruleset) => compiledChain(rs.tables.get('nat')!.chains.get('KUBE-SERVICES')!);
    const [ca, cb] = [services(a), services(b)];
    expect(ca.index).toBeDefined();
    expect(cb.index).toBe(ca.index);
    const packet = { src: parseIpv4('10.244.1.2'), dst: parseIpv4('10.96.0.7'), proto: 'tcp' as const, sport: 40000, dport: 80 };
    const ctx = { inIface: 'cni0', isLocal: () => false, ifaceAddress: () => undefined, ctState: 'NEW' as const };
    const at = (rs: Ruleset) => walkHook(rs, 'PREROUTING', packet, ctx, 0).map((o) => o.tables.find((t) => t.table === 'nat')!.matched.map((r) => `${r.loc.file}:${r.loc.line}`));
    const [wa, wb] = [at(a), at(b)];
    expect(wa.length).toBeGreaterThan(0);
    expect(wb).toStrictEqual(wa.map((branch) => branch.map((l) => l.replace(/^a:(\d+)$/, (_, n: string) => `b:${Number(n) + 1}`))));
    // The index is a chain's own when its rules differ (a dump whose KUBE-SERVICES has another Service).
    const c = parseIptablesSave({ text: kubeProxy(101), file: 'c' }, { cache }).value;
    expect(services(c).index).not.toBe(ca.index);
  });

  it('stays within maxLines and still gives the same results', () => {
    const cache = new ParseCache({ maxLines: 50 });
    for (const text of [kubeProxy(20), kubeProxy(20, 5), kubeProxy(20)]) {
      sameWithCache(cache, text, 'small');
      expect(cache.size).toBeLessThanOrEqual(50);
    }
  });
});
