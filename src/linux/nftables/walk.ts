/**
 * Walks a packet through one nftables base chain with the kernel's semantics
 * (nf_tables_core.c nft_do_chain): rules in order, a rule's expressions left
 * to right (the first that does not hold ends the rule: NFT_BREAK), statements
 * in place; `jump` pushes, `goto` replaces the current frame, `return` and the
 * end of a regular chain pop, the end (or `return`) of the base chain applies
 * its policy. `accept` ends this base chain only (the next base chain of the
 * hook still runs); `drop` and `reject` are final. A nat statement ends the
 * chain with accept (nft_nat_eval returns nf_nat_setup_info's NF_ACCEPT).
 * A verdict map applies the verdict of the element matching its key; no
 * element: the rule does not match.
 *
 * Guarantees: pure; never a silent accept: an expression podpath cannot
 * evaluate (an `unknown` statement, a value it is not given, such as whether an
 * address is local) ends the walk with verdict `unknown` naming the rule, its
 * location and the construct; `numgen random mod N` forks the walk into N
 * branches of probability 1/N each (as `-m statistic` does for iptables), the
 * branches of one chain sum to the probability it started with; at most
 * MAX_BRANCHES branches and MAX_DEPTH nested jumps, beyond that `unknown`.
 */
import { PROTO_NUMBER, type Packet } from '../../net/packet.js';
import { formatIpv4, type Ipv4 } from '../../net/ipv4.js';
import type { HookName } from '../iptables/types.js';
import { ruleRef as refOf, type Atom, type Left, type NftChain, type NftElement, type NftRule, type NftStmt, type NftTable, type Right, type Verdict } from './types.js';
import { CT_STATE, CT_STATUS, isFlagType, typeOf } from './values.js';

export const MAX_BRANCHES = 64;
export const MAX_DEPTH = 64;

/** What the walk knows about the node and the packet's connection. */
export interface NftEnv {
  hook: HookName;
  inIface?: string;
  outIface?: string;
  /** Whether an address is local to the node (fib type local); undefined when not known. */
  isLocal: (ip: Ipv4) => boolean | undefined;
  /** Primary address of an interface (masquerade). */
  ifaceAddress: (iface: string) => Ipv4 | undefined;
  /** The address the kernel masquerades to when the interface holds none (inet_select_addr). @default none: unknown */
  fallbackSource?: (iface: string) => Ipv4 | undefined;
  ctState: 'NEW' | 'ESTABLISHED' | 'RELATED';
  /** NAT done so far on this connection (ct status snat/dnat). */
  ctStatus: { dnat?: boolean; snat?: boolean };
  /** The base chain's priority: before conntrack (-200) no ct expression has a value. */
  priority?: number;
}

/** A rule that matched and did not end the walk (jump, mark set...), with where it sits. */
export interface NftMatched {
  rule: NftRule;
  chain: string;
  ref: string;
}

/** The outcome of one base chain for one branch. */
export interface NftChainOutcome {
  table: NftTable;
  chain: NftChain;
  verdict: 'accept' | 'drop' | 'reject' | 'unknown';
  /** The rule that decided (absent: the policy decided). */
  rule?: NftRule;
  /** Where the decision is written: the rule's file:line (or table/chain/handle), or the chain's for a policy. */
  ref: string;
  packet: Packet;
  mark: number;
  connmark?: number;
  probability: number;
  nat?: { type: 'dnat' | 'snat' | 'masquerade' | 'redirect'; rule: NftRule; ref: string };
  matched: NftMatched[];
  notes: string[];
  /** What was not understood, when verdict is unknown. */
  unknown?: string;
}

interface Frame {
  chain: NftChain;
  idx: number;
}

interface St {
  packet: Packet;
  mark: number;
  connmark: number | undefined;
  probability: number;
  matched: NftMatched[];
  notes: string[];
  numgen?: number;
  nat?: NftChainOutcome['nat'];
  stack: Frame[];
}

type Val = number | string | undefined | null;
/** null: the packet has no such field (the rule does not match); undefined: not known. */

const clone = (st: St): St => ({ ...st, matched: [...st.matched], notes: [...st.notes], stack: st.stack.map((f) => ({ ...f })) });

function selectorValue(key: string, st: St, env: NftEnv, mod?: number, offset?: number): Val {
  const p = st.packet;
  const ported = p.proto === 'tcp' || p.proto === 'udp' || p.proto === 'sctp';
  switch (key) {
    case 'ip saddr': return p.src;
    case 'ip daddr': return p.dst;
    case 'meta l4proto': case 'ip protocol': return PROTO_NUMBER[p.proto];
    case 'meta nfproto': return 2;
    case 'th dport': return ported ? p.dport : null;
    case 'th sport': return ported ? p.sport : null;
    case 'meta mark': return st.mark;
    case 'ct mark': return st.connmark;
    case 'ct state': return env.ctState === 'NEW' ? CT_STATE.new! : env.ctState === 'ESTABLISHED' ? CT_STATE.established! : CT_STATE.related!;
    case 'ct status':
      if (env.ctStatus.dnat === undefined || env.ctStatus.snat === undefined) return undefined;
      return (env.ctStatus.dnat ? CT_STATUS.dnat! : 0) | (env.ctStatus.snat ? CT_STATUS.snat! : 0);
    case 'meta iifname': return env.inIface ?? (env.hook === 'OUTPUT' ? '' : undefined);
    case 'meta oifname': return env.outIface ?? (env.hook === 'PREROUTING' || env.hook === 'INPUT' ? '' : undefined);
    case 'fib daddr type': case 'fib saddr type': {
      const local = env.isLocal(key === 'fib daddr type' ? p.dst : p.src);
      return local === undefined ? undefined : local ? 'local' : 'unicast';
    }
    case 'numgen': return st.numgen === undefined || mod === undefined ? undefined : st.numgen + (offset ?? 0);
    case 'tcp dport': case 'udp dport': case 'sctp dport': return p.proto !== key.slice(0, key.indexOf(' ')) ? null : p.dport;
    case 'tcp sport': case 'udp sport': case 'sctp sport': return p.proto !== key.slice(0, key.indexOf(' ')) ? null : p.sport;
  }
  const m = /^(tcp|udp|sctp) (dport|sport)$/.exec(key);
  if (m) return p.proto !== m[1] ? null : m[2] === 'dport' ? p.dport : p.sport;
  if (key.startsWith('ip6 ')) return null; // an IPv4 packet has no IPv6 header (nft adds a nfproto dependency)
  return undefined;
}

function atomHolds(a: Atom, v: number | string, flag: boolean): boolean {
  if ('str' in a) return typeof v === 'string' && (a.wildcard ? v.startsWith(a.str) : v === a.str);
  if (typeof v !== 'number') return false;
  return flag ? (v & a.lo) !== 0 : v >= a.lo && v <= a.hi;
}

/** Exact-key index of a set whose elements are all single values (kube-proxy's service maps), built once per element list. */
const exactIndex = new WeakMap<NftElement[], Map<string, NftElement> | null>();

function indexOf(elements: NftElement[]): Map<string, NftElement> | null {
  let idx = exactIndex.get(elements);
  if (idx !== undefined) return idx;
  idx = new Map();
  for (const e of elements) {
    if (!e.key.every((a) => ('str' in a ? !a.wildcard : a.lo === a.hi))) {
      idx = null;
      break;
    }
    const k = e.key.map((a) => ('str' in a ? `s${a.str}` : `n${a.lo}`)).join('|');
    if (!idx.has(k)) idx.set(k, e);
  }
  exactIndex.set(elements, idx);
  return idx;
}

/** The element whose key holds for the values, if any (the first, as a set holds each key once). */
function lookup(elements: NftElement[], vals: (number | string)[], flag: boolean): NftElement | undefined {
  if (!flag && elements.length > 8) {
    const idx = indexOf(elements);
    if (idx) {
      let k = '';
      for (let i = 0; i < vals.length; i++) {
        const v = vals[i]!;
        k += `${i ? '|' : ''}${typeof v === 'string' ? 's' : 'n'}${v}`;
      }
      return idx.get(k);
    }
  }
  return elements.find((e) => e.key.length === vals.length && e.key.every((a, i) => atomHolds(a, vals[i]!, flag)));
}

/** The left side's values: an array, null (no such field), or a string naming what is not known. */
function leftValues(left: Left, st: St, env: NftEnv): (number | string)[] | null | string {
  const out: (number | string)[] = [];
  for (const s of left.sels) {
    if ((env.priority ?? 0) < -200 && s.key.startsWith('ct ')) return `${s.key} in a chain of priority ${env.priority}, before conntrack (-200)`;
    let v = selectorValue(s.key, st, env, s.mod, s.offset);
    if (v === null) return null;
    if (v === undefined) return s.key === 'ct mark' ? 'ct mark of this connection is not known' : s.key.startsWith('fib') ? `${s.key}: whether the address is local to the node is not known (give the node's addresses)` : `${s.key} is not known here`;
    if (left.ops && typeof v === 'number') for (const o of left.ops) v = o.op === '&' ? (v as number) & o.value : o.op === '|' ? (v as number) | o.value : (v as number) ^ o.value;
    out.push(typeof v === 'number' ? v >>> 0 : v);
  }
  return out;
}

function elementsOf(r: Right, table: NftTable, st: St): NftElement[] {
  if ('elements' in r) return r.elements;
  const set = table.sets.get(r.ref)!;
  if (set.flags.length && set.flags.includes('dynamic') && !st.notes.some((n) => n.includes(`@${r.ref}`))) st.notes.push(`@${r.ref} is a dynamic set: its elements as listed (the kernel adds elements as packets pass)`);
  return set.elements;
}

type StepResult = NftChainOutcome[] | 'next' | 'continue';

function numgenOf(left: Left): Left['sels'][number] | undefined {
  for (const x of left.sels) if (x.key === 'numgen') return x;
  return undefined;
}

// Whether a left side compares flags (ct state, ct status: any bit in common), found once per expression.
const flagLefts = new WeakMap<Left, boolean>();
function isFlagLeft(left: Left): boolean {
  let f = flagLefts.get(left);
  if (f === undefined) flagLefts.set(left, (f = left.sels.length === 1 && !left.ops && isFlagType(typeOf(left.sels[0]!.key))));
  return f;
}

// A rule's (or a chain's policy's) printed reference, built once: a rule sits in one chain of one table.
const refs = new WeakMap<NftRule | NftChain, string>();
function ruleRef(table: NftTable, chain: NftChain, rule?: NftRule): string {
  const key = rule ?? chain;
  let r = refs.get(key);
  if (r === undefined) refs.set(key, (r = refOf(table, chain, rule)));
  return r;
}

/** Walks one base chain. */
export function walkBaseChain(table: NftTable, chain: NftChain, packet: Packet, env: NftEnv, mark: number, connmark: number | undefined): NftChainOutcome[] {
  const budget = { branches: 1 };
  const st: St = { packet, mark: mark >>> 0, connmark, probability: 1, matched: [], notes: [], stack: [{ chain, idx: 0 }] };
  return run(table, chain, st, env, budget);
}

function end(table: NftTable, base: NftChain, st: St, verdict: NftChainOutcome['verdict'], rule?: NftRule, ruleChain?: NftChain, unknown?: string): NftChainOutcome {
  const o: NftChainOutcome = {
    table, chain: base, verdict, ref: ruleRef(table, ruleChain ?? base, rule), packet: st.packet, mark: st.mark,
    probability: st.probability, matched: st.matched, notes: st.notes,
  };
  if (rule) o.rule = rule;
  if (st.connmark !== undefined) o.connmark = st.connmark;
  if (st.nat) o.nat = st.nat;
  if (unknown) o.unknown = unknown;
  return o;
}

function run(table: NftTable, base: NftChain, st: St, env: NftEnv, budget: { branches: number }): NftChainOutcome[] {
  for (let steps = 0; steps < 1_000_000; steps++) {
    const top = st.stack[st.stack.length - 1]!;
    if (top.idx >= top.chain.rules.length) {
      if (st.stack.length === 1) return [end(table, base, st, base.base!.policy)];
      st.stack.pop();
      continue;
    }
    const rule = top.chain.rules[top.idx++]!;
    const r = evalRule(table, base, top.chain, rule, 0, st, env, budget);
    if (r !== 'next' && r !== 'continue') return r;
  }
  return [end(table, base, st, 'unknown', undefined, undefined, 'more than 1,000,000 rule visits')];
}

/** Evaluates a rule's statements from `i`; 'next' = go on with the walk (rule did not match or did not end it). */
function evalRule(table: NftTable, base: NftChain, chain: NftChain, rule: NftRule, i: number, st: St, env: NftEnv, budget: { branches: number }): StepResult {
  const unknown = (what: string) => [end(table, base, st, 'unknown', rule, chain, what)];
  let noted = false;
  const note = () => {
    if (!noted) st.matched.push({ rule, chain: chain.name, ref: ruleRef(table, chain, rule) });
    noted = true;
  };
  for (; i < rule.stmts.length; i++) {
    const s: NftStmt = rule.stmts[i]!;
    if ((s.kind === 'match' || s.kind === 'vmap') && st.numgen === undefined) {
      const ng = numgenOf(s.left);
      if (ng) {
        // numgen random: one branch per value, each 1/N (nft_ng_random_eval: reciprocal_scale over N)
        const mod = ng.mod!;
        if (budget.branches + mod - 1 > MAX_BRANCHES) return unknown(`more than ${MAX_BRANCHES} numgen branches`);
        budget.branches += mod - 1;
        const out: NftChainOutcome[] = [];
        for (let v = 0; v < mod; v++) {
          const b = clone(st);
          b.numgen = v;
          b.probability = st.probability / mod;
          const r = evalRule(table, base, chain, rule, i, b, env, budget);
          out.push(...(r === 'next' || r === 'continue' ? run(table, base, b, env, budget) : r));
        }
        return out;
      }
    }
    switch (s.kind) {
      case 'match': case 'vmap': {
        const vals = leftValues(s.left, st, env);
        st.numgen = undefined;
        if (vals === null) return 'next';
        if (typeof vals === 'string') return unknown(vals);
        const flag = isFlagLeft(s.left);
        const hit = lookup(elementsOf(s.kind === 'match' ? s.right : s.map, table, st), vals, flag);
        if (s.kind === 'match') {
          if ((hit !== undefined) !== (s.op === '==')) return 'next';
          break;
        }
        if (!hit) return 'next';
        note();
        const r = applyVerdict(table, base, chain, rule, hit.value as Verdict, st, budget);
        return r;
      }
      case 'verdict':
        note();
        return applyVerdict(table, base, chain, rule, s.verdict, st, budget);
      case 'nat': {
        note();
        if (env.ctState !== 'NEW') return unknown(`${s.type} on a packet that is not the first of its connection`);
        const p = st.packet;
        let q: Packet = p;
        if (s.type === 'dnat') q = { ...p, dst: s.addr ?? p.dst, dport: s.port ?? p.dport };
        else if (s.type === 'snat') q = { ...p, src: s.addr ?? p.src, sport: s.port ?? p.sport };
        else if (s.type === 'redirect') {
          // redirect: DNAT to the primary address of the incoming interface (127.0.0.1 for locally generated packets)
          const addr = env.hook === 'OUTPUT' ? 0x7f000001 : env.inIface !== undefined ? env.ifaceAddress(env.inIface) : undefined;
          if (addr === undefined) return unknown('redirect: the incoming interface\'s address is not known');
          q = { ...p, dst: addr, dport: s.port ?? p.dport };
        } else {
          const own = env.outIface !== undefined ? env.ifaceAddress(env.outIface) : undefined;
          const addr = own ?? (env.outIface !== undefined ? env.fallbackSource?.(env.outIface) : undefined);
          if (addr === undefined) return unknown('masquerade: the outgoing interface or its address is not known (give --out and --addr)');
          if (own === undefined) st.notes.push(`${env.outIface} holds no IPv4 address: the kernel takes ${formatIpv4(addr)}, the first global address of the node's devices (inet_select_addr)`);
          q = { ...p, src: addr };
        }
        if (s.type === 'masquerade' && s.flags?.length) st.notes.push(`masquerade ${s.flags.join(',')}: source port as the kernel picks it; podpath keeps ${p.sport}`);
        st.packet = q;
        st.nat = { type: s.type, rule, ref: ruleRef(table, chain, rule) };
        return [end(table, base, st, 'accept', rule, chain)];
      }
      case 'mangle': {
        let v = s.from === 'meta mark' ? st.mark : s.from === 'ct mark' ? st.connmark : s.value;
        if (v === undefined) return unknown('ct mark of this connection is not known');
        for (const o of s.ops) v = o.op === '&' ? v & o.value : o.op === '|' ? v | o.value : v ^ o.value;
        if (s.target === 'meta mark') st.mark = v >>> 0;
        else st.connmark = v >>> 0;
        note();
        break;
      }
      case 'counter': case 'log': break;
      case 'set-update':
        st.notes.push(`${ruleRef(table, chain, rule)}: updates @${s.set} (affinity state is not modelled across packets)`);
        break;
      case 'unknown':
        return unknown(`not understood: ${s.construct}`);
    }
  }
  note();
  return 'next';
}

function applyVerdict(table: NftTable, base: NftChain, chain: NftChain, rule: NftRule, v: Verdict, st: St, budget: { branches: number }): StepResult {
  void budget;
  switch (v.kind) {
    case 'accept': case 'drop': case 'reject':
      return [end(table, base, st, v.kind, rule, chain)];
    case 'continue':
      return 'next';
    case 'return':
      if (st.stack.length === 1) return [end(table, base, st, base.base!.policy)];
      st.stack.pop();
      return 'next';
    case 'jump': case 'goto': {
      const target = table.chains.get(v.target!)!;
      if (st.stack.length >= MAX_DEPTH) return [end(table, base, st, 'unknown', rule, chain, `jumps deeper than ${MAX_DEPTH}`)];
      if (v.kind === 'goto') st.stack[st.stack.length - 1] = { chain: target, idx: 0 };
      else st.stack.push({ chain: target, idx: 0 });
      return 'next';
    }
  }
}
