/**
 * Proof of a candidate: apply it to a copy of the estate, re-run every check
 * (injected: doctor lives above fix) and compare. A candidate is PROVEN only
 * when, on the copy:
 *   1. every pair of its finding is delivered (the reply included), and the
 *      finding is gone;
 *   2. no class pair delivered before is now undelivered;
 *   3. the Kubernetes network model holds: pod-to-pod traffic reaches its
 *      destination with its pod source address (no NAT), and no pod-to-node
 *      flow that kept its pod source before loses it;
 *   4. no new finding appears.
 * A candidate that helps but is not enough says what still blocks each pair.
 * When no single candidate of a finding is proven, the smallest combination
 * of two (one of its own with another of its own or of another finding,
 * by summed blast radius) that is proven together is offered.
 */
import type { Estate } from '../model/estate.js';
import { PodpathError } from '../model/errors.js';
import type { Trace } from '../trace/types.js';
import { candidatesFor, type Candidate, type Replan } from './candidates.js';
import type { Checker, CheckResult, Delivers, FixableFinding } from './types.js';

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
  /** The finding's pairs still undelivered on the copy, each with what blocks it. */
  stillBlocked: string[];
  /** Network-model invariants that do not hold on the copy. */
  invariantsBroken: string[];
  rows: ProofRow[];
  /** The finding's first pair traced on the changed copy. */
  after: Trace[];
}

/** All candidates of a finding with their proofs. */
export interface FindingFixes {
  finding: { id: string; key: string; title: string };
  proofs: Proof[];
  /** When no single candidate is proven: the smallest pair of candidates proven together. */
  combination?: Proof;
}

type Pairs = { pairs?: { src: string; dst: string }[] };

/** What a candidate's copy checks to, or why the change cannot be made on the model. */
type After = { result: CheckResult } | { cannot: string };

/** `fn`'s value, or the message of the PodpathError it threw (the model cannot make the change). */
function unlessCannot<T>(fn: () => T): T | { cannot: string } {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof PodpathError)) throw err;
    return { cannot: err.message };
  }
}

function afterOf(estate: Estate, c: Candidate, check: Checker): After {
  return unlessCannot(() => ({ result: check(c.apply(estate)) }));
}

/** Proves one candidate. */
export function prove(estate: Estate, before: CheckResult, f: FixableFinding & Pairs, c: Candidate, check: Checker): Proof {
  return proofOf(before, f, c, afterOf(estate, c, check));
}

/** The proof of a candidate for finding `f`, given what its copy checked to. */
function proofOf(before: CheckResult, f: FixableFinding & Pairs, c: Candidate, checked: After): Proof {
  const { apply: _apply, rekey, ...view } = c;
  if ('cannot' in checked) {
    return { candidate: view, proven: false, why: `not proven: the change cannot be applied to the model: ${checked.cannot}`, findingGone: false, broken: [], fixed: [], newFindings: [], stillBlocked: [], invariantsBroken: [], rows: [], after: [] };
  }
  const after = checked.result;
  const map = rekey ?? ((k: string) => k);
  const afterPairs = new Map(after.pairs.map((p) => [p.key, p]));
  const findingPairs = new Set((f.pairs ?? []).map((p) => `${p.src} -> ${p.dst}`));
  const rows: ProofRow[] = [];
  const broken: string[] = [];
  const fixed: string[] = [];
  const stillBlocked: string[] = [];
  for (const p of before.pairs) {
    const a = afterPairs.get(map(p.key));
    const verdict = a?.verdict ?? 'not traced';
    if (p.verdict === 'delivered' && a && verdict !== 'delivered') broken.push(p.key);
    if (p.verdict !== 'delivered' && verdict === 'delivered') fixed.push(p.key);
    if (findingPairs.has(p.key) && verdict !== 'delivered') stillBlocked.push(blockedBy(p.key, a));
    if (verdict !== p.verdict || findingPairs.has(p.key)) rows.push({ pair: p.key, before: p.verdict, after: verdict });
  }
  const beforeKeys = new Set(before.findings.map((x) => map(x.key)));
  const newFindings = after.findings.filter((x) => !beforeKeys.has(x.key)).map((x) => `${x.key}: ${x.title}`);
  const still = after.findings.find((x) => x.key === map(f.key));
  const heldBefore = new Set((before.invariants ?? []).filter((i) => i.holds).map((i) => map(i.key)));
  const invariantsBroken = (after.invariants ?? []).filter((i) => !i.holds && (i.kind === 'pod-to-pod' || heldBefore.has(i.key))).map((i) => i.why);
  const firstPair = f.pairs?.[0];
  const afterTraces = firstPair ? afterPairs.get(map(`${firstPair.src} -> ${firstPair.dst}`))?.traces ?? [] : [];
  const proven = !still && stillBlocked.length === 0 && broken.length === 0 && newFindings.length === 0 && invariantsBroken.length === 0;
  const delivered = before.pairs.filter((p) => p.verdict === 'delivered').length;
  const why = proven
    ? `proven: ${f.key} is gone${findingPairs.size ? `, all ${findingPairs.size} of its pair(s) delivered with their replies` : ''}, ${fixed.length} pair(s) newly delivered, none of the ${delivered} delivered pair(s) broken, pod-to-pod traffic keeps its pod source and no pod-to-node flow is newly NATed`
    : `not proven: ${[
      stillBlocked.length ? `still blocked: ${stillBlocked.join('; ')}` : '',
      still ? `the finding remains: ${still.title}` : '',
      broken.length ? `it breaks ${broken.join(', ')}` : '',
      invariantsBroken.length ? `the Kubernetes network model no longer holds: ${invariantsBroken.join('; ')}` : '',
      newFindings.length ? `it adds ${newFindings.join('; ')}` : '',
    ].filter(Boolean).join('; ')}`;
  return { candidate: view, proven, why, findingGone: !still, broken, fixed, newFindings, stillBlocked, invariantsBroken, rows, after: afterTraces };
}

/** `pair (verdict at ref)`: what still blocks a finding's pair on the copy. */
function blockedBy(key: string, a: CheckResult['pairs'][number] | undefined): string {
  if (!a) return `${key} (not traced)`;
  const t = a.traces.find((x) => x.verdict !== 'delivered');
  return `${key} (${a.verdict}${t?.decidingRule ? ` at ${t.decidingRule.ref}` : ''})`;
}

/** Both changes, applied in order. */
function combine(a: Candidate, b: Candidate): Candidate {
  return {
    kind: 'combination', title: `${a.title} + ${b.title}`,
    blastRadius: { rank: a.blastRadius.rank + b.blastRadius.rank, text: `${a.blastRadius.text}; ${b.blastRadius.text}` },
    artifacts: [...a.artifacts, ...b.artifacts],
    apply: (e) => b.apply(a.apply(e)),
  };
}

/** At most this many combinations are proven per finding (each is a full re-check). */
const MAX_COMBINATIONS = 12;

/** The smallest proven pair of candidates for a finding (see the module comment). */
function provenCombination(
  estate: Estate, before: CheckResult & { findings: (FixableFinding & Pairs)[] }, f: FixableFinding & Pairs, own: Candidate[], check: Checker, replan?: Replan, delivers?: Delivers,
): Proof | undefined {
  const mine = new Set((f.pairs ?? []).map((p) => `${p.src} -> ${p.dst}`));
  // Other findings' candidates, those sharing a pair with this finding first (a fault stacked behind another
  // may have been found without pairs, e.g. a one-way peering).
  const others = (before.findings as (FixableFinding & Pairs)[]).filter((g) => g.key !== f.key);
  const shares = (g: FixableFinding & Pairs) => (g.pairs ?? []).some((p) => mine.has(`${p.src} -> ${p.dst}`));
  const related = [...others.filter(shares), ...others.filter((g) => !shares(g))];
  const pool = [...own, ...related.flatMap((g) => candidatesFor(estate, g, replan))].filter((c) => !c.rekey);
  const seen = new Set<string>();
  const unique = pool.filter((c) => !seen.has(c.title) && seen.add(c.title));
  const combos: Candidate[] = [];
  for (let i = 0; i < unique.length; i++) for (let j = i + 1; j < unique.length; j++) if (own.includes(unique[i]!) || own.includes(unique[j]!)) combos.push(combine(unique[i]!, unique[j]!));
  combos.sort((a, b) => a.blastRadius.rank - b.blastRadius.rank);
  const pairs = [...mine];
  for (const c of combos.slice(0, MAX_COMBINATIONS)) {
    const p = delivers ? proveIfDelivered(estate, before, f, c, check, delivers, pairs) : prove(estate, before, f, c, check);
    if (p?.proven) return p;
  }
  return undefined;
}

/**
 * prove() for a combination, which is offered only when proven: when one of
 * the finding's pairs is not delivered on the copy it cannot be (condition 1),
 * so the rest of the check is not run (undefined). A change the model cannot
 * make is answered as prove() answers it, whether applying, pre-checking or
 * checking the copy finds that out.
 */
function proveIfDelivered(estate: Estate, before: CheckResult, f: FixableFinding & Pairs, c: Candidate, check: Checker, delivers: Delivers, pairs: readonly string[]): Proof | undefined {
  const changed = unlessCannot(() => c.apply(estate));
  if ('cannot' in changed) return proofOf(before, f, c, changed);
  const delivered = unlessCannot(() => delivers(changed, pairs));
  if (typeof delivered !== 'boolean') return proofOf(before, f, c, delivered);
  if (!delivered) return undefined;
  return proofOf(before, f, c, unlessCannot(() => ({ result: check(changed) })));
}

/**
 * The proofs of every finding's own candidates. The same change is often
 * offered for several findings (a re-plan of the Service CIDR for an overlap
 * and for the nameserver inside it, a MASQUERADE for a dropped pair and for
 * the security group that would admit the node): a candidate of the same
 * kind, title, blast radius, artifacts and note is the same change, so its
 * copy is checked once and proven for each of those findings right away (a
 * check's result holds its whole world: it is let go before the next).
 */
function ownProofs(estate: Estate, before: CheckResult, chosen: (FixableFinding & Pairs)[], owns: Candidate[][], check: Checker, progress: FixProgress): Proof[][] {
  const keyOf = (c: Candidate) => JSON.stringify([c.kind, c.title, c.blastRadius, c.artifacts, c.note]);
  const uses = new Map<string, [number, number][]>();
  owns.forEach((own, i) => own.forEach((c, j) => {
    const k = keyOf(c);
    const same = uses.get(k);
    if (same) same.push([i, j]);
    else uses.set(k, [[i, j]]);
  }));
  const proofs = owns.map((own) => new Array<Proof>(own.length));
  const total = owns.reduce((n, own) => n + own.length, 0);
  let done = 0;
  for (const same of uses.values()) {
    const [i0, j0] = same[0]!;
    const after = afterOf(estate, owns[i0]![j0]!, check);
    for (const [i, j] of same) {
      proofs[i]![j] = proofOf(before, chosen[i]!, owns[i]![j]!, after);
      progress('candidates', ++done, total);
    }
  }
  return proofs;
}

/** How fixAll reports its progress: each candidate proven of all findings' candidates, and each pair of candidates tried for a finding. */
export type FixProgress = (what: 'candidates' | 'combinations', done: number, total: number) => void;

/** Candidates and proofs for every finding (or the one whose id or key is `only`). */
export function fixAll(
  estate: Estate, before: CheckResult & { findings: (FixableFinding & Pairs)[] }, check: Checker,
  opts: { replan?: Replan; only?: string; progress?: FixProgress; delivers?: Delivers } = {},
): FindingFixes[] {
  const chosen = opts.only ? before.findings.filter((f) => f.id === opts.only || f.key === opts.only) : before.findings;
  if (opts.only && chosen.length === 0) throw new PodpathError('PP_USAGE', `no finding '${opts.only}' in this estate`, { hint: `found: ${before.findings.map((f) => f.key).join(', ') || 'none'}` });
  const progress = opts.progress ?? (() => undefined);
  const owns = chosen.map((f) => candidatesFor(estate, f, opts.replan));
  const allProofs = ownProofs(estate, before, chosen, owns, check, progress);
  return chosen.map((f, i) => {
    const own = owns[i]!;
    const proofs = allProofs[i]!;
    let tried = 0;
    const counted: Checker = (e) => {
      progress('combinations', ++tried, MAX_COMBINATIONS);
      return check(e);
    };
    const delivers = opts.delivers;
    const countedDelivers: Delivers | undefined = delivers && ((e, pairs) => {
      const ok = delivers(e, pairs);
      if (!ok) progress('combinations', ++tried, MAX_COMBINATIONS);
      return ok;
    });
    const combination = proofs.length > 0 && !proofs.some((p) => p.proven) ? provenCombination(estate, before, f, own, counted, opts.replan, countedDelivers) : undefined;
    return { finding: { id: f.id, key: f.key, title: f.title }, proofs, ...(combination ? { combination } : {}) };
  });
}
