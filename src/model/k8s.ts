/** Kubernetes cluster objects and node Linux state as plain data. */
import { z } from 'zod';
import { AwsId, CidrText, Ipv4Text } from './fields.js';
import { SourceLocSchema, TextSourceSchema } from './source.js';

/** A fact of the cluster plan that podpath inferred from indirect evidence rather than read from a configuration. */
export const InferredFactSchema = z.object({
  /** The Cluster field inferred. */
  field: z.enum(['podCidr', 'serviceCidr', 'dnsServiceIp']),
  /** Why, one line: `smallest block covering the nodes' spec.podCIDR (10.244.1.0/24, 10.244.2.0/24)`. */
  reason: z.string(),
});
export type InferredFact = z.infer<typeof InferredFactSchema>;

/** A Service's ClusterIP: evidence of the Service range even when the range itself is unknown. */
export const ClusterIpSchema = z.object({ ip: Ipv4Text, service: z.string() });

/**
 * Cluster-wide address plan. Each fact is optional: managed clusters (EKS)
 * show no kube-apiserver flags, so a snapshot may give the DNS VIP and the
 * ClusterIPs but no Service range. Facts listed in `inferred` were not read
 * from a configuration; findings built on them say so.
 */
export const ClusterSchema = z.object({
  name: z.string().default('cluster'),
  /** The cluster pod CIDR (kube-controller-manager --cluster-cidr). @default unknown */
  podCidr: CidrText.optional(),
  /** The (first) Service CIDR (kube-apiserver --service-cluster-ip-range, EKS serviceIpv4Cidr, the `kubernetes` ServiceCIDR object). @default unknown */
  serviceCidr: CidrText.optional(),
  /** Further Service CIDRs (Kubernetes 1.33+ ServiceCIDR objects beyond the first). @default none */
  additionalServiceCidrs: z.array(CidrText).default([]),
  /** The cluster DNS Service VIP. */
  dnsServiceIp: Ipv4Text.optional(),
  /**
   * Every Service ClusterIP the input holds (headless Services have none),
   * including Services not otherwise modelled (no TCP/UDP port). A ClusterIP
   * inside a routed block is an overlap whatever the configured range.
   * @default the ClusterIPs of `services` (filled by the loaders)
   */
  clusterIPs: z.array(ClusterIpSchema).default([]),
  /** Facts above that were inferred, with why. @default none: every fact was read */
  inferred: z.array(InferredFactSchema).default([]),
  source: SourceLocSchema.optional(),
});
export type Cluster = z.infer<typeof ClusterSchema>;

/** A Linux bridge on the node that pods attach to (kubenet's cbr0, docker0). */
export const BridgeSchema = z.object({
  name: z.string().default('cbr0'),
  /** The bridge's address: the pods' default gateway. */
  address: Ipv4Text,
});

/** A Kubernetes node: an EC2 instance with its Linux network state. */
export const NodeSchema = z.object({
  name: z.string().min(1),
  instance: AwsId('i'),
  /** The node's pod CIDR (node.spec.podCIDR). */
  podCidr: CidrText.optional(),
  bridge: BridgeSchema.optional(),
  /** `iptables-save` output. @default none: empty tables with ACCEPT policies, marked derived */
  iptables: TextSourceSchema.optional(),
  /**
   * Rules inserted on top of the dump, as `iptables -t TABLE -I CHAIN POSITION RULE`
   * would: what-ifs and proposed fixes, each with a label used as its location.
   * @default none
   */
  iptablesInserts: z
    .array(
      z.object({
        table: z.enum(['raw', 'mangle', 'nat', 'filter']),
        chain: z.string().min(1),
        /** 1-based position, as `-I CHAIN POSITION`. @default 1 */
        position: z.number().int().positive().default(1),
        /** The rule's matches and target, e.g. `-d 10.0.18.52/32 -o eth0 -j MASQUERADE`. */
        rule: z.string().min(1),
        /** Where the rule comes from, shown as its location (e.g. `band-aid`). */
        label: z.string().min(1),
      }),
    )
    .default([]),
  /** `ip route` output (`ip route show table all` for policy routing). @default derived from eth0's subnet, the bridge and the VPC router */
  routes: TextSourceSchema.optional(),
  /** `ip rule` output (policy routing). @default the kernel's three default rules: local, main, default */
  ipRules: TextSourceSchema.optional(),
  /**
   * `ip addr` output: the node's interfaces with MAC and addresses, which bind
   * them to the instance's ENIs (with the routes' `src`/`local` addresses).
   * @default none: interfaces are bound by the routes alone
   */
  ipAddr: TextSourceSchema.optional(),
  /** `ipset save` output, for `-m set` rules. @default none: such rules answer unknown */
  ipsets: TextSourceSchema.optional(),
  /**
   * The node's native nftables ruleset: `nft -j list ruleset` (JSON) or `nft list ruleset` (text).
   * Its ip/inet base chains run between the iptables tables by hook and priority.
   * @default none: only the iptables rules are walked
   */
  nftRuleset: TextSourceSchema.optional(),
  /** /etc/resolv.conf of the node. */
  resolvConf: TextSourceSchema.optional(),
  source: SourceLocSchema.optional(),
});
export type Node = z.infer<typeof NodeSchema>;

/** A pod. `name` is `namespace/name` (`default/` is implied when there is no slash). */
export const PodSchema = z
  .object({
    name: z.string().min(1),
    node: z.string().min(1),
    /** Pod IP; absent for host-network pods, which use the node's address. */
    ip: Ipv4Text.optional(),
    /** @default false */
    hostNetwork: z.boolean().default(false),
    /** resolv.conf inside the pod. */
    resolvConf: TextSourceSchema.optional(),
    source: SourceLocSchema.optional(),
  })
  .refine((p) => p.hostNetwork || p.ip !== undefined, { message: 'a pod needs an ip unless hostNetwork is true' });
export type Pod = z.infer<typeof PodSchema>;

/** A Service port. */
export const ServicePortSchema = z.object({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65535),
  proto: z.enum(['tcp', 'udp']).default('tcp'),
  targetPort: z.number().int().min(1).max(65535).optional(),
  /** The node port of a NodePort/LoadBalancer Service port. */
  nodePort: z.number().int().min(1).max(65535).optional(),
});

/** A Service (ClusterIP, optionally NodePort and external IPs) and its ready endpoints. */
export const ServiceSchema = z.object({
  name: z.string().min(1),
  clusterIP: Ipv4Text,
  ports: z.array(ServicePortSchema).min(1),
  /** Ready endpoint addresses. */
  endpoints: z.array(Ipv4Text).default([]),
  externalIPs: z.array(Ipv4Text).optional(),
  /** @default Cluster */
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  /** @default Cluster */
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  source: SourceLocSchema.optional(),
});
export type Service = z.infer<typeof ServiceSchema>;
