/**
 * Report kinds of the snapshot commands and their text rendering:
 * `snapshot-check` (what a snapshot folder holds: found, derived, ignored,
 * warnings, and the resulting estate's counts) and `collect` (what a live
 * collection wrote, what failed, how often AWS throttled).
 */
import type { CollectResult } from '../../model/collect-result.js';
import { distinctFailures } from './collect-remedy.js';

/** `podpath snapshot check DIR`. */
export interface SnapshotCheckReport {
  kind: 'snapshot-check';
  dir: string;
  found: { file: string; kind: string; items: number }[];
  derived: { what: string; from: string }[];
  ignored: { what: string; why: string; file?: string }[];
  warnings: { message: string; file?: string; path?: string }[];
  /** How many of each resource the estate holds after loading. */
  counts: Record<string, number>;
}

export function snapshotCheckText(r: SnapshotCheckReport): string {
  const out: string[] = [`snapshot ${r.dir}`, '', `== Found (${r.found.length} files)`];
  for (const f of r.found) out.push(`   ${f.file}: ${f.kind}${f.items !== 1 && !f.kind.includes('(') ? ` (${f.items} items)` : ''}`);
  out.push('', `== Derived (${r.derived.length})`);
  for (const d of r.derived) out.push(`   ${d.what}`, `      from: ${d.from}`);
  out.push('', `== Ignored (${r.ignored.length})`);
  for (const i of r.ignored) out.push(`   ${i.what}${i.file && !i.what.includes(i.file) ? ` [${i.file}]` : ''}: ${i.why}`);
  out.push('', `== Warnings (${r.warnings.length})`);
  for (const w of r.warnings) out.push(`   ${w.file ? `${w.file}: ` : ''}${w.path ? `${w.path}: ` : ''}${w.message}`);
  out.push('', '== Estate', `   ${Object.entries(r.counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** `podpath collect`. */
export type CollectReport = { kind: 'collect' } & CollectResult;

export function collectText(r: CollectReport): string {
  const where = `(region ${r.region}${r.context ? `, context ${r.context}` : ''})`;
  const head = !r.written.length
    ? `nothing written to ${r.out} ${where}: every call failed`
    : `wrote ${r.written.length} file(s) into ${r.out} ${where}${r.failures.length ? `; partial: ${r.failures.length} call(s) failed, what was read is kept` : ''}`;
  const out: string[] = [head];
  if (r.written.length) {
    out.push('', `== Written (${r.written.length})`);
    for (const w of r.written) out.push(`   ${w.file}: ${w.call}, ${w.items} items${w.pages > 1 ? ` in ${w.pages} pages` : ''}`);
  }
  if (r.failures.length) {
    // One line per distinct failure, not one per call: a missing credential fails every AWS call alike.
    out.push('', `== Failed (${r.failures.length} call(s), ${distinctFailures(r.failures).length} distinct)`);
    for (const g of distinctFailures(r.failures)) {
      const calls = g.calls.length === 1 ? g.calls[0]! : `${g.calls.length} calls (${g.calls[0]}, ...)`;
      out.push(`   ${calls}: ${g.error}${g.remedy ? `\n      fix: ${g.remedy}` : ''}`);
    }
  }
  if (r.throttled) out.push('', `throttled and retried: ${r.throttled}`);
  if (r.nodeDumpCommands.length) {
    out.push('', '== Node dumps (run these, then re-run podpath snapshot check)');
    for (const c of r.nodeDumpCommands) out.push(`   ${c}`);
  }
  if (r.extraCommands.length) out.push('', '== EKS (the Service CIDR; run these too)', ...r.extraCommands.map((c) => `   ${c}`));
  return `${out.join('\n')}\n`;
}
