/**
 * Report kinds of `podpath iptables check` and `podpath iptables trace`, and
 * their text rendering. The JSON form is the report itself (report/json.ts).
 */
import type { Diagnostic } from '../../model/diagnostic.js';
import type { PacketView } from '../../net/packet.js';

/** A rule as reports show it: `file:line` and the line as written. */
export interface IptablesRuleView {
  ref: string;
  text: string;
}

/** `podpath iptables check FILE`. */
export interface IptablesCheckReport {
  kind: 'iptables-check';
  file: string;
  /** `iptables-save`, `iptables -S` or `iptables -L`. */
  format: string;
  /** For listings: the table the listing was read as, and whether it was given or inferred. */
  table?: { name: string; how: 'given' | 'inferred' };
  /** Set when part of the rule set is not read but derived (e.g. interfaces absent from a listing without -v). */
  derived?: string;
  tables: { name: string; rules: number; chains: { name: string; builtin: boolean; policy?: string; rules: number }[] }[];
  totals: { tables: number; chains: number; rules: number };
  /** Rules podpath keeps but does not understand: a walk reaching them answers unknown. */
  unknown: (IptablesRuleView & { construct: string })[];
  diagnostics: Diagnostic[];
  /** No error diagnostics. */
  ok: boolean;
}

/** One table's walk within a hook. */
export interface IptablesTableView {
  table: string;
  chain: string;
  verdict: string;
  /** The rule that decided (absent when the chain's policy did; see `policy`). */
  decidedBy?: IptablesRuleView;
  /** The decision came from the built-in chain's policy. */
  policy?: string;
  /** Rules that matched without ending the walk (jumps, MARK, CONNMARK, LOG...), in order. */
  matched: IptablesRuleView[];
  nat?: { kind: string; rule: IptablesRuleView };
  unknown?: { rule: IptablesRuleView; construct: string };
  /** Rules with a deciding target where exactly one match failed. */
  nearMisses: (IptablesRuleView & { failed: string })[];
  notes: string[];
}

/** One hook passed. */
export interface IptablesHookView {
  hook: string;
  in?: string;
  out?: string;
  packetIn: PacketView;
  packetOut: PacketView;
  verdict: string;
  /** Firewall mark after the hook (hex). */
  mark: string;
  tables: IptablesTableView[];
  /** Tables not walked, and why (nat for a packet that is not NEW, a table absent from the dump). */
  skipped: string[];
}

/** One way through the node (one per `-m statistic` branch). */
export interface IptablesBranchView {
  probability: number;
  /** delivered-locally, forwarded, sent, dropped, rejected, unknown. */
  outcome: string;
  reason: string;
  packetOut?: PacketView;
  nat: { kind: string; hook: string; rule: IptablesRuleView; from: PacketView; to: PacketView }[];
  hooks: IptablesHookView[];
  reply?: { outcome: string; reason: string; packetIn: PacketView; packetOut?: PacketView; hooks: IptablesHookView[] };
}

/** `podpath iptables trace FILE --src IP --dst IP[:PORT] ...`. */
export interface IptablesTraceReport {
  kind: 'iptables-trace';
  file: string;
  format: string;
  derived?: string;
  flow: { src: string; dst: string; proto: string; sport?: number; dport?: number; start: string; out?: string; addresses: string[] };
  /** Tables the input does not hold: not walked (a dump of one table, or a listing). */
  notInInput: string[];
  /** accepted (every branch got through), dropped, rejected, unknown, or mixed (branches differ). */
  verdict: 'accepted' | 'dropped' | 'rejected' | 'unknown' | 'mixed';
  branches: IptablesBranchView[];
  /** Parse warnings of the input (errors stop the command). */
  warnings: number;
}

const diag = (d: Diagnostic): string => `  ${d.file}:${d.line}: ${d.severity}: ${d.message}`;

/** Text form of a check. */
export function iptablesCheckText(r: IptablesCheckReport): string {
  const out = [`${r.file}: ${r.format}${r.table ? ` (table ${r.table.name}, ${r.table.how})` : ''}: ${r.totals.tables} table(s), ${r.totals.chains} chains, ${r.totals.rules} rules`];
  if (r.derived) out.push(`derived: ${r.derived}`);
  for (const t of r.tables) {
    out.push('', `*${t.name}  ${t.rules} rules`);
    const w = Math.max(...t.chains.map((c) => c.name.length), 5);
    for (const c of t.chains) out.push(`  ${c.name.padEnd(w)}  ${String(c.rules).padStart(6)} rules  ${c.builtin ? `policy ${c.policy ?? 'not declared'}` : ''}`.trimEnd());
  }
  out.push('', `unknown: ${r.unknown.length === 0 ? 'none (every rule is understood)' : `${r.unknown.length} rule(s) podpath keeps but does not understand`}`);
  for (const u of r.unknown) out.push(`  ${u.ref}  ${u.construct}`);
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  out.push('', `diagnostics: ${errors} error(s), ${r.diagnostics.length - errors} warning(s)`);
  for (const d of r.diagnostics) out.push(diag(d));
  out.push('', r.ok ? 'ok: the input parses' : 'NOT OK: iptables-restore would refuse this input (errors above)', '');
  return out.join('\n');
}

const pk = (p: PacketView): string => (p.proto === 'icmp' ? `${p.src} > ${p.dst} icmp` : `${p.src}:${p.sport} > ${p.dst}:${p.dport} ${p.proto}`);

function hookText(h: IptablesHookView): string[] {
  const where = [h.in ? `in ${h.in}` : '', h.out ? `out ${h.out}` : ''].filter(Boolean).join(' ');
  const changed = pk(h.packetIn) !== pk(h.packetOut) ? `  ->  ${pk(h.packetOut)}` : '';
  const out = [`  ${h.hook.padEnd(11)} ${where.padEnd(16)} ${pk(h.packetIn)}${changed}   ${h.verdict}${h.mark !== '0x0' ? `  mark ${h.mark}` : ''}`];
  for (const t of h.tables) {
    const by = t.decidedBy ? `${t.decidedBy.ref}  ${t.decidedBy.text}` : t.policy ? `policy ${t.policy}` : t.unknown ? `not understood at ${t.unknown.rule.ref}` : 'no decision';
    out.push(`    ${t.table} ${t.chain}: ${t.verdict}  (${by})`);
    for (const m of t.matched) out.push(`      matched  ${m.ref}  ${m.text}`);
    if (t.nat) out.push(`      ${t.nat.kind} by ${t.nat.rule.ref}`);
    if (t.unknown) out.push(`      unknown  ${t.unknown.rule.ref}  ${t.unknown.construct}`);
    for (const n of t.nearMisses) out.push(`      near miss  ${n.ref}  ${n.text}  (${n.failed})`);
    for (const n of t.notes) out.push(`      note: ${n}`);
  }
  for (const s of h.skipped) out.push(`    (${s})`);
  return out;
}

/** Text form of a trace. */
export function iptablesTraceText(r: IptablesTraceReport): string {
  const f = r.flow;
  const dst = f.dport !== undefined ? `${f.dst}:${f.dport}` : f.dst;
  const src = f.sport !== undefined ? `${f.src}:${f.sport}` : f.src;
  const out = [`${r.file} (${r.format}): ${src} -> ${dst} ${f.proto}, ${f.start}${f.out ? `, out ${f.out}` : ''}`];
  if (f.addresses.length) out.push(`node addresses: ${f.addresses.join(', ')}`);
  if (r.derived) out.push(`derived: ${r.derived}`);
  if (r.notInInput.length) out.push(`not in the input, not walked: ${r.notInInput.join(', ')}`);
  out.push(`verdict: ${r.verdict.toUpperCase()}${r.branches.length > 1 ? `  (${r.branches.length} branches of -m statistic)` : ''}`);
  r.branches.forEach((b, i) => {
    out.push('');
    if (r.branches.length > 1) out.push(`== branch ${i + 1} of ${r.branches.length}  p=${+b.probability.toFixed(6)}`);
    out.push(`${b.outcome}: ${b.reason}`);
    for (const n of b.nat) out.push(`NAT: ${n.kind} in ${n.hook} by ${n.rule.ref}: ${pk(n.from)} -> ${pk(n.to)}`);
    out.push('request:', ...b.hooks.flatMap(hookText));
    if (b.reply) {
      out.push(`reply (${b.reply.outcome}): ${b.reply.reason}`, ...b.reply.hooks.flatMap(hookText));
    }
  });
  if (r.warnings) out.push('', `(${r.warnings} parse warning(s): see podpath iptables check ${r.file})`);
  out.push('');
  return out.join('\n');
}
