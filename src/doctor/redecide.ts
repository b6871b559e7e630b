/**
 * Hop-level re-decision for the incremental re-check (incremental.ts).
 *
 * A trace is a deterministic function of what its hops consulted. After one
 * route table, security group or network ACL changed, a stored trace is still
 * exact when every hop that consulted the changed element, decided again on
 * the changed world from the hop's own recorded input, comes out as the same
 * hop record: same decision, same cited rule (its index or rule number
 * included: a rule added or removed before it shifts the index, and such a
 * hop counts as changed), same packet out, same notes. Each hop is decided
 * again by the trace engine's own step function (trace/aws-steps.ts), never by
 * a copy of its logic:
 * - network ACL hop: stateless; `nacl(subnet, direction, packetIn)` with any
 *   subnet associated with the ACL (the hop record does not name the subnet).
 * - route-table hop: the first hop `routeFrom(subnet, packetIn)` records, with
 *   any subnet using the table. The session only matters for a route to the
 *   gateway an outside source entered by; doctor's sources are all inside, so
 *   the fresh session has no entry, as doctor's sessions.
 * - security-group hop: its decision depends on the session. The reply of a
 *   connection the groups admitted earlier in the trace passes whatever the
 *   rules (security groups are stateful), and a group reference is judged
 *   against the interface that sent the packet. So every security-group hop
 *   of the trace is replayed in order (forward trip, then reply) through
 *   `securityGroup` on one fresh session, noting the sender before each egress
 *   hop as the engine's eniOut does. Those two are the only writers of that
 *   session state, so the replay rebuilds exactly what the engine had, as
 *   long as every earlier hop re-decided identically (the check stops at the
 *   first that does not). A reference across VPCs also reads the sending
 *   subnet's route table (trace/sg-reference.ts), so security-group hops are
 *   replayed on route changes too.
 *
 * Guarantees: pure; `holds` is false as soon as a re-decided hop differs from
 * the recorded one, or when what it needs (the interface, a subnet of the
 * table or ACL) is not in the world.
 */
import { parseIpv4 } from '../net/ipv4.js';
import type { Packet, PacketView } from '../net/packet.js';
import { nacl, routeFrom, securityGroup } from '../trace/aws-steps.js';
import { naclRuleMatches } from '../aws/network-acl.js';
import type { NaclRule } from '../model/aws.js';
import { noteSender } from '../trace/sg-reference.js';
import { Session } from '../trace/state.js';
import type { Hop, Trace } from '../trace/types.js';
import type { EniRecord, SubnetRecord, World } from '../trace/world.js';
import { blame } from './blame.js';
import { CHOSEN_PORT, pairVerdict, type EdgePorts } from './pairs.js';
import type { DestClass, PairResult } from './types.js';

/** The element one change touched, named as the incremental check's dependency keys name it. */
export type ChangedElement =
  | { kind: 'rtb'; id: string }
  | { kind: 'sg'; id: string }
  /** `change`: the rule added or removed, when known; a hop it cannot affect is not decided again (HopRedecider). */
  | { kind: 'acl'; id: string; change?: { direction: 'ingress' | 'egress'; op: 'add' | 'remove'; rule: NaclRule } };

const packets = new WeakMap<PacketView, Packet>();

/** The packet a hop record shows (ports are 0 for ICMP, as the engine has them); parsed once per record. */
export function packetOf(v: PacketView): Packet {
  let p = packets.get(v);
  if (!p) packets.set(v, (p = { src: parseIpv4(v.src), dst: parseIpv4(v.dst), proto: v.proto, sport: v.sport ?? 0, dport: v.dport ?? 0 }));
  return p;
}

/**
 * Equal as JSON data (what a hop record is: trace/hop.ts makes plain objects,
 * arrays, strings and numbers): keys holding undefined count as absent.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) if (!sameData(x[k], y[k])) return false;
  for (const k in y) if (!(k in x) && y[k] !== undefined) return false;
  return true;
}

const sameHop = (a: Hop | undefined, b: Hop) => a !== undefined && sameData(a, b);

/** Re-decides the hops of stored traces on one world (see the module comment). */
export class HopRedecider {
  private readonly byTable = new Map<string, SubnetRecord>();
  private readonly byAcl = new Map<string, SubnetRecord>();
  /** Every interface by the id hop records name it by (`eni-of-<instance>` for primaries: w.enisById holds secondaries only). */
  private readonly eniById = new Map<string, EniRecord>();

  constructor(private readonly w: World) {
    for (const e of w.enis.values()) this.eniById.set(e.id, e);
    for (const s of w.subnets.values()) {
      if (!this.byTable.has(s.routeTable.id)) this.byTable.set(s.routeTable.id, s);
      if (!s.aclDerived && !this.byAcl.has(s.acl.id)) this.byAcl.set(s.acl.id, s);
    }
  }

  /** True when the engine, on the world as it is now, records every hop of `t` that consulted `changed` identically. */
  holds(t: Trace, changed: ChangedElement): boolean {
    const session = new Session();
    const replaySg = changed.kind === 'sg' || changed.kind === 'rtb';
    for (const h of t.forward) if (!this.redecides(h, changed, replaySg, session)) return false;
    for (const h of t.reply ?? []) if (!this.redecides(h, changed, replaySg, session)) return false;
    return true;
  }

  private redecides(h: Hop, changed: ChangedElement, replaySg: boolean, session: Session): boolean {
    const out: Hop[] = [];
    switch (h.kind) {
      case 'security-group': {
        if (!replaySg) return true;
        const eni = this.eniById.get(h.at);
        if (!eni) return false;
        const p = packetOf(h.packetIn);
        if (h.direction === 'egress') noteSender(session, eni, p);
        securityGroup(this.w, session, eni, h.direction, p, out);
        return sameHop(out[0], h);
      }
      case 'nacl': {
        if (changed.kind !== 'acl' || h.acl !== changed.id) return true;
        if (changed.change && naclHopStands(h, changed.change)) return true;
        const subnet = this.byAcl.get(h.acl);
        if (!subnet) return false;
        nacl(subnet, h.direction, packetOf(h.packetIn), out);
        return sameHop(out[0], h);
      }
      case 'route-table': {
        if (changed.kind !== 'rtb' || h.table !== changed.id) return true;
        const subnet = this.byTable.get(h.table);
        if (!subnet) return false;
        routeFrom(this.w, subnet, packetOf(h.packetIn), out, session);
        return sameHop(out[0], h);
      }
      default:
        return true;
    }
  }
}

/** The number of the rule that decided a network ACL hop; Infinity for the final `*` (its RuleRef index is `ingress[100]`, `egress[*]`). */
export function decidingNumber(h: Hop & { kind: 'nacl' }): number {
  const at = h.rule?.at;
  const index = at && 'awsId' in at ? String(at.index ?? '') : '';
  const m = /\[(\d+)\]$/.exec(index);
  return m ? Number(m[1]) : Infinity;
}

/**
 * True when a network ACL hop cannot decide otherwise after one rule of its
 * ACL was added or removed. Rules are evaluated by number, the first match
 * deciding (aws/network-acl.ts): another direction's list is not read; an
 * added rule numbered above the deciding one is not reached, and one that
 * does not match the hop's packet decides nothing; a removed rule that did
 * not decide either did not match or was not reached. Otherwise (a number
 * equal to the deciding one included) the hop is decided again.
 */
function naclHopStands(h: Hop & { kind: 'nacl' }, c: NonNullable<(ChangedElement & { kind: 'acl' })['change']>): boolean {
  if (h.direction !== c.direction) return true;
  const n = decidingNumber(h);
  if (c.op === 'remove') return c.rule.rule !== n;
  return c.rule.rule > n || !naclRuleMatches(c.rule, c.direction, packetOf(h.packetIn));
}

/** Why doctor traced more for a pair than it kept (see `unkeptTraces`). */
export type Unkept = 'ephemeral-port edges' | 'other probe ports' | 'faults past a peering drop';

/**
 * Whether `tracePairs` traced more for this pair than the traces it kept, on
 * the world as it is now (hops can only vouch for kept traces):
 * - ephemeral-port edges: traced when the pair is delivered and crosses a
 *   NACL with port rules (doctor.ts doctorEdges), kept only when they fail;
 * - other probe ports: a pair traced on another port than its class's, or a
 *   failed one whose forward trip a NACL or security group stopped (other
 *   ports were tried, chosen from that element's allow rules);
 * - faults past a peering drop: the trace carries what the walk past the drop
 *   found (trace.ts stackedFaults), whose hops are not kept.
 */
export function unkeptTraces(pair: PairResult, dest: DestClass, edges: EdgePorts): Unkept | undefined {
  const edgeSports = new Set<number>(edges.sports);
  const first = pair.traces[0];
  if (!first) return undefined;
  if (pair.traces.some((t) => t.flow.sport !== undefined && edgeSports.has(t.flow.sport))) return 'ephemeral-port edges';
  if (first.flow.dport !== undefined && first.flow.dport !== dest.port) return 'other probe ports';
  if (pairVerdict(pair.traces) === 'delivered') {
    if (first.flow.proto !== 'icmp' && edges.when(pair.traces)) return 'ephemeral-port edges';
  } else if (CHOSEN_PORT.has(dest.kind)) {
    const b = blame(pair.traces.find((t) => t.verdict !== 'delivered')!);
    if (b?.trip === 'forward' && (b.hop.kind === 'nacl' || b.hop.kind === 'security-group')) return 'other probe ports';
  }
  if (pair.traces.some((t) => droppedAtPeering(t) !== undefined)) return 'faults past a peering drop';
  return undefined;
}

/** The peering a trace's forward trip was dropped at, if it was (the walk past it keeps no hops: unkeptTraces). */
export function droppedAtPeering(t: Trace): string | undefined {
  const last = t.forward.at(-1);
  return last?.kind === 'peering' && last.decision === 'drop' ? last.peering : undefined;
}

/**
 * True when a stored pair result is still what `tracePairs` gives on the
 * world as it is now: doctor kept every trace it made for the pair
 * (`unkeptTraces`; otherwise the pair is traced again) and every one holds
 * (HopRedecider.holds).
 */
export function pairHolds(r: HopRedecider, pair: PairResult, dest: DestClass, edges: EdgePorts, changed: ChangedElement): boolean {
  return pair.traces.length > 0 && !unkeptTraces(pair, dest, edges) && pair.traces.every((t) => r.holds(t, changed));
}
