// natRulePrefixes: what nat rules match with -s/-d, read per chain and, for a rule set with rules
// inserted, from the rule set it was made from plus the changed chains. Checked against a full scan.
import { describe, expect, it } from 'vitest';
import { natRulePrefixes } from '../../src/doctor/classes.js';
import { insertRules, insertedFrom } from '../../src/linux/iptables/insert.js';
import type { Ruleset } from '../../src/linux/iptables/types.js';
import { formatPrefix, type Prefix } from '../../src/net/prefix.js';
import { corpus } from '../linux/iptables/helpers.js';

/** Every -s/-d prefix of every nat rule, read rule by rule. */
function scan(rs: Ruleset): Set<string> {
  const out = new Set<string>();
  for (const c of rs.tables.get('nat')?.chains.values() ?? []) {
    for (const r of c.rules) for (const m of r.matches) if ((m.kind === 'src' || m.kind === 'dst') && m.args['prefix']) out.add(formatPrefix(m.args['prefix'] as Prefix));
  }
  return out;
}

describe('natRulePrefixes', () => {
  const rs = corpus('kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save').value;

  it('names each prefix a nat rule matches once', () => {
    const got = natRulePrefixes(rs).map(formatPrefix);
    expect(new Set(got)).toEqual(scan(rs));
    expect(got.length).toBe(new Set(got).size);
  });

  it('on a rule set with inserted rules, is what a full scan of it gives', () => {
    const before = natRulePrefixes(rs);
    const edited = insertRules(rs, [
      { table: 'nat', chain: 'POSTROUTING', position: 1, rule: '-d 198.51.100.0/24 -o eth0 -j MASQUERADE', label: 'what-if' },
      { table: 'filter', chain: 'FORWARD', position: 1, rule: '-s 203.0.113.0/24 -j DROP', label: 'what-if' },
    ]);
    expect(insertedFrom(edited)?.base).toBe(rs);
    const got = natRulePrefixes(edited).map(formatPrefix);
    expect(new Set(got)).toEqual(scan(edited));
    expect(got).toContain('198.51.100.0/24');
    expect(got).not.toContain('203.0.113.0/24');
    expect(natRulePrefixes(rs)).toBe(before);
  });
});
