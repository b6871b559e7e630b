/**
 * `diff(a, b)`: the class-pair flows whose verdict differs between two
 * estates, with the traces of both sides. Pairs and findings are matched by
 * their keys with every AWS id renamed to what the element is (identity.ts),
 * so the same network lines up whether it was written as an estate file or
 * recorded as a snapshot, and the same cluster before and after a change;
 * a pair traced on one side only is reported as not traced on the other.
 */
import type { Estate } from '../model/estate.js';
import type { Trace, Verdict } from '../trace/types.js';
import { doctor } from './doctor.js';
import { canonicalNames } from './identity.js';
import type { DoctorResult } from './types.js';

/** One changed flow. */
export interface FlowChange {
  /** The pair as side A names it (as B names it when A did not trace it). */
  pair: string;
  /** The pair as side B names it, when its ids differ from A's. @default same as pair */
  pairInB?: string;
  /** A's verdict. @default absent: the pair was not traced in A */
  before?: Verdict;
  /** B's verdict. @default absent: the pair was not traced in B */
  after?: Verdict;
  /** The rule that decided A's first failing (or first) trace, as its ref. @default none */
  decidedInA?: string;
  /** The same for B. @default none */
  decidedInB?: string;
  a: Trace[];
  b: Trace[];
}

export interface DiffResult {
  changes: FlowChange[];
  unchanged: number;
  findingsOnlyInA: string[];
  findingsOnlyInB: string[];
}

/** One side of a diff: the estate (for its names) and doctor's result on it. */
export interface DiffSide {
  estate: Estate;
  result: DoctorResult;
}

/** The deciding rule that explains a pair's verdict: its first undelivered trace's, else the first trace's. */
function decided(traces: Trace[]): string | undefined {
  return (traces.find((t) => t.verdict !== 'delivered') ?? traces[0])?.decidingRule?.ref;
}

/** Compares two doctor results. */
export function diffResults(a: DiffSide, b: DiffSide): DiffResult {
  const ca = canonicalNames(a.estate);
  const cb = canonicalNames(b.estate);
  const left = new Map(a.result.pairs.map((p) => [ca(p.key), p]));
  const right = new Map(b.result.pairs.map((p) => [cb(p.key), p]));
  const changes: FlowChange[] = [];
  let unchanged = 0;
  for (const key of [...new Set([...left.keys(), ...right.keys()])]) {
    const x = left.get(key);
    const y = right.get(key);
    if (x && y && x.verdict === y.verdict) {
      unchanged++;
      continue;
    }
    const pair = x?.key ?? y!.key;
    const ruleA = x && decided(x.traces);
    const ruleB = y && decided(y.traces);
    changes.push({
      pair, ...(x && y && y.key !== x.key ? { pairInB: y.key } : {}),
      ...(x ? { before: x.verdict } : {}), ...(y ? { after: y.verdict } : {}),
      ...(ruleA ? { decidedInA: ruleA } : {}), ...(ruleB ? { decidedInB: ruleB } : {}),
      a: x?.traces ?? [], b: y?.traces ?? [],
    });
  }
  const fa = new Map(a.result.findings.map((f) => [ca(f.key), f.key]));
  const fb = new Map(b.result.findings.map((f) => [cb(f.key), f.key]));
  return {
    changes, unchanged,
    findingsOnlyInA: [...fa].filter(([k]) => !fb.has(k)).map(([, key]) => key),
    findingsOnlyInB: [...fb].filter(([k]) => !fa.has(k)).map(([, key]) => key),
  };
}

/** Runs doctor on both estates and compares. */
export function diff(a: Estate, b: Estate): DiffResult {
  return diffResults({ estate: a, result: doctor(a) }, { estate: b, result: doctor(b) });
}
