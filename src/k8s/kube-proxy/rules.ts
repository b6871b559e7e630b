/**
 * The iptables-mode rules current kube-proxy (1.28+, pkg/proxy/iptables/
 * proxier.go syncProxyRules) writes for a node, as iptables-save text in the
 * canonical form iptables-save prints them (so `iptables-restore --test`
 * accepts it and a walk reads the same rules a real node has).
 *
 * ```
 * nat PREROUTING/OUTPUT -> KUBE-SERVICES -d VIP --dport P -> KUBE-SVC-x (or KUBE-SVL-x, internalTrafficPolicy Local)
 *                                        -> (last) addrtype LOCAL -> KUBE-NODEPORTS --dport NP -> KUBE-EXT-x
 * KUBE-SVC-x: [! -s clusterCIDR -> KUBE-MARK-MASQ] then endpoint i with -m statistic 1/(n-i) -> KUBE-SEP-y
 * KUBE-SEP-y: -s self -> KUBE-MARK-MASQ (hairpin); DNAT --to-destination ip:port
 * KUBE-EXT-x: Cluster: KUBE-MARK-MASQ, -> KUBE-SVC-x;  Local: pod traffic -> KUBE-SVC-x,
 *             src LOCAL -> KUBE-MARK-MASQ + KUBE-SVC-x, rest -> KUBE-SVL-x (node-local endpoints)
 * KUBE-MARK-MASQ: mark |= 0x4000;  nat POSTROUTING -> KUBE-POSTROUTING: unmarked RETURN, clear mark, MASQUERADE --random-fully
 * filter: services without endpoints REJECT, Local policies without local endpoints DROP, KUBE-FORWARD.
 * ```
 * Choices (documented, deterministic): services and endpoints are sorted (kube-proxy
 * iterates a map; order across services does not change any verdict); nodePortAddresses
 * is "all" (the addrtype LOCAL jump); localhostNodePorts true; session affinity,
 * load balancers and firewall chains are not generated. Built-in chain policies
 * are ACCEPT: kube-proxy does not set them; the derived note says so.
 *
 * Guarantees: pure; same input, same text; every chain jumped to is declared.
 */
import { saveString } from '../../linux/iptables/tokenize.js';
import { extChain, sepChain, servicePortName, svcChain, svlChain } from './names.js';

/** One port of a Service with its endpoints, as kube-proxy sees it (Service + EndpointSlices). */
export interface KubeProxyServicePort {
  namespace: string;
  name: string;
  /** The port's name (empty when the Service has one unnamed port). */
  portName?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP: string;
  port: number;
  /** @default none (ClusterIP service) */
  nodePort?: number;
  /** @default none */
  externalIPs?: string[];
  /** @default 'Cluster' */
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** @default 'Cluster' */
  internalTrafficPolicy?: 'Cluster' | 'Local';
  /** Ready endpoints; `node` is the node the endpoint runs on, when known. */
  endpoints: { ip: string; port: number; node?: string }[];
}

/** kube-proxy's configuration that shapes the rules. */
export interface KubeProxyConfig {
  /** The node the rules are for (Local policies pick its endpoints). */
  nodeName: string;
  /** --cluster-cidr: traffic from outside it to a ClusterIP is masqueraded. @default none: no such rule */
  clusterCIDR?: string;
  /** --masquerade-all. @default false */
  masqueradeAll?: boolean;
  /** --iptables-masquerade-bit. @default 14 (mark 0x4000) */
  masqueradeBit?: number;
}

const probability = (n: number): string => (Math.round(0x80000000 / n) / 0x80000000).toFixed(11);
const q = saveString;

/** The rules for a node: iptables-save text of the filter and nat tables. */
export function kubeProxySaveText(ports: readonly KubeProxyServicePort[], config: KubeProxyConfig): string {
  const mark = `0x${(1 << (config.masqueradeBit ?? 14)).toString(16)}`;
  const natChains = new Set(['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']);
  const filterChains = new Set(['KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']);
  const nat: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${mark}/${mark}`,
    `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --set-xmark ${mark}/0x0`,
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  const filter: string[] = [
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  ];
  const svcRules: string[] = [];
  const rest: string[] = [];
  const sorted = [...ports].sort((a, b) => cmp(servicePortName(a.namespace, a.name, a.portName), servicePortName(b.namespace, b.name, b.portName)));
  for (const sp of sorted) {
    const spn = servicePortName(sp.namespace, sp.name, sp.portName);
    const p = sp.protocol;
    const match = `-p ${p}`;
    const eps = [...sp.endpoints].sort((a, b) => cmp(`${a.ip}:${a.port}`, `${b.ip}:${b.port}`));
    const local = eps.filter((e) => e.node === config.nodeName);
    const iLocal = sp.internalTrafficPolicy === 'Local';
    const eLocal = sp.externalTrafficPolicy === 'Local';
    const external = sp.nodePort !== undefined || (sp.externalIPs ?? []).length > 0;
    const has = eps.length > 0;
    const hasInternal = has && (!iLocal || local.length > 0);
    const hasExternal = has && (!eLocal || local.length > 0);
    const svc = svcChain(spn, p);
    const svl = svlChain(spn, p);
    const ext = extChain(spn, p);
    const usesCluster = has && (!iLocal || external);
    const usesLocal = local.length > 0 && (iLocal || (external && eLocal));
    const internalChain = iLocal ? svl : svc;
    const vip = `-d ${sp.clusterIP}/32 ${match}`;
    const dport = `-m ${p} --dport ${sp.port}`;
    if (hasInternal) {
      svcRules.push(`-A KUBE-SERVICES ${vip} -m comment --comment ${q(`${spn} cluster IP`)} ${dport} -j ${internalChain}`);
      if (config.masqueradeAll) rest.push(`-A ${internalChain} ${vip} -m comment --comment ${q(`${spn} cluster IP`)} ${dport} -j KUBE-MARK-MASQ`);
      else if (config.clusterCIDR) rest.push(`-A ${internalChain} ! -s ${config.clusterCIDR} ${vip} -m comment --comment ${q(`${spn} cluster IP`)} ${dport} -j KUBE-MARK-MASQ`);
    } else {
      const [target, why] = has ? ['DROP', 'has no local endpoints'] : ['REJECT --reject-with icmp-port-unreachable', 'has no endpoints'];
      filter.push(`-A KUBE-SERVICES ${vip} -m comment --comment ${q(`${spn} ${why}`)} ${dport} -j ${target}`);
    }
    for (const eip of sp.externalIPs ?? []) {
      if (has) svcRules.push(`-A KUBE-SERVICES -d ${eip}/32 ${match} -m comment --comment ${q(`${spn} external IP`)} ${dport} -j ${ext}`);
    }
    if (sp.nodePort !== undefined && has) rest.push(`-A KUBE-NODEPORTS ${match} -m comment --comment ${q(spn)} -m ${p} --dport ${sp.nodePort} -j ${ext}`);
    if (external && !hasExternal) {
      const [target, why] = has ? ['DROP', 'has no local endpoints'] : ['REJECT --reject-with icmp-port-unreachable', 'has no endpoints'];
      for (const eip of sp.externalIPs ?? []) filter.push(`-A KUBE-EXTERNAL-SERVICES -d ${eip}/32 ${match} -m comment --comment ${q(`${spn} ${why}`)} ${dport} -j ${target}`);
      if (sp.nodePort !== undefined) filter.push(`-A KUBE-EXTERNAL-SERVICES ${match} -m comment --comment ${q(`${spn} ${why}`)} -m addrtype --dst-type LOCAL -m ${p} --dport ${sp.nodePort} -j ${target}`);
    }
    if (external && has) {
      natChains.add(ext);
      if (!eLocal) rest.push(`-A ${ext} -m comment --comment ${q(`masquerade traffic for ${spn} external destinations`)} -j KUBE-MARK-MASQ`);
      else {
        if (config.clusterCIDR) rest.push(`-A ${ext} -s ${config.clusterCIDR} -m comment --comment ${q(`pod traffic for ${spn} external destinations`)} -j ${svc}`);
        rest.push(`-A ${ext} -m comment --comment ${q(`masquerade LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
        rest.push(`-A ${ext} -m comment --comment ${q(`route LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
      }
      if (hasExternal) rest.push(`-A ${ext} -j ${eLocal ? svl : svc}`);
    }
    const reach = new Map<string, { ip: string; port: number }>();
    const spread = (chain: string, list: typeof eps): void => {
      natChains.add(chain);
      list.forEach((e, i) => {
        const ep = `${e.ip}:${e.port}`;
        reach.set(ep, e);
        const stat = i < list.length - 1 ? ` -m statistic --mode random --probability ${probability(list.length - i)}` : '';
        rest.push(`-A ${chain} -m comment --comment ${q(`${spn} -> ${ep}`)}${stat} -j ${sepChain(spn, p, ep)}`);
      });
    };
    if (usesCluster) spread(svc, eps);
    if (usesLocal) spread(svl, local);
    for (const [ep, e] of [...reach].sort((a, b) => cmp(a[0], b[0]))) {
      const sep = sepChain(spn, p, ep);
      natChains.add(sep);
      rest.push(`-A ${sep} -s ${e.ip}/32 -m comment --comment ${q(spn)} -j KUBE-MARK-MASQ`);
      rest.push(`-A ${sep} ${match} -m comment --comment ${q(spn)} -m ${p} -j DNAT --to-destination ${ep}`);
    }
  }
  svcRules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  filter.push(
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  const decl = (chains: Set<string>) => [...chains].sort(cmp).map((c) => `:${c} - [0:0]`);
  return [
    `# Derived by podpath: kube-proxy (iptables mode) rules for node ${config.nodeName}, from Services and EndpointSlices`,
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...decl(filterChains), ...filter, 'COMMIT',
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...decl(natChains),
    ...nat.slice(0, 3), ...nat.slice(3), ...svcRules, ...rest, 'COMMIT', '',
  ].join('\n');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
