/**
 * A ruleset without locations, texts or element order: what must be equal
 * whichever way it was read. Chain comments are left out: nft 1.0.6's JSON
 * listing does not carry them (the text listing does).
 */
import type { NftRuleset } from '../../../src/linux/nftables/types.js';

export function canonical(rs: NftRuleset): unknown {
  const sortBy = <T>(xs: T[], k: (x: T) => string) => [...xs].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
  return sortBy(rs.tables, (t) => `${t.family} ${t.name}`).map((t) => ({
    table: `${t.family} ${t.name}`,
    chains: sortBy([...t.chains.values()], (c) => c.name).map((c) => ({
      name: c.name, base: c.base ?? null,
      rules: c.rules.map((r) => ({ stmts: r.stmts, comment: r.comment ?? null })),
    })),
    sets: sortBy([...t.sets.values()], (s) => s.name).map((s) => ({
      name: s.name, keyType: s.keyType, valueType: s.valueType ?? null,
      elements: sortBy(s.elements.map((e) => JSON.stringify([e.key, e.value ?? null, e.comment ?? null])), (x) => x),
    })),
  }));
}
