/**
 * Policy routing: `ip rule` output, and the kernel's choice of a route through
 * the rules (net/core/fib_rules.c fib_rules_lookup, ip-rule(8)).
 *
 * Format: one rule per line, `PRIORITY:<TAB>[not] SELECTOR... ACTION`, with
 * selectors `from PREFIX|all`, `to PREFIX|all`, `iif NAME [detached]`,
 * `oif NAME`, `fwmark V[/M]`, `ipproto P`, `sport P[-Q]`, `dport P[-Q]`, and
 * actions `lookup|table T`, `blackhole`, `unreachable`, `prohibit`, `goto N`,
 * `nop`, with `suppress_prefixlength N`. `proto X` (who installed the rule) is
 * kept as text.
 *
 * Lookup: rules in ascending priority (file order on ties). A rule matches when
 * all its selectors hold, inverted by `not`. `lookup T` finds the best route of
 * table T: none, or a `throw` route, or one whose prefix is no longer than
 * `suppress_prefixlength`, goes on to the next rule; any other route is the
 * answer (blackhole/unreachable/prohibit routes included). `goto N` continues
 * at the rule of priority N, or is passed over when there is none (printed
 * `[unresolved]`); `nop` goes on.
 *
 * What a lookup does not know it says (`unknown`, naming the rule), never
 * guesses: `uidrange`, `tos`/`dsfield`, `l3mdev`, `tun_id` selectors whose
 * other selectors hold; a table with no route in the input when the input is
 * not `ip route show table all` (which always lists the local table, so
 * with it a missing table is an empty one). `oif NAME` never matches: it needs a socket
 * bound to that device (SO_BINDTODEVICE), which a traced flow does not have.
 * Locally generated packets are looked up with `iif lo`, as the kernel does
 * (flowi4_iif = LOOPBACK_IFINDEX).
 *
 * Without `ip rule` output the kernel's three default rules apply (0 local,
 * 32766 main, 32767 default): `DEFAULT_RULES`.
 *
 * Guarantees: `parseIpRule` never throws; every rule keeps its file:line; a
 * line it cannot read is an error diagnostic and no rule.
 */
import type { Ipv4 } from '../../net/ipv4.js';
import type { Proto } from '../../net/packet.js';
import { contains, readPrefix, type Prefix } from '../../net/prefix.js';
import type { SourceLoc, TextSource } from '../../model/source.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import { lookupNodeRoute, tableName, type RouteEntry } from './ip-route.js';

/** One `ip rule` line. */
export interface PolicyRule {
  priority: number;
  not: boolean;
  from?: Prefix;
  to?: Prefix;
  iif?: string;
  oif?: string;
  fwmark?: { value: number; mask: number };
  ipproto?: Proto;
  sport?: { lo: number; hi: number };
  dport?: { lo: number; hi: number };
  /** Selectors podpath reads but does not model (`uidrange 0-0`, `tos 0x10`...). */
  unmodelled: string[];
  action:
    | { kind: 'lookup'; table: string }
    | { kind: 'blackhole' | 'unreachable' | 'prohibit' | 'nop' }
    | { kind: 'goto'; priority: number };
  /** Routes with a prefix this long or shorter are ignored (`suppress_prefixlength`). */
  suppressPrefixLength?: number;
  text: string;
  loc?: SourceLoc;
}

/** Result of parsing `ip rule` output. */
export interface ParsedRules {
  value: PolicyRule[];
  diagnostics: Diagnostic[];
}

const rule = (priority: number, table: string): PolicyRule => ({
  priority, not: false, unmodelled: [], action: { kind: 'lookup', table }, text: `${priority}:\tfrom all lookup ${table}`,
});

/** The rules a node has when nobody added any (ip-rule(8) "at startup time"). */
export const DEFAULT_RULES: readonly PolicyRule[] = [rule(0, 'local'), rule(32766, 'main'), rule(32767, 'default')];

const UNMODELLED = new Set(['uidrange', 'tos', 'dsfield', 'l3mdev', 'tun_id']);
/** Words that take a value and do not change which route is chosen. */
const INFORMATIONAL = new Set(['proto', 'protocol', 'realms', 'flowid', 'suppress_ifgroup']);
const PROTOS: Record<string, Proto> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp', sctp: 'sctp', '132': 'sctp' };

/** Parses `ip rule` (or `ip rule show` / `ip -4 rule`) text. */
export function parseIpRule(src: TextSource): ParsedRules {
  const file = src.file ?? '<input>';
  const first = src.firstLine ?? 1;
  const value: PolicyRule[] = [];
  const diagnostics: Diagnostic[] = [];
  src.text.split('\n').forEach((raw, i) => {
    const text = raw.replace(/\r$/, '').trim();
    if (text === '' || text.startsWith('#')) return;
    const line = first + i;
    const diag = (severity: Diagnostic['severity'], message: string) => diagnostics.push({ severity, file, line, text, message });
    const r = parseRuleLine(text, diag);
    if (r) value.push({ ...r, loc: { file, line } });
  });
  return { value, diagnostics };
}

function parseRuleLine(text: string, diag: (s: Diagnostic['severity'], m: string) => void): PolicyRule | undefined {
  const m = /^(\d+):\s*(.*)$/.exec(text);
  if (!m) {
    diag('error', 'not an ip rule line (expected PRIORITY: SELECTOR ACTION)');
    return undefined;
  }
  const r: PolicyRule = { priority: Number(m[1]), not: false, unmodelled: [], action: { kind: 'lookup', table: 'main' }, text };
  const words = m[2]!.split(/\s+/).filter(Boolean);
  let action: PolicyRule['action'] | undefined;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    const arg = words[k + 1];
    const need = (): string | undefined => {
      if (arg === undefined) diag('error', `'${w}' needs a value`);
      else k++;
      return arg;
    };
    /** The value as a whole number; undefined (with an error naming what it should be) when it is not one. */
    const needNumber = (what: string): number | undefined => {
      const v = need();
      if (v !== undefined && /^\d+$/.test(v)) return Number(v);
      diag('error', `${w} '${v ?? ''}' is not ${what}`);
      return undefined;
    };
    switch (w) {
      case 'not':
        r.not = true;
        break;
      case 'from':
      case 'to': {
        const v = need();
        if (v === undefined) return undefined;
        if (v === 'all') break;
        const p = readPrefix(v);
        if (!p) {
          diag(v.includes(':') ? 'warning' : 'error', v.includes(':') ? 'IPv6 rule skipped (podpath traces IPv4 only)' : `'${v}' is not an IPv4 prefix`);
          return undefined;
        }
        r[w] = p;
        break;
      }
      case 'iif':
      case 'dev':
        r.iif = need();
        if (words[k + 1] === '[detached]') k++;
        break;
      case 'oif':
        r.oif = need();
        if (words[k + 1] === '[detached]') k++;
        break;
      case 'fwmark': {
        const v = need();
        const mark = v === undefined ? undefined : markMask(v);
        if (!mark) {
          diag('error', `fwmark '${v ?? ''}' is not value[/mask]`);
          return undefined;
        }
        r.fwmark = mark;
        break;
      }
      case 'ipproto': {
        const v = need() ?? '';
        const p = PROTOS[v];
        if (p) r.ipproto = p;
        else r.unmodelled.push(`ipproto ${v}`);
        break;
      }
      case 'sport':
      case 'dport': {
        const v = need() ?? '';
        const range = portRange(v);
        if (!range) {
          diag('error', `${w} '${v}' is not PORT[-PORT]`);
          return undefined;
        }
        r[w] = range;
        break;
      }
      case 'lookup':
      case 'table': {
        const v = need();
        if (v === undefined) return undefined;
        action = { kind: 'lookup', table: tableName(v) };
        break;
      }
      case 'goto': {
        const v = needNumber('a priority');
        if (v === undefined) return undefined;
        if (v <= r.priority) {
          diag('error', `goto ${v} does not lead to a later rule (the kernel refuses a backward goto)`);
          return undefined;
        }
        action = { kind: 'goto', priority: v };
        break;
      }
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
      case 'nop':
        action = { kind: w };
        break;
      case 'suppress_prefixlength': {
        const v = needNumber('a number');
        if (v === undefined) return undefined;
        r.suppressPrefixLength = v;
        break;
      }
      case '[unresolved]': // a goto whose target priority has no rule: passed over (see lookupPolicyRoute)
        break;
      case '[l3mdev-table]':
        r.unmodelled.push('l3mdev');
        break;
      default:
        if (UNMODELLED.has(w)) r.unmodelled.push(`${w} ${need() ?? ''}`);
        else if (INFORMATIONAL.has(w)) need();
        else {
          diag('error', `'${w}' is not an ip rule selector or action podpath knows`);
          return undefined;
        }
    }
  }
  if (!action) {
    diag('error', 'rule has no action (lookup TABLE, blackhole, unreachable, prohibit, goto or nop)');
    return undefined;
  }
  r.action = action;
  return r;
}

function markMask(text: string): { value: number; mask: number } | undefined {
  const [v, m, extra] = text.split('/');
  const num = (s: string | undefined) => (s !== undefined && /^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(s) && Number(s) <= 0xffffffff ? Number(s) : undefined);
  const value = num(v);
  const mask = m === undefined ? 0xffffffff : num(m);
  return extra === undefined && value !== undefined && mask !== undefined ? { value, mask } : undefined;
}

function portRange(text: string): { lo: number; hi: number } | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= hi && hi <= 65535 ? { lo, hi } : undefined;
}

/** What the routing decision is asked about. */
export interface RouteQuery {
  src: Ipv4;
  dst: Ipv4;
  proto: Proto;
  sport: number;
  dport: number;
  /** skb->mark at the lookup. */
  mark: number;
  /** The interface the packet arrived on; `lo` for locally generated packets. */
  iif: string;
}

/** The routing decision. */
export type PolicyRoute =
  | { kind: 'route'; route: RouteEntry; rule: PolicyRule }
  | { kind: 'blackhole' | 'unreachable' | 'prohibit'; rule: PolicyRule }
  | { kind: 'none' }
  | { kind: 'unknown'; rule: PolicyRule; reason: string };

/** True when `r`'s selectors hold for `q` (before `not`); undefined when a selector podpath does not model decides. */
function selects(r: PolicyRule, q: RouteQuery): boolean | undefined {
  const known =
    (!r.from || contains(r.from, q.src)) &&
    (!r.to || contains(r.to, q.dst)) &&
    (!r.iif || r.iif === q.iif) &&
    !r.oif && // needs a socket bound to the device: a traced flow has none
    (!r.fwmark || ((q.mark & r.fwmark.mask) >>> 0) === ((r.fwmark.value & r.fwmark.mask) >>> 0)) &&
    (!r.ipproto || r.ipproto === q.proto) &&
    (!r.sport || (q.proto !== 'icmp' && q.sport >= r.sport.lo && q.sport <= r.sport.hi)) &&
    (!r.dport || (q.proto !== 'icmp' && q.dport >= r.dport.lo && q.dport <= r.dport.hi));
  if (!known) return false;
  return r.unmodelled.length ? undefined : true;
}

/** A list read once per list (a node's rules and routes are looked up for every packet through it). */
interface Derived<T> {
  /** The list's length when derived: a list that grew since is derived again. */
  length: number;
  value: T;
}

const orderedCache = new WeakMap<readonly PolicyRule[], Derived<readonly PolicyRule[]>>();
const tablesCache = new WeakMap<readonly RouteEntry[], Derived<ReadonlySet<string>>>();

/** The rules in ascending priority, file order on ties (a stable sort), once per list. */
function orderedRules(rules: readonly PolicyRule[]): readonly PolicyRule[] {
  const seen = orderedCache.get(rules);
  if (seen && seen.length === rules.length) return seen.value;
  const value = [...rules].sort((a, b) => a.priority - b.priority);
  orderedCache.set(rules, { length: rules.length, value });
  return value;
}

/** The tables the routes name, once per list. */
function tablesOf(routes: readonly RouteEntry[]): ReadonlySet<string> {
  const seen = tablesCache.get(routes);
  if (seen && seen.length === routes.length) return seen.value;
  const value = new Set(routes.map((r) => r.table));
  tablesCache.set(routes, { length: routes.length, value });
  return value;
}

/**
 * The route the kernel chooses for `q` through `rules` (ascending priority)
 * and the node's routes of every table. See the file comment for the rules.
 */
export function lookupPolicyRoute(rules: readonly PolicyRule[], routes: readonly RouteEntry[], q: RouteQuery): PolicyRoute {
  const ordered = orderedRules(rules);
  const tables = tablesOf(routes);
  // `ip route show table all` always lists the local table (the kernel keeps 127.0.0.1 there):
  // with it the input holds every table, and a table it lacks is empty.
  const allTables = tables.has('local');
  for (let i = 0; i < ordered.length; i++) {
    const r = ordered[i]!;
    const s = selects(r, q);
    if (s === undefined) {
      if (!r.not) return { kind: 'unknown', rule: r, reason: `ip rule ${r.priority} selects on ${r.unmodelled.join(', ')}, which podpath does not model` };
      return { kind: 'unknown', rule: r, reason: `ip rule ${r.priority} (not ...) selects on ${r.unmodelled.join(', ')}, which podpath does not model` };
    }
    if (s === r.not) continue;
    const a = r.action;
    if (a.kind === 'nop') continue;
    if (a.kind === 'goto') {
      // Continue at the rule with exactly that priority (fib_rules ctarget, which must come later);
      // without one the goto is "[unresolved]" and the kernel passes over it.
      const next = ordered.findIndex((x, j) => j > i && x.priority === a.priority);
      if (next >= 0) i = next - 1;
      continue;
    }
    if (a.kind !== 'lookup') return { kind: a.kind, rule: r };
    if (a.table === 'local' && !tables.has('local')) continue; // the caller decides local delivery from the node's addresses
    if (!tables.has(a.table)) {
      if (allTables || a.table === 'default') continue; // an empty table (default usually is)
      return { kind: 'unknown', rule: r, reason: `ip rule ${r.priority} looks up table ${a.table}, whose routes are not in the input (give \`ip route show table all\`)` };
    }
    const route = lookupNodeRoute(routes, q.dst, a.table);
    if (!route || route.type === 'throw') continue;
    if (r.suppressPrefixLength !== undefined && route.dst.len <= r.suppressPrefixLength) continue;
    if (route.type === 'multicast' || route.type === 'anycast') {
      const at = route.loc ? ` (${route.loc.file}:${route.loc.line})` : '';
      return { kind: 'unknown', rule: r, reason: `the route chosen is a ${route.type} route${at}: podpath does not model ${route.type} delivery` };
    }
    return { kind: 'route', route, rule: r };
  }
  return { kind: 'none' };
}
