/**
 * `iptables -D` for every rule a predicate picks: a new rule set without them
 * (the input is not changed; chains with no removed rule are shared). Used
 * for what-ifs such as "kube-proxy has not programmed this Service yet".
 * Remaining rules keep their file:line; their positions are renumbered.
 */
import type { Chain, Rule, Ruleset, Table, TableName } from './types.js';

/** The rule set without the rules `drop` picks. */
export function withoutRules(rs: Ruleset, drop: (r: Rule) => boolean): Ruleset {
  let changed = false;
  const tables = new Map<TableName, Table>();
  for (const [name, t] of rs.tables) {
    let chains: Map<string, Chain> | undefined;
    for (const [chainName, c] of t.chains) {
      if (!c.rules.some(drop)) continue;
      chains ??= new Map(t.chains);
      chains.set(chainName, { ...c, rules: c.rules.filter((r) => !drop(r)).map((r, i) => (r.num === i + 1 ? r : { ...r, num: i + 1 })) });
    }
    if (chains) changed = true;
    tables.set(name, chains ? { ...t, chains } : t);
  }
  return changed ? { ...rs, tables } : rs;
}
