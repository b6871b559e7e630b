/**
 * Report kinds of `doctor`, `fix`, `plan` and `diff`, and their text
 * rendering: a findings table first, then each finding with the pairs it
 * affects and one line per evidence trace (verdict and deciding rule); the
 * full traces are in the JSON form.
 */
import type { Finding, PairResult, SourceClass, DestClass, DoctorResult } from '../../doctor/types.js';
import type { FindingFixes } from '../../fix/prove.js';
import type { PlanInput, PlanResult } from '../../plan/plan.js';
import type { FlowChange } from '../../doctor/diff.js';
import type { Trace } from '../../trace/types.js';
import type { LoadNote } from '../../model/load-note.js';

/** A loader note of one side of a diff. */
export type SideNote = LoadNote & { side: 'a' | 'b' };

export interface DoctorReport {
  kind: 'doctor';
  estate: string;
  failOn: 'error' | 'warning' | 'note' | 'none';
  stats: DoctorResult['stats'];
  findings: Finding[];
  sources: SourceClass[];
  destinations: DestClass[];
  /** Every traced pair with its verdict (traces of failing pairs are in the findings' evidence). */
  pairs: Omit<PairResult, 'traces'>[];
  /** What loading the estate derived, assumed or left out (docs/doctor.md). */
  notes: LoadNote[];
}

export interface FixReport {
  kind: 'fix';
  estate: string;
  fixes: FindingFixes[];
  /** What loading the estate derived, assumed or left out (docs/doctor.md). */
  notes: LoadNote[];
}

export interface PlanReport {
  kind: 'plan';
  estate: string;
  input: PlanInput;
  result: PlanResult;
}

export interface DiffReport {
  kind: 'diff';
  a: string;
  b: string;
  changes: FlowChange[];
  unchanged: number;
  findingsOnlyInA: string[];
  findingsOnlyInB: string[];
  /** What loading each side derived, assumed or left out (docs/doctor.md). */
  notes: SideNote[];
}

/** Left-aligned columns. */
export function table(rows: string[][], indent = ''): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => `${indent}${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd());
}

function where(f: Finding): string {
  return 'file' in f.location ? `${f.location.file}:${f.location.line}` : f.location.awsId;
}

function evidenceLine(t: Trace): string {
  const rule = t.decidingRule ? `  deciding: ${t.decidingRule.ref}` : '';
  return `${t.flow.src} -> ${t.flow.dst}${t.flow.dport ? `:${t.flow.dport}` : ''}/${t.flow.proto}  ${t.verdict.toUpperCase()}${rule}`;
}

export function doctorText(r: DoctorReport): string {
  const s = r.stats;
  const count = (sev: string) => r.findings.filter((f) => f.severity === sev).length;
  const out = [
    `podpath doctor: ${r.estate}`,
    `${s.sourceClasses} source classes x ${s.destinationClasses} destination classes (${s.atoms} prefix atoms): ${s.tracedPairs} pairs traced, ${s.traces} traces`,
    r.findings.length ? `${r.findings.length} findings: ${count('error')} error, ${count('warning')} warning, ${count('note')} note` : 'no findings',
    '',
  ];
  if (r.findings.length) {
    out.push(...table([['SEVERITY', 'ID', 'FINDING', 'WHERE'], ...r.findings.map((f) => [f.severity, f.id, f.title, where(f)])]), '');
    for (const f of r.findings) {
      out.push(`== ${f.id} ${f.name} (${f.severity})   ${f.doc}`, `   ${f.title}`, `   ${f.message}`);
      if (f.pairs.length) out.push('   affected pairs:', ...table(f.pairs.map((p) => [p.srcLabel, '->', p.dstLabel, p.verdict]), '     '));
      if (f.evidence.length) out.push('   evidence (full traces: -o json):', ...f.evidence.map((t) => `     ${evidenceLine(t)}`));
      out.push('');
    }
  }
  const failing = r.pairs.filter((p) => p.verdict !== 'delivered');
  out.push(`pairs: ${r.pairs.length - failing.length} delivered, ${failing.length} not`);
  if (failing.length) out.push(...table(failing.map((p) => [p.src, '->', p.dst, p.verdict]), '   '));
  out.push('');
  return out.join('\n');
}

export function fixText(r: FixReport): string {
  const out = [`podpath fix: ${r.estate}`, ''];
  if (r.fixes.length === 0) out.push('no findings: nothing to fix', '');
  for (const f of r.fixes) {
    out.push(`== ${f.finding.id} ${f.finding.title}`);
    if (f.proofs.length === 0) out.push('   no change podpath can model and prove for this finding (see its docs/findings page)');
    const shown = f.combination ? [...f.proofs, f.combination] : f.proofs;
    shown.forEach((p, i) => {
      const label = p === f.combination ? 'PROVEN TOGETHER' : p.proven ? 'PROVEN' : 'NOT PROVEN';
      out.push(`   ${i + 1}. ${label}  ${p.candidate.title}`, `      blast radius: ${p.candidate.blastRadius.text}`, `      ${p.why}`);
      if (p.candidate.note) out.push(`      note: ${p.candidate.note}`);
      if (p.rows.length) out.push(...table([['PAIR', 'BEFORE', 'AFTER'], ...p.rows.map((x) => [x.pair, x.before, x.after])], '      '));
      for (const a of p.candidate.artifacts) out.push(`      -- ${a.kind}: ${a.how}`, ...a.text.trimEnd().split('\n').map((l) => `         ${l}`));
      out.push('');
    });
  }
  return out.join('\n');
}

export function planText(r: PlanReport): string {
  const x = r.result;
  const out = [`podpath plan: ${r.estate}   (${r.input.nodes} nodes x ${r.input.podsPerNode} pods per node)`, '', 'in use (routed):', ...table(x.inUse.map((u) => [u.cidr, u.what]), '   '), ''];
  for (const p of [x.pod, x.service]) {
    out.push(`${p.what === 'pod' ? 'pod CIDR' : 'Service CIDR'}: ${p.cidr ?? 'none fits'}${p.action === 'keep' ? ' (keep)' : p.current ? ` (was ${p.current})` : ''}`);
    out.push(...p.reasoning.map((l) => `   - ${l}`));
    if (p.alternatives.length) out.push(`   alternatives: ${p.alternatives.join(', ')}`);
    out.push('');
  }
  if (x.dnsServiceIp) out.push(`cluster DNS VIP: ${x.dnsServiceIp}`, '');
  for (const s of x.settings) out.push(`-- ${s.how}`, ...s.text.trimEnd().split('\n').map((l) => `   ${l}`), '');
  return out.join('\n');
}

export function diffText(r: DiffReport): string {
  const out = [`podpath diff: ${r.a} -> ${r.b}`, `${r.changes.length} flows changed, ${r.unchanged} unchanged`, ''];
  if (r.changes.length) {
    out.push(...table([['PAIR', 'IN A', 'IN B', 'DECIDED IN A', 'DECIDED IN B'], ...r.changes.map((c) => [
      `${c.pair}${c.pairInB ? ` (B: ${c.pairInB})` : ''}`, c.before ?? 'not traced in A', c.after ?? 'not traced in B', c.decidedInA ?? '-', c.decidedInB ?? '-',
    ])]), '');
  }
  if (r.findingsOnlyInA.length) out.push(`findings gone: ${r.findingsOnlyInA.join(', ')}`);
  if (r.findingsOnlyInB.length) out.push(`findings new: ${r.findingsOnlyInB.join(', ')}`);
  out.push('');
  return out.join('\n');
}
