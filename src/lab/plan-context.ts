/**
 * Naming and addressing shared by the planners: which namespace stands for
 * what, the router port of every network interface, and the link addresses
 * of router-to-router (peering), router-to-resolver and router-to-IGW links,
 * taken from 169.254.0.0/16 (link-local: never an estate address).
 */
import { PodpathError } from '../model/errors.js';
import { formatIpv4 } from '../net/ipv4.js';
import type { EniRecord, VpcRecord, World } from '../trace/world.js';

/** The router end of one network interface. */
export interface EniPort {
  eni: EniRecord;
  /** Router namespace and device (`e3`). */
  router: string;
  dev: string;
  /** The namespace behind the interface (node, host or RDS). */
  hostNs: string;
  /** One connmark bit per interface: "a security group of this interface admitted the connection". */
  bit: number;
}

/** A point-to-point link between the router and another lab namespace. */
export interface P2pLink {
  router: string;
  routerDev: string;
  routerAddr: string;
  peerNs: string;
  peerDev: string;
  peerAddr: string;
}

export interface PlanContext {
  w: World;
  prefix: string;
  routerNs: Map<string, string>;
  ports: Map<EniRecord, EniPort>;
  /** Per peering, per VPC id: that VPC router's end. */
  peerings: Map<string, Map<string, P2pLink>>;
  resolvers: Map<string, P2pLink>;
  igws: Map<string, P2pLink>;
}

/** At most this many interfaces per VPC: one connmark bit each. */
export const MAX_ENIS_PER_VPC = 31;

/** Allocates /30 link networks from 169.254.0.0/16. */
export function linkAllocator(): () => [string, string] {
  let n = 0;
  return () => {
    const base = ((169 << 24) | (254 << 16)) + 4 * n++;
    return [formatIpv4((base + 1) >>> 0), formatIpv4((base + 2) >>> 0)];
  };
}

/** The host namespace behind an interface. */
export function hostNsOf(ctx: Pick<PlanContext, 'w' | 'prefix'>, eni: EniRecord, index: { node: Map<string, number>; host: Map<string, number> }): string {
  if (eni.owner.kind === 'rds') return `${ctx.prefix}db${index.host.get(eni.id)}`;
  if (eni.owner.kind !== 'instance') throw unsupported(eni);
  const node = ctx.w.nodeByInstance.get(eni.owner.instance.id);
  if (node) return `${ctx.prefix}n${index.node.get(node.node.name)}`;
  return `${ctx.prefix}h${index.host.get(eni.id)}`;
}

/** The lab builds instances, nodes and RDS endpoints; other interface owners (NAT gateways) are refused clearly. */
export function unsupported(eni: EniRecord): PodpathError {
  return new PodpathError('PP_USAGE', `the lab cannot build ${eni.id} (a ${eni.owner.kind}): only EC2 instances, Kubernetes nodes and RDS endpoints are built`);
}

/** Interfaces of a VPC in a stable order. */
export function enisOf(w: World, vpc: VpcRecord): EniRecord[] {
  const seen = new Set<EniRecord>();
  for (const e of w.enis.values()) if (e.subnet.vpc === vpc) seen.add(e);
  const list = [...seen];
  for (const e of list) if (e.owner.kind !== 'instance' && e.owner.kind !== 'rds') throw unsupported(e);
  if (list.length > MAX_ENIS_PER_VPC) {
    throw new PodpathError('PP_USAGE', `the lab supports at most ${MAX_ENIS_PER_VPC} network interfaces per VPC; ${vpc.vpc.id} has ${list.length}`);
  }
  return list;
}
