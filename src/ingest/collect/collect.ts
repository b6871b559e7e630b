/**
 * `podpath collect`: writes a snapshot folder from live AWS and Kubernetes
 * reads. Read-only calls only (docs/collect.md lists the IAM actions and RBAC
 * verbs). A failed call is reported and the rest goes on; node dumps are not
 * fetched but printed as `kubectl debug node/...` commands to run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { KubeConfig } from '@kubernetes/client-node';
import { AWS_CALLS, awsClients, runPaged, searchTgwRoutes, type CallResult, type Pacing } from './aws.js';
import { K8S_CALLS, eksDescribeCommands, loadKubeConfig, notServed, runList } from './k8s.js';
import type { CollectResult } from '../../model/collect-result.js';

export interface CollectInput {
  region: string;
  profile?: string;
  context?: string;
  out: string;
  /** Progress lines; `transient` marks steps (call n of m, pages) a CLI may overwrite, the rest must be read. */
  progress: (line: string, transient?: boolean) => void;
  /** Injected for tests; built from region/profile/context otherwise. */
  ec2?: EC2Client;
  rds?: RDSClient;
  kubeConfig?: KubeConfig;
  sleep?: (ms: number) => Promise<void>;
  /** Image for the node debug pods. @default busybox:1.36 */
  debugImage?: string;
}

export type { CollectResult };

export async function collectSnapshot(o: CollectInput): Promise<CollectResult> {
  const clients = o.ec2 && o.rds ? { ec2: o.ec2, rds: o.rds } : awsClients(o.region, o.profile);
  const result: CollectResult = { out: o.out, region: o.region, ...(o.context ? { context: o.context } : {}), written: [], failures: [], throttled: 0, nodeDumpCommands: [], extraCommands: [] };
  const pacing: Pacing = {
    sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    progress: o.progress,
    onThrottle: () => void result.throttled++,
  };
  const write = (r: CallResult) => {
    const path = join(o.out, r.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(r.body, null, 2)}\n`);
    result.written.push({ file: r.file, call: r.call, items: r.items, pages: r.pages });
  };
  const attempt = async (call: string, run: () => Promise<CallResult>, absentOk: (e: unknown) => boolean = () => false) => {
    try {
      const r = await run();
      write(r);
      return r;
    } catch (e) {
      if (absentOk(e)) {
        o.progress(`${call}: not served by this API server (older than the API); skipped`);
        return undefined;
      }
      const error = `${(e as Error).name ?? 'Error'}: ${(e as Error).message ?? String(e)}`.split('\n')[0]!;
      result.failures.push({ call, error });
      // A failure repeated by every call (no credentials) is said once; the report groups them.
      if (result.failures.filter((f) => f.error === error).length === 1) o.progress(`${call}: failed (${error}); going on`);
      return undefined;
    }
  };
  const total = AWS_CALLS.length + K8S_CALLS.length;
  let n = 0;
  let tables: string[] = [];
  for (const spec of AWS_CALLS) {
    o.progress(`[${++n}/${total}] ${spec.call}`, true);
    const r = await attempt(spec.call, () => runPaged(spec, spec.client === 'ec2' ? clients.ec2 : clients.rds, pacing));
    if (r && spec.key === 'Reservations') result.extraCommands = eksDescribeCommands(r.body[spec.key]!, o.out, o.region, o.profile);
    if (r && spec.key === 'TransitGatewayRouteTables') tables = (r.body[spec.key] as { TransitGatewayRouteTableId: string }[]).map((t) => t.TransitGatewayRouteTableId);
  }
  for (const t of tables) await attempt(`search-transit-gateway-routes ${t}`, () => searchTgwRoutes(clients.ec2, t, pacing));
  let kc: KubeConfig | undefined;
  try {
    kc = o.kubeConfig ?? loadKubeConfig(o.context);
  } catch (e) {
    result.failures.push({ call: 'kubeconfig', error: (e as Error).message });
  }
  let nodes: string[] = [];
  for (const spec of K8S_CALLS) {
    o.progress(`[${++n}/${total}] ${spec.call}`, true);
    if (!kc) continue;
    const r = await attempt(spec.call, () => runList(spec, kc), (e) => notServed(spec, e));
    if (r && spec.kind === 'NodeList') nodes = (r.body.items as { metadata?: { name?: string } }[]).flatMap((x) => x.metadata?.name ?? []);
  }
  result.nodeDumpCommands = nodeDumpCommands(nodes, o.out, o.context, o.debugImage ?? 'busybox:1.36');
  o.progress(`done: ${result.written.length} files, ${result.failures.length} failures, ${result.throttled} throttled`, true);
  return result;
}

/** The commands that copy each node's state into `<out>/nodes/<name>/` (a privileged debug pod chroots into the host). */
export function nodeDumpCommands(nodes: string[], out: string, context: string | undefined, image: string): string[] {
  const ctx = context ? ` --context ${context}` : '';
  const files: [string, string][] = [
    ['iptables-save.txt', 'iptables-save'], ['ip-route.txt', 'ip route show table all'], ['ip-rule.txt', 'ip rule'], ['ip-addr.txt', 'ip addr'], ['ipset-save.txt', 'ipset save'],
    ['resolv.conf', 'cat /etc/resolv.conf'], ['sysctl.txt', 'sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter'],
  ];
  const debug = (node: string) => `kubectl${ctx} debug node/${node} -i --profile=sysadmin --image=${image} -- chroot /host`;
  return nodes.flatMap((node) => {
    const nft = join(out, 'nodes', node, 'nft-ruleset.json');
    return [
      `mkdir -p ${join(out, 'nodes', node)}`,
      ...files.map(([file, cmd]) => `${debug(node)} ${cmd} > ${join(out, 'nodes', node, file)}`),
      // Native nftables tables (kube-proxy nftables mode, the VPC CNI's own table) that iptables-save does not show;
      // the stable JSON form. No file where the host has no nft.
      `${debug(node)} sh -c 'command -v nft >/dev/null && nft -j list ruleset' > ${nft} || rm -f ${nft}`,
    ];
  });
}
