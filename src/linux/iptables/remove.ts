/**
 * `iptables -D` for every rule a predicate picks: a new rule set without them
 * (the input is not changed; chains with no removed rule are shared). Used
 * for what-ifs such as "kube-proxy has not programmed this Service yet".
 * Remaining rules keep their file:line; their positions are renumbered.
 *
 * The edit is made chain by chain as chains are read: a what-if traces a few
 * flows through a kube-proxy dump of tens of thousands of rules in ten
 * thousand chains, and reads a handful of them. Every way of reading the
 * chains (get, iteration, forEach) sees the edited chains.
 */
import { ChainOverlay } from './chain-overlay.js';
import type { Chain, Rule, Ruleset, Table, TableName } from './types.js';

/** The rule set without the rules `drop` picks. */
export function withoutRules(rs: Ruleset, drop: (r: Rule) => boolean): Ruleset {
  const tables = new Map<TableName, Table>();
  for (const [name, t] of rs.tables) tables.set(name, { ...t, chains: new ChainOverlay(t.chains, (c) => withoutIn(c, drop)) });
  return { ...rs, tables };
}

/** The chain without the picked rules (the chain itself when none is picked). */
function withoutIn(c: Chain, drop: (r: Rule) => boolean): Chain {
  if (!c.rules.some(drop)) return c;
  return { ...c, rules: c.rules.filter((r) => !drop(r)).map((r, i) => (r.num === i + 1 ? r : { ...r, num: i + 1 })) };
}
