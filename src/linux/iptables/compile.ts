/**
 * Chains compiled for the walk: each rule's matches become closures once, and
 * long chains get a destination index, so walking a 50k-rule kube-proxy dump
 * costs the rules that can match, not every rule.
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
 */
import type { Chain, Rule } from './types.js';
import type { CompiledMatch } from './match-types.js';
import type { Prefix } from '../../net/prefix.js';
import { compileMatch } from './match.js';

/** A rule ready for the walk. */
export interface CompiledRule {
  rule: Rule;
  matches: CompiledMatch[];
  /** Whether a near miss of this rule is worth reporting (computed once by the walk). */
  decides?: boolean;
}

/** A chain ready for the walk. */
export interface CompiledChain {
  chain: Chain;
  rules: CompiledRule[];
  /** Rule positions by exact destination, and the positions of all other rules (both ascending). */
  index?: { byDst: Map<number, number[]>; rest: number[] };
  /** For cache invalidation. */
  source: Rule[];
  length: number;
}

/** Chains shorter than this are scanned linearly. */
export const INDEX_MIN = 64;

const cache = new WeakMap<Chain, CompiledChain>();
const ruleCache = new WeakMap<Rule, CompiledRule>();

function compileRule(rule: Rule): CompiledRule {
  let c = ruleCache.get(rule);
  if (!c) {
    c = { rule, matches: rule.matches.map(compileMatch) };
    ruleCache.set(rule, c);
  }
  return c;
}

/** The destination a rule requires exactly (`-d x/32` without `!`), if any. */
function exactDst(rule: Rule): number | undefined {
  for (const m of rule.matches) {
    if (m.kind === 'dst' && !m.negated && m.unknown === undefined) {
      const p = m.args['prefix'] as Prefix;
      if (p.len === 32) return p.addr;
    }
  }
  return undefined;
}

function buildIndex(rules: Rule[]): CompiledChain['index'] {
  if (rules.length < INDEX_MIN) return undefined;
  const byDst = new Map<number, number[]>();
  const rest: number[] = [];
  rules.forEach((r, i) => {
    const d = exactDst(r);
    if (d === undefined) rest.push(i);
    else {
      const list = byDst.get(d);
      if (list) list.push(i);
      else byDst.set(d, [i]);
    }
  });
  return rest.length * 2 <= rules.length ? { byDst, rest } : undefined;
}

/** The compiled form of a chain (cached). */
export function compiledChain(chain: Chain): CompiledChain {
  const c = cache.get(chain);
  if (c && c.source === chain.rules && c.length === chain.rules.length) return c;
  const fresh: CompiledChain = {
    chain,
    rules: chain.rules.map(compileRule),
    index: buildIndex(chain.rules),
    source: chain.rules,
    length: chain.rules.length,
  };
  cache.set(chain, fresh);
  return fresh;
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
