/**
 * Native nftables tables for the random lab estates (random-estates.ts with
 * `{ nft: true }`), next to each node's iptables rules, as on an iptables-nft
 * node where both coexist. Every node gets a table `ip pp-native` with some
 * of three kinds of chains, and node 0 (then always on the VPC CNI) the CNI's
 * connmark table:
 * - `drop`: a filter chain (forward, input or output; priority before, equal
 *   to or after iptables' filter) that drops or rejects what an iptables rule
 *   written first in the same hook explicitly accepts: drop is final across tables;
 * - `accept`: a chain at a priority before iptables' filter accepting what an
 *   iptables rule then drops or rejects: accept ends only that base chain
 *   (sometimes with policy drop, letting only established traffic and the match through);
 * - `nat`: a dnat of node:30080 at dstnat - 10, dstnat or dstnat + 10 while an
 *   iptables nat PREROUTING rule DNATs the same port elsewhere (the first NAT
 *   of a hook wins), and/or a masquerade or snat chain at srcnat - 10, srcnat
 *   or srcnat + 10 next to the node's iptables masquerade rules;
 * - `connmark` (node 0): `table ip aws-cni` with the VPC CNI's connmark rules
 *   moved out of iptables mangle: connections arriving on ens5 for the node get
 *   ct mark 0x80; a pod's packets get it restored as their mark, so ip rule
 *   1024 (`fwmark 0x80/0x80 lookup main`) sends a reply of pod B (on ens6,
 *   `from B lookup 2`) out of ens5. The restore is in a filter chain at mangle
 *   priority, as the masked two-rule fix, or in a nat chain at dstnat + 10
 *   (the shape of amazon-vpc-cni-k8s issue 3872), where it never sees a
 *   reply. A NodePort-like iptables DNAT sends node:30080 to pod B; the ENIs
 *   keep their source/dest check on, so a reply out of ens6 (with the node's
 *   primary address) is dropped by AWS.
 * Extra flows to node:30080/30081 and from each node's pods exercise them.
 */
import type { LabFlow } from '../../src/lab/check.js';

/** Draws from the estate generator. */
export interface Draw {
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** The raw (not yet parsed) pieces of the estate the chains are written for. */
export interface RawParts {
  nodes: Array<{ name: string; iptables: string; nftRuleset?: { text: string }; podCidr?: string; ipAddr?: unknown }>;
  instances: Array<{ id: string; privateIp: string; sourceDestCheck: boolean; securityGroups: string[]; secondaryEnis?: Array<{ sourceDestCheck: boolean }> }>;
  pods: Array<{ name: string; node: string; ip: string }>;
  sgs: Array<{ id: string; ingress: unknown[]; egress?: unknown[] }>;
  cidrs: string[];
  blocks: string[];
}

/** A flow to add once the estate's random flows exist (its source port is given then). */
export type ExtraFlow = Omit<LabFlow, 'sport'>;

/** Pairs of the same match in nft and iptables syntax. */
const MATCHES: ReadonlyArray<readonly [string, string]> = [
  ['meta l4proto icmp', '-p icmp'],
  ['tcp dport 5432', '-p tcp -m tcp --dport 5432'],
  ['udp dport 53', '-p udp -m udp --dport 53'],
  ['ip saddr 10.244.0.0/16 tcp dport { 80, 8080 }', '-s 10.244.0.0/16 -p tcp -m multiport --dports 80,8080'],
  ['ct state new tcp dport 8080', '-p tcp -m conntrack --ctstate NEW -m tcp --dport 8080'],
  ['iifname "eni*" meta l4proto udp', '-i eni+ -p udp'],
];
const HOOKS = [['forward', 'FORWARD'], ['input', 'INPUT'], ['output', 'OUTPUT']] as const;

/** Inserts `rule` as the first rule of `table` (after its chain declarations), adding the table when missing. */
export function prependRule(save: string, table: string, rule: string): string {
  const lines = save.split('\n');
  const start = lines.indexOf(`*${table}`);
  if (start < 0) {
    const chains = table === 'nat' ? ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] : table === 'mangle' ? ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT'];
    return `${save.replace(/\n*$/, '\n')}*${table}\n${chains.map((c) => `:${c} ACCEPT [0:0]`).join('\n')}\n${rule}\nCOMMIT\n`;
  }
  let at = start + 1;
  while (lines[at]?.startsWith(':')) at++;
  lines.splice(at, 0, rule);
  return lines.join('\n');
}

/** A match for a chain at `hook` (iptables refuses `-i` in OUTPUT). */
function matchOf(d: Draw, cidrs: string[], hook: string): readonly [string, string] {
  if (d.chance(0.25)) {
    const c = d.pick(cidrs.filter((x) => x.endsWith('/32')).concat('10.1.0.0/16'));
    return [`ip daddr ${c}`, `-d ${c}`];
  }
  return d.pick(MATCHES.filter(([, ipt]) => hook !== 'output' || !ipt.startsWith('-i')));
}

/** Adds the native tables and iptables counterparts to `parts`; returns the flows that exercise them. */
export function addNativeNft(d: Draw, parts: RawParts): ExtraFlow[] {
  const flows: ExtraFlow[] = [];
  parts.nodes.forEach((node, i) => {
    const inst = parts.instances.find((x) => x.id === `i-node${i}`)!;
    const myPods = parts.pods.filter((p) => p.node === node.name);
    const dev = node.ipAddr ? 'ens5' : 'eth0';
    const chains: string[] = [];
    const forced = d.pick(['drop', 'accept', 'nat'] as const);
    if (forced === 'drop' || d.chance(0.25)) {
      const [hook, chain] = d.pick(HOOKS);
      const [nft, ipt] = matchOf(d, parts.cidrs, hook);
      chains.push(`\tchain pp-drop {\n\t\ttype filter hook ${hook} priority ${d.pick(['filter - 10', 'filter', 'filter + 10'])}; policy accept;\n\t\t${nft} counter ${d.pick(['drop', 'reject'])}\n\t}`);
      node.iptables = prependRule(node.iptables, 'filter', `-A ${chain} ${ipt} -j ACCEPT`);
    }
    if (forced === 'accept' || d.chance(0.25)) {
      const [hook, chain] = d.pick(HOOKS);
      const [nft, ipt] = matchOf(d, parts.cidrs, hook);
      const strict = hook === 'forward' && d.chance(0.15);
      chains.push(`\tchain pp-early {\n\t\ttype filter hook ${hook} priority ${d.pick(['mangle', 'filter - 10', '-5'])}; policy ${strict ? 'drop' : 'accept'};\n${strict ? '\t\tct state established,related accept\n' : ''}\t\t${nft} counter accept\n\t}`);
      node.iptables = prependRule(node.iptables, 'filter', `-A ${chain} ${ipt} -j ${d.pick(['DROP', 'REJECT'])}`);
    }
    if (forced === 'nat' || d.chance(0.25)) {
      const targets = [...parts.pods.map((p) => p.ip), ...parts.instances.filter((x) => !x.id.startsWith('i-node')).map((x) => x.privateIp)];
      if (targets.length && (i !== 0 || !node.ipAddr) && d.chance(0.7)) {
        const proto = d.pick(['tcp', 'udp'] as const);
        chains.push(`\tchain pp-dnat {\n\t\ttype nat hook prerouting priority ${d.pick(['dstnat - 10', 'dstnat', 'dstnat + 10'])}; policy accept;\n\t\tip daddr ${inst.privateIp} ${proto} dport 30080 counter dnat to ${d.pick(targets)}:80\n\t}`);
        node.iptables = prependRule(node.iptables, 'nat', `-A PREROUTING -d ${inst.privateIp}/32 -p ${proto} -m ${proto} --dport 30080 -j DNAT --to-destination ${d.pick(targets)}:8080`);
        admit(parts, inst, proto, 30080);
        for (let k = 0; k < 2; k++) flows.push({ src: d.pick(otherSources(parts, node.name)), dst: `node:${node.name}`, proto, dport: 30080 });
      }
      const src = node.ipAddr ? `{ ${myPods.map((p) => p.ip).join(', ')} }` : node.podCidr!;
      const except = d.chance(0.5) ? `\t\tip daddr ${d.pick(parts.blocks)} counter return\n` : '';
      const how = d.chance(0.7) ? 'masquerade' : `snat to ${inst.privateIp}`;
      chains.push(`\tchain pp-snat {\n\t\ttype nat hook postrouting priority ${d.pick(['srcnat - 10', 'srcnat', 'srcnat + 10'])}; policy accept;\n${except}\t\tip saddr ${src} ip daddr != 10.244.0.0/16 oifname "${dev}" counter ${how}\n\t}`);
    }
    if (chains.length) node.nftRuleset = { text: `table ip pp-native {\n${chains.join('\n')}\n}\n` };
    for (const p of myPods.slice(0, 2)) flows.push({ src: `pod:${p.name}`, dst: d.pick(otherSources(parts, node.name)), proto: d.pick(['tcp', 'udp', 'icmp'] as const), dport: d.pick([80, 53, 5432, 8080]) });
  });
  const cni = parts.nodes[0];
  if (cni?.ipAddr) flows.push(...connmarkTable(d, parts));
  return flows;
}

/** Node 0's VPC CNI connmark rules in `table ip aws-cni` instead of iptables mangle, and the NodePort flows. */
function connmarkTable(d: Draw, parts: RawParts): ExtraFlow[] {
  const node = parts.nodes[0]!;
  const inst = parts.instances.find((x) => x.id === 'i-node0')!;
  const podB = parts.pods.find((p) => p.node === node.name && p.name.endsWith('-1'))!;
  inst.sourceDestCheck = true;
  for (const e of inst.secondaryEnis ?? []) e.sourceDestCheck = true;
  // Out of iptables mangle: the CNI keeps these in its own table on nf_tables hosts.
  let table = '';
  node.iptables = node.iptables.split('\n').filter((l) => {
    if (l.startsWith('*')) table = l.slice(1);
    return !(table === 'mangle' && l.startsWith('-A PREROUTING') && l.includes('CONNMARK'));
  }).join('\n');
  const mark = '\t\tiifname "ens5" fib daddr type local counter ct mark set ct mark | 0x00000080';
  const restore = d.pick(['mangle', 'masked', 'nat'] as const);
  const chain = restore === 'mangle'
    ? `\tchain mangle-prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n${mark}\n\t\tiifname "eni*" counter meta mark set ct mark & 0x00000080\n\t}`
    : restore === 'masked'
      ? `\tchain mangle-prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n${mark}\n\t\tiifname "eni*" ct mark & 0x00000080 == 0x00000000 counter meta mark set meta mark & 0xffffff7f\n\t\tiifname "eni*" ct mark & 0x00000080 == 0x00000080 counter meta mark set meta mark | 0x00000080\n\t}`
      : `\tchain mangle-prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n${mark}\n\t}\n\tchain nat-prerouting {\n\t\ttype nat hook prerouting priority dstnat + 10; policy accept;\n\t\tfib daddr type local return\n\t\tiifname "eni*" counter meta mark set ct mark & 0x00000080\n\t}`;
  node.nftRuleset = { text: `${node.nftRuleset?.text ?? ''}table ip aws-cni {\n${chain}\n}\n` };
  node.iptables = prependRule(node.iptables, 'nat', `-A PREROUTING -d ${inst.privateIp}/32 -p tcp -m tcp --dport 30080 -j DNAT --to-destination ${podB.ip}:80`);
  node.iptables = prependRule(node.iptables, 'nat', `-A PREROUTING -d ${inst.privateIp}/32 -p udp -m udp --dport 30081 -j DNAT --to-destination ${podB.ip}:8080`);
  admit(parts, inst, 'tcp', 30080);
  admit(parts, inst, 'udp', 30081);
  const others = otherSources(parts, node.name);
  return [
    { src: d.pick(others), dst: `node:${node.name}`, proto: 'tcp', dport: 30080 },
    { src: d.pick(others), dst: `node:${node.name}`, proto: 'tcp', dport: 30080 },
    { src: d.pick(others), dst: `node:${node.name}`, proto: 'udp', dport: 30081 },
  ];
}

/** Every security group of the node admits `proto`/`port` from anywhere, and every restricted egress lets it out, so the flows get to the node's rules. */
function admit(parts: RawParts, inst: RawParts['instances'][number], proto: string, port: number): void {
  for (const sg of parts.sgs) {
    if (inst.securityGroups.includes(sg.id)) sg.ingress.push({ proto, ports: port, cidr: '0.0.0.0/0' });
    sg.egress?.push({ proto, ports: port, cidr: '0.0.0.0/0' });
  }
}

/** Flow endpoints other than the node and its pods: other nodes, their pods, EC2 hosts (the node itself when there is nothing else). */
function otherSources(parts: RawParts, node: string): string[] {
  const list = [
    ...parts.nodes.filter((n) => n.name !== node).map((n) => `node:${n.name}`),
    ...parts.pods.filter((p) => p.node !== node).map((p) => `pod:${p.name}`),
    ...parts.instances.filter((x) => x.id.startsWith('i-host')).map((x) => `instance:${x.id}`),
  ];
  return list.length ? list : [`node:${node}`];
}
