/** The lab plan (pure): naming, links, addresses and the rules derived from the estate. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { planLab } from '../../src/lab/plan.js';
import type { LabPlan } from '../../src/lab/plan-types.js';
import { isLabNamespace, newPrefix } from '../../src/lab/state.js';
import { parseCidr, contains } from '../../src/net/prefix.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Estate } from '../../src/model/estate.js';
import { repoRoot, seedFile } from '../helpers/estates.js';
import { loadInput } from '../../src/ingest/load.js';
import { join } from 'node:path';
import { arbLabCase } from './random-estates.js';

const seed = loadEstateFile(seedFile);
const linkLocal = parseCidr('169.254.0.0/16');

function estateAddresses(e: Estate): Set<string> {
  const s = new Set<string>();
  for (const i of e.instances) [i.privateIp, ...i.secondaryIps, ...i.secondaryEnis.flatMap((x) => [x.privateIp, ...x.secondaryIps])].forEach((a) => s.add(a));
  for (const r of e.rdsInstances) s.add(r.address);
  for (const p of e.pods) if (p.ip) s.add(p.ip);
  for (const n of e.nodes) if (n.bridge) s.add(n.bridge.address);
  return s;
}

/** Invariants every plan keeps (the module header of plan.ts). */
function checkInvariants(e: Estate, plan: LabPlan): void {
  const names = new Set(plan.namespaces.map((n) => n.ns));
  expect(names.size).toBe(plan.namespaces.length);
  for (const n of names) expect(n.startsWith(plan.prefix) && isLabNamespace(n)).toBe(true);
  for (const l of plan.links) {
    expect(names.has(l.a) && names.has(l.b)).toBe(true);
    expect(l.aDev.length).toBeLessThanOrEqual(15);
  }
  const known = estateAddresses(e);
  for (const n of plan.namespaces) {
    for (const line of n.ipBatch) {
      const m = /^address add (\S+)\/(\d+)/.exec(line);
      if (!m) continue;
      const ip = m[1]!;
      const isRouterGateway = n.role === 'router' && ip.endsWith('.1');
      const isResolver = n.role === 'resolver';
      expect(known.has(ip) || contains(linkLocal, parseIpv4(ip)) || isRouterGateway || isResolver, `${n.ns}: ${line}`).toBe(true);
    }
    // No namespace routes toward the root namespace: there is no link to it at all, and no default route out of the lab.
    expect(n.ipBatch.some((l) => / netns 1\b| netns \/proc/.test(l))).toBe(false);
  }
}

describe('the lab plan of an EKS node with a secondary ENI (examples/eks-vpc-cni)', () => {
  const eks = loadInput({ snapshot: join(repoRoot, 'examples/eks-vpc-cni') });
  const plan = planLab(eks, 'ppeks123-');
  const nodeNs = plan.endpoints['node:ip-10-0-1-10.eu-west-1.compute.internal']!;
  const node = plan.namespaces.find((n) => n.ns === nodeNs)!;

  it('keeps the invariants', () => checkInvariants(eks, plan));

  it('links each ENI to its own router port under the node\'s device name (ens5, ens6), and each pod by the veth its /32 route names', () => {
    const into = plan.links.filter((l) => l.b === nodeNs || l.a === nodeNs).map((l) => (l.b === nodeNs ? l.bDev : l.aDev)).sort();
    expect(into).toEqual(['eni0c5e8b2a4d1', 'eni6f3a1d9c2b7', 'eni9b2d4f6a8c0', 'ens5', 'ens6']);
    expect(plan.links.filter((l) => l.b === nodeNs).every((l) => l.a.startsWith('ppeks123-r'))).toBe(true);
  });

  it('gives the ENIs their own addresses only (pods keep theirs), the dump\'s routes and rules, and proxy ARP for the pods\' gateway', () => {
    // Secondary addresses no pod holds (the CNI's warm pool) stay the node's, as the model has them.
    expect(node.ipBatch.filter((l) => l.startsWith('address add'))).toEqual([
      'address add 10.0.1.10/19 dev ens5 noprefixroute', 'address add 10.0.1.22/32 dev ens5', 'address add 10.0.1.77/19 dev ens6 noprefixroute', 'address add 10.0.1.81/32 dev ens6',
    ]);
    expect(node.ipBatch).toEqual(expect.arrayContaining(['route replace default via 10.0.0.1 dev ens6 table 2', 'route replace 10.0.1.80 dev eni9b2d4f6a8c0 scope link', 'rule add from 10.0.1.80 lookup 2 pref 1536', 'rule add from all fwmark 0x80/0x80 lookup main pref 1024']));
    expect(node.sysctls).toContain('net.ipv4.conf.default.proxy_arp=1');
    const pod = plan.namespaces.find((n) => n.ns === plan.endpoints['pod:shop/orders-5d8b9c7f6-q7r2m'])!;
    expect(pod.ipBatch).toEqual(['link set lo up', 'address add 10.0.1.80/32 dev eth0', 'link set eth0 up', 'route add 169.254.1.1 dev eth0 scope link', 'route add default via 169.254.1.1 dev eth0']);
  });
});

describe('the lab plan', () => {
  const plan = planLab(seed, 'ppabc123-');

  it('names every namespace with the run prefix and links only planned namespaces', () => {
    checkInvariants(seed, plan);
    expect(plan.namespaces.map((n) => n.role).sort()).toEqual(['igw', 'igw', 'node', 'node', 'pod', 'pod', 'pod', 'rds', 'resolver', 'resolver', 'router', 'router']);
  });

  it('turns the RDS security group rule into a commented iptables rule in the database VPC router', () => {
    const r1 = plan.namespaces.find((n) => n.role === 'router' && n.ref === 'vpc-main')!;
    expect(r1.iptables).toMatch(/-s 172\.20\.0\.0\/16 -p tcp -m tcp --dport 5432 -m comment --comment "sg-rds#ingress\[0\]" -g IK\d+/);
  });

  it('routes each node pod CIDR to that node and checks peering sources like AWS', () => {
    const r0 = plan.namespaces.find((n) => n.role === 'router' && n.ref === 'vpc-k8s')!;
    expect(r0.ipBatch).toContain('route replace 10.244.1.0/24 via 172.20.0.23 dev e0 onlink table 300');
    expect(r0.iptables).toMatch(/-A Px0S -s 172\.20\.0\.0\/16 -j RETURN/);
    expect(r0.iptables).toMatch(/pcx-seed: source outside vpc-k8s/);
  });

  it('keeps the node iptables dump verbatim and adds inserts as iptables -I', () => {
    const node = plan.namespaces.find((n) => n.ref === 'node-1')!;
    expect(node.iptables).toBe(`${seed.nodes[0]!.iptables!.text}`);
  });

  it('keeps its invariants for random estates', () => {
    fc.assert(fc.property(arbLabCase, ({ estate }) => checkInvariants(estate, planLab(estate, newPrefix()))), { numRuns: 50 });
  });
});

describe('the lab plan of a node with a native nftables ruleset', () => {
  const withNft = (text: string, file = 'node-1/nft-ruleset.txt'): Estate => ({ ...seed, nodes: seed.nodes.map((n, i) => (i === 0 ? { ...n, nftRuleset: { text, file } } : n)) });
  const table = 'table ip pp-native {\n\tchain fwd {\n\t\ttype filter hook forward priority filter + 10; policy accept;\n\t\tudp dport 53 counter drop\n\t}\n}';
  const nodeOf = (e: Estate) => planLab(e, 'ppabc123-').namespaces.find((n) => n.ref === 'node-1')!;

  it('loads it verbatim with nft -f next to the iptables dump (JSON input with nft -j -f); other nodes get none', () => {
    const plan = planLab(withNft(table), 'ppabc123-');
    const node = plan.namespaces.find((n) => n.ref === 'node-1')!;
    expect(node.nft).toEqual({ ruleset: `${table}\n`, json: false });
    expect(node.iptables).toBe(seed.nodes[0]!.iptables!.text);
    expect(plan.namespaces.filter((n) => n.nft).map((n) => n.ref)).toEqual(['node-1']);
    const json = '{"nftables": [{"table": {"family": "ip", "name": "pp-native", "handle": 1}}]}';
    expect(nodeOf(withNft(json, 'node-1/nft-ruleset.json')).nft).toEqual({ ruleset: `${json}\n`, json: true });
  });

  it('refuses a table of iptables-nft\'s own and, next to iptables rules, a flush of the whole ruleset, naming the file', () => {
    expect(() => nodeOf(withNft(table.replace('pp-native', 'nat')))).toThrow(/node-1: nftables table ip nat is iptables-nft's own table/);
    expect(() => nodeOf(withNft(`flush ruleset\n${table}`))).toThrow(/node-1: the nftables ruleset flushes the whole ruleset/);
    expect(nodeOf({ ...withNft(`flush ruleset\n${table}`), nodes: withNft(`flush ruleset\n${table}`).nodes.map(({ iptables: _, ...n }) => n) }).nft?.ruleset).toMatch(/^flush ruleset/);
  });
});
