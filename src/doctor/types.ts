/**
 * Doctor records: source and destination classes, the traced class pairs and
 * the findings. Evidence traces are the trace engine's Trace objects,
 * unchanged (docs/trace-json.md).
 */
import type { Proto } from '../net/packet.js';
import type { Trace, Verdict } from '../trace/types.js';
import type { FindingId, Severity } from './catalog.js';
import type { FindingFacts, Invariant } from '../fix/types.js';

export type { FindingFacts } from '../fix/types.js';

/** A group of senders treated identically; one representative is traced. */
export interface SourceClass {
  /** Stable key made of names, not addresses: `pods:node-1`, `hosts:node-1`, `instance:i-1`, `rds:db`. */
  key: string;
  kind: 'pods' | 'hosts' | 'instances' | 'rds' | 'subnet';
  /** What a person reads: `pods on node-1 (+1 node)`. */
  label: string;
  /** The endpoint traced, as `traceFlow` reads it (`pod:NS/NAME`, `node:NAME`...). */
  rep: string;
  /** Every member: node, pod, instance or RDS names. */
  members: string[];
  /** The VPC the class sends from. */
  vpc: string;
  /** Node names, for classes that live on nodes. */
  nodes: string[];
  /** The address the representative sends from. */
  ip: string;
}

/** A group of destination addresses treated identically. */
export interface DestClass {
  /** Stable key: `rds:prod-db`, `subnet:subnet-1`, `dns:10.0.0.10`, `pods:node-2`, `internet`, `routed:10.50.0.0`. */
  key: string;
  kind: 'rds' | 'subnet' | 'dns' | 'pods' | 'service' | 'internet' | 'routed';
  label: string;
  /** The address traced. */
  ip: string;
  /** The endpoint as traceFlow reads it, with its port. */
  rep: string;
  proto: Proto;
  port: number;
  /** CIDR blocks (or single addresses) the class covers, for reports. */
  covers: string[];
  /** For a pods class: the nodes whose pods it stands for (pods on one of them are picked to reach another node). */
  nodes?: string[];
  /** True when the representative is a synthetic host podpath placed (an allow-all probe in a subnet). */
  synthetic: boolean;
}

/** One traced class pair. */
export interface PairResult {
  key: string;
  src: string;
  dst: string;
  /** `delivered` only when every branch was delivered; otherwise the first failing branch's verdict. */
  verdict: Verdict;
  traces: Trace[];
}

/** A reference to a class pair with its labels. */
export interface PairRef {
  src: string;
  dst: string;
  srcLabel: string;
  dstLabel: string;
  verdict: Verdict;
}

/** Where a finding points: an input file line or an AWS resource id. */
export type FindingLocation = { file: string; line: number } | { awsId: string };

/** One finding: what, where, with the traces that prove it. */
export interface Finding {
  id: FindingId;
  name: string;
  severity: Severity;
  /** Stable identity across runs and model copies: `PP101|rds:prod-db`. */
  key: string;
  /** One line, specific to this estate. */
  title: string;
  /** A few sentences: why it breaks, with addresses and rule references. */
  message: string;
  /** Where to look: an estate file line or an AWS resource id. */
  location: FindingLocation;
  pairs: PairRef[];
  evidence: Trace[];
  facts: FindingFacts;
  /** docs/findings/<id>.md */
  doc: string;
}

/** Everything doctor computed. */
export interface DoctorResult {
  estate: string;
  sources: SourceClass[];
  destinations: DestClass[];
  pairs: PairResult[];
  findings: Finding[];
  /** The Kubernetes network-model invariants (pods reach pods and nodes without NAT), as fix requires them. */
  invariants: Invariant[];
  /** What doctor inferred to have something to check (subnets of VPCs described without any), labelled as such. */
  assumptions: string[];
  stats: { atoms: number; destinationClasses: number; sourceClasses: number; tracedPairs: number; traces: number };
}
