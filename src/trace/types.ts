/**
 * Trace records: hops, verdicts and the trace itself. The JSON form of a
 * Trace is podpath's stable output (schemaVersion 1, docs/trace-json.md).
 */
import type { PacketView, Proto } from '../net/packet.js';
import type { RuleRef } from '../model/source.js';

/** Verdicts that mean the flow works. */
export type SuccessVerdict = 'delivered';
/** Verdicts that mean it does not, or that podpath cannot tell (docs/verdicts.md). */
export type FailureVerdict = 'dropped' | 'no-route' | 'reply-lost' | 'rejected' | 'timeout' | 'unknown';
export type Verdict = SuccessVerdict | FailureVerdict;

/** What one hop did with the packet. */
export type Decision = 'forward' | 'accept' | 'nat' | 'deliver' | 'drop' | 'reject' | 'no-route' | 'unknown';

interface HopBase {
  /** Where: node name, pod name, resource id. */
  at: string;
  packetIn: PacketView;
  /** The packet as it leaves this hop (after NAT); absent when the hop ended the trip. */
  packetOut?: PacketView;
  decision: Decision;
  /** The rule that decided; required on drop, reject, NAT and route decisions. */
  rule?: RuleRef;
  /** One-line explanations a network engineer reads first. */
  notes: string[];
}

/** A table's part in a netfilter hook. */
export interface NetfilterTableStep {
  table: string;
  chain: string;
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'unknown';
  rule?: RuleRef;
  nat?: string;
}

/** A rule that nearly decided (all matches but one held). */
export interface NearMissRecord {
  rule: RuleRef;
  failed: string;
}

export type Hop =
  | (HopBase & { kind: 'pod'; direction: 'send' | 'receive' })
  | (HopBase & { kind: 'host'; direction: 'send' | 'receive' })
  | (HopBase & { kind: 'node-netfilter'; hook: string; tables: NetfilterTableStep[]; nearMisses: NearMissRecord[]; probability?: number })
  | (HopBase & { kind: 'node-route'; outIface?: string })
  | (HopBase & { kind: 'eni'; check: 'source-dest'; direction: 'egress' | 'ingress' })
  | (HopBase & { kind: 'security-group'; direction: 'egress' | 'ingress'; groups: string[] })
  | (HopBase & { kind: 'nacl'; direction: 'egress' | 'ingress'; acl: string })
  | (HopBase & { kind: 'route-table'; table: string })
  | (HopBase & { kind: 'peering'; peering: string })
  | (HopBase & { kind: 'igw'; gateway: string })
  | (HopBase & { kind: 'nat-gateway'; gateway: string })
  | (HopBase & { kind: 'tgw'; gateway: string; routeTable?: string })
  /** A virtual private gateway: where traffic from a VPN enters a VPC, or leaves it. */
  | (HopBase & { kind: 'vgw'; gateway: string })
  | (HopBase & { kind: 'target'; endpoint: string });

export type HopKind = Hop['kind'];

/** The flow asked about. */
export interface FlowView {
  src: string;
  dst: string;
  srcIp: string;
  dstIp: string;
  proto: Proto;
  sport?: number;
  dport?: number;
}

/** A rule that contributed to the outcome, with why. */
export interface Contributing {
  rule: RuleRef;
  why: string;
}

interface TraceBase {
  schemaVersion: 1;
  flow: FlowView;
  forward: Hop[];
  /** One sentence: what happened and why. */
  reason: string;
  /** The rule that decided the overall outcome. */
  decidingRule?: RuleRef;
  /** Other rules that made the outcome what it is (e.g. a masquerade rule that did not fire). */
  contributing: Contributing[];
  /** What the client application experiences. */
  clientSees: 'connected' | 'timeout' | 'refused' | 'unknown';
  /** When a -m statistic rule forked the walk: this trace follows one branch with this probability. */
  probability?: number;
}

/** A trace. The reply exists only when the forward trip was delivered. */
export type Trace =
  | (TraceBase & { verdict: 'delivered' | 'reply-lost'; reply: Hop[] })
  | (TraceBase & { verdict: 'unknown'; reply?: Hop[] })
  | (TraceBase & { verdict: Exclude<Verdict, 'delivered' | 'reply-lost' | 'unknown'>; reply?: undefined });

/** Exhaustiveness guard for switches over unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
