/**
 * Candidate changes for a finding, ranked by blast radius (smallest first):
 * a /32 MASQUERADE for one host, an AWS rule (SG, NACL entry, route, source/
 * dest check), a per-peer MASQUERADE, the ip-masq-agent config that changes
 * every node's masquerade policy, and a cluster CIDR re-plan. Each candidate
 * carries the edit of a model copy (`apply`) and the artifacts to apply for
 * real; none is trusted until prove.ts has re-checked it.
 */
import type { Estate } from '../model/estate.js';
import { formatIpv4 } from '../net/ipv4.js';
import { covers, formatPrefix, lastAddress, parseCidr, type Prefix } from '../net/prefix.js';
import type { Node } from '../model/k8s.js';
import { AGENT_LABEL, agentConfig, agentRestore, agentRules, configMapYaml, podpathAgentConfigMap } from './ip-masq-agent.js';
import { deleteRoute, masqueradeRestore, naclEntry, route, sgIngress, sourceDestCheckOff, type Artifact } from './artifacts.js';
import { describeMoves, renumberer, withRenumberedCluster, type Move } from './renumber.js';
import { withIptablesAppend, withIptablesInsert, withNaclEntry, withRoute, withoutRoute, withSgIngressRule, withSourceDestCheck, withAttachmentSubnet } from './what-if.js';
import type { FixableFinding } from './types.js';

/** How far a change reaches; lower rank first. */
export interface BlastRadius {
  rank: number;
  text: string;
}

/** A proposed change. */
export interface Candidate {
  /** `masquerade-host`, `ip-masq-agent`, ... */
  kind: string;
  title: string;
  blastRadius: BlastRadius;
  artifacts: Artifact[];
  /** The change on a model copy. */
  apply: (e: Estate) => Estate;
  /** Maps a finding or pair key of the old estate into the changed one (a re-plan renumbers). */
  rekey?: (key: string) => string;
  /** Advice when a change cannot be modelled. */
  note?: string;
}

/** A cluster re-plan proposed by `plan`, passed in by the caller (fix does not depend on plan). */
export interface Replan {
  serviceCidr?: string;
  podCidr?: string;
  /** Settings to apply (kubeadm, kops, eksctl). */
  settings: Artifact[];
}

const rank = { host: 1, aws: 2, peer: 3, node: 4, cluster: 5 } as const;

/** Every candidate for one finding, smallest blast radius first. */
export function candidatesFor(e: Estate, f: FixableFinding, replan?: Replan): Candidate[] {
  const x = f.facts;
  const nodes = e.nodes.length;
  const out: Candidate[] = [];
  const guard = podGuard(e, x.podCidr);
  const masqHosts = (hosts: string[]) => {
    const targets = hosts.filter((h) => !guard.excludes(`${h}/32`));
    if (!targets.length || !nodes) return;
    out.push({
      kind: 'masquerade-host', title: `MASQUERADE pod traffic to ${targets.join(', ')} on every node`,
      blastRadius: { rank: rank.host, text: `nat POSTROUTING on ${nodes} node(s); only traffic to ${targets.length} host(s)` },
      artifacts: [masqueradeRestore(targets.map((h) => ({ match: guard.match(`${h}/32`), comment: `podpath: masquerade pod traffic to ${h}, never pod-to-pod` })))],
      apply: (est) => targets.reduce((acc, h) => withIptablesInsert(acc, 'all', { table: 'nat', chain: 'POSTROUTING', rule: `${guard.match(`${h}/32`)} -o eth0 -j MASQUERADE`, label: `fix: masquerade to ${h}` }), est),
      ...(guard.note ? { note: guard.note } : {}),
    });
  };
  switch (f.id) {
    case 'PP101': {
      masqHosts(x.hosts ?? []);
      const blocks = x.routedBlocks ?? [];
      const masqBlocks = blocks.filter((b) => !guard.excludes(b));
      if (masqBlocks.length && nodes) {
        out.push({
          kind: 'masquerade-peer', title: `MASQUERADE pod traffic to ${masqBlocks.join(', ')} on every node`,
          blastRadius: { rank: rank.peer, text: `nat POSTROUTING on ${nodes} node(s); traffic to ${masqBlocks.join(', ')}` },
          artifacts: [masqueradeRestore(masqBlocks.map((b) => ({ match: guard.match(b), comment: `podpath: masquerade pod traffic to ${b}, never pod-to-pod` })))],
          apply: (est) => masqBlocks.reduce((acc, b) => withIptablesInsert(acc, 'all', { table: 'nat', chain: 'POSTROUTING', rule: `${guard.match(b)} -o eth0 -j MASQUERADE`, label: `fix: masquerade to ${b}` }), est),
          ...(guard.note ? { note: guard.note } : {}),
        });
      }
      if (x.podCidr && x.nodeVpcBlocks?.length && nodes) {
        const c = agentConfig([x.podCidr, ...x.nodeVpcBlocks]);
        out.push({
          kind: 'ip-masq-agent', title: `ip-masq-agent: masquerade everything except ${c.nonMasqueradeCIDRs.join(', ')}`,
          blastRadius: { rank: rank.node, text: `masquerade policy of all ${nodes} node(s): every destination outside the pod CIDR and the node VPC sees node addresses` },
          artifacts: [
            { kind: 'ip-masq-agent-configmap', how: 'kubectl apply -f (with the ip-masq-agent DaemonSet running)', text: configMapYaml(c) },
            { kind: 'ip-masq-agent-configmap', how: 'or, with the podpath agent DaemonSet (deploy/, docs/agent.md): kubectl apply -f', text: podpathAgentConfigMap(c, [], x.podCidr) },
            { kind: 'iptables-restore', how: 'what the agent keeps on every node', text: agentRestore(c) },
          ],
          apply: (est) => withIptablesAppend(est, 'nat', 'POSTROUTING', agentRules(c), AGENT_LABEL),
        });
      }
      if (x.peering && x.podCidr) {
        const tables = e.routeTables.filter((t) => blocks.some((b) => e.vpcs.find((v) => v.id === t.vpc)?.cidrBlocks.includes(b)));
        for (const t of tables) {
          out.push({
            kind: 'route-pods-back', title: `route the pod CIDR ${x.podCidr} back over ${x.peering} in ${t.id}`,
            blastRadius: { rank: rank.aws, text: `one route in ${t.id}` },
            artifacts: route(t.id, x.podCidr, x.peering),
            apply: (est) => withRoute(est, t.id, x.podCidr!, x.peering!),
          });
        }
      }
      break;
    }
    case 'PP105':
    case 'PP112':
      if (f.id === 'PP105') masqHosts(x.hosts ?? []);
      if (x.securityGroup && x.podCidr) {
        const r = x.sgRule ?? { proto: 'all' };
        out.push({
          kind: 'sg-admit-pods', title: `let ${x.securityGroup} admit the pod CIDR ${x.podCidr} (${r.proto}${r.ports !== undefined ? ` ${r.ports}` : ''})`,
          blastRadius: { rank: rank.aws, text: `one rule in ${x.securityGroup}` },
          artifacts: sgIngress(x.securityGroup, r.proto, r.ports, x.podCidr, 'pods (podpath fix)'),
          apply: (est) => withSgIngressRule(est, x.securityGroup!, { proto: r.proto, ports: r.ports, cidr: x.podCidr!, description: 'pods (podpath fix)' }),
        });
      }
      break;
    case 'PP102':
    case 'PP104':
      if (replan?.serviceCidr && e.cluster?.serviceCidr) out.push(replanCandidate(e, replan, 'service'));
      break;
    case 'PP103':
      if (replan?.podCidr && e.cluster?.podCidr) out.push(replanCandidate(e, replan, 'pod'));
      break;
    case 'PP106':
      if (x.networkAcl && x.naclCidr) {
        const acl = e.networkAcls.find((a) => a.id === x.networkAcl);
        const dir = x.naclDirection ?? 'egress';
        const low = Math.min(...(acl?.[dir].map((r) => r.rule) ?? [100]), 100);
        const num = Math.max(1, low - 1);
        const proto = x.naclProto ?? 'tcp';
        out.push({
          kind: 'nacl-ephemeral', title: `let ${x.networkAcl} (${dir}) pass ${proto} 1024-65535 to ${x.naclCidr} as rule ${num}`,
          blastRadius: { rank: rank.aws, text: `one entry in ${x.networkAcl}` },
          artifacts: naclEntry(x.networkAcl, dir, num, proto, 1024, 65535, x.naclCidr),
          apply: (est) => withNaclEntry(est, x.networkAcl!, dir, { rule: num, proto, from: 1024, to: 65535, cidr: x.naclCidr!, action: 'allow' }),
        });
      }
      break;
    case 'PP107':
      if (x.instance) {
        out.push({ kind: 'source-dest-check-off', title: `turn off source/dest check on ${x.instance}`, blastRadius: { rank: rank.aws, text: `one instance attribute` },
          artifacts: sourceDestCheckOff(x.instance), apply: (est) => withSourceDestCheck(est, x.instance!, false) });
      }
      break;
    case 'PP108':
    case 'PP111':
      if (x.routeTable && x.routeDestination) {
        if (x.routeTarget) {
          out.push({ kind: 'replace-blackhole', title: `point the blackhole route ${x.routeDestination} in ${x.routeTable} at ${x.routeTarget}`, blastRadius: { rank: rank.aws, text: `one route in ${x.routeTable}` },
            artifacts: route(x.routeTable, x.routeDestination, x.routeTarget), apply: (est) => withRoute(est, x.routeTable!, x.routeDestination!, x.routeTarget!) });
        }
        out.push({ kind: 'delete-blackhole', title: `delete the blackhole route ${x.routeDestination} from ${x.routeTable}`, blastRadius: { rank: rank.aws, text: `one route in ${x.routeTable}` },
          artifacts: deleteRoute(x.routeTable, x.routeDestination), apply: (est) => withoutRoute(est, x.routeTable!, x.routeDestination!) });
      } else if (x.routeTable && x.sourceCidr && x.routeTarget) {
        out.push({ kind: 'route-back', title: `route ${x.sourceCidr} back via ${x.routeTarget} in ${x.routeTable}`, blastRadius: { rank: rank.aws, text: `one route in ${x.routeTable}` },
          artifacts: route(x.routeTable, x.sourceCidr, x.routeTarget), apply: (est) => withRoute(est, x.routeTable!, x.sourceCidr!, x.routeTarget!) });
      }
      break;
    case 'PP114':
      if (x.tgwAttachment && x.tgwSubnet) {
        out.push({ kind: 'tgw-attachment-subnet', title: `add ${x.tgwSubnet} to ${x.tgwAttachment}`, blastRadius: { rank: rank.aws, text: `one subnet of ${x.tgwAttachment}` },
          artifacts: [{ kind: 'aws-cli', how: 'run once with credentials for the account', text: `aws ec2 modify-transit-gateway-vpc-attachment --transit-gateway-attachment-id ${x.tgwAttachment} --add-subnet-ids ${x.tgwSubnet}\n` }],
          apply: (est) => withAttachmentSubnet(est, x.tgwAttachment!, x.tgwSubnet!) });
      }
      break;
    default:
      break;
  }
  return out.sort((a, b) => a.blastRadius.rank - b.blastRadius.rank);
}

/**
 * The destination match of a MASQUERADE candidate: `! -d <pod CIDR>` and the
 * target as an inclusive range (`-m iprange`, since a rule takes one `-d`),
 * so pod-to-pod traffic is never translated whatever the target covers.
 * Targets inside the pod address space are excluded outright.
 */
function podGuard(e: Estate, podCidr?: string): { match: (cidr: string) => string; excludes: (cidr: string) => boolean; note?: string } {
  const first = podCidr ?? e.cluster?.podCidr;
  const pods = [...(first !== undefined ? [parseCidr(first, { nonAligned: 'mask' })] : []), ...nodePodBlocks(e.nodes)];
  const guard = pods.find((p) => pods.every((q) => covers(p, q)));
  const range = (cidr: string) => {
    const p = parseCidr(cidr, { nonAligned: 'mask' });
    return `-m iprange --dst-range ${formatIpv4(p.addr)}-${formatIpv4(lastAddress(p))}`;
  };
  return {
    match: (cidr) => (guard ? `! -d ${formatPrefix(guard)} ${range(cidr)}` : `-d ${cidr}`),
    excludes: (cidr) => pods.some((p) => covers(p, parseCidr(cidr, { nonAligned: 'mask' }))),
    ...(guard ? {} : { note: 'the pod CIDR is not known, so the rule carries no `! -d <pod CIDR>` guard: check that it cannot match pod-to-pod traffic' }),
  };
}

/** The nodes' distinct pod CIDRs, parsed once per node list (every finding's candidates read them: 10,000 nodes on a large estate). */
const podBlocksOf = new WeakMap<readonly Node[], Prefix[]>();
function nodePodBlocks(nodes: readonly Node[]): Prefix[] {
  let blocks = podBlocksOf.get(nodes);
  if (!blocks) podBlocksOf.set(nodes, (blocks = [...new Set(nodes.flatMap((n) => (n.podCidr !== undefined ? [n.podCidr] : [])))].map((c) => parseCidr(c, { nonAligned: 'mask' }))));
  return blocks;
}

/** The re-plan candidate: Services (ClusterIPs only) or pods move to the planned block. */
function replanCandidate(e: Estate, r: Replan, what: 'service' | 'pod'): Candidate {
  const c = e.cluster!;
  const from = (what === 'service' ? c.serviceCidr : c.podCidr)!;
  const planned = parseCidr((what === 'service' ? r.serviceCidr : r.podCidr)!);
  const to = formatPrefix({ addr: planned.addr, len: parseCidr(from).len });
  const only = what === 'service' ? [...e.services.map((s) => s.clusterIP), ...c.clusterIPs.map((x) => x.ip), ...(c.dnsServiceIp ? [c.dnsServiceIp] : [])] : undefined;
  const move: Move = { from, to, ...(only ? { only } : {}) };
  const map = renumberer([move]);
  return {
    kind: `replan-${what}-cidr`, title: `re-plan the ${what === 'service' ? 'Service' : 'pod'} CIDR: ${describeMoves([move])}`,
    blastRadius: { rank: rank.cluster, text: what === 'service' ? 'every ClusterIP and the cluster DNS VIP change (a cluster rebuild or migration)' : 'every pod address and pod route change (a cluster rebuild or migration)' },
    artifacts: r.settings,
    apply: (est) => withRenumberedCluster(est, [move]),
    rekey: map,
    ...(parseCidr(from).len !== planned.len ? { note: `proven with a block the size of the current one (${to}); the plan sizes it as ${formatPrefix(planned)}` } : {}),
  };
}
