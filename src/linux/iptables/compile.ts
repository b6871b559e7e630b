/**
 * Chains compiled for the walk: each rule's matches become closures once, and
 * long chains get a destination index, so walking a 50k-rule kube-proxy dump
 * costs the rules that can match, not every rule.
 *
 * Inline checks: the first `-s`, `-d`, `-p`, bare `-m tcp`/`-m udp` and
 * tcp/udp `--sport`/`--dport` of a rule become numbers on the compiled rule, which the walk compares in
 * place (no call, no pointer chase: most kube-proxy rules are only these).
 * They mean what the closures of match-generic.ts and match-ports.ts mean;
 * `inlineFails` is the one reading of them, tested against those closures.
 * Matches that always hold (`-m comment`) are left out.
 *
 * Index: in a chain of at least INDEX_MIN rules where most rules carry a
 * positive `-d a.b.c.d/32` (KUBE-SERVICES: one rule per service port), rule
 * positions are grouped by that address; a packet visits the rules of its own
 * destination plus the rules without such a match, in the original order.
 * A rule skipped this way cannot match (its `-d` fails), so verdicts are
 * exactly those of a linear scan; what is lost is near-miss reporting for
 * rules whose only failing match is that `-d` (documented in walk.ts).
 *
 * Compiled forms are cached per Chain object (WeakMap) and rebuilt when the
 * chain's rule array changes length or identity, so a Ruleset stays plain data.
 * A rule is compiled when the walk first visits it (compiledRule): a trace
 * visits a few rules of a 2,000-rule KUBE-SERVICES, and the index is read off
 * the parses, so a chain read from a dump makes only the Rules visited
 * (parsed-chain.ts ruleAt).
 * What a rule's matches and target compile to is also cached by their objects:
 * Rules read through a ParseCache share them across dumps, and so share the
 * compiled matches and target too (each Rule still gets its own CompiledRule,
 * made when its chain is compiled).
 */
import type { Chain, Match, Rule, Target } from './types.js';
import { forEachParsedRule, ParsedChain, ruleAt, ruleSlots } from './parsed-chain.js';
import type { CompiledMatch, EvalEnv } from './match-types.js';
import { maskOf, type Prefix } from '../../net/prefix.js';
import { PROTO_NUMBER, type Packet } from '../../net/packet.js';
import type { PortRange } from './values.js';
import { compileMatch } from './match.js';
import { isBuiltinTarget, targetEffect } from './target.js';
import type { TargetEffect } from './target-nat.js';

/** A rule ready for the walk. */
export interface CompiledRule {
  rule: Rule;
  /** Every match compiled, by position in `rule.matches` (for reasons). */
  all: CompiledMatch[];
  /** The matches the walk calls: not inline, not always true... */
  matches: CompiledMatch[];
  /** ...and the position of each in `rule.matches`. */
  at: number[];
  /** Inline checks; `*At` is the match's position in `rule.matches`, -1 when the rule has none. */
  srcAt: number;
  srcAddr: number;
  srcMask: number;
  srcNeg: boolean;
  dstAt: number;
  dstAddr: number;
  dstMask: number;
  dstNeg: boolean;
  /** `-p`: protocol number (6, 17, 1; 0 = all). */
  protoAt: number;
  proto: number;
  protoNeg: boolean;
  /** `-m tcp` / `-m udp` without port options: holds when the packet has that protocol. */
  l4At: number;
  l4Proto: string;
  /** tcp/udp `--sport`: holds when the packet has that protocol and the port is in [lo, hi], inverted by `!`. */
  sportAt: number;
  sportProto: string;
  sportLo: number;
  sportHi: number;
  sportNeg: boolean;
  dportAt: number;
  dportProto: string;
  dportLo: number;
  dportHi: number;
  dportNeg: boolean;
  /** The target is one of iptables' own (ACCEPT, DNAT, MARK...), not a chain name: decided once here, not per visit. */
  builtinTarget: boolean;
  /** What the target does when it is not a jump to a user chain (an unknown target's effect is `unknown`). */
  effect: ((env: EvalEnv) => TargetEffect) | undefined;
  /**
   * The chain map `jump` and `decides` were resolved against (by the walk, on
   * first visit). Rule sets are not changed once walked: the parser builds its
   * maps before, and `insertRules` builds new ones.
   */
  resolvedIn: ReadonlyMap<string, Chain> | undefined;
  /** The user chain the target jumps (or goes) to. */
  jump: Chain | undefined;
  /** Whether a near miss of this rule is worth reporting. */
  decides: boolean;
}

/** A chain ready for the walk. */
export interface CompiledChain {
  chain: Chain;
  /** Each rule compiled, by position, once visited (compiledRule): holes before. */
  rules: (CompiledRule | undefined)[];
  /** Rule positions by exact destination, and the positions of all other rules (both ascending). */
  index?: { byDst: Map<number, number[]>; rest: number[] };
  /** For cache invalidation: the chain's rule array (parsed-chain.ts ruleSlots) and its length. */
  source: readonly (Rule | undefined)[];
  /** The number of rules. */
  length: number;
}

/** Chains shorter than this are scanned linearly. */
export const INDEX_MIN = 64;

const cache = new WeakMap<Chain, CompiledChain>();
/** The compiled matches and inline checks of a matches array (shared by the Rules of one line across dumps). */
const planCache = new WeakMap<readonly Match[], MatchPlan>();
/** What a target compiles to (shared, as matches are, by the Rules of one line across dumps). */
const targetCache = new WeakMap<Target, TargetPlan>();

/** What a rule's matches compile to: the CompiledRule fields that depend on nothing else. */
type MatchPlan = Omit<CompiledRule, 'rule' | 'builtinTarget' | 'effect' | 'resolvedIn' | 'jump' | 'decides'>;

function planOf(matches: readonly Match[]): MatchPlan {
  let plan = planCache.get(matches);
  if (plan) return plan;
  plan = {
    all: matches.map(compileMatch), matches: [], at: [],
    srcAt: -1, srcAddr: 0, srcMask: 0, srcNeg: false,
    dstAt: -1, dstAddr: 0, dstMask: 0, dstNeg: false,
    protoAt: -1, proto: 0, protoNeg: false,
    l4At: -1, l4Proto: '',
    sportAt: -1, sportProto: '', sportLo: 0, sportHi: 0, sportNeg: false,
    dportAt: -1, dportProto: '', dportLo: 0, dportHi: 0, dportNeg: false,
  };
  const p = plan;
  matches.forEach((m, i) => {
    if (!inline(p, m, i) && !p.all[i]!.always) {
      p.matches.push(p.all[i]!);
      p.at.push(i);
    }
  });
  planCache.set(matches, plan);
  return plan;
}

/** What a rule's target compiles to: whether it is one of iptables' own, and its effect. */
interface TargetPlan {
  builtin: boolean;
  effect: (env: EvalEnv) => TargetEffect;
}

function targetPlanOf(t: Target): TargetPlan {
  let plan = targetCache.get(t);
  if (!plan) targetCache.set(t, (plan = { builtin: isBuiltinTarget(t.name), effect: targetEffect(t) }));
  return plan;
}

/**
 * A rule ready for the walk: made once per chain compile (compiledChain caches
 * the chain's), from the plans its matches and target share with the same
 * line in other dumps.
 */
function compileRule(rule: Rule): CompiledRule {
  const t = rule.target ? targetPlanOf(rule.target) : undefined;
  const p = planOf(rule.matches);
  // One literal with every field, so all CompiledRules share one shape (the walk reads them in its hot loop).
  return {
    rule, all: p.all, matches: p.matches, at: p.at,
    srcAt: p.srcAt, srcAddr: p.srcAddr, srcMask: p.srcMask, srcNeg: p.srcNeg,
    dstAt: p.dstAt, dstAddr: p.dstAddr, dstMask: p.dstMask, dstNeg: p.dstNeg,
    protoAt: p.protoAt, proto: p.proto, protoNeg: p.protoNeg,
    l4At: p.l4At, l4Proto: p.l4Proto,
    sportAt: p.sportAt, sportProto: p.sportProto, sportLo: p.sportLo, sportHi: p.sportHi, sportNeg: p.sportNeg,
    dportAt: p.dportAt, dportProto: p.dportProto, dportLo: p.dportLo, dportHi: p.dportHi, dportNeg: p.dportNeg,
    builtinTarget: t !== undefined && t.builtin,
    effect: t?.effect,
    resolvedIn: undefined, jump: undefined, decides: false,
  };
}

/** Match kinds whose port options the walk compares in place (`-m tcp`, `-m udp`, `-m sctp`). */
const PORT_KINDS = new Set(['tcp', 'udp', 'sctp']);

/** Makes `m` an inline check of `c` when it is one of the kinds the walk compares in place and its slot is free. */
function inline(c: MatchPlan, m: Match, i: number): boolean {
  if (m.unknown !== undefined) return false;
  if ((m.kind === 'src' || m.kind === 'dst') && m.args['prefix'] !== undefined && c[`${m.kind}At`] < 0) {
    const p = m.args['prefix'] as Prefix;
    // int32 forms, so the walk compares small integers: (ip & mask) | 0 === addr.
    const mask = maskOf(p.len) | 0;
    if (m.kind === 'src') Object.assign(c, { srcAt: i, srcAddr: p.addr & mask, srcMask: mask, srcNeg: m.negated });
    else Object.assign(c, { dstAt: i, dstAddr: p.addr & mask, dstMask: mask, dstNeg: m.negated });
    return true;
  }
  if (m.kind === 'proto' && c.protoAt < 0) {
    Object.assign(c, { protoAt: i, proto: m.args['proto'] as number, protoNeg: m.negated });
    return true;
  }
  if (PORT_KINDS.has(m.kind) && m.args['port'] === undefined && c.l4At < 0) {
    Object.assign(c, { l4At: i, l4Proto: m.kind });
    return true;
  }
  if (PORT_KINDS.has(m.kind) && m.args['port'] !== undefined) {
    const which = m.args['port'] as 'sport' | 'dport';
    if (c[`${which}At`] >= 0) return false;
    const r = m.args['range'] as PortRange;
    if (which === 'sport') Object.assign(c, { sportAt: i, sportProto: m.kind, sportLo: r.lo, sportHi: r.hi, sportNeg: m.negated });
    else Object.assign(c, { dportAt: i, dportProto: m.kind, dportLo: r.lo, dportHi: r.hi, dportNeg: m.negated });
    return true;
  }
  return false;
}

/** The protocol number of a traced packet, as `-p` compares it. */
const protoNumber = (p: Packet): number => PROTO_NUMBER[p.proto];

/**
 * The inline checks of `c` that fail for `p`: 0 when all hold; otherwise the
 * count, with the position in `rule.matches` of the first failure in
 * `firstFailed.at`. Stops at the first failure unless `all`.
 */
export function inlineFails(c: CompiledRule, p: Packet, all: boolean, firstFailed: { at: number }): number {
  let fails = 0;
  if (c.srcAt >= 0 && (((p.src & c.srcMask) | 0) === c.srcAddr) === c.srcNeg) {
    firstFailed.at = c.srcAt;
    if (!all) return 1;
    fails++;
  }
  if (c.dstAt >= 0 && (((p.dst & c.dstMask) | 0) === c.dstAddr) === c.dstNeg) {
    if (fails++ === 0) firstFailed.at = c.dstAt;
    if (!all) return 1;
  }
  if (c.protoAt >= 0 && (c.proto === 0 || protoNumber(p) === c.proto) === c.protoNeg) {
    if (fails++ === 0) firstFailed.at = c.protoAt;
    if (!all) return 1;
  }
  if (c.l4At >= 0 && p.proto !== c.l4Proto) {
    if (fails++ === 0) firstFailed.at = c.l4At;
    if (!all) return 1;
  }
  if (c.sportAt >= 0 && !(p.proto === c.sportProto && (p.sport >= c.sportLo && p.sport <= c.sportHi) !== c.sportNeg)) {
    if (fails++ === 0) firstFailed.at = c.sportAt;
    if (!all) return 1;
  }
  if (c.dportAt >= 0 && !(p.proto === c.dportProto && (p.dport >= c.dportLo && p.dport <= c.dportHi) !== c.dportNeg)) {
    if (fails++ === 0) firstFailed.at = c.dportAt;
  }
  return fails;
}

/** The destination a rule requires exactly (`-d x/32` without `!`), if any. */
function exactDst(matches: readonly Match[]): number | undefined {
  for (const m of matches) {
    if (m.kind === 'dst' && !m.negated && m.unknown === undefined && m.args['prefix'] !== undefined) {
      const p = m.args['prefix'] as Prefix;
      if (p.len === 32) return p.addr;
    }
  }
  return undefined;
}

/**
 * Indexes already built for chains read from dumps, by their span of parses (parsed-chain.ts
 * parsedSpan): the 55 dumps of an estate replayed from one reference share KUBE-SERVICES' span,
 * and an index depends on nothing but the matches in it (positions are the chain's own).
 */
const spanIndexes = new WeakMap<readonly unknown[], Map<number, { count: number; index: CompiledChain['index'] }>>();
const spanAt = { first: 0, count: 0 };

/** The destination index of a chain of `length` rules (read off the matches: no Rule is made). */
function buildIndex(chain: Chain, length: number): CompiledChain['index'] {
  if (length < INDEX_MIN) return undefined;
  const parsed = chain instanceof ParsedChain ? chain.parsedSpan(spanAt) : undefined;
  if (!parsed) return indexOf(chain, length);
  let byFirst = spanIndexes.get(parsed);
  if (!byFirst) spanIndexes.set(parsed, (byFirst = new Map()));
  const { first, count } = spanAt;
  const known = byFirst.get(first);
  if (known && known.count === count) return known.index;
  const index = indexOf(chain, length);
  byFirst.set(first, { count, index });
  return index;
}

function indexOf(chain: Chain, length: number): CompiledChain['index'] {
  const byDst = new Map<number, number[]>();
  const rest: number[] = [];
  forEachParsedRule(chain, (matches, _target, i) => {
    const d = exactDst(matches);
    if (d === undefined) rest.push(i);
    else {
      const list = byDst.get(d);
      if (list) list.push(i);
      else byDst.set(d, [i]);
    }
  });
  return rest.length * 2 <= length ? { byDst, rest } : undefined;
}

/** The compiled form of a chain (cached); its rules are compiled when visited (compiledRule). */
export function compiledChain(chain: Chain): CompiledChain {
  const c = cache.get(chain);
  const source = ruleSlots(chain);
  if (c && c.source === source && c.length === source.length) return c;
  const fresh: CompiledChain = { chain, rules: new Array<CompiledRule>(source.length), index: buildIndex(chain, source.length), source, length: source.length };
  cache.set(chain, fresh);
  return fresh;
}

/** Rule `i` of a compiled chain, compiled on first use. */
export function compiledRule(cc: CompiledChain, i: number): CompiledRule {
  return (cc.rules[i] ??= compileRule(ruleAt(cc.chain, i)!));
}

/** Every rule of a compiled chain, compiled. */
export function compiledRules(cc: CompiledChain): CompiledRule[] {
  for (let i = 0; i < cc.length; i++) compiledRule(cc, i);
  return cc.rules as CompiledRule[];
}

/** Positions of the rules a packet to `dst` may match, ascending; undefined = all rules. */
export function candidates(cc: CompiledChain, dst: number): number[] | undefined {
  if (!cc.index) return undefined;
  const own = cc.index.byDst.get(dst);
  const rest = cc.index.rest;
  if (!own) return rest;
  const out: number[] = new Array<number>(own.length + rest.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < own.length && j < rest.length) out[k++] = own[i]! < rest[j]! ? own[i++]! : rest[j++]!;
  while (i < own.length) out[k++] = own[i++]!;
  while (j < rest.length) out[k++] = rest[j++]!;
  return out;
}
