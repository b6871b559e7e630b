/**
 * `diff(a, b)`: the class-pair flows whose verdict differs between two
 * estates, with the traces of both sides. Pairs are matched by their keys,
 * which are made of names, so the same cluster before and after a change
 * lines up; a pair present on one side only is reported as added or removed.
 */
import type { Estate } from '../model/estate.js';
import type { Trace, Verdict } from '../trace/types.js';
import { doctor } from './doctor.js';
import type { DoctorResult } from './types.js';

/** One changed flow. */
export interface FlowChange {
  pair: string;
  before: Verdict | 'absent';
  after: Verdict | 'absent';
  a: Trace[];
  b: Trace[];
}

export interface DiffResult {
  changes: FlowChange[];
  unchanged: number;
  findingsOnlyInA: string[];
  findingsOnlyInB: string[];
}

/** Compares two doctor results. */
export function diffResults(a: DoctorResult, b: DoctorResult): DiffResult {
  const left = new Map(a.pairs.map((p) => [p.key, p]));
  const right = new Map(b.pairs.map((p) => [p.key, p]));
  const changes: FlowChange[] = [];
  let unchanged = 0;
  for (const key of [...new Set([...left.keys(), ...right.keys()])]) {
    const x = left.get(key);
    const y = right.get(key);
    if (x && y && x.verdict === y.verdict) {
      unchanged++;
      continue;
    }
    changes.push({ pair: key, before: x?.verdict ?? 'absent', after: y?.verdict ?? 'absent', a: x?.traces ?? [], b: y?.traces ?? [] });
  }
  const ka = new Set(a.findings.map((f) => f.key));
  const kb = new Set(b.findings.map((f) => f.key));
  return { changes, unchanged, findingsOnlyInA: [...ka].filter((k) => !kb.has(k)), findingsOnlyInB: [...kb].filter((k) => !ka.has(k)) };
}

/** Runs doctor on both estates and compares. */
export function diff(a: Estate, b: Estate): DiffResult {
  return diffResults(doctor(a), doctor(b));
}
