/**
 * When a doctor session's check may keep the first run's source and
 * destination classes instead of deriving them again (classes.ts), for a
 * change narrowed to route tables' routes, security groups' and network ACLs'
 * rules and nodes' iptables inserts (estate-diff.ts changedElements).
 *
 * What the classes read of such a change (classes.ts):
 * - destination classes are the atoms of the set of distinct prefixes the
 *   estate mentions, each class's kind read from the kinds mentioning its
 *   prefixes; of the kinds a changed element can add or take away (route,
 *   SG, NACL, nat rule) only `route` is read, and only as "some route
 *   mentions it", and only for a class none of whose prefixes is a VPC block
 *   or the cluster pod CIDR. So they stay when no prefix becomes mentioned
 *   or stops being mentioned, and none outside every VPC block and the pod
 *   CIDR gains or loses its last route mention;
 * - source classes group nodes by profile: a node's inserts, its dump, and
 *   whether its subnet's route table routes its own pod CIDR to it. So they
 *   stay when every node gets the same inserts appended (equal profiles stay
 *   equal, different ones different) and no bridged node's own pod route
 *   changes.
 * Prefix counts here leave out some kinds (nat rules, nameservers of resolv.conf): a prefix
 * only they mention counts as unmentioned, which can only make the answer
 * "derive again", never a wrong "keep". Any other change derives again.
 */
import type { Estate } from '../model/estate.js';
import type { Node } from '../model/k8s.js';
import { covers, formatPrefix, parseCidr, type Prefix } from '../net/prefix.js';
import { textKey } from '../model/source.js';
import { NON_INTERNET_RANGES } from '../net/ranges.js';
import { insertRules } from '../linux/iptables/insert.js';
import type { World } from '../trace/world.js';
import { nodeProfile } from './classes.js';
import { TextIds } from './text-ids.js';
import { sameJson } from './estate-diff.js';

const key = (cidr: string) => formatPrefix(parseCidr(cidr, { nonAligned: 'mask' }));

type Element = { routes?: { destination: string }[]; ingress?: { cidr?: string }[]; egress?: { cidr?: string }[] };

/** Prefixes an element (route table, security group, network ACL) mentions, and those its routes mention. */
function mentionsOf(el: Element | undefined): { all: string[]; routes: string[] } {
  const routes = (el?.routes ?? []).map((r) => key(r.destination));
  const rules = [...(el?.ingress ?? []), ...(el?.egress ?? [])].flatMap((r) => (r.cidr ? [key(r.cidr)] : []));
  return { all: [...routes, ...rules], routes };
}

/** How many times each prefix is mentioned (by the kinds counted), and by routes. */
export class MentionCounts {
  readonly all = new Map<string, number>();
  readonly routes = new Map<string, number>();
  /** VPC blocks and the cluster pod CIDR: a class inside one is never a routed block, routes or not. */
  readonly notRouted: Prefix[] = [];

  /** Counts the world's estate (the one doctor's classes were derived from: inferred subnets included). */
  constructor(w: World) {
    const e = w.estate;
    const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (const v of e.vpcs) for (const b of v.cidrBlocks) add(this.all, key(b));
    for (const b of [...e.vpcs.flatMap((v) => v.cidrBlocks), ...(e.cluster?.podCidr ? [e.cluster.podCidr] : [])]) this.notRouted.push(parseCidr(b, { nonAligned: 'mask' }));
    for (const s of e.subnets) add(this.all, key(s.cidr));
    for (const el of [...e.routeTables, ...e.securityGroups, ...e.networkAcls]) {
      const m = mentionsOf(el);
      for (const k of m.all) add(this.all, k);
      for (const k of m.routes) add(this.routes, k);
    }
    const c = e.cluster;
    for (const x of [c?.podCidr, c?.serviceCidr, c?.dnsServiceIp, ...e.nodes.map((n) => n.podCidr), ...e.rdsInstances.map((r) => r.address)]) if (x) add(this.all, key(x));
    for (const r of NON_INTERNET_RANGES) add(this.all, formatPrefix(r.prefix));
  }
}

/** True when the classes derived for `before` hold for `after` too (see the module comment). */
export function classesKept(
  counts: MentionCounts, before: { estate: Estate; world: World }, after: { estate: Estate; world: World }, touched: ReadonlySet<string>,
): boolean {
  const delta = { all: new Map<string, number>(), routes: new Map<string, number>() };
  const shift = (m: Element | undefined, by: number) => {
    const x = mentionsOf(m);
    for (const k of x.all) delta.all.set(k, (delta.all.get(k) ?? 0) + by);
    for (const k of x.routes) delta.routes.set(k, (delta.routes.get(k) ?? 0) + by);
  };
  const nodes: string[] = [];
  const tables = new Set<string>();
  for (const t of touched) {
    const [kind, id] = [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)];
    const pick = (list: readonly (Element & { id: string })[]) => list.find((x) => x.id === id);
    if (kind === 'rtb') {
      tables.add(id);
      shift(pick(before.estate.routeTables), -1);
      shift(pick(after.estate.routeTables), 1);
    } else if (kind === 'sg') {
      shift(pick(before.estate.securityGroups), -1);
      shift(pick(after.estate.securityGroups), 1);
    } else if (kind === 'acl') {
      shift(pick(before.estate.networkAcls), -1);
      shift(pick(after.estate.networkAcls), 1);
    } else if (kind === 'node') nodes.push(id);
    else return false;
  }
  const still = (m: Map<string, number>, d: Map<string, number>, matters: (k: string) => boolean) =>
    [...d].every(([k, by]) => by === 0 || ((m.get(k) ?? 0) > 0) === ((m.get(k) ?? 0) + by > 0) || !matters(k));
  const routable = (k: string) => {
    const p = parseCidr(k);
    return !counts.notRouted.some((q) => covers(q, p));
  };
  if (!still(counts.all, delta.all, () => true) || !still(counts.routes, delta.routes, routable)) return false;
  if (nodes.length > 0 && !sameInsertsEverywhere(counts, delta.all, before, after, nodes)) return false;
  return ownPodRoutesKept(before.world, after.world, tables);
}

/**
 * True when the touched nodes are all the nodes, each with its dump as it was
 * and the same inserts appended, and what a nat-table insert names with
 * -s/-d is a prefix mentioned already.
 */
function sameInsertsEverywhere(counts: MentionCounts, delta: Map<string, number>, before: { estate: Estate; world: World }, after: { estate: Estate }, touched: string[]): boolean {
  if (touched.length !== before.estate.nodes.length) return false;
  const byName = new Map(after.estate.nodes.map((n) => [n.name, n]));
  let added: Node['iptablesInserts'] | undefined;
  for (const b of before.estate.nodes) {
    const a = byName.get(b.name);
    if (!a || !sameDump(a, b) || a.iptablesInserts.length < b.iptablesInserts.length) return false;
    if (!b.iptablesInserts.every((x, i) => sameJson(x, a.iptablesInserts[i]))) return false;
    const mine = a.iptablesInserts.slice(b.iptablesInserts.length);
    if (added === undefined) added = mine;
    else if (!sameJson(added, mine)) return false;
  }
  const first = before.world.nodes.get(before.estate.nodes[0]!.name);
  for (const ins of added ?? []) {
    if (ins.table !== 'nat') continue;
    if (!first) return false;
    // The inserted rule as the node's parser reads it (the only nat rule the change adds).
    let rule;
    try {
      rule = insertRules(first.ruleset, [ins]).tables.get('nat')?.chains.get(ins.chain)?.rules.find((r) => r.text === `-I ${ins.chain} ${ins.position} ${ins.rule}`);
    } catch {
      return false;
    }
    if (!rule) return false;
    for (const m of rule.matches) {
      if ((m.kind !== 'src' && m.kind !== 'dst') || m.args['prefix'] === undefined) continue;
      const k = formatPrefix(m.args['prefix'] as Parameters<typeof formatPrefix>[0]);
      if ((counts.all.get(k) ?? 0) + (delta.get(k) ?? 0) <= 0) return false;
    }
  }
  return true;
}

/** The same iptables dump (the same text, file and first line, derived or not). */
function sameDump(a: Node, b: Node): boolean {
  if (a.iptables === b.iptables) return true;
  if (!a.iptables || !b.iptables) return false;
  const { text: _a, ...ra } = a.iptables;
  const { text: _b, ...rb } = b.iptables;
  return textKey(a.iptables) === textKey(b.iptables) && sameJson(ra, rb);
}

/** True when no bridged node in a subnet using a changed route table gains or loses the route of its own pod CIDR to it. */
function ownPodRoutesKept(before: World, after: World, tables: ReadonlySet<string>): boolean {
  if (tables.size === 0) return true;
  const texts = new TextIds();
  // The profile's last field says whether the node's table routes its own pod CIDR to it (classes.ts nodeProfile).
  const own = (w: World, n: Parameters<typeof nodeProfile>[1]) => (JSON.parse(nodeProfile(w, n, texts, '')) as unknown[]).at(-1);
  for (const n of before.nodes.values()) {
    if (!n.bridge || !tables.has(n.eni.subnet.routeTable.id)) continue;
    const m = after.nodes.get(n.node.name);
    if (!m || own(before, n) !== own(after, m)) return false;
  }
  return true;
}
