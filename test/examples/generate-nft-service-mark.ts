/**
 * Writes the issue 3563 example's node dumps from the kernel: each node of
 * test/examples/eks-nodes.ts is built in a throwaway namespace (dummy devices,
 * no packet sent), its iptables rules restored (iptables-nft) and its nftables
 * rules loaded, and `ip route show table all`, `ip rule`, `ip addr`,
 * `iptables-save` and `nft list ruleset` are saved as printed: as found into
 * examples/nft-vpc-cni-service-mark/snapshot/nodes, the fix into .../fixed/nodes,
 * the Service CIDR excluded from SNAT into .../workaround/nodes.
 * Run as root: `npx tsx test/examples/generate-nft-service-mark.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/estates.js';
import { EKS_NODES, NODE_RESOLV_CONF } from './eks-nodes.js';
import { nodeDumps } from './nft-service-mark-build.js';

for (const variant of ['found', 'fixed', 'workaround'] as const) {
  for (const node of EKS_NODES) {
    const dir = join(repoRoot, 'examples/nft-vpc-cni-service-mark', variant === 'found' ? 'snapshot' : variant, 'nodes', node.name);
    mkdirSync(dir, { recursive: true });
    const files = { ...nodeDumps(node, variant), 'resolv.conf': NODE_RESOLV_CONF };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  }
}
