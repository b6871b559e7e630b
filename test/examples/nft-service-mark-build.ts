/**
 * Builds one node of the issue 3563 example in a throwaway namespace and
 * returns what the node prints (the files of a snapshot node folder). Used by
 * generate-nft-service-mark.ts (writes them) and nft-service-mark.test.ts
 * (rebuilds and compares). Removes the namespace also on failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNetns } from '../linux/iptables/netns.js';
import { buildCommands, SYSCTLS, type EksNodeSpec } from './eks-nodes.js';
import { AWS_CNI_NFT, iptablesFixed, iptablesFound, iptablesWorkaround, KUBE_PROXY_NFT } from './nft-service-mark-nodes.js';

/** The node layouts: as found, PR 3588's fix, and the Service CIDR excluded from SNAT (the issue's workaround). */
export type Variant = 'found' | 'fixed' | 'workaround';

/** The node folder's files as the kernel prints them. */
export function nodeDumps(node: EksNodeSpec, variant: Variant): Record<string, string> {
  const ns = openNetns();
  const tmp = mkdtempSync(join(tmpdir(), 'podpath-3563-'));
  try {
    for (const args of SYSCTLS) ns.exec('sysctl', args);
    for (const args of buildCommands(node)) {
      const r = ns.exec('ip', args);
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    const restored = ns.restore(variant === 'found' ? iptablesFound(node) : variant === 'fixed' ? iptablesFixed(node) : iptablesWorkaround(node));
    if (!restored.ok) throw new Error(`iptables-restore: ${restored.stderr}`);
    const nftFile = join(tmp, 'rules.nft');
    writeFileSync(nftFile, variant === 'fixed' ? `${KUBE_PROXY_NFT}${AWS_CNI_NFT}` : KUBE_PROXY_NFT);
    const loaded = ns.exec('nft', ['-f', nftFile]);
    if (loaded.status !== 0) throw new Error(`nft -f: ${loaded.stderr}`);
    const out = (cmd: string, args: string[]) => {
      const r = ns.exec(cmd, args);
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    return {
      'ip-route.txt': out('ip', ['route', 'show', 'table', 'all']),
      'ip-rule.txt': out('ip', ['rule']),
      'ip-addr.txt': out('ip', ['addr']),
      'iptables-save.txt': ns.save(),
      'nft-ruleset.txt': out('nft', ['list', 'ruleset']),
    };
  } finally {
    ns.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
