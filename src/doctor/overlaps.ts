/**
 * Address-plan checks that hold whatever is traced: the cluster's Service and
 * pod CIDRs against every routed block (VPC blocks and route destinations;
 * the cluster's own pod routes excepted), and peering routes whose destination
 * lies outside the peer VPC (peering is not transitive). Each is backed by
 * evidence traces: a what-if Service that takes a real host's address (PP102),
 * a node sending to a host inside the overlap (PP103), a packet to an address
 * the peering route covers but the peer does not own (PP109).
 */
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';
import { contains, covers, formatPrefix, lastAddress, overlaps, parseCidr, prefixKey, type Prefix } from '../net/prefix.js';
import { withIptablesInsert } from '../fix/what-if.js';
import { traceFlow } from '../trace/trace.js';
import type { Trace } from '../trace/types.js';
import { compileWorld, type World } from '../trace/world.js';
import type { Detection } from './classify.js';
import type { SourceClass } from './types.js';

const cidr = (t: string) => parseCidr(t, { nonAligned: 'mask' });

/** A routed block: a VPC block or a route destination, with who routes it. */
interface Routed {
  prefix: Prefix;
  what: string;
  /** Routed from the nodes' subnets (their route table sends it somewhere) or their own VPC. */
  reachable: boolean;
}

function routedBlocks(w: World, podCidr?: Prefix): Routed[] {
  // Keyed by address and length: the transit gateway routes of a large estate are checked against thousands of nodes.
  const nodePodCidrs = new Set([...w.nodes.values()].flatMap((n) => (n.node.podCidr ? [prefixKey(cidr(n.node.podCidr))] : [])));
  const nodeTables = new Set([...w.nodes.values()].map((n) => n.eni.subnet.routeTable.id));
  const nodeVpcs = new Set([...w.nodes.values()].map((n) => n.eni.subnet.vpc.vpc.id));
  const out: Routed[] = [];
  for (const v of w.vpcs.values()) for (const b of v.blocks) out.push({ prefix: b, what: `${v.vpc.id} block ${formatPrefix(b)}`, reachable: nodeVpcs.has(v.vpc.id) });
  for (const t of w.estate.routeTables) {
    for (const r of t.routes) {
      const p = cidr(r.destination);
      if (p.len === 0 || r.target === 'local') continue;
      if (podCidr && covers(podCidr, p) && r.target.startsWith('i-') && w.nodeByInstance.has(r.target)) continue;
      // A cluster spread over VPCs joined by a transit gateway routes each node's pod CIDR to the gateway: the cluster's own pods.
      if (r.target.startsWith('tgw-') && nodePodCidrs.has(prefixKey(p))) continue;
      out.push({ prefix: p, what: `route ${r.destination} -> ${r.target} in ${t.id}`, reachable: nodeTables.has(t.id) });
    }
  }
  const tables = [...new Set([...w.nodes.values()].map((n) => n.eni.subnet.routeTable))];
  for (const r of out) {
    if (!r.reachable) r.reachable = tables.some((t) => {
      const route = t.trie.longestMatch(r.prefix.addr)?.value;
      return route !== undefined && route.prefix.len > 0;
    });
  }
  return out;
}

/** A real host address inside `p`: RDS, then a plain instance (probes included). */
function hostIn(w: World, p: Prefix): { ip: string; port: number; label: string } | undefined {
  const rds = w.estate.rdsInstances.find((r) => contains(p, w.enis.get(cidr(r.address).addr)!.primary));
  if (rds) return { ip: rds.address, port: rds.port, label: `rds:${rds.id}` };
  const eni = [...w.enis.values()].find((e) => e.owner.kind === 'instance' && !w.nodeByInstance.has(e.owner.instance.id) && contains(p, e.primary));
  return eni ? { ip: formatIpv4(eni.primary), port: 443, label: formatIpv4(eni.primary) } : undefined;
}

/** PP102 and PP103 detections with evidence. */
export function overlapFindings(w: World, sources: SourceClass[]): { detection: Detection; evidence: Trace[] }[] {
  const c = w.estate.cluster;
  if (!c) return [];
  const out: { detection: Detection; evidence: Trace[] }[] = [];
  const podCidr = c.podCidr ? cidr(c.podCidr) : undefined;
  const routed = routedBlocks(w, podCidr);
  const pods = sources.find((s) => s.kind === 'pods');
  const hosts = sources.find((s) => s.kind === 'hosts');
  const loc = c.source ? { file: c.source.file, line: c.source.line } : { awsId: 'cluster' };
  const once = (list: Routed[]) => list.filter((r, i) => list.findIndex((x) => formatPrefix(x.prefix) === formatPrefix(r.prefix)) === i);
  const inferred = (field: 'podCidr' | 'serviceCidr') => {
    const f = c.inferred.find((x) => x.field === field);
    return f ? ` (${field === 'podCidr' ? 'pod CIDR' : 'Service CIDR'} inferred: ${f.reason})` : '';
  };
  // Every Service range (the primary and the ServiceCIDR objects' others); without any, each ClusterIP is evidence on its own.
  const ranges = [...(c.serviceCidr ? [c.serviceCidr] : []), ...c.additionalServiceCidrs];
  const clusterIPs = ranges.length ? [] : c.clusterIPs;
  for (const text of ranges) {
    const service = cidr(text);
    for (const r of once(routed.filter((x) => overlaps(x.prefix, service)))) {
      const host = hostIn(w, r.prefix.len >= service.len ? r.prefix : service);
      const evidence = host && pods ? hijack(w, pods, host) : [];
      out.push({ detection: {
        id: 'PP102', key: `PP102|${formatPrefix(r.prefix)}`, title: `Service CIDR ${text} overlaps ${r.what}`,
        message: `Any ClusterIP in ${text} that is also a real address in ${formatPrefix(r.prefix)} is DNATed by kube-proxy on every node, so pods can no longer reach that host` +
          `${host ? ` (e.g. a Service given ${host.ip} would take the traffic meant for ${host.label})` : ''}; and VIP traffic that misses the DNAT is routed to ${formatPrefix(r.prefix)} instead of failing.` +
          `${r.reachable ? '' : ' The block is not routed from the nodes\' subnets today, so this is latent.'}${text === c.serviceCidr ? inferred('serviceCidr') : ''}`,
        location: loc, facts: { serviceCidr: text, routedBlocks: [formatPrefix(r.prefix)], podCidr: c.podCidr },
        ...(r.reachable ? {} : { severity: 'warning' as const }),
      }, evidence });
    }
  }
  for (const r of once(routed.filter((x) => clusterIPs.some((ip) => contains(x.prefix, parseIpv4(ip.ip)))))) {
    const inside = clusterIPs.filter((ip) => contains(r.prefix, parseIpv4(ip.ip)));
    const shown = inside.slice(0, 3).map((ip) => `${ip.ip} (${ip.service})`).join(', ');
    out.push({ detection: {
      id: 'PP102', key: `PP102|${formatPrefix(r.prefix)}`, title: `ClusterIP ${inside[0]!.ip} (${inside[0]!.service}) lies inside ${r.what}`,
      message: `The Service CIDR is not in the input, but ${inside.length} ClusterIP(s) lie inside ${formatPrefix(r.prefix)}: ${shown}${inside.length > 3 ? ', ...' : ''}. ` +
        `kube-proxy DNATs them on every node, so a real host there is unreachable from pods, and VIP traffic that misses the DNAT is routed to ${formatPrefix(r.prefix)}. The Service range itself is inferred to overlap (evidence: these ClusterIPs).`,
      location: loc, facts: { routedBlocks: [formatPrefix(r.prefix)], ...(c.podCidr ? { podCidr: c.podCidr } : {}) },
      ...(r.reachable ? {} : { severity: 'warning' as const }),
    }, evidence: [] });
  }
  const native = vpcNativePods(w);
  for (const r of once(routed.filter((x) => podCidr && overlaps(x.prefix, podCidr) && !native.some((b) => covers(b, x.prefix))))) {
    const host = hostIn(w, r.prefix);
    const evidence = hosts ? traceFlow(w, { src: hosts.rep, dst: `${host?.ip ?? formatIpv4(r.prefix.addr + 1)}:${host?.port ?? 443}` }) : [];
    out.push({ detection: {
      id: 'PP103', key: `PP103|${formatPrefix(r.prefix)}`, title: `pod CIDR ${c.podCidr} overlaps ${r.what}`,
      message: `Addresses in ${formatPrefix(r.prefix)} are both pod addresses and routed hosts: a node sends traffic for a pod-CIDR address to its pod bridge or to the node owning that pod range, and masquerade exceptions for the pod CIDR also exempt those hosts.${inferred('podCidr')}`,
      location: loc, facts: { podCidr: c.podCidr, routedBlocks: [formatPrefix(r.prefix)], serviceCidr: c.serviceCidr },
      ...(r.reachable ? {} : { severity: 'warning' as const }),
    }, evidence });
  }
  return out;
}

/**
 * The nodes' own VPC blocks when pods are VPC-native (AWS VPC CNI: pod IPs
 * are VPC addresses on the nodes' ENIs, each pod behind its own veth, no pod
 * bridge): then the pod CIDR overlapping those blocks is the design, not a
 * conflict (inferred: no node has a pod bridge and every pod address lies in
 * its node's VPC).
 */
export function vpcNativePods(w: World): Prefix[] {
  const nodes = [...w.nodes.values()];
  if (nodes.length === 0 || nodes.some((n) => n.bridge)) return [];
  const pods = [...w.podByIp.values()];
  if (pods.length === 0 || !pods.every((p) => p.node.eni.subnet.vpc.blocks.some((b) => contains(b, p.ip)))) return [];
  return [...new Set(nodes.map((n) => n.eni.subnet.vpc))].flatMap((v) => v.blocks);
}

/** A what-if: a Service is given the host's address as ClusterIP; the pod's traffic to the host goes to the Service's endpoint. */
function hijack(w: World, pods: SourceClass, host: { ip: string; port: number; label: string }): Trace[] {
  const endpoint = [...w.pods.values()].find((p) => !p.pod.hostNetwork && `pod:${p.name}` !== pods.rep);
  if (!endpoint) return [];
  const rule = `-d ${host.ip}/32 -p tcp -m tcp --dport ${host.port} -j DNAT --to-destination ${formatIpv4(endpoint.ip)}:${host.port}`;
  const label = `what-if: a Service is given ClusterIP ${host.ip}`;
  // kube-proxy would program it on every node; the trace meets only the sending pod's node, so only its rules change.
  const node = w.pods.get(pods.rep.slice('pod:'.length))?.node.node.name;
  const on = node ? [node] : [];
  const e = withIptablesInsert(withIptablesInsert(w.estate, on, { table: 'nat', chain: 'PREROUTING', rule, label }), on, { table: 'nat', chain: 'OUTPUT', rule, label });
  return traceFlow(compileWorld(e, { rulesets: w.rulesets, lazyRulesets: true, base: w }), { src: pods.rep, dst: `${host.ip}:${host.port}` });
}

/** PP109 from route tables: a pcx route whose destination reaches outside the peer VPC. */
export function transitiveRoutes(w: World, sources: SourceClass[]): { detection: Detection; evidence: Trace[] }[] {
  const out: { detection: Detection; evidence: Trace[] }[] = [];
  for (const t of w.estate.routeTables) {
    for (const r of t.routes) {
      if (!r.target.startsWith('pcx-')) continue;
      const pcx = w.peerings.get(r.target);
      if (!pcx) continue;
      const peer = w.vpcs.get(pcx.requester === t.vpc ? pcx.accepter : pcx.requester);
      const dest = cidr(r.destination);
      if (!peer || peer.blocks.some((b) => covers(b, dest))) continue;
      const outside = [dest.addr + 1, ...peer.blocks.flatMap((b) => [lastAddress(b) + 1, b.addr - 1])].find((a) => contains(dest, a) && !peer.blocks.some((b) => contains(b, a)));
      const src = sources.find((s) => s.kind === 'hosts' && w.nodes.get(s.nodes[0]!)?.eni.subnet.routeTable.id === t.id)
        ?? sources.find((s) => s.kind === 'instances' && w.instanceEni.get(s.members[0]!)?.subnet.routeTable.id === t.id);
      const evidence = src && outside !== undefined ? traceFlow(w, { src: src.rep, dst: `${formatIpv4(outside)}:443` }) : [];
      out.push({ detection: {
        id: 'PP109', key: `PP109|${t.id}#${formatPrefix(dest)}`, title: `${t.id} sends ${r.destination} into ${r.target}, but ${peer.vpc.id} owns only ${peer.vpc.cidrBlocks.join(', ')}`,
        message: `A VPC peering connection carries only traffic between the two VPCs' own CIDR blocks (no transitive or edge-to-edge routing), so packets for the rest of ${r.destination} are dropped at ${r.target}.`,
        location: { awsId: t.id }, facts: { routeTable: t.id, routeDestination: r.destination, peering: r.target },
      }, evidence });
    }
  }
  return out;
}
