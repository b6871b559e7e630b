/** withoutRules: `iptables -D` of every rule a predicate picks, edited chain by chain as chains are read. */
import { describe, expect, it } from 'vitest';
import { withoutRules } from '../../../src/linux/iptables/remove.js';
import { serializeRuleset } from '../../../src/linux/iptables/serialize.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import type { Chain, Rule, Ruleset, TableName } from '../../../src/linux/iptables/types.js';
import { corpus, node, pkt } from './helpers.js';

const VIP = '10.96.237.231';
const namesVip = (r: Rule) => r.text.includes(`-d ${VIP}/32`);

/** What `iptables -D` of each picked rule leaves, made eagerly from the input. */
function expected(rs: Ruleset): Map<TableName, { name: string; rules: { num: number; text: string }[] }[]> {
  return new Map([...rs.tables].map(([t, table]) => [t, [...table.chains.values()].map((c) => ({
    name: c.name, rules: c.rules.filter((r) => !namesVip(r)).map((r, i) => ({ num: i + 1, text: r.text })),
  }))]));
}

const shape = (chains: Iterable<Chain>) => [...chains].map((c) => ({ name: c.name, rules: c.rules.map((r) => ({ num: r.num, text: r.text })) }));

describe('withoutRules', () => {
  const fresh = () => corpus('kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save').value;

  it('every way of reading the chains sees them without the picked rules, renumbered; the input is unchanged', () => {
    const rs = fresh();
    const before = serializeRuleset(rs);
    const want = expected(rs);
    expect([...want.get('nat')!].some((c) => c.rules.length < rs.tables.get('nat')!.chains.get(c.name)!.rules.length)).toBe(true);
    const reads: [string, (r: Ruleset, t: TableName) => Chain[]][] = [
      ['values()', (r, t) => [...r.tables.get(t)!.chains.values()]],
      ['entries()', (r, t) => [...r.tables.get(t)!.chains.entries()].map(([, c]) => c)],
      ['iteration', (r, t) => [...r.tables.get(t)!.chains].map(([, c]) => c)],
      ['a Map made from it', (r, t) => [...new Map(r.tables.get(t)!.chains).values()]],
      ['forEach', (r, t) => { const out: Chain[] = []; r.tables.get(t)!.chains.forEach((c) => out.push(c)); return out; }],
      ['get()', (r, t) => [...rs.tables.get(t)!.chains.keys()].map((k) => r.tables.get(t)!.chains.get(k)!)],
    ];
    for (const [how, read] of reads) {
      const edited = withoutRules(rs, namesVip);
      for (const t of rs.tables.keys()) expect(shape(read(edited, t)), `${how} ${t}`).toEqual(want.get(t));
    }
    expect(serializeRuleset(rs)).toBe(before);
  });

  it('chains without a picked rule are the input chains themselves; the edited ones are edited once', () => {
    const rs = fresh();
    const edited = withoutRules(rs, namesVip);
    const nat = rs.tables.get('nat')!.chains;
    const out = edited.tables.get('nat')!.chains;
    expect(out.get('POSTROUTING')).toBe(nat.get('POSTROUTING'));
    expect(out.get('KUBE-SERVICES')).not.toBe(nat.get('KUBE-SERVICES'));
    expect(out.get('KUBE-SERVICES')).toBe(out.get('KUBE-SERVICES'));
    expect(out.size).toBe(nat.size);
  });

  it('a Service whose rules are removed is no longer translated (kube-proxy not synced)', () => {
    const rs = fresh();
    const ctx = node({ inIface: 'veth1' });
    const toVip = pkt('10.244.0.7', VIP, 'tcp', 40000, 80);
    const [dnat] = walkHook(rs, 'PREROUTING', toVip, ctx, 0);
    const [missed] = walkHook(withoutRules(rs, namesVip), 'PREROUTING', toVip, ctx, 0);
    expect(dnat!.packet.dst).not.toBe(toVip.dst);
    expect(missed!.packet.dst).toBe(toVip.dst);
  });

  it('behaves as a Map under set, delete, has and size (what-ifs may edit the result further)', () => {
    const rs = fresh();
    const plain = new Map(rs.tables.get('nat')!.chains);
    const lazy = withoutRules(rs, () => false).tables.get('nat')!.chains;
    const extra: Chain = { name: 'EXTRA', builtin: false, loc: { file: 'x', line: 1 }, rules: [] };
    const first = [...plain.keys()][0]!;
    for (const m of [plain, lazy]) {
      m.delete('KUBE-SERVICES');
      m.set('EXTRA', extra);
      m.delete(first);
      m.set(first, extra);
    }
    expect([...lazy.keys()]).toEqual([...plain.keys()]);
    expect([...lazy.values()]).toEqual([...plain.values()]);
    expect(lazy.size).toBe(plain.size);
    expect([lazy.has('KUBE-SERVICES'), lazy.has('EXTRA'), lazy.get(first)]).toEqual([false, true, extra]);
  });
});
