/**
 * Which class pairs to trace, and tracing them: one representative flow per
 * pair through the compiled world (reused for every pair).
 *
 * A pair is traced when the destination is meant to be reachable from the
 * source: pods and nodes reach every pod class (Kubernetes' flat network),
 * nameservers are traced from the classes that use them, Services from pods
 * and nodes, and any other destination when the source subnet's route table
 * routes it by a route more specific than the default route (or, for the
 * internet, by any route). What no route sends anywhere is unreachable by
 * design, not a finding.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import { lookupRoute } from '../aws/route-table.js';
import { traceFlow, type FlowSpec } from '../trace/trace.js';
import type { Hop, Trace } from '../trace/types.js';
import { blame } from './blame.js';
import type { PodRecord, SubnetRecord, World } from '../trace/world.js';
import { nodeNameservers, podNameservers } from './classes.js';
import type { DestClass, PairResult, SourceClass } from './types.js';

/** The subnet a source class sends from. */
export function sourceSubnet(w: World, s: SourceClass): SubnetRecord | undefined {
  if (s.nodes.length) return w.nodes.get(s.nodes[0]!)?.eni.subnet;
  return w.enis.get(parseIpv4(s.ip))?.subnet;
}

/** The nameservers a source class queries. */
function nameserversOf(w: World, s: SourceClass): Ipv4[] {
  if (s.kind === 'hosts') return nodeNameservers(w, w.nodes.get(s.nodes[0]!)!);
  if (s.kind === 'pods') return podNameservers(w);
  return [];
}

/** What deciding a source's pairs reads of it, found once for all its destinations (each part when first needed). */
class SourceFacts {
  #subnet: SubnetRecord | undefined | null = null;
  #nameservers: Ipv4[] | undefined;
  constructor(readonly w: World, readonly s: SourceClass) {}
  get subnet(): SubnetRecord | undefined {
    if (this.#subnet === null) this.#subnet = sourceSubnet(this.w, this.s);
    return this.#subnet;
  }
  get nameservers(): Ipv4[] {
    return (this.#nameservers ??= nameserversOf(this.w, this.s));
  }
}

/** True when the pair should be traced (see the module comment). */
export function shouldTrace(w: World, s: SourceClass, d: DestClass): boolean {
  return traceable(new SourceFacts(w, s), d, () => parseIpv4(d.ip));
}

/** shouldTrace, with the source's facts found once and the destination's address parsed once (`dstIp`, called when needed). */
function traceable(f: SourceFacts, d: DestClass, dstIp: () => Ipv4): boolean {
  const s = f.s;
  const onNodes = s.kind === 'pods' || s.kind === 'hosts';
  switch (d.kind) {
    case 'dns':
      return f.nameservers.includes(dstIp());
    case 'service':
      return onNodes;
    case 'pods':
      if (onNodes) return true;
      break;
    default:
      break;
  }
  const subnet = f.subnet;
  if (!subnet) return false;
  const route = lookupRoute(subnet.routeTable, dstIp());
  if (!route) return false;
  // A subnet's probe host has no public address: whether real hosts there have one is not known.
  if (s.kind === 'subnet' && d.kind === 'internet' && route.target.kind === 'igw') return false;
  return d.kind === 'internet' || route.prefix.len > 0;
}

/** The flow spec of a pair. */
export function flowOf(s: SourceClass, d: DestClass, sport?: number): FlowSpec {
  return { src: s.rep, dst: d.rep, proto: d.proto, ...(sport ? { sport } : {}) };
}

/** The pair's verdict: delivered only when every branch is. */
export function pairVerdict(traces: Trace[]): Trace['verdict'] {
  return traces.find((t) => t.verdict !== 'delivered')?.verdict ?? 'delivered';
}

/**
 * Picks a pod destination on another node than the source's representative
 * when the class has one, so pod-to-pod traffic across nodes is what gets
 * traced (the class may group several nodes with one profile).
 */
function destFor(w: World, s: SourceClass, d: DestClass): DestClass {
  if (d.kind !== 'pods' || s.kind !== 'pods') return d;
  const name = s.rep.slice('pod:'.length);
  const srcNode = w.pods.get(name)?.node;
  if (!srcNode) return d;
  const pods = classPods(w, d);
  const other = pods.find((p) => p.node !== srcNode) ?? pods.find((p) => p.name !== name);
  return other ? { ...d, ip: formatIpv4(other.ip), rep: `pod:${other.name}:${d.port}` } : d;
}

const classPodLists = new WeakMap<World, Map<string, PodRecord[]>>();

/** A pod class's pods in estate order (its nodes' own pod lists, not every pod of the estate), once per world and class. */
function classPods(w: World, d: DestClass): PodRecord[] {
  let byClass = classPodLists.get(w);
  if (!byClass) classPodLists.set(w, (byClass = new Map()));
  let pods = byClass.get(d.key);
  if (!pods) {
    const order = podOrder(w);
    pods = (d.nodes ?? []).flatMap((n) => [...(w.nodes.get(n)?.pods.values() ?? [])]).sort((a, b) => order.get(a)! - order.get(b)!);
    byClass.set(d.key, pods);
  }
  return pods;
}

const podOrders = new WeakMap<World, Map<PodRecord, number>>();

/** Each pod's place in the estate, once per world. */
function podOrder(w: World): Map<PodRecord, number> {
  let m = podOrders.get(w);
  if (!m) podOrders.set(w, (m = new Map([...w.pods.values()].map((p, i) => [p, i]))));
  return m;
}

const MAX_PORT_TRIES = 3;

/** Destination kinds whose port podpath chose (PROBE_PORT), not the estate: a probe host, a pod, routed space. */
export const CHOSEN_PORT: ReadonlySet<DestClass['kind']> = new Set(['subnet', 'pods', 'routed', 'internet']);

/** The class traced on another port (a pod class keeps its chosen pod). */
function atPort(d: DestClass, port: number): DestClass {
  const rep = d.kind === 'pods' ? `${d.rep.slice(0, d.rep.lastIndexOf(':'))}:${port}` : `${d.ip}:${port}`;
  return { ...d, port, rep };
}

/**
 * A probe's port is arbitrary: when the probe port is filtered by a
 * network ACL or security group whose allow rules name other ports, the class
 * is reachable on those (e.g. a database subnet whose NACL admits only 5432),
 * so they are tried too (at most MAX_PORT_TRIES). The first delivered port's
 * traces stand for the pair; the notes of the trace say which port it is.
 * Returns the traces and the destination they went to.
 */
function probeTraces(w: World, s: SourceClass, d: DestClass, trace: (flow: FlowSpec) => Trace[]): { traces: Trace[]; dest: DestClass } {
  const first = trace(flowOf(s, d));
  if (pairVerdict(first) === 'delivered') return { traces: first, dest: d };
  const b = blame(first.find((t) => t.verdict !== 'delivered')!);
  if (!b || b.trip !== 'forward') return { traces: first, dest: d };
  let further: { traces: Trace[]; dest: DestClass } | undefined;
  for (const port of admittedPorts(w, b.hop, d.proto).filter((p) => p !== d.port).slice(0, MAX_PORT_TRIES)) {
    const dest = atPort(d, port);
    const traces = trace(flowOf(s, dest));
    if (pairVerdict(traces) === 'delivered') return { traces, dest };
    // A request that got through on an admitted port shows more of the path (its reply's fate) than one filtered at once.
    if (!further && traces.some((t) => t.reply !== undefined)) further = { traces, dest };
  }
  return further ?? { traces: first, dest: d };
}

/** Ports the allow rules of a filtering hop name for a protocol, in rule order. */
function admittedPorts(w: World, h: Hop, proto: DestClass['proto']): number[] {
  const rules = h.kind === 'nacl'
    ? (w.estate.networkAcls.find((a) => a.id === h.acl)?.[h.direction] ?? []).filter((r) => r.action === 'allow')
    : h.kind === 'security-group'
      ? w.estate.securityGroups.filter((g) => h.groups.includes(g.id)).flatMap((g) => g[h.direction])
      : [];
  return [...new Set(rules.filter((r) => r.proto === proto && r.ports).map((r) => Math.max(1, r.ports!.from)))];
}

/** Client ports a delivered pair is traced from again (`when` picks the pairs). */
export interface EdgePorts {
  sports: readonly number[];
  when: (traces: Trace[]) => boolean;
}

/**
 * Traces one pair that should be traced (undefined when the destination is
 * the source itself); a delivered pair that `edges.when` picks is traced
 * again from each of `edges.sports` to the destination it was traced to (the
 * same pod, the same probe port), and its failing branches are added to the
 * pair. `made` sees every trace made for the pair, kept or not.
 */
export function tracePair(w: World, s: SourceClass, d0: DestClass, edges?: EdgePorts, made?: (traces: Trace[]) => void): PairResult | undefined {
  const d = destFor(w, s, d0);
  if (s.ip === d.ip || d.rep === `${s.rep}:${d.port}`) return undefined;
  // Every trace made for the pair goes through here, so `made` sees each.
  const trace = (flow: FlowSpec): Trace[] => {
    const traces = traceFlow(w, flow);
    made?.(traces);
    return traces;
  };
  const { traces, dest } = CHOSEN_PORT.has(d.kind) ? probeTraces(w, s, d, trace) : { traces: trace(flowOf(s, d)), dest: d };
  const pair: PairResult = { key: `${s.key} -> ${d0.key}`, src: s.key, dst: d0.key, verdict: pairVerdict(traces), traces };
  if (edges && pair.verdict === 'delivered' && dest.proto !== 'icmp' && edges.when(traces)) {
    for (const sport of edges.sports) {
      const again = trace(flowOf(s, dest, sport));
      if (pairVerdict(again) !== 'delivered') pair.traces.push(...again);
    }
    pair.verdict = pairVerdict(pair.traces);
  }
  return pair;
}

/**
 * Traces every pair that should be traced (tracePair), in order: sources,
 * then destinations. `traced` sees each pair as soon as it is traced, with
 * its traces, before the next pair is traced. `known` may answer a pair
 * instead (a result known to be what tracing it would give). `made` sees
 * every trace made for a pair (by the pair's key), kept or not.
 */
export function tracePairs(
  w: World, sources: SourceClass[], dests: DestClass[], edges?: EdgePorts, sourceDone?: (done: number) => void,
  traced?: (pair: PairResult, s: SourceClass, d: DestClass) => void,
  known?: (s: SourceClass, d: DestClass) => PairResult | undefined,
  made?: (pair: string, traces: Trace[]) => void,
): PairResult[] {
  const out: PairResult[] = [];
  // Each destination's address is parsed once for all sources (when first needed).
  const dstIps = new Array<Ipv4 | undefined>(dests.length);
  for (const [i, s] of sources.entries()) {
    sourceDone?.(i);
    const facts = new SourceFacts(w, s);
    for (let j = 0; j < dests.length; j++) {
      const d = dests[j]!;
      if (!traceable(facts, d, () => (dstIps[j] ??= parseIpv4(d.ip)))) continue;
      const pair = known?.(s, d) ?? tracePair(w, s, d, edges, made && ((t) => made(`${s.key} -> ${d.key}`, t)));
      if (!pair) continue;
      traced?.(pair, s, d);
      out.push(pair);
    }
  }
  sourceDone?.(sources.length);
  return out;
}
