/**
 * The findings catalog: stable ids, names and default severities. Ids never
 * change meaning; each has a page in docs/findings/<id>.md (what, why it
 * breaks, how to confirm by hand, how to fix).
 */

/** How bad a finding is, as SARIF levels: error breaks traffic now, warning breaks it sometimes, note informs. */
export type Severity = 'error' | 'warning' | 'note';

/** Severity order for --fail-on: a finding fails the run when its rank is at least the threshold's. */
export const SEVERITY_RANK: Record<Severity, number> = { note: 1, warning: 2, error: 3 };

export interface CatalogEntry {
  id: FindingId;
  name: string;
  /** One line: the class of problem. */
  summary: string;
  severity: Severity;
}

export type FindingId = 'PP100' | 'PP101' | 'PP102' | 'PP103' | 'PP104' | 'PP105' | 'PP106' | 'PP107' | 'PP108' | 'PP109' | 'PP110' | 'PP111' | 'PP112' | 'PP113' | 'PP114' | 'PP115' | 'PP199';

const entries: CatalogEntry[] = [
  { id: 'PP100', name: 'nothing-checked', severity: 'warning',
    summary: 'the input gave doctor no source class or no pair to trace, so "no findings" would mean nothing' },
  { id: 'PP101', name: 'pod-egress-unmasqueraded-to-peer', severity: 'error',
    summary: 'pod traffic to a routed network leaves the node with its pod source address, which that network cannot carry or route back' },
  { id: 'PP102', name: 'service-cidr-overlaps-routed', severity: 'error',
    summary: 'the Service CIDR overlaps a routed CIDR block: a ClusterIP can shadow a real host, and VIP traffic that misses the DNAT leaks there' },
  { id: 'PP103', name: 'pod-cidr-overlaps-routed', severity: 'error',
    summary: 'the pod CIDR overlaps a routed CIDR block: nodes send traffic for those hosts to their pod bridge' },
  { id: 'PP104', name: 'dns-nameserver-routed-away', severity: 'error',
    summary: 'a resolv.conf nameserver is unanswered, or is answered only while a DNAT rule exists and is otherwise routed away' },
  { id: 'PP105', name: 'sg-admits-node-not-pod-source', severity: 'error',
    summary: 'a security group admits the node addresses but not the pod source the destination actually sees' },
  { id: 'PP106', name: 'nacl-blocks-reply-ports', severity: 'error',
    summary: 'a network ACL (stateless) drops replies to the client ephemeral ports' },
  { id: 'PP107', name: 'source-dest-check-drop', severity: 'error',
    summary: 'an ENI with source/destination check on drops traffic that is not its own (asymmetric path)' },
  { id: 'PP108', name: 'route-blackhole-or-missing', severity: 'error',
    summary: 'a route table blackholes the traffic, or has no route (or only the default route) back to the source' },
  { id: 'PP109', name: 'peering-used-transitively', severity: 'error',
    summary: 'a route sends traffic into a VPC peering for addresses outside the peer VPC: peering is not transitive' },
  { id: 'PP110', name: 'flow-blocked', severity: 'warning',
    summary: 'a flow the routes say should connect is not delivered, and no specific finding explains it: the deciding element is named' },
  { id: 'PP111', name: 'peering-unused-or-one-way', severity: 'warning',
    summary: 'an active VPC peering that no route uses, or that only one side routes into (replies have no way back)' },
  { id: 'PP112', name: 'node-sg-blocks-pod-cidr', severity: 'error',
    summary: 'a node security group does not admit the pod CIDR, so pod-to-pod (and pod-to-node) traffic across nodes is dropped' },
  { id: 'PP113', name: 'igw-route-without-public-ip', severity: 'error',
    summary: 'a subnet routes the internet to an internet gateway, but its host has no public address for the gateway to translate' },
  { id: 'PP114', name: 'tgw-attachment-missing-zone', severity: 'error',
    summary: 'a transit gateway VPC attachment has no subnet in an Availability Zone that sends to the gateway, so that zone\'s traffic is not forwarded' },
  { id: 'PP115', name: 'agent-chain-shadowed', severity: 'warning',
    summary: 'a node runs a masquerade agent, but an earlier nat POSTROUTING rule decides masquerade before the agent\'s chain' },
  { id: 'PP199', name: 'model-unknown', severity: 'note',
    summary: 'podpath met input it does not model on a path; the verdict of these flows is unknown' },
];

export const CATALOG: ReadonlyMap<FindingId, CatalogEntry> = new Map(entries.map((e) => [e.id, e]));

/** The catalog entry of an id. */
export function entry(id: FindingId): CatalogEntry {
  return CATALOG.get(id)!;
}

/** The documentation page of a finding, relative to the repository root. */
export function docPath(id: FindingId): string {
  return `docs/findings/${id}.md`;
}
