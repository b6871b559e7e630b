/**
 * Reads `iptables-save -t nat` text for the agent, fast on big nodes: only
 * the rules that can matter are parsed, POSTROUTING and every chain reachable
 * from it, the agent's chain, and any rule elsewhere that jumps to the agent's
 * chain (uninstall removes those too). The kept lines are parsed on their own
 * and their locations mapped back to the lines of the text. On a node with
 * 50k kube-proxy rules this parses a handful of rules instead of all of them
 * (KUBE-SERVICES hangs off PREROUTING and OUTPUT, not POSTROUTING).
 *
 * Guarantees: pure; never throws; the rules it keeps are parsed exactly as
 * parseIptablesSave would parse the whole text, at the same file:line.
 */
import { parseIptablesSave } from '../../linux/iptables/parse.js';
import type { Ruleset } from '../../linux/iptables/types.js';
import { DEFAULT_CHAIN } from './config.js';

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);

/** The chain a rule line appends to (`-A NAME ...`, optionally after `[p:b] ` counters), or undefined. */
function ruleChainOf(l: string): string | undefined {
  let s = 0;
  if (l.charCodeAt(0) === 91 /* [ */) {
    const close = l.indexOf('] ');
    if (close < 0) return undefined;
    s = close + 2;
  }
  if (!l.startsWith('-A ', s)) return undefined;
  const end = l.indexOf(' ', s + 3);
  return l.slice(s + 3, end < 0 ? l.length : end);
}

/** Every `-j X` / `-g X` word of a rule line (a comment spelling one only keeps more). */
function targetsOf(l: string): string[] {
  const out: string[] = [];
  for (const flag of [' -j ', ' -g ']) {
    for (let i = l.indexOf(flag); i >= 0; i = l.indexOf(flag, i + 4)) {
      const end = l.indexOf(' ', i + 4);
      out.push(l.slice(i + 4, end < 0 ? l.length : end));
    }
  }
  return out;
}

/** The nat table of `text` with only the agent-relevant rules (see module comment). */
export function readNatTable(text: string, file = 'iptables-save -t nat', chain: string = DEFAULT_CHAIN): Ruleset {
  const lines = text.split('\n');
  // iptables-save prints each chain's rules together: index them as runs of
  // lines, slicing a chain name only where the chain changes.
  const runs = new Map<string, number[]>(); // chain -> [first, end, first, end, ...] line indexes
  const starts: number[] = new Array(lines.length);
  let natFirst = -1;
  let natEnd = lines.length;
  let prefix = '';
  let runChain = '';
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    starts[i] = offset;
    offset += l.length + 1;
    const c0 = l.charCodeAt(0);
    if (c0 === 42 /* * */) {
      if (natFirst >= 0 && natEnd === lines.length) natEnd = i;
      if (l.trim() === '*nat' && natFirst < 0) natFirst = i;
      prefix = '';
      continue;
    }
    if (natFirst < 0 || natEnd !== lines.length || (c0 !== 45 && c0 !== 91)) continue;
    if (prefix !== '' && l.startsWith(prefix)) continue;
    const c = ruleChainOf(l);
    if (c === undefined) continue;
    if (prefix !== '') runs.get(runChain)!.push(i);
    prefix = `-A ${c} `;
    runChain = c;
    let r = runs.get(c);
    if (!r) runs.set(c, (r = []));
    r.push(i);
  }
  if (prefix !== '') runs.get(runChain)!.push(lineEndOfRun(lines, natEnd));
  const inRun = (c: string, i: number) => {
    const r = runs.get(c) ?? [];
    for (let k = 0; k < r.length; k += 2) if (i >= r[k]! && i < (r[k + 1] ?? lines.length)) return true;
    return false;
  };
  const linesOf = function* (c: string) {
    const r = runs.get(c) ?? [];
    for (let k = 0; k < r.length; k += 2) for (let i = r[k]!; i < (r[k + 1] ?? lines.length); i++) if (ruleChainOf(lines[i]!) === c) yield i;
  };
  const keep = new Set<string>();
  const take = new Set<number>();
  const stack = ['POSTROUTING', chain];
  while (stack.length) {
    const c = stack.pop()!;
    if (keep.has(c)) continue;
    keep.add(c);
    for (const i of linesOf(c)) {
      take.add(i);
      for (const t of targetsOf(lines[i]!)) if (!keep.has(t)) stack.push(t);
    }
  }
  // Jumps to the agent's chain from anywhere else (found by a search over the whole text).
  const jumpers = new Set<string>();
  for (const flag of [` -j ${chain}`, ` -g ${chain}`]) {
    for (let at = text.indexOf(flag); at >= 0; at = text.indexOf(flag, at + 1)) {
      const i = lineAt(starts, at);
      const c = ruleChainOf(lines[i]!);
      if (c !== undefined && i > natFirst && i < natEnd && inRun(c, i) && targetsOf(lines[i]!).includes(chain)) {
        take.add(i);
        jumpers.add(c);
      }
    }
  }
  const kept: string[] = [];
  const lineOf: number[] = [];
  for (let i = Math.max(natFirst, 0); natFirst >= 0 && i < natEnd; i++) {
    const l = lines[i]!;
    const c0 = l.charCodeAt(0);
    let ok: boolean;
    if (c0 === 58 /* : */) {
      const sp = l.indexOf(' ');
      const name = l.slice(1, sp < 0 ? l.length : sp);
      ok = keep.has(name) || BUILTIN.has(name) || jumpers.has(name);
    } else if (c0 === 45 || c0 === 91) ok = take.has(i) || ruleChainOf(l) === undefined;
    else ok = c0 !== 35 /* # */;
    if (ok) {
      kept.push(l);
      lineOf.push(i + 1);
    }
  }
  const rs = parseIptablesSave({ text: kept.join('\n'), file }).value;
  for (const t of rs.tables.values()) {
    for (const ch of t.chains.values()) {
      ch.loc = { ...ch.loc, line: lineOf[ch.loc.line - 1] ?? ch.loc.line };
      for (const r of ch.rules) r.loc = { ...r.loc, line: lineOf[r.loc.line - 1] ?? r.loc.line };
    }
  }
  return rs;
}

/** The index just past the last rule line of the nat table (where COMMIT or the next table starts). */
function lineEndOfRun(lines: string[], natEnd: number): number {
  let i = natEnd;
  while (i > 0 && ruleChainOf(lines[i - 1]!) === undefined) i--;
  return i;
}

/** The line holding text offset `at` (binary search over line starts). */
function lineAt(starts: number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
