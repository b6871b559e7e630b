/**
 * The rules kube-proxy's nftables mode writes (kubernetes pkg/proxy/nftables),
 * as an `nft -f` text, from Service ports and their endpoints: table ip
 * kube-proxy with its base chains, the service-ips / service-nodeports
 * verdict maps dispatching to one chain per Service port, `numgen random mod N`
 * over one chain per endpoint (masquerade mark for hairpin, DNAT), and
 * no-endpoint-services / no-endpoint-nodeports sending Services without
 * endpoints to reject-chain. Chain names carry the first 8 base32 characters of
 * sha256(`namespace/name/protocol/portName` [+ `__ip/port`]), which reproduces
 * the names in kube-proxy's own test rulesets (checked in
 * test/linux/nftables/kube-proxy-nft-generate.test.ts).
 *
 * Scope: Cluster traffic policies; LoadBalancer source ranges and session
 * affinity are not generated (a Service using them is reported by the caller).
 */
import { base32, sha256 } from '../kube-proxy/sha256.js';
import type { KubeProxyServicePort } from '../kube-proxy/rules.js';

/** What shapes the generated rules. */
export interface KubeProxyNftConfig {
  /** --cluster-cidr: ClusterIP traffic from outside it is masqueraded. @default none: no such rule */
  clusterCIDR?: string;
}

const hashed = (base: string) => `${base32(sha256(base)).slice(0, 8)}-${base}`;
const T = 'ip kube-proxy';

/** The ruleset text (nft -f form) and the reason it is derived. */
export function kubeProxyNftText(ports: readonly KubeProxyServicePort[], config: KubeProxyNftConfig = {}): { text: string; derived: string } {
  const L: string[] = [
    `add table ${T} { comment "rules for kube-proxy" ; }`,
    ...['mark-for-masquerade', 'masquerading', 'services', 'firewall-check', 'endpoints-check'].map((c) => `add chain ${T} ${c}`),
    `add chain ${T} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`,
    `add chain ${T} filter-output-pre-dnat { type filter hook output priority -110 ; }`,
    `add chain ${T} filter-forward { type filter hook forward priority 0 ; }`,
    `add chain ${T} filter-input { type filter hook input priority 0 ; }`,
    `add chain ${T} filter-output { type filter hook output priority 0 ; }`,
    `add chain ${T} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${T} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${T} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    `add rule ${T} mark-for-masquerade mark set mark or 0x4000`,
    `add rule ${T} masquerading mark and 0x4000 == 0 return`,
    `add rule ${T} masquerading mark set mark xor 0x4000`,
    `add rule ${T} masquerading masquerade fully-random`,
    `add rule ${T} filter-prerouting-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-forward ct state new jump endpoints-check`,
    `add rule ${T} filter-input ct state new jump endpoints-check`,
    `add rule ${T} filter-output ct state new jump endpoints-check`,
    `add rule ${T} filter-output-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} nat-output jump services`,
    `add rule ${T} nat-postrouting jump masquerading`,
    `add rule ${T} nat-prerouting jump services`,
    `add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
    `add rule ${T} reject-chain reject`,
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; }`,
    `add rule ${T} endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    `add rule ${T} endpoints-check fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports`,
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; }`,
    `add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${T} services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports`,
  ];
  for (const sp of ports) {
    const base = `${sp.namespace}/${sp.name}/${sp.protocol}/${sp.portName ?? ''}`;
    const comment = `"${sp.namespace}/${sp.name}${sp.portName ? `:${sp.portName}` : ''}"`;
    const dests = [sp.clusterIP, ...(sp.externalIPs ?? [])];
    if (sp.endpoints.length === 0) {
      for (const d of dests) L.push(`add element ${T} no-endpoint-services { ${d} . ${sp.protocol} . ${sp.port} comment ${comment} : goto reject-chain }`);
      if (sp.nodePort) L.push(`add element ${T} no-endpoint-nodeports { ${sp.protocol} . ${sp.nodePort} comment ${comment} : goto reject-chain }`);
      continue;
    }
    const svc = `service-${hashed(base)}`;
    const ext = `external-${hashed(base)}`;
    L.push(`add chain ${T} ${svc}`);
    if (config.clusterCIDR) L.push(`add rule ${T} ${svc} ip daddr ${sp.clusterIP} ${sp.protocol} dport ${sp.port} ip saddr != ${config.clusterCIDR} jump mark-for-masquerade`);
    const eps = sp.endpoints.map((e) => ({ e, chain: `endpoint-${hashed(`${base}__${e.ip}/${e.port}`)}` }));
    // nft resolves a goto when its rule is added: the endpoint chains come first.
    for (const { e, chain } of eps) {
      L.push(`add chain ${T} ${chain}`, `add rule ${T} ${chain} ip saddr ${e.ip} jump mark-for-masquerade`, `add rule ${T} ${chain} meta l4proto ${sp.protocol} dnat to ${e.ip}:${e.port}`);
    }
    L.push(`add rule ${T} ${svc} numgen random mod ${eps.length} vmap { ${eps.map((x, i) => `${i} : goto ${x.chain}`).join(' , ')} }`);
    L.push(`add element ${T} service-ips { ${sp.clusterIP} . ${sp.protocol} . ${sp.port} : goto ${svc} }`);
    if (sp.nodePort || sp.externalIPs?.length) {
      L.push(`add chain ${T} ${ext}`, `add rule ${T} ${ext} jump mark-for-masquerade`, `add rule ${T} ${ext} goto ${svc}`);
      for (const ip of sp.externalIPs ?? []) L.push(`add element ${T} service-ips { ${ip} . ${sp.protocol} . ${sp.port} : goto ${ext} }`);
      if (sp.nodePort) L.push(`add element ${T} service-nodeports { ${sp.protocol} . ${sp.nodePort} : goto ${ext} }`);
    }
  }
  return { text: `${L.join('\n')}\n`, derived: `kube-proxy (nftables mode) rules derived from ${ports.length} Service ports` };
}
