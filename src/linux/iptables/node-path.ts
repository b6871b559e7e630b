/**
 * One node's netfilter path for one packet, from a single dump: the hooks a
 * forwarded, locally delivered or locally generated packet passes, in kernel
 * order, and the reply's way back through conntrack (what `podpath iptables
 * trace` prints).
 *
 * ```
 *  arrives on --in ──► PREROUTING ──► dst local? ──yes──► INPUT ──► delivered to a local socket
 *                                        │no
 *                                        ▼
 *                                     FORWARD ──► POSTROUTING ──► leaves on --out
 *  --local process ──► OUTPUT ──► POSTROUTING ──► leaves on --out (or lo ──► INPUT when dst is local)
 * ```
 * "dst local?" is asked after PREROUTING (after DNAT), as the kernel's routing
 * decision does (ip_rcv_finish -> ip_route_input). The reply is the reverse of
 * the packet as it left; conntrack makes it ESTABLISHED (the nat table is not
 * consulted) and rewrites it at the nat table's priority: SNAT/MASQUERADE undone
 * in PREROUTING (or OUTPUT) after raw and mangle, DNAT undone in POSTROUTING (or
 * INPUT) — nf_nat_core.c manip types DST/SRC (see walk.ts, conntrack.ts).
 *
 * Guarantees: pure; never a silent accept: whether an address is local is
 * `unknown` unless the node's addresses are given (127.0.0.0/8 is always
 * local); `-m statistic` forks (of the request or of its reply) give one path per branch, probabilities
 * summing to 1 (at most MAX_BRANCHES, else the last branches end `unknown`).
 */
import { reversed, type Packet } from '../../net/packet.js';
import { contains, type Prefix } from '../../net/prefix.js';
import type { Ipv4 } from '../../net/ipv4.js';
import type { ConnTuples, HookName, HookOutcome, NetfilterContext, Ruleset } from './types.js';
import { MAX_BRANCHES, walkHook } from './walk.js';
import type { IpSet } from '../ipset/ipset-save.js';
import type { NftRuleset } from '../nftables/types.js';
import { walkHookWithNft, type MergedHookOutcome } from '../nftables/hook.js';

/** An address of the node: interface, address and prefix length (`--addr eth0=10.0.0.5/24`). */
export interface NodeAddress {
  iface: string;
  addr: Ipv4;
  len: number;
}

/** Where the packet starts. */
export type PathStart =
  | { kind: 'arrives'; inIface: string }
  | { kind: 'local' };

/** What a node path needs. */
export interface NodePathInput {
  packet: Packet;
  start: PathStart;
  /**
   * Interface the packet leaves on when it is not delivered locally. When the
   * node's addresses are not given, a given outIface also says the packet is
   * routed out (not delivered locally). @default not known: `-o` matches and MASQUERADE give unknown
   */
  outIface?: string;
  /**
   * The node's routing decision for a packet after PREROUTING (or OUTPUT):
   * the device it leaves on, from the node's routes and policy rules. Used
   * when `outIface` is not given. @default none: only a given outIface is known
   */
  routeOut?: (p: Packet, iif: string, mark: number) => string | undefined;
  /** The node's addresses. @default none: only 127.0.0.0/8 is known to be local */
  addresses?: NodeAddress[];
  /** Firewall mark the packet starts with. @default 0 */
  mark?: number;
  /** The node's ipsets (`ipset save`), for `-m set`. @default not known: `-m set` answers unknown */
  ipsets?: ReadonlyMap<string, IpSet>;
  /** The node's native nftables ruleset: its ip/inet base chains run between the iptables tables by priority. @default none */
  nft?: NftRuleset;
}

/** What every hook of one direction shares: the node, the conntrack state, and the connection's tuples for a packet. */
type Base = Omit<NetfilterContext, 'inIface' | 'outIface' | 'conn'> & { connOf: (p: Packet) => ConnTuples; nft?: NftRuleset };

/** One hook passed. */
export interface PathStep {
  hook: HookName;
  inIface?: string;
  outIface?: string;
  packetIn: Packet;
  outcome: HookOutcome;
}

/** How the trip ended. */
export type PathEnd =
  | { kind: 'delivered-locally' }
  | { kind: 'forwarded'; outIface?: string }
  | { kind: 'sent'; outIface?: string }
  | { kind: 'dropped' | 'rejected'; hook: HookName }
  | { kind: 'unknown'; hook?: HookName; reason: string };

/** One way through the node (one per statistic branch). */
export interface NodePath {
  probability: number;
  steps: PathStep[];
  end: PathEnd;
  /** The packet as it left (or was delivered), when it got that far. */
  packetOut?: Packet;
  /** The reply's way back, when the request got through. */
  reply?: { steps: PathStep[]; end: PathEnd; packetOut?: Packet };
}

const LOOPBACK: Prefix = { addr: 0x7f000000, len: 8 };

/** isLocal for a node: known when addresses are given; loopback always local. */
export function localityOf(addresses: NodeAddress[] | undefined): (ip: Ipv4) => boolean | undefined {
  const set = new Set((addresses ?? []).map((a) => a.addr));
  const known = (addresses ?? []).length > 0;
  return (ip) => (contains(LOOPBACK, ip) || set.has(ip) ? true : known ? false : undefined);
}

interface Pass {
  steps: PathStep[];
  mark: number;
  connmark?: number;
  probability: number;
  ctStatus: { dnat?: boolean; snat?: boolean };
}

type Next = (p: Packet, pass: Pass) => NodePath[];

/** Runs one hook for every live branch and continues each accepted one with `then`. */
function hook(
  rs: Ruleset, name: HookName, p: Packet, pass: Pass, ifaces: { in?: string; out?: string }, base: Base,
  then: Next, budget: { paths: number },
): NodePath[] {
  const { connOf, nft } = base;
  // Fields copied by name: an object rest or spread of `base` per hook walk was a third of an nft trace's time.
  const ctx: NetfilterContext = { isLocal: base.isLocal, localDevice: base.localDevice, ifaceAddress: base.ifaceAddress, ctState: base.ctState, ctStatus: pass.ctStatus, conn: connOf(p) };
  if (base.ipsets) ctx.ipsets = base.ipsets;
  if (pass.connmark !== undefined) ctx.connmark = pass.connmark;
  if (ifaces.in !== undefined) ctx.inIface = ifaces.in;
  if (ifaces.out !== undefined) ctx.outIface = ifaces.out;
  const outcomes: (HookOutcome & Partial<Pick<MergedHookOutcome, 'unknownReason'>>)[] = nft ? walkHookWithNft(rs, nft, name, p, ctx, pass.mark) : walkHook(rs, name, p, ctx, pass.mark);
  budget.paths += outcomes.length - 1;
  return outcomes.flatMap((o) => {
    // Conditional fields assigned, not spread: spreads of fresh literals are slow on this hot path.
    const step: PathStep = { hook: name, packetIn: p, outcome: o };
    if (ifaces.in) step.inIface = ifaces.in;
    if (ifaces.out) step.outIface = ifaces.out;
    const ctStatus = { ...pass.ctStatus };
    if (o.packet.dst !== p.dst || o.packet.dport !== p.dport) ctStatus.dnat = true;
    if (o.packet.src !== p.src || o.packet.sport !== p.sport) ctStatus.snat = true;
    const next: Pass = { steps: [...pass.steps, step], mark: o.mark, probability: pass.probability * o.probability, ctStatus };
    const connmark = o.connmark ?? pass.connmark;
    if (connmark !== undefined) next.connmark = connmark;
    if (o.verdict === 'ACCEPT') {
      if (budget.paths > MAX_BRANCHES) return [finish(next, { kind: 'unknown', hook: name, reason: `more than ${MAX_BRANCHES} statistic branches` })];
      return then(o.packet, next);
    }
    if (o.verdict === 'unknown') {
      const t = o.tables[o.tables.length - 1];
      const why = o.unknownReason ?? (t?.unknown ? `${t.table} ${t.chain}: ${t.unknown.construct} (${t.unknown.rule.loc.file}:${t.unknown.rule.loc.line})` : `${name}: not understood`);
      return [finish(next, { kind: 'unknown', hook: name, reason: why })];
    }
    return [finish(next, { kind: o.verdict === 'DROP' ? 'dropped' : 'rejected', hook: name })];
  });
}

const finish = (pass: Pass, end: PathEnd, packetOut?: Packet): NodePath => ({
  probability: pass.probability, steps: pass.steps, end, ...(packetOut ? { packetOut } : {}),
});

/** Walks the request (and, when it gets through, the reply) through the node. */
export function walkNodePath(rs: Ruleset, input: NodePathInput): NodePath[] {
  const isLocal = localityOf(input.addresses);
  const ifaceAddr = new Map<string, Ipv4>();
  for (const a of input.addresses ?? []) if (!ifaceAddr.has(a.iface)) ifaceAddr.set(a.iface, a.addr);
  ifaceAddr.set('lo', 0x7f000001);
  const holder = new Map<Ipv4, string>((input.addresses ?? []).map((a) => [a.addr, a.iface]));
  const localDevice = (ip: Ipv4) => holder.get(ip) ?? (contains(LOOPBACK, ip) ? 'lo' : undefined);
  const base = (ct: NetfilterContext['ctState'], connOf: Base['connOf']): Base => ({
    isLocal, localDevice, ifaceAddress: (i: string) => ifaceAddr.get(i), ctState: ct, connOf, ...(input.ipsets ? { ipsets: input.ipsets } : {}), ...(input.nft ? { nft: input.nft } : {}),
  });
  const budget = { paths: 1 };
  const start: Pass = { steps: [], mark: (input.mark ?? 0) >>> 0, probability: 1, ctStatus: {} };
  const out = input.outIface;
  // The request: conntrack's reply tuple is the reverse of the packet with the NAT done so far.
  const NEW = base('NEW', (p) => ({ original: input.packet, reply: reversed(p), dir: 'ORIGINAL' }));

  let paths: NodePath[];
  if (input.start.kind === 'arrives') {
    const inIface = input.start.inIface;
    paths = hook(rs, 'PREROUTING', input.packet, start, { in: inIface }, NEW, (q, pass) => {
      // Unknown locality: a given --out says how the node routes it (the caller's statement, not a guess).
      const local = isLocal(q.dst) ?? (input.outIface !== undefined ? false : undefined);
      // Routing happens here, after DNAT: the node's routes choose the device when --out is not given.
      const out = input.outIface ?? (local ? undefined : input.routeOut?.(q, inIface, pass.mark));
      if (local === undefined) return [finish(pass, { kind: 'unknown', hook: 'PREROUTING', reason: `whether ${fmt(q.dst)} is an address of this node is not known (give --addr IFACE=IP/LEN)` })];
      if (local) return hook(rs, 'INPUT', q, pass, { in: inIface }, NEW, (r, p2) => [finish(p2, { kind: 'delivered-locally' }, r)], budget);
      return hook(rs, 'FORWARD', q, pass, { in: inIface, out }, NEW, (r, p2) =>
        hook(rs, 'POSTROUTING', r, p2, { in: inIface, out }, NEW, (s, p3) => [finish(p3, { kind: 'forwarded', ...(out ? { outIface: out } : {}) }, s)], budget), budget);
    }, budget);
  } else {
    paths = hook(rs, 'OUTPUT', input.packet, start, { out }, NEW, (q, pass) => {
      const toSelf = isLocal(q.dst) === true;
      // Rerouted after OUTPUT (its NAT and marks may change the route).
      const dev = toSelf ? 'lo' : (out ?? input.routeOut?.(q, 'lo', pass.mark));
      return hook(rs, 'POSTROUTING', q, pass, { out: dev }, NEW, (r, p2) => {
        if (!toSelf) return [finish(p2, { kind: 'sent', ...(dev ? { outIface: dev } : {}) }, r)];
        return hook(rs, 'INPUT', r, p2, { in: 'lo' }, NEW, (s, p3) => [finish(p3, { kind: 'delivered-locally' }, s)], budget);
      }, budget);
    }, budget);
  }
  // A reply that forks at a -m statistic rule multiplies the request's branch: one path per pair.
  return paths.flatMap((p) => (p.packetOut && p.end.kind !== 'unknown'
    ? walkReply(rs, input, p, base('ESTABLISHED', () => ({ original: input.packet, reply: reversed(p.packetOut!), dir: 'REPLY' }))).map((r) => ({ ...p, probability: p.probability * r.probability, reply: r.reply }))
    : [p]));
}

/** The reply: reverse of what left, ESTABLISHED, NAT undone by conntrack; one per branch of the reply's own walk. */
function walkReply(rs: Ruleset, input: NodePathInput, req: NodePath, base: Base): { reply: NonNullable<NodePath['reply']>; probability: number }[] {
  const left = req.packetOut!;
  const original = input.packet;
  const arriving = reversed(left);
  const last = req.steps[req.steps.length - 1]!;
  const lastPass = { dnat: left.dst !== original.dst || left.dport !== original.dport, snat: left.src !== original.src || left.sport !== original.sport };
  const pass: Pass = { steps: [], mark: 0, probability: 1, ctStatus: lastPass, ...(last.outcome.connmark !== undefined ? { connmark: last.outcome.connmark } : {}) };
  const budget = { paths: 1 };
  const end = (paths: NodePath[]) => paths.map((p) => ({
    reply: { steps: p.steps, end: p.end, ...(p.packetOut ? { packetOut: p.packetOut } : {}) },
    probability: p.probability,
  }));
  const replyIn = req.end.kind === 'forwarded' || req.end.kind === 'sent' ? req.end.outIface : undefined;
  if (req.end.kind === 'delivered-locally') {
    // A local socket answers: OUTPUT, POSTROUTING (conntrack undoes DNAT there, at nat priority), back out the way the request came.
    const back = input.start.kind === 'arrives' ? input.start.inIface : 'lo';
    return end(hook(rs, 'OUTPUT', arriving, pass, { out: back }, base, (q, p2) =>
      hook(rs, 'POSTROUTING', q, p2, { out: back }, base, (r, p3) => [finish(p3, { kind: 'sent', outIface: back }, r)], budget), budget));
  }
  // The reply arrives where the request left; the walk undoes SNAT at nat priority in PREROUTING (after raw
  // and mangle), before routing, and DNAT in POSTROUTING or INPUT.
  return end(hook(rs, 'PREROUTING', arriving, pass, replyIn !== undefined ? { in: replyIn } : {}, base, (r0, p2) => {
    if (input.start.kind === 'local') {
      return hook(rs, 'INPUT', r0, p2, replyIn !== undefined ? { in: replyIn } : {}, base, (r, p3) => [finish(p3, { kind: 'delivered-locally' }, r)], budget);
    }
    const back = input.start.inIface;
    return hook(rs, 'FORWARD', r0, p2, { ...(replyIn !== undefined ? { in: replyIn } : {}), out: back }, base, (r, p3) =>
      hook(rs, 'POSTROUTING', r, p3, { out: back }, base, (s, p4) => [finish(p4, { kind: 'forwarded', outIface: back }, s)], budget), budget);
  }, budget));
}

const fmt = (ip: Ipv4): string => `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
