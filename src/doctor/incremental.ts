/**
 * Incremental re-check (issue 15): after one route, security group rule,
 * network ACL rule or iptables rule changes, only the class pairs whose traces
 * consulted the changed element are looked at again, and of those only the
 * ones whose hops decide differently now are traced again.
 *
 * Why that is exact: a trace is a deterministic function of the elements it
 * consulted, and every consultation leaves a hop naming the element (a route
 * table, a security group, a network ACL, a node's netfilter/routing). A pair
 * that never met the changed element cannot change. Doctor also traces more
 * than it keeps: a failed probe is retried on other ports and the
 * ephemeral-port edges are traced (pairs.ts), and only some of those traces
 * are kept (redecide.ts unkeptTraces); tracePairs hands out every trace it
 * made (`made`), so such a pair also depends on what those consulted. Past a
 * drop at a peering the engine walks on for the faults stacked behind it
 * (trace.ts stackedFaults) and keeps only the rule it ends at: such a pair
 * also depends on every route table, NACL and security group of the VPCs its
 * traces met and of the peering's two VPCs, and on its destination class's
 * nodes, an over-approximation of what that walk consulted. Not covered: that
 * walk leaving those VPCs through a transit or NAT gateway into a third VPC
 * and meeting an element there.
 * Two more things depend on a change and are handled apart:
 * - which pairs exist: a source is traced to a destination its subnet's
 *   route table routes (pairs.ts shouldTrace), so a route change re-decides
 *   that for every source in a subnet using the table;
 * - the classes themselves: they come from the prefixes the estate mentions
 *   and from node profiles (classes.ts). A change that adds the first mention
 *   of a prefix or removes the last one, changes the route that decides a
 *   node's own pod route, or changes only some nodes of a class, can split or
 *   merge classes: then everything is recomputed (`mode: 'full'`, with why).
 *
 * Hop-level re-decision (redecide.ts): for a route, security group or NACL
 * change, each affected pair's hops that consulted the changed element are
 * decided again by the engine's own step functions from the hop's recorded
 * input; when every one comes out as the same hop record (decision, cited rule
 * with its index or number, packet out, notes), the pair's traces are kept,
 * otherwise the pair is traced again. Pairs for which doctor traced more than
 * it kept (edge ports, other probe ports, faults past a peering drop) are
 * traced again (redecide.ts pairHolds). A network ACL rule change narrows
 * further, by the rule number that decided each hop (naclPairs): first match
 * by number means a hop decided by rule N changes only when a rule numbered N
 * or lower is added and matches its packet, or when rule N is removed.
 * An iptables insert is not re-decided by re-running the hook walk: a
 * netfilter hop's decision depends on the node's conntrack state at that
 * point of the trace (the NAT bindings and connmark the node's earlier pass
 * recorded, applied to the reply; ctstate and connmark matches), which the hop
 * records do not hold (trace/node-steps.ts records the entry after the node's
 * whole pass). Instead a pair is kept when no netfilter hop of the inserted
 * chain's hook on the nodes it reaches, in any trace made for the pair, can be
 * changed by the rule: one reading only the packet's addresses, protocol and
 * ports that provably does not match the packet the table saw and cannot be
 * reported as a near miss there (insert-reach.ts, insertKeeps). Every other
 * pair that walked the hook is traced again, and every pair of theirs for an
 * insert into a user chain.
 *
 * The checker works on its own copy of the estate and world, changed in place;
 * the input estate is never changed. `pairs()` equals what `doctor` traces on
 * the changed estate (a property test checks it on random change sequences).
 * Scope: the class-pair matrix (PairResult); findings are derived from it by
 * doctor.
 */
import type { Estate } from '../model/estate.js';
import type { NaclRule, Route, SgRule } from '../model/aws.js';
import type { Node } from '../model/k8s.js';
import { PodpathError } from '../model/errors.js';
import { parseIpv4 } from '../net/ipv4.js';
import { contains, formatPrefix, parseCidr } from '../net/prefix.js';
import { compileRouteTable, type CompiledRouteTable } from '../aws/route-table.js';
import { insertRules } from '../linux/iptables/insert.js';
import { copyEstate } from '../fix/what-if.js';
import type { NodeRecord, World } from '../trace/world.js';
import { aclNamesPorts, doctorEdges, doctorWorld } from './doctor.js';
import { shouldTrace, sourceSubnet, tracePairs, type EdgePorts } from './pairs.js';
import { decidingNumber, droppedAtPeering, HopRedecider, pairHolds, unkeptTraces, type ChangedElement } from './redecide.js';
import type { Hop, Trace } from '../trace/types.js';
import type { DestClass, PairResult, SourceClass } from './types.js';
import { sameJson, traceDependencies } from './estate-diff.js';
import { forEachNatPrefix } from './classes.js';
import type { Match } from '../linux/iptables/types.js';
import { insertMayChange, insertProbe, netfilterViews, type InsertProbe, type NetfilterView } from './insert-reach.js';

type Op = 'add' | 'remove';
/** What every trace made for a pair consulted (dependency keys), the peerings where one was dropped, and its netfilter hops. */
interface Made { deps: Set<string>; peerings: Set<string>; netfilter: NetfilterView[] }
type IptablesInsert = Node['iptablesInserts'][number];

/**
 * One change to an estate. `remove` takes out the first equal rule; `add`
 * appends, or inserts at list index `at` (a security group rule inserted
 * before others shifts their index, which hop records cite).
 */
export type EstateChange =
  | { kind: 'route'; table: string; op: Op; route: Route; at?: number }
  | { kind: 'sg-rule'; group: string; direction: 'ingress' | 'egress'; op: Op; rule: SgRule; at?: number }
  | { kind: 'nacl-rule'; acl: string; direction: 'ingress' | 'egress'; op: Op; rule: NaclRule; at?: number }
  | { kind: 'iptables'; nodes: string[]; insert: IptablesInsert };

/** What one `apply` did. */
export interface Recheck {
  mode: 'incremental' | 'full';
  /** Pairs traced again (all of them for `full`). */
  retraced: number;
  /** Pairs whose traces were kept because every hop that consulted the change decided the same again. */
  redecided: number;
  /** Why everything was recomputed. */
  why?: string;
}

/** The estate with the change applied, on a copy (the input is not changed). */
export function applyChange(e: Estate, c: EstateChange): Estate {
  const copy = copyEstate(e);
  changeInPlace(copy, c);
  return copy;
}


/** The list with the item added or its first equal removed: a new list (evaluators remember what they compiled per list). */
function edit<T extends object>(list: T[], op: Op, item: T, what: string, at = list.length): T[] {
  if (op === 'add') return [...list.slice(0, at), item, ...list.slice(at)];
  const i = list.findIndex((x) => sameJson(x, item));
  if (i < 0) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `${what} has no such rule to remove: ${JSON.stringify(item)}`);
  return list.filter((_, j) => j !== i);
}

function changeInPlace(e: Estate, c: EstateChange): void {
  switch (c.kind) {
    case 'route': {
      const t = e.routeTables.find((x) => x.id === c.table);
      if (!t) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no route table '${c.table}'`);
      t.routes = edit(t.routes, c.op, c.route, c.table, c.at);
      return;
    }
    case 'sg-rule': {
      const g = e.securityGroups.find((x) => x.id === c.group);
      if (!g) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no security group '${c.group}'`);
      g[c.direction] = edit(g[c.direction], c.op, c.rule, c.group, c.at);
      return;
    }
    case 'nacl-rule': {
      const a = e.networkAcls.find((x) => x.id === c.acl);
      if (!a) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no network ACL '${c.acl}'`);
      a[c.direction] = edit(a[c.direction], c.op, c.rule, c.acl, c.at);
      return;
    }
    case 'iptables': {
      const byName = nodesByName(e.nodes);
      for (const name of c.nodes) {
        const n = byName.get(name);
        if (!n) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no node '${name}'`);
        n.iptablesInserts = [...n.iptablesInserts, c.insert];
      }
    }
  }
}

/** The nodes by name, per node list (a change to a node group names hundreds of 10,000 nodes); nodes are changed in place, the list is not. */
const nodeIndexes = new WeakMap<Node[], Map<string, Node>>();

function nodesByName(nodes: Node[]): Map<string, Node> {
  let m = nodeIndexes.get(nodes);
  if (!m || m.size !== nodes.length) nodeIndexes.set(nodes, (m = new Map(nodes.map((n) => [n.name, n]))));
  return m;
}

/** The chains netfilter hooks start at: an inserted rule in one is met only by a walk of that hook. */
const HOOK_CHAINS: ReadonlySet<string> = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** The element a change touched, for hop re-decision (undefined: iptables changes are re-traced). */
function elementOf(c: EstateChange): ChangedElement | undefined {
  switch (c.kind) {
    case 'route': return { kind: 'rtb', id: c.table };
    case 'sg-rule': return { kind: 'sg', id: c.group };
    case 'nacl-rule': return { kind: 'acl', id: c.acl, change: { direction: c.direction, op: c.op, rule: c.rule } };
    case 'iptables': return undefined;
  }
}

const cidrKey = (text: string) => formatPrefix(parseCidr(text, { nonAligned: 'mask' }));
/** Prefixes an iptables rule names with -s/-d (nat-table prefixes are class boundaries, classes.ts). */
const rulePrefixes = (rule: string) => [...rule.matchAll(/(?:^|\s)(?:-s|--source|-d|--destination)\s+([0-9./]+)/g)].map((m) => cidrKey(m[1]!));

/** Pair results kept current under changes; see the module comment. */
export class IncrementalCheck {
  private estate: Estate;
  private world!: World;
  private sources!: SourceClass[];
  private dests!: DestClass[];
  private edges!: EdgePorts;
  private redecider!: HopRedecider;
  private bySource = new Map<string, SourceClass>();
  private byDest = new Map<string, DestClass>();
  private destIps = new Map<string, number>();
  /** Dependency keys of every route table, network ACL and security group of each VPC. */
  private vpcKeys = new Map<string, string[]>();
  /** The VPC of each route table, network ACL and security group, by dependency key. */
  private keyVpc = new Map<string, string>();
  private pairMap = new Map<string, PairResult>();
  private deps = new Map<string, Set<string>>();
  /** Nodes with a pod bridge, by the route table of their subnet (a route there may decide their own pod route). */
  private bridgedNodes = new Map<string, NodeRecord[]>();
  /** The compiled route table of each table some subnet uses (changed in place by updateWorld). */
  private compiledTables = new Map<string, CompiledRouteTable>();
  /** The dependency sets each pair is filed in (deps and naclDeps), to take it out when it is dropped. */
  private filedIn = new Map<string, Set<string>[]>();
  /** Pairs by the network ACL hops they have: `acl|direction`, then the rule number that decided (Infinity: `*`). */
  private naclDeps = new Map<string, Map<number, Set<string>>>();
  /** How many times each (prefix, kind) is mentioned by routes, SG and NACL rules, and nat rules. */
  private mentions = new Map<string, number>();
  /** The netfilter hops of every trace made for each pair, kept or not; none for a pair walked past a peering drop (that walk keeps no hops). */
  private madeHops = new Map<string, NetfilterView[]>();
  /** The last iptables insert's probe per node it reached (undefined: its hook's hops are not vouched for). */
  private probes = new Map<string, InsertProbe | undefined>();

  constructor(estate: Estate) {
    this.estate = copyEstate(estate);
    this.rebuild();
  }

  /** Every traced pair, in doctor's order (sources, then destinations). */
  pairs(): PairResult[] {
    const out: PairResult[] = [];
    for (const s of this.sources) for (const d of this.dests) {
      const p = this.pairMap.get(`${s.key} -> ${d.key}`);
      if (p) out.push(p);
    }
    return out;
  }

  /** Applies one change and re-traces what it can affect. */
  apply(c: EstateChange): Recheck {
    const aclBefore = c.kind === 'nacl-rule' ? this.estate.networkAcls.find((a) => a.id === c.acl) : undefined;
    const portsBefore = aclBefore !== undefined && aclNamesPorts(aclBefore);
    changeInPlace(this.estate, c);
    const why = this.classesMayChange(c);
    if (why) {
      this.rebuild();
      return { mode: 'full', retraced: this.pairMap.size, redecided: 0, why };
    }
    const affected = new Set<string>();
    const key = this.updateWorld(c);
    for (const k of key) for (const p of this.deps.get(k) ?? []) affected.add(p);
    if (c.kind === 'nacl-rule') this.naclPairs(c, portsBefore !== aclNamesPorts(aclBefore!), affected);
    // Which pairs exist: re-decided for the sources whose subnet uses a changed route table.
    const reconsider = c.kind === 'route' ? this.sources.filter((s) => sourceSubnet(this.world, s)?.routeTable.id === c.table) : [];
    // Only destinations inside the changed route's prefix can be routed differently: longest prefix match
    // (and AWS's priority among equal prefixes) only weighs the routes that contain the address.
    const changedPrefix = c.kind === 'route' ? parseCidr(c.route.destination, { nonAligned: 'mask' }) : undefined;
    const inside = changedPrefix && reconsider.length ? this.dests.filter((d) => contains(changedPrefix, this.destIps.get(d.key)!)) : [];
    for (const s of reconsider) {
      for (const d of inside) {
        const k = `${s.key} -> ${d.key}`;
        const wanted = shouldTrace(this.world, s, d);
        if (wanted && !this.pairMap.has(k)) affected.add(k);
        if (!wanted && this.pairMap.has(k)) this.drop(k);
      }
    }
    const changed = elementOf(c);
    let retraced = 0;
    let redecided = 0;
    for (const k of affected) {
      const [src, dst] = k.split(' -> ') as [string, string];
      const d = this.byDest.get(dst)!;
      const old = this.pairMap.get(k);
      if (old && changed && pairHolds(this.redecider, old, d, this.edges, changed)) {
        redecided++;
        continue;
      }
      if (old && c.kind === 'iptables' && this.insertKeeps(old, c)) {
        redecided++;
        continue;
      }
      this.drop(k);
      this.traceAndRecord([this.bySource.get(src)!], [d]);
      retraced++;
    }
    return { mode: 'incremental', retraced, redecided };
  }

  private rebuild(): void {
    const { world, sources, destinations } = doctorWorld(this.estate);
    this.world = world;
    this.sources = sources;
    this.dests = destinations;
    this.edges = doctorEdges(world);
    this.redecider = new HopRedecider(world);
    this.bySource = new Map(sources.map((s) => [s.key, s]));
    this.byDest = new Map(destinations.map((d) => [d.key, d]));
    this.destIps = new Map(destinations.map((d) => [d.key, parseIpv4(d.ip)]));
    this.bridgedNodes.clear();
    for (const n of world.nodes.values()) {
      if (!n.bridge) continue;
      const id = n.eni.subnet.routeTable.id;
      const list = this.bridgedNodes.get(id);
      if (list) list.push(n);
      else this.bridgedNodes.set(id, [n]);
    }
    this.compiledTables = new Map([...world.subnets.values()].map((s) => [s.routeTable.id, s.routeTable]));
    this.pairMap.clear();
    this.madeHops.clear();
    this.deps.clear();
    this.naclDeps.clear();
    this.filedIn.clear();
    this.vpcKeys.clear();
    this.keyVpc.clear();
    const vpcKey = (vpc: string, k: string) => {
      const list = this.vpcKeys.get(vpc);
      if (list) list.push(k);
      else this.vpcKeys.set(vpc, [k]);
      this.keyVpc.set(k, vpc);
    };
    for (const t of this.estate.routeTables) vpcKey(t.vpc, `rtb:${t.id}`);
    for (const a of this.estate.networkAcls) vpcKey(a.vpc, `acl:${a.id}`);
    for (const g of this.estate.securityGroups) vpcKey(g.vpc, `sg:${g.id}`);
    this.traceAndRecord(sources, destinations);
    this.mentions.clear();
    const count = (k: string) => this.mentions.set(k, (this.mentions.get(k) ?? 0) + 1);
    for (const t of this.estate.routeTables) for (const r of t.routes) count(`${cidrKey(r.destination)}|route`);
    for (const g of this.estate.securityGroups) for (const r of [...g.ingress, ...g.egress]) if (r.cidr) count(`${cidrKey(r.cidr)}|sg`);
    for (const a of this.estate.networkAcls) for (const r of [...a.ingress, ...a.egress]) count(`${cidrKey(r.cidr)}|nacl`);
    // Nodes with one dump share one parsed rule set (tens of thousands of rules): each is read once,
    // and a line shared by several dumps once.
    const natLines = new Set<readonly Match[]>();
    for (const ruleset of new Set([...this.world.nodes.values()].map((n) => n.ruleset))) {
      forEachNatPrefix(ruleset, natLines, (p) => this.mentions.set(`${formatPrefix(p)}|nat-rule`, 1));
    }
  }

  private record(p: PairResult, made: Made): void {
    this.pairMap.set(p.key, p);
    const add = (k: string) => {
      const set = this.deps.get(k) ?? new Set<string>();
      this.file(set, p.key);
      this.deps.set(k, set);
    };
    if (made.peerings.size === 0) this.madeHops.set(p.key, made.netfilter);
    const met = traceDependencies(p.traces);
    // A network ACL hop is filed under the rule number that decided it (naclPairs); its ACL key is kept
    // for the pairs below, whose unkept traces may have met the ACL anywhere.
    for (const k of met) if (!k.startsWith('acl:')) add(k);
    for (const t of p.traces) for (const h of [...t.forward, ...(t.reply ?? [])]) if (h.kind === 'nacl') this.fileNaclHop(h, p.key);
    const dest = this.byDest.get(p.dst);
    if (!dest || !unkeptTraces(p, dest, this.edges)) return;
    // Doctor made traces for this pair that it did not keep (redecide.ts unkeptTraces): other ports, the
    // ephemeral-port edges. Their hops name what they consulted, as kept ones do (`made`).
    for (const k of made.deps) add(k);
    if (made.peerings.size === 0) return;
    // A walk past a peering drop (trace.ts stackedFaults) keeps no hops: what it consults is over-approximated
    // by every route table, NACL and security group of the VPCs the traces met and of the peering's two VPCs,
    // and the destination class's nodes (the module comment says what is not covered).
    const vpcs = new Set<string>();
    for (const k of made.deps) { const v = this.keyVpc.get(k); if (v) vpcs.add(v); }
    for (const id of made.peerings) {
      const pcx = this.world.peerings.get(id);
      if (pcx) vpcs.add(pcx.requester).add(pcx.accepter);
    }
    for (const v of vpcs) for (const k of this.vpcKeys.get(v) ?? []) add(k);
    for (const n of dest.nodes ?? []) add(`node:${n}`);
  }

  /** Traces pairs (tracePairs), gathering for each what every trace made for it consulted; then files them. */
  private traceAndRecord(sources: SourceClass[], dests: DestClass[]): void {
    const made = new Map<string, Made>();
    const note = (pair: string, traces: Trace[]) => {
      let m = made.get(pair);
      if (!m) made.set(pair, (m = { deps: new Set(), peerings: new Set(), netfilter: [] }));
      for (const k of traceDependencies(traces)) m.deps.add(k);
      netfilterViews(traces, m.netfilter);
      for (const t of traces) {
        const id = droppedAtPeering(t);
        if (id !== undefined) m.peerings.add(id);
      }
    };
    // Every pair tracePairs gives was traced here, so `note` saw its traces.
    for (const p of tracePairs(this.world, sources, dests, this.edges, undefined, undefined, undefined, note)) this.record(p, made.get(p.key)!);
  }

  /** Files a pair under the network ACL, direction and rule number (Infinity for `*`) that decided a hop of it. */
  private fileNaclHop(h: Hop & { kind: 'nacl' }, pair: string): void {
    const key = `${h.acl}|${h.direction}`;
    const byNumber = this.naclDeps.get(key) ?? new Map<number, Set<string>>();
    this.naclDeps.set(key, byNumber);
    const n = decidingNumber(h);
    const set = byNumber.get(n) ?? new Set<string>();
    this.file(set, pair);
    byNumber.set(n, set);
  }

  /**
   * The kept pairs a network ACL rule change can affect. The ACL evaluates its
   * rules of one direction by number, first match deciding (aws/network-acl.ts),
   * so a hop decided by rule N (or by `*`) can change only when a rule numbered
   * N or lower is added (it may match first), or when rule N itself is removed:
   * rules before N did not match, rules after it were not reached. When the
   * change makes the ACL name ports or stop naming them, every pair that
   * crosses it is affected: doctor's ephemeral-port traces depend on that
   * (doctor.ts doctorEdges).
   */
  private naclPairs(c: EstateChange & { kind: 'nacl-rule' }, portsFlipped: boolean, out: Set<string>): void {
    for (const dir of ['ingress', 'egress'] as const) {
      const byNumber = this.naclDeps.get(`${c.acl}|${dir}`);
      if (!byNumber) continue;
      for (const [n, pairs] of byNumber) {
        const hit = portsFlipped || (dir === c.direction && (c.op === 'add' ? n >= c.rule.rule : n === c.rule.rule));
        if (hit) for (const p of pairs) out.add(p);
      }
    }
  }

  /**
   * Whether a pair's traces stand after an iptables insert into a hook's own
   * chain: every netfilter hop of that hook on a node the insert reached, in
   * every trace made for the pair (kept or not), is one the inserted rule
   * cannot change (insert-reach.ts). A pair that walked no such hook never met
   * the changed chain: the hooks a packet passes through are chosen by
   * routing, which an inserted rule could change only through a mark set in a
   * hook walked before (then that hook was walked). An insert into a user
   * chain (reached by jumps the hop records do not list), or a pair whose
   * made traces are not all held (a walk past a peering drop), is traced again.
   */
  private insertKeeps(p: PairResult, c: EstateChange & { kind: 'iptables' }): boolean {
    if (!HOOK_CHAINS.has(c.insert.chain)) return false;
    const hops = this.madeHops.get(p.key);
    if (!hops) return false;
    for (const h of hops) {
      if (h.hook !== c.insert.chain || !this.probes.has(h.at)) continue;
      const probe = this.probes.get(h.at);
      if (!probe || insertMayChange(probe, h)) return false;
    }
    return true;
  }

  /** Forgets a pair and takes it out of every dependency set it was filed in (a re-trace files it anew). */
  private drop(key: string): void {
    this.pairMap.delete(key);
    this.madeHops.delete(key);
    for (const set of this.filedIn.get(key) ?? []) set.delete(key);
    this.filedIn.delete(key);
  }

  /** Adds a pair to a dependency set, remembering the set so that dropping the pair takes it out again. */
  private file(set: Set<string>, pair: string): void {
    if (set.has(pair)) return;
    set.add(pair);
    const sets = this.filedIn.get(pair);
    if (sets) sets.push(set);
    else this.filedIn.set(pair, [set]);
  }

  /** Why the classes could change, or undefined when they cannot (see the module comment). */
  private classesMayChange(c: EstateChange): string | undefined {
    const shift = (k: string, by: number): string | undefined => {
      const n = (this.mentions.get(k) ?? 0) + by;
      this.mentions.set(k, n);
      return (by > 0 && n === 1) || (by < 0 && n === 0) ? `${k.replace('|', ' (')}) is ${by > 0 ? 'newly mentioned' : 'no longer mentioned'}: destination classes may change` : undefined;
    };
    const by = (op: Op) => (op === 'add' ? 1 : -1);
    switch (c.kind) {
      case 'route': {
        const p = parseCidr(c.route.destination, { nonAligned: 'mask' });
        const mention = shift(`${formatPrefix(p)}|route`, by(c.op));
        if (mention) return mention;
        // A node's profile holds whether its table routes its own pod CIDR to it (classes.ts nodeProfile).
        const node = this.bridgedNodes.get(c.table)?.find((n) => contains(p, n.bridge!.prefix.addr));
        return node ? `the route decides whether ${c.table} routes node ${node.node.name}'s pod CIDR to it: source classes may change` : undefined;
      }
      case 'sg-rule':
        return c.rule.cidr ? shift(`${cidrKey(c.rule.cidr)}|sg`, by(c.op)) : undefined;
      case 'nacl-rule':
        return shift(`${cidrKey(c.rule.cidr)}|nacl`, by(c.op));
      case 'iptables': {
        if (c.insert.table === 'nat') for (const k of rulePrefixes(c.insert.rule)) if (!this.mentions.has(`${k}|nat-rule`)) return `${k} is newly named by a nat rule: destination classes may change`;
        const changed = new Set(c.nodes);
        const split = this.sources.find((s) => s.nodes.some((n) => changed.has(n)) && !s.nodes.every((n) => changed.has(n)));
        return split ? `the change reaches some nodes of ${split.label}, not all: source classes split` : undefined;
      }
    }
  }

  /** Updates the private world for the change; returns the dependency keys it touches. */
  private updateWorld(c: EstateChange): string[] {
    const w = this.world;
    switch (c.kind) {
      case 'route': {
        const table = this.estate.routeTables.find((t) => t.id === c.table)!;
        const compiled = this.compiledTables.get(c.table);
        if (compiled) Object.assign(compiled, compileRouteTable(table, w.vpcs.get(table.vpc)!.vpc));
        return [`rtb:${c.table}`];
      }
      // Security groups and network ACLs are the estate's own objects in the world: changed in place already.
      case 'sg-rule': return [`sg:${c.group}`];
      case 'nacl-rule': return [`acl:${c.acl}`];
      case 'iptables': {
        // Nodes sharing one rule set keep sharing one after the change.
        const done = new Map<unknown, ReturnType<typeof insertRules>>();
        const probes = new Map<unknown, InsertProbe | undefined>();
        this.probes.clear();
        for (const name of c.nodes) {
          const rec = w.nodes.get(name)!;
          const before = rec.ruleset;
          const after = done.get(before) ?? insertRules(before, [c.insert]);
          done.set(before, after);
          if (!probes.has(before)) probes.set(before, insertProbe(before, after, c.insert.table, c.insert.chain, rec.nft !== undefined));
          this.probes.set(name, probes.get(before));
          Object.defineProperty(rec, 'ruleset', { value: after, enumerable: true, configurable: true, writable: true });
        }
        return c.nodes.map((n) => `node:${n}`);
      }
    }
  }
}
