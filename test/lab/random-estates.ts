/**
 * fast-check generator of random estates the lab can build, with flows:
 * 1-3 VPCs (disjoint private blocks), 1-2 subnets each, route tables with
 * peering/igw/blackhole/pod-CIDR routes (right, wrong or missing), peerings
 * (active or not), security groups (CIDR and group references, restricted
 * egress), NACLs with ordered allow/deny entries and ephemeral port ranges
 * (some admitting every request but denying the replies: reply-lost), nodes
 * with random masquerade and FORWARD/INPUT/OUTPUT rules (some REJECT, with
 * ICMP errors or TCP resets: refused; some asking an ipset), some with policy
 * routing (ip rules and a second routing table), some EKS-style on the VPC CNI
 * (two ENIs ens5/ens6, pods on secondary addresses of each, per-ENI policy
 * routing, the CNI's SNAT and connmark rules), pods, EC2 hosts and an RDS;
 * flows TCP/UDP/ICMP between them and to the VPC resolvers, each with its
 * own source port.
 */
import fc from 'fast-check';
import { EstateSchema, type Estate } from '../../src/model/estate.js';
import type { LabFlow } from '../../src/lab/check.js';
import { deriveNatRules } from '../../src/k8s/profiles/index.js';
import { mergeIptablesSave } from '../../src/k8s/merge-save.js';
import { addNativeNft, type RawParts } from './random-nft.js';

const BLOCKS = ['10.0.0.0/16', '172.20.0.0/16', '192.168.0.0/16', '10.1.0.0/16', '172.31.0.0/16'];
const net16 = (block: string) => block.split('.').slice(0, 2).join('.');

export interface LabCase {
  estate: Estate;
  flows: LabFlow[];
}

export const arbLabCase: fc.Arbitrary<LabCase> = fc.gen().map((g) => build(g));

/** The same estates with native nftables tables on every node, node 0 on the VPC CNI with its connmark table (random-nft.ts). */
export const arbNftLabCase: fc.Arbitrary<LabCase> = fc.gen().map((g) => build(g, { nft: true }));

function build(g: fc.GeneratorValue, opts: { nft?: boolean } = {}): LabCase {
  const pick = <T>(xs: readonly T[]): T => xs[g(fc.nat, { max: xs.length - 1 })]!;
  const chance = (p: number) => g(fc.double, { min: 0, max: 1, noNaN: true }) < p;
  const int = (min: number, max: number) => g(fc.integer, { min, max });

  const nVpc = int(1, 3);
  const blocks = g(fc.shuffledSubarray, BLOCKS, { minLength: nVpc, maxLength: nVpc });
  const vpcs = blocks.map((b, i) => ({ id: `vpc-${i}`, cidrBlocks: [b] }));
  const subnets = vpcs.flatMap((v, i) => Array.from({ length: int(1, 2) }, (_, k) => ({ id: `subnet-${i}-${k}`, vpc: v.id, cidr: `${net16(v.cidrBlocks[0]!)}.${k * 16}.0/20`, routeTable: `rtb-${i}-${k === 0 ? 0 : chance(0.5) ? 1 : 0}` })));
  const igws = vpcs.filter(() => chance(0.6)).map((v) => ({ id: `igw-${v.id.slice(4)}`, vpc: v.id }));
  const peerings: Array<{ id: string; requester: string; accepter: string; status: 'active' | 'pending-acceptance' }> = [];
  for (let a = 0; a < nVpc; a++) for (let b = a + 1; b < nVpc; b++) if (chance(0.8)) peerings.push({ id: `pcx-${a}${b}`, requester: `vpc-${a}`, accepter: `vpc-${b}`, status: chance(0.9) ? 'active' : 'pending-acceptance' });

  // Hosts: nodes (with pods), EC2 instances, one RDS.
  const hostIp = (s: { cidr: string }, n: number) => `${s.cidr.split('.').slice(0, 3).join('.')}.${n}`;
  let nextHost = 10;
  const nNodes = int(1, 3);
  const instances: Array<{ id: string; subnet: string; privateIp: string; securityGroups: string[]; sourceDestCheck: boolean; [more: string]: unknown }> = [];
  const nodes: unknown[] = [];
  const pods: Array<{ name: string; node: string; ip: string }> = [];
  for (let i = 0; i < nNodes; i++) {
    const s = pick(subnets);
    if ((opts.nft && i === 0) || chance(0.35)) {
      // An EKS-style node on the VPC CNI: two ENIs (ens5, ens6), a pod on a secondary address of each.
      const [primary, second, podA, podB] = [0, 1, 2, 3].map(() => hostIp(s, nextHost++)) as [string, string, string, string];
      const vpcBlock = vpcs.find((v) => v.id === s.vpc)!.cidrBlocks[0]!;
      instances.push({
        id: `i-node${i}`, subnet: s.id, privateIp: primary, secondaryIps: [podA], mac: `02:00:00:00:0${i}:05`, securityGroups: [], sourceDestCheck: chance(0.8),
        secondaryEnis: [{ id: `eni-0${i}c0ffee0000000${i}`, deviceIndex: 1, privateIp: second, secondaryIps: [podB], mac: `02:00:00:00:0${i}:06`, sourceDestCheck: chance(0.8) }],
      });
      const excluded = chance(0.4) ? [pick(blocks)] : [];
      nodes.push({ name: `node-${i}`, instance: `i-node${i}`, ...vpcCniNode(i, s.cidr, { primary, second, podA, podB }), iptables: mergeIptablesSave([deriveNatRules({ kind: 'aws-vpc-cni', vpcCidrs: [vpcBlock], nodeIp: primary, primaryIface: 'ens5', excludeSnatCidrs: excluded, randomizeSnat: pick(['prng', 'hashrandom', 'none'] as const) }).text, nodeRules(pick, chance)]) });
      pods.push({ name: `default/pod-${i}-0`, node: `node-${i}`, ip: podA }, { name: `default/pod-${i}-1`, node: `node-${i}`, ip: podB });
      continue;
    }
    instances.push({ id: `i-node${i}`, subnet: s.id, privateIp: hostIp(s, nextHost++), securityGroups: [], sourceDestCheck: chance(0.25) });
    nodes.push({ name: `node-${i}`, instance: `i-node${i}`, podCidr: `10.244.${i + 1}.0/24`, bridge: { name: 'cbr0', address: `10.244.${i + 1}.1` }, iptables: nodeRules(pick, chance) });
    for (let j = 0; j < int(0, 2); j++) pods.push({ name: `default/pod-${i}-${j}`, node: `node-${i}`, ip: `10.244.${i + 1}.${5 + j}` });
  }
  for (const v of vpcs) {
    if (chance(0.5)) {
      const s = pick(subnets.filter((x) => x.vpc === v.id));
      instances.push({ id: `i-host${v.id.slice(4)}`, subnet: s.id, privateIp: hostIp(s, nextHost++), securityGroups: [], sourceDestCheck: chance(0.8) });
    }
  }
  const rdsSubnet = chance(0.7) ? pick(subnets) : undefined;
  const rds = rdsSubnet ? [{ id: 'db', subnet: rdsSubnet.id, address: hostIp(rdsSubnet, 100), port: 5432, securityGroups: [] as string[] }] : [];

  const hostIps = [...instances.map((x) => x.privateIp), ...rds.map((r) => r.address)];
  const cidrs = ['0.0.0.0/0', '10.244.0.0/16', '10.0.0.0/8', ...blocks, ...hostIps.map((ip) => `${ip}/32`)];
  const ports = [undefined, 5432, 80, 53, '1024-65535', '8000-8100'] as const;

  // ipsets on some nodes, asked by a masquerade or a FORWARD rule.
  nodes.forEach((n) => {
    if (!chance(0.3) || (n as { ipAddr?: unknown }).ipAddr) return;
    const node = n as { iptables: string; ipsets?: { text: string } };
    const nets = cidrs.filter((c) => c !== '0.0.0.0/0' && chance(0.3));
    const nomatch = (chance(0.4) ? [`${pick(hostIps.length ? hostIps : ['10.244.1.5'])}/32`] : []).filter((c) => !nets.includes(c));
    node.ipsets = { text: ['create pp-nets hash:net family inet hashsize 64 maxelem 1024', ...nets.map((c) => `add pp-nets ${c}`), ...nomatch.map((c) => `add pp-nets ${c} nomatch`), ''].join('\n') };
    if (chance(0.5)) {
      const rule = pick(['-A POSTROUTING -m set --match-set pp-nets dst -o eth0 -j MASQUERADE', '-A POSTROUTING -s 10.244.0.0/16 -m set ! --match-set pp-nets dst -j MASQUERADE']);
      node.iptables = node.iptables.replace(':POSTROUTING ACCEPT [0:0]\n', `:POSTROUTING ACCEPT [0:0]\n${rule}\n`);
    } else {
      const at = node.iptables.indexOf(':OUTPUT ACCEPT [0:0]\n', node.iptables.indexOf('*filter'));
      const rule = pick(['-A FORWARD -m set --match-set pp-nets dst -j DROP', '-A FORWARD -m set --match-set pp-nets src -j ACCEPT']);
      node.iptables = `${node.iptables.slice(0, at)}:OUTPUT ACCEPT [0:0]\n${rule}\n${node.iptables.slice(at + ':OUTPUT ACCEPT [0:0]\n'.length)}`;
    }
  });

  // Policy routing on some nodes: their routes (with a second table) and ip rules.
  nodes.forEach((n, i) => {
    if (!chance(0.35) || (n as { ipAddr?: unknown }).ipAddr) return;
    const node = n as { routes?: { text: string }; ipRules?: { text: string } };
    const inst = instances[i]!;
    const sub = subnets.find((x) => x.id === inst.subnet)!;
    const gw = `${sub.cidr.split('.').slice(0, 2).join('.')}.${Number(sub.cidr.split('.')[2])}.1`;
    const pod = `10.244.${i + 1}.0/24`;
    node.routes = { text: [
      `default via ${gw} dev eth0`,
      `${sub.cidr} dev eth0 proto kernel scope link src ${inst.privateIp}`,
      `${pod} dev cbr0 proto kernel scope link src 10.244.${i + 1}.1`,
      chance(0.5) ? `default via ${gw} dev eth0 table 100` : 'blackhole default table 100',
      ...(chance(0.5) ? [`throw ${pick(blocks)} table 100`] : []),
      '',
    ].join('\n') };
    const extra = [
      `100:\tfrom ${pod} lookup 100`,
      `110:\tfrom all to ${pick(cidrs)} ${pick(['blackhole', 'unreachable', 'prohibit'])}`,
      `120:\tfrom ${pod} to ${pick(cidrs)} lookup 100`,
      `130:\tnot from 10.244.0.0/16 to ${pick(cidrs)} unreachable`,
      '90:\tfrom all iif cbr0 goto 120',
    ].filter(() => chance(0.4));
    node.ipRules = { text: ['0:\tfrom all lookup local', ...extra.sort((a, b) => parseInt(a) - parseInt(b)), '32766:\tfrom all lookup main', '32767:\tfrom all lookup default', ''].join('\n') };
  });
  const protos = ['tcp', 'udp', 'icmp', 'all'] as const;

  // Security groups, one or two per VPC, attached at random.
  const sgs = vpcs.flatMap((v) => Array.from({ length: int(1, 2) }, (_, k) => ({ id: `sg-${v.id.slice(4)}-${k}`, vpc: v.id, ingress: [] as unknown[], egress: undefined as unknown[] | undefined })));
  for (const sg of sgs) {
    sg.ingress = Array.from({ length: int(0, 3) }, () => {
      const proto = pick(protos);
      const port = proto === 'tcp' || proto === 'udp' ? pick(ports) : undefined;
      return chance(0.2) ? { proto, ...(port ? { ports: port } : {}), sg: pick(sgs.filter((x) => x.vpc === sg.vpc)).id } : { proto, ...(port ? { ports: port } : {}), cidr: pick(cidrs) };
    });
    // Some groups admit everything from a wide range, so more requests get past the SGs to meet NACLs, node rules and replies.
    if (chance(0.4)) sg.ingress.push({ proto: 'all', cidr: pick(['0.0.0.0/0', '10.0.0.0/8', '10.244.0.0/16']) });
    if (chance(0.25)) sg.egress = [{ proto: pick(protos), cidr: pick(cidrs) }];
  }
  const subnetVpc = (id: string) => subnets.find((s) => s.id === id)!.vpc;
  for (const h of [...instances, ...rds]) {
    const mine = sgs.filter((x) => x.vpc === subnetVpc(h.subnet));
    h.securityGroups = chance(0.3) ? mine.map((x) => x.id) : [pick(mine).id];
  }

  // NACLs on some subnets.
  const networkAcls: unknown[] = [];
  const naclPorts = [undefined, 5432, 53, '1024-65535', '32768-60999', '49152-65535', '0-1023'] as const;
  for (const s of subnets) {
    if (!chance(0.4)) continue;
    const entries = () => {
      const list = Array.from({ length: int(1, 3) }, () => {
        const proto = pick(protos);
        const port = proto === 'tcp' || proto === 'udp' ? pick(naclPorts) : undefined;
        return { rule: pick([100, 110, 120, 200]), proto, ...(port ? { ports: port } : {}), cidr: pick(cidrs), action: chance(0.6) ? 'allow' : 'deny' };
      });
      if (chance(0.6)) list.push({ rule: 300, proto: 'all', cidr: '0.0.0.0/0', action: 'allow' });
      return list.filter((e, i) => list.findIndex((x) => x.rule === e.rule) === i);
    };
    // Some NACLs admit every request but deny the replies leaving the subnet (ephemeral ports, or ICMP): reply-lost.
    const replyBlock = () => {
      const proto = pick(['tcp', 'udp', 'icmp'] as const);
      return [{ rule: 100, proto, ...(proto === 'icmp' ? {} : { ports: '1024-65535' }), cidr: pick(['0.0.0.0/0', '10.244.0.0/16', ...blocks]), action: 'deny' }, { rule: 300, proto: 'all', cidr: '0.0.0.0/0', action: 'allow' }];
    };
    const blocksReplies = chance(0.3);
    networkAcls.push({ id: `acl-${s.id.slice(7)}`, vpc: s.vpc, ingress: blocksReplies ? [{ rule: 100, proto: 'all', cidr: '0.0.0.0/0', action: 'allow' }] : entries(), egress: blocksReplies ? replyBlock() : entries() });
    (s as { networkAcl?: string }).networkAcl = `acl-${s.id.slice(7)}`;
  }

  // Route tables.
  const routeTables = vpcs.flatMap((v, i) => [0, 1].map((k) => {
    const routes: Array<{ destination: string; target: string }> = [];
    for (const p of peerings.filter((x) => x.requester === v.id || x.accepter === v.id)) {
      const other = p.requester === v.id ? p.accepter : p.requester;
      const c = int(0, 5);
      const dest = vpcs.find((x) => x.id === other)!.cidrBlocks[0]!;
      if (c <= 3) routes.push({ destination: dest, target: p.id });
      else if (c === 4) routes.push({ destination: dest, target: 'blackhole' });
    }
    const igw = igws.find((x) => x.vpc === v.id);
    if (igw && chance(0.7)) routes.push({ destination: '0.0.0.0/0', target: igw.id });
    const inVpc = instances.filter((x) => x.id.startsWith('i-node') && subnetVpc(x.subnet) === v.id);
    for (let n = 0; n < nNodes; n++) {
      if (!chance(0.8) || inVpc.length === 0) continue;
      const right = inVpc.find((x) => x.id === `i-node${n}`);
      routes.push({ destination: `10.244.${n + 1}.0/24`, target: (right && chance(0.85) ? right : pick(inVpc)).id });
    }
    return { id: `rtb-${i}-${k}`, vpc: v.id, main: k === 0, routes };
  }));

  const extra = opts.nft ? addNativeNft({ pick, chance }, { nodes: nodes as RawParts['nodes'], instances, pods, sgs, cidrs, blocks }) : [];
  const estate = EstateSchema.parse({
    name: 'random', vpcs, subnets, routeTables, peerings, internetGateways: igws, securityGroups: sgs.map((s) => (s.egress ? s : { ...s, egress: undefined })),
    networkAcls, instances, rdsInstances: rds, cluster: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' }, nodes, pods,
  });

  // Flows.
  const sources = [...pods.map((p) => `pod:${p.name}`), ...Array.from({ length: nNodes }, (_, i) => `node:node-${i}`), ...instances.filter((x) => x.id.startsWith('i-host')).map((x) => `instance:${x.id}`), ...rds.map((r) => `rds:${r.id}`)];
  const resolvers = blocks.map((b) => `${net16(b)}.0.2`);
  const dests = [...sources, ...resolvers];
  const flows: LabFlow[] = [];
  const sportBase = pick([2000, 33000, 50000]);
  for (let f = 0; flows.length < 11 && f < 40; f++) {
    const src = pick(sources);
    const dst = pick(dests);
    if (src === dst) continue;
    const proto = pick(['tcp', 'udp', 'icmp'] as const);
    const dport = dst.startsWith('rds:') && chance(0.7) ? 5432 : resolvers.includes(dst) && chance(0.7) ? 53 : pick([80, 53, 5432, 8080]);
    flows.push({ src, dst, proto, ...(proto === 'icmp' ? {} : { dport }), sport: sportBase + flows.length * 7 + int(0, 6) });
  }
  extra.forEach((f, k) => flows.push({ src: f.src, dst: f.dst, proto: f.proto, ...(f.proto === 'icmp' ? {} : { dport: f.dport }), sport: 61000 + k }));
  return { estate, flows: flows.filter((f) => f.src !== f.dst) };
}

/**
 * An AL2023 node's dumps under the VPC CNI (as test/examples/eks-nodes.ts
 * builds them): ens5 and ens6 by MAC, per-ENI table 2 for ens6, a /32 route
 * to each pod's veth, `to POD lookup main` (512), the connmark rule (1024) and
 * `from POD-ON-ENS6 lookup 2` (1536).
 */
function vpcCniNode(i: number, subnet: string, a: { primary: string; second: string; podA: string; podB: string }) {
  const [net, len] = subnet.split('/') as [string, string];
  const gw = net.replace(/\.0$/, '.1');
  const iface = (n: number, name: string, mac: string, ip: string) => [
    `${n}: ${name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000`,
    `    link/ether ${mac} brd ff:ff:ff:ff:ff:ff`,
    `    inet ${ip}/${len} scope global ${name}`,
    '       valid_lft forever preferred_lft forever',
  ];
  const [vethA, vethB] = [`eni${i}aa0000000a`, `eni${i}bb0000000b`];
  return {
    ipAddr: { text: [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000', '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00', '    inet 127.0.0.1/8 scope host lo',
      ...iface(2, 'ens5', `02:00:00:00:0${i}:05`, a.primary), ...iface(3, 'ens6', `02:00:00:00:0${i}:06`, a.second), '',
    ].join('\n') },
    routes: { text: [
      `default via ${gw} dev ens5 proto dhcp src ${a.primary} metric 512`, `${subnet} dev ens5 proto kernel scope link src ${a.primary} metric 512`,
      `default via ${gw} dev ens6 table 2`, `${gw} dev ens6 table 2 scope link`,
      `${a.podA} dev ${vethA} scope link`, `${a.podB} dev ${vethB} scope link`, '',
    ].join('\n') },
    ipRules: { text: [
      '0:\tfrom all lookup local', `512:\tfrom all to ${a.podA} lookup main`, `512:\tfrom all to ${a.podB} lookup main`,
      '1024:\tfrom all fwmark 0x80/0x80 lookup main', `1536:\tfrom ${a.podB} lookup 2`, '32766:\tfrom all lookup main', '32767:\tfrom all lookup default', '',
    ].join('\n') },
  };
}

/** A node's iptables-save: some masquerade rules (the seed's and others), sometimes a FORWARD, INPUT or OUTPUT rule (some REJECT: refused). */
function nodeRules(pick: <T>(xs: readonly T[]) => T, chance: (p: number) => boolean): string {
  const nat = ['-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE', '-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE', '-A POSTROUTING -d 10.244.0.0/16 -j RETURN', '-A POSTROUTING -o eth0 -j MASQUERADE', '-A POSTROUTING -d 192.168.0.0/16 -o eth0 -j MASQUERADE', '-A POSTROUTING -p udp -o eth0 -j MASQUERADE'];
  const fwd = ['-A FORWARD -p icmp -j DROP', '-A FORWARD -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable', '-A FORWARD -d 10.1.0.0/16 -j DROP', '-A FORWARD -s 10.244.0.0/16 -p tcp -m tcp --dport 5432 -j ACCEPT',
    '-A FORWARD -m conntrack --ctdir REPLY --ctorigsrc 10.244.0.0/16 --ctproto udp -j DROP', '-A FORWARD -p tcp -m conntrack --ctorigdstport 5432 --ctdir ORIGINAL ! --ctrepldst 10.244.0.0/16 -j DROP',
    '-A FORWARD -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset', '-A FORWARD -p tcp -m tcp --dport 80 -j REJECT', '-A FORWARD -d 10.244.0.0/16 -p icmp -j REJECT --reject-with icmp-host-prohibited'];
  const inp = ['-A INPUT -p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset', '-A INPUT -p udp -m udp --dport 80 -j REJECT', '-A INPUT -p icmp -m icmp --icmp-type 8 -j REJECT --reject-with icmp-admin-prohibited'];
  const out = ['-A OUTPUT -p udp -m udp --dport 8080 -j REJECT', '-A OUTPUT -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset'];
  const chosenNat = nat.filter(() => chance(0.35));
  const chosenFwd = chance(0.35) ? [pick(fwd)] : [];
  const chosenInp = chance(0.2) ? [pick(inp)] : [];
  const chosenOut = chance(0.15) ? [pick(out)] : [];
  return ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...chosenNat, 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', `:FORWARD ${chance(0.15) ? 'DROP' : 'ACCEPT'} [0:0]`, ':OUTPUT ACCEPT [0:0]', ...chosenInp, ...chosenFwd, ...chosenOut, 'COMMIT', ''].join('\n');
}
