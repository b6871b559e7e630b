/**
 * Namespaces behind the router ports: Kubernetes nodes (the node's own
 * iptables rules verbatim, a kubenet-like bridge, ip_forward on), pods (a
 * veth into the bridge, default route via the bridge address), EC2 and RDS
 * hosts, the VPC resolver and the internet gateway sink.
 *
 * Pods get their address as a /32 with an on-link route to the bridge
 * address, so every packet a pod sends is routed by the node (the model's
 * podSend: "its netns routes everything via the bridge to the node"), also
 * between pods of one node. Nodes get rp_filter off and bridge netfilter off
 * (nothing is bridged port to port; the model has no rp_filter).
 */
import { formatIpv4 } from '../net/ipv4.js';
import { formatRouteDst, type RouteEntry } from '../linux/route/ip-route.js';
import { DEFAULT_RULES, type PolicyRule } from '../linux/route/ip-rule.js';
import { tokenize } from '../linux/iptables/tokenize.js';
import { PodpathError } from '../model/errors.js';
import type { EniRecord, NodeRecord, PodRecord } from '../trace/world.js';
import { nodeIfaceOf, podVeth } from '../trace/node-steps.js';
import type { PlanContext, P2pLink } from './plan-context.js';
import { ICMP_NOT_RATE_LIMITED, type LinkPlan, type NsPlan } from './plan-types.js';

const HOST_SYSCTLS = [
  'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
  'net.ipv4.conf.all.accept_redirects=0', 'net.ipv4.conf.default.accept_redirects=0',
  'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0',
  ICMP_NOT_RATE_LIMITED,
];

/**
 * `ip address add` lines for an interface's addresses on `dev`: the primary
 * with the subnet's length, the secondary ones as /32, except those a pod
 * holds (VPC CNI: a pod's address is a secondary address of the ENI, but
 * the pod's namespace has it, not the node).
 */
function eniAddresses(eni: EniRecord, prefixRoute: boolean, dev = 'eth0', podIps: ReadonlySet<number> = new Set()): string[] {
  const len = eni.subnet.prefix.len;
  return [
    `address add ${formatIpv4(eni.primary)}/${len} dev ${dev}${prefixRoute ? '' : ' noprefixroute'}`,
    ...eni.addresses.filter((a) => a !== eni.primary && !podIps.has(a)).map((a) => `address add ${formatIpv4(a)}/32 dev ${dev}`),
  ];
}

/**
 * The node device of each of the node's ENIs: the interface the dumps bound
 * to it (ens5, ens6...), the primary one `eth0` when nothing names it.
 */
export function nodeDevOf(node: NodeRecord, eni: EniRecord): string | undefined {
  return nodeIfaceOf(node, eni)?.name ?? (eni === node.eni ? node.eth0.name : undefined);
}

/** The node's ENIs that the lab builds, primary first, each with its device. */
function nodeEnis(node: NodeRecord): { eni: EniRecord; dev: string }[] {
  const owner = node.eni.owner;
  const enis = owner.kind === 'instance' ? [node.eni, ...node.interfaces.map((i) => i.eni).filter((e) => e !== node.eni)] : [node.eni];
  return enis.map((eni) => {
    const dev = nodeDevOf(node, eni);
    if (!dev) throw new PodpathError('PP_USAGE', `node ${node.node.name}: no interface is bound to ${eni.id}: the lab cannot build it`);
    return { eni, dev };
  });
}

function gateway(eni: EniRecord): string {
  return formatIpv4((eni.subnet.prefix.addr + 1) >>> 0);
}

const noResolv = (what: string) => `# podpath lab: ${what} has no resolv.conf in the estate\n`;

/** A node namespace and its pods' links. */
export function planNode(ctx: PlanContext, node: NodeRecord, ns: string, podNs: Map<PodRecord, string>, links: LinkPlan[]): NsPlan {
  const podIps = new Set([...node.pods.keys()]);
  const devs = nodeEnis(node);
  const ip: string[] = ['link set lo up'];
  for (const { eni, dev } of devs) ip.push(...eniAddresses(eni, !node.node.routes && eni === node.eni, dev, podIps), `link set ${dev} up`);
  if (node.bridge) {
    const len = node.bridge.prefix.len;
    ip.push(`link add ${node.bridge.name} type bridge`, `address add ${formatIpv4(node.bridge.address)}/${len} dev ${node.bridge.name}`, `link set ${node.bridge.name} up`);
  }
  let k = 0;
  for (const [pod, pns] of podNs) {
    if (pod.node !== node) continue;
    if (!node.bridge) {
      // VPC CNI: the pod's host-side veth is the device of the node's /32 route to it.
      const veth = podVeth(node, pod.ip)?.dev;
      if (!veth) throw new PodpathError('PP_USAGE', `node ${node.node.name} has no bridge and no /32 route to pod ${pod.name} over a veth: the lab cannot attach it`);
      links.push({ a: ns, aDev: veth, b: pns, bDev: 'eth0' });
      ip.push(`link set ${veth} up`);
      continue;
    }
    const dev = `veth${k++}`;
    links.push({ a: ns, aDev: dev, b: pns, bDev: 'eth0' });
    ip.push(`link set ${dev} master ${node.bridge.name}`, `link set ${dev} up`);
  }
  if (node.node.routes) {
    // Link routes before gateway routes: the kernel refuses a gateway it cannot reach yet
    // (`ip route` prints the default route first).
    const mine = node.routes.filter((r) => r.table !== 'local' && r.table !== 'default' && r.type !== 'local');
    ip.push(...[...mine.filter((r) => r.via === undefined), ...mine.filter((r) => r.via !== undefined)].map((r) => routeLine(node, r)));
  } else ip.push(`route add default via ${gateway(node.eni)} dev ${devs[0]!.dev}`);
  ip.push(...ruleLines(node));

  const inserts = node.node.iptablesInserts.map((i) => {
    const t = tokenize(i.rule);
    if (t.error) throw new PodpathError('PP_PARSE', `iptables insert ${i.label}: ${t.error}`);
    return ['-w', '5', '-t', i.table, '-I', i.chain, String(i.position), ...t.tokens.map((x) => x.value)];
  });
  return {
    ns,
    role: 'node',
    ref: node.node.name,
    // Without a bridge (VPC CNI) the node answers ARP for the addresses it routes elsewhere
    // (proxy ARP, on every device it gets): the router's for a pod's address on the
    // pod's ENI, a pod's for its gateway 169.254.1.1. AWS delivers to the ENI without ARP.
    // At once (proxyArpAtOnce, as the routers): the default delays each proxied answer to a
    // broadcast request by up to 0.8 s, and a pod's gateway and the router's ARP for the pod
    // are both proxied, which on a cold or loaded machine cost probes their 2 s.
    sysctls: ['net.ipv4.ip_forward=1', ...HOST_SYSCTLS, 'net.bridge.bridge-nf-call-iptables=0', ...(node.bridge ? [] : ['net.ipv4.conf.default.proxy_arp=1'])],
    ipBatch: ip,
    ...(node.bridge ? {} : { proxyArpAtOnce: true as const }),
    ...(node.node.ipsets ? { ipsets: node.node.ipsets.text.endsWith('\n') ? node.node.ipsets.text : `${node.node.ipsets.text}\n` } : {}),
    ...(node.node.iptables ? { iptables: node.node.iptables.text.endsWith('\n') ? node.node.iptables.text : `${node.node.iptables.text}\n` } : {}),
    iptablesInserts: inserts,
    ...nftOf(node),
    resolvConf: node.node.resolvConf?.text ?? noResolv(`node ${node.node.name}`),
    address: formatIpv4(node.eth0.address),
  };
}

/**
 * iptables-nft's own tables: `nft -f` adding to one would add rules to the chains
 * iptables-restore made (and the lab's arrival counters live in iptables' security table).
 */
const IPTABLES_NFT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/**
 * The node's native nftables ruleset as the lab loads it (verbatim, after
 * iptables). Refused: a table of iptables-nft's own (`ip filter`, `ip nat`...:
 * its rules would join the chains iptables-restore made, while the model walks
 * them as a separate table) and, on a node with iptables rules, `flush ruleset`
 * (it would remove the iptables rules the lab restored first).
 */
function nftOf(node: NodeRecord): Pick<NsPlan, 'nft'> {
  const src = node.node.nftRuleset;
  if (!src || !node.nft) return {};
  const shared = node.nft.tables.find((t) => t.family === 'ip' && IPTABLES_NFT_TABLES.has(t.name));
  if (shared) throw new PodpathError('PP_USAGE', `node ${node.node.name}: nftables table ip ${shared.name} is iptables-nft's own table; the lab restores the iptables rules from iptables-save, so give only the native tables`, shared.loc.line !== undefined ? { file: shared.loc.file, line: shared.loc.line } : {});
  const json = src.text.trimStart().startsWith('{');
  const flush = json ? /"flush"\s*:\s*\{\s*"ruleset"/.test(src.text) : /^\s*flush\s+ruleset\b/m.test(src.text);
  if (flush && node.node.iptables) throw new PodpathError('PP_USAGE', `node ${node.node.name}: the nftables ruleset flushes the whole ruleset, which would remove the iptables rules the lab restores before it; remove the flush`, { file: node.nft.file });
  return { nft: { ruleset: src.text.endsWith('\n') ? src.text : `${src.text}\n`, json } };
}

/**
 * The node's ip rules as `ip rule` commands: the estate's rules added, then
 * the kernel's default rules it lacks deleted (a namespace starts with them).
 */
function ruleLines(node: NodeRecord): string[] {
  if (!node.node.ipRules) return [];
  const key = (r: PolicyRule) => `${r.priority} ${r.text.replace(/^\d+:\s*/, '').replace(/\s+/g, ' ')}`;
  const defaults = new Set(DEFAULT_RULES.map(key));
  const have = new Set(node.ipRules.map(key));
  const add = node.ipRules.filter((r) => !defaults.has(key(r))).map((r) => {
    if (r.unmodelled.length) throw new PodpathError('PP_USAGE', `node ${node.node.name}: ip rule '${r.text}' selects on ${r.unmodelled.join(', ')}, which the lab does not build`, r.loc ?? {});
    const words = r.text.replace(/^\d+:\s*/, '').replace(/\[(detached|unresolved)\]/g, '').split(/\s+/).filter(Boolean);
    return `rule add ${words.join(' ')} pref ${r.priority}`;
  });
  const del = DEFAULT_RULES.filter((r) => !have.has(key(r))).map((r) => `rule del pref ${r.priority} lookup ${r.action.kind === 'lookup' ? r.action.table : ''}`);
  return [...add, ...del];
}

/** A route of the node's `ip route` dump as an `ip route add` line. */
function routeLine(node: NodeRecord, r: RouteEntry): string {
  const devs = [node.eth0.name, node.bridge?.name, ...node.interfaces.map((i) => i.name), ...[...node.pods.keys()].map((ip) => podVeth(node, ip)?.dev)];
  if (r.dev && !devs.includes(r.dev)) throw new PodpathError('PP_USAGE', `node ${node.node.name}: route '${r.text}' uses ${r.dev}; the lab builds only the node's ENI interfaces, the bridge and pod veths`, r.loc ?? {});
  if (r.nexthops) throw new PodpathError('PP_USAGE', `node ${node.node.name}: multipath route '${r.text}' is not supported by the lab`, r.loc ?? {});
  const words = [r.type === 'unicast' ? '' : r.type, formatRouteDst(r.dst)];
  if (r.via !== undefined) words.push('via', formatIpv4(r.via));
  if (r.dev) words.push('dev', r.dev);
  if (r.src !== undefined) words.push('src', formatIpv4(r.src));
  if (r.scope) words.push('scope', r.scope);
  if (r.metric) words.push('metric', String(r.metric));
  if (r.flags.includes('onlink')) words.push('onlink');
  if (r.table !== 'main') words.push('table', r.table);
  return `route replace ${words.filter(Boolean).join(' ')}`;
}

/** A pod namespace (its link is planned by its node). */
export function planPod(pod: PodRecord, ns: string): NsPlan {
  // Bridge pods route via the bridge address; VPC CNI pods via 169.254.1.1, which the
  // node's veth answers (amazon-vpc-cni-k8s docs/cni-proposal.md: the pod's default gateway).
  const gw = pod.node.bridge ? formatIpv4(pod.node.bridge.address) : '169.254.1.1';
  return {
    ns,
    role: 'pod',
    ref: pod.name,
    sysctls: HOST_SYSCTLS,
    ipBatch: ['link set lo up', `address add ${formatIpv4(pod.ip)}/32 dev eth0`, 'link set eth0 up', `route add ${gw} dev eth0 scope link`, `route add default via ${gw} dev eth0`],
    iptablesInserts: [],
    resolvConf: pod.pod.resolvConf?.text ?? noResolv(`pod ${pod.name}`),
    address: formatIpv4(pod.ip),
  };
}

/** An EC2 instance (not a node) or an RDS endpoint behind its interface. */
export function planHost(eni: EniRecord, ns: string): NsPlan {
  const rds = eni.owner.kind === 'rds';
  return {
    ns,
    role: rds ? 'rds' : 'host',
    ref: eni.owner.kind === 'rds' ? eni.owner.rds.id : eni.owner.kind === 'instance' ? eni.owner.instance.id : eni.id,
    sysctls: HOST_SYSCTLS,
    ipBatch: ['link set lo up', ...eniAddresses(eni, true), 'link set eth0 up', `route add default via ${gateway(eni)} dev eth0`],
    // RDS answers only its database port (the model: "listens only on tcp/PORT"), not ping.
    ...(rds ? { iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP\nCOMMIT\n' } : {}),
    iptablesInserts: [],
    resolvConf: noResolv(rds ? 'an RDS host' : 'an EC2 host'),
    address: formatIpv4(eni.primary),
  };
}

/** The Amazon-provided DNS server of a VPC: answers on port 53 only, never ping. */
export function planResolver(link: P2pLink, vpcId: string, address: string): NsPlan {
  return {
    ns: link.peerNs,
    role: 'resolver',
    ref: vpcId,
    sysctls: HOST_SYSCTLS,
    ipBatch: ['link set lo up', `address add ${link.peerAddr}/30 dev eth0`, `address add ${address}/32 dev eth0`, 'link set eth0 up', 'route add default dev eth0 scope link src ' + address],
    iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP\nCOMMIT\n',
    iptablesInserts: [],
    resolvConf: noResolv('the VPC resolver'),
    address,
  };
}

/** The internet gateway: a sink. The lab has no internet; nothing it receives goes further. */
export function planIgw(link: P2pLink, igwId: string): NsPlan {
  return {
    ns: link.peerNs,
    role: 'igw',
    ref: igwId,
    sysctls: ['net.ipv4.ip_forward=0', ...HOST_SYSCTLS],
    ipBatch: ['link set lo up', `address add ${link.peerAddr}/30 dev eth0`, 'link set eth0 up'],
    iptables: '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\nCOMMIT\n',
    iptablesInserts: [],
    resolvConf: noResolv('the internet gateway sink'),
  };
}
