/**
 * Reads a failed trace and names the findings it shows. Each detector reads
 * typed hop data (which hop decided, with which packet, through which
 * resource; blame.ts), never the sentences written for people. A failure no
 * detector recognises still gets the generic PP110 finding from doctor.ts, so
 * every undelivered pair is covered.
 *
 * Right cause before remedy: PP101 (masquerade) is named only where
 * translating the pod source is a legitimate remedy, i.e. for destinations
 * outside the cluster. Pod-to-pod and pod-to-node traffic must keep the pod
 * address (the Kubernetes network model: pods reach all pods and nodes
 * without NAT), so their failures get the finding of what dropped them.
 */
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';
import { contains, parseCidr, type Prefix } from '../net/prefix.js';
import { evaluateSecurityGroups } from '../aws/security-group.js';
import type { RuleRef } from '../model/source.js';
import type { Hop, Trace } from '../trace/types.js';
import type { EniRecord, World } from '../trace/world.js';
import { blame, locationOf } from './blame.js';
import type { FindingId, Severity } from './catalog.js';
import type { DestClass, FindingFacts, SourceClass } from './types.js';

/** One recognised pattern in one trace. */
export interface Detection {
  id: FindingId;
  /** Groups detections into one finding. */
  key: string;
  title: string;
  message: string;
  location: { file: string; line: number } | { awsId: string };
  facts: FindingFacts;
  /** Overrides the catalog severity (e.g. a latent overlap is a warning). */
  severity?: Severity;
}

const EMPTY: ReadonlySet<number> = new Set();

function vpcBlocksOf(w: World, vpc: string): string[] {
  return w.vpcs.get(vpc)?.vpc.cidrBlocks ?? [];
}

function inBlocks(blocks: readonly string[], ip: string): boolean {
  return blocks.some((b) => contains(parseCidr(b, { nonAligned: 'mask' }), parseIpv4(ip)));
}

/** The cluster's pod address space: the cluster pod CIDR and every node's pod CIDR (memoised per world: thousands of nodes). */
export function podBlocks(w: World): string[] {
  let blocks = podBlockLists.get(w);
  if (blocks) return blocks;
  const out = new Set<string>();
  if (w.estate.cluster?.podCidr) out.add(w.estate.cluster.podCidr);
  for (const n of w.nodes.values()) if (n.node.podCidr) out.add(n.node.podCidr);
  podBlockLists.set(w, (blocks = [...out]));
  return blocks;
}
const podBlockLists = new WeakMap<World, string[]>();

/** True when `ip` is in the cluster's pod address space (podBlocks), read as prefixes once per world. */
function inPodBlocks(w: World, ip: string): boolean {
  let prefixes = podPrefixes.get(w);
  if (!prefixes) podPrefixes.set(w, (prefixes = podBlocks(w).map((b) => parseCidr(b, { nonAligned: 'mask' }))));
  const a = parseIpv4(ip);
  return prefixes.some((p) => contains(p, a));
}
const podPrefixes = new WeakMap<World, Prefix[]>();

/** Each Service's ClusterIP, per Service list. */
const clusterIps = new WeakMap<readonly { clusterIP?: string }[], Set<string | undefined>>();

/**
 * True when `ip` is inside the cluster: a pod address, a node's address, or a
 * Service's ClusterIP. The Service CIDR as a whole is not used: where it
 * overlaps a routed block (the seed), a real host in it is outside the cluster.
 */
export function insideCluster(w: World, ip: string): boolean {
  const a = parseIpv4(ip);
  if (w.podByIp.has(a)) return true;
  const eni = w.enis.get(a);
  if (eni) return eni.owner.kind === 'instance' && w.nodeByInstance.has(eni.owner.instance.id);
  if (inPodBlocks(w, ip)) return true;
  const services = w.estate.services;
  let ips = clusterIps.get(services);
  if (!ips) clusterIps.set(services, (ips = new Set(services.map((s) => s.clusterIP))));
  return ip === w.estate.cluster?.dnsServiceIp || ips.has(ip);
}

/** The source address the packet carried when it left the sending node or ENI. */
export function sourceOnTheWire(t: Trace): string | undefined {
  const h = t.forward.find((x) => (x.kind === 'security-group' || x.kind === 'eni') && x.direction === 'egress');
  return h?.packetIn.src;
}

/** The source the destination saw (or would have seen): the packet at the last forward hop. */
export function seenSource(t: Trace): string {
  return t.forward.at(-1)!.packetIn.src;
}

/** The VPC owning a destination address, if any. */
function dstVpc(w: World, ip: string): string | undefined {
  const a = parseIpv4(ip);
  return [...w.vpcs.values()].find((v) => v.blocks.some((b) => contains(b, a)))?.vpc.id;
}

/** The target of the node rule a reference points at (iptables rules keep file:line). */
function ruleTarget(w: World, nodes: readonly string[], ref: RuleRef): string | undefined {
  if (!('file' in ref.at)) return undefined;
  const { file, line } = ref.at;
  for (const name of nodes) {
    for (const table of w.nodes.get(name)?.ruleset.tables.values() ?? []) {
      for (const chain of table.chains.values()) {
        const r = chain.rules.find((x) => x.loc.line === line && x.loc.file === file);
        if (r) return r.target?.name;
      }
    }
  }
  return undefined;
}

/** The ENI a hop record names by id. */
function eniById(w: World, id: string): EniRecord | undefined {
  let byId = eniIndexes.get(w.enis);
  if (!byId) {
    byId = new Map();
    // The first ENI of an id in map order, as a scan finds it (the map is filled once, when the world is compiled).
    for (const e of w.enis.values()) if (!byId.has(e.id)) byId.set(e.id, e);
    eniIndexes.set(w.enis, byId);
  }
  return byId.get(id);
}
const eniIndexes = new WeakMap<ReadonlyMap<unknown, EniRecord>, Map<string, EniRecord>>();

/** Every finding pattern in one failed trace. */
export function detect(w: World, s: SourceClass, d: DestClass, t: Trace): Detection[] {
  if (t.verdict === 'delivered') return [];
  if (t.verdict === 'unknown') return [unknownDetection(t)];
  const out: Detection[] = [];
  const hops = [...t.forward, ...(t.reply ?? [])];
  const b = blame(t);
  const wire = sourceOnTheWire(t);
  const srcBlocks = vpcBlocksOf(w, s.vpc);
  const untranslatedPod = s.kind === 'pods' && wire === s.ip && !inBlocks(srcBlocks, s.ip);
  if (untranslatedPod && !inBlocks(srcBlocks, d.ip) && !insideCluster(w, d.ip) && d.kind !== 'pods' && d.kind !== 'service') {
    const peering = hops.find((h): h is Extract<Hop, { kind: 'peering' }> => h.kind === 'peering');
    const vpc = dstVpc(w, d.ip);
    const masq = t.contributing.find((c) => ['MASQUERADE', 'SNAT'].includes(ruleTarget(w, s.nodes, c.rule) ?? ''));
    out.push({
      id: 'PP101',
      key: `PP101|${d.key}`,
      title: `pods leave un-masqueraded toward ${d.label} (${d.ip})`,
      message: `${s.label} send to ${d.ip} with their pod address ${s.ip}, which is outside ${s.vpc} (${srcBlocks.join(', ')})` +
        `${masq ? `: ${masq.why}` : ''}. ${t.reason}`,
      location: masq ? locationOf(masq.rule, 'estate') : locationOf(t.decidingRule, 'estate'),
      facts: {
        podCidr: w.estate.cluster?.podCidr, nodeVpcBlocks: srcBlocks, routedBlocks: vpc ? vpcBlocksOf(w, vpc) : [d.ip + '/32'],
        hosts: d.kind === 'rds' ? [d.ip] : [], nodes: s.nodes, ...(peering ? { peering: peering.peering } : {}),
      },
    });
  }
  const sg = sgNotPodSource(w, s, d, t);
  if (sg) out.push(sg);
  const nodeSg = nodeSgDropsPods(w, s, t);
  if (nodeSg) out.push(nodeSg);
  const bh = b?.hop;
  if (t.verdict === 'reply-lost' && bh?.kind === 'nacl') {
    const client = bh.packetIn.dst;
    const block = vpcBlocksOf(w, dstVpc(w, client) ?? '').find((x) => inBlocks([x], client)) ?? `${client}/32`;
    out.push({
      id: 'PP106', key: `PP106|${bh.acl}`, title: `network ACL ${bh.acl} drops replies to client port ${bh.packetIn.dport ?? '?'}`,
      message: `${t.reason} Linux clients pick source ports from 32768-60999 (net.ipv4.ip_local_port_range); a NACL is stateless, so its ${bh.direction} rules must admit the replies to all of them.`,
      location: { awsId: bh.acl }, facts: { networkAcl: bh.acl, naclDirection: bh.direction, naclCidr: block },
    });
  }
  const eniDrop = hops.find((h): h is Extract<Hop, { kind: 'eni' }> => h.kind === 'eni' && h.decision === 'drop');
  if (eniDrop) {
    const eni = eniById(w, eniDrop.at);
    const instance = eni?.owner.kind === 'instance' ? eni.owner.instance.id : undefined;
    out.push({ id: 'PP107', key: `PP107|${eniDrop.at}`, title: `source/dest check on ${eniDrop.at} drops ${eniDrop.packetIn.src} -> ${eniDrop.packetIn.dst}`, message: t.reason, location: { awsId: eniDrop.at }, facts: instance ? { instance } : {} });
  }
  const blackhole = hops.find((h): h is Extract<Hop, { kind: 'route-table' }> => h.kind === 'route-table' && h.decision === 'drop');
  if (blackhole?.rule) {
    const at = blackhole.rule.at;
    const peer = peeringBetween(w, blackhole.table, blackhole.packetIn.dst);
    out.push({ id: 'PP108', key: `PP108|${blackhole.rule.ref}`, title: `${blackhole.rule.ref} blackholes traffic to ${blackhole.packetIn.dst}`, message: t.reason, location: { awsId: blackhole.table },
      facts: { routeTable: blackhole.table, routeDestination: 'file' in at ? '' : String(at.index ?? ''), ...(peer ? { routeTarget: peer } : {}) } });
  }
  if (t.verdict === 'reply-lost' && !untranslatedPod && bh?.kind !== 'nacl') {
    const rt = t.reply?.filter((h): h is Extract<Hop, { kind: 'route-table' }> => h.kind === 'route-table').at(-1);
    const lost = t.reply?.at(-1);
    if (rt && lost && (lost.kind === 'igw' || lost.decision === 'no-route' || rt.decision === 'no-route')) {
      const seen = seenSource(t);
      const srcVpc = dstVpc(w, seen);
      const peering = t.forward.find((h): h is Extract<Hop, { kind: 'peering' }> => h.kind === 'peering');
      const block = srcVpc ? vpcBlocksOf(w, srcVpc).find((x) => inBlocks([x], seen)) : undefined;
      out.push({ id: 'PP108', key: `PP108|return:${rt.table}`, title: `${rt.table} has no route back to ${seen}`, message: t.reason, location: { awsId: rt.table },
        facts: { routeTable: rt.table, sourceCidr: block ?? `${seen}/32`, ...(peering ? { routeTarget: peering.peering } : {}) } });
    }
  }
  const transitive = transitivePeering(w, t);
  if (transitive) out.push(transitive);
  const igw = privateToIgw(w, t);
  if (igw) out.push(igw);
  const zone = tgwZoneMissing(w, t);
  if (zone) out.push(zone);
  return out;
}

/** An active peering between a route table's VPC and the VPC that owns `dst` (where a blackholed route probably pointed). */
function peeringBetween(w: World, table: string, dst: string): string | undefined {
  const vpc = w.estate.routeTables.find((t) => t.id === table)?.vpc;
  const other = dstVpc(w, dst);
  if (!vpc || !other) return undefined;
  return [...w.peerings.values()].find((p) => p.status === 'active' && ((p.requester === vpc && p.accepter === other) || (p.accepter === vpc && p.requester === other)))?.id;
}

/** PP199: what is not modelled decided the flow; never an error-level finding built on it. */
function unknownDetection(t: Trace): Detection {
  const what = t.decidingRule?.ref ?? blame(t)?.label ?? 'a hop';
  return { id: 'PP199', key: `PP199|${what}`, title: `podpath cannot tell what happens at ${what}`, message: t.reason, location: locationOf(t.decidingRule, 'estate'), facts: {} };
}

/** PP109: a peering dropped a packet whose destination is outside the peer VPC (peering is not transitive). */
function transitivePeering(w: World, t: Trace): Detection | undefined {
  const drop = t.forward.find((h): h is Extract<Hop, { kind: 'peering' }> => h.kind === 'peering' && h.decision === 'drop');
  const pcx = drop ? w.peerings.get(drop.peering) : undefined;
  if (!drop || !pcx) return undefined;
  const ends = [pcx.requester, pcx.accepter].flatMap((v) => vpcBlocksOf(w, v));
  if (inBlocks(ends, drop.packetIn.dst)) return undefined;
  const rt = t.forward.filter((h): h is Extract<Hop, { kind: 'route-table' }> => h.kind === 'route-table').at(-1);
  return { id: 'PP109', key: `PP109|${rt?.rule?.ref ?? drop.peering}`, title: `${rt?.rule?.text ?? 'a route'} sends ${drop.packetIn.dst} into ${drop.peering}, which does not carry it`,
    message: t.reason, location: { awsId: rt?.table ?? drop.peering }, facts: { peering: drop.peering, ...(rt ? { routeTable: rt.table } : {}) } };
}

/**
 * PP114: a transit gateway attachment has no subnet in the sender's zone, so
 * AWS does not forward that zone's traffic to the gateway (Transit Gateway
 * guide, "Resource attachments": one attachment subnet per Availability Zone
 * that sends). Read from the drop's rule (`tgw-attach-...#subnets`).
 */
function tgwZoneMissing(w: World, t: Trace): Detection | undefined {
  const drop = t.forward.find((h): h is Extract<Hop, { kind: 'tgw' }> => h.kind === 'tgw' && h.decision === 'drop');
  const at = drop?.rule?.at;
  if (!drop || !at || 'file' in at || at.index !== 'subnets') return undefined;
  const sender = w.enis.get(parseIpv4(drop.packetIn.src));
  const subnet = sender?.subnet.subnet;
  const az = subnet?.availabilityZone;
  if (!subnet || !az) return undefined;
  const candidate = w.estate.subnets.find((x) => x.vpc === subnet.vpc && x.availabilityZone === az && x.id === subnet.id) ?? subnet;
  return {
    id: 'PP114', key: `PP114|${at.awsId}|${az}`,
    title: `${at.awsId} has no subnet in ${az}: hosts there (${subnet.id}) cannot reach ${drop.gateway}`,
    message: `${t.reason} A VPC attachment serves only the Availability Zones of its subnets (AWS Transit Gateway guide, "Resource attachments"); add a subnet in ${az} to the attachment.`,
    location: { awsId: at.awsId }, facts: { tgwAttachment: at.awsId, tgwSubnet: candidate.id },
  };
}

/** PP113: an internet gateway dropped a request from an interface that has no public address. */
function privateToIgw(w: World, t: Trace): Detection | undefined {
  const drop = t.forward.find((h): h is Extract<Hop, { kind: 'igw' }> => h.kind === 'igw' && h.decision === 'drop');
  if (!drop) return undefined;
  const eni = w.enis.get(parseIpv4(drop.packetIn.src));
  if (!eni || eni.publicIp !== undefined || eni.owner.kind === 'nat-gateway') return undefined;
  const rt = t.forward.filter((h): h is Extract<Hop, { kind: 'route-table' }> => h.kind === 'route-table').at(-1);
  const who = eni.owner.kind === 'instance' ? eni.owner.instance.id : eni.id;
  return {
    id: 'PP113', key: `PP113|${eni.subnet.subnet.id}`,
    title: `${eni.subnet.subnet.id} routes the internet to ${drop.gateway}, but ${who} (${drop.packetIn.src}) has no public address`,
    message: `${t.reason} An internet gateway translates only addresses that have a public IPv4 address or Elastic IP (VPC user guide, "Enable internet access for a VPC using an internet gateway"); a private-only host needs a NAT gateway route instead.`,
    location: { awsId: rt?.table ?? drop.gateway }, facts: { routeTable: rt?.table, ...(eni.owner.kind === 'instance' ? { instance: eni.owner.instance.id } : {}) },
  };
}

/** PP105: the destination's security groups admit the node address but not the pod source seen. */
function sgNotPodSource(w: World, s: SourceClass, d: DestClass, t: Trace): Detection | undefined {
  if (s.kind !== 'pods' || s.nodes.length === 0 || insideCluster(w, d.ip)) return undefined;
  const eni = w.enis.get(parseIpv4(d.ip));
  if (!eni || eni.groups.length === 0) return undefined;
  const ids = eni.groups.map((g) => g.id);
  const onIds = (r?: RuleRef) => r !== undefined && !('file' in r.at) && r.at.awsId.split(',').some((id) => ids.includes(id));
  if (!onIds(t.decidingRule) && !t.contributing.some((c) => onIds(c.rule))) return undefined;
  const seen = seenSource(t);
  const node = w.nodes.get(s.nodes[0]!)!;
  const p = { src: parseIpv4(seen), dst: eni.primary, proto: d.proto, sport: 40000, dport: d.port };
  const members = (id: string) => w.sgMembers.get(id) ?? EMPTY;
  const asPod = evaluateSecurityGroups(eni.groups, 'ingress', p, members);
  const nodePacket = { ...p, src: node.eth0.address };
  const asNode = evaluateSecurityGroups(eni.groups, 'ingress', nodePacket, members);
  if (asPod.allowed || !asNode.allowed || 'file' in asNode.rule.at) return undefined;
  const gid = asNode.rule.at.awsId;
  const g = eni.groups.find((x) => x.id === gid)!;
  const rule = g.ingress.find((r) => evaluateSecurityGroups([{ ...g, ingress: [r] }], 'ingress', nodePacket, members).allowed);
  return {
    id: 'PP105', key: `PP105|${g.id}`,
    title: `security group ${g.id} admits the node ${formatIpv4(node.eth0.address)} but not the pod source ${seen}`,
    message: `${d.label} is reached from ${s.label} with source ${seen}; ${g.id} allows ${asNode.rule.text} (${asNode.rule.ref}) but ${asPod.rule.text}.`,
    location: { awsId: g.id },
    facts: { securityGroup: g.id, sgRule: rule ? { proto: String(rule.proto), ...(rule.ports ? { ports: rule.ports.from === rule.ports.to ? rule.ports.from : `${rule.ports.from}-${rule.ports.to}` } : {}) } : { proto: d.proto, ports: d.port }, podCidr: w.estate.cluster?.podCidr, hosts: [d.ip], nodes: s.nodes },
  };
}

/**
 * PP112: a node's security group drops traffic from a pod address (pod to a
 * pod or to a node on another node): the cluster's pod CIDR must be admitted
 * by the nodes' groups, since that traffic keeps its pod source.
 */
function nodeSgDropsPods(w: World, s: SourceClass, t: Trace): Detection | undefined {
  if (s.kind !== 'pods') return undefined;
  const drop = t.forward.find((h): h is Extract<Hop, { kind: 'security-group' }> => h.kind === 'security-group' && h.direction === 'ingress' && h.decision === 'drop');
  if (!drop) return undefined;
  const eni = eniById(w, drop.at);
  const node = eni?.owner.kind === 'instance' ? w.nodeByInstance.get(eni.owner.instance.id) : undefined;
  const pods = podBlocks(w);
  if (!eni || !node || !inPodBlocks(w, drop.packetIn.src)) return undefined;
  const g = eni.groups[0];
  if (!g) return undefined;
  const podCidr = w.estate.cluster?.podCidr ?? pods[0];
  return {
    id: 'PP112', key: `PP112|${eni.groups.map((x) => x.id).join('+')}`,
    title: `security group ${eni.groups.map((x) => x.id).join(', ')} of node ${node.node.name} drops traffic from pod address ${drop.packetIn.src}`,
    message: `${t.reason} Pod-to-pod and pod-to-node traffic keeps its pod source (the Kubernetes network model: no NAT between pods), so the nodes' security groups must admit the pod CIDR${podCidr ? ` ${podCidr}` : ''}.`,
    location: { awsId: g.id },
    facts: { securityGroup: g.id, sgRule: { proto: 'all' }, ...(podCidr ? { podCidr } : {}), nodes: [node.node.name] },
  };
}
