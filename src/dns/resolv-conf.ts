/**
 * /etc/resolv.conf as the glibc stub resolver reads it, and the names it
 * queries for a lookup.
 *
 * Semantics follow glibc (resolv/res_init.c, resolv/res_query.c;
 * resolv.conf(5) https://man7.org/linux/man-pages/man5/resolv.conf.5.html),
 * which is what Kubernetes pods and nodes run; where Go's pure resolver
 * (net/dnsconfig_unix.go) differs, the glibc reading is kept and the
 * difference noted:
 * - A directive is a keyword at the start of a line followed by a space or tab;
 *   lines starting with `#` or `;` are comments, and glibc ignores an indented
 *   line (it matches keywords at column 0 only).
 * - `nameserver`: at most MAXNS = 3 are used, in file order; later ones are
 *   ignored. An address ends at the first space or tab, so a trailing `# comment`
 *   is harmless but `10.0.0.2;x` is not an address. IPv6 addresses (with
 *   an optional `%zone`) count toward the three. podpath reads IPv4 as dotted
 *   quads only; glibc's inet_aton also takes shorthand such as `127.1`, which
 *   podpath reports as an error instead of guessing. Without any nameserver the
 *   stub uses the local machine (127.0.0.1).
 * - `search` and `domain` both set the search list, and the last one in the
 *   file wins; `domain X` is the one-entry list [X]. glibc < 2.26 used only the
 *   first 6 search domains (MAXDNSRCH); later versions use them all. When the
 *   file has neither, glibc takes the domain of the host name; podpath does
 *   not know it and uses an empty list.
 * - `options ndots:N` (default 1, capped at 15), `timeout:N` (seconds per
 *   try, default 5, capped at 30), `attempts:N` (default 2, capped at 5); N is
 *   read with atoi, so a non-number reads as 0 (Go agrees for ndots). Flags:
 *   rotate, edns0, single-request, single-request-reopen, use-vc, no-tld-query
 *   (also spelled no_tld_query),
 *   trust-ad, no-aaaa, inet6, no-check-names, no-reload, debug, ip6-bytestring,
 *   ip6-dotint, no-ip6-dotint. The RES_OPTIONS and LOCALDOMAIN environment
 *   variables are not modelled.
 *
 * Guarantees:
 * - `parseResolvConf` never throws; every setting in effect keeps the file:line
 *   it came from; every line glibc would ignore or read differently from what
 *   it seems to say gives a diagnostic with its line. Errors flag input that is
 *   wrong (the value shown is still glibc's reading); warnings flag input glibc
 *   accepts but that is probably not what was meant.
 * - `queryPlan` lists the names glibc's res_search tries, in order, each as an
 *   absolute name with a trailing dot (see its doc comment).
 */
import { isIpv6, isValidIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import type { SourceLoc, TextSource } from '../model/source.js';

export type { Diagnostic } from '../model/diagnostic.js';
import type { Diagnostic } from '../model/diagnostic.js';

/** A nameserver in effect. */
export interface Nameserver {
  /** As written, e.g. `10.0.0.10` or `fe80::1%lo0`. */
  address: string;
  /** The address as a number when it is IPv4. */
  ipv4?: Ipv4;
  /** Where it was declared; absent for the implicit 127.0.0.1. */
  loc?: SourceLoc;
  /** True for the 127.0.0.1 a file without nameservers gets. */
  implicit: boolean;
}

/** The resolver configuration in effect. */
export interface ResolvConf {
  /** At most three, in the order they are tried (before `rotate`). */
  nameservers: Nameserver[];
  /** Search domains as written in the effective `search`/`domain` line. @default [] */
  search: string[];
  /** The line the search list came from. */
  searchFrom?: SourceLoc & { keyword: 'search' | 'domain' };
  /** Names with at least this many dots are tried as-is first. @default 1 */
  ndots: number;
  /** Seconds to wait for one server before the next. @default 5 */
  timeout: number;
  /** Rounds over the server list. @default 2 */
  attempts: number;
  /** Start at a different server for each query. @default false */
  rotate: boolean;
  /** Every flag option set (rotate, edns0, ...), in first-seen order. */
  flags: string[];
  /** Where each option in effect was last set: `ndots` -> file:line. */
  optionLocs: Record<string, SourceLoc>;
}

/** Result of parsing resolv.conf text. */
export interface ParsedResolvConf {
  value: ResolvConf;
  diagnostics: Diagnostic[];
}

/** glibc MAXNS. */
export const MAX_NAMESERVERS = 3;
/** glibc RES_MAXNDOTS, RES_MAXRETRANS, RES_MAXRETRY. */
const CAPS = { ndots: 15, timeout: 30, attempts: 5 } as const;
/** glibc < 2.26 MAXDNSRCH. */
const OLD_MAX_SEARCH = 6;
const FLAG_OPTIONS: ReadonlySet<string> = new Set([
  'rotate', 'edns0', 'single-request', 'single-request-reopen', 'use-vc', 'no-tld-query', 'no_tld_query', 'trust-ad', 'no-aaaa',
  'inet6', 'no-check-names', 'no-reload', 'debug', 'ip6-bytestring', 'ip6-dotint', 'no-ip6-dotint',
]);
/** Keywords other resolvers read that glibc ignores. */
const FOREIGN_KEYWORDS: ReadonlySet<string> = new Set(['lookup', 'family', 'port']);

/** C atoi: optional sign and leading digits; 0 when there are none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/** Parses resolv.conf text with glibc's rules. */
export function parseResolvConf(src: TextSource): ParsedResolvConf {
  const file = src.file ?? '<input>';
  const first = src.firstLine ?? 1;
  const diagnostics: Diagnostic[] = [];
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1, timeout: 5, attempts: 2, rotate: false, flags: [], optionLocs: {} };

  src.text.split('\n').forEach((raw, i) => {
    const text = raw.replace(/\r$/, '');
    const loc: SourceLoc = { file, line: first + i };
    const diag = (severity: Diagnostic['severity'], message: string) => diagnostics.push({ severity, file, line: loc.line, text, message });
    if (text.trim() === '' || text[0] === '#' || text[0] === ';') return;

    const m = /^([A-Za-z0-9_-]+)[ \t]+(.*)$/.exec(text);
    if (!m) {
      if (/^\s/.test(text)) diag('warning', 'indented line ignored: glibc reads a keyword only at the start of a line');
      else if (/^(nameserver|search|domain|options)\s*$/.test(text)) diag('warning', `'${text.trim()}' has no value; ignored`);
      else diag('warning', `'${text.trim()}' is not a resolv.conf directive; ignored`);
      return;
    }
    const keyword = m[1]!;
    const rest = m[2]!;
    const words = rest.split(/[ \t]+/).filter((w) => w !== '');

    switch (keyword) {
      case 'nameserver':
        addNameserver(conf, rest, loc, diag);
        return;
      case 'search':
      case 'domain': {
        if (words.length === 0) {
          diag('warning', `'${keyword}' has no value; ignored`);
          return;
        }
        const list = keyword === 'domain' ? [words[0]!] : words;
        if (keyword === 'domain' && words.length > 1) diag('warning', `domain takes one name; '${words.slice(1).join(' ')}' ignored`);
        if (conf.searchFrom) {
          diag('warning', `${keyword} replaces the search list set by ${conf.searchFrom.keyword} on line ${conf.searchFrom.line} (the last search or domain line wins)`);
        }
        if (list.length > OLD_MAX_SEARCH) {
          diag('warning', `${list.length} search domains: glibc before 2.26 uses only the first ${OLD_MAX_SEARCH}`);
        }
        conf.search = list;
        conf.searchFrom = { ...loc, keyword };
        return;
      }
      case 'options':
        words.forEach((w, k) => readOption(conf, w, words[k - 1], words[k + 1], loc, diag));
        return;
      case 'sortlist':
        return; // Orders addresses in answers only; no effect on which servers or names are queried.
      default:
        diag('warning', FOREIGN_KEYWORDS.has(keyword) ? `'${keyword}' is not read by glibc; ignored` : `unknown keyword '${keyword}'; ignored`);
    }
  });

  if (conf.nameservers.length === 0) {
    conf.nameservers.push({ address: '127.0.0.1', ipv4: parseIpv4('127.0.0.1'), implicit: true });
    diagnostics.push({ severity: 'warning', file, line: first, text: '', message: 'no usable nameserver: the resolver queries 127.0.0.1 (resolv.conf(5) default)' });
  }
  return { value: conf, diagnostics };
}

function addNameserver(conf: ResolvConf, rest: string, loc: SourceLoc, diag: (s: Diagnostic['severity'], m: string) => void): void {
  const address = rest.trimStart().split(/[ \t]/)[0] ?? '';
  if (address === '') {
    diag('warning', "'nameserver' has no address; ignored");
    return;
  }
  const v4 = isValidIpv4(address);
  if (!v4 && !isIpv6(address)) {
    diag('error', `'${address}' is not an IPv4 or IPv6 address; glibc ignores this nameserver`);
    return;
  }
  if (conf.nameservers.length >= MAX_NAMESERVERS) {
    const used = conf.nameservers.map((n) => n.address).join(', ');
    diag('warning', `nameserver ${address} is ignored: glibc uses at most ${MAX_NAMESERVERS} (MAXNS), here ${used}`);
    return;
  }
  conf.nameservers.push({ address, ...(v4 ? { ipv4: parseIpv4(address) } : {}), loc, implicit: false });
}

function readOption(
  conf: ResolvConf,
  word: string,
  prev: string | undefined,
  next: string | undefined,
  loc: SourceLoc,
  diag: (s: Diagnostic['severity'], m: string) => void,
): void {
  const colon = word.indexOf(':');
  const name = colon < 0 ? word : word.slice(0, colon);
  if (name === 'ndots' || name === 'timeout' || name === 'attempts') {
    if (colon < 0) {
      const hint = next !== undefined && /^\d+$/.test(next) ? ` (did you mean ${name}:${next}?)` : '';
      diag('error', `option '${name}' needs a value as ${name}:N; glibc ignores it${hint}`);
      return;
    }
    const valueText = word.slice(colon + 1);
    let value = atoi(valueText);
    if (!/^\d+$/.test(valueText)) {
      if (value < 0) {
        diag('error', `${name}:${valueText} is negative; podpath reads it as 0`);
        value = 0;
      } else {
        diag('error', `${name}:${valueText} is not a number; glibc reads it as ${value}`);
      }
    }
    const cap = CAPS[name];
    if (value > cap) {
      diag('warning', `${name}:${value} is capped at ${cap}`);
      value = cap;
    }
    conf[name] = value;
    conf.optionLocs[name] = loc;
    return;
  }
  if (FLAG_OPTIONS.has(word)) {
    if (!conf.flags.includes(word)) conf.flags.push(word);
    if (word === 'rotate') conf.rotate = true;
    conf.optionLocs[word] = loc;
    return;
  }
  // `attempts 3`: the number belongs to the malformed option before it, reported there.
  if (/^\d+$/.test(word) && (prev === 'ndots' || prev === 'timeout' || prev === 'attempts')) return;
  diag('warning', `unknown option '${word}'; glibc ignores it`);
}

/**
 * The absolute names (trailing dot) glibc's res_search queries for `name`, in
 * order, stopping only when one answers:
 * - a name ending in `.` is absolute: only itself;
 * - a name with at least `ndots` dots is tried as-is first;
 * - then the name with each search domain appended (a search entry `.` means
 *   the root, i.e. the name itself);
 * - then the name as-is, if not tried yet (skipped for a dotless name under
 *   `options no-tld-query`).
 * A duplicate in the search list gives a duplicate query, as in glibc.
 */
export function queryPlan(conf: ResolvConf, name: string): string[] {
  if (name === '') return [];
  const abs = (n: string) => (n.endsWith('.') ? n : `${n}.`);
  if (name.endsWith('.')) return [name];
  const dots = [...name].filter((c) => c === '.').length;
  const plan: string[] = [];
  let triedAsIs = false;
  if (dots >= conf.ndots) {
    plan.push(abs(name));
    triedAsIs = true;
  }
  let rootOnList = false;
  for (const entry of conf.search) {
    // glibc drops one leading '.', so "." (the root) appends nothing.
    const domain = entry.startsWith('.') ? entry.slice(1) : entry;
    if (domain === '') {
      rootOnList = true;
      plan.push(abs(name));
    } else {
      plan.push(abs(`${name}.${domain}`));
    }
  }
  const searched = conf.search.length > 0;
  if (!triedAsIs && !rootOnList && (dots > 0 || !searched || !conf.flags.includes('no-tld-query') && !conf.flags.includes('no_tld_query'))) plan.push(abs(name));
  return plan;
}
