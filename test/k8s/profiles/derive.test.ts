import { describe, expect, it } from 'vitest';
import { deriveNatRules, parseIpMasqAgentConfig, awsVpcCniFromEnv, type MasqProfile } from '../../../src/k8s/profiles/index.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import type { Packet } from '../../../src/net/packet.js';

const NODE = '172.20.0.23';

/** Whether POSTROUTING (forwarded pod traffic out of eth0) rewrites the source, under `profile`. */
function masquerades(profile: MasqProfile, src: string, dst: string): boolean {
  const d = deriveNatRules(profile);
  const parsed = parseIptablesSave({ text: d.text, file: 'derived' });
  expect(parsed.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
  const p: Packet = { src: parseIpv4(src), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport: 5432 };
  const out = walkHook(parsed.value, 'POSTROUTING', p, {
    inIface: 'cbr0', outIface: 'eth0', ctState: 'NEW', isLocal: (ip) => ip === parseIpv4(NODE), ifaceAddress: (n) => (n === 'eth0' ? parseIpv4(NODE) : undefined),
  }, 0);
  expect(out).toHaveLength(1);
  return out[0]!.packet.src !== p.src;
}

describe('CNI / masquerade profiles', () => {
  it.each<[string, MasqProfile, string, string, boolean]>([
    ['kube-up 2015 leaves 10/8 destinations alone (the seed bug)', { kind: 'kubelet-bridge-2015' }, '10.244.1.5', '10.0.18.52', false],
    ['kube-up 2015 masquerades outside 10/8', { kind: 'kubelet-bridge-2015' }, '10.244.1.5', '172.31.0.9', true],
    ['kubenet uses its non-masquerade CIDR', { kind: 'kubenet', nonMasqueradeCidr: '10.244.0.0/16' }, '10.244.1.5', '10.0.18.52', true],
    ['ip-masq-agent keeps nonMasqueradeCIDRs', { kind: 'ip-masq-agent', nonMasqueradeCIDRs: ['10.244.0.0/16', '172.20.0.0/16'] }, '10.244.1.5', '10.244.2.7', false],
    ['ip-masq-agent masquerades the peer VPC when it is not listed', { kind: 'ip-masq-agent', nonMasqueradeCIDRs: ['10.244.0.0/16', '172.20.0.0/16'] }, '10.244.1.5', '10.0.18.52', true],
    ['ip-masq-agent leaves link-local alone unless masqLinkLocal', { kind: 'ip-masq-agent', nonMasqueradeCIDRs: [] }, '10.244.1.5', '169.254.169.254', false],
    ['ip-masq-agent with masqLinkLocal', { kind: 'ip-masq-agent', nonMasqueradeCIDRs: [], masqLinkLocal: true }, '10.244.1.5', '169.254.169.254', true],
    ['VPC CNI keeps the VPC CIDR', { kind: 'aws-vpc-cni', vpcCidrs: ['172.20.0.0/16'], nodeIp: NODE }, '172.20.5.5', '172.20.9.9', false],
    ['VPC CNI SNATs outside the VPC', { kind: 'aws-vpc-cni', vpcCidrs: ['172.20.0.0/16'], nodeIp: NODE }, '172.20.5.5', '10.0.18.52', true],
    ['VPC CNI honours EXCLUDE_SNAT_CIDRS', { kind: 'aws-vpc-cni', vpcCidrs: ['172.20.0.0/16'], nodeIp: NODE, excludeSnatCidrs: ['10.0.0.0/16'] }, '172.20.5.5', '10.0.18.52', false],
    ['VPC CNI with EXTERNALSNAT does not SNAT', { kind: 'aws-vpc-cni', vpcCidrs: ['172.20.0.0/16'], nodeIp: NODE, externalSnat: true }, '172.20.5.5', '8.8.8.8', false],
    ['Calico natOutgoing pool to the outside', { kind: 'calico', pools: [{ cidr: '192.168.0.0/16', natOutgoing: true }] }, '192.168.3.4', '10.0.18.52', true],
    ['Calico pool to pool', { kind: 'calico', pools: [{ cidr: '192.168.0.0/16', natOutgoing: true }] }, '192.168.3.4', '192.168.9.9', false],
    ['Calico pool without natOutgoing', { kind: 'calico', pools: [{ cidr: '192.168.0.0/16', natOutgoing: false }] }, '192.168.3.4', '10.0.18.52', false],
    ['Cilium keeps ipv4NativeRoutingCIDR', { kind: 'cilium', podCidr: '10.244.0.0/16', ipv4NativeRoutingCIDR: '10.0.0.0/8' }, '10.244.1.5', '10.0.18.52', false],
    ['Cilium masquerades beyond it', { kind: 'cilium', podCidr: '10.244.0.0/16', ipv4NativeRoutingCIDR: '10.0.0.0/8' }, '10.244.1.5', '172.31.0.9', true],
    ['Cilium ipMasqAgent', { kind: 'cilium', podCidr: '10.244.0.0/16', ipMasqAgent: { nonMasqueradeCIDRs: ['10.244.0.0/16'] } }, '10.244.1.5', '10.0.18.52', true],
    ['flannel ipMasq inside the network', { kind: 'flannel', network: '10.244.0.0/16', ipMasq: true }, '10.244.1.5', '10.244.2.7', false],
    ['flannel ipMasq outside', { kind: 'flannel', network: '10.244.0.0/16', ipMasq: true }, '10.244.1.5', '10.0.18.52', true],
    ['flannel without ipMasq', { kind: 'flannel', network: '10.244.0.0/16', ipMasq: false }, '10.244.1.5', '10.0.18.52', false],
  ])('%s', (_name, profile, src, dst, expected) => {
    expect(masquerades(profile, src, dst)).toBe(expected);
  });

  it('marks every derivation with its profile', () => {
    expect(deriveNatRules({ kind: 'kubenet' }).derived).toMatch(/^derived from profile kubenet/);
  });

  it('reads an ip-masq-agent ConfigMap (YAML) and rejects a misaligned CIDR as the agent does', () => {
    expect(parseIpMasqAgentConfig('nonMasqueradeCIDRs:\n  - 10.244.0.0/16\nmasqLinkLocal: true\n').value).toEqual({ nonMasqueradeCIDRs: ['10.244.0.0/16'], masqLinkLocal: true });
    expect(parseIpMasqAgentConfig('{"nonMasqueradeCIDRs": ["10.244.0.1/16"]}').problem).toMatch(/aligned/);
  });

  it('reads the aws-node env', () => {
    expect(awsVpcCniFromEnv([{ name: 'AWS_VPC_K8S_CNI_EXTERNALSNAT', value: 'True' }, { name: 'AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS', value: '10.0.0.0/16, 10.1.0.0/16' }]))
      .toEqual({ externalSnat: true, excludeSnatCidrs: ['10.0.0.0/16', '10.1.0.0/16'], randomizeSnat: 'prng', problems: [] });
  });
});
