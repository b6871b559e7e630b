/**
 * Walks a packet through netfilter hooks of a parsed rule set.
 *
 * ```
 *  hook          tables, in kernel priority order (nf_ip_hook_priorities)
 *  PREROUTING    raw(-300)  mangle(-150)  nat(-100)
 *  INPUT         mangle(-150)  filter(0)  security(50)  nat(100)
 *  FORWARD       mangle(-150)  filter(0)  security(50)
 *  OUTPUT        raw(-300)  mangle(-150)  nat(-100)  filter(0)  security(50)
 *  POSTROUTING   mangle(-150)  nat(100)
 * ```
 * Per table the built-in chain runs with jumps (`-j CHAIN` pushes, RETURN or the
 * end of a user chain pops), goto (`-g` replaces the current frame, so RETURN
 * goes back to the chain that jumped), and the policy when the built-in chain
 * ends or RETURNs (ip_tables.c ipt_do_table). ACCEPT ends the table; DROP and
 * REJECT end the hook. NAT targets end the nat table with ACCEPT (they return
 * NF_ACCEPT). The nat table is consulted only for NEW, tracked packets; for a
 * later packet of a connection (a reply) conntrack applies the recorded NAT at
 * the nat table's place instead (`conntrackNat`), so raw and mangle PREROUTING
 * see a reply before its SNAT is undone, as in the kernel.
 *
 * Guarantees:
 * - never a silent accept or skip: a rule whose matches all hold except one
 *   podpath does not understand, a matched rule with a target it does not
 *   understand, an undeclared policy, jumps deeper than 64 or more than 64
 *   statistic branches give verdict `unknown` naming the rule and construct;
 * - `-m statistic` forks the walk: one outcome per branch, probabilities
 *   multiply and sum to 1 across the outcomes of a hook;
 * - nearMisses: rules with a deciding target (verdict, RETURN, NAT, jump) where
 *   exactly one match failed and the rest held, with that match's reason
 *   (written when first read); at most 20 per table outcome. In indexed chains
 *   (compile.ts) rules whose only failing match is `-d x/32` are not visited
 *   and so not reported; when none of them names the destination, a note says so;
 * - the same branches as reference-walk.ts, the plain traversal (a fast-check
 *   property holds the two together);
 * - linear in the rules visited; no allocation per rule unless recording; a
 *   fork shares the history before it (lists consed, not copied).
 */
import { PodpathError } from '../../model/errors.js';
import { reversed, samePacket, type Packet } from '../../net/packet.js';
import { conntrackManip, manipAt } from '../conntrack.js';
import { formatIpv4 } from '../../net/ipv4.js';
import type {
  ChainOutcome, ConnTuples, HookName, HookOutcome, NatApplied, NearMiss, NetfilterContext, Rule, Ruleset, Table, TableName,
  TableOutcome,
} from './types.js';
import type { CompiledMatch, EvalEnv } from './match-types.js';
import { candidates, compiledChain, compiledRule, inlineFails, type CompiledChain, type CompiledRule } from './compile.js';
import { ruleCount } from './parsed-chain.js';

/** Tables of each hook, in the order the kernel runs them. */
export const HOOK_TABLES: Readonly<Record<HookName, readonly TableName[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/** Most branches one hook walk may fork into. */
export const MAX_BRANCHES = 64;
/** Deepest jump stack followed. */
export const MAX_DEPTH = 64;
/** Near misses kept per table outcome. */
export const MAX_NEAR_MISSES = 20;
const MAX_STEPS = 1_000_000;

interface Frame {
  cc: CompiledChain;
  /** Next position in `cand` (or in the rules when `cand` is undefined). */
  pos: number;
  cand: number[] | undefined;
}

/**
 * A list that forked branches share: adding conses a cell in front, so a fork
 * copies nothing and each branch still reads its own history.
 */
interface Cell<T> {
  readonly head: T;
  readonly tail: Cell<T> | undefined;
}

/** The items of a list, oldest first (`n` = its length). */
function toArray<T>(list: Cell<T> | undefined, n: number): T[] {
  const out = new Array<T>(n);
  for (let i = n - 1, c = list; c; c = c.tail) out[i--] = c.head;
  return out;
}

/**
 * A near miss as found, shared by the branches forked after it. `env` is the
 * walk's state at the rule, for writing the reason later.
 */
interface PendingNear {
  rule: Rule;
  at: number;
  match: CompiledMatch;
  env: EvalEnv;
  words?: NearMiss;
}

/**
 * A near miss whose reason is written on first read: most walks are asked for
 * verdicts (doctor, the differential tests), and writing addresses costs more
 * than finding the miss. Serialises as `{ rule, failed }`.
 */
class LazyNearMiss implements NearMiss {
  readonly rule: Rule;
  readonly #found: PendingNear;
  #failed: string | undefined;
  constructor(found: PendingNear) {
    this.rule = found.rule;
    this.#found = found;
  }
  get failed(): string {
    const n = this.#found;
    return (this.#failed ??= `${n.rule.matches[n.at]!.text}: ${n.match.why(n.env)}`);
  }
  toJSON(): NearMiss {
    return { rule: this.rule, failed: this.failed };
  }
}

const nearWords = (n: PendingNear): NearMiss => (n.words ??= new LazyNearMiss(n));

interface Branch {
  /** The chain the walk started in (its policy decides when the stack empties, even after a goto). */
  start: CompiledChain;
  stack: Frame[];
  env: EvalEnv;
  probability: number;
  near: Cell<PendingNear> | undefined;
  nearCount: number;
  matched: Cell<Rule> | undefined;
  matchedCount: number;
  notes: Cell<string> | undefined;
  noteCount: number;
  nat: NatApplied | undefined;
  /** A copy of `env` as it is now, for near misses; cleared when a target changes `env` (forks keep it: same content). */
  snapshot: EvalEnv | undefined;
}

function addMatched(b: Branch, rule: Rule): void {
  b.matched = { head: rule, tail: b.matched };
  b.matchedCount++;
}

function addNote(b: Branch, note: string): void {
  b.notes = { head: note, tail: b.notes };
  b.noteCount++;
}

type Verdict = ChainOutcome['verdict'];
interface Finished {
  branch: Branch;
  verdict: Verdict;
  rule?: Rule;
  unknown?: { rule: Rule; construct: string };
}

/** Shared across the walk of one hook. */
interface Budget {
  branches: number;
  /** Visit every rule (no destination index): the reference walk of benchmarks and tests. */
  linear: boolean;
}

const frame = (cc: CompiledChain, dst: number, linear = false): Frame => ({ cc, pos: 0, cand: linear ? undefined : candidates(cc, dst) });

/**
 * The note for an indexed chain none of whose `-d x/32` rules names the
 * packet's destination (a mistyped ClusterIP, a Service kube-proxy has no
 * rule for): those rules are not visited, so no near miss would say it.
 */
const noRuleNames = (cc: CompiledChain, dst: number): string =>
  `${cc.chain.name}: none of its ${cc.length - cc.index!.rest.length} rules with -d x/32 names ${formatIpv4(dst)}`;

/** A copy of the walk state (one literal, so every copy has the same shape). */
const copyEnv = (e: EvalEnv): EvalEnv => ({
  packet: e.packet, ctx: e.ctx, hook: e.hook, table: e.table, mark: e.mark, connmark: e.connmark, ct: e.ct, dnat: e.dnat, snat: e.snat, conn: e.conn,
});

/** The branch that goes on after a statistic rule did not match: its own stack and state, shared history. */
function fork(b: Branch): Branch {
  const stack = new Array<Frame>(b.stack.length);
  for (let i = 0; i < stack.length; i++) {
    const f = b.stack[i]!;
    stack[i] = { cc: f.cc, pos: f.pos, cand: f.cand };
  }
  return {
    start: b.start, stack, env: copyEnv(b.env), probability: b.probability,
    near: b.near, nearCount: b.nearCount, matched: b.matched, matchedCount: b.matchedCount,
    notes: b.notes, noteCount: b.noteCount, nat: b.nat, snapshot: b.snapshot,
  };
}

/** A stand-in rule for decisions made by a chain's policy declaration. */
function policyRule(table: Table, chain: CompiledChain): Rule {
  return { chain: chain.chain.name, num: 0, loc: chain.chain.loc, text: `:${chain.chain.name} (policy of ${table.name})`, matches: [] };
}

/** iptables' own targets whose rule, failing by one match, is a near miss (with any jump to a user chain). */
export const DECIDING: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT']);

/**
 * Resolves what a rule's target means in `table`: the user chain it jumps to,
 * and whether a near miss of it is worth reporting (a verdict, RETURN, NAT or
 * jump target: one failed match kept it from deciding).
 */
function resolve(c: CompiledRule, table: Table): void {
  const t = c.rule.target;
  const chain = t && !c.builtinTarget ? table.chains.get(t.name) : undefined;
  c.jump = chain && !chain.builtin && t!.unknown === undefined ? chain : undefined;
  c.decides = t !== undefined && (c.builtinTarget ? DECIDING.has(t.name) : chain !== undefined);
  c.resolvedIn = table.chains;
}

/** Where `inlineFails` reports the first failing inline check (one object, reused: the walk is synchronous). */
const firstFailed = { at: -1 };

/** Runs one branch until it finishes; forks are pushed onto `work`. */
function run(table: Table, b: Branch, work: Branch[], budget: Budget, userStart: boolean): Finished {
  const env = b.env;
  let steps = 0;
  for (;;) {
    const top = b.stack[b.stack.length - 1];
    if (!top) return endOfStart(table, b, userStart); // a goto left the stack empty
    const n = top.cand ? top.cand.length : top.cc.length;
    if (top.pos >= n) {
      b.stack.pop(); // end of a chain: implicit RETURN
      if (b.stack.length > 0) continue;
      return endOfStart(table, b, userStart);
    }
    const ri = top.cand ? top.cand[top.pos]! : top.pos;
    top.pos++;
    if (++steps > MAX_STEPS) {
      return { branch: b, verdict: 'unknown', unknown: { rule: compiledRule(top.cc, ri).rule, construct: 'walk exceeded 1,000,000 rule visits' } };
    }
    const compiled = compiledRule(top.cc, ri);
    if (compiled.resolvedIn !== table.chains) resolve(compiled, table);
    const wantNear = b.nearCount < MAX_NEAR_MISSES && compiled.decides;
    // Inline checks first (compile.ts), then the matches that need a call.
    let fails = inlineFails(compiled, env.packet, wantNear, firstFailed);
    if (fails > 0 && !wantNear) continue;
    let failedAt = fails > 0 ? firstFailed.at : -1;
    const { rule, matches } = compiled;
    let unknownAt = -1;
    let p = 1;
    for (let k = 0; k < matches.length && fails < 2; k++) {
      const r = matches[k]!.test(env);
      if (r === true) continue;
      if (r === false) {
        if (fails++ === 0) failedAt = compiled.at[k]!;
        if (!wantNear) break;
      } else if (r === 'unknown') {
        if (unknownAt < 0) unknownAt = compiled.at[k]!;
      } else p *= r.p;
    }
    if (fails > 0) {
      if (fails === 1 && wantNear && unknownAt < 0) {
        b.near = { head: { rule, at: failedAt, match: compiled.all[failedAt]!, env: (b.snapshot ??= copyEnv(env)) }, tail: b.near };
        b.nearCount++;
      }
      continue;
    }
    if (unknownAt >= 0) {
      const m = rule.matches[unknownAt]!;
      return { branch: b, verdict: 'unknown', unknown: { rule, construct: m.unknown ?? `${m.text}: ${compiled.all[unknownAt]!.why(env)}` } };
    }
    if (p < 1) {
      if (budget.branches >= MAX_BRANCHES) {
        return { branch: b, verdict: 'unknown', unknown: { rule, construct: `-m statistic: more than ${MAX_BRANCHES} branches` } };
      }
      budget.branches++;
      const other = fork(b); // the rule did not match: continue after it
      other.probability *= 1 - p;
      work.push(other);
      b.probability *= p;
    }
    for (const m of matches) if (m.note) addNote(b, m.note);
    const t = rule.target;
    if (!t) {
      addMatched(b, rule);
      continue;
    }
    const chain = compiled.jump;
    if (chain) {
      addMatched(b, rule);
      if (t.goto) b.stack.pop();
      if (b.stack.length >= MAX_DEPTH) {
        return { branch: b, verdict: 'unknown', unknown: { rule, construct: `jumps nested deeper than ${MAX_DEPTH}` } };
      }
      const cc = compiledChain(chain);
      const f = frame(cc, env.packet.dst, budget.linear);
      b.stack.push(f);
      // candidates() hands back the index's own `rest` list when no rule names the destination.
      if (cc.index && f.cand === cc.index.rest) addNote(b, noRuleNames(cc, env.packet.dst));
      continue;
    }
    const effect = compiled.effect!(env);
    switch (effect.kind) {
      case 'verdict':
        return { branch: b, verdict: effect.verdict, rule };
      case 'return':
        addMatched(b, rule);
        b.stack.pop();
        if (b.stack.length === 0) return endOfStart(table, b, userStart);
        continue;
      case 'continue':
        addMatched(b, rule);
        if (effect.mark !== undefined) env.mark = effect.mark;
        if (effect.connmark !== undefined) env.connmark = effect.connmark;
        if (effect.untracked) env.ct = 'UNTRACKED';
        b.snapshot = undefined;
        if (effect.note) addNote(b, effect.note);
        continue;
      case 'nat':
        if (table.name !== 'nat') {
          return { branch: b, verdict: 'unknown', unknown: { rule, construct: `${t.text}: NAT outside the nat table` } };
        }
        env.packet = effect.packet;
        if (effect.nat === 'DNAT' || effect.nat === 'REDIRECT') env.dnat = true;
        else env.snat = true;
        env.conn = natReply(env.conn, effect.packet);
        b.snapshot = undefined;
        b.nat = { kind: effect.nat, rule };
        if (effect.note) addNote(b, effect.note);
        return { branch: b, verdict: 'ACCEPT', rule };
      case 'unknown':
        return { branch: b, verdict: 'unknown', unknown: { rule, construct: effect.construct } };
    }
  }
}

/** The starting chain ended or RETURNed: its policy decides (or RETURN for a user chain). */
function endOfStart(table: Table, b: Branch, userStart: boolean): Finished {
  const cc = b.start;
  if (userStart) return { branch: b, verdict: 'RETURN' };
  const policy = cc.chain.policy;
  if (policy && cc.chain.policyKept) addNote(b, `${table.name} ${cc.chain.name}: policy assumed ACCEPT (declared '-': iptables-restore keeps the policy the chain had; a new table's is ACCEPT)`);
  if (policy) return { branch: b, verdict: policy };
  return { branch: b, verdict: 'unknown', unknown: { rule: policyRule(table, cc), construct: `policy of ${table.name} ${cc.chain.name} is not declared` } };
}

function runAll(table: Table, start: Branch, budget: Budget, userStart: boolean): Finished[] {
  const work = [start];
  const out: Finished[] = [];
  while (work.length) out.push(run(table, work.pop()!, work, budget, userStart));
  return out;
}

function toOutcome(table: Table, chain: string, f: Finished): ChainOutcome {
  const b = f.branch;
  const o: ChainOutcome = {
    table: table.name, chain, verdict: f.verdict, packet: b.env.packet, mark: b.env.mark,
    nearMisses: toArray(b.near, b.nearCount).map(nearWords), matched: toArray(b.matched, b.matchedCount), probability: b.probability,
  };
  if (f.rule) o.rule = f.rule;
  if (b.nat) o.nat = b.nat;
  if (f.unknown) o.unknown = f.unknown;
  if (b.env.connmark !== undefined) o.connmark = b.env.connmark;
  if (b.noteCount) o.notes = toArray(b.notes, b.noteCount);
  return o;
}

/** toOutcome's outcome for a built-in chain without rules: its policy, the packet as it came. */
function policyOutcome(table: TableName, chain: string, verdict: 'ACCEPT' | 'DROP', l: { env: EvalEnv; probability: number }): TableOutcome {
  const o: TableOutcome = { table, chain, verdict, packet: l.env.packet, mark: l.env.mark, nearMisses: [], matched: [], probability: l.probability };
  if (l.env.connmark !== undefined) o.connmark = l.env.connmark;
  return o;
}

/** The connection after NAT on its first packet: the reply conntrack expects is the reverse of the translated packet. */
export function natReply(conn: ConnTuples | undefined, translated: Packet): ConnTuples | undefined {
  return conn && conn.dir === 'ORIGINAL' ? { ...conn, reply: reversed(translated) } : conn;
}

/** The walk's state before the first table of a hook. */
export function initialEnv(hook: HookName, packet: Packet, ctx: NetfilterContext, mark: number, table: TableName): EvalEnv {
  const isNew = ctx.ctState === 'NEW';
  return {
    packet, ctx, hook, table, mark: mark >>> 0,
    // A NEW connection's conntrack entry is fresh: ctmark 0, no NAT done before the nat table of PREROUTING/OUTPUT.
    connmark: ctx.connmark ?? (isNew ? 0 : undefined),
    ct: ctx.ctState,
    dnat: ctx.ctStatus?.dnat ?? (isNew && (hook === 'PREROUTING' || hook === 'OUTPUT') ? false : undefined),
    snat: ctx.ctStatus?.snat ?? (isNew ? false : undefined),
    conn: ctx.conn,
  };
}

const newBranch = (cc: CompiledChain, env: EvalEnv, probability: number, linear = false): Branch => ({
  start: cc,
  stack: [frame(cc, env.packet.dst, linear)], env, probability,
  near: undefined, nearCount: 0, matched: undefined, matchedCount: 0, notes: undefined, noteCount: 0, nat: undefined, snapshot: undefined,
});

/** Options of a walk. */
export interface WalkOptions {
  /** Visit every rule in order, ignoring the destination index (same verdicts, slower). @default false */
  linear?: boolean;
  /** Apply conntrack's NAT to later packets at the nat point; false when the caller does (nftables/hook.ts). @default true */
  conntrackNat?: boolean;
}

/**
 * Walks `packet` through every table of `hook`, in kernel order. Returns one
 * outcome per statistic branch (one when nothing forks).
 */
export function walkHook(rs: Ruleset, hook: HookName, packet: Packet, ctx: NetfilterContext, mark: number, opts: WalkOptions = {}): HookOutcome[] {
  const budget: Budget = { branches: 1, linear: opts.linear ?? false };
  type Live = { tables: TableOutcome[]; env: EvalEnv; probability: number; verdict: TableOutcome['verdict'] };
  let live: Live[] = [{ tables: [], env: initialEnv(hook, packet, ctx, mark, HOOK_TABLES[hook][0]!), probability: 1, verdict: 'ACCEPT' }];
  const missing: TableName[] = [];
  const skipped: { table: TableName; why: string }[] = [];
  let ctNat: HookOutcome['conntrackNat'];
  for (const name of HOOK_TABLES[hook]) {
    if (name === 'nat' && opts.conntrackNat !== false) ctNat = applyConntrackNat(hook, live) ?? ctNat;
    const table = rs.tables.get(name);
    if (!table) {
      missing.push(name);
      continue;
    }
    const next: Live[] = [];
    for (const l of live) {
      if (l.verdict !== 'ACCEPT') {
        next.push(l);
        continue;
      }
      if (name === 'nat' && l.env.ct !== 'NEW') {
        const why = l.env.ct === 'UNTRACKED'
          ? 'the packet is untracked (NOTRACK): no NAT'
          : 'the nat table sees only the first packet of a connection; conntrack applies its NAT to the rest';
        if (!skipped.some((s) => s.table === name)) skipped.push({ table: name, why });
        next.push(l);
        continue;
      }
      const chain = table.chains.get(hook);
      if (!chain) {
        // A table without this hook's chain does not register the hook (e.g. nat INPUT before Linux 2.6.36).
        if (!skipped.some((s) => s.table === name)) skipped.push({ table: name, why: `table ${name} has no ${hook} chain` });
        next.push(l);
        continue;
      }
      const policy = chain.policy;
      if (ruleCount(chain) === 0 && policy !== undefined && !chain.policyKept) {
        // No rules (most built-in chains of raw, mangle and security): the policy decides with nothing
        // changed, the outcome run() and toOutcome() give, without copying the walk state.
        // A branch's tables list is its own (copied where branches fork, below): extended in place.
        l.tables.push(policyOutcome(name, hook, policy, l));
        l.verdict = policy;
        next.push(l);
        continue;
      }
      const env = copyEnv(l.env);
      env.table = name;
      const done = runAll(table, newBranch(compiledChain(chain), env, l.probability, budget.linear), budget, false);
      for (let i = 0; i < done.length; i++) {
        const f = done[i]!;
        const o = toOutcome(table, hook, f) as TableOutcome;
        // The last branch takes the list itself; the others (statistic forks) copies made before it grows.
        const tables = i === done.length - 1 ? l.tables : l.tables.slice();
        tables.push(o);
        next.push({ tables, env: f.branch.env, probability: o.probability, verdict: o.verdict });
      }
    }
    live = next;
  }
  return live.map((l) => {
    const h: HookOutcome = { hook, tables: l.tables, verdict: l.verdict, packet: l.env.packet, mark: l.env.mark, probability: l.probability };
    if (l.env.connmark !== undefined) h.connmark = l.env.connmark;
    if (missing.length) h.missingTables = missing;
    if (skipped.length) h.skippedTables = skipped;
    if (ctNat) h.conntrackNat = ctNat;
    return h;
  });
}

/**
 * Conntrack's NAT for a packet of a tracked connection (not the first), done at
 * the nat table's priority as the kernel's nf_nat hooks do: after raw and mangle
 * in PREROUTING and OUTPUT, after filter in INPUT, after mangle in POSTROUTING.
 * Rewrites each live ESTABLISHED branch whose connection tuples are known;
 * returns the rewrite when it changed a packet.
 */
function applyConntrackNat(hook: HookName, live: { env: EvalEnv; verdict: TableOutcome['verdict'] }[]): HookOutcome['conntrackNat'] {
  const manip = manipAt(hook);
  let done: HookOutcome['conntrackNat'];
  for (const l of live) {
    if (!manip || l.verdict !== 'ACCEPT' || l.env.ct !== 'ESTABLISHED' || !l.env.conn) continue;
    const before = l.env.packet;
    const after = conntrackManip(l.env.conn, manip, before);
    if (samePacket(before, after)) continue;
    l.env = { ...l.env, packet: after };
    done = { manip, before, after };
  }
  return done;
}

/**
 * Walks one chain on its own (for `podpath iptables trace` on a single node):
 * a built-in chain ends in its policy, a user chain may end in RETURN.
 * Throws PP_USAGE when the table or chain does not exist.
 */
export function walkChain(
  rs: Ruleset, table: TableName, chain: string, hook: HookName, packet: Packet, ctx: NetfilterContext, mark: number,
): ChainOutcome[] {
  const t = rs.tables.get(table);
  const c = t?.chains.get(chain);
  if (!t || !c) throw new PodpathError('PP_USAGE', `no chain ${chain} in table ${table} of ${rs.file}`);
  const env = initialEnv(hook, packet, ctx, mark, table);
  return runAll(t, newBranch(compiledChain(c), env, 1), { branches: 1, linear: false }, !c.builtin).map((f) => toOutcome(t, chain, f));
}
