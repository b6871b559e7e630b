/**
 * Tables that iptables-nft owns, as `nft list ruleset` shows them on a node
 * whose iptables is the nf_tables variant: family ip, named raw, mangle, nat,
 * filter or security, every base chain named after its hook in upper case
 * (PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING), as iptables-nft creates
 * them (iptables/nft.c builtin_table). nft prints their xt matches and targets
 * translated, and not always faithfully (iptables 1.8.9 / nft 1.0.6 list
 * `CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80` as
 * `meta mark set ct mark and 0x80`, which would clear the mark's other bits),
 * so when the node's iptables-save dump holds the same table, the dump is what
 * is walked and the nft listing's copy is set aside.
 *
 * Guarantees: pure; a table with any other name, family or base chain name is
 * never taken for iptables-nft's.
 */
import type { NftTable } from './types.js';

const TABLES = new Set(['raw', 'mangle', 'nat', 'filter', 'security']);
const cache = new WeakMap<NftTable, boolean>();

/** True when the table has iptables-nft's shape (its name, family and built-in chain names). */
export function isIptablesNftTable(t: NftTable): boolean {
  let v = cache.get(t);
  if (v === undefined) {
    const bases = [...t.chains.values()].filter((c) => c.base);
    v = t.family === 'ip' && TABLES.has(t.name) && bases.length > 0 && bases.every((c) => c.name === c.base!.hook.toUpperCase());
    cache.set(t, v);
  }
  return v;
}
