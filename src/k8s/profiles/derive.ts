/**
 * Derives a node's nat POSTROUTING rules from a CNI / masquerade profile.
 * Each function cites the project documentation (or source) its rules follow;
 * the rules are the documented semantics written as iptables-save lines, in the
 * projects' own chain names where they use iptables.
 *
 * Guarantees: pure; the output always parses with parseIptablesSave (a `*nat`
 * table, for the VPC CNI also `*mangle`, built-in chains with ACCEPT policies,
 * COMMIT); every rule carries a comment naming the profile.
 */
import type { DerivedRules, MasqProfile } from './types.js';
import { defaultConfig, desiredChain, desiredJumps, DEFAULT_CHAIN, DEFAULT_FLAGS } from '../masq-agent/index.js';

const LINK_LOCAL = '169.254.0.0/16';

function natTable(chains: string[], rules: string[]): string {
  const head = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`)];
  return [...head, ...rules, 'COMMIT', ''].join('\n');
}

function mangleTable(rules: string[]): string {
  const head = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  return [...head, ...rules, 'COMMIT', ''].join('\n');
}

const c = (text: string) => `-m comment --comment "${text}"`;

/**
 * kube-up 2015 (kubelet + docker bridge): `! -d 10.0.0.0/8 -o eth0 -j MASQUERADE`.
 * Source: the seed post ("Kubernetes and AWS VPC Peering", 2015) quotes this rule;
 * the 10.0.0.0/8 was kubelet's hard-coded non-masquerade range of the day.
 */
function kubeletBridge(p: Extract<MasqProfile, { kind: 'kubelet-bridge-2015' }>): DerivedRules {
  const cidr = p.nonMasqueradeCidr ?? '10.0.0.0/8';
  const out = p.outIface ?? 'eth0';
  return { text: natTable([], [`-A POSTROUTING ! -d ${cidr} -o ${out} -j MASQUERADE`]), derived: `derived from profile kubelet-bridge-2015 (! -d ${cidr} -o ${out} MASQUERADE, as kube-up's kubelet wrote it in 2015)` };
}

/**
 * kubenet: masquerade everything not local and not inside --non-masquerade-cidr.
 * Source: Kubernetes docs, "Network Plugins" (kubenet) and kubelet's
 * `--non-masquerade-cidr` flag (default 10.0.0.0/8, deprecated with kubenet).
 */
function kubenet(p: Extract<MasqProfile, { kind: 'kubenet' }>): DerivedRules {
  const cidr = p.nonMasqueradeCidr ?? '10.0.0.0/8';
  const rule = `-A POSTROUTING ${c('kubenet: SNAT for outbound traffic from cluster')} -m addrtype ! --dst-type LOCAL ! -d ${cidr} -j MASQUERADE`;
  return { text: natTable([], [rule]), derived: `derived from profile kubenet (non-masquerade CIDR ${cidr})` };
}

/**
 * ip-masq-agent: POSTROUTING sends non-LOCAL destinations to IP-MASQ-AGENT,
 * which RETURNs for each nonMasqueradeCIDR (and 169.254.0.0/16 unless
 * masqLinkLocal) and MASQUERADEs the rest (last rule).
 * Source: kubernetes-sigs/ip-masq-agent README (config keys nonMasqueradeCIDRs,
 * masqLinkLocal; defaults 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16).
 */
function ipMasqAgent(p: Extract<MasqProfile, { kind: 'ip-masq-agent' }>, chain = 'IP-MASQ-AGENT', label = 'ip-masq-agent'): DerivedRules {
  const cidrs = p.nonMasqueradeCIDRs ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
  const rules = [`-A POSTROUTING ${c(`${label}: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom ${chain} chain`)} -m addrtype ! --dst-type LOCAL -j ${chain}`];
  if (!p.masqLinkLocal) rules.push(`-A ${chain} -d ${LINK_LOCAL} ${c(`${label}: local traffic is not subject to MASQUERADE`)} -j RETURN`);
  for (const cidr of cidrs) rules.push(`-A ${chain} -d ${cidr} ${c(`${label}: local traffic is not subject to MASQUERADE`)} -j RETURN`);
  rules.push(`-A ${chain} ${c(`${label}: outbound traffic is subject to MASQUERADE (must be last in chain)`)} -j MASQUERADE`);
  return { text: natTable([chain], rules), derived: `derived from profile ${label} (nonMasqueradeCIDRs ${cidrs.join(', ')}; masqLinkLocal ${p.masqLinkLocal ?? false})` };
}

/**
 * The podpath agent (src/agent, docs/agent.md): the rules it keeps, built by
 * the agent's own code (src/k8s/masq-agent) from its ConfigMap, with its
 * default flags (chain PODPATH-MASQ-AGENT, --random-fully).
 */
function podpathAgent(p: Extract<MasqProfile, { kind: 'ip-masq-agent' }>): DerivedRules {
  const d = defaultConfig();
  const config = {
    ...d,
    nonMasqueradeCIDRs: p.nonMasqueradeCIDRs ?? d.nonMasqueradeCIDRs,
    masqLinkLocal: p.masqLinkLocal ?? false,
    masqueradeCIDRs: p.masqueradeCIDRs ?? [],
    podCIDRs: p.podCIDRs ?? [],
  };
  const spec = { config, flags: DEFAULT_FLAGS };
  const rules = [...desiredJumps(spec), ...desiredChain(spec)];
  const settings = `nonMasqueradeCIDRs ${config.nonMasqueradeCIDRs.join(', ') || 'none'}; masqueradeCIDRs ${config.masqueradeCIDRs.join(', ') || 'none'}; podCIDRs ${config.podCIDRs.join(', ') || 'any'}; masqLinkLocal ${config.masqLinkLocal}`;
  return { text: natTable([DEFAULT_CHAIN], rules), derived: `derived from profile podpath-agent (${settings}; the agent's rules as it writes them, jump appended to POSTROUTING)` };
}

/**
 * Amazon VPC CNI, as aws-node writes a node's nat table
 * (amazon-vpc-cni-k8s pkg/networkutils/network.go, buildIptablesSNATRules and
 * updateIptablesRules): POSTROUTING jumps to AWS-SNAT-CHAIN-0, which RETURNs
 * for each VPC CIDR ("AWS SNAT CHAIN") and each AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS
 * entry ("AWS SNAT CHAIN EXCLUSION"; 0.0.0.0/0 is written without `-d`, as the
 * kernel prints it), then SNATs what is left and not leaving on a branch ENI
 * (`! -o vlan+`) to the node's primary IP, with `--random-fully` (prng, the
 * default), `--random` (hashrandom) or neither (none). aws-node inserts each
 * RETURN at the top of the chain, so on a fresh node they stand in reverse
 * order (the order does not change what they decide). With
 * AWS_VPC_K8S_CNI_EXTERNALSNAT=true none of these rules exist.
 */
function awsVpcCni(p: Extract<MasqProfile, { kind: 'aws-vpc-cni' }>): DerivedRules {
  const excluded = p.excludeSnatCidrs ?? [];
  const random = p.randomizeSnat ?? 'prng';
  const nodePort = p.nodePortSupport ?? true;
  const settings = `EXTERNALSNAT=${p.externalSnat ?? false}; EXCLUDE_SNAT_CIDRS=${excluded.join(',') || 'none'}; RANDOMIZESNAT=${random}; NODE_PORT_SUPPORT=${nodePort}; VPC ${p.vpcCidrs.join(', ')}`;
  const mangle = mangleTable(awsConnmarkMangle(p.primaryIface ?? 'eth0', nodePort, !p.externalSnat));
  if (p.externalSnat) return { text: natTable([], []) + mangle, derived: `derived from profile aws-vpc-cni (${settings}): no SNAT or connmark chain on the node` };
  const chain = 'AWS-SNAT-CHAIN-0';
  const returns = (ch: string, comment: (excl: boolean) => string) => [
    ...p.vpcCidrs.map((cidr) => `-A ${ch} -d ${cidr} ${c(comment(false))} -j RETURN`),
    ...excluded.map((cidr) => `-A ${ch}${cidr === '0.0.0.0/0' ? '' : ` -d ${cidr}`} ${c(comment(true))} -j RETURN`),
  ].reverse();
  const flag = random === 'prng' ? ' --random-fully' : random === 'hashrandom' ? ' --random' : '';
  const connmark = awsConnmarkNat(returns);
  // In iptables-save order: built-in chains first, then the user chains.
  const rules = [
    ...connmark.filter((r) => r.startsWith('-A PREROUTING')),
    `-A POSTROUTING ${c('AWS SNAT CHAIN')} -j ${chain}`,
    ...connmark.filter((r) => !r.startsWith('-A PREROUTING')),
    ...returns(chain, (excl) => (excl ? 'AWS SNAT CHAIN EXCLUSION' : 'AWS SNAT CHAIN')),
    `-A ${chain} ! -o vlan+ ${c('AWS, SNAT')} -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${p.nodeIp}${flag}`,
  ];
  return {
    text: natTable([CONNMARK_CHAIN, chain], rules) + mangle,
    derived: `derived from profile aws-vpc-cni (${settings}; connmark rules as aws-node writes them with iptables-legacy: with iptables-nft it keeps them in nftables table ip aws-cni after DNAT, assumed equivalent)`,
  };
}

const CONNMARK_CHAIN = 'AWS-CONNMARK-CHAIN-0';

/**
 * nat PREROUTING: new connections from pods (`-i eni+`) to destinations outside
 * the VPC and the SNAT exclusions get ctmark 0x80, copied to the packet mark,
 * so ip rule 1024 (`fwmark 0x80/0x80 lookup main`) routes them out of the
 * primary ENI where they are SNATed. amazon-vpc-cni-k8s
 * pkg/networkutils/iptables_connmark.go (buildRules; RETURNs inserted at the
 * top, 0.0.0.0/0 without `-d`).
 */
function awsConnmarkNat(returns: (ch: string, comment: (excl: boolean) => string) => string[]): string[] {
  return [
    `-A PREROUTING -i eni+ ${c('AWS, outbound connections')} -j ${CONNMARK_CHAIN}`,
    `-A PREROUTING ${c('AWS, CONNMARK')} -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80`,
    ...returns(CONNMARK_CHAIN, () => 'AWS CONNMARK CHAIN'),
    `-A ${CONNMARK_CHAIN} ${c('AWS, CONNMARK')} -j CONNMARK --set-xmark 0x80/0x80`,
  ];
}

/**
 * mangle PREROUTING: connections arriving on the primary ENI for one of its
 * own addresses (NodePorts) get ctmark 0x80; pods' packets (`-i eni+`, and
 * branch ENIs `-i vlan+`) get the ctmark restored as their mark, so replies
 * leave by the primary ENI. amazon-vpc-cni-k8s pkg/networkutils/network.go
 * (buildIptablesSNATRules: "connmark for primary ENI", "connmark restore ...").
 */
function awsConnmarkMangle(primary: string, nodePort: boolean, snatOnNode: boolean): string[] {
  const primaryEni = c('AWS, primary ENI');
  return [
    ...(nodePort ? [`-A PREROUTING -i ${primary} ${primaryEni} -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80`] : []),
    ...(nodePort || snatOnNode ? [`-A PREROUTING -i eni+ ${primaryEni} -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80`] : []),
    ...(nodePort ? [`-A PREROUTING -i vlan+ ${primaryEni} -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80`] : []),
  ];
}

/**
 * Calico: traffic from a pool with natOutgoing to a destination outside every
 * pool is masqueraded. Calico matches with the ipsets cali40masq-ipam-pools /
 * cali40all-ipam-pools; podpath writes their members out as rules.
 * Source: Calico docs, "IP pool" resource (natOutgoing, ipipMode, vxlanMode)
 * and "Configure outgoing NAT".
 */
function calico(p: Extract<MasqProfile, { kind: 'calico' }>): DerivedRules {
  const pools = p.pools.filter((x) => !x.disabled);
  const rules = [`-A POSTROUTING ${c('cali:calico POSTROUTING')} -j cali-nat-outgoing`];
  for (const pool of pools) rules.push(`-A cali-nat-outgoing -d ${pool.cidr} ${c('cali: destination in an IP pool (cali40all-ipam-pools)')} -j RETURN`);
  for (const pool of pools.filter((x) => x.natOutgoing)) rules.push(`-A cali-nat-outgoing -s ${pool.cidr} ${c('cali: natOutgoing pool (cali40masq-ipam-pools)')} -j MASQUERADE`);
  return { text: natTable(['cali-nat-outgoing'], rules), derived: `derived from profile calico (pools ${pools.map((x) => `${x.cidr}${x.natOutgoing ? ' natOutgoing' : ''}`).join(', ') || 'none'})` };
}

/**
 * Cilium (iptables or BPF masquerading, same decision): with ipMasqAgent the
 * ip-masq-agent semantics apply; otherwise pod traffic leaving the node to a
 * destination outside ipv4NativeRoutingCIDR is masqueraded.
 * Source: Cilium docs, "Masquerading" (ipMasqAgent.enabled, nonMasqueradeCIDRs,
 * masqLinkLocal, ipv4NativeRoutingCIDR).
 */
function cilium(p: Extract<MasqProfile, { kind: 'cilium' }>): DerivedRules {
  if (p.ipMasqAgent) {
    const r = ipMasqAgent({ kind: 'ip-masq-agent', ...p.ipMasqAgent }, 'CILIUM-IP-MASQ', 'cilium ip-masq-agent');
    return { text: r.text, derived: `${r.derived}; Cilium applies it in BPF, written here as equivalent rules` };
  }
  const rules = [`-A POSTROUTING ${c('cilium-feeder: CILIUM_POST_nat')} -j CILIUM_POST_nat`];
  if (p.ipv4NativeRoutingCIDR) rules.push(`-A CILIUM_POST_nat -d ${p.ipv4NativeRoutingCIDR} ${c('cilium: native routing CIDR is not masqueraded')} -j RETURN`);
  rules.push(`-A CILIUM_POST_nat -s ${p.podCidr} ! -o cilium_host -m addrtype ! --dst-type LOCAL ${c('cilium masquerade non-cluster')} -j MASQUERADE`);
  return { text: natTable(['CILIUM_POST_nat'], rules), derived: `derived from profile cilium (pod CIDR ${p.podCidr}; ipv4NativeRoutingCIDR ${p.ipv4NativeRoutingCIDR ?? 'unset'})` };
}

/**
 * flannel --ip-masq: no NAT inside the flannel network, masquerade from it to
 * anywhere else but multicast.
 * Source: flannel docs, "Configuration" (--ip-masq) and the FLANNEL-POSTRTG
 * chain as flannel writes it (see corpus flannel dumps).
 */
function flannel(p: Extract<MasqProfile, { kind: 'flannel' }>): DerivedRules {
  if (!p.ipMasq) return { text: natTable([], []), derived: 'derived from profile flannel (ipMasq false): no masquerade rules' };
  const n = p.network;
  const rules = [
    `-A POSTROUTING ${c('flanneld masq')} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -s ${n} -d ${n} ${c('flanneld masq')} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${n} ! -d 224.0.0.0/4 ${c('flanneld masq')} -j MASQUERADE`,
    ...(p.subnet ? [`-A FLANNEL-POSTRTG ! -s ${n} -d ${p.subnet} ${c('flanneld masq')} -j RETURN`] : []),
    `-A FLANNEL-POSTRTG ! -s ${n} -d ${n} ${c('flanneld masq')} -j MASQUERADE`,
  ];
  return { text: natTable(['FLANNEL-POSTRTG'], rules), derived: `derived from profile flannel (network ${n}, ipMasq true)` };
}

/** The nat rules a node has under `profile`. */
export function deriveNatRules(profile: MasqProfile): DerivedRules {
  switch (profile.kind) {
    case 'kubelet-bridge-2015':
      return kubeletBridge(profile);
    case 'kubenet':
      return kubenet(profile);
    case 'ip-masq-agent':
      return profile.chain === DEFAULT_CHAIN ? podpathAgent(profile) : ipMasqAgent(profile);
    case 'aws-vpc-cni':
      return awsVpcCni(profile);
    case 'calico':
      return calico(profile);
    case 'cilium':
      return cilium(profile);
    case 'flannel':
      return flannel(profile);
  }
}
