/**
 * Writes the EKS example's node dumps from the kernel: each node of
 * test/examples/eks-nodes.ts is built in a throwaway namespace (dummy
 * devices, no packet sent) and `ip route show table all`, `ip rule`,
 * `ip addr` and `iptables-save` are saved as printed, into both example
 * folders. Run as root: `npx tsx test/examples/generate-eks-nodes.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNetns } from '../linux/iptables/netns.js';
import { repoRoot } from '../helpers/estates.js';
import { buildCommands, EKS_NODES, iptablesInput, NODE_RESOLV_CONF, SYSCTLS } from './eks-nodes.js';

for (const node of EKS_NODES) {
  const ns = openNetns();
  try {
    for (const args of SYSCTLS) ns.exec('sysctl', args);
    for (const args of buildCommands(node)) {
      const r = ns.exec('ip', args);
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    const restored = ns.restore(iptablesInput(node));
    if (!restored.ok) throw new Error(`iptables-restore: ${restored.stderr}`);
    const files: Record<string, string> = {
      'ip-route.txt': ns.exec('ip', ['route', 'show', 'table', 'all']).stdout,
      'ip-rule.txt': ns.exec('ip', ['rule']).stdout,
      'ip-addr.txt': ns.exec('ip', ['addr']).stdout,
      'iptables-save.txt': ns.save(),
      'resolv.conf': NODE_RESOLV_CONF,
    };
    for (const example of ['eks-vpc-cni', 'eks-vpc-cni-clean']) {
      const dir = join(repoRoot, 'examples', example, 'nodes', node.name);
      mkdirSync(dir, { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    }
  } finally {
    ns.close();
  }
}
