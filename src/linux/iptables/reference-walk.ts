/**
 * The plain reading of the kernel's rule traversal (ip_tables.c ipt_do_table):
 * every rule of a chain in order, every match asked through the match
 * registry, recursion for jumps, a copy of the state for each statistic fork.
 * No destination index, no inline checks, nothing shared between branches.
 *
 * It is the reference that the compiled walk (walk.ts) is tested against, and
 * the naive linear walk of `npm run bench`. It answers what a hook does to a
 * packet (verdict, packet after NAT, mark, connmark, probability per branch),
 * not why: no near misses, no notes, no matched-rule lists.
 *
 * Same semantics as walk.ts: tables of a hook in kernel order, nat only for
 * NEW packets, a built-in chain's policy when it ends or RETURNs, `-g` returns
 * to the chain that jumped, NAT ends the nat table with ACCEPT, and `unknown`
 * for anything not understood (including jumps deeper than MAX_DEPTH and
 * more than MAX_BRANCHES branches: which branch meets that limit may differ).
 */
import type { Packet } from '../../net/packet.js';
import type { CompiledMatch, EvalEnv } from './match-types.js';
import type { Chain, HookName, Match, NetfilterContext, Rule, Ruleset, Table } from './types.js';
import { compileMatch } from './match.js';
import { applyTarget, isBuiltinTarget } from './target.js';
import { HOOK_TABLES, MAX_BRANCHES, MAX_DEPTH, initialEnv, natReply } from './walk.js';
import { conntrackManip, manipAt } from '../conntrack.js';

/** One branch of a hook, as the reference sees it. */
export interface ReferenceOutcome {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'unknown';
  packet: Packet;
  mark: number;
  connmark: number | undefined;
  probability: number;
  /** The rule that was not understood, when verdict is unknown. */
  unknownRule?: Rule;
}

interface State {
  env: EvalEnv;
  probability: number;
  /** Forks so far in this hook, shared by all branches (the compiled walk's budget). */
  forks: { n: number };
}

type End =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT'; st: State }
  | { kind: 'return'; st: State }
  | { kind: 'unknown'; rule: Rule; st: State };

const compiled = new WeakMap<Match, CompiledMatch>();

/** The match registry's answer for `m` (compiled once per Match: that is how the registry is asked). */
function test(m: Match, env: EvalEnv): ReturnType<CompiledMatch['test']> {
  let c = compiled.get(m);
  if (!c) {
    c = compileMatch(m);
    compiled.set(m, c);
  }
  return c.test(env);
}

const copy = (st: State, probability = st.probability): State => ({ env: { ...st.env }, probability, forks: st.forks });

/** Rules of `chain` from position `from`, for the packet in `st` (changed in place until a fork copies it). */
function runChain(table: Table, chain: Chain, from: number, st: State, depth: number): End[] {
  for (let i = from; i < chain.rules.length; i++) {
    const rule = chain.rules[i]!;
    let fails = false;
    let unknown = false;
    let p = 1;
    for (const m of rule.matches) {
      const r = test(m, st.env);
      if (r === false) {
        fails = true;
        break;
      }
      if (r === 'unknown') unknown = true;
      else if (r !== true) p *= r.p;
    }
    if (fails) continue;
    if (unknown) return [{ kind: 'unknown', rule, st }];
    if (p < 1) {
      // -m statistic: the rule is taken with probability p, skipped otherwise.
      if (++st.forks.n >= MAX_BRANCHES) return [{ kind: 'unknown', rule, st }];
      const skipped = copy(st, st.probability * (1 - p));
      st.probability *= p;
      return [...takeRule(table, chain, i, st, depth), ...runChain(table, chain, i + 1, skipped, depth)];
    }
    return takeRule(table, chain, i, st, depth);
  }
  return [{ kind: 'return', st }];
}

/** What rule `i` of `chain` does once its matches held, and the walk after it. */
function takeRule(table: Table, chain: Chain, i: number, st: State, depth: number): End[] {
  const rule = chain.rules[i]!;
  const t = rule.target;
  if (!t) return runChain(table, chain, i + 1, st, depth);
  const target = t.unknown === undefined && !isBuiltinTarget(t.name) ? table.chains.get(t.name) : undefined;
  if (target && !target.builtin) {
    // -g replaces the current frame, -j adds one (as the compiled walk counts them).
    const next = t.goto ? depth : depth + 1;
    if (next >= MAX_DEPTH) return [{ kind: 'unknown', rule, st }];
    const ends = runChain(table, target, 0, st, next);
    if (t.goto) return ends; // the goto'd chain's RETURN goes back to whoever jumped here
    return ends.flatMap((e) => (e.kind === 'return' ? runChain(table, chain, i + 1, e.st, depth) : [e]));
  }
  const effect = applyTarget(t, st.env);
  switch (effect.kind) {
    case 'verdict':
      return [{ kind: 'verdict', verdict: effect.verdict, st }];
    case 'return':
      return [{ kind: 'return', st }];
    case 'continue':
      if (effect.mark !== undefined) st.env.mark = effect.mark;
      if (effect.connmark !== undefined) st.env.connmark = effect.connmark;
      if (effect.untracked) st.env.ct = 'UNTRACKED';
      return runChain(table, chain, i + 1, st, depth);
    case 'nat':
      if (table.name !== 'nat') return [{ kind: 'unknown', rule, st }];
      st.env.packet = effect.packet;
      if (effect.nat === 'DNAT' || effect.nat === 'REDIRECT') st.env.dnat = true;
      else st.env.snat = true;
      st.env.conn = natReply(st.env.conn, effect.packet);
      return [{ kind: 'verdict', verdict: 'ACCEPT', st }];
    case 'unknown':
      return [{ kind: 'unknown', rule, st }];
  }
}

const outcome = (st: State, verdict: ReferenceOutcome['verdict'], unknownRule?: Rule): ReferenceOutcome => ({
  verdict, packet: st.env.packet, mark: st.env.mark, connmark: st.env.connmark, probability: st.probability,
  ...(unknownRule ? { unknownRule } : {}),
});

/** Walks `packet` through every table of `hook`, in kernel order: one outcome per statistic branch. */
export function referenceWalkHook(rs: Ruleset, hook: HookName, packet: Packet, ctx: NetfilterContext, mark: number): ReferenceOutcome[] {
  const first = HOOK_TABLES[hook][0]!;
  const start: State = { env: initialEnv(hook, packet, ctx, mark, first), probability: 1, forks: { n: 0 } };
  let live: { st: State; out?: ReferenceOutcome }[] = [{ st: start }];
  const manip = manipAt(hook);
  for (const name of HOOK_TABLES[hook]) {
    // A later packet of a connection: conntrack's NAT at the nat table's priority (nf_nat_packet).
    if (name === 'nat' && manip) {
      for (const l of live) {
        if (!l.out && l.st.env.ct === 'ESTABLISHED' && l.st.env.conn) l.st.env.packet = conntrackManip(l.st.env.conn, manip, l.st.env.packet);
      }
    }
    const table = rs.tables.get(name);
    const chain = table?.chains.get(hook);
    if (!table || !chain) continue;
    live = live.flatMap((l) => {
      if (l.out || (name === 'nat' && l.st.env.ct !== 'NEW')) return [l];
      const st = copy(l.st);
      st.env.table = name;
      return runChain(table, chain, 0, st, 0).map((e) => {
        if (e.kind === 'unknown') return { st: e.st, out: outcome(e.st, 'unknown', e.rule) };
        const verdict = e.kind === 'verdict' ? e.verdict : chain.policy;
        if (verdict === undefined) return { st: e.st, out: outcome(e.st, 'unknown') };
        return verdict === 'ACCEPT' ? { st: e.st } : { st: e.st, out: outcome(e.st, verdict) };
      });
    });
  }
  return live.map((l) => l.out ?? outcome(l.st, 'ACCEPT'));
}
