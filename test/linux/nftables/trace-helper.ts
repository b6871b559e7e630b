/** kube-proxy's test node (proxier_test.go testNodeIPs) as podpath walks it: node-local sources start locally, others arrive on eth0. */
import { walkNodePath, type NodePath } from '../../../src/linux/iptables/node-path.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';
import type { NftRuleset } from '../../../src/linux/nftables/types.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';

const NODE_IPS = [['eth0', '192.168.0.2'], ['eth1', '192.168.1.2'], ['eth2', '192.168.99.11']] as const;
const addresses = NODE_IPS.map(([iface, ip]) => ({ iface, addr: parseIpv4(ip), len: 24 }));
const noIptables: Ruleset = { tables: new Map(), file: '(no iptables)' };

export function tracePaths(nft: NftRuleset, src: string, dst: string, dport: number): NodePath[] {
  const local = NODE_IPS.some(([, ip]) => ip === src);
  return walkNodePath(noIptables, {
    packet: { src: parseIpv4(src), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport },
    start: local ? { kind: 'local' } : { kind: 'arrives', inIface: 'eth0' },
    outIface: 'eth0', addresses, nft,
  });
}
