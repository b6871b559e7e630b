/** A Map of a table's chains laid over another's (what-ifs change a few chains of thousands). */
import type { Chain } from './types.js';

/**
 * A table's chains over another table's, without copying them: chains set on
 * it replace the input's, and (with `editChain`) each input chain is edited
 * when first read. It holds only the chains set or edited; the rest are read
 * from the input map, which is never changed, so making one costs nothing per
 * chain (a kube-proxy nat table has ten thousand). Every way of reading it
 * (get, has, size, iteration, forEach) answers as a Map holding the result.
 */
export class ChainOverlay extends Map<string, Chain> {
  /** Input chains taken out with delete() or clear(). */
  private readonly gone = new Set<string>();
  /** Input chains deleted and set again: a Map lists them after the others, in the order set. */
  private readonly moved = new Set<string>();

  constructor(private readonly input: ReadonlyMap<string, Chain>, private readonly editChain?: (c: Chain) => Chain) {
    super();
  }

  override get(name: string): Chain | undefined {
    const c = super.get(name);
    if (c !== undefined || this.gone.has(name)) return c;
    const original = this.input.get(name);
    if (original === undefined || !this.editChain) return original;
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
