/**
 * An EKS VPC CNI trunk node's routing (shared/corpus/ip-route/eks-vpc-cni-trunk-node.*:
 * main table, branch-ENI tables 101/102, ip rules 10/20/512/1024), rebuilt in
 * throwaway network namespaces: `node` holds the links (veth pairs with fixed
 * MAC addresses, so IPv6 link-local addresses and routes are stable; IPv6
 * forwarding on, so the kernel adds its anycast routes), `peer` the other ends.
 * test/fixtures/routes/eks-trunk-node.* are what this node's `ip route show
 * table all` and `ip rule` print; the oracle test rebuilds it and compares them,
 * and the main, 101 and 102 tables and rules with the corpus files themselves.
 */
import type { Netns } from '../iptables/netns.js';

/** The node's links, in creation order (MACs 02:00:00:00:00:0N). */
export const LINKS = ['eth0', 'vlan.eth.1', 'vlan.eth.2', 'vlan015fbd5badf', 'vlan1c357e15edb', 'eni1e3dd7d66d7', 'eni5f2d60c848c'];

const SETUP: string[][] = [
  ['addr', 'add', '172.31.0.225/20', 'dev', 'eth0'],
  ['route', 'add', 'default', 'via', '172.31.0.1', 'dev', 'eth0'],
  ['route', 'add', '169.254.169.254', 'dev', 'eth0', 'scope', 'global'], // no scope printed: the corpus route is scope global
  ['route', 'add', '172.31.3.129', 'dev', 'eni1e3dd7d66d7', 'scope', 'link'],
  ['route', 'add', '172.31.12.149', 'dev', 'eni5f2d60c848c', 'scope', 'link'],
  ['route', 'add', '172.31.0.1', 'dev', 'vlan.eth.1', 'scope', 'link', 'table', '101'],
  ['route', 'add', 'default', 'via', '172.31.0.1', 'dev', 'vlan.eth.1', 'table', '101'],
  ['route', 'add', '172.31.2.37', 'dev', 'vlan015fbd5badf', 'scope', 'link', 'table', '101'],
  ['route', 'add', '172.31.0.1', 'dev', 'vlan.eth.2', 'scope', 'link', 'table', '102'],
  ['route', 'add', 'default', 'via', '172.31.0.1', 'dev', 'vlan.eth.2', 'table', '102'],
  ['route', 'add', '172.31.9.169', 'dev', 'vlan1c357e15edb', 'scope', 'link', 'table', '102'],
  ['rule', 'add', 'pref', '10', 'iif', 'vlan.eth.2', 'lookup', '102'],
  ['rule', 'add', 'pref', '10', 'iif', 'vlan1c357e15edb', 'lookup', '102'],
  ['rule', 'add', 'pref', '10', 'iif', 'vlan.eth.1', 'lookup', '101'],
  ['rule', 'add', 'pref', '10', 'iif', 'vlan015fbd5badf', 'lookup', '101'],
  ['rule', 'add', 'pref', '20', 'lookup', 'local'],
  ['rule', 'del', 'pref', '0'],
  ['rule', 'add', 'pref', '512', 'to', '172.31.3.129', 'lookup', 'main'],
  ['rule', 'add', 'pref', '512', 'to', '172.31.12.149', 'lookup', 'main'],
  ['rule', 'add', 'pref', '1024', 'fwmark', '0x80/0x80', 'lookup', 'main'],
];

/** Builds the node in `node` (its veth peers go to `peer`). Throws on the first command that fails. */
export function buildEksNode(node: Netns, peer: Netns): void {
  const must = (cmd: string, args: string[]) => {
    const r = node.exec(cmd, args);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  must('sysctl', ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1',
    'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
  must('ip', ['link', 'set', 'lo', 'up']);
  LINKS.forEach((dev, i) => {
    must('ip', ['link', 'add', dev, 'address', `02:00:00:00:00:0${i + 1}`, 'type', 'veth', 'peer', 'name', `p${i + 1}`, 'address', `02:00:00:01:00:0${i + 1}`]);
    must('ip', ['link', 'set', `p${i + 1}`, 'netns', peer.name]);
    const up = peer.exec('ip', ['link', 'set', `p${i + 1}`, 'up']);
    if (up.status !== 0) throw new Error(`peer link up: ${up.stderr}`);
    must('ip', ['link', 'set', dev, 'up']);
  });
  for (const args of SETUP) must('ip', args);
}
