/**
 * reconcile(spec, observed nat table) -> the iptables-restore payload that
 * makes the node's nat table hold the agent's rules, or undefined when it
 * already does; plus the conflicts (see conflicts.ts).
 *
 * The payload is for `iptables-restore --noflush`: it touches only the
 * agent's chain (`:CHAIN - [0:0]` creates or flushes it, then its rules) and
 * the agent's own jump rules in POSTROUTING (`-D` by rule text for a jump
 * that is stale or repeated, `-A` for a missing one). Nothing else in the
 * table is named, so every other rule stays byte for byte.
 *
 * Rules are compared in canonical form (parsed by podpath's iptables parser
 * and printed back), so iptables-save's spelling (quotes, option order,
 * `--probability 0.50000000000`) does not cause a rewrite.
 *
 * Guarantees: pure; never throws; reconcile(spec, table after applying its
 * payload) is undefined (idempotent); with an unreadable observed table the
 * chain is rewritten (never skipped on doubt).
 */
import { parseIptablesSave } from '../../linux/iptables/parse.js';
import { ruleWords } from '../../linux/iptables/serialize.js';
import type { Rule, Ruleset } from '../../linux/iptables/types.js';
import { agentConflicts, type AgentConflict } from './conflicts.js';
import { desiredChain, desiredJumps, type AgentSpec } from './rules.js';

/** What reconcile decided. */
export interface ReconcileResult {
  /** iptables-restore --noflush input, or undefined when nothing has to change. */
  payload?: string;
  /** Why a payload is needed, one short phrase each (empty when none). */
  changes: string[];
  /** Rules the agent's chain holds once the payload is applied. */
  rulesInChain: number;
  /** Other rules that decide before or after the agent (observed table). */
  conflicts: AgentConflict[];
}


const canonical = (words: Pick<Rule, 'matches' | 'target'>) => ruleWords(words).join(' ');

/** The canonical form of `-A CHAIN ...` lines, through the parser. */
function canonicalLines(chain: string, lines: string[], target: string): string[] {
  const decl = [...new Set([chain, target])].map((c) => `:${c} - [0:0]`);
  const text = ['*nat', ...decl, ...lines, 'COMMIT', ''].join('\n');
  const rs = parseIptablesSave({ text, file: 'desired' }).value;
  return (rs.tables.get('nat')?.chains.get(chain)?.rules ?? []).map(canonical);
}

/** The payload (or none) that installs `spec` on a node whose nat table is `observed`. */
export function reconcile(spec: AgentSpec, observed: Ruleset): ReconcileResult {
  const chain = spec.flags.masqChain;
  const nat = observed.tables.get('nat');
  const chainLines = desiredChain(spec);
  const jumpLines = desiredJumps(spec);
  const wantChain = canonicalLines(chain, chainLines, chain);
  const wantJumps = canonicalLines('POSTROUTING', jumpLines, chain);
  const have = nat?.chains.get(chain);
  const haveChain = have?.rules.map(canonical);
  const haveJumps = (nat?.chains.get('POSTROUTING')?.rules ?? []).filter((r) => r.target?.name === chain);

  const changes: string[] = [];
  const chainOk = haveChain !== undefined && haveChain.length === wantChain.length && haveChain.every((l, i) => l === wantChain[i]);
  if (!have) changes.push(`chain ${chain} missing`);
  else if (!chainOk) changes.push(`chain ${chain} differs`);

  const remove: Rule[] = [];
  const kept = new Set<string>();
  for (const r of haveJumps) {
    const c = canonical(r);
    if (wantJumps.includes(c) && !kept.has(c)) kept.add(c);
    else remove.push(r);
  }
  const add = jumpLines.filter((_, i) => !kept.has(wantJumps[i]!));
  if (remove.length) changes.push(`${remove.length} stale or repeated jump(s) to ${chain}`);
  if (add.length) changes.push(`${add.length} jump(s) to ${chain} missing`);

  const conflicts = agentConflicts(observed, chain, spec.config.podCIDRs);
  const result = { changes, rulesInChain: wantChain.length, conflicts };
  if (changes.length === 0) return result;
  const body = [
    ...(chainOk ? [] : [`:${chain} - [0:0]`, ...chainLines]),
    ...remove.map(deleteLine),
    ...add,
  ];
  // A jump needs its chain: when the chain is new, it is declared above.
  return { ...result, payload: ['*nat', ...body, 'COMMIT', ''].join('\n') };
}

/** `-D POSTROUTING <the rule as iptables-save printed it>`. */
function deleteLine(r: Rule): string {
  return r.text.replace(/^\s*(?:\[\d+:\d+\]\s+)?-A\s+(\S+)/, '-D $1');
}

/**
 * The payload that removes the agent (--uninstall): its jumps, then its chain
 * (flushed and deleted); undefined when neither is present.
 */
export function uninstallPayload(chain: string, observed: Ruleset): string | undefined {
  const nat = observed.tables.get('nat');
  const jumps = [...(nat?.chains.values() ?? [])].flatMap((c) => c.rules.filter((r) => r.target?.name === chain));
  const has = nat?.chains.has(chain) ?? false;
  if (!has && jumps.length === 0) return undefined;
  return ['*nat', ...jumps.map(deleteLine), ...(has ? [`:${chain} - [0:0]`, `-X ${chain}`] : []), 'COMMIT', ''].join('\n');
}
