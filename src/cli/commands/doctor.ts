/**
 * `podpath doctor|fix|plan|diff`. Each returns its report and exit code:
 * doctor exits 1 when a finding is at or above --fail-on; fix exits 1 when a
 * finding has no proven candidate; plan exits 1 when no CIDR fits; diff exits
 * 1 when a flow's verdict changed. Bad input throws (exit 2, one line).
 */
import { statSync } from 'node:fs';
import { loadInput, type InputOptions } from '../../ingest/load.js';
import { PodpathError } from '../../model/errors.js';
import type { Estate } from '../../model/estate.js';
import { doctor, doctorSession } from '../../doctor/doctor.js';
import { diffResults } from '../../doctor/diff.js';
import { SEVERITY_RANK } from '../../doctor/catalog.js';
import { fixAll } from '../../fix/prove.js';
import type { Replan } from '../../fix/candidates.js';
import { plan } from '../../plan/plan.js';
import { displayPath } from '../paths.js';
import { assumed, noteLine } from '../../model/load-note.js';
import { doctorProgress, fixProgress, NO_PROGRESS, type Progress } from '../progress.js';
import type { CommandResult } from './result.js';

export interface DoctorOptions extends InputOptions { failOn: 'error' | 'warning' | 'note' | 'none' }
export interface FixOptions extends InputOptions { finding?: string }
export interface PlanOptions extends InputOptions { nodes: number; podsPerNode: number; onPrem: string[] }
export interface DiffOptions { a: string; b: string }

/** Pods per node assumed when fix sizes a re-plan (kubelet's default --max-pods). */
const DEFAULT_PODS_PER_NODE = 110;

function inputName(o: InputOptions, e: Estate): string {
  return o.snapshot ?? (o.estate ? displayPath(o.estate) : e.name);
}

/** Loads the input, saying so on the progress line. */
export function loadShown(o: InputOptions, progress: Progress) {
  progress.step(`reading ${o.snapshot ?? o.estate ?? 'the input'}`);
  return loadInput(o);
}

export function runDoctor(o: DoctorOptions, progress: Progress = NO_PROGRESS): CommandResult {
  const estate = loadShown(o, progress);
  const r = doctor(estate, { progress: doctorProgress(progress) });
  const notes = [...estate.notes, ...r.assumptions.map(assumed)];
  const fails = o.failOn !== 'none' && r.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[o.failOn as 'error' | 'warning' | 'note']);
  return {
    report: { kind: 'doctor', estate: inputName(o, estate), failOn: o.failOn, stats: r.stats, findings: r.findings, sources: r.sources, destinations: r.destinations, pairs: r.pairs.map(({ key, src, dst, verdict }) => ({ key, src, dst, verdict })), notes },
    exitCode: fails ? 1 : 0,
    stderr: notes.map(noteLine),
  };
}

/** The re-plan `plan` proposes for this estate, as fix takes it. */
export function replanOf(e: Estate): Replan | undefined {
  if (!e.cluster) return undefined;
  const p = plan(e, { nodes: Math.max(1, e.nodes.length), podsPerNode: DEFAULT_PODS_PER_NODE, ...(e.cluster.serviceCidr ? { serviceLen: Number(e.cluster.serviceCidr.split('/')[1]) } : {}) });
  return {
    ...(p.service.action === 'change' && p.service.cidr ? { serviceCidr: p.service.cidr } : {}),
    ...(p.pod.action === 'change' && p.pod.cidr ? { podCidr: p.pod.cidr } : {}),
    settings: p.settings,
  };
}

export function runFix(o: FixOptions, progress: Progress = NO_PROGRESS): CommandResult {
  const estate = loadShown(o, progress);
  // Each candidate is proven on a changed copy: the session re-traces only the pairs a change can touch.
  const session = doctorSession(estate, { progress: doctorProgress(progress) });
  const found = session.result;
  progress.step('fix: proving candidates on copies of the model');
  const fixes = fixAll(estate, found, session.check, { delivers: session.delivers, progress: fixProgress(progress), replan: replanOf(estate), ...(o.finding ? { only: o.finding } : {}) });
  const unproven = fixes.some((f) => !f.proofs.some((p) => p.proven) && !f.combination);
  return { report: { kind: 'fix', estate: inputName(o, estate), fixes, notes: estate.notes }, exitCode: unproven ? 1 : 0, stderr: estate.notes.map(noteLine) };
}

export function runPlan(o: PlanOptions): CommandResult {
  const estate = loadInput(o);
  const input = { nodes: o.nodes, podsPerNode: o.podsPerNode, onPrem: o.onPrem };
  const result = plan(estate, input);
  return { report: { kind: 'plan', estate: inputName(o, estate), input, result }, exitCode: result.pod.cidr && result.service.cidr ? 0 : 1 };
}

/** A folder is a snapshot, a file an estate. */
function inputOf(path: string): InputOptions {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    throw new PodpathError('PP_MISSING_INPUT', `cannot read ${path}`, { file: path });
  }
  return dir ? { snapshot: path } : { estate: path };
}

export function runDiff(o: DiffOptions, progress: Progress = NO_PROGRESS): CommandResult {
  const a = loadShown(inputOf(o.a), progress);
  const b = loadShown(inputOf(o.b), progress);
  const d = diffResults({ estate: a, result: doctor(a, { progress: doctorProgress(progress, 'doctor A') }) }, { estate: b, result: doctor(b, { progress: doctorProgress(progress, 'doctor B') }) });
  const notes = [...a.notes.map((n) => ({ side: 'a' as const, ...n })), ...b.notes.map((n) => ({ side: 'b' as const, ...n }))];
  return { report: { kind: 'diff', a: displayPath(o.a), b: displayPath(o.b), ...d, notes }, exitCode: d.changes.length ? 1 : 0, stderr: notes.map((n) => `${n.side.toUpperCase()}: ${noteLine(n)}`) };
}
