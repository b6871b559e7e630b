/**
 * A binary prefix trie for longest-prefix match.
 *
 * ```
 *            (root: 0.0.0.0/0)
 *             0/        \1
 *        0.0.0.0/1    128.0.0.0/1
 *          ...            ...
 * ```
 * Each level consumes one address bit, most significant first; a node carries
 * a value when a prefix ends there. A lookup walks at most 33 nodes and keeps
 * the deepest value seen, which is the longest matching prefix.
 *
 * Guarantees (property-tested against a linear scan): `longestMatch(ip)`
 * returns the entry with the greatest `len` among inserted prefixes containing
 * `ip`; `allMatches(ip)` returns every such entry, longest first; inserting the
 * same prefix twice replaces its value.
 */
import type { Ipv4 } from './ipv4.js';
import type { Prefix } from './prefix.js';

interface TrieNode<T> {
  zero?: TrieNode<T>;
  one?: TrieNode<T>;
  entry?: { prefix: Prefix; value: T };
}

/** Longest-prefix-match table mapping prefixes to values of type T. */
export class PrefixTrie<T> {
  private readonly root: TrieNode<T> = {};
  private count = 0;

  /** Number of distinct prefixes stored. */
  get size(): number {
    return this.count;
  }

  /** Stores `value` under `prefix`, replacing any value already there. */
  insert(prefix: Prefix, value: T): void {
    let node = this.root;
    for (let depth = 0; depth < prefix.len; depth++) {
      const bit = (prefix.addr >>> (31 - depth)) & 1;
      const key = bit ? 'one' : 'zero';
      node = node[key] ??= {};
    }
    if (!node.entry) this.count++;
    node.entry = { prefix, value };
  }

  /** The entry for the longest stored prefix containing `ip`, if any. */
  longestMatch(ip: Ipv4): { prefix: Prefix; value: T } | undefined {
    let node: TrieNode<T> | undefined = this.root;
    let best = node.entry;
    for (let depth = 0; depth < 32 && node; depth++) {
      node = (ip >>> (31 - depth)) & 1 ? node.one : node.zero;
      if (node?.entry) best = node.entry;
    }
    return best;
  }

  /** Every stored entry whose prefix contains `ip`, longest prefix first. */
  allMatches(ip: Ipv4): { prefix: Prefix; value: T }[] {
    const found: { prefix: Prefix; value: T }[] = [];
    let node: TrieNode<T> | undefined = this.root;
    if (node.entry) found.push(node.entry);
    for (let depth = 0; depth < 32 && node; depth++) {
      node = (ip >>> (31 - depth)) & 1 ? node.one : node.zero;
      if (node?.entry) found.push(node.entry);
    }
    return found.reverse();
  }
}
