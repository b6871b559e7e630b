/**
 * Which fault goes where in a synthetic estate, and the finding each one must
 * raise (its doctor key, src/doctor/catalog.ts). One fault of each finding
 * kind PP101-PP113, each on its own data VPC or node group so that no fault
 * hides another. The seed picks the places.
 */
import { rng, type GenOptions } from './plan.js';

/** A fault seeded into the estate and the finding key doctor must report for it. */
export interface SeededFault {
  id: string;
  /** The finding key expected (e.g. `PP108|return:rtb-d7`). */
  key: string;
  /** What was changed, one line. */
  what: string;
}

/** Where each fault lands: data VPC indexes and node group indexes. */
export interface FaultPlan {
  /** Data VPC whose route back to its node group is missing (PP108 return). */
  noReturn?: number;
  /** Data VPC the node group's route table blackholes (PP108). */
  blackhole?: number;
  /** Data VPC whose peering also gets a route for a block outside it (PP109). */
  transitive?: number;
  /** Data VPC whose subnet NACL lets replies out only below port 49152 (PP106). */
  nacl?: number;
  /** Data VPC whose subnet routes the internet to an IGW and whose host has no public address (PP113). */
  igw?: number;
  /** Data VPC whose database SG admits another port only (PP110: the SG decides). */
  sgPort?: number;
  /** Data VPC the PP101 group sends pod sources to (no masquerade); its SG admits the node VPC only (PP105). */
  unmasq?: number;
  /** Two pairs of data VPCs with an extra peering: unused (no routes), one-way (one side routes) (PP111). */
  unusedPeering?: [number, number];
  oneWayPeering?: [number, number];
  /** Node groups: a node with source/dest check on (PP107); a node SG without the pod CIDR (PP112); a dump without masquerade to `unmasq` (PP101); a node resolv.conf with an unrouted nameserver (PP104). */
  srcDstGroup?: number;
  sgGroup?: number;
  unmasqGroup?: number;
  dnsGroup?: number;
  /** Extra data VPCs inside the Service CIDR (PP102) and the pod CIDR (PP103), joined to group 0. */
  serviceOverlap: boolean;
  podOverlap: boolean;
}

/** Picks the places of the faults (none for the clean variant). */
export function planFaults(o: GenOptions, viaTgw: ReadonlySet<number>): FaultPlan {
  if (!o.faults) return { serviceOverlap: false, podOverlap: false };
  const r = rng(o.seed ^ 0x5eed);
  const groups = shuffle([...Array(o.clusters).keys()], r);
  const [srcDstGroup, sgGroup, unmasqGroup, dnsGroup] = [groups[0]!, groups[1]!, groups[2]!, groups[3]!];
  // Faults on peered data VPCs whose node group carries no group fault.
  const faulty = new Set([srcDstGroup, sgGroup, unmasqGroup]);
  const free = shuffle([...Array(o.vpcs).keys()].filter((v) => !viaTgw.has(v) && !faulty.has(v % o.clusters)), r);
  const unmasq = [...Array(o.vpcs).keys()].find((v) => !viaTgw.has(v) && v % o.clusters === unmasqGroup);
  const take = () => {
    const v = free.shift();
    if (v === undefined) throw new Error('too few peered VPCs to seed every fault: raise --vpcs');
    return v;
  };
  return {
    noReturn: take(), blackhole: take(), transitive: take(), nacl: take(), igw: take(), sgPort: take(),
    unusedPeering: [take(), take()], oneWayPeering: [take(), take()],
    ...(unmasq !== undefined ? { unmasq } : {}),
    srcDstGroup, sgGroup, unmasqGroup, dnsGroup, serviceOverlap: true, podOverlap: true,
  };
}

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
