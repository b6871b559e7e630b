/**
 * Reads `iptables-save -t nat` text for the agent, fast on big nodes: only
 * the rules that can matter are parsed, POSTROUTING and every chain reachable
 * from it, the agent's chain, and any rule elsewhere that jumps to the agent's
 * chain (uninstall removes those too). Every other rule line is blanked
 * before parsing, so line numbers stay those of the text. On a node with
 * 50k kube-proxy rules this parses a handful of rules instead of all of them
 * (KUBE-SERVICES hangs off PREROUTING and OUTPUT, not POSTROUTING).
 *
 * Guarantees: pure; never throws; the rules it keeps are parsed exactly as
 * parseIptablesSave would parse the whole text.
 */
import { parseIptablesSave } from '../../linux/iptables/parse.js';
import type { Ruleset } from '../../linux/iptables/types.js';
import { DEFAULT_CHAIN } from './config.js';

const RULE = /^(?:\[\d+:\d+\]\s+)?-A\s+(\S+)/;
const TARGET = /\s-[jg]\s+(\S+)/g;

/** The nat table of `text` with only the agent-relevant rules (see module comment). */
export function readNatTable(text: string, file = 'iptables-save -t nat', chain: string = DEFAULT_CHAIN): Ruleset {
  const lines = text.split('\n');
  const ruleChain: (string | undefined)[] = new Array(lines.length);
  const targets = new Map<string, Set<string>>();
  const jumpers = new Set<string>();
  let table = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('*')) table = l.slice(1).trim();
    if (table !== 'nat') continue;
    const m = RULE.exec(l);
    if (!m) continue;
    const c = m[1]!;
    ruleChain[i] = c;
    let set = targets.get(c);
    if (!set) targets.set(c, (set = new Set()));
    for (const t of l.matchAll(TARGET)) {
      set.add(t[1]!);
      if (t[1] === chain) jumpers.add(c);
    }
  }
  const keep = new Set<string>([chain]);
  const stack = ['POSTROUTING'];
  while (stack.length) {
    const c = stack.pop()!;
    if (keep.has(c) && c !== chain) continue;
    keep.add(c);
    for (const t of targets.get(c) ?? []) if (!keep.has(t)) stack.push(t);
  }
  table = '';
  const out = lines.map((l, i) => {
    if (l.startsWith('*')) table = l.slice(1).trim();
    if (table !== 'nat') return l.startsWith('#') ? l : '';
    const c = ruleChain[i];
    if (c !== undefined) return keep.has(c) || jumpsTo(l, chain) ? l : '';
    if (l.startsWith(':')) {
      const name = l.slice(1).split(/\s/)[0]!;
      return keep.has(name) || /^(PREROUTING|INPUT|OUTPUT|POSTROUTING)$/.test(name) || jumpers.has(name) ? l : '';
    }
    return l;
  });
  return parseIptablesSave({ text: out.join('\n'), file }).value;
}

function jumpsTo(line: string, chain: string): boolean {
  for (const t of line.matchAll(TARGET)) if (t[1] === chain) return true;
  return false;
}
