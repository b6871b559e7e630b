/**
 * The compiled world: an estate turned into the indexes a trace walks
 * (address owners, compiled route tables, parsed node rule sets). Pure; built
 * once per estate and shared by every trace.
 */
import type { Estate } from '../model/estate.js';
import type { Instance, InternetGateway, SecurityGroup } from '../model/aws.js';
import type { Node } from '../model/k8s.js';
import { PodpathError } from '../model/errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { textKey } from '../model/source.js';
import { formatIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import { nthAddress, parseCidr, type Prefix } from '../net/prefix.js';
import { compileRouteTable } from '../aws/route-table.js';
import { defaultNetworkAcl } from '../aws/network-acl.js';
import { parseIptablesSave } from '../linux/iptables/parse.js';
import { ParseCache } from '../linux/iptables/parse-cache.js';
import type { Ruleset, TableName } from '../linux/iptables/types.js';
import { insertRules } from '../linux/iptables/insert.js';
import { deriveKubeProxyRules } from '../k8s/kube-proxy/index.js';
import { deriveNodeRoutes, parseIpRoute, type RouteEntry } from '../linux/route/ip-route.js';
import { DEFAULT_RULES, parseIpRule, type PolicyRule } from '../linux/route/ip-rule.js';
import { parseIpsetSave, type IpSet } from '../linux/ipset/ipset-save.js';
import { parseIpAddr, type IpAddrIface } from '../linux/ip-addr.js';
import { bindInterfaces } from './node-ifaces.js';
import { compiledWith, Reuse } from './world-reuse.js';
import { parseNftAny } from '../linux/nftables/parse.js';

import type { EniRecord, VpcRecord, SubnetRecord, Iface, NodeRecord, PodRecord, World, RulesetCache, RulesetEdit } from './world-types.js';

export type { EniRecord, VpcRecord, SubnetRecord, Iface, NodeRecord, PodRecord, World, RulesetCache, RulesetEdit } from './world-types.js';

/** Rule sets with inserts applied, by parsed rule set and inserts (as JSON), within one compileWorld. */
type InsertCache = Map<Ruleset, Map<string, Ruleset>>;

/** Options of compileWorld. */
export interface CompileOptions {
  /** Rule sets parsed before (see RulesetCache). @default none */
  rulesets?: RulesetCache;
  /**
   * Parse each node's dump when a trace first reads it, not up front (for
   * what-if copies whose dumps are known to parse: a trace touches a few
   * nodes of thousands). Parse errors then surface at that read.
   * @default false
   */
  lazyRulesets?: boolean;
  /** A what-if on every parsed dump (see RulesetEdit). @default none */
  editRules?: RulesetEdit;
  /**
   * The world of the estate this one was copied from: records of inputs the
   * copy left as they were (the same objects) are taken from it rather than
   * compiled again (trace/world-reuse.ts). @default none: everything is compiled
   */
  base?: World;
}

/** Compiles an estate; throws PodpathError (with file:line) when an embedded text input is unusable. */
export function compileWorld(estate: Estate, opts: CompileOptions = {}): World {
  // Nodes sharing one dump (the same text at the same file:line, e.g. hard links read once) share one parsed rule set.
  const rulesets = opts.rulesets ?? new Map();
  const inserted: InsertCache = new Map();
  const edited = new Map<Ruleset, Ruleset>();
  const edit = opts.editRules && ((r: Ruleset) => edited.get(r) ?? edited.set(r, opts.editRules!(r)).get(r)!);
  const lazy = opts.lazyRulesets ?? false;
  const reuse = new Reuse(estate, opts.base);
  const igwOf = new Map<string, InternetGateway>();
  for (const g of estate.internetGateways) if (!igwOf.has(g.vpc)) igwOf.set(g.vpc, g);
  const vpcs = new Map<string, VpcRecord>();
  for (const vpc of estate.vpcs) {
    const igw = igwOf.get(vpc.id);
    const old = reuse.vpc(vpc, igw);
    if (old) vpcs.set(vpc.id, old);
    else {
      const blocks = vpc.cidrBlocks.map((b) => parseCidr(b));
      vpcs.set(vpc.id, { vpc, blocks, resolver: nthAddress(blocks[0]!, 2), igw });
    }
  }
  const tables = new Map(estate.routeTables.map((t) => {
    const vpc = vpcs.get(t.vpc)!.vpc;
    return [t.id, reuse.routeTable(t, vpc) ?? compileRouteTable(t, vpc)];
  }));
  const mainTables = new Map<string, string>();
  for (const t of estate.routeTables) if (t.main && !mainTables.has(t.vpc)) mainTables.set(t.vpc, t.id);
  const acls = new Map(estate.networkAcls.map((a) => [a.id, a]));
  const subnets = new Map<string, SubnetRecord>();
  for (const s of estate.subnets) {
    const acl = s.networkAcl ? acls.get(s.networkAcl) : undefined;
    const vpc = vpcs.get(s.vpc)!;
    const routeTable = tables.get(s.routeTable ?? mainTables.get(s.vpc)!)!;
    subnets.set(s.id, reuse.subnet(s, vpc, routeTable, acl) ?? {
      subnet: s,
      prefix: parseCidr(s.cidr),
      vpc,
      routeTable,
      acl: acl ?? defaultNetworkAcl(s.vpc),
      aclDerived: !acl,
    });
  }
  const sgs = new Map(estate.securityGroups.map((g) => [g.id, g]));
  const sgMembers = new Map<string, Set<Ipv4>>(estate.securityGroups.map((g) => [g.id, new Set()]));
  const enis = new Map<Ipv4, EniRecord>();
  const instanceEni = new Map<string, EniRecord>();
  const addEni = (eni: EniRecord) => {
    const owned = eni.prefixes.length === 0 ? eni.addresses : [...eni.addresses, ...eni.prefixes.flatMap(prefixAddresses)];
    for (const a of owned) {
      const other = enis.get(a);
      if (other) throw new PodpathError('PP_SCHEMA', `address ${formatIpv4(a)} of ${eni.id} is already used by ${other.id}`, eniSource(eni));
      enis.set(a, eni);
    }
    for (const g of eni.groups) for (const a of owned) sgMembers.get(g.id)?.add(a);
  };
  const instanceEnis = new Map<string, EniRecord[]>();
  const enisById = new Map<string, EniRecord>();
  for (const i of estate.instances) {
    const all = reuse.instanceEnis(i, subnets, sgs) ?? instanceEniRecords(i, subnets, sgs);
    for (const eni of all) addEni(eni);
    instanceEni.set(i.id, all[0]!);
    for (const secondary of all.slice(1)) enisById.set(secondary.id, secondary);
    instanceEnis.set(i.id, all);
  }
  for (const r of estate.rdsInstances) {
    const primary = parseIpv4(r.address);
    const subnet = subnets.get(r.subnet)!;
    const groups = r.securityGroups.map((g) => sgs.get(g)!);
    addEni(reuse.rdsEni(r, primary, subnet, groups) ?? {
      id: `eni-of-rds-${r.id}`,
      owner: { kind: 'rds', rds: r },
      subnet,
      deviceIndex: 0,
      addresses: [primary],
      prefixes: [],
      primary,
      sourceDestCheck: true,
      groups,
    });
  }

  const natGateways = new Map<string, EniRecord>();
  for (const g of estate.natGateways) {
    const subnet = subnets.get(g.subnet)!;
    let eni = reuse.natEni(g, subnet);
    if (!eni) {
      const primary = parseIpv4(g.privateIp);
      eni = {
        id: g.id,
        deviceIndex: 0,
        owner: { kind: 'nat-gateway', nat: g },
        subnet,
        addresses: [primary],
        prefixes: [],
        primary,
        publicIp: g.publicIp ? parseIpv4(g.publicIp) : undefined,
        sourceDestCheck: false,
        groups: [],
      };
    }
    addEni(eni);
    natGateways.set(g.id, eni);
  }

  const nodes = new Map<string, NodeRecord>();
  const nodeByInstance = new Map<string, NodeRecord>();
  const estateFile = estate.file ?? '<estate>';
  const reuseNodes = reuse.nodesWith(rulesets, lazy, opts.editRules);
  for (const n of estate.nodes) {
    const enisOfNode = instanceEnis.get(n.instance)!;
    const rec = (reuseNodes && reuse.node(n, enisOfNode)) || compileNode(n, enisOfNode, estateFile, estate, rulesets, lazy, inserted, edit);
    nodes.set(n.name, rec);
    nodeByInstance.set(n.instance, rec);
  }
  const pods = new Map<string, PodRecord>();
  const podByIp = new Map<Ipv4, PodRecord>();
  for (const p of estate.pods) {
    const node = nodes.get(p.node)!;
    // A node record taken from the base world already holds its pods' records (the same pods: reuse.nodesWith).
    const name = podName(p.name);
    const old = reuseNodes ? reuse.pod(p, name, node) : undefined;
    const rec: PodRecord = old ?? { pod: p, name, node, ip: p.hostNetwork ? node.eth0.address : parseIpv4(p.ip!) };
    pods.set(rec.name, rec);
    if (!p.hostNetwork) {
      podByIp.set(rec.ip, rec);
      if (!old) node.pods.set(rec.ip, rec);
    }
  }
  const world: World = {
    estate,
    vpcs,
    subnets,
    enis,
    instanceEni,
    instanceEnis,
    enisById,
    rdsById: new Map(estate.rdsInstances.map((r) => [r.id, r])),
    nodes,
    nodeByInstance,
    pods,
    podByIp,
    peerings: new Map(estate.peerings.map((p) => [p.id, p])),
    igws: new Map(estate.internetGateways.map((g) => [g.id, g])),
    sgMembers,
    natGateways,
    transitGateways: new Map(estate.transitGateways.map((g) => [g.id, g])),
    rulesets,
  };
  compiledWith.set(world, { lazy, edited: opts.editRules !== undefined });
  return world;
}

/** The id podpath gives an instance's primary interface (the describe-instances input names only its secondary ones). */
export const primaryEniId = (instanceId: string): string => `eni-of-${instanceId}`;

/** An instance's ENI records: its primary interface, then its secondary ones by device index. */
function instanceEniRecords(i: Instance, subnets: Map<string, SubnetRecord>, sgs: Map<string, SecurityGroup>): EniRecord[] {
  const primary = parseIpv4(i.privateIp);
  const all: EniRecord[] = [{
    id: primaryEniId(i.id),
    deviceIndex: 0,
    ...(i.mac ? { mac: i.mac.toLowerCase() } : {}),
    owner: { kind: 'instance', instance: i },
    subnet: subnets.get(i.subnet)!,
    addresses: [primary, ...i.secondaryIps.map(parseIpv4)],
    prefixes: i.ipv4Prefixes.map((c) => parseCidr(c)),
    primary,
    publicIp: i.publicIp ? parseIpv4(i.publicIp) : undefined,
    sourceDestCheck: i.sourceDestCheck,
    groups: i.securityGroups.map((g) => sgs.get(g)!),
  }];
  for (const x of [...i.secondaryEnis].sort((a, b) => a.deviceIndex - b.deviceIndex)) {
    const own = parseIpv4(x.privateIp);
    all.push({
      id: x.id,
      deviceIndex: x.deviceIndex,
      ...(x.mac ? { mac: x.mac.toLowerCase() } : {}),
      owner: { kind: 'instance', instance: i },
      subnet: subnets.get(x.subnet ?? i.subnet)!,
      addresses: [own, ...x.secondaryIps.map(parseIpv4)],
      prefixes: x.ipv4Prefixes.map((c) => parseCidr(c)),
      primary: own,
      sourceDestCheck: x.sourceDestCheck,
      groups: (x.securityGroups ?? i.securityGroups).map((g) => sgs.get(g)!),
    });
  }
  return all;
}

/** Every address of a delegated prefix (a /28: 16 addresses). */
function prefixAddresses(p: Prefix): Ipv4[] {
  return Array.from({ length: 2 ** (32 - p.len) }, (_, k) => (p.addr + k) >>> 0);
}

/** `namespace/name`, with `default/` added when no namespace is given. */
export function podName(name: string): string {
  return name.includes('/') ? name : `default/${name}`;
}

function eniSource(eni: EniRecord) {
  const o = eni.owner;
  const src = o.kind === 'instance' ? o.instance.source : o.kind === 'rds' ? o.rds.source : o.nat.source;
  return src ? { file: src.file, line: src.line } : {};
}

/**
 * A node without an iptables dump: the rules kube-proxy (iptables mode) would
 * write for the estate's Services, or empty tables when there are none; either
 * way marked derived, so every netfilter hop says it was not read.
 */
function rulesWithoutDump(estate: Estate, node: string, estateFile: string): Ruleset {
  if (estate.services.length === 0) return emptyRuleset(`${estateFile} (node ${node}: no iptables given; empty tables with ACCEPT policies assumed)`);
  const derived = deriveKubeProxyRules(estate, node);
  const err = derived.diagnostics.find((d) => d.severity === 'error');
  if (err) throw new PodpathError('PP_PARSE', `derived kube-proxy rules for ${node}: ${err.message}`, { file: estateFile });
  return derived.ruleset;
}

/** A parse's value; its first error as a PodpathError (`what: message`, at the error's file:line). */
function readOrThrow<T>(what: string, parsed: { value: T; diagnostics: readonly Diagnostic[] }): T {
  const err = parsed.diagnostics.find((d) => d.severity === 'error');
  if (err) throw new PodpathError('PP_PARSE', `${what}: ${err.message}`, { file: err.file, line: err.line });
  return parsed.value;
}

function compileNode(
  n: Node, enis: EniRecord[], estateFile: string, estate: Estate, cache: RulesetCache | undefined, lazy: boolean, inserted: InsertCache, edit: RulesetEdit | undefined,
): NodeRecord {
  const derived: string[] = [];
  const eni = enis[0]!;
  let ipAddr: IpAddrIface[] | undefined;
  if (n.ipAddr) {
    ipAddr = readOrThrow('ip addr', parseIpAddr({ ...n.ipAddr, file: n.ipAddr.file ?? estateFile }));
  }
  // Before routes are read, only ip addr can bind the primary interface's name (derived routes use it).
  const early = bindInterfaces(enis, [], ipAddr).interfaces.find((i) => i.eni === eni);
  const eth0: Iface = { name: early?.name ?? 'eth0', address: eni.primary, prefix: eni.subnet.prefix };
  let bridge: Iface | undefined;
  if (n.bridge) {
    const prefix = n.podCidr ? parseCidr(n.podCidr) : parseCidr(`${n.bridge.address}/32`);
    bridge = { name: n.bridge.name, address: parseIpv4(n.bridge.address), prefix };
  }
  const rulesetOf = (): Ruleset => {
    const read = n.iptables ? parseRuleset(n.iptables, estateFile, cache) : undefined;
    const parsed = read ? (edit ? edit(read) : read) : rulesWithoutDump(estate, n.name, estateFile);
    // Rules derived from a CNI/masquerade profile (no dump given) say so on every netfilter hop.
    const dumped = n.iptables?.derived ? { ...parsed, derived: n.iptables.derived } : parsed;
    if (!n.iptables) derived.push(dumped.derived ?? 'no iptables-save given');
    if (n.iptablesInserts.length === 0 || dumped !== parsed) return insertRules(dumped, n.iptablesInserts);
    // The same inserts on the same shared rule set (a what-if on every node) give one shared result.
    const key = JSON.stringify(n.iptablesInserts);
    const byInserts = inserted.get(parsed) ?? new Map<string, Ruleset>();
    inserted.set(parsed, byInserts);
    let done = byInserts.get(key);
    if (!done) byInserts.set(key, (done = insertRules(parsed, n.iptablesInserts)));
    return done;
  };
  const eager = lazy && n.iptables ? undefined : rulesetOf();
  if (n.iptables?.derived) derived.push(n.iptables.derived);
  let routes: RouteEntry[] | undefined;
  if (n.routes) {
    routes = readOrThrow('ip route', parseIpRoute({ ...n.routes, file: n.routes.file ?? estateFile }));
  } else {
    derived.push('no ip route given: routes derived from eth0, the bridge and the VPC router (subnet base + 1)');
  }
  // Derived routes cannot fail: they (and the interface binding that reads them) are built when a
  // trace first reads the node, not for each of thousands of nodes up front.
  const routesOf = () => routes ?? deriveNodeRoutes({
    eth0: { name: eth0.name, address: eth0.address, prefix: eth0.prefix },
    bridge: bridge && { name: bridge.name, address: bridge.address, prefix: bridge.prefix },
    gateway: nthAddress(eni.subnet.prefix, 1),
    at: n.source,
  });
  let ipRules: readonly PolicyRule[] = DEFAULT_RULES;
  if (n.ipRules) {
    ipRules = readOrThrow('ip rule', parseIpRule({ ...n.ipRules, file: n.ipRules.file ?? estateFile }));
  }
  let ipsets: ReadonlyMap<string, IpSet> | undefined;
  if (n.ipsets) {
    ipsets = readOrThrow('ipset save', parseIpsetSave({ ...n.ipsets, file: n.ipsets.file ?? estateFile }));
  }
  const nft = n.nftRuleset ? parseNftAny(n.nftRuleset.text, n.nftRuleset.file ?? estateFile) : undefined;
  const linkOf = () => {
    const r = routesOf();
    const binding = bindInterfaces(enis, r, ipAddr);
    const primaryIface = binding.interfaces.find((i) => i.eni === eni);
    const bound: Iface = primaryIface ? { name: primaryIface.name, address: eni.primary, prefix: eni.subnet.prefix } : eth0;
    return { routes: r, eth0: bound, interfaces: binding.interfaces, ifaceConflicts: binding.conflicts };
  };
  const rec = {
    node: n, eni, ...(routes ? linkOf() : { routes: [], eth0, interfaces: [], ifaceConflicts: [] }), ...(ipAddr ? { ipAddr } : {}),
    bridge, ruleset: eager!, ipRules, ...(ipsets ? { ipsets } : {}), ...(nft ? { nft } : {}), derived, pods: new Map(),
  };
  // A lazy field is read through a getter once: the first read makes it (and its siblings) plain data (a trace reads them at every hop).
  if (!routes) {
    const keys = ['routes', 'eth0', 'interfaces', 'ifaceConflicts'] as const;
    const settle = () => {
      const link = linkOf();
      for (const k of keys) Object.defineProperty(rec, k, { value: link[k], enumerable: true, configurable: true, writable: true });
      return link;
    };
    for (const k of keys) Object.defineProperty(rec, k, { enumerable: true, configurable: true, get: () => settle()[k] });
  }
  if (!eager) {
    Object.defineProperty(rec, 'ruleset', {
      enumerable: true, configurable: true,
      get: () => {
        const value = rulesetOf();
        Object.defineProperty(rec, 'ruleset', { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
    });
  }
  return rec;
}

/**
 * One ParseCache per rule set cache: the compiles that share parsed rule sets
 * (doctor's world, its probes, its what-ifs) also share the parse of every
 * rule line, so dumps that differ in a few lines (one per node group) are
 * read almost for free after the first (linux/iptables/parse-cache.ts).
 */
const lineCaches = new WeakMap<RulesetCache, ParseCache>();
function lineCacheOf(rulesets: RulesetCache): ParseCache {
  let c = lineCaches.get(rulesets);
  if (!c) lineCaches.set(rulesets, (c = new ParseCache()));
  return c;
}

function parseRuleset(src: { text: string; file?: string; firstLine?: number; digest?: string }, estateFile: string, cache: RulesetCache | undefined): Ruleset {
  const file = src.file ?? estateFile;
  const at = `${file}:${src.firstLine ?? 1}`;
  const key = textKey(src);
  const seen = cache?.get(key)?.get(at);
  if (seen) return seen;
  const parsed = readOrThrow('iptables-save', parseIptablesSave({ ...src, file }, cache ? { cache: lineCacheOf(cache) } : {}));
  if (cache) {
    const byAt = cache.get(key) ?? new Map<string, Ruleset>();
    byAt.set(at, parsed);
    cache.set(key, byAt);
  }
  return parsed;
}

/** An empty rule set with ACCEPT policies, marked derived. */
function emptyRuleset(why: string): Ruleset {
  return { tables: new Map<TableName, never>(), file: why, derived: why };
}
