/**
 * Equivalence classes of an estate.
 *
 * Destinations come from prefix atoms (atoms.ts) over every prefix the estate
 * mentions: VPC blocks, subnets, route destinations, SG and NACL CIDRs, the
 * CIDRs of nat-table rules (masquerade), the cluster pod and service CIDRs,
 * each node's pod CIDR, RDS endpoints, the DNS VIP and resolv.conf
 * nameservers (/32 each) and the non-internet ranges. Atoms with one
 * signature are one class; its kind is read from the signature (RDS > DNS >
 * a node's pods > a subnet > the internet > another routed block).
 *
 * Sources are nodes grouped by profile: nodes with the same normalised
 * iptables dump, inserts, routes, resolv.conf, subnet, security groups and
 * source/dest check, whose own pod route is present, are treated identically,
 * so one representative per profile is traced (pods, and the host network
 * with hostNetwork pods). Plain instances group by subnet, groups and check.
 * RDS instances are destinations only (they do not open connections).
 *
 * Guarantees: pure; keys are made of names (never of addresses that a fix
 * may renumber, except DNS nameservers); cost is linear in the estate plus
 * O(P log P) for the atoms.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import { contains, lastAddress, parseCidr, prefixKey, samePrefix, type Prefix } from '../net/prefix.js';
import { NON_INTERNET_RANGES } from '../net/ranges.js';
import { parseResolvConf } from '../dns/resolv-conf.js';
import { textKey } from '../model/source.js';
import type { NodeRecord, PodRecord, World } from '../trace/world.js';
import type { Match, Ruleset } from '../linux/iptables/types.js';
import { forEachParsedRule, ParsedChain } from '../linux/iptables/parsed-chain.js';
import { TextIds } from './text-ids.js';
import { atomsOf, atomSize, classesOf, type SignedAtom } from './atoms.js';
import type { DestClass, SourceClass } from './types.js';

/** The port probes and pods are traced on (a host with an allow-all group answers on any port). */
export const PROBE_PORT = 443;

/** What a mentioned prefix is. */
type MentionKind = 'vpc' | 'subnet' | 'route' | 'sg' | 'nacl' | 'nat-rule' | 'pod-cidr' | 'service-cidr' | 'node-pods' | 'rds' | 'dns' | 'non-internet';

interface Mention {
  prefix: Prefix;
  kind: MentionKind;
  /** The thing mentioned: subnet id, node name, RDS id, ... */
  ref: string;
}

/** Nameservers a node's resolv.conf lists, IPv4 only, in order. */
export function nodeNameservers(w: World, node: NodeRecord): Ipv4[] {
  const rc = node.node.resolvConf;
  if (!rc) return [];
  const parsed = parseResolvConf({ ...rc, file: rc.file ?? w.estate.file ?? '<estate>' });
  return parsed.value.nameservers.flatMap((n) => (n.ipv4 !== undefined && !n.implicit ? [n.ipv4] : []));
}

/** The nameservers pods use: their own resolv.conf, or the cluster DNS VIP (dnsPolicy ClusterFirst). */
export function podNameservers(w: World): Ipv4[] {
  const vip = w.estate.cluster?.dnsServiceIp;
  return vip ? [parseIpv4(vip)] : [];
}

function mentions(w: World): Mention[] {
  const e = w.estate;
  const out: Mention[] = [];
  const add = (text: string, kind: MentionKind, ref: string) => out.push({ prefix: parseCidr(text, { nonAligned: 'mask' }), kind, ref });
  for (const v of e.vpcs) for (const b of v.cidrBlocks) add(b, 'vpc', v.id);
  for (const s of e.subnets) add(s.cidr, 'subnet', s.id);
  for (const t of e.routeTables) for (const r of t.routes) add(r.destination, 'route', t.id);
  for (const g of e.securityGroups) for (const r of [...g.ingress, ...g.egress]) if (r.cidr) add(r.cidr, 'sg', g.id);
  for (const a of e.networkAcls) for (const r of [...a.ingress, ...a.egress]) add(r.cidr, 'nacl', a.id);
  if (e.cluster) {
    if (e.cluster.podCidr) add(e.cluster.podCidr, 'pod-cidr', 'cluster');
    if (e.cluster.serviceCidr) add(e.cluster.serviceCidr, 'service-cidr', 'cluster');
    if (e.cluster.dnsServiceIp) add(e.cluster.dnsServiceIp, 'dns', e.cluster.dnsServiceIp);
  }
  // Nodes sharing one parsed rule set add its nat-rule prefixes once: a later node's copies would be
  // dropped as duplicates anyway (nat-rule mentions are deduplicated without their ref, first one kept).
  const natSeen = new Set<Ruleset>();
  const matchesSeen = new Set<readonly Match[]>();
  // Thousands of nodes share a handful of resolv.conf texts: each is read once (the nameservers depend on the text
  // alone; the file names only where each was read).
  const servers = new Map<string | undefined, Ipv4[]>();
  for (const n of w.nodes.values()) {
    if (n.node.podCidr) add(n.node.podCidr, 'node-pods', n.node.name);
    const rc = n.node.resolvConf;
    const rcKey = rc ? textKey(rc) : undefined;
    let ns = servers.get(rcKey);
    if (!ns) servers.set(rcKey, (ns = nodeNameservers(w, n)));
    for (const ip of ns) out.push({ prefix: { addr: ip, len: 32 }, kind: 'dns', ref: formatIpv4(ip) });
    if (natSeen.has(n.ruleset)) continue;
    natSeen.add(n.ruleset);
    forEachNatPrefix(n.ruleset, matchesSeen, (prefix) => out.push({ prefix, kind: 'nat-rule', ref: n.node.name }));
  }
  for (const r of e.rdsInstances) add(r.address, 'rds', r.id);
  for (const r of NON_INTERNET_RANGES) out.push({ prefix: r.prefix, kind: 'non-internet', ref: r.name });
  return out;
}

/**
 * Calls `fn` with each prefix a nat-table rule of `rs` matches with -s/-d
 * (class boundaries: a nat rule treats addresses on either side differently).
 * Dumps read through one line cache share a line's matches array: an array in
 * `seen` (from this or an earlier rule set) is skipped, so a prefix may come
 * more than once but each shared line is read once.
 */
export function forEachNatPrefix(rs: Ruleset, seen: Set<readonly Match[]>, fn: (p: Prefix) => void): void {
  // Chains replayed from one reference dump read the same span of its parses: a span read before is skipped
  // whole (every matches array in it is in `seen` already), instead of looking each of its rules up.
  let spans = spansRead.get(seen);
  if (!spans) spansRead.set(seen, (spans = new Map()));
  for (const chain of rs.tables.get('nat')?.chains.values() ?? []) {
    const parsed = chain instanceof ParsedChain ? chain.parsedSpan(span) : undefined;
    if (parsed) {
      // By a span's first entry, the longest span from there read so far (spans of one array are parts of the
      // reference's chains: one from the same entry and no longer was read).
      let longest = spans.get(parsed);
      if (!longest || longest.length < parsed.length) {
        const grown = new Int32Array(parsed.length);
        if (longest) grown.set(longest);
        spans.set(parsed, (longest = grown));
      }
      if (span.count > 0 && longest[span.first]! >= span.count) continue;
      longest[span.first] = span.count;
    }
    // Matches only: a chain's Rules are not built for this (parsed-chain.ts).
    forEachParsedRule(chain, (matches) => {
      if (seen.has(matches)) return;
      seen.add(matches);
      for (const m of matches) if ((m.kind === 'src' || m.kind === 'dst') && m.args['prefix'] !== undefined) fn(m.args['prefix'] as Prefix);
    });
  }
}

/** The parse spans forEachNatPrefix has read, per `seen` set: by parses array, the longest span read from each entry. */
const spansRead = new WeakMap<Set<readonly Match[]>, Map<readonly unknown[], Int32Array>>();
/** Where ParsedChain.parsedSpan writes (the walk is synchronous). */
const span = { first: 0, count: 0 };

/** A node's profile: nodes with equal profiles are treated identically (see the module comment). */
export function nodeProfile(w: World, n: NodeRecord, texts: TextIds = new TextIds(), dump?: string): string {
  const norm = (t?: { text: string; digest?: string }) => (t ? texts.id(t) : '');
  const table = n.eni.subnet.routeTable;
  const route = n.bridge ? table.trie.longestMatch(n.bridge.prefix.addr)?.value : undefined;
  const own = route !== undefined && samePrefix(route.prefix, n.bridge!.prefix) && route.target.kind === 'instance' && route.target.id === n.node.instance;
  return JSON.stringify([
    dump ?? norm(n.node.iptables), n.node.iptablesInserts, norm(n.node.routes), norm(n.node.ipRules), norm(n.node.ipsets), norm(n.node.resolvConf), n.eni.subnet.subnet.id,
    n.eni.groups.map((g) => g.id).sort(), n.eni.sourceDestCheck, n.bridge?.name ?? '', own,
  ]);
}

/** Nodes grouped by profile, in estate order. */
export function nodeGroups(w: World): NodeRecord[][] {
  const groups = new Map<string, NodeRecord[]>();
  const texts = new TextIds();
  // Normalising a dump (megabytes) is the costly part: nodes are first bucketed by the rest of their
  // profile, and dumps are normalised only where one bucket holds dumps that differ as read.
  const rest = new Map<NodeRecord, string>();
  const dumpsIn = new Map<string, Set<string>>();
  for (const n of w.nodes.values()) {
    const k = nodeProfile(w, n, texts, '');
    rest.set(n, k);
    const dumps = dumpsIn.get(k) ?? new Set<string>();
    dumps.add(n.node.iptables ? textKey(n.node.iptables) : '');
    dumpsIn.set(k, dumps);
  }
  for (const n of w.nodes.values()) {
    const r = rest.get(n)!;
    const dump = !n.node.iptables ? '' : dumpsIn.get(r)!.size > 1 ? texts.id(n.node.iptables) : 'as read';
    const k = `${r}\n${dump}`;
    const g = groups.get(k);
    if (g) g.push(n);
    else groups.set(k, [n]);
  }
  return [...groups.values()];
}

const more = (n: number, what: string) => (n > 0 ? ` (+${n} ${what}${n > 1 ? 's' : ''})` : '');

/**
 * Source classes: pods and host network per node profile, plain instances,
 * and subnets with no host of their own (sending from their probe host, so
 * AWS-only estates are checked too).
 */
export function sourceClasses(
  w: World, probeIds: ReadonlySet<string>, subnets: readonly { slot: ProbeSlot; instance: string }[] = [],
  /** The node groups by name, when already computed on a world with the same nodes (doctorWorld's world before its probes). */
  groupNames?: readonly string[][],
): SourceClass[] {
  const out: SourceClass[] = [];
  const groups = groupNames ? groupNames.map((g) => g.map((name) => w.nodes.get(name)!)) : nodeGroups(w);
  for (const group of groups) {
    const first = group[0]!;
    const vpc = first.eni.subnet.vpc.vpc.id;
    const nodes = group.map((n) => n.node.name);
    // Pods behind different interfaces of a node are routed apart (VPC CNI: pods on a secondary ENI
    // leave by it, chosen by an ip rule on their source address), so each interface's pods are a class.
    const byEni = new Map<number, PodRecord[]>();
    for (const n of group) {
      for (const p of n.pods.values()) {
        const k = w.enis.get(p.ip)?.deviceIndex ?? 0;
        const list = byEni.get(k);
        if (list) list.push(p);
        else byEni.set(k, [p]);
      }
    }
    [...byEni].sort(([a], [b]) => a - b).forEach(([index, pods], i) => {
      const pod = pods[0]!;
      const behind = i === 0 ? '' : ` behind device ${index}`;
      out.push({
        key: `pods:${first.node.name}${i === 0 ? '' : `:eni${index}`}`, kind: 'pods', label: `pods${behind} on ${first.node.name}${more(group.length - 1, 'node')}`,
        rep: `pod:${pod.name}`, members: pods.map((p) => p.name), vpc, nodes, ip: formatIpv4(pod.ip),
      });
    });
    const hostPods = w.estate.pods.filter((p) => p.hostNetwork && nodes.includes(p.node)).map((p) => p.name);
    out.push({ key: `hosts:${first.node.name}`, kind: 'hosts', label: `node ${first.node.name}${more(group.length - 1, 'node')} and its hostNetwork pods`, rep: `node:${first.node.name}`, members: [...nodes, ...hostPods], vpc, nodes, ip: formatIpv4(first.eth0.address) });
  }
  const plain = new Map<string, { ids: string[]; vpc: string; ip: Ipv4 }>();
  for (const [id, eni] of w.instanceEni) {
    if (w.nodeByInstance.has(id) || probeIds.has(id)) continue;
    const k = JSON.stringify([eni.subnet.subnet.id, eni.groups.map((g) => g.id).sort(), eni.sourceDestCheck]);
    const g = plain.get(k);
    if (g) g.ids.push(id);
    else plain.set(k, { ids: [id], vpc: eni.subnet.vpc.vpc.id, ip: eni.primary });
  }
  for (const g of plain.values()) {
    out.push({ key: `instance:${g.ids[0]}`, kind: 'instances', label: `instance ${g.ids[0]}${more(g.ids.length - 1, 'instance')}`, rep: `instance:${g.ids[0]}`, members: g.ids, vpc: g.vpc, nodes: [], ip: formatIpv4(g.ip) });
  }
  for (const { slot, instance } of subnets) {
    const rec = w.subnets.get(slot.subnet)!;
    out.push({ key: slot.key, kind: 'subnet', label: `hosts in ${slot.subnet} (${rec.subnet.cidr})`, rep: `instance:${instance}`, members: [slot.subnet], vpc: slot.vpc, nodes: [], ip: formatIpv4(slot.ip) });
  }
  // RDS instances are destinations only: the trace engine treats any packet
  // arriving at an RDS ENI as a new connection to its port, so the reply of a
  // connection RDS opened would be rejected there (reported to the trace owners).
  return out;
}

/** A subnet class that needs a synthetic host placed in it. */
export interface ProbeSlot {
  key: string;
  subnet: string;
  vpc: string;
  ip: Ipv4;
}

/** Destination classes before probes are placed, plus where probes go. */
export interface DestinationPlan {
  destinations: DestClass[];
  probes: ProbeSlot[];
  atoms: number;
}

function ranges(atoms: SignedAtom[]): string[] {
  const shown = atoms.slice(0, 3).map((a) => (atomSize(a) === 1 ? formatIpv4(a.start) : `${formatIpv4(a.start)}-${formatIpv4(a.end - 1)}`));
  return atoms.length > 3 ? [...shown, `... (${atoms.length} ranges)`] : shown;
}

/** The kinds whose mentions are told apart by their ref (the thing they name), not only by prefix. */
const NAMED_KINDS: ReadonlySet<MentionKind> = new Set(['subnet', 'node-pods', 'rds', 'dns']);
const KIND_INDEX: Readonly<Record<MentionKind, number>> = {
  vpc: 0, subnet: 1, route: 2, sg: 3, nacl: 4, 'nat-rule': 5, 'pod-cidr': 6, 'service-cidr': 7, 'node-pods': 8, rds: 9, dns: 10, 'non-internet': 11,
};
const KIND_COUNT = 12;
/** firstOfEachKind's slot for "a route other than a default route mentions it". */
const ROUTED = KIND_COUNT;

/**
 * The first mention of each kind among the mentions of `prefixes` (in order), by
 * KIND_INDEX, and in slot ROUTED the first route mention of a prefix longer than /0:
 * what a class of atoms is, read in one pass (tens of thousands of classes).
 */
function firstOfEachKind(prefixes: readonly Prefix[], byPrefix: ReadonlyMap<number, Mention[]>): (Mention | undefined)[] {
  const first = new Array<Mention | undefined>(KIND_COUNT + 1).fill(undefined);
  for (const p of prefixes) {
    for (const m of byPrefix.get(prefixKey(p)) ?? []) {
      const i = KIND_INDEX[m.kind];
      if (first[i] === undefined) first[i] = m;
      if (m.kind === 'route' && m.prefix.len > 0 && first[ROUTED] === undefined) first[ROUTED] = m;
    }
  }
  return first;
}

/** Computes the destination classes of a world. */
export function destinationClasses(w: World, groups: readonly NodeRecord[][] = nodeGroups(w)): DestinationPlan {
  const ms = mentions(w);
  // One mention per (prefix, kind, ref); refs matter only for the kinds that name a thing.
  const byPrefix = new Map<number, Mention[]>();
  // Tens of thousands of mentions (nat rules' prefixes mostly): those of the kinds without a ref are
  // told apart by a number, the others by a string with their ref.
  const seen = new Set<number>();
  const seenNamed = new Set<string>();
  for (const m of ms) {
    const k = prefixKey(m.prefix);
    if (NAMED_KINDS.has(m.kind)) {
      const id = `${k}|${m.kind}|${m.ref}`;
      if (seenNamed.has(id)) continue;
      seenNamed.add(id);
    } else {
      const id = k * KIND_COUNT + KIND_INDEX[m.kind];
      if (seen.has(id)) continue;
      seen.add(id);
    }
    const list = byPrefix.get(k);
    if (list) list.push(m);
    else byPrefix.set(k, [m]);
  }
  const atoms = atomsOf([...byPrefix.values()].map((l) => l[0]!.prefix));
  const used = usedAddresses(w);
  const dests: DestClass[] = [];
  const probes: ProbeSlot[] = [];
  const podGroups = new Map<string, NodeRecord[]>();
  for (const g of groups) for (const n of g) podGroups.set(n.node.name, g);
  const seenPods = new Set<string>();
  const subnetCount = new Map<string, number>();
  const internet: SignedAtom[][] = [];
  for (const cls of classesOf(atoms)) {
    const first = firstOfEachKind(cls[0]!.prefixes, byPrefix);
    const find = (k: MentionKind) => first[KIND_INDEX[k]];
    const rds = find('rds');
    const dns = find('dns');
    const nodePods = find('node-pods');
    const subnet = find('subnet');
    // What a class covers is shown for the classes that become destinations (a few thousand of tens of thousands).
    const covers = () => ranges(cls);
    if (rds && rds.prefix.len === 32) {
      const r = w.rdsById.get(rds.ref)!;
      dests.push({ key: `rds:${r.id}`, kind: 'rds', label: `rds ${r.id}`, ip: r.address, rep: `rds:${r.id}`, proto: 'tcp', port: r.port, covers: covers(), synthetic: false });
    } else if (dns && dns.prefix.len === 32) {
      const ip = formatIpv4(dns.prefix.addr);
      dests.push({ key: `dns:${ip}`, kind: 'dns', label: `nameserver ${ip}`, ip, rep: `${ip}:53`, proto: 'udp', port: 53, covers: covers(), synthetic: false });
    } else if (nodePods) {
      const group = podGroups.get(nodePods.ref)!;
      const key = `pods:${group[0]!.node.name}`;
      if (seenPods.has(key)) continue;
      seenPods.add(key);
      const withPod = group.find((n) => n.pods.size > 0);
      if (!withPod) continue;
      const pod = [...withPod.pods.values()][0]!;
      dests.push({ key, kind: 'pods', label: `pods on ${group[0]!.node.name}${more(group.length - 1, 'node')}`, ip: formatIpv4(pod.ip), rep: `pod:${pod.name}:${PROBE_PORT}`, proto: 'tcp', port: PROBE_PORT, covers: group.map((n) => n.node.podCidr ?? '').filter(Boolean).slice(0, 3), nodes: group.map((n) => n.node.name), synthetic: false });
    } else if (subnet) {
      const rec = w.subnets.get(subnet.ref)!;
      const ip = probeAddress(cls, rec.prefix, used);
      if (ip === undefined) continue;
      used.add(ip);
      const n = (subnetCount.get(subnet.ref) ?? 0) + 1;
      subnetCount.set(subnet.ref, n);
      const key = `subnet:${subnet.ref}${n > 1 ? `:${n}` : ''}`;
      probes.push({ key, subnet: subnet.ref, vpc: rec.vpc.vpc.id, ip });
      dests.push({ key, kind: 'subnet', label: `hosts in ${subnet.ref} (${rec.subnet.cidr})`, ip: formatIpv4(ip), rep: `${formatIpv4(ip)}:${PROBE_PORT}`, proto: 'tcp', port: PROBE_PORT, covers: covers(), synthetic: true });
    } else if (!find('non-internet')) {
      internet.push(cls);
    } else if (first[ROUTED] !== undefined && !find('pod-cidr') && !find('vpc')) {
      // Routed space outside every VPC (on-premises, transit, a transitive peering route); VPC space outside subnets holds no host.
      const a = cls[0]!;
      const ip = formatIpv4(atomSize(a) > 2 ? a.start + 1 : a.start);
      const shown = covers();
      dests.push({ key: `routed:${formatIpv4(a.start)}`, kind: 'routed', label: `routed block ${shown[0]}`, ip, rep: `${ip}:${PROBE_PORT}`, proto: 'tcp', port: PROBE_PORT, covers: shown, synthetic: false });
    }
  }
  internet.sort((a, b) => total(b) - total(a));
  internet.forEach((cls, i) => {
    const a = [...cls].sort((x, y) => atomSize(y) - atomSize(x))[0]!;
    let ip = a.start + 1;
    while (used.has(ip) && ip < a.end - 1) ip++;
    const key = i === 0 ? 'internet' : `internet:${formatIpv4(cls[0]!.start)}`;
    dests.push({ key, kind: 'internet', label: i === 0 ? 'the internet' : `internet range ${ranges(cls)[0]}`, ip: formatIpv4(ip), rep: `${formatIpv4(ip)}:${PROBE_PORT}`, proto: 'tcp', port: PROBE_PORT, covers: ranges(cls), synthetic: false });
  });
  const svc = serviceClass(w);
  if (svc) dests.push(svc);
  return { destinations: dests, probes, atoms: atoms.length };
}

function total(cls: SignedAtom[]): number {
  return cls.reduce((s, a) => s + atomSize(a), 0);
}

/** Services other than the DNS VIP form one class: kube-proxy DNATs them all alike. */
function serviceClass(w: World): DestClass | undefined {
  const vip = w.estate.cluster?.dnsServiceIp;
  const s = w.estate.services.find((x) => x.clusterIP !== vip && x.endpoints.length > 0);
  if (!s) return undefined;
  const port = s.ports[0]!;
  return { key: 'services', kind: 'service', label: `Service ClusterIPs (${s.name})`, ip: s.clusterIP, rep: `${s.clusterIP}:${port.port}`, proto: port.proto, port: port.port, covers: [w.estate.cluster?.serviceCidr ?? s.clusterIP], synthetic: false };
}

/** Every address already owned or reserved: ENIs, pods, VPC resolvers, nodes' bridges. */
function usedAddresses(w: World): Set<Ipv4> {
  const used = new Set<Ipv4>(w.enis.keys());
  for (const ip of w.podByIp.keys()) used.add(ip);
  for (const v of w.vpcs.values()) used.add(v.resolver);
  for (const n of w.nodes.values()) if (n.bridge) used.add(n.bridge.address);
  return used;
}

/**
 * A free host address inside the class and the subnet: AWS reserves the first
 * four and the last address of every subnet (VPC user guide, "Subnet CIDR blocks").
 */
function probeAddress(cls: SignedAtom[], subnet: Prefix, used: ReadonlySet<Ipv4>): Ipv4 | undefined {
  const lo = subnet.addr + 4;
  const hi = lastAddress(subnet) - 1;
  for (const a of cls) {
    const from = Math.max(a.start, lo);
    const to = Math.min(a.end - 1, hi);
    for (let ip = from; ip <= to && ip < from + 4096; ip++) if (!used.has(ip) && contains(subnet, ip)) return ip;
  }
  return undefined;
}
