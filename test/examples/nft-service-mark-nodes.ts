/**
 * How the issue 3563 example's node dumps (examples/nft-vpc-cni-service-mark)
 * are made: the EKS example's nodes (interfaces, addresses, routes, policy
 * rules: test/examples/eks-nodes.ts) with kube-proxy in nftables mode, so
 * iptables (iptables-nft) holds only kubelet's and aws-node's rules and
 * kube-proxy's Services live in `table ip kube-proxy`.
 *
 * - as found (VPC CNI before v1.23): aws-node's connmark rules in iptables nat
 *   PREROUTING (AWS-CONNMARK-CHAIN-0 and the restore), which see a Service
 *   packet before kube-proxy's nftables DNAT;
 * - fixed (aws/amazon-vpc-cni-k8s PR 3588, with the masked restore of PR 3875):
 *   those two nat rules move to `table ip aws-cni`, a nat chain at dstnat + 10,
 *   after kube-proxy's DNAT; mangle's rules stay in iptables.
 *
 * The files are the kernel's own output after loading these in a throwaway
 * namespace (generate-nft-service-mark.ts writes them; nft-service-mark.test.ts
 * rebuilds and compares). No packet is sent.
 */
import { deriveNatRules } from '../../src/k8s/profiles/index.js';
import { mergeIptablesSave } from '../../src/k8s/merge-save.js';
import { kubeProxyNftText } from '../../src/k8s/kube-proxy-nft/rules.js';
import type { KubeProxyServicePort } from '../../src/k8s/kube-proxy/index.js';
import { DNS_ENDPOINTS, DNS_VIP, KUBELET, VPC_CIDR, type EksNodeSpec } from './eks-nodes.js';

/** The shop/api Service: ClusterIP, port, and its one endpoint (the api pod on the second node). */
export const API_VIP = '172.20.112.40';
export const API_ENDPOINT = { ip: '10.0.33.20', port: 8080, node: 'ip-10-0-33-10.eu-west-1.compute.internal' };

/** The Service ports of the example's k8s/services.json with their EndpointSlices. */
export const SERVICE_PORTS: KubeProxyServicePort[] = [
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns', protocol: 'udp', clusterIP: DNS_VIP, port: 53, endpoints: DNS_ENDPOINTS.map((e) => ({ ...e, port: 53 })) },
  { namespace: 'kube-system', name: 'kube-dns', portName: 'dns-tcp', protocol: 'tcp', clusterIP: DNS_VIP, port: 53, endpoints: DNS_ENDPOINTS.map((e) => ({ ...e, port: 53 })) },
  { namespace: 'shop', name: 'api', portName: 'http', protocol: 'tcp', clusterIP: API_VIP, port: 80, endpoints: [API_ENDPOINT] },
];

/** The cluster's Service CIDR (eks describe-cluster), which the title workaround excludes. */
export const SERVICE_CIDR = '172.20.0.0/16';

/** aws-node's iptables rules (VPC CNI v1.19-v1.22 layout), as on the EKS example; `exclude`: AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS. */
const awsNode = (n: EksNodeSpec, exclude: string[] = []) => deriveNatRules({ kind: 'aws-vpc-cni', vpcCidrs: [VPC_CIDR], nodeIp: n.enis[0]!.ip, primaryIface: n.enis[0]!.dev, excludeSnatCidrs: exclude }).text;

/**
 * The workaround the title names: the Service CIDR in
 * AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS, which aws-node writes as a RETURN in both
 * AWS-CONNMARK-CHAIN-0 and AWS-SNAT-CHAIN-0.
 */
export function iptablesWorkaround(n: EksNodeSpec): string {
  return mergeIptablesSave([KUBELET, awsNode(n, [SERVICE_CIDR])]);
}

/** The iptables-restore input: kubelet's chains and aws-node's rules (kube-proxy writes none in nftables mode). */
export function iptablesFound(n: EksNodeSpec): string {
  return mergeIptablesSave([KUBELET, awsNode(n)]);
}

/** As found without the two nat PREROUTING connmark rules and their chain, which PR 3588 moves to nftables. */
export function iptablesFixed(n: EksNodeSpec): string {
  let table = '';
  const moved = (l: string) => {
    if (l.startsWith('*')) table = l.slice(1);
    return table === 'nat' && (/^-A (PREROUTING|AWS-CONNMARK-CHAIN-0) .*CONNMARK/.test(l) || l.startsWith(':AWS-CONNMARK-CHAIN-0 '));
  };
  return mergeIptablesSave([KUBELET, awsNode(n).split('\n').filter((l) => !moved(l)).join('\n')]);
}

/** kube-proxy's nftables ruleset for the example's Services (nft -f input). */
export const KUBE_PROXY_NFT = kubeProxyNftText(SERVICE_PORTS).text;

/**
 * The fixed layout's native table: outbound connections from pods to outside
 * the VPC get connmark 0x80 (snat-mark), and the packet mark takes bit 0x80
 * from the connmark without touching other bits (two rules). A nat chain at
 * dstnat + 10 runs after kube-proxy's DNAT at dstnat, and not at all for a
 * connection kube-proxy already DNATed (nf_nat runs a hook's nat chains until
 * one sets up NAT: nf_nat_core.c nf_nat_inet_fn).
 */
export const AWS_CNI_NFT = `table ip aws-cni {
	chain snat-mark {
		ip daddr ${VPC_CIDR} return
		ct mark set ct mark | 0x00000080
	}

	chain nat-prerouting {
		type nat hook prerouting priority dstnat + 10; policy accept;
		fib daddr type local return
		iifname "eni*" jump snat-mark
		iifname "eni*" ct mark & 0x00000080 == 0x00000000 meta mark set meta mark & 0xffffff7f
		iifname "eni*" ct mark & 0x00000080 == 0x00000080 meta mark set meta mark | 0x00000080
	}
}
`;
