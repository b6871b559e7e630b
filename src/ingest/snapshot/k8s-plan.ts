/**
 * The cluster address plan of a snapshot, from whatever evidence it holds,
 * strongest first: podpath.yaml `cluster:`, control-plane flags
 * (--cluster-cidr, --service-cluster-ip-range), the kubeadm-config and
 * kube-proxy ConfigMaps, `aws eks describe-cluster`, ServiceCIDR objects
 * (Kubernetes 1.33+, possibly several ranges), and the kube-dns Service. Managed clusters (EKS)
 * show none of the configuration, so each fact is kept on its own and the
 * rest is inferred where the objects allow, marked in `Cluster.inferred`:
 *   - pod CIDR: the smallest block covering the nodes' spec.podCIDR(s);
 *     the node ranges are cut from the cluster CIDR, so the block lies
 *     inside it (possibly smaller);
 *   - DNS VIP: a node resolv.conf nameserver that is a Service's ClusterIP.
 * Every Service's ClusterIP is kept as evidence of the Service range even
 * when the range is unknown (`Cluster.clusterIPs`).
 */
import { parse as parseYaml } from 'yaml';
import type { Cluster, InferredFact } from '../../model/k8s.js';
import { isValidIpv4 } from '../../net/ipv4.js';
import { formatPrefix, isValidCidr, parseCidr, smallestCovering } from '../../net/prefix.js';
import { PLAN_GAPS } from '../plan-notes.js';
import type { VendorRecords } from './collect-docs.js';
import type { TextSource } from '../../model/source.js';
import type { ClusterProfile } from './k8s-profile.js';
import type { SnapshotNotes } from './notes.js';

type Field = 'podCidr' | 'serviceCidr' | 'dnsServiceIp';
/** A candidate value and where it comes from; `inferred` when it is not read from a configuration. */
type Evidence = [value: string | undefined, from: string, inferred?: boolean];

/** What the plan is built from besides the vendor records. */
export interface PlanInputs {
  override?: Partial<Cluster> | undefined;
  profile?: ClusterProfile | undefined;
  /** Each node folder's resolv.conf. */
  resolvConfs: Map<string, TextSource>;
}

/** The cluster plan, or undefined when the snapshot holds no Kubernetes objects and no override. */
export function clusterPlan(r: VendorRecords, inputs: PlanInputs, notes: SnapshotNotes): Cluster | undefined {
  const { override } = inputs;
  const clusterIPs = serviceClusterIps(r);
  if (!override && !r.nodes.length && !r.pods.length && !clusterIPs.length && !r.eksClusters.length && !r.serviceCidrs.length) return undefined;
  const inferred: InferredFact[] = [];
  const pick = (field: Field, candidates: Evidence[]): string | undefined => {
    if (override?.[field]) return override[field] as string;
    const hit = candidates.find(([v]) => v);
    if (!hit) return undefined;
    const [value, from, guess] = hit;
    notes.derive(`cluster ${field} ${value}`, from, { inferred: !!guess });
    if (guess) inferred.push({ field, reason: from });
    return value;
  };
  const cfg = configured(r);
  const podCidr = pick('podCidr', [
    [cfg.flags.get('cluster-cidr'), '--cluster-cidr flag of a control-plane pod'],
    [cfg.kubeadm.podSubnet, 'kubeadm-config ConfigMap'],
    [cfg.proxyCidr, 'kube-proxy ConfigMap clusterCIDR'],
    nodesCovering(r),
  ]);
  const eks = eksCluster(r, override?.name, notes);
  const ranges = serviceCidrObjects(r);
  const serviceCidr = pick('serviceCidr', [
    [cfg.flags.get('service-cluster-ip-range'), '--service-cluster-ip-range flag of kube-apiserver'],
    [cfg.kubeadm.serviceSubnet, 'kubeadm-config ConfigMap'],
    [eks?.kubernetesNetworkConfig?.serviceIpv4Cidr, `aws eks describe-cluster (${eks?.name}) kubernetesNetworkConfig.serviceIpv4Cidr`],
    [ranges[0]?.cidr, `ServiceCIDR ${ranges[0]?.name} spec.cidrs`],
  ]);
  const additionalServiceCidrs = [...new Set(ranges.map((x) => x.cidr))].filter((c) => c !== serviceCidr);
  for (const c of additionalServiceCidrs) notes.derive(`cluster additional Service CIDR ${c}`, `ServiceCIDR ${ranges.find((x) => x.cidr === c)!.name} spec.cidrs`);
  const dns = dnsService(r);
  const dnsServiceIp = pick('dnsServiceIp', [[dns?.ip, `Service ${dns?.name}`], resolvConfVip(inputs.resolvConfs, clusterIPs)]);

  const vpcCni = inputs.profile?.kind === 'aws-vpc-cni';
  if (!podCidr && vpcCni) notes.derive('no cluster pod CIDR', 'the AWS VPC CNI gives pods addresses of the VPC\'s subnets', { disables: [PLAN_GAPS.podCidr[0]] });
  const missing = (['podCidr', 'serviceCidr', 'dnsServiceIp'] as const).filter((f) => !{ podCidr, serviceCidr, dnsServiceIp }[f] && !(f === 'podCidr' && vpcCni));
  for (const f of missing) {
    // A missing range is a warning (as before); a missing DNS VIP only changes what pods are assumed to query.
    if (f === 'dnsServiceIp') notes.assume('no cluster DNS VIP', WHERE[f], [...PLAN_GAPS[f]]);
    else notes.warn(`the cluster's ${f} is not in the snapshot (${WHERE[f]}); the rest of the address plan is kept`, undefined, undefined, [...PLAN_GAPS[f]]);
  }
  return {
    name: override?.name ?? 'cluster',
    ...(podCidr ? { podCidr } : {}), ...(serviceCidr ? { serviceCidr } : {}), additionalServiceCidrs,
    ...(dnsServiceIp ? { dnsServiceIp } : {}), clusterIPs, inferred,
  };
}

const WHERE: Record<Field, string> = {
  podCidr: 'no --cluster-cidr flag, kubeadm-config, kube-proxy clusterCIDR, node spec.podCIDR or podpath.yaml cluster.podCidr',
  serviceCidr: 'no --service-cluster-ip-range flag, kubeadm-config, aws eks describe-cluster, ServiceCIDR object or podpath.yaml cluster.serviceCidr',
  dnsServiceIp: 'no kube-dns Service, no node nameserver that is a ClusterIP, no podpath.yaml cluster.dnsServiceIp',
};

/** Control-plane flags and the ConfigMaps that carry the plan. */
function configured(r: VendorRecords) {
  const flags = new Map<string, string>();
  for (const p of r.pods) for (const c of p.spec.containers) for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
    const m = /^--(service-cluster-ip-range|cluster-cidr)=(.+)$/.exec(a);
    if (m && !flags.has(m[1]!)) flags.set(m[1]!, m[2]!.split(',')[0]!);
  }
  const kubeadmText = r.configMaps.find((c) => c.metadata.name === 'kubeadm-config')?.data?.ClusterConfiguration;
  const kubeadm = kubeadmText ? ((parseYaml(kubeadmText) as { networking?: { podSubnet?: string; serviceSubnet?: string } } | null)?.networking ?? {}) : {};
  const proxy = r.configMaps.find((c) => c.metadata.name === 'kube-proxy')?.data?.['config.conf'];
  const proxyCidr = proxy ? (parseYaml(proxy) as { clusterCIDR?: string } | null)?.clusterCIDR : undefined;
  return { flags, kubeadm, proxyCidr: proxyCidr || undefined };
}

/** The EKS cluster described: the only one, or the one podpath.yaml names; several without a name are a warning. */
function eksCluster(r: VendorRecords, name: string | undefined, notes: SnapshotNotes): VendorRecords['eksClusters'][number] | undefined {
  if (r.eksClusters.length <= 1) return r.eksClusters[0];
  const named = r.eksClusters.find((c) => c.name === name);
  if (!named) notes.warn(`${r.eksClusters.length} EKS clusters are described (${r.eksClusters.map((c) => c.name).join(', ')}); name the one this snapshot is in podpath.yaml cluster.name`, r.eksClusters[0]!.file);
  return named;
}

/**
 * The IPv4 ranges of the ServiceCIDR objects not being deleted, the one named
 * `kubernetes` (made by kube-apiserver from its flag) first (Kubernetes
 * docs, "Extend Service IP Ranges").
 */
function serviceCidrObjects(r: VendorRecords): { name: string; cidr: string }[] {
  const live = r.serviceCidrs.filter((s) => !s.metadata.deletionTimestamp);
  const sorted = [...live.filter((s) => s.metadata.name === 'kubernetes'), ...live.filter((s) => s.metadata.name !== 'kubernetes')];
  return sorted.flatMap((s) => s.spec.cidrs.filter((c) => !c.includes(':') && isValidCidr(c)).map((cidr) => ({ name: s.metadata.name, cidr })));
}

/** The IPv4 pod ranges of the nodes and the smallest block covering them (inferred). */
function nodesCovering(r: VendorRecords): Evidence {
  const ranges = r.nodes.flatMap((n) => [...new Set([n.spec.podCIDR, ...(n.spec.podCIDRs ?? [])])].filter((c): c is string => !!c && !c.includes(':')).map((c) => ({ node: n.metadata.name, c })));
  const prefixes = ranges.flatMap(({ c }) => { try { return [parseCidr(c, { nonAligned: 'reject' })]; } catch { return []; } });
  const block = smallestCovering(prefixes);
  if (!block) return [undefined, ''];
  const shown = [...new Set(ranges.map((x) => x.c))];
  const list = shown.length > 3 ? `${shown.slice(0, 3).join(', ')}, ... (${shown.length})` : shown.join(', ');
  return [formatPrefix(block), `the smallest block covering the nodes' spec.podCIDR (${list}); the configured cluster CIDR holds it and may be larger`, true];
}

/** The cluster DNS Service: kube-system/kube-dns or coredns, or a kube-system Service labelled k8s-app=kube-dns. */
function dnsService(r: VendorRecords): { name: string; ip: string } | undefined {
  const sys = r.services.filter((s) => (s.metadata.namespace ?? 'default') === 'kube-system' && s.spec.clusterIP && isValidIpv4(s.spec.clusterIP));
  const s = sys.find((x) => x.metadata.name === 'kube-dns' || x.metadata.name === 'coredns') ?? sys.find((x) => x.metadata.labels?.['k8s-app'] === 'kube-dns');
  return s ? { name: `kube-system/${s.metadata.name}`, ip: s.spec.clusterIP! } : undefined;
}

/** A node resolv.conf nameserver that is a Service's ClusterIP: the VIP kubelet hands to pods (inferred). */
function resolvConfVip(resolvConfs: Map<string, TextSource>, clusterIPs: Cluster['clusterIPs']): Evidence {
  for (const [name, rc] of resolvConfs) {
    for (const m of rc.text.matchAll(/^\s*nameserver\s+(\S+)/gm)) {
      const hit = clusterIPs.find((c) => c.ip === m[1]);
      if (hit) return [hit.ip, `nameserver ${hit.ip} in ${rc.file ?? `nodes/${name}/resolv.conf`} is the ClusterIP of Service ${hit.service}`, true];
    }
  }
  return [undefined, ''];
}

/** Every IPv4 ClusterIP of every Service object (headless Services have none). */
function serviceClusterIps(r: VendorRecords): Cluster['clusterIPs'] {
  const out: Cluster['clusterIPs'] = [];
  for (const s of r.services) {
    const service = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
    for (const ip of new Set([s.spec.clusterIP, ...(s.spec.clusterIPs ?? [])])) if (ip && isValidIpv4(ip)) out.push({ ip, service });
  }
  return out;
}
