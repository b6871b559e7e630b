/**
 * Loader notes both loaders share: what a missing piece of the cluster's
 * address plan, or a node without its dumps, means for the checks
 * (docs/doctor.md, "Loader notes").
 */
import type { Estate } from '../model/estate.js';
import type { LoadNote } from '../model/load-note.js';

/** The checks each missing cluster fact disables or weakens, one line each. */
export const PLAN_GAPS = {
  podCidr: ['PP103 (pod CIDR overlaps a routed block): not checked', 'kube-proxy rules derived for nodes without a dump lack the --cluster-cidr masquerade rule'],
  serviceCidr: ['PP102 (Service CIDR overlaps a routed block): judged from the Services\' ClusterIPs only'],
  dnsServiceIp: ['PP104 for pods (cluster DNS VIP routed away): not checked; pods are assumed to use no nameserver'],
} as const satisfies Record<string, readonly string[]>;

/** Notes about an estate file's own gaps: the cluster plan, nodes without dumps. */
export function estateFileNotes(e: Estate): LoadNote[] {
  const out: LoadNote[] = [];
  const file = e.file ? { file: e.file } : {};
  if (e.nodes.length) {
    for (const key of ['podCidr', 'serviceCidr', 'dnsServiceIp'] as const) {
      if (!e.cluster?.[key]) out.push({ kind: 'warning', text: `the cluster's ${key} is not given (cluster.${key})`, ...file, disables: [...PLAN_GAPS[key]] });
    }
  }
  for (const n of e.nodes) {
    if (!n.iptables && !n.iptablesInserts.length) out.push({ kind: 'assumed', text: `node ${n.name}: no iptables dump: empty tables with ACCEPT policies`, ...file });
    if (!n.routes) out.push({ kind: 'derived', text: `node ${n.name} routes (from eth0's subnet, the pod bridge and a default route via the VPC router; no ip route given)`, ...file });
  }
  return out;
}
