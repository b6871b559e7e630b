/**
 * nftables rule sets as read from `nft list ruleset` (text, or the `nft -f`
 * command form) and `nft -j list ruleset` (JSON). Both readers produce this
 * one model, so a ruleset read back from the kernel in either form compares equal.
 *
 * Values are reduced to what a trace compares: numbers as closed ranges
 * (an IPv4 prefix `10.0.0.0/8` is the range of its addresses, a protocol name
 * its number, a ct state its bit), strings for interface names and fib types.
 */

/** Address families of nftables tables. Only ip and inet see IPv4 packets. */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** Netfilter hooks a base chain attaches to (nft names). */
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

/** Where a construct came from: file:line for text, table/chain/handle for JSON. */
export interface NftLoc {
  file: string;
  /** 1-based line (text input). */
  line?: number;
  /** The kernel's handle (JSON input). */
  handle?: number;
}

/** One component of a value: a closed number range, or a string (interface name, fib type, IPv6 address). */
export type Atom = { lo: number; hi: number } | { str: string; wildcard?: true };

/** A verdict as a statement or a map value. */
export interface Verdict {
  kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue' | 'jump' | 'goto';
  /** Chain name for jump and goto. */
  target?: string;
}

/** A set or map element: one atom per component of the key's concatenation. */
export interface NftElement {
  key: Atom[];
  /** A verdict map's verdict, or a data map's value. */
  value?: Verdict | Atom[];
  comment?: string;
}

/** What a left-hand side reads: `ip daddr`, `meta l4proto`, `ct state`, `numgen random mod 2`... */
export interface Selector {
  /** Normalised name: 'ip saddr', 'tcp dport', 'th dport', 'meta mark', 'ct mark', 'fib daddr type', 'numgen', ... */
  key: string;
  /** Modulus of `numgen random mod N`. */
  mod?: number;
  /** `numgen ... offset N`. */
  offset?: number;
}

/** A left-hand side: one selector or a concatenation, optionally masked (`meta mark & 0x4000`). */
export interface Left {
  sels: Selector[];
  /** Bitwise operations applied to a single selector's value, in order. */
  ops?: { op: '&' | '|' | '^'; value: number }[];
}

/** The elements a match compares with: literal (a single value is a one-element set) or a named set. */
export type Right = { elements: NftElement[] } | { ref: string };

/** An expression or statement of a rule. */
export type NftStmt =
  | { kind: 'match'; left: Left; op: '==' | '!='; right: Right }
  | { kind: 'vmap'; left: Left; map: Right }
  | { kind: 'verdict'; verdict: Verdict }
  | { kind: 'nat'; type: 'dnat' | 'snat' | 'masquerade' | 'redirect'; addr?: number; port?: number; flags?: string[] }
  | { kind: 'mangle'; target: 'meta mark' | 'ct mark'; from: 'meta mark' | 'ct mark' | 'const'; value: number; ops: { op: '&' | '|' | '^'; value: number }[] }
  | { kind: 'counter' }
  | { kind: 'log' }
  | { kind: 'set-update'; set: string }
  | { kind: 'unknown'; construct: string };

/** One rule. */
export interface NftRule {
  /** Position in its chain, 1-based. */
  index: number;
  loc: NftLoc;
  /** The rule as written (text input) or rendered from JSON. */
  text: string;
  stmts: NftStmt[];
  comment?: string;
}

/** A base chain's attachment. */
export interface BaseChain {
  type: 'filter' | 'nat' | 'route';
  hook: NftHook;
  /** Numeric priority (named priorities resolved: raw -300, mangle -150, dstnat -100, filter 0, security 50, srcnat 100). */
  priority: number;
  policy: 'accept' | 'drop';
}

/** A chain. */
export interface NftChain {
  name: string;
  loc: NftLoc;
  base?: BaseChain;
  rules: NftRule[];
  comment?: string;
}

/** A named set or map. */
export interface NftSet {
  name: string;
  loc: NftLoc;
  /** Key type, one name per concatenated component (`ipv4_addr`, `inet_proto`, `inet_service`...). */
  keyType: string[];
  /** Value type for maps (`verdict` for verdict maps). */
  valueType?: string;
  flags: string[];
  elements: NftElement[];
}

/** A table. */
export interface NftTable {
  family: NftFamily;
  name: string;
  loc: NftLoc;
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
}

/** A parsed ruleset. */
export interface NftRuleset {
  file: string;
  format: 'text' | 'json';
  tables: NftTable[];
  /** Set when podpath derived the ruleset (e.g. kube-proxy's rules from Services), not read. */
  derived?: string;
}

/** Printable reference of a rule: `file:line` or `file: family table chain handle N`. */
export function ruleRef(table: NftTable, chain: NftChain, rule?: NftRule): string {
  const loc = rule?.loc ?? chain.loc;
  if (loc.line !== undefined) return `${loc.file}:${loc.line}`;
  const h = loc.handle !== undefined ? ` handle ${loc.handle}` : rule ? ` rule ${rule.index}` : '';
  return `${loc.file}: ${table.family} ${table.name} ${chain.name}${h}`;
}
