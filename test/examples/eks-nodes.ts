/**
 * How the EKS example's node dumps (examples/eks-vpc-cni/nodes/*) are made:
 * for each node, the `ip` commands that give it the interfaces, addresses,
 * routes and rules that systemd-networkd (AL2023) and the VPC CNI leave, and
 * the iptables rules kube-proxy, kubelet and aws-node write. The files are the
 * kernel's own output after running these in a throwaway namespace
 * (test/examples/generate-eks-nodes.ts writes them, test/examples/eks-vpc-cni.test.ts
 * rebuilds and compares). ENIs and the pods' host-side veths are stood in for
 * by unconnected VXLAN devices (no remote, no lower device: a device with a
 * MAC and carrier, printed without an `@peer`); their routes, rules and
 * `ip addr` lines are what a node prints. No packet is sent.
 */
import { kubeProxySaveText } from '../../src/k8s/kube-proxy/index.js';
import { deriveNatRules } from '../../src/k8s/profiles/index.js';
import { mergeIptablesSave } from '../../src/k8s/merge-save.js';

/** One ENI of a node: device name, MAC, primary address and the pods on its secondary addresses. */
interface EniSpec {
  dev: string;
  mac: string;
  ip: string;
  /** Pods on this ENI's secondary addresses: host-side veth name and address. */
  pods: { veth: string; mac: string; ip: string }[];
}

/** A node of the example: its name, subnet gateway and ENIs (the first is the primary, device index 0). */
export interface EksNodeSpec {
  name: string;
  gateway: string;
  prefixLen: number;
  enis: EniSpec[];
}

export const EKS_NODES: EksNodeSpec[] = [
  {
    name: 'ip-10-0-1-10.eu-west-1.compute.internal',
    gateway: '10.0.0.1',
    prefixLen: 19,
    enis: [
      { dev: 'ens5', mac: '02:4f:1c:8a:33:01', ip: '10.0.1.10', pods: [{ veth: 'eni6f3a1d9c2b7', mac: 'a6:1e:31:5c:90:01', ip: '10.0.1.20' }, { veth: 'eni0c5e8b2a4d1', mac: 'a6:1e:32:5c:90:02', ip: '10.0.1.21' }] },
      { dev: 'ens6', mac: '02:4f:1c:8a:33:02', ip: '10.0.1.77', pods: [{ veth: 'eni9b2d4f6a8c0', mac: 'a6:1e:33:5c:90:03', ip: '10.0.1.80' }] },
    ],
  },
  {
    name: 'ip-10-0-33-10.eu-west-1.compute.internal',
    gateway: '10.0.32.1',
    prefixLen: 19,
    enis: [
      { dev: 'ens5', mac: '02:8d:e2:41:07:01', ip: '10.0.33.10', pods: [{ veth: 'eni3e7a9c1b5d2', mac: 'a6:1e:34:5c:90:04', ip: '10.0.33.20' }] },
      { dev: 'ens6', mac: '02:8d:e2:41:07:02', ip: '10.0.33.77', pods: [{ veth: 'eni7d1f3b5e9a4', mac: 'a6:1e:35:5c:90:05', ip: '10.0.33.80' }] },
    ],
  },
];

/** The VPC's CIDR, the Service ClusterIP of kube-dns and its endpoints (CoreDNS on each node). */
export const VPC_CIDR = '10.0.0.0/16';
export const DNS_VIP = '172.20.0.10';
export const DNS_ENDPOINTS = [
  { ip: '10.0.1.21', node: 'ip-10-0-1-10.eu-west-1.compute.internal' },
  { ip: '10.0.33.80', node: 'ip-10-0-33-10.eu-west-1.compute.internal' },
];

/**
 * Run (with `sysctl`) before the `ip` commands: no duplicate address detection,
 * so link-local IPv6 addresses are final at once (a node's are long past DAD;
 * `tentative` would make the dump depend on timing).
 */
export const SYSCTLS = [['-w', 'net.ipv6.conf.default.accept_dad=0'], ['-w', 'net.ipv6.conf.all.accept_dad=0']];

/** An unconnected VXLAN device (VNI `n`): the stand-in for an ENI or a pod's veth. */
const STAND_IN = (n: number) => ['type', 'vxlan', 'id', String(100 + n), 'dstport', '4789'];

/**
 * `ip` argument lists that make the node's interfaces, addresses, routes and rules.
 * systemd-networkd configures the primary ENI by DHCP (routes `proto dhcp`,
 * metric 512 on AL2023); the VPC CNI gives each secondary ENI its address,
 * removes the connected route from main and adds table deviceIndex+1 with the
 * gateway and a default route; per pod a host route to its veth, `to POD lookup
 * main` at 512, and for pods on a secondary ENI `from POD lookup <table>` at
 * 1536; rule 1024 sends connmarked (0x80) traffic by main (amazon-vpc-cni-k8s
 * docs/cni-proposal.md, "Pod to external communications"; pkg/networkutils).
 */
export function buildCommands(n: EksNodeSpec): string[][] {
  const cmds: string[][] = [['link', 'set', 'lo', 'up']];
  n.enis.forEach((e, i) => {
    cmds.push(['link', 'add', e.dev, 'address', e.mac, ...STAND_IN(i)]);
    cmds.push(['link', 'set', e.dev, 'mtu', '9001', 'arp', 'on', 'multicast', 'on', 'up']);
    cmds.push(['link', 'property', 'add', 'dev', e.dev, 'altname', `enp0s${5 + i}`]);
  });
  const [primary, ...secondaries] = n.enis;
  const all = n.enis.flatMap((e) => e.pods);
  for (const p of all) {
    cmds.push(['link', 'add', p.veth, 'address', p.mac, ...STAND_IN(10 + all.indexOf(p))], ['link', 'set', p.veth, 'mtu', '9001', 'arp', 'on', 'multicast', 'on', 'up']);
  }
  const src = primary!.ip;
  cmds.push(['addr', 'add', `${src}/${n.prefixLen}`, 'dev', primary!.dev, 'metric', '512']);
  cmds.push(['route', 'add', 'default', 'via', n.gateway, 'dev', primary!.dev, 'proto', 'dhcp', 'src', src, 'metric', '512']);
  cmds.push(['route', 'add', n.gateway, 'dev', primary!.dev, 'proto', 'dhcp', 'scope', 'link', 'src', src, 'metric', '512']);
  secondaries.forEach((e, i) => {
    const table = String(i + 2);
    cmds.push(['addr', 'add', `${e.ip}/${n.prefixLen}`, 'dev', e.dev]);
    cmds.push(['route', 'del', `${network(e.ip, n.prefixLen)}/${n.prefixLen}`, 'dev', e.dev]);
    cmds.push(['route', 'add', n.gateway, 'dev', e.dev, 'scope', 'link', 'table', table]);
    cmds.push(['route', 'add', 'default', 'via', n.gateway, 'dev', e.dev, 'table', table]);
  });
  for (const p of all) cmds.push(['route', 'add', p.ip, 'dev', p.veth, 'scope', 'link']);
  for (const p of all) cmds.push(['rule', 'add', 'to', p.ip, 'lookup', 'main', 'prio', '512']);
  cmds.push(['rule', 'add', 'fwmark', '0x80/0x80', 'lookup', 'main', 'prio', '1024']);
  secondaries.forEach((e, i) => {
    for (const p of e.pods) cmds.push(['rule', 'add', 'from', p.ip, 'lookup', String(i + 2), 'prio', '1536']);
  });
  return cmds;
}

function network(ip: string, len: number): string {
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const masked = len === 0 ? 0 : (n - (n % 2 ** (32 - len)));
  return [24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.');
}

/** kubelet's own chains (KUBE-FIREWALL guarding 127/8, the canaries, the iptables hint), as kubelet 1.30 writes them. */
export const KUBELET = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
-A INPUT -j KUBE-FIREWALL
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
`;

/** The iptables-restore input that gives the node its rules: kube-proxy first (it prepends its jumps), kubelet's, then aws-node's. */
export function iptablesInput(n: EksNodeSpec): string {
  const kubeProxy = kubeProxySaveText([
    { namespace: 'kube-system', name: 'kube-dns', portName: 'dns', protocol: 'udp', clusterIP: DNS_VIP, port: 53, endpoints: DNS_ENDPOINTS.map((e) => ({ ...e, port: 53 })) },
    { namespace: 'kube-system', name: 'kube-dns', portName: 'dns-tcp', protocol: 'tcp', clusterIP: DNS_VIP, port: 53, endpoints: DNS_ENDPOINTS.map((e) => ({ ...e, port: 53 })) },
  ], { nodeName: n.name });
  const awsNode = deriveNatRules({ kind: 'aws-vpc-cni', vpcCidrs: [VPC_CIDR], nodeIp: n.enis[0]!.ip, primaryIface: n.enis[0]!.dev, excludeSnatCidrs: [] }).text;
  return mergeIptablesSave([kubeProxy, KUBELET, awsNode]);
}

/** The node's resolv.conf (AL2023: the VPC resolver through systemd-resolved's uplink file). */
export const NODE_RESOLV_CONF = `# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).
# Do not edit.
nameserver 10.0.0.2
search eu-west-1.compute.internal
`;
