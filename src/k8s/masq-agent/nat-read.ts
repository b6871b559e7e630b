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
  // Line starts only: lines are sliced out of the text when needed, not all at once.
  const starts: number[] = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  if (starts[starts.length - 1] === text.length) starts.pop();
  const count = starts.length;
  const line = (i: number) => text.slice(starts[i]!, i + 1 < count ? starts[i + 1]! - 1 : text.length).replace(/\r$/, '');
    // iptables-save prints each chain's rules together: index them as runs of
  // lines, slicing a chain name only where the chain changes.
  const runs = new Map<string, number[]>(); // chain -> [first, end, first, end, ...] line indexes
  let natFirst = -1;
  let natEnd = count;
  let prefix = '';
  let runChain = '';
  for (let i = 0; i < count; i++) {
    const at = starts[i]!;
    const c0 = text.charCodeAt(at);
    if (c0 === 42 /* * */) {
      if (natFirst >= 0 && natEnd === count) natEnd = i;
      if (natFirst < 0 && line(i).trim() === '*nat') natFirst = i;
      prefix = '';
      continue;
    }
    if (natFirst < 0 || natEnd !== count || (c0 !== 45 && c0 !== 91)) continue;
    if (prefix !== '' && text.startsWith(prefix, at)) continue;
    const c = ruleChainOf(line(i));
    if (c === undefined) continue;
    if (prefix !== '') runs.get(runChain)!.push(i);
    prefix = `-A ${c} `;
    runChain = c;
    let r = runs.get(c);
    if (!r) runs.set(c, (r = []));
    r.push(i);
  }
  if (prefix !== '') runs.get(runChain)!.push(natEnd);
  const inRun = (c: string, i: number) => {
    const r = runs.get(c) ?? [];
    for (let k = 0; k < r.length; k += 2) if (i >= r[k]! && i < (r[k + 1] ?? count)) return true;
    return false;
  };
  const linesOf = function* (c: string) {
    const r = runs.get(c) ?? [];
    for (let k = 0; k < r.length; k += 2) for (let i = r[k]!; i < (r[k + 1] ?? count); i++) if (ruleChainOf(line(i)) === c) yield i;
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
      for (const t of targetsOf(line(i))) if (!keep.has(t)) stack.push(t);
    }
  }
  // Jumps to the agent's chain from anywhere else (found by a search over the whole text).
  const jumpers = new Set<string>();
  for (const flag of [` -j ${chain}`, ` -g ${chain}`]) {
    for (let at = text.indexOf(flag); at >= 0; at = text.indexOf(flag, at + 1)) {
      const i = lineAt(starts, at);
      const l = line(i);
      const c = ruleChainOf(l);
      if (c !== undefined && i > natFirst && i < natEnd && inRun(c, i) && targetsOf(l).includes(chain)) {
        take.add(i);
        jumpers.add(c);
      }
    }
  }
  const declared = [...new Set([...keep, ...BUILTIN, ...jumpers])].map((n) => `:${n} `);
  const kept: string[] = [];
  const lineOf: number[] = [];
  for (let i = Math.max(natFirst, 0); natFirst >= 0 && i < natEnd; i++) {
    const c0 = text.charCodeAt(starts[i]!);
    if ((c0 === 45 || c0 === 91) && !take.has(i) && text.startsWith('-A ', starts[i]!)) continue;
    if (c0 === 58 && !declared.some((d) => text.startsWith(d, starts[i]!))) continue;
    const l = line(i);
    let ok: boolean;
    if (c0 === 58 /* : */) {
      ok = declared.some((d) => l.startsWith(d));
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
