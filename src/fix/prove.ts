/**
 * Proof of a candidate: apply it to a copy of the estate, re-run every check
 * (injected: doctor lives above fix) and compare. A candidate is "proven"
 * when the finding is gone, no class pair delivered before is now undelivered,
 * and no new finding appears. The before/after table lists every pair whose
 * verdict changed and every pair of the finding.
 */
import type { Estate } from '../model/estate.js';
import { PodpathError } from '../model/errors.js';
import type { Trace } from '../trace/types.js';
import { candidatesFor, type Candidate, type Replan } from './candidates.js';
import type { Checker, CheckResult, FixableFinding } from './types.js';

/** One row of the before/after table. */
export interface ProofRow {
  pair: string;
  before: Trace['verdict'];
  /** `not traced` when the pair no longer exists in the changed estate. */
  after: Trace['verdict'] | 'not traced';
}

/** A candidate and what re-verification showed. */
export interface Proof {
  candidate: Omit<Candidate, 'apply' | 'rekey'>;
  proven: boolean;
  /** One sentence: why proven, or why not. */
  why: string;
  findingGone: boolean;
  broken: string[];
  fixed: string[];
  newFindings: string[];
  rows: ProofRow[];
  /** The finding's first pair traced on the changed copy. */
  after: Trace[];
}

/** All candidates of a finding with their proofs. */
export interface FindingFixes {
  finding: { id: string; key: string; title: string };
  proofs: Proof[];
}

/** Proves one candidate. */
export function prove(estate: Estate, before: CheckResult, f: FixableFinding & { pairs?: { src: string; dst: string }[] }, c: Candidate, check: Checker): Proof {
  const { apply, rekey, ...view } = c;
  let after: CheckResult;
  try {
    after = check(apply(estate));
  } catch (err) {
    if (!(err instanceof PodpathError)) throw err;
    return { candidate: view, proven: false, why: `the change cannot be applied to the model: ${err.message}`, findingGone: false, broken: [], fixed: [], newFindings: [], rows: [], after: [] };
  }
  const map = rekey ?? ((k: string) => k);
  const afterPairs = new Map(after.pairs.map((p) => [p.key, p]));
  const findingPairs = new Set((f.pairs ?? []).map((p) => `${p.src} -> ${p.dst}`));
  const rows: ProofRow[] = [];
  const broken: string[] = [];
  const fixed: string[] = [];
  for (const p of before.pairs) {
    const a = afterPairs.get(map(p.key));
    const verdict = a?.verdict ?? 'not traced';
    if (p.verdict === 'delivered' && a && verdict !== 'delivered') broken.push(p.key);
    if (p.verdict !== 'delivered' && verdict === 'delivered') fixed.push(p.key);
    if (verdict !== p.verdict || findingPairs.has(p.key)) rows.push({ pair: p.key, before: p.verdict, after: verdict });
  }
  const beforeKeys = new Set(before.findings.map((x) => map(x.key)));
  const newFindings = after.findings.filter((x) => !beforeKeys.has(x.key)).map((x) => `${x.key}: ${x.title}`);
  const still = after.findings.find((x) => x.key === map(f.key));
  const firstPair = f.pairs?.[0];
  const afterTraces = firstPair ? afterPairs.get(map(`${firstPair.src} -> ${firstPair.dst}`))?.traces ?? [] : [];
  const proven = !still && broken.length === 0 && newFindings.length === 0;
  const why = proven
    ? `proven: ${f.key} is gone, ${fixed.length} pair(s) now delivered, none of the ${before.pairs.filter((p) => p.verdict === 'delivered').length} delivered pair(s) broken`
    : [still ? `the finding remains: ${still.title}` : '', broken.length ? `it breaks ${broken.join(', ')}` : '', newFindings.length ? `it adds ${newFindings.join('; ')}` : ''].filter(Boolean).join('; ');
  return { candidate: view, proven, why: proven ? why : `not proven: ${why}`, findingGone: !still, broken, fixed, newFindings, rows, after: afterTraces };
}

/** Candidates and proofs for every finding (or the one whose id or key is `only`). */
export function fixAll(estate: Estate, before: CheckResult & { findings: (FixableFinding & { pairs?: { src: string; dst: string }[] })[] }, check: Checker, opts: { replan?: Replan; only?: string } = {}): FindingFixes[] {
  const chosen = opts.only ? before.findings.filter((f) => f.id === opts.only || f.key === opts.only) : before.findings;
  if (opts.only && chosen.length === 0) throw new PodpathError('PP_USAGE', `no finding '${opts.only}' in this estate`, { hint: `found: ${before.findings.map((f) => f.key).join(', ') || 'none'}` });
  return chosen.map((f) => ({
    finding: { id: f.id, key: f.key, title: f.title },
    proofs: candidatesFor(estate, f, opts.replan).map((c) => prove(estate, before, f, c, check)),
  }));
}
