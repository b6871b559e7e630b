// forEachNatPrefix: what nat rules match with -s/-d, each line shared by several dumps read once.
// Checked against a full scan, rule by rule.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachNatPrefix } from '../../src/doctor/classes.js';
import { insertRules } from '../../src/linux/iptables/insert.js';
import { parseIptablesSave } from '../../src/linux/iptables/parse.js';
import { ParseCache } from '../../src/linux/iptables/parse-cache.js';
import { rulesBuilt } from '../../src/linux/iptables/parsed-chain.js';
import type { Match, Ruleset } from '../../src/linux/iptables/types.js';
import { formatPrefix, type Prefix } from '../../src/net/prefix.js';
import { corpus } from '../helpers/estates.js';

/** Every -s/-d prefix of every nat rule, read rule by rule. */
function scan(rs: Ruleset): Set<string> {
  const out = new Set<string>();
  for (const c of rs.tables.get('nat')?.chains.values() ?? []) {
    for (const r of c.rules) for (const m of r.matches) if ((m.kind === 'src' || m.kind === 'dst') && m.args['prefix']) out.add(formatPrefix(m.args['prefix'] as Prefix));
  }
  return out;
}

describe('forEachNatPrefix', () => {
  const text = readFileSync(join(corpus, 'iptables-save/kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save'), 'utf8');
  const cache = new ParseCache();
  const a = parseIptablesSave({ text, file: 'a' }, { cache }).value;
  const natEnd = text.indexOf('COMMIT', text.indexOf('*nat'));
  const withRule = `${text.slice(0, natEnd)}-A POSTROUTING -d 198.51.100.0/24 -j MASQUERADE\n${text.slice(natEnd)}`;
  const b = parseIptablesSave({ text: withRule, file: 'b' }, { cache }).value;

  it('reads the matches of a parsed dump without building its chains\' Rules', () => {
    const fresh = parseIptablesSave({ text, file: 'fresh' }, { cache }).value;
    const nat = [...fresh.tables.get('nat')!.chains.values()];
    const got: string[] = [];
    forEachNatPrefix(fresh, new Set(), (p) => got.push(formatPrefix(p)));
    expect(nat.length).toBeGreaterThan(20);
    expect(nat.filter(rulesBuilt).map((c) => c.name)).toStrictEqual([]);
    expect(new Set(got)).toEqual(scan(fresh));
    expect(got.length).toBeGreaterThan(5);
  });

  it('names every prefix of a rule set\'s nat rules', () => {
    const got: string[] = [];
    forEachNatPrefix(a, new Set(), (p) => got.push(formatPrefix(p)));
    expect(new Set(got)).toEqual(scan(a));
  });

  it('reads a line shared with a rule set read before once: the two give the union, the second only its own lines', () => {
    const seen = new Set<readonly Match[]>();
    const first: string[] = [];
    const second: string[] = [];
    forEachNatPrefix(a, seen, (p) => first.push(formatPrefix(p)));
    forEachNatPrefix(b, seen, (p) => second.push(formatPrefix(p)));
    expect(new Set([...first, ...second])).toEqual(new Set([...scan(a), ...scan(b)]));
    expect(second).toContain('198.51.100.0/24');
    expect(second.length).toBeLessThan(5);
  });

  it('reads rules inserted on top of a rule set', () => {
    const edited = insertRules(a, [{ table: 'nat', chain: 'POSTROUTING', position: 1, rule: '-d 203.0.113.0/24 -o eth0 -j MASQUERADE', label: 'what-if' }]);
    const seen = new Set<readonly Match[]>();
    forEachNatPrefix(a, seen, () => undefined);
    const got: string[] = [];
    forEachNatPrefix(edited, seen, (p) => got.push(formatPrefix(p)));
    expect(got).toEqual(['203.0.113.0/24']);
  });
});

describe('forEachNatPrefix over dumps replayed from one reference', () => {
  const ref = [
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-A - [0:0]', ':KUBE-B - [0:0]',
    '-A PREROUTING -j KUBE-A', '-A KUBE-A -d 10.1.0.1/32 -j KUBE-B', '-A KUBE-A -d 10.1.0.2/32 -j KUBE-B', '-A KUBE-A -d 10.1.0.3/32 -j KUBE-B',
    '-A KUBE-B -s 10.9.0.0/16 -j MASQUERADE', 'COMMIT', '',
  ].join('\n');
  const shorter = ref.replace('-A KUBE-A -d 10.1.0.3/32 -j KUBE-B\n', '');

  it('skips a chain whose parses it read before, and reads one that holds more of them', () => {
    const cache = new ParseCache();
    const a = parseIptablesSave({ text: ref, file: 'a' }, { cache }).value;
    const b = parseIptablesSave({ text: shorter, file: 'b' }, { cache }).value;
    const a2 = parseIptablesSave({ text: ref, file: 'a2' }, { cache }).value;
    expect(cache.replayed).toBeGreaterThan(0);
    const seen = new Set<readonly Match[]>();
    const got: string[][] = [[], [], []];
    // The shorter dump first: its KUBE-A is a part of the reference's, which must still be read whole.
    [b, a, a2].forEach((rs, i) => forEachNatPrefix(rs, seen, (p) => got[i]!.push(formatPrefix(p))));
    expect(new Set(got.flat())).toEqual(new Set([...scan(a), ...scan(b)]));
    expect(got[1]).toContain('10.1.0.3/32');
    expect(got[2]).toEqual([]);
  });
});
