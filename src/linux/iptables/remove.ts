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
import type { Chain, Rule, Ruleset, Table, TableName } from './types.js';

/** The rule set without the rules `drop` picks. */
export function withoutRules(rs: Ruleset, drop: (r: Rule) => boolean): Ruleset {
  const tables = new Map<TableName, Table>();
  for (const [name, t] of rs.tables) tables.set(name, { ...t, chains: new EditedChains(t.chains, (c) => withoutIn(c, drop)) });
  return { ...rs, tables };
}

/** The chain without the picked rules (the chain itself when none is picked). */
function withoutIn(c: Chain, drop: (r: Rule) => boolean): Chain {
  if (!c.rules.some(drop)) return c;
  return { ...c, rules: c.rules.filter((r) => !drop(r)).map((r, i) => (r.num === i + 1 ? r : { ...r, num: i + 1 })) };
}

/**
 * A table's chains, each edited when first read. It holds only the chains
 * read so far (and any set on it); the rest are read from the input map,
 * which is never changed, so making one costs nothing per chain.
 */
class EditedChains extends Map<string, Chain> {
  /** Input chains taken out with delete() or clear(). */
  private readonly gone = new Set<string>();
  /** Input chains deleted and set again: a Map lists them after the others, in the order set. */
  private readonly moved = new Set<string>();

  constructor(private readonly input: ReadonlyMap<string, Chain>, private readonly editChain: (c: Chain) => Chain) {
    super();
  }

  override get(name: string): Chain | undefined {
    const c = super.get(name);
    if (c !== undefined || this.gone.has(name)) return c;
    const original = this.input.get(name);
    if (original === undefined) return undefined;
    const edited = this.editChain(original);
    super.set(name, edited);
    return edited;
  }

  override set(name: string, c: Chain): this {
    if (this.gone.delete(name)) this.moved.add(name);
    return super.set(name, c);
  }

  override has(name: string): boolean {
    return super.has(name) || (!this.gone.has(name) && this.input.has(name));
  }

  override get size(): number {
    let n = 0;
    for (const _ of this.keys()) n++;
    return n;
  }

  override delete(name: string): boolean {
    const had = this.has(name);
    this.gone.add(name);
    this.moved.delete(name);
    super.delete(name);
    return had;
  }

  override clear(): void {
    for (const name of this.input.keys()) this.gone.add(name);
    this.moved.clear();
    super.clear();
  }

  /** Map order: the input's chains still in place, then chains set on this map (new or deleted and set again) in the order set. */
  override *keys(): MapIterator<string> {
    for (const name of this.input.keys()) if (!this.gone.has(name) && !this.moved.has(name)) yield name;
    for (const name of super.keys()) if (!this.input.has(name) || this.moved.has(name)) yield name;
  }

  override *entries(): MapIterator<[string, Chain]> {
    for (const name of this.keys()) yield [name, this.get(name)!];
  }

  override *values(): MapIterator<Chain> {
    for (const name of this.keys()) yield this.get(name)!;
  }

  override forEach(fn: (c: Chain, name: string, map: Map<string, Chain>) => void, thisArg?: unknown): void {
    for (const [name, c] of this.entries()) fn.call(thisArg, c, name, this);
  }

  override [Symbol.iterator](): MapIterator<[string, Chain]> {
    return this.entries();
  }
}
