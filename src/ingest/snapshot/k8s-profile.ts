/**
 * Which CNI / masquerade profile a snapshot's cluster runs, read from its
 * objects: podpath.yaml's `cni:` first, then cilium-config, the aws-node
 * DaemonSet, Calico IPPools, kube-flannel-cfg, the ip-masq-agent ConfigMap.
 * The profile derives node nat rules (src/k8s/profiles) and tells how pods
 * attach to the node (a bridge, or one veth per pod).
 */
import { awsVpcCniFromEnv, parseIpMasqAgentConfig, type MasqProfile } from '../../k8s/profiles/index.js';
import type { VendorRecords } from './collect-docs.js';
import type { SnapshotNotes } from './notes.js';

/** A profile without the per-node settings (node address, VPC blocks, pod CIDR), which are filled in per node. */
export type ClusterProfile =
  | Exclude<MasqProfile, { kind: 'aws-vpc-cni' | 'cilium' }>
  | { kind: 'aws-vpc-cni'; externalSnat: boolean; excludeSnatCidrs: string[]; randomizeSnat?: 'prng' | 'hashrandom' | 'none' }
  | { kind: 'cilium'; ipMasqAgent?: { nonMasqueradeCIDRs?: string[]; masqLinkLocal?: boolean }; ipv4NativeRoutingCIDR?: string };

/** How pods attach: a bridge (kubenet cbr0, flannel cni0) or a veth each (VPC CNI, Calico, Cilium). */
export function podAttachment(p: ClusterProfile | undefined): { bridge: string } | { veth: true } {
  if (!p) return { bridge: 'cbr0' };
  switch (p.kind) {
    case 'aws-vpc-cni':
    case 'calico':
    case 'cilium':
      return { veth: true };
    case 'flannel':
      return { bridge: 'cni0' };
    default:
      return { bridge: 'cbr0' };
  }
}

export function detectProfile(r: VendorRecords, explicit: ClusterProfile | undefined, notes: SnapshotNotes): ClusterProfile | undefined {
  if (explicit) {
    notes.derive(`CNI profile ${explicit.kind}`, 'podpath.yaml cni');
    return explicit;
  }
  const cm = (name: string) => r.configMaps.find((c) => c.metadata.name === name && (c.metadata.namespace ?? 'kube-system').startsWith('kube-'));
  const masqAgent = (name = 'ip-masq-agent') => {
    const m = cm(name);
    const text = m?.data?.config ?? m?.data?.[name];
    if (!m || text === undefined) return undefined;
    const parsed = parseIpMasqAgentConfig(text, name === 'podpath-agent');
    if (parsed.problem) notes.warn(`${name} ConfigMap: ${parsed.problem}; ${name} keeps its defaults`, m.file);
    return parsed.value ?? {};
  };
  const cilium = cm('cilium-config');
  if (cilium) {
    const d = cilium.data ?? {};
    const p: ClusterProfile = {
      kind: 'cilium',
      ...(d['enable-ip-masq-agent'] === 'true' ? { ipMasqAgent: masqAgent() ?? {} } : {}),
      ...(d['ipv4-native-routing-cidr'] ? { ipv4NativeRoutingCIDR: d['ipv4-native-routing-cidr'] } : {}),
    };
    notes.derive('CNI profile cilium', `${cilium.file}: ConfigMap cilium-config`);
    return p;
  }
  const awsNode = r.daemonSets.find((d) => d.metadata.name === 'aws-node');
  if (awsNode) {
    const env = awsNode.spec.template.spec.containers.find((c) => c.name === 'aws-node')?.env ?? [];
    const { problems, ...s } = awsVpcCniFromEnv(env);
    for (const p of problems) notes.warn(`DaemonSet aws-node env: ${p}`, awsNode.file);
    notes.derive(`CNI profile aws-vpc-cni (EXTERNALSNAT ${s.externalSnat}, EXCLUDE_SNAT_CIDRS ${s.excludeSnatCidrs.join(',') || 'none'}, RANDOMIZESNAT ${s.randomizeSnat})`, `${awsNode.file}: DaemonSet aws-node env`);
    return { kind: 'aws-vpc-cni', ...s };
  }
  const pools = r.custom.filter((c) => c.kind === 'IPPool');
  if (pools.length) {
    const list = pools.map((p) => {
      const spec = (p.value.spec ?? {}) as Record<string, unknown>;
      return { cidr: String(spec.cidr ?? ''), natOutgoing: spec.natOutgoing === true, disabled: spec.disabled === true };
    }).filter((p) => p.cidr.includes('.'));
    notes.derive(`CNI profile calico (${list.length} IPv4 pools)`, `${pools[0]!.file}: IPPool objects`);
    return { kind: 'calico', pools: list };
  }
  const flannel = r.configMaps.find((c) => c.metadata.name === 'kube-flannel-cfg');
  if (flannel) {
    let network = '';
    try {
      network = String((JSON.parse(flannel.data?.['net-conf.json'] ?? '{}') as { Network?: string }).Network ?? '');
    } catch {
      notes.warn('kube-flannel-cfg net-conf.json is not JSON', flannel.file);
    }
    const ds = r.daemonSets.find((d) => d.metadata.name.startsWith('kube-flannel'));
    const ipMasq = ds ? ds.spec.template.spec.containers.some((c) => [...(c.args ?? []), ...(c.command ?? [])].includes('--ip-masq')) : true;
    notes.derive(`CNI profile flannel (network ${network || 'unknown'}, ipMasq ${ipMasq})`, `${flannel.file}: ConfigMap kube-flannel-cfg${ds ? ' and its DaemonSet args' : ''}`);
    if (network) return { kind: 'flannel', network, ipMasq };
  }
  // The podpath agent (docs/agent.md) first: it owns PODPATH-MASQ-AGENT and reads podpath's keys.
  const podpath = masqAgent('podpath-agent');
  if (podpath) {
    notes.derive('CNI profile podpath-agent (chain PODPATH-MASQ-AGENT)', 'ConfigMap kube-system/podpath-agent');
    return { kind: 'ip-masq-agent', chain: 'PODPATH-MASQ-AGENT', ...podpath };
  }
  const agent = masqAgent();
  if (agent) {
    notes.derive('CNI profile ip-masq-agent', 'ConfigMap kube-system/ip-masq-agent');
    return { kind: 'ip-masq-agent', ...agent };
  }
  return undefined;
}
