/**
 * kube-proxy (iptables mode) rules derived from a snapshot's Services and
 * endpoints, for nodes whose own dump is missing: a Ruleset marked `derived`.
 * Pure.
 *
 * The estate's Service model carries ClusterIP ports and endpoint addresses;
 * nodePort, externalIPs and the traffic policies are read when present on a
 * service port or service (the fields of the Kubernetes API, so a richer
 * model lights them up without changes here). An endpoint's node is the node
 * of the pod with that IP, when the estate has it.
 */
import type { Estate } from '../../model/estate.js';
import { parseIptablesSave } from '../../linux/iptables/parse.js';
import type { Diagnostic, Ruleset } from '../../linux/iptables/types.js';
import { kubeProxySaveText, type KubeProxyConfig, type KubeProxyServicePort } from './rules.js';

export { kubeProxySaveText, type KubeProxyConfig, type KubeProxyServicePort } from './rules.js';
export { servicePortName, portProtoHash, svcChain, svlChain, extChain, sepChain } from './names.js';
export { sha256, base32, hex } from './sha256.js';

/** Optional Kubernetes API fields a Service (or one of its ports) may carry. */
interface ServiceExtras {
  nodePort?: number;
  externalIPs?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
}

/** Derived rules: the iptables-save text and its parse. */
export interface DerivedKubeProxyRules {
  text: string;
  ruleset: Ruleset;
  /** Parse problems (none expected: a bug if any). */
  diagnostics: Diagnostic[];
}

/** The service ports of an estate as kube-proxy sees them. */
export function estateServicePorts(estate: Pick<Estate, 'services' | 'pods'>): KubeProxyServicePort[] {
  const nodeOf = new Map(estate.pods.filter((p) => p.ip).map((p) => [p.ip!, p.node]));
  return estate.services.flatMap((s) => {
    const [namespace, name] = s.name.includes('/') ? (s.name.split('/', 2) as [string, string]) : ['default', s.name];
    const sx = s as typeof s & ServiceExtras;
    return s.ports.map((p) => {
      const px = p as typeof p & ServiceExtras;
      const port: KubeProxyServicePort = {
        namespace, name, portName: p.name ?? '', protocol: p.proto, clusterIP: s.clusterIP, port: p.port,
        endpoints: s.endpoints.map((ip) => ({ ip, port: p.targetPort ?? p.port, ...(nodeOf.has(ip) ? { node: nodeOf.get(ip)! } : {}) })),
      };
      const nodePort = px.nodePort;
      if (nodePort !== undefined) port.nodePort = nodePort;
      const eips = px.externalIPs ?? sx.externalIPs;
      if (eips) port.externalIPs = eips;
      const etp = px.externalTrafficPolicy ?? sx.externalTrafficPolicy;
      if (etp) port.externalTrafficPolicy = etp;
      const itp = px.internalTrafficPolicy ?? sx.internalTrafficPolicy;
      if (itp) port.internalTrafficPolicy = itp;
      return port;
    });
  });
}

/** kube-proxy's rules for `nodeName` from the estate's Services, as a derived Ruleset. */
export function deriveKubeProxyRules(estate: Estate, nodeName: string, config: Omit<KubeProxyConfig, 'nodeName'> = {}): DerivedKubeProxyRules {
  const cfg: KubeProxyConfig = { nodeName, ...(estate.cluster ? { clusterCIDR: estate.cluster.podCidr } : {}), ...config };
  const text = kubeProxySaveText(estateServicePorts(estate), cfg);
  const file = `${estate.file ?? 'estate'} (kube-proxy rules derived for node ${nodeName})`;
  const parsed = parseIptablesSave({ text, file });
  parsed.value.derived = `kube-proxy (iptables mode) rules derived from ${estate.services.length} Services for node ${nodeName}; built-in chain policies ACCEPT assumed`;
  return { text, ruleset: parsed.value, diagnostics: parsed.diagnostics };
}
