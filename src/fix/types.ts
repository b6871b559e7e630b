/**
 * What fix needs to know about a finding. The doctor layer sits above fix
 * (DESIGN.md layers), so fix states the shape it reads and doctor's Finding
 * satisfies it structurally.
 */
import type { Trace } from '../trace/types.js';

/** Facts a fix generator reads; each finding fills what applies. */
export interface FindingFacts {
  podCidr?: string;
  serviceCidr?: string;
  /** The routed blocks involved (peer VPC blocks, route destinations). */
  routedBlocks?: string[];
  /** VPC blocks of the nodes' VPC. */
  nodeVpcBlocks?: string[];
  /** Concrete destination host addresses (RDS, instances). */
  hosts?: string[];
  nodes?: string[];
  peering?: string;
  securityGroup?: string;
  /** The SG rule admitting the node source: protocol and ports to copy for the pod source. */
  sgRule?: { proto: string; ports?: string | number };
  networkAcl?: string;
  naclDirection?: 'ingress' | 'egress';
  naclCidr?: string;
  naclProto?: string;
  routeTable?: string;
  routeDestination?: string;
  instance?: string;
  nameserver?: string;
  /** Where a missing route back should point (a pcx id). */
  routeTarget?: string;
  /** The source block that needs the route back. */
  sourceCidr?: string;
  /** A transit gateway attachment missing a subnet in a zone, and the subnet of that zone to add. */
  tgwAttachment?: string;
  tgwSubnet?: string;
}

/** A finding as fix reads it. */
export interface FixableFinding {
  id: string;
  key: string;
  title: string;
  facts: FindingFacts;
}

/** One traced class pair as fix compares it. */
export interface CheckedPair {
  key: string;
  src: string;
  dst: string;
  verdict: Trace['verdict'];
  traces: Trace[];
}

/**
 * A Kubernetes network-model invariant checked on an estate: pods reach pods
 * and nodes without NAT, so the destination sees the pod's own address.
 */
export interface Invariant {
  /** `pods:n1 -> pods:n2`. */
  key: string;
  /**
   * pod-to-pod must hold after any fix (the Kubernetes network model);
   * pod-to-node must not be broken by the fix (some estates already
   * masquerade it, e.g. kube-up's `! -d 10.0.0.0/8` rule for a 172.x VPC).
   */
  kind: 'pod-to-pod' | 'pod-to-node';
  holds: boolean;
  /** One line: what was seen. */
  why: string;
}

/** What re-verification needs from a check of an estate (doctor's result satisfies it). */
export interface CheckResult {
  findings: FixableFinding[];
  pairs: CheckedPair[];
  /** Network-model invariants; a proof requires every one to hold. @default none checked */
  invariants?: Invariant[];
}

/** Re-runs every check on an estate copy. */
export type Checker = (e: import('../model/estate.js').Estate) => CheckResult;

/**
 * Whether every pair of `pairs` (`src -> dst` class keys) is delivered on an
 * estate copy, as the Checker would find it, without the rest of the check
 * (a doctor session's `delivers`).
 */
export type Delivers = (e: import('../model/estate.js').Estate, pairs: readonly string[]) => boolean;
