/**
 * Maps kubectl objects and node dumps onto the model: nodes (spec.podCIDR,
 * spec.providerID `aws:///ZONE/i-...` -> instance, else the InternalIP),
 * pods (status.podIP, spec.nodeName, spec.hostNetwork), ClusterIP Services
 * with the ready addresses of their EndpointSlices, and the cluster address
 * plan (k8s-plan.ts).
 * A node without iptables-save.txt gets nat rules derived from the cluster's
 * CNI profile, marked derived; kube-proxy's rules for the Services are derived
 * in the mode the cluster runs it (iptables, or nftables for a node without an
 * nft dump), marked derived too.
 */
import type { EstateInput } from '../../model/estate.js';
import type { Cluster } from '../../model/k8s.js';
import { withText, type TextSource } from '../../model/source.js';
import { formatIpv4, isValidIpv4 } from '../../net/ipv4.js';
import { nthAddress, parseCidr } from '../../net/prefix.js';
import { deriveNatRules, type MasqProfile } from '../../k8s/profiles/index.js';
import { estateServicePorts, kubeProxySaveText } from '../../k8s/kube-proxy/index.js';
import { mergeIptablesSave } from '../../k8s/merge-save.js';
import { kubeProxyNftText } from '../../k8s/kube-proxy-nft/rules.js';
import { kubeProxyMode, type KubeProxyMode } from './kube-proxy-mode.js';
import type { From, VendorRecords } from './collect-docs.js';
import type { K8sNode } from '../k8s/objects.js';
import { ipv4Cidr } from './aws-fabric.js';
import { podAttachment, type ClusterProfile } from './k8s-profile.js';
import { clusterPlan } from './k8s-plan.js';
import type { SnapshotNotes } from './notes.js';

type In<K extends keyof EstateInput> = NonNullable<EstateInput[K]>;

/** The text files of one `nodes/<name>/` folder. */
export interface NodeFiles {
  dir: string;
  texts: Map<string, TextSource>;
}

export interface K8sPart {
  cluster?: Cluster | undefined;
  nodes: In<'nodes'>;
  pods: In<'pods'>;
  services: In<'services'>;
}

export function convertK8s(
  r: VendorRecords, aws: { instances: In<'instances'>; subnets: In<'subnets'>; vpcs: In<'vpcs'> }, nodeFiles: Map<string, NodeFiles>,
  profile: ClusterProfile | undefined, clusterOverride: Partial<Cluster> | undefined, notes: SnapshotNotes,
): K8sPart {
  const nodes: In<'nodes'> = [];
  // Indexed once: a snapshot may hold thousands of nodes, each looked up by id or address.
  const instances = { byId: new Map(aws.instances.map((i) => [i.id, i])), byIp: new Map(aws.instances.map((i) => [i.privateIp, i])) };
  const vpcCidrsOf = vpcCidrsBySubnet(aws);
  for (const n of r.nodes) {
    const node = convertNode(n, vpcCidrsOf, instances, nodeFiles.get(n.metadata.name), profile, notes);
    if (node) nodes.push(node);
  }
  const converted = new Set(nodes.map((n) => n.name));
  for (const [name, f] of nodeFiles) if (!converted.has(name)) notes.ignore(`${f.dir}`, `node ${name} is not in the kubectl node list (or its instance is unknown)`);
  const nodeNames = new Set(nodes.map((n) => n.name));

  const pods: In<'pods'> = [];
  for (const p of r.pods) {
    const name = `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
    const node = p.spec.nodeName;
    if (!node || (!p.spec.hostNetwork && !p.status.podIP)) { notes.ignore(`pod ${name}`, `not running on a node with an address (phase ${p.status.phase ?? 'unknown'})`, p.file); continue; }
    if (!nodeNames.has(node)) { notes.ignore(`pod ${name}`, `its node ${node} is not in the snapshot`, p.file); continue; }
    if (p.spec.hostNetwork) { pods.push({ name, node, hostNetwork: true }); continue; }
    if (!isValidIpv4(p.status.podIP!)) { notes.ignore(`pod ${name} (${p.status.podIP})`, 'IPv6 pod address: IPv6 traces are unknown for now', p.file); continue; }
    pods.push({ name, node, ip: p.status.podIP! });
  }

  const services: In<'services'> = [];
  // IPv4 EndpointSlices by the Service they belong to (namespace/name), in snapshot order.
  const slicesOf = new Map<string, typeof r.endpointSlices>();
  for (const e of r.endpointSlices) {
    const svc = e.metadata.labels?.['kubernetes.io/service-name'];
    if (svc === undefined || (e.addressType ?? 'IPv4') !== 'IPv4') continue;
    const k = `${e.metadata.namespace ?? 'default'}/${svc}`;
    const list = slicesOf.get(k);
    if (list) list.push(e);
    else slicesOf.set(k, [e]);
  }
  for (const s of r.services) {
    const name = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
    const ip = s.spec.clusterIP;
    if (!ip || ip === 'None' || !isValidIpv4(ip)) { notes.ignore(`service ${name}`, ip === 'None' ? 'headless (no cluster IP)' : 'no IPv4 cluster IP', s.file); continue; }
    const ports = s.spec.ports.filter((p) => ['TCP', 'UDP', undefined].includes(p.protocol)).map((p) => ({
      ...(p.name ? { name: p.name } : {}), port: p.port, proto: (p.protocol === 'UDP' ? 'udp' : 'tcp') as 'tcp' | 'udp',
      ...(typeof p.targetPort === 'number' ? { targetPort: p.targetPort } : {}),
    }));
    if (!ports.length) { notes.ignore(`service ${name}`, 'no TCP or UDP port', s.file); continue; }
    const endpoints = (slicesOf.get(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`) ?? [])
      .flatMap((e) => (e.endpoints ?? []).filter((x) => x.conditions?.ready !== false).flatMap((x) => x.addresses));
    services.push({ name, clusterIP: ip, ports, endpoints: [...new Set(endpoints)] });
  }
  const cluster = clusterPlan(r, { override: clusterOverride, profile, resolvConfs: resolvConfsOf(nodeFiles) }, notes);
  const proxy = kubeProxyMode(r);
  if (proxy) notes.derive(`kube-proxy mode ${proxy.mode}`, proxy.from);
  // One text for every node (kube-proxy's nftables rules do not depend on the node), parsed once by the trace.
  let nftRules: TextSource | undefined;
  const nftRulesOf = () => (nftRules ??= kubeProxyNftSource({ services, pods }, cluster?.podCidr));
  for (const n of nodes) {
    if (proxy?.mode === 'nftables') withKubeProxyNftRules(n, nftRulesOf, services.length, proxy, notes);
    else if ((n.iptables as TextSource | undefined)?.derived && services.length) withKubeProxyRules(n, { services, pods }, cluster?.podCidr, notes);
  }
  return { cluster, nodes, pods, services };
}

/**
 * kube-proxy in nftables mode: a node without an nft dump gets the ruleset
 * kube-proxy writes for the snapshot's Services (k8s/kube-proxy-nft), marked
 * derived in its file name and a loader note; its iptables get no kube-proxy
 * rules (nftables mode writes none). A node without any dump keeps empty
 * iptables tables, so no iptables-mode rules are derived for it later.
 * An iptables dump that holds KUBE-SERVICES contradicts the mode: it is traced
 * as read, with a warning, and nothing is derived.
 */
function withKubeProxyNftRules(n: In<'nodes'>[number], rules: () => TextSource, services: number, proxy: KubeProxyMode, notes: SnapshotNotes): void {
  if (n.nftRuleset) return;
  const own = n.iptables as TextSource | undefined;
  if (own && !own.derived && /^:KUBE-SERVICES /m.test(own.text)) {
    notes.warn(`node ${n.name}: kube-proxy runs in nftables mode (${proxy.from}) but ${own.file ?? 'its iptables-save.txt'} holds KUBE-SERVICES: its iptables rules are traced as read, no nftables rules derived`);
    return;
  }
  if (!own) n.iptables = { text: '', file: `nodes/${n.name}/iptables-save.txt (derived)`, firstLine: 1, derived: `node ${n.name}: no iptables-save.txt; kube-proxy runs in nftables mode (no iptables rules of its own): empty tables with ACCEPT policies assumed` };
  if (!services) return;
  n.nftRuleset = rules();
  notes.derive(`node ${n.name} kube-proxy rules (nftables)`, `${services} Services and their EndpointSlices (kube-proxy nftables mode: ${proxy.from})`);
}

function kubeProxyNftSource(objects: { services: In<'services'>; pods: In<'pods'> }, clusterCIDR: string | undefined): TextSource {
  const d = kubeProxyNftText(estateServicePorts(objects as Parameters<typeof estateServicePorts>[0]), clusterCIDR ? { clusterCIDR } : {});
  return { text: d.text, file: `kube-proxy-nftables.nft (derived: ${d.derived})`, firstLine: 1, derived: d.derived };
}

/**
 * A node whose nat rules were derived from its CNI profile also gets the
 * rules kube-proxy (iptables mode) writes for the snapshot's Services, as on a
 * real node both programs write into its tables (k8s/merge-save.ts); marked
 * derived like the rest of the dump.
 */
function withKubeProxyRules(n: In<'nodes'>[number], objects: { services: In<'services'>; pods: In<'pods'> }, clusterCIDR: string | undefined, notes: SnapshotNotes): void {
  const kp = kubeProxySaveText(estateServicePorts(objects as Parameters<typeof estateServicePorts>[0]), { nodeName: n.name, ...(clusterCIDR ? { clusterCIDR } : {}) });
  const own = n.iptables as TextSource;
  n.iptables = { ...withText(own, mergeIptablesSave([kp, own.text])), derived: `${own.derived}; kube-proxy (iptables mode) rules derived from ${objects.services.length} Services` };
  notes.derive(`node ${n.name} kube-proxy rules`, `${objects.services.length} Services and their EndpointSlices (kube-proxy iptables mode assumed)`);
}

function convertNode(
  n: From<K8sNode>, vpcCidrsOf: VpcCidrsOf,
  instances: { byId: Map<string, In<'instances'>[number]>; byIp: Map<string, In<'instances'>[number]> }, files: NodeFiles | undefined,
  profile: ClusterProfile | undefined, notes: SnapshotNotes,
): In<'nodes'>[number] | undefined {
  const name = n.metadata.name;
  const fromProvider = /^aws:\/\/\/[^/]*\/(i-[0-9a-zA-Z]+)$/.exec(n.spec.providerID ?? '')?.[1];
  const internal = n.status.addresses.find((a) => a.type === 'InternalIP')?.address;
  let instance = fromProvider ? instances.byId.get(fromProvider) : undefined;
  if (!instance && internal) {
    instance = instances.byIp.get(internal);
    if (instance) notes.derive(`node ${name} runs on ${instance.id}`, `its InternalIP ${internal}${fromProvider ? ` (providerID ${fromProvider} is not in the snapshot)` : ''}`);
  }
  if (!instance) {
    notes.warn(`node ${name}: no instance of the snapshot matches providerID ${n.spec.providerID ?? '(none)'} or InternalIP ${internal ?? '(none)'}; node ignored`, n.file);
    return undefined;
  }
  const podCidr = ipv4Cidr(n.spec.podCIDR, `node ${name} podCIDR`, notes, n.file);
  const attach = podAttachment(profile);
  const bridge = 'bridge' in attach && podCidr ? { name: attach.bridge, address: formatIpv4(nthAddress(parseCidr(podCidr), 1)) } : undefined;
  if (bridge) notes.derive(`node ${name} bridge ${bridge.name} ${bridge.address}`, `${profile?.kind ?? 'no CNI profile found: kubenet assumed'} attaches pods to a bridge at the pod CIDR's first address`);
  const texts = files?.texts ?? new Map<string, TextSource>();
  if (texts.has('sysctl.txt')) notes.ignore(`${files!.dir}/sysctl.txt`, 'read but not modelled yet (sysctls)');
  const ipRules = texts.get('ip-rule.txt');
  const ipAddr = texts.get('ip-addr.txt');
  const ipsets = texts.get('ipset-save.txt');
  // nft -j list ruleset is the stable machine format: preferred when both listings are given.
  const nftRuleset = texts.get('nft-ruleset.json') ?? texts.get('nft-ruleset.txt');
  if (texts.has('nft-ruleset.json') && texts.has('nft-ruleset.txt')) notes.ignore(`${files!.dir}/nft-ruleset.txt`, 'nft-ruleset.json is read instead (the same ruleset in JSON)');
  let iptables = texts.get('iptables-save.txt');
  if (!iptables) {
    const p = profile && nodeProfile(profile, instance, podCidr, vpcCidrsOf);
    if (p) {
      const d = deriveNatRules(p);
      iptables = { text: d.text, file: `${files?.dir ?? `nodes/${name}`}/iptables-save.txt (derived)`, firstLine: 1, derived: d.derived };
      notes.derive(`node ${name} nat rules`, d.derived);
    } else {
      notes.warn(`node ${name}: no iptables-save.txt and no CNI profile to derive rules from: empty tables with ACCEPT policies assumed`);
    }
  }
  const routes = texts.get('ip-route.txt');
  if (!routes) notes.derive(`node ${name} routes`, 'no ip-route.txt: eth0 subnet, pod bridge and default via the VPC router');
  const resolvConf = texts.get('resolv.conf');
  return {
    name, instance: instance.id, ...(podCidr ? { podCidr } : {}), ...(bridge ? { bridge } : {}),
    ...(iptables ? { iptables } : {}), ...(routes ? { routes } : {}), ...(ipRules ? { ipRules } : {}), ...(ipAddr ? { ipAddr } : {}), ...(ipsets ? { ipsets } : {}), ...(nftRuleset ? { nftRuleset } : {}), ...(resolvConf ? { resolvConf } : {}),
  };
}

/** The profile with this node's settings filled in, or undefined when they are missing. */
function nodeProfile(p: ClusterProfile, instance: In<'instances'>[number], podCidr: string | undefined, vpcCidrsOf: VpcCidrsOf): MasqProfile | undefined {
  if (p.kind === 'aws-vpc-cni') {
    const vpcCidrs = vpcCidrsOf(instance.subnet);
    return { kind: 'aws-vpc-cni', vpcCidrs, nodeIp: instance.privateIp, externalSnat: p.externalSnat, excludeSnatCidrs: p.excludeSnatCidrs, ...(p.randomizeSnat ? { randomizeSnat: p.randomizeSnat } : {}) };
  }
  if (p.kind === 'cilium') return podCidr ? { ...p, podCidr } : undefined;
  if (p.kind === 'flannel') return { ...p, ...(podCidr ? { subnet: podCidr } : {}) };
  return p;
}

/** The CIDR blocks of the VPC a subnet is in; none when the subnet or its VPC is not in the snapshot. */
type VpcCidrsOf = (subnet: string | undefined) => string[];

/**
 * VPC CIDR blocks by subnet id, indexed on the first look-up (each VPC CNI node asks once; a scan
 * of every subnet and VPC per node was nodes x subnets). As the scans in input order did, the first
 * subnet and the first VPC listed under an id win.
 */
function vpcCidrsBySubnet(aws: { subnets: In<'subnets'>; vpcs: In<'vpcs'> }): VpcCidrsOf {
  let index: { vpcOf: Map<string, string>; blocksOf: Map<string, string[]> } | undefined;
  return (subnet) => {
    if (!index) {
      index = { vpcOf: new Map(), blocksOf: new Map() };
      for (const s of aws.subnets) if (!index.vpcOf.has(s.id)) index.vpcOf.set(s.id, s.vpc);
      for (const v of aws.vpcs) if (!index.blocksOf.has(v.id)) index.blocksOf.set(v.id, v.cidrBlocks);
    }
    const vpc = subnet === undefined ? undefined : index.vpcOf.get(subnet);
    return (vpc === undefined ? undefined : index.blocksOf.get(vpc)) ?? [];
  };
}

function resolvConfsOf(nodeFiles: Map<string, NodeFiles>): Map<string, TextSource> {
  return new Map([...nodeFiles].flatMap(([name, f]) => { const rc = f.texts.get('resolv.conf'); return rc ? [[name, rc] as const] : []; }));
}
