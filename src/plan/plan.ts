/**
 * `plan(estate, {nodes, podsPerNode, onPrem})`: pod and Service CIDRs that
 * collide with nothing routed, sized for the cluster, with the reasoning.
 *
 * In use: every VPC block, every route destination more specific than the
 * default route (the cluster's own pod routes excepted: they move with the
 * pods), every on-premises prefix given, and whichever cluster CIDR is kept.
 * Candidates are searched, in order, in RFC 6598 shared space 100.64.0.0/10
 * (least likely to be used by corporate networks; AWS accepts it as a VPC
 * secondary block) and the RFC 1918 blocks 10.0.0.0/8, 172.16.0.0/12,
 * 192.168.0.0/16; the first aligned free block of the needed size wins and the
 * others are listed as alternatives.
 *
 * Sizing: each node gets a /24 (Kubernetes' default node CIDR mask) while it
 * holds at least twice the pods per node (headroom for addresses released
 * late, as the Kubernetes docs advise for --max-pods); otherwise the smallest
 * block holding 2 x M. The cluster block holds N such blocks, rounded up to a
 * power of two. Services get a /16 unless told otherwise.
 *
 * Guarantees: pure; a proposal never overlaps anything in use nor the other
 * proposal; blocks are aligned; when nothing fits, the reason says so and no
 * CIDR is proposed.
 */
import type { Estate } from '../model/estate.js';
import { PodpathError } from '../model/errors.js';
import { formatPrefix, lastAddress, overlaps, parseCidr, type Prefix } from '../net/prefix.js';
import { clusterSettings, type Setting } from './settings.js';

/** What to size for. */
export interface PlanInput {
  nodes: number;
  podsPerNode: number;
  /** On-premises (or other) prefixes also routed. @default [] */
  onPrem?: string[];
  /** Service CIDR prefix length. @default 16 */
  serviceLen?: number;
}

/** One proposed block. */
export interface Proposal {
  what: 'pod' | 'service';
  /** Keep the current block (it collides with nothing), or a new one. */
  action: 'keep' | 'change';
  current?: string;
  cidr?: string;
  alternatives: string[];
  reasoning: string[];
}

export interface PlanResult {
  inUse: { cidr: string; what: string }[];
  perNodeLen: number;
  pod: Proposal;
  service: Proposal;
  /** The cluster DNS VIP in the proposed Service CIDR (its 10th address, as kubeadm picks). */
  dnsServiceIp?: string;
  settings: Setting[];
}

export const CANDIDATE_RANGES: readonly { cidr: string; name: string }[] = [
  { cidr: '100.64.0.0/10', name: 'RFC 6598 shared address space' },
  { cidr: '10.0.0.0/8', name: 'RFC 1918' },
  { cidr: '172.16.0.0/12', name: 'RFC 1918' },
  { cidr: '192.168.0.0/16', name: 'RFC 1918' },
];

/** log2 of the smallest power of two >= n. */
function bitsFor(n: number): number {
  return Math.ceil(Math.log2(Math.max(1, n)));
}

/** Every routed prefix of the estate and the on-premises list. */
export function routedInUse(e: Estate, onPrem: string[] = []): { prefix: Prefix; what: string }[] {
  const out: { prefix: Prefix; what: string }[] = [];
  const nodeInstances = new Set(e.nodes.map((n) => n.instance));
  for (const v of e.vpcs) for (const b of v.cidrBlocks) out.push({ prefix: parseCidr(b, { nonAligned: 'mask' }), what: `${v.id} block` });
  for (const t of e.routeTables) {
    for (const r of t.routes) {
      const p = parseCidr(r.destination, { nonAligned: 'mask' });
      if (p.len === 0 || r.target === 'local' || nodeInstances.has(r.target)) continue;
      out.push({ prefix: p, what: `route ${r.destination} -> ${r.target} (${t.id})` });
    }
  }
  for (const c of onPrem) out.push({ prefix: parseCidr(c), what: 'on-premises (--on-prem)' });
  return out;
}

/** The first free aligned blocks of length `len` in each candidate range. */
function freeBlocks(len: number, taken: Prefix[]): { cidr: string; range: string }[] {
  const found: { cidr: string; range: string }[] = [];
  for (const r of CANDIDATE_RANGES) {
    const range = parseCidr(r.cidr);
    if (len < range.len) continue;
    const step = 2 ** (32 - len);
    for (let a = range.addr; a + step - 1 <= lastAddress(range); a += step) {
      const p = { addr: a >>> 0, len };
      const clash = taken.find((t) => overlaps(t, p));
      if (!clash) {
        found.push({ cidr: formatPrefix(p), range: `${r.cidr} (${r.name})` });
        break;
      }
      // Skip past the clashing block when it is larger than ours.
      if (clash.len < len) a = lastAddress(clash) + 1 - step;
    }
  }
  return found;
}

function propose(what: 'pod' | 'service', current: string | undefined, len: number, inUse: { prefix: Prefix; what: string }[], other: Prefix[], why: string[]): Proposal {
  const reasoning = [...why];
  if (current) {
    const cur = parseCidr(current, { nonAligned: 'mask' });
    const clashes = inUse.filter((u) => overlaps(u.prefix, cur));
    const otherClash = other.some((o) => overlaps(o, cur));
    if (clashes.length === 0 && !otherClash && cur.len <= len) {
      reasoning.push(`the current ${what} CIDR ${current} collides with nothing routed and holds a /${len}: keep it`);
      return { what, action: 'keep', current, cidr: current, alternatives: [], reasoning };
    }
    for (const c of clashes) reasoning.push(`the current ${what} CIDR ${current} overlaps ${formatPrefix(c.prefix)} (${c.what})`);
    if (cur.len > len) reasoning.push(`the current ${what} CIDR ${current} is smaller than the /${len} needed`);
  }
  const free = freeBlocks(len, [...inUse.map((u) => u.prefix), ...other]);
  if (free.length === 0) {
    reasoning.push(`no free /${len} in ${CANDIDATE_RANGES.map((r) => r.cidr).join(', ')}: every candidate block collides with something routed`);
    return { what, action: 'change', ...(current ? { current } : {}), alternatives: [], reasoning };
  }
  reasoning.push(`first free /${len}: ${free[0]!.cidr} in ${free[0]!.range}`);
  return { what, action: 'change', ...(current ? { current } : {}), cidr: free[0]!.cidr, alternatives: free.slice(1).map((f) => f.cidr), reasoning };
}

/** Proposes pod and Service CIDRs (see the module comment). */
export function plan(e: Estate, input: PlanInput): PlanResult {
  if (!Number.isInteger(input.nodes) || input.nodes < 1 || !Number.isInteger(input.podsPerNode) || input.podsPerNode < 1) {
    throw new PodpathError('PP_USAGE', 'plan needs whole numbers of nodes and pods per node, at least 1');
  }
  const inUse = routedInUse(e, input.onPrem);
  const need = 2 * input.podsPerNode;
  const perNodeLen = Math.min(24, 32 - bitsFor(need));
  const podLen = perNodeLen - bitsFor(input.nodes);
  if (podLen < 8) throw new PodpathError('PP_USAGE', `${input.nodes} nodes x /${perNodeLen} per node needs a /${podLen}, larger than any private range`);
  const serviceLen = input.serviceLen ?? 16;
  const sizing = [
    `${input.podsPerNode} pods per node with 2x headroom needs ${need} addresses: a /${perNodeLen} per node${perNodeLen === 24 ? ' (the Kubernetes default node CIDR mask)' : ''}`,
    `${input.nodes} nodes x /${perNodeLen} fit in a /${podLen} (${2 ** bitsFor(input.nodes)} node blocks)`,
  ];
  const c = e.cluster;
  const pod = propose('pod', c?.podCidr, podLen, inUse, [], sizing);
  const podPrefix = pod.cidr ? [parseCidr(pod.cidr)] : [];
  const service = propose('service', c?.serviceCidr, serviceLen, inUse, podPrefix, [`Services get a /${serviceLen} (${2 ** (32 - serviceLen)} ClusterIPs)`]);
  const vip = service.cidr ? formatPrefix({ addr: parseCidr(service.cidr).addr + 10, len: 32 }).replace('/32', '') : undefined;
  return {
    inUse: inUse.map((u) => ({ cidr: formatPrefix(u.prefix), what: u.what })),
    perNodeLen,
    pod,
    service,
    ...(vip ? { dnsServiceIp: vip } : {}),
    settings: pod.cidr && service.cidr ? clusterSettings({ podCidr: pod.cidr, serviceCidr: service.cidr, perNodeLen, dnsServiceIp: vip! }) : [],
  };
}
