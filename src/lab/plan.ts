/**
 * `planLab`: an estate as a lab plan (plan-types.ts). No I/O.
 *
 * Namespaces, all named `<prefix><role><n>`: one router per VPC (`r`), its
 * resolver (`dns`) and internet gateway sink (`igw`), one per node (`n`),
 * per pod that is not host-network (`p`), per EC2 host that is not a node
 * (`h`) and per RDS endpoint (`db`). Links: every network interface is a
 * veth between its host's `eth0` and a router port `e<n>`; every peering a
 * veth between the two routers (`x<n>`); pods hang off their node's bridge.
 *
 * Guarantees: every namespace name starts with `prefix`; every link joins
 * two planned namespaces (none ends in the root namespace); the plan
 * contains no address outside the estate's own plus 169.254.0.0/16 link
 * addresses between lab namespaces; no namespace gets a route to anything
 * outside the lab.
 */
import type { Estate } from '../model/estate.js';
import { PodpathError } from '../model/errors.js';
import { formatIpv4 } from '../net/ipv4.js';
import { compileWorld, type EniRecord, type PodRecord } from '../trace/world.js';
import { enisOf, hostNsOf, linkAllocator, type EniPort, type P2pLink, type PlanContext } from './plan-context.js';
import { nodeDevOf, planHost, planIgw, planNode, planPod, planResolver } from './plan-hosts.js';
import { planRouter } from './plan-router.js';
import type { LabPlan, LinkPlan, NsPlan, ServicePlan } from './plan-types.js';

/** The cluster DNS domain the lab's cluster DNS serves. */
export const CLUSTER_DOMAIN = 'cluster.local';

export function planLab(estate: Estate, prefix: string): LabPlan {
  const w = compileWorld(estate);
  const vpcs = [...w.vpcs.values()];
  const routerNs = new Map(vpcs.map((v, i) => [v.vpc.id, `${prefix}r${i}`]));
  const nodeIndex = new Map([...w.nodes.keys()].map((n, i) => [n, i]));
  const allEnis = new Set<EniRecord>(w.enis.values());
  const hostIndex = new Map([...allEnis].filter((e) => e.owner.kind === 'rds' || (e.owner.kind === 'instance' && !w.nodeByInstance.has(e.owner.instance.id))).map((e, i) => [e.id, i]));
  const ctx: PlanContext = { w, prefix, routerNs, ports: new Map(), peerings: new Map(), resolvers: new Map(), igws: new Map() };
  const links: LinkPlan[] = [];
  const alloc = linkAllocator();

  for (const vpc of vpcs) {
    const router = routerNs.get(vpc.vpc.id)!;
    enisOf(w, vpc).forEach((eni, k) => {
      const port: EniPort = { eni, router, dev: `e${k}`, hostNs: hostNsOf(ctx, eni, { node: nodeIndex, host: hostIndex }), bit: k };
      ctx.ports.set(eni, port);
      const node = eni.owner.kind === 'instance' ? w.nodeByInstance.get(eni.owner.instance.id) : undefined;
      const hostDev = node ? nodeDevOf(node, eni) : 'eth0';
      if (!hostDev) throw new PodpathError('PP_USAGE', `node ${node!.node.name}: no interface is bound to ${eni.id}: the lab cannot build it`);
      links.push({ a: router, aDev: port.dev, b: port.hostNs, bDev: hostDev });
    });
    const i = vpcs.indexOf(vpc);
    const p2p = (peerNs: string, routerDev: string): P2pLink => {
      const [ra, pa] = alloc();
      links.push({ a: router, aDev: routerDev, b: peerNs, bDev: 'eth0' });
      return { router, routerDev, routerAddr: ra, peerNs, peerDev: 'eth0', peerAddr: pa };
    };
    ctx.resolvers.set(vpc.vpc.id, p2p(`${prefix}dns${i}`, 'dns'));
    if (vpc.igw) ctx.igws.set(vpc.vpc.id, p2p(`${prefix}igw${i}`, 'igw'));
  }
  [...w.peerings.values()].forEach((pcx, j) => {
    const a = routerNs.get(pcx.requester);
    const b = routerNs.get(pcx.accepter);
    if (!a || !b) return;
    const [aa, ba] = alloc();
    const dev = `x${j}`;
    links.push({ a, aDev: dev, b, bDev: dev });
    ctx.peerings.set(pcx.id, new Map([
      [pcx.requester, { router: a, routerDev: dev, routerAddr: aa, peerNs: b, peerDev: dev, peerAddr: ba }],
      [pcx.accepter, { router: b, routerDev: dev, routerAddr: ba, peerNs: a, peerDev: dev, peerAddr: aa }],
    ]));
  });

  const namespaces: NsPlan[] = [];
  const endpoints: Record<string, string> = {};
  const services: ServicePlan[] = [];
  for (const vpc of vpcs) {
    namespaces.push(planRouter(ctx, vpc));
    endpoints[`vpc:${vpc.vpc.id}`] = routerNs.get(vpc.vpc.id)!;
    const r = ctx.resolvers.get(vpc.vpc.id)!;
    namespaces.push(planResolver(r, vpc.vpc.id, formatIpv4(vpc.resolver)));
    endpoints[`resolver:${vpc.vpc.id}`] = r.peerNs;
    services.push({ kind: 'vpc-resolver', ns: r.peerNs, vpc: vpc.vpc.id, address: formatIpv4(vpc.resolver) });
    const g = ctx.igws.get(vpc.vpc.id);
    if (g) namespaces.push(planIgw(g, vpc.igw!.id));
  }
  const podNs = new Map<PodRecord, string>();
  [...w.pods.values()].filter((p) => !p.pod.hostNetwork).forEach((p, i) => podNs.set(p, `${prefix}p${i}`));
  for (const node of w.nodes.values()) {
    const ns = `${prefix}n${nodeIndex.get(node.node.name)}`;
    namespaces.push(planNode(ctx, node, ns, podNs, links));
    endpoints[`node:${node.node.name}`] = ns;
    endpoints[`instance:${node.eni.owner.kind === 'instance' ? node.eni.owner.instance.id : ''}`] = ns;
  }
  for (const [pod, ns] of podNs) {
    namespaces.push(planPod(pod, ns));
    endpoints[`pod:${pod.name}`] = ns;
  }
  for (const pod of w.pods.values()) if (pod.pod.hostNetwork) endpoints[`pod:${pod.name}`] = endpoints[`node:${pod.node.node.name}`]!;
  for (const eni of allEnis) {
    if (!hostIndex.has(eni.id)) continue;
    const ns = hostNsOf(ctx, eni, { node: nodeIndex, host: hostIndex });
    if (!ctx.ports.has(eni)) throw new PodpathError('PP_USAGE', `${eni.id} is in no VPC of the estate`);
    namespaces.push(planHost(eni, ns));
    if (eni.owner.kind === 'rds') {
      endpoints[`rds:${eni.owner.rds.id}`] = ns;
      services.push({ kind: 'postgres', ns, rds: eni.owner.rds.id, address: eni.owner.rds.address, port: eni.owner.rds.port });
    } else if (eni.owner.kind === 'instance') endpoints[`instance:${eni.owner.instance.id}`] = ns;
  }
  const dns = clusterDns(estate, w.podByIp, podNs);
  if (dns) services.push(dns);
  return { prefix, namespaces, links, services, endpoints };
}

/** dnsmasq as the cluster DNS in the pod behind the cluster DNS Service VIP, answering every Service's name. */
function clusterDns(estate: Estate, podByIp: Map<number, PodRecord>, podNs: Map<PodRecord, string>): ServicePlan | undefined {
  const vip = estate.cluster?.dnsServiceIp;
  const svc = vip ? estate.services.find((s) => s.clusterIP === vip) : undefined;
  const endpoint = svc?.endpoints.map((e) => [...podByIp.values()].find((p) => formatIpv4(p.ip) === e)).find((p) => p !== undefined);
  if (!endpoint) return undefined;
  const records = estate.services.map((s) => {
    const [ns, name] = s.name.includes('/') ? s.name.split('/', 2) : ['default', s.name];
    return { name: `${name}.${ns}.svc.${CLUSTER_DOMAIN}`, ip: s.clusterIP };
  });
  return { kind: 'cluster-dns', ns: podNs.get(endpoint)!, address: formatIpv4(endpoint.ip), records };
}
