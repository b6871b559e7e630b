/**
 * A netfilter hop when the node has a native nftables ruleset: its entries
 * (iptables tables and nft base chains) in the order they ran, the deciding
 * rule (nft rules cite file:line, or file: family table chain handle N for
 * JSON input), and notes. Used by node-steps.ts; absent nft, nothing changes.
 */
import type { HookOutcome } from '../linux/iptables/types.js';
import type { HookStage, MergedHookOutcome } from '../linux/nftables/hook.js';
import { ruleRef, type NftChain, type NftRule, type NftTable } from '../linux/nftables/types.js';
import type { NftChainOutcome } from '../linux/nftables/walk.js';
import type { RuleRef } from '../model/source.js';
import { iptablesRule } from './hop.js';
import type { NetfilterTableStep } from './types.js';

/** A hook outcome that may carry nft stages. */
export type NftAware = HookOutcome & Partial<Pick<MergedHookOutcome, 'stages' | 'unknownReason' | 'notes'>>;

function nftRef(table: NftTable, chain: NftChain, rule: NftRule | undefined, text: string): RuleRef {
  const loc = rule?.loc ?? chain.loc;
  return { ref: ruleRef(table, chain, rule), at: { file: loc.file, line: loc.line ?? 1 }, text };
}

const refOf = (o: NftChainOutcome): RuleRef => {
  if (o.rule) {
    const holder = [...o.table.chains.values()].find((c) => c.rules.includes(o.rule!)) ?? o.chain;
    return nftRef(o.table, holder, o.rule, o.rule.text);
  }
  return nftRef(o.table, o.chain, undefined, `policy ${o.verdict} of ${o.table.family} ${o.table.name} ${o.chain.name}`);
};

const hasNft = (stages: HookStage[] | undefined): stages is HookStage[] => !!stages?.some((s) => s.kind === 'nft');

/** The hop's tables, deciding rule and notes from the stages, or undefined when no nft chain ran. */
export function nftHopParts(o: NftAware): { tables: NetfilterTableStep[]; rule?: RuleRef; notes: string[]; nat: boolean } | undefined {
  if (!hasNft(o.stages)) return undefined;
  const tables: NetfilterTableStep[] = [];
  const notes: string[] = [...(o.notes ?? [])];
  let rule: RuleRef | undefined;
  let nat = false;
  for (const st of o.stages) {
    if (st.kind === 'skipped') {
      notes.push(`${st.what} skipped: ${st.why}`);
      continue;
    }
    if (st.kind === 'iptables') {
      const t = st.outcome;
      tables.push({ table: t.table, chain: t.chain, verdict: t.verdict, ...(t.rule ? { rule: iptablesRule(t.rule) } : {}), ...(t.nat ? { nat: `${t.nat.kind} by ${t.nat.rule.loc.file}:${t.nat.rule.loc.line}` } : {}) });
      if (t.nat || t.verdict !== 'ACCEPT') rule = t.unknown ? iptablesRule(t.unknown.rule) : t.rule ? iptablesRule(t.rule) : rule;
      nat ||= t.nat !== undefined;
      continue;
    }
    const c = st.outcome;
    const verdict = c.verdict === 'accept' ? 'ACCEPT' : c.verdict === 'drop' ? 'DROP' : c.verdict === 'reject' ? 'REJECT' : 'unknown';
    const r = refOf(c);
    tables.push({ table: `nft ${c.table.family} ${c.table.name}`, chain: c.chain.name, verdict, ...(c.rule ? { rule: r } : {}), ...(c.nat ? { nat: `${c.nat.type} by ${c.nat.ref}` } : {}) });
    for (const m of c.matched) notes.push(`nft ${c.table.name} ${c.chain.name}: matched ${m.ref} ${m.rule.text}`);
    if (!c.rule && c.verdict === 'accept') notes.push(`nft ${c.table.name} ${c.chain.name}: no rule decided; policy accept`);
    if (c.nat || c.verdict !== 'accept' || !rule) rule = r;
    nat ||= c.nat !== undefined;
  }
  return { tables, notes, nat, ...(rule ? { rule } : {}) };
}

/** How the hop ended when an nft base chain decided a drop, reject or unknown. */
export function nftEnd(o: NftAware): { kind: 'dropped' | 'rejected' | 'unknown'; reason: string } | undefined {
  const last = o.stages?.[o.stages.length - 1];
  if (!last || last.kind !== 'nft' || o.verdict === 'ACCEPT') return undefined;
  const c = last.outcome;
  if (o.verdict === 'unknown') return { kind: 'unknown', reason: `${o.unknownReason ?? c.unknown ?? 'not understood'}: podpath cannot tell whether it matches` };
  const kind = o.verdict === 'DROP' ? 'dropped' : 'rejected';
  return { kind, reason: `${kind} by nft ${c.table.family} ${c.table.name} ${c.chain.name} (${c.ref})` };
}
