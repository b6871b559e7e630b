/**
 * Synthetic hosts: where an estate describes a network but no host in it
 * (AWS-only recordings, subnets with nothing running), podpath places one
 * instance with an allow-all security group at the address asked about, so
 * the path to and from that address is traced end to end. Such a host stands
 * for "any host here whose own security group admits the traffic"; it is
 * labelled as synthetic wherever it shows.
 *
 * A VPC described without any subnet (route tables and peerings only) gets
 * one inferred subnet per CIDR block, associated with the VPC's main route
 * table: a subnet with no explicit association uses the main table (VPC user
 * guide, "Route tables": "main route table"). The inference is labelled.
 *
 * Guarantees: pure; the input estate is not changed; an address already
 * owned (an ENI, a pod) is never given a second host.
 */
import type { Estate } from '../model/estate.js';
import { formatIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import { contains, lastAddress, parseCidr, type Prefix } from '../net/prefix.js';

/** Instance id prefix and name prefix of synthetic hosts. */
export const SYNTHETIC_ID = 'i-podpath-';
export const SYNTHETIC_NAME = 'host in';

/** Id prefix of inferred subnets. */
export const INFERRED_SUBNET = 'subnet-podpath-';

/** True for an instance podpath placed. */
export function isSynthetic(instanceId: string): boolean {
  return instanceId.startsWith(SYNTHETIC_ID);
}

/** The estate with an inferred subnet per block of every VPC that has none, and what was inferred. */
export function withInferredSubnets(e: Estate): { estate: Estate; inferred: string[] } {
  const bare = e.vpcs.filter((v) => !e.subnets.some((s) => s.vpc === v.id) && e.routeTables.some((t) => t.vpc === v.id && t.main));
  if (bare.length === 0) return { estate: e, inferred: [] };
  const copy = withRoomFor(e);
  const inferred: string[] = [];
  for (const v of bare) {
    v.cidrBlocks.forEach((block, i) => {
      const id = `${INFERRED_SUBNET}${v.id.replace(/^vpc-/, '')}${i ? `-${i}` : ''}`;
      copy.subnets.push({ id, vpc: v.id, cidr: block, name: `inferred: ${v.id} has no subnet in the input; hosts in ${block} assumed to use its main route table` });
      inferred.push(`${id} (${block} in ${v.id}): inferred, ${v.id} has no subnet in the input; assumed to use its main route table and default NACL`);
    });
  }
  return { estate: copy, inferred };
}

/**
 * A copy of the estate whose subnet, security group and instance lists can
 * be appended to; everything else (node dumps of megabytes, shared by
 * thousands of nodes) is the input's own, unchanged: a deep copy would give
 * every node its own copy of its dump text.
 */
function withRoomFor(e: Estate): Estate {
  return { ...e, subnets: [...e.subnets], securityGroups: [...e.securityGroups], instances: [...e.instances] };
}

/** Addresses owned in an estate: instances (secondary addresses included), RDS, NAT gateways, pods. */
function owned(e: Estate): Set<Ipv4> {
  const out = new Set<Ipv4>();
  for (const i of e.instances) for (const a of [i.privateIp, ...i.secondaryIps]) out.add(parseIpv4(a));
  for (const r of e.rdsInstances) out.add(parseIpv4(r.address));
  for (const g of e.natGateways) out.add(parseIpv4(g.privateIp));
  for (const p of e.pods) if (p.ip) out.add(parseIpv4(p.ip));
  return out;
}

/**
 * AWS reserves the first four and the last address of every subnet (the
 * network address, the VPC router, the DNS resolver, one for future use, and
 * the broadcast address; VPC user guide, "Subnet CIDR blocks"): no host can
 * sit there, and the resolver at base + 2 answers for itself.
 */
function reserved(subnet: Prefix, ip: Ipv4): boolean {
  return ip - subnet.addr < 4 || ip === lastAddress(subnet);
}

/** One synthetic host to place. */
export interface HostSlot {
  ip: Ipv4;
  subnet: string;
  /** Why it is there, for its name. */
  why?: string;
}

/**
 * The estate with one synthetic instance per slot (an allow-all security
 * group per VPC) and the ids given, in slot order.
 */
export function withSyntheticHosts(e: Estate, slots: readonly HostSlot[]): { estate: Estate; ids: string[] } {
  if (slots.length === 0) return { estate: e, ids: [] };
  const copy = withRoomFor(e);
  const subnets = new Map(copy.subnets.map((x) => [x.id, x]));
  const groups = new Map<string, string>();
  const ids = slots.map((s, i) => {
    const subnet = subnets.get(s.subnet)!;
    let sg = groups.get(subnet.vpc);
    if (!sg) {
      sg = `sg-podpath-${subnet.vpc.replace(/^vpc-/, '')}`;
      groups.set(subnet.vpc, sg);
      copy.securityGroups.push({ id: sg, vpc: subnet.vpc, name: 'podpath synthetic host (allow all)', ingress: [{ proto: 'all', cidr: '0.0.0.0/0' }], egress: [{ proto: 'all', cidr: '0.0.0.0/0' }] });
    }
    const id = `${SYNTHETIC_ID}${i + 1}`;
    const name = `${SYNTHETIC_NAME} ${s.subnet} (synthetic${s.why ? `, ${s.why}` : ''})`;
    copy.instances.push({ id, name, subnet: s.subnet, privateIp: formatIpv4(s.ip), secondaryIps: [], ipv4Prefixes: [], secondaryEnis: [], securityGroups: [sg], sourceDestCheck: true });
    return id;
  });
  return { estate: copy, ids };
}

/**
 * The estate with a synthetic host at each address that lies in a described
 * subnet (or an inferred one) and that nothing owns; other addresses are left
 * as they are (outside addresses stay outside).
 */
export function withHostsAt(e: Estate, addresses: readonly string[]): { estate: Estate; notes: string[] } {
  const { estate, inferred } = withInferredSubnets(e);
  const taken = owned(estate);
  const slots: HostSlot[] = [];
  for (const text of addresses) {
    const ip = parseIpv4(text);
    if (taken.has(ip) || slots.some((s) => s.ip === ip)) continue;
    const subnet = estate.subnets.find((s) => contains(parseCidr(s.cidr, { nonAligned: 'mask' }), ip));
    if (subnet && !reserved(parseCidr(subnet.cidr, { nonAligned: 'mask' }), ip)) slots.push({ ip, subnet: subnet.id });
  }
  if (slots.length === 0) return { estate: e, notes: [] };
  const placed = withSyntheticHosts(estate, slots);
  const used = new Set(slots.map((s) => s.subnet));
  return {
    estate: placed.estate,
    notes: [
      ...slots.map((s) => `${formatIpv4(s.ip)}: no host is described there; traced as a synthetic host in ${s.subnet} with an allow-all security group`),
      ...inferred.filter((n) => [...used].some((u) => n.startsWith(u))),
    ],
  };
}
