/**
 * The address plan of a synthetic estate (`podpath gen`): which VPC, subnet,
 * node, pod and Service gets which block or address. Pure and deterministic:
 * the same options give the same plan.
 *
 * Layout (one Kubernetes cluster, as the estate model holds one; `clusters`
 * are its node groups, each in its own VPC with its own kube-proxy rule set):
 *   node group g     VPC 10.(128+g).0.0/16, nodes in 10.(128+g).0.0/20
 *   data VPC v       10.(v>>6).((v&63)*4).0.0/22, one RDS at .10 of its /24 subnet,
 *                    joined to node group v % clusters by a peering (or the TGW)
 *   pod CIDR         100.64.0.0/10: each group an aligned block, one /24 per node;
 *                    pod traffic between groups goes through the transit gateway
 *   Service CIDR     172.20.0.0/16, DNS VIP 172.20.0.10, Service i at 172.20.1.0 + i
 */
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';

/** What `podpath gen` was asked for. */
export interface GenOptions {
  /** Data VPCs (each with one RDS instance). */
  vpcs: number;
  /** Node groups ("clusters"), each in its own VPC. */
  clusters: number;
  nodesPerCluster: number;
  /** ClusterIP Services, each with `endpointsPerService` endpoints (pods). */
  services: number;
  endpointsPerService: number;
  seed: number;
  /** Seed one fault of each kind (false: the clean variant). */
  faults: boolean;
}

export const POD_CIDR = '100.64.0.0/10';
export const SERVICE_CIDR = '172.20.0.0/16';
export const DNS_VIP = '172.20.0.10';
export const DB_PORT = 5432;

/** Limits of the address plan. */
export const LIMITS = { vpcs: 8000, clusters: 100, nodesPerCluster: 4000, nodes: 16000, services: 60000 } as const;

export const groupVpcCidr = (g: number): string => `10.${128 + g}.0.0/16`;
export const groupSubnetCidr = (g: number): string => `10.${128 + g}.0.0/20`;
export const nodeName = (g: number, i: number): string => `c${g}-n${i}`;
export const instanceId = (g: number, i: number): string => `i-c${g}n${i}`;
export const nodeIp = (g: number, i: number): string => formatIpv4(parseIpv4(`10.${128 + g}.0.0`) + 10 + i);
/** /24s reserved per group: the node count rounded up to a power of two, so each group's pod block is one aligned prefix. */
export const groupSpan = (o: GenOptions): number => 2 ** Math.ceil(Math.log2(Math.max(1, o.nodesPerCluster)));
/** Group g's pod block (routed to its VPC through the transit gateway). */
export const groupPodBlock = (o: GenOptions, g: number): string => `${formatIpv4(parseIpv4('100.64.0.0') + g * groupSpan(o) * 256)}/${24 - Math.log2(groupSpan(o))}`;
export const nodePodCidr = (o: GenOptions, g: number, i: number): string => `${formatIpv4(parseIpv4('100.64.0.0') + (g * groupSpan(o) + i) * 256)}/24`;
export const dataVpcBase = (v: number): string => `10.${v >> 6}.${(v & 63) * 4}.0`;
export const clusterIp = (i: number): string => formatIpv4(parseIpv4('172.20.1.0') + i);

/** A small deterministic PRNG (mulberry32): the seed picks which VPCs go through the TGW and where faults land. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throws a one-line message when the options do not fit the plan. */
export function checkOptions(o: GenOptions): void {
  const bad = (what: string) => { throw new Error(what); };
  for (const k of ['vpcs', 'clusters', 'nodesPerCluster', 'services', 'endpointsPerService', 'seed'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0) bad(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a whole number >= 0`);
  }
  if (o.clusters < 1 || o.nodesPerCluster < 1) bad('at least one cluster with one node');
  if (o.vpcs > LIMITS.vpcs) bad(`at most ${LIMITS.vpcs} VPCs`);
  if (o.clusters > LIMITS.clusters) bad(`at most ${LIMITS.clusters} clusters`);
  if (o.nodesPerCluster > LIMITS.nodesPerCluster) bad(`at most ${LIMITS.nodesPerCluster} nodes per cluster`);
  if (o.clusters * o.nodesPerCluster > LIMITS.nodes) bad(`at most ${LIMITS.nodes} nodes in all`);
  if (o.clusters * groupSpan(o) > 16384) bad('the pod CIDR (100.64.0.0/10) holds at most 16384 node /24s, with each group rounded up to a power of two');
  if (o.services > LIMITS.services) bad(`at most ${LIMITS.services} services`);
  if (o.faults && (o.vpcs < 12 || o.clusters < 4 || o.nodesPerCluster < 2)) bad('seeding faults needs at least 12 VPCs, 4 clusters and 2 nodes per cluster (or --clean)');
}
