/**
 * `doctor(estate)`: what is broken or fragile in an estate, why, with proof.
 *
 * 1. Destination classes from prefix atoms; synthetic probe hosts for subnet
 *    classes with no host of their own (probes.ts); one World compiled for all.
 * 2. Source classes from node profiles, plain instances, RDS.
 * 3. One representative trace per class pair that should connect (pairs.ts);
 *    for pairs that cross an explicit NACL, the two ends of Linux's ephemeral
 *    port range are traced too (32768 and 60999).
 * 4. Findings from the failed traces (classify.ts), the DNS checks (dns.ts)
 *    and the address-plan checks (overlaps.ts), grouped by a stable key.
 *
 * Guarantees: pure; the input estate is not changed; the same estate gives
 * the same result (order included); every finding carries at least one
 * affected pair or one evidence trace; evidence traces are Trace objects as
 * the trace engine made them.
 */
import type { Estate } from '../model/estate.js';
import type { NaclRule, NetworkAcl } from '../model/aws.js';
import { compileWorld, type RulesetCache, type World } from '../trace/world.js';
import type { Trace } from '../trace/types.js';
import { destinationClasses, nodeGroups, sourceClasses, type ProbeSlot } from './classes.js';
import { classesKept, MentionCounts } from './session-classes.js';
import { withProbes } from './probes.js';
import { withInferredSubnets } from '../trace/synthetic-hosts.js';
import { tracePair, tracePairs, type EdgePorts } from './pairs.js';
import { detect, type Detection } from './classify.js';
import { dnsFindings, type MissedTraces } from './dns.js';
import { changedElements, sameJson, traceDependencies } from './estate-diff.js';
import { insertMayChange, insertProbe, netfilterViews, type InsertProbe, type NetfilterView } from './insert-reach.js';
import type { Ruleset } from '../linux/iptables/types.js';
import { droppedAtPeering } from './redecide.js';
import { blame } from './blame.js';
import { peeringFindings } from './peerings.js';
import { agentChainFindings } from './agent-chain.js';
import { podToNodeInvariants, podToPodInvariant } from './invariants.js';
import { overlapFindings, transitiveRoutes, vpcNativePods } from './overlaps.js';
import { formatPrefix } from '../net/prefix.js';
import { docPath, entry, SEVERITY_RANK } from './catalog.js';
import type { Invariant } from '../fix/types.js';
import type { DestClass, DoctorResult, Finding, FindingFacts, PairResult, SourceClass } from './types.js';

/** Client ports at the ends of Linux's default net.ipv4.ip_local_port_range. */
export const EPHEMERAL_EDGES = [32768, 60999] as const;
const MAX_EVIDENCE = 4;

/** The classes doctor derived for a world, with the probe slots its destination classes placed. */
export interface WorldClasses {
  sources: SourceClass[];
  destinations: DestClass[];
  atoms: number;
  probes: ProbeSlot[];
}

/**
 * How a compile takes over from an earlier one (a session's check): `base` is
 * the earlier unprobed world (its records are taken where the inputs are the
 * same objects, trace/world-reuse.ts); `keep` may answer the earlier classes
 * when the change cannot alter them (session-classes.ts).
 */
export interface WorldReuse {
  base?: World;
  keep?: (unprobed: World) => WorldClasses | undefined;
}

/** The world doctor traces in: the estate (with inferred subnets for VPCs described without any) plus its probe hosts. */
export function doctorWorld(estate: Estate, rulesets: RulesetCache = new Map(), reuse: WorldReuse = {}): WorldClasses & { world: World; unprobed: World; assumptions: string[] } {
  const { estate: base, inferred } = withInferredSubnets(estate);
  // The probed estate has the same nodes: their dumps are parsed once (and a session's checks of changed copies reuse them).
  const unprobed = compileWorld(base, { rulesets, ...(reuse.base ? { base: reuse.base } : {}) });
  const kept = reuse.keep?.(unprobed);
  // Probes add hosts, not nodes: the unprobed world's node groups serve both class kinds.
  const groups = kept ? undefined : nodeGroups(unprobed);
  const plan = kept ?? destinationClasses(unprobed, groups);
  const probed = withProbes(base, plan.probes);
  const world = compileWorld(probed.estate, { rulesets, base: unprobed });
  const native = vpcNativePods(world).map((b) => formatPrefix(b));
  const assumptions = [...inferred, ...(native.length ? [`pods use VPC addresses (no pod bridge on any node, every pod address inside its node's VPC): inferred VPC-native pod networking (AWS VPC CNI), so the pod CIDR overlapping ${native.join(', ')} is not reported`] : [])];
  if (kept) return { ...kept, world, unprobed, assumptions };
  const sending = subnetsWithHosts(base);
  const hostless = plan.probes.filter((p) => p.key === `subnet:${p.subnet}` && !sending.has(p.subnet));
  const subnetSources = hostless.map((p) => ({ slot: p, instance: probed.bySlot.get(p.key)! }));
  const groupNames = groups!.map((g) => g.map((n) => n.node.name));
  const sources = sourceClasses(world, probed.ids, subnetSources, groupNames);
  return { world, unprobed, sources, destinations: plan.destinations, atoms: plan.atoms, probes: plan.probes, assumptions };
}

/** Subnets anything sends from: an instance (nodes included), an RDS instance or a NAT gateway. */
function subnetsWithHosts(e: Estate): Set<string> {
  return new Set([...e.instances, ...e.rdsInstances, ...e.natGateways].map((x) => x.subnet));
}

/** How doctor reports its progress (for a CLI's progress line; doctor itself stays pure). */
export interface DoctorOptions {
  /** Called at each phase start and, while tracing, after each source class (`done` of `total`). */
  progress?: (phase: 'classes' | 'tracing' | 'checks', done: number, total: number) => void;
}

/** Runs every check; see the module comment. */
export function doctor(estate: Estate, options: DoctorOptions = {}): DoctorResult {
  return run(estate, options);
}

/**
 * A doctor run that can check changed copies of its estate (fix proves each
 * candidate on one): `check(changed)` equals `doctor(changed)` but takes over
 * the pairs of this run that the change cannot touch, instead of tracing them
 * again, and reuses what it compiled.
 *
 * The changed world is compiled on this run's world as base: records whose
 * inputs are the same objects are taken (trace/world-reuse.ts; what-ifs are
 * copy on write, fix/what-if.ts), and the parsed dumps are shared unless the
 * change edits a dump's text. The classes are this run's when the change
 * cannot alter them (session-classes.ts), else those of the last check that
 * derived its own when the change from that check's copy cannot alter them,
 * else derived again.
 *
 * A pair is taken over when (1) the change is narrowed to route tables' routes,
 * security groups' and network ACLs' rules, nodes' iptables dumps or inserts
 * and interfaces' source/dest checks (estate-diff.ts; any other change traces
 * everything), (2) the pair's source and destination classes and every probe
 * host come out the same (classes derived again may leave most as they were:
 * a source/dest check moves one node into or out of its peers' group), (3)
 * none of the elements that every trace doctor made for it consulted changed
 * (kept traces and those it made and did not keep: other probe ports,
 * ephemeral-port edges; redecide.ts unkeptTraces): a trace is a function of
 * what its hops consulted, and every consultation leaves a hop naming the
 * element; a node that got one iptables rule inserted counts as unchanged for
 * a pair none of whose netfilter hops on it the rule can see (insert-reach.ts:
 * a rule reading the packet and the out interface only, failing by two
 * matches or never visited); and (4) no trace made for it was dropped at a
 * peering: the walk past such a drop (trace.ts
 * stackedFaults) keeps no hops, so such a pair is traced again. What doctor
 * detected on a taken pair's traces is detected again as it was: detectors
 * read the trace and the estate's structure (VPCs, subnets, ENIs, peerings,
 * groups' members), which such a change leaves as it was, and the rules of
 * elements the trace consulted.
 * What is not per pair (DNS, address plan, peerings, invariants of pods to
 * nodes) is computed again, except that the traces of DNS queries that miss
 * a VIP's DNAT (dns.ts, traced on a what-if world) are taken from the first
 * run under the same conditions as a pair.
 */
export interface DoctorSession {
  result: DoctorResult;
  check: (changed: Estate) => DoctorResult;
  /**
   * Whether every pair of `pairs` (`src -> dst` class keys) is delivered on
   * `changed`, as `check(changed)` would find it (a pair whose classes are
   * gone, or that is not traced, is not): the same world and classes, each
   * pair traced or taken over as that check does, and nothing else. A check
   * of the same copy right after a yes reuses the world compiled here.
   */
  delivers: (changed: Estate, pairs: readonly string[]) => boolean;
}

/** Starts a session on an estate (see DoctorSession). */
export function doctorSession(estate: Estate, options: DoctorOptions = {}): DoctorSession {
  const memo: Memo = { estate, rulesets: new Map(), pairs: new Map(), dns: new Map() };
  const result = run(estate, options, { memo, keep: true });
  return {
    result,
    check: (changed) => run(changed, {}, reuseFor(changed)),
    delivers: (changed, pairs) => {
      const reuse = reuseFor(changed);
      const dw = checkWorld(changed, reuse);
      memo.compiled = { estate: changed, dw };
      const srcOf = new Map(dw.sources.map((x) => [x.key, x]));
      const dstOf = new Map(dw.destinations.map((x) => [x.key, x]));
      const edges = doctorEdges(dw.world);
      const takeOver = takeOverFrom(reuse, dw);
      const all = pairs.every((key) => {
        const [src, dst] = key.split(' -> ');
        const s = srcOf.get(src!);
        const d = dstOf.get(dst!);
        return s !== undefined && d !== undefined && tracePairs(dw.world, [s], [d], edges, undefined, undefined, takeOver)[0]?.verdict === 'delivered';
      });
      // Kept for the check that follows a yes; a no is usually the end of that copy.
      if (!all) memo.compiled = undefined;
      return all;
    },
  };

  function reuseFor(changed: Estate): Reuse {
    const touched = changedElements(estate, changed);
    return { memo, keep: false, ...(touched ? { touched } : {}) };
  }
}

/** What a session keeps of its first run. */
interface Memo {
  estate: Estate;
  rulesets: RulesetCache;
  /**
   * The first run's world before its probes (the base of a check's compile) and its classes; as JSON (when a
   * check derives its own): the probe slots, and each class by key.
   */
  first?: { unprobed: World; plan: WorldClasses; counts?: MentionCounts; json?: { probes: string; sources: Map<string, string>; destinations: Map<string, string> } };
  /**
   * Per pair: what every trace made for it consulted (kept or not: redecide.ts unkeptTraces), whether one was
   * dropped at a peering (the walk past the drop keeps no hops: trace.ts stackedFaults), what was detected on
   * its traces (in order), its pod-to-pod invariant and its number of traces.
   */
  pairs: Map<string, { pair: PairResult; deps: ReadonlySet<string>; pastPeeringDrop: boolean; netfilter: readonly NetfilterView[]; detections: { detection: Detection; trace: Trace }[]; invariant?: Invariant; traces: number }>;
  /**
   * The first run's traces of DNS queries that miss a VIP's DNAT (dns.ts), by `SOURCE-KEY|VIP`, with
   * what they consulted, unless one was dropped at a peering (the walk past the drop keeps no hops).
   */
  dns: Map<string, { rep: string; traces: Trace[]; deps: ReadonlySet<string> }>;
  /** The world `delivers` compiled last, for a check of the same copy. */
  compiled?: { estate: Estate; dw: ReturnType<typeof doctorWorld> };
  /** The last check's copy whose classes were derived afresh, with its unprobed world and classes (see checkWorld). */
  lastDerived?: { estate: Estate; unprobed: World; plan: WorldClasses; counts?: MentionCounts };
}

/** How a run uses a session: fill its memo (the first run) or take pairs over from it (touched: the changed elements). */
interface Reuse {
  memo: Memo;
  keep: boolean;
  touched?: ReadonlySet<string>;
}

/**
 * How a check compiles its world: on the first run's world as base, with the
 * first run's classes when the change cannot alter them (session-classes.ts),
 * else with the classes the last check derived afresh when the change from
 * that check's copy cannot alter them (fix checks a candidate that the
 * first run's classes cannot serve, e.g. an instance's source/dest check,
 * with each of a dozen others in turn: one derivation serves them all), and
 * with the first run's parsed dumps when it parses none of its own (a dump
 * whose text changed would be parsed into the cache the session keeps).
 */
function checkWorld(estate: Estate, reuse: Reuse) {
  const { memo, touched } = reuse;
  if (memo.compiled?.estate === estate) return memo.compiled.dw;
  const first = memo.first!;
  const before = new Map(memo.estate.nodes.map((n) => [n.name, n.iptables]));
  const sameDumps = estate.nodes.every((n) => before.get(n.name) === n.iptables || (touched !== undefined && !touched.has(`node:${n.name}`)));
  const rulesets = sameDumps ? memo.rulesets : new Map(memo.rulesets);
  let kept: WorldClasses | undefined;
  const keep = (unprobed: World): WorldClasses | undefined => {
    if (touched) kept = classesIfKept(first, memo.estate, { estate, world: unprobed }, touched);
    const last = memo.lastDerived;
    const since = !kept && last && changedElements(last.estate, estate);
    if (last && since) kept = classesIfKept(last, last.estate, { estate, world: unprobed }, since);
    return kept;
  };
  const dw = doctorWorld(estate, rulesets, { base: first.unprobed, keep });
  // Only a copy that shares the session's parsed dumps is kept for later checks (a renumbered copy holds its own).
  if (!kept && sameDumps) memo.lastDerived = { estate, unprobed: dw.unprobed, plan: { sources: dw.sources, destinations: dw.destinations, atoms: dw.atoms, probes: dw.probes } };
  return dw;
}

/** The classes of `from` (a run's unprobed world, of `fromEstate`) when `changes` since it cannot alter them (session-classes.ts). */
function classesIfKept(
  from: { unprobed: World; plan: WorldClasses; counts?: MentionCounts }, fromEstate: Estate, to: { estate: Estate; world: World }, changes: ReadonlySet<string>,
): WorldClasses | undefined {
  from.counts ??= new MentionCounts(from.unprobed);
  return classesKept(from.counts, { estate: fromEstate, world: from.unprobed }, to, changes) ? from.plan : undefined;
}

/**
 * How a check answers a pair from the first run (see DoctorSession): for a
 * narrowed change, when the probe hosts and the pair's two classes came out
 * the same, a pair that was not dropped at a peering and none of whose
 * consulted elements changed, except nodes that got one iptables rule
 * inserted that none of the pair's netfilter hops on them, in any trace made
 * for it, can see (insert-reach.ts, as the incremental check keeps such pairs).
 */
function takeOverFrom(reuse: Reuse, dw: ReturnType<typeof doctorWorld>): ((s: SourceClass, d: DestClass) => PairResult | undefined) | undefined {
  const { memo, touched } = reuse;
  const first = memo.first;
  if (!touched || !first) return undefined;
  // Classes kept from the first run are its own objects. Classes derived again may still leave a pair's
  // own as they were (a source/dest check moves one node into or out of its peers' group): the probe
  // hosts must all be the first run's (synthetic hosts named in traces), the pair's two classes its own.
  let same = (_: SourceClass, __: DestClass): boolean => true;
  if (first.plan.sources !== dw.sources) {
    const byKey = (list: readonly (SourceClass | DestClass)[]) => new Map(list.map((x) => [x.key, JSON.stringify(x)]));
    first.json ??= { probes: JSON.stringify(first.plan.probes), sources: byKey(first.plan.sources), destinations: byKey(first.plan.destinations) };
    if (JSON.stringify(dw.probes) !== first.json.probes) return undefined;
    const { sources, destinations } = first.json;
    const seen = new Map<SourceClass | DestClass, boolean>();
    const unchanged = (x: SourceClass | DestClass, of: Map<string, string>) => {
      let v = seen.get(x);
      if (v === undefined) seen.set(x, (v = of.get(x.key) === JSON.stringify(x)));
      return v;
    };
    same = (s, d) => unchanged(s, sources) && unchanged(d, destinations);
  }
  const probes = new InsertProbes(first.unprobed, dw.unprobed);
  const insertUnseen = (k: string, netfilter: readonly NetfilterView[]): boolean => {
    if (!k.startsWith('node:')) return false;
    const name = k.slice('node:'.length);
    const probe = probes.of(name);
    return probe !== undefined && netfilter.every((v) => v.at !== name || !insertMayChange(probe, v));
  };
  return (s, d) => {
    const m = memo.pairs.get(`${s.key} -> ${d.key}`);
    if (!m || m.pastPeeringDrop || !same(s, d)) return undefined;
    for (const k of m.deps) if (touched.has(k) && !insertUnseen(k, m.netfilter)) return undefined;
    return m.pair;
  };
}

/**
 * The DNS what-if traces a run records (the first run of a session) or takes
 * from the first run (a check that may take pairs over: a narrowed change, the
 * same probe hosts): those sent from the same representative, none of whose
 * consulted elements changed.
 */
function missedTraces(reuse: Reuse | undefined, takesOver: boolean): MissedTraces {
  if (!reuse) return {};
  const { memo, touched } = reuse;
  if (reuse.keep) {
    return { made: (key, rep, traces) => { if (!traces.some((t) => droppedAtPeering(t) !== undefined)) memo.dns.set(key, { rep, traces, deps: traceDependencies(traces) }); } };
  }
  if (!takesOver || !touched) return {};
  return {
    known: (key, rep) => {
      const m = memo.dns.get(key);
      if (!m || m.rep !== rep) return undefined;
      for (const k of m.deps) if (touched.has(k)) return undefined;
      return m.traces;
    },
  };
}

/**
 * The probes of the nodes a copy changed by one iptables insert appended to
 * the same dump and earlier inserts, one per pair of rule sets (thousands of
 * nodes share a handful); undefined for any other node change.
 */
class InsertProbes {
  private readonly byNode = new Map<string, InsertProbe | undefined>();
  private readonly byRulesets = new Map<Ruleset, Map<Ruleset, InsertProbe | undefined>>();

  constructor(private readonly before: World, private readonly after: World) {}

  of(name: string): InsertProbe | undefined {
    if (!this.byNode.has(name)) this.byNode.set(name, this.probe(name));
    return this.byNode.get(name);
  }

  private probe(name: string): InsertProbe | undefined {
    const a = this.before.nodes.get(name);
    const b = this.after.nodes.get(name);
    if (!a || !b || a.nft || b.nft || a.node.iptables !== b.node.iptables) return undefined;
    const [was, now] = [a.node.iptablesInserts, b.node.iptablesInserts];
    if (now.length !== was.length + 1 || !was.every((x, i) => sameJson(x, now[i]))) return undefined;
    const ins = now[was.length]!;
    let byAfter = this.byRulesets.get(a.ruleset);
    if (!byAfter) this.byRulesets.set(a.ruleset, (byAfter = new Map()));
    if (!byAfter.has(b.ruleset)) byAfter.set(b.ruleset, insertProbe(a.ruleset, b.ruleset, ins.table, ins.chain, false));
    return byAfter.get(b.ruleset);
  }
}

function run(estate: Estate, options: DoctorOptions, reuse?: Reuse): DoctorResult {
  const progress = options.progress ?? (() => undefined);
  progress('classes', 0, 1);
  const dw = reuse && !reuse.keep ? checkWorld(estate, reuse) : doctorWorld(estate, reuse?.memo.rulesets);
  if (reuse?.keep) reuse.memo.first = { unprobed: dw.unprobed, plan: { sources: dw.sources, destinations: dw.destinations, atoms: dw.atoms, probes: dw.probes } };
  const { world: w, sources, destinations, atoms, assumptions } = dw;
  const srcOf = new Map(sources.map((s) => [s.key, s]));
  const dstOf = new Map(destinations.map((d) => [d.key, d]));
  const findings = new Findings(srcOf, dstOf);
  const invariants: Invariant[] = [];
  const edges = doctorEdges(w);
  let traces = 0;
  const memo = reuse?.memo;
  if (memo) memo.compiled = undefined;
  const takeOver = reuse && !reuse.keep ? takeOverFrom(reuse, dw) : undefined;
  // What every trace made for a pair consulted, kept or not (the first run only).
  const made = memo && reuse.keep ? new Map<string, { deps: Set<string>; pastPeeringDrop: boolean; netfilter: NetfilterView[] }>() : undefined;
  const note = made && ((key: string, ts: Trace[]) => {
    let m = made.get(key);
    if (!m) made.set(key, (m = { deps: new Set(), pastPeeringDrop: false, netfilter: [] }));
    netfilterViews(ts, m.netfilter);
    for (const k of traceDependencies(ts)) m.deps.add(k);
    if (ts.some((t) => droppedAtPeering(t) !== undefined)) m.pastPeeringDrop = true;
  });
  // Each pair is read as soon as it is traced; a delivered pair's traces are then let go (see releaseTraces).
  const pairs = tracePairs(w, sources, destinations, edges, (done) => progress('tracing', done, sources.length), (p, s, d) => {
    // A pair taken over is the first run's own object: what was detected on its traces is detected again.
    const taken = takeOver && memo?.pairs.get(p.key);
    if (taken && taken.pair === p) {
      traces += taken.traces;
      for (const { detection, trace } of taken.detections) findings.add(detection, [trace], p);
      if (taken.invariant) invariants.push(taken.invariant);
      return;
    }
    traces += p.traces.length;
    const detections: { detection: Detection; trace: Trace }[] = [];
    for (const t of p.traces) for (const x of detect(w, s, d, t)) {
      findings.add(x, [t], p);
      detections.push({ detection: x, trace: t });
    }
    const inv = podToPodInvariant(p);
    if (inv) invariants.push(inv);
    const m = made?.get(p.key);
    if (memo && m) memo.pairs.set(p.key, { pair: p, deps: m.deps, pastPeeringDrop: m.pastPeeringDrop, netfilter: m.netfilter, detections, traces: p.traces.length, ...(inv ? { invariant: inv } : {}) });
    // A pair to a nameserver is read again at once (dnsFindings): kept.
    if (p.verdict === 'delivered' && d.kind !== 'dns') releaseTraces(p, () => tracePair(w, s, d, edges)!.traces);
  }, takeOver, note);
  progress('checks', 0, 1);
  const byKey = new Map(pairs.map((p) => [p.key, p]));
  for (const f of dnsFindings(w, sources, byKey, missedTraces(reuse, takeOver !== undefined))) findings.add(f.detection, f.evidence, f.pair);
  for (const f of [...overlapFindings(w, sources), ...transitiveRoutes(w, sources)]) findings.add(f.detection, f.evidence);
  for (const d of peeringFindings(estate)) findings.add(d, []);
  for (const d of agentChainFindings(w)) findings.add(d, []);
  // No silent failure: an undelivered pair no detector named gets the element that decided it.
  for (const p of pairs) {
    if (p.verdict === 'delivered' || findings.covers(p)) continue;
    const t = p.traces.find((x) => x.verdict !== 'delivered')!;
    findings.add(blockedDetection(t), [t], p);
  }
  if (sources.length === 0 || pairs.length === 0) findings.add(nothingChecked(sources.length, destinations.length), []);
  return {
    estate: estate.file ?? estate.name,
    sources,
    destinations,
    pairs,
    findings: findings.list(),
    invariants: [...invariants, ...podToNodeInvariants(w, sources)],
    assumptions,
    stats: { atoms, destinationClasses: destinations.length, sourceClasses: sources.length, tracedPairs: pairs.length, traces },
  };
}

/**
 * The ephemeral-port re-trace doctor does: delivered pairs that cross an
 * explicit network ACL with a rule that names ports, from both ends of
 * Linux's range. An ACL whose rules name no port (all traffic, ICMP) treats
 * every client port alike, so the trace already made stands for them.
 */
export function doctorEdges(w: World): EdgePorts {
  const explicit = new Map([...w.subnets.values()].filter((s) => !s.aclDerived).map((s) => [s.acl.id, s.acl]));
  return { sports: EPHEMERAL_EDGES, when: (traces) => traces.some((t) => [...t.forward, ...(t.reply ?? [])].some((h) => h.kind === 'nacl' && aclNamesPorts(explicit.get(h.acl)))) };
}

/** Whether a rule list names ports, per list (what-ifs replace lists rather than edit them). */
const namesPorts = new WeakMap<readonly NaclRule[], boolean>();

/** True when some rule of the ACL matches on ports (TCP, UDP or another protocol with a port range). */
export function aclNamesPorts(acl: NetworkAcl | undefined): boolean {
  if (!acl) return false;
  return [acl.ingress, acl.egress].some((list) => {
    let v = namesPorts.get(list);
    if (v === undefined) namesPorts.set(list, (v = list.some((r) => r.ports !== undefined && r.proto !== 'all' && r.proto !== 'icmp')));
    return v;
  });
}

/**
 * A delivered pair's traces are what most of a large estate's memory went to
 * (about 34 KB a trace, 12,000 traces on 1,000 VPCs), and doctor has read them
 * once traced. They are dropped and traced again when something reads them
 * later (fix, diff, a report): the same function of the same world, so the same
 * traces. The first read keeps them.
 */
function releaseTraces(p: PairResult, again: () => Trace[]): void {
  Object.defineProperty(p, 'traces', {
    enumerable: true,
    configurable: true,
    get: () => {
      const traces = again();
      Object.defineProperty(p, 'traces', { value: traces, enumerable: true, configurable: true, writable: true });
      return traces;
    },
  });
}

/** PP110: the generic finding of an undelivered pair, naming the element that decided it (blame.ts). */
function blockedDetection(t: Trace): Detection {
  const b = blame(t)!;
  return {
    id: 'PP110', key: `PP110|${b.element}`, title: `${b.label} stops traffic the routes carry (${t.flow.src} -> ${t.flow.dst})`,
    message: t.reason, location: b.location, facts: {},
  };
}

/** PP100: nothing to trace, so "no findings" would be empty. */
function nothingChecked(sources: number, destinations: number): Detection {
  const what = sources === 0 ? 'no source class (no node, pod, instance or subnet to send from)' : `no pair to trace between ${sources} source and ${destinations} destination class(es) (no route sends any of them anywhere)`;
  return { id: 'PP100', key: 'PP100', title: `nothing was checked: ${what}`, message: `doctor found ${what}; its silence would say nothing about this network.`, location: { awsId: 'estate' }, facts: {} };
}

/** Groups detections into findings by key. */
class Findings {
  private readonly map = new Map<string, Finding>();
  constructor(private readonly srcs: Map<string, SourceClass>, private readonly dsts: Map<string, DestClass>) {}

  add(d: Detection, evidence: Trace[], pair?: PairResult): void {
    let f = this.map.get(d.key);
    if (!f) {
      const e = entry(d.id);
      f = { id: d.id, name: e.name, severity: d.severity ?? e.severity, key: d.key, title: d.title, message: d.message, location: d.location, pairs: [], evidence: [], facts: {}, doc: docPath(d.id) };
      this.map.set(d.key, f);
    }
    mergeFacts(f.facts, d.facts);
    for (const t of evidence) if (f.evidence.length < MAX_EVIDENCE && !f.evidence.includes(t)) f.evidence.push(t);
    if (pair && !f.pairs.some((x) => x.src === pair.src && x.dst === pair.dst)) {
      f.pairs.push({ src: pair.src, dst: pair.dst, srcLabel: this.srcs.get(pair.src)?.label ?? pair.src, dstLabel: this.dsts.get(pair.dst)?.label ?? pair.dst, verdict: pair.verdict });
    }
  }

  /** True when some finding lists this pair. */
  covers(p: PairResult): boolean {
    for (const f of this.map.values()) if (f.pairs.some((x) => x.src === p.src && x.dst === p.dst)) return true;
    return false;
  }

  list(): Finding[] {
    return [...this.map.values()].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.id.localeCompare(b.id) || a.key.localeCompare(b.key));
  }
}

function mergeFacts(into: FindingFacts, from: FindingFacts): void {
  for (const [k, v] of Object.entries(from) as [keyof FindingFacts, unknown][]) {
    if (v === undefined) continue;
    const cur = into[k];
    if (Array.isArray(v)) (into as Record<string, unknown>)[k] = [...new Set([...(Array.isArray(cur) ? cur : []), ...v])];
    else if (cur === undefined) (into as Record<string, unknown>)[k] = v;
  }
}
