/**
 * CNI / masquerade profiles: what a node's nat POSTROUTING looks like under a
 * given networking setup, for nodes whose `iptables-save` was not collected.
 * Every profile is pure and returns iptables-save text (nat table only) that
 * the ordinary parser reads, marked derived with the profile and its source.
 */

/** The profiles podpath knows, with the settings each one reads. */
export type MasqProfile =
  /** kube-up 2015 kubelet with the docker bridge: one hard-coded rule. */
  | { kind: 'kubelet-bridge-2015'; nonMasqueradeCidr?: string; outIface?: string }
  /** kubenet: kubelet's --non-masquerade-cidr (default 10.0.0.0/8). */
  | { kind: 'kubenet'; nonMasqueradeCidr?: string }
  /**
   * kubernetes-sigs/ip-masq-agent ConfigMap, or the podpath agent's
   * (`chain` PODPATH-MASQ-AGENT, which also reads masqueradeCIDRs and podCIDRs;
   * ip-masq-agent ignores those keys). chain @default IP-MASQ-AGENT
   */
  | { kind: 'ip-masq-agent'; nonMasqueradeCIDRs?: string[]; masqLinkLocal?: boolean; chain?: string; masqueradeCIDRs?: string[]; podCIDRs?: string[] }
  /**
   * Amazon VPC CNI (aws-node DaemonSet env). randomizeSnat @default prng;
   * primaryIface (the primary ENI's device) @default eth0; nodePortSupport
   * (AWS_VPC_CNI_NODE_PORT_SUPPORT) @default true.
   */
  | {
    kind: 'aws-vpc-cni'; vpcCidrs: string[]; nodeIp: string; externalSnat?: boolean; excludeSnatCidrs?: string[];
    randomizeSnat?: 'prng' | 'hashrandom' | 'none'; primaryIface?: string; nodePortSupport?: boolean;
  }
  /** Calico IPPools (natOutgoing; ipipMode/vxlanMode do not change NAT). */
  | { kind: 'calico'; pools: { cidr: string; natOutgoing: boolean; disabled?: boolean }[] }
  /** Cilium iptables masquerading: ipMasqAgent config, or ipv4NativeRoutingCIDR. */
  | { kind: 'cilium'; podCidr: string; ipMasqAgent?: { nonMasqueradeCIDRs?: string[]; masqLinkLocal?: boolean }; ipv4NativeRoutingCIDR?: string }
  /** flannel with --ip-masq. */
  | { kind: 'flannel'; network: string; ipMasq: boolean; subnet?: string };

export type ProfileKind = MasqProfile['kind'];

/** Derived nat rules: iptables-save text and why they are what they are. */
export interface DerivedRules {
  text: string;
  /** One line naming the profile, its settings and its source document. */
  derived: string;
}
