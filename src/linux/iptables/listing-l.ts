/**
 * Reads `iptables [-t TABLE] -L [-n] [-v] [-x] [--line-numbers]` listings —
 * the form people paste (the seed's POSTROUTING line is one) — into a Ruleset
 * of one table. Each rule line is rewritten into iptables-save words and goes
 * through the same rule parser as a dump (builder.ts), so matches and targets
 * mean exactly what they mean there.
 *
 * ```
 * Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)      <- built-in: policy (+ counters with -v)
 * num pkts bytes target  prot opt in  out   source     destination
 * 1     0     0 MASQUERADE all -- *   eth0  0.0.0.0/0 !10.0.0.0/8   [extras]
 * Chain KUBE-SEP-X (1 references)                             <- user chain
 * ```
 * Each rule's `text` is its equivalent `-A CHAIN ...` line (what reports
 * quote); its location is the listing line.
 * Columns come from the header line (`num` with --line-numbers; `pkts bytes`
 * and `in out` with -v). The table is not printed: the caller names it.
 *
 * What the format cannot tell is reported, never guessed:
 * - without -v there are no interface columns: a rule limited to `-i`/`-o`
 *   looks like one that is not (a warning, and the Ruleset is marked derived);
 * - without -n addresses and ports are names: `anywhere`, `localhost`,
 *   `loopback/8` and IANA service names are read (with a warning), any other
 *   name makes its match unknown;
 * - counters with K/M/G suffixes are rounded (kept as the lower bound);
 * - an extras word podpath cannot map back to an option becomes an unknown
 *   match naming it (listing-l-extras.ts); a walk reaching the rule says unknown.
 *
 * Guarantees: never throws; every diagnostic names its line; every chain of
 * the listing is declared before any rule is read (a listing prints user
 * chains after the chains that jump to them).
 */
import type { TextSource } from '../../model/source.js';
import type { Match, Ruleset, TableName } from './types.js';
import { RulesetBuilder } from './builder.js';
import { splitLines, type ParseResult } from './parse.js';
import { tokenize } from './tokenize.js';
import { readExtras } from './listing-l-extras.js';

const CHAIN_LINE = /^Chain (\S+) \((?:policy (\S+)(?: (\S+) packets, (\S+) bytes)?|(\d+) references)\)\s*$/;
const HEADER = /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\s+(in\s+out\s+)?source\s+destination\s*$/;

/** True when `text` looks like an `iptables -L` listing. */
export function isListingL(text: string): boolean {
  const first = splitLines(text).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  return first !== undefined && /^Chain \S+ \(/.test(first.trim());
}

/** `127M` -> 127000000 (iptables prints counters over 99999 with K/M/G/T, in steps of 1000). */
function counter(text: string): { value: number; rounded: boolean } | undefined {
  const m = /^(\d+)([KMGT]?)$/.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return { value: Number(m[1]) * unit, rounded: m[2] !== '' };
}

/** Words of a line with their offsets. */
function words(line: string): { w: string; end: number }[] {
  const out: { w: string; end: number }[] = [];
  const re = /\S+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ w: m[0], end: m.index + m[0].length });
  return out;
}

/** An address column as `-s`/`-d` words (empty for any); undefined for a name podpath cannot resolve. */
function address(col: string, flag: '-s' | '-d', warn: (m: string) => void): string[] | undefined {
  const neg = col.startsWith('!');
  const a = neg ? col.slice(1) : col;
  const names: Record<string, string> = { anywhere: '0.0.0.0/0', localhost: '127.0.0.1', loopback: '127.0.0.0' };
  const [host, len] = a.split('/');
  let text = a;
  if (host !== undefined && Object.hasOwn(names, host)) {
    text = len === undefined ? names[host]! : `${names[host]!}/${len}`;
    if (host !== 'anywhere') warn(`'${a}' read as ${text} (standard /etc/hosts and /etc/networks names); run iptables -L with -n to avoid names`);
  } else if (!/^[\d.]+(\/[\d.]+)?$/.test(a)) return undefined;
  if (text === '0.0.0.0/0' && !neg) return [];
  return [...(neg ? ['!'] : []), flag, text];
}

function iface(col: string, flag: '-i' | '-o'): string[] {
  if (col === '*' || col === 'any') return [];
  return col.startsWith('!') ? ['!', flag, col.slice(1)] : [flag, col];
}

const OPTS = new Set(['--', '-f', '!f']);

/** Parses an `iptables -L` listing of `table`. Never throws. */
export function parseIptablesListingL(src: TextSource, table: TableName): ParseResult<Ruleset> {
  const file = src.file ?? '<input>';
  const b = new RulesetBuilder(file);
  const first = src.firstLine ?? 1;
  const lines = splitLines(src.text).map((l) => l.replace(/\r$/, ''));
  b.openTable(table, first, `(iptables -t ${table} -L)`);
  const notes = new Set<string>();
  const warnOnce = (line: number, text: string, m: string) => {
    if (notes.has(m)) return;
    notes.add(m);
    b.report('warning', line, text, m);
  };

  // Pass 1: declare every chain (policies and counters of built-in chains).
  lines.forEach((line, i) => {
    const m = CHAIN_LINE.exec(line.trim());
    if (!m) return;
    const [, name, policy, pk, by] = m;
    const c = pk !== undefined ? [counter(pk), counter(by!)] : undefined;
    b.declareChain(name!, policy ?? '-', first + i, line, c && c[0] && c[1] ? { packets: c[0].value, bytes: c[1].value } : undefined);
  });

  // Pass 2: rules.
  let chain: string | undefined;
  let cols: { num: boolean; counters: boolean; ifaces: boolean } | undefined;
  let sawHeader = false;
  let noV = false;
  lines.forEach((line, i) => {
    const lineNo = first + i;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const c = CHAIN_LINE.exec(t);
    if (c) {
      chain = c[1];
      cols = undefined;
      return;
    }
    const h = HEADER.exec(line);
    if (h) {
      cols = { num: h[1] !== undefined, counters: h[2] !== undefined, ifaces: h[3] !== undefined };
      if (!cols.ifaces && !noV) {
        noV = true;
        b.report('warning', lineNo, line, 'listing without -v: interfaces are not shown, so rules are read without -i/-o (a rule limited to an interface looks like one that is not); use iptables-save or -L -n -v');
      }
      sawHeader = true;
      return;
    }
    if (!chain || !cols) {
      b.report('error', lineNo, line, sawHeader ? 'a rule line must follow a `Chain NAME (...)` line and its column header' : 'not an iptables -L line (expected `Chain NAME (...)` and a column header)');
      return;
    }
    readRule(b, chain, cols, line, lineNo, (m) => warnOnce(lineNo, line, m));
  });
  b.commit(first + Math.max(0, lines.length - 1), '');
  const value = b.finish(first + Math.max(0, lines.length - 1), '');
  if (noV) value.derived = `${file}: an iptables -L listing without -v: interface matches are not shown and were read as absent`;
  return { value, diagnostics: b.diagnostics };
}

function readRule(
  b: RulesetBuilder, chain: string, cols: { num: boolean; counters: boolean; ifaces: boolean }, line: string, lineNo: number,
  warn: (m: string) => void,
): void {
  const ws = words(line);
  let k = 0;
  const take = () => ws[k++];
  if (cols.num) take();
  let counters: { packets: number; bytes: number } | undefined;
  if (cols.counters) {
    const p = counter(take()?.w ?? '');
    const by = counter(take()?.w ?? '');
    if (!p || !by) return b.report('error', lineNo, line, 'expected packet and byte counters at the start of the line');
    if (p.rounded || by.rounded) warn('counters with K/M/G suffixes are rounded by iptables -L (use -x for exact counts)');
    counters = { packets: p.value, bytes: by.value };
  }
  // The target column is empty for a rule without a target: then the opt column comes second, not third.
  const hasTarget = OPTS.has(ws[k + 2]?.w ?? '');
  const target = hasTarget ? take()!.w : undefined;
  const prot = take();
  const opt = take();
  const fixed = cols.ifaces ? 4 : 2;
  const rest = ws.slice(k, k + fixed);
  if (!prot || !opt || !OPTS.has(opt.w) || rest.length < fixed) {
    return b.report('error', lineNo, line, `expected ${cols.ifaces ? 'target prot opt in out source destination' : 'target prot opt source destination'} columns`);
  }
  k += fixed;
  const [inCol, outCol] = cols.ifaces ? [rest[0]!.w, rest[1]!.w] : ['*', '*'];
  const [srcCol, dstCol] = cols.ifaces ? [rest[2]!.w, rest[3]!.w] : [rest[0]!.w, rest[1]!.w];
  const extrasText = line.slice(rest[fixed - 1]!.end);
  const x = readExtras(extrasText, target);
  x.warnings.forEach(warn);
  const unknown: string[] = [...x.unknown];
  const generic: string[] = [];
  const protNeg = prot.w.startsWith('!');
  const protName = protNeg ? prot.w.slice(1) : prot.w;
  if (protName !== 'all' && protName !== '0') generic.push(...(protNeg ? ['!'] : []), '-p', protName);
  if (opt.w !== '--') generic.push(...(opt.w === '!f' ? ['!'] : []), '-f');
  generic.push(...iface(inCol, '-i'), ...iface(outCol, '-o'));
  for (const [col, flag] of [[srcCol, '-s'], [dstCol, '-d']] as const) {
    const a = address(col, flag, warn);
    if (a) generic.push(...a);
    else unknown.push(`${flag} ${col} (a name: not resolved; run iptables -L with -n)`);
  }
  const words2 = [...generic, ...x.matches];
  if (target !== undefined) words2.push(x.goto ? '-g' : '-j', target, ...x.target);
  // The rule is read (and reported) as the equivalent `-A` line; its location stays the listing line.
  const rewritten = ['-A', chain, ...words2].join(' ');
  const { tokens } = tokenize(rewritten);
  const before = b.diagnostics.length;
  b.addRule(chain, tokens.slice(2), lineNo, rewritten, counters);
  for (const d of b.diagnostics.slice(before)) {
    d.message = `${d.message} (the listing line reads as: ${rewritten})`;
    d.text = line;
  }
  const rule = lastRule(b, chain);
  if (rule) {
    for (const u of unknown) {
      const m: Match = { kind: 'listing', negated: false, text: u, args: { options: [] }, unknown: `${u}: the iptables -L listing does not show this in a form podpath can read back` };
      rule.matches.push(m);
    }
    if (unknown.length) b.report('warning', lineNo, line, `not read back from the listing: ${unknown.join('; ')} (walks that reach this rule give unknown)`);
  }
}

function lastRule(b: RulesetBuilder, chain: string) {
  const rules = b.currentTable()?.chains.get(chain)?.rules;
  return rules?.[rules.length - 1];
}
