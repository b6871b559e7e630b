/**
 * The AWS VPC CNI's connmark rules walked for requests and replies, on the
 * real EKS node's nat table (corpus iptables-list/eks-vpc-cni-node1, `iptables
 * -t nat -S`) with the mangle PREROUTING rules aws-node writes
 * (test/fixtures/iptables/eks-vpc-cni-mangle.iptables-save: the rules of
 * amazon-vpc-cni-k8s pkg/networkutils/network.go buildIptablesSNATRules, as
 * the kernel's iptables-save prints them; the oracle part checks that), and
 * the ip rules the CNI adds (rule 1024 `fwmark 0x80/0x80 lookup main`, as in
 * the corpus trunk node, before a secondary-ENI pod's `from POD lookup 2`).
 *
 * What the rules are for (network.go comments): outbound pod connections to
 * non-VPC destinations get ctmark 0x80 in nat PREROUTING, copied to the packet
 * mark, so rule 1024 routes them by the main table out of the primary ENI where
 * AWS-SNAT-CHAIN-0 SNATs them, even for a pod on a secondary ENI; connections
 * arriving on eth0 for a primary-ENI address (NodePorts) get ctmark 0x80 in
 * mangle, restored on the pod's reply from `eni+`, so the reply leaves by eth0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIptablesListing } from '../../../src/linux/iptables/listing.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { restoreNoflush } from '../../../src/linux/iptables/restore.js';
import { walkNodePath, type NodePath, type PathStep } from '../../../src/linux/iptables/node-path.js';
import { lookupPolicyRoute, parseIpRule } from '../../../src/linux/route/ip-rule.js';
import { parseIpRoute } from '../../../src/linux/route/ip-route.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import type { Packet } from '../../../src/net/packet.js';
import { corpusDir, fixturesDir } from './helpers.js';
import { openNetns, oracleUnavailable, type Netns } from './netns.js';

const NODE = '172.31.23.106';
const ETH1 = '172.31.25.5';
const POD = '172.31.20.89';
const natFile = join(corpusDir, 'iptables-list/eks-vpc-cni-node1.iptables-t-nat-S.txt');
const mangleText = readFileSync(join(fixturesDir, 'eks-vpc-cni-mangle.iptables-save'), 'utf8');

const nat = parseIptablesListing({ text: readFileSync(natFile, 'utf8'), file: 'eks-vpc-cni-node1.iptables-t-nat-S.txt' }, 'nat');
const mangle = parseIptablesSave({ text: mangleText, file: 'eks-vpc-cni-mangle.iptables-save' });
const rs = restoreNoflush(nat.value, mangle.value);

/** ip rules of a VPC CNI node with the pod on secondary ENI eth1 (table 2), as `ip rule` prints them. */
const rules = parseIpRule({ text: `0:\tfrom all lookup local\n512:\tfrom all to ${POD} lookup main\n1024:\tfrom all fwmark 0x80/0x80 lookup main\n1536:\tfrom ${POD} lookup 2\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n`, file: 'ip-rule' }).value;
const routes = parseIpRoute({ text: `default via 172.31.16.1 dev eth0\n172.31.16.0/20 dev eth0 proto kernel scope link src ${NODE}\n${POD} dev eni8ca2e41546c scope link\ndefault via 172.31.16.1 dev eth1 table 2\n172.31.16.1 dev eth1 scope link table 2\n`, file: 'ip-route' }).value;

const addresses = [{ iface: 'eth0', addr: parseIpv4(NODE), len: 20 }, { iface: 'eth1', addr: parseIpv4(ETH1), len: 20 }];
const pkt = (src: string, dst: string, dport: number, proto: 'tcp' | 'udp' = 'tcp'): Packet => ({ src: parseIpv4(src), dst: parseIpv4(dst), proto, sport: 40000, dport });
const step = (steps: PathStep[], hook: string) => steps.find((s) => s.hook === hook)!;
const matched = (s: PathStep, table: string) => s.outcome.tables.filter((t) => t.table === table).flatMap((t) => t.matched.map((r) => r.text));
/** The device the node's policy routing picks after a hook, with the mark the walk left on the packet. */
const routeAfter = (s: PathStep, iif: string) => {
  const d = lookupPolicyRoute(rules, routes, { src: s.outcome.packet.src, dst: s.outcome.packet.dst, proto: s.outcome.packet.proto, sport: s.outcome.packet.sport, dport: s.outcome.packet.dport, mark: s.outcome.mark, iif });
  return d.kind === 'route' ? `${d.route.dev} (table ${d.route.table}, rule ${d.rule.priority})` : d.kind;
};
const noUnknown = (p: NodePath) => {
  expect(p.end.kind).not.toBe('unknown');
  expect(p.reply?.end.kind).not.toBe('unknown');
};

describe('the corpus EKS nat dump with aws-node\'s mangle rules', () => {
  it('reads both without errors', () => {
    expect(nat.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(mangle.diagnostics).toEqual([]);
  });

  it('pod to the internet: ctmark and mark 0x80 in PREROUTING, rule 1024 routes it out of eth0, SNAT to the node; the reply is routed back to the pod', () => {
    const [p] = walkNodePath(rs, { packet: pkt(POD, '8.8.8.8', 443), start: { kind: 'arrives', inIface: 'eni8ca2e41546c' }, outIface: 'eth0', addresses });
    noUnknown(p!);
    const pre = step(p!.steps, 'PREROUTING');
    expect(matched(pre, 'mangle')).toEqual(['-A PREROUTING -i eni+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80']);
    expect(matched(pre, 'nat')).toContain('-A AWS-CONNMARK-CHAIN-0 -m comment --comment "AWS, CONNMARK" -j CONNMARK --set-xmark 0x80/0x80');
    expect(pre.outcome).toMatchObject({ mark: 0x80, connmark: 0x80 });
    expect(routeAfter(pre, 'eni8ca2e41546c')).toBe('eth0 (table main, rule 1024)');
    expect(formatIpv4(p!.packetOut!.src)).toBe(NODE);
    // The reply: mangle sees it addressed to the node on eth0 (before conntrack undoes the SNAT) and keeps ctmark 0x80.
    const back = step(p!.reply!.steps, 'PREROUTING');
    expect(formatIpv4(back.packetIn.dst)).toBe(NODE);
    expect(matched(back, 'mangle')).toEqual(['-A PREROUTING -i eth0 -m comment --comment "AWS, primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80']);
    expect(back.outcome.connmark).toBe(0x80);
    expect(formatIpv4(back.outcome.packet.dst)).toBe(POD);
    expect(routeAfter(back, 'eth0')).toBe('eni8ca2e41546c (table main, rule 512)');
  });

  it('the same pod inside the VPC: AWS-CONNMARK-CHAIN-0 returns, no mark, the pod\'s own table routes it out of its ENI, no SNAT', () => {
    const [p] = walkNodePath(rs, { packet: pkt(POD, '172.31.40.1', 443), start: { kind: 'arrives', inIface: 'eni8ca2e41546c' }, outIface: 'eth1', addresses });
    noUnknown(p!);
    const pre = step(p!.steps, 'PREROUTING');
    expect(matched(pre, 'nat')).toContain('-A AWS-CONNMARK-CHAIN-0 -d 172.31.0.0/16 -m comment --comment "AWS CONNMARK CHAIN, VPC CIDR" -j RETURN');
    expect(pre.outcome).toMatchObject({ mark: 0, connmark: 0 });
    expect(routeAfter(pre, 'eni8ca2e41546c')).toBe('eth1 (table 2, rule 1536)');
    expect(formatIpv4(p!.packetOut!.src)).toBe(POD);
  });

  it('a Service DNAT ends nat PREROUTING before the connmark jump: the connection keeps ctmark 0', () => {
    const paths = walkNodePath(rs, { packet: pkt(POD, '10.100.0.10', 53, 'udp'), start: { kind: 'arrives', inIface: 'eni8ca2e41546c' }, outIface: 'eth0', addresses });
    expect(paths).toHaveLength(2);
    for (const p of paths) {
      noUnknown(p);
      const pre = step(p.steps, 'PREROUTING').outcome;
      expect(pre.connmark).toBe(0);
      expect(pre.mark & 0x80).toBe(0); // 0x4000 on the branch that hairpins to the pod itself (KUBE-MARK-MASQ)
    }
  });

  it('--limit-iface-in: a connection to eth0\'s address on eth0 is marked; one to the secondary ENI\'s address arriving on eth0 is not', () => {
    const [own] = walkNodePath(rs, { packet: pkt('203.0.113.2', NODE, 22), start: { kind: 'arrives', inIface: 'eth0' }, addresses });
    noUnknown(own!);
    expect(step(own!.steps, 'PREROUTING').outcome.connmark).toBe(0x80);
    const [other] = walkNodePath(rs, { packet: pkt('203.0.113.2', ETH1, 22), start: { kind: 'arrives', inIface: 'eth0' }, addresses });
    noUnknown(other!);
    expect(step(other!.steps, 'PREROUTING').outcome.connmark).toBe(0);
    expect(matched(step(other!.steps, 'PREROUTING'), 'mangle')).toEqual([]);
  });

  it('without the node\'s addresses, --limit-iface-in answers unknown, naming what is missing', () => {
    const [p] = walkNodePath(rs, { packet: pkt('203.0.113.2', NODE, 22), start: { kind: 'arrives', inIface: 'eth0' }, outIface: 'eth0' });
    expect(p!.end).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('--limit-iface-in') });
  });
});

describe('the older VPC CNI connmark layout (corpus kops-vpc-cni-master: -m state --state NEW, AWS-CONNMARK-CHAIN-1)', () => {
  it('marks a pod\'s outbound connection and leaves the VPC alone', () => {
    const kops = parseIptablesListing({ text: readFileSync(join(corpusDir, 'iptables-list/kops-vpc-cni-master.iptables-t-nat-S.txt'), 'utf8'), file: 'kops' }, 'nat');
    expect(kops.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const k = restoreNoflush(kops.value, mangle.value);
    const addrs = [{ iface: 'ens5', addr: parseIpv4('172.30.47.189'), len: 19 }];
    const out = walkNodePath(k, { packet: pkt('172.30.50.7', '8.8.8.8', 443), start: { kind: 'arrives', inIface: 'eni1234' }, outIface: 'ens5', addresses: addrs });
    expect(step(out[0]!.steps, 'PREROUTING').outcome).toMatchObject({ mark: 0x80, connmark: 0x80 });
    const inVpc = walkNodePath(k, { packet: pkt('172.30.50.7', '172.30.9.9', 443), start: { kind: 'arrives', inIface: 'eni1234' }, outIface: 'ens5', addresses: addrs });
    expect(step(inVpc[0]!.steps, 'PREROUTING').outcome).toMatchObject({ mark: 0, connmark: 0 });
  });
});

const unavailable = oracleUnavailable();

describe.skipIf(unavailable !== undefined)('the mangle fixture is what the kernel keeps of aws-node\'s rules', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
  });
  afterAll(() => ns?.close());

  it('iptables -A with network.go\'s arguments, read back with iptables-save, is the fixture byte for byte', () => {
    const add = (args: string[]) => expect(ns.exec('iptables', ['-t', 'mangle', '-A', 'PREROUTING', ...args]).stderr).toBe('');
    add(['-m', 'comment', '--comment', 'AWS, primary ENI', '-i', 'eth0', '-m', 'addrtype', '--dst-type', 'LOCAL', '--limit-iface-in', '-j', 'CONNMARK', '--set-mark', '0x80/0x80']);
    add(['-m', 'comment', '--comment', 'AWS, primary ENI', '-i', 'eni+', '-j', 'CONNMARK', '--restore-mark', '--mask', '0x80']);
    add(['-m', 'comment', '--comment', 'AWS, primary ENI', '-i', 'vlan+', '-j', 'CONNMARK', '--restore-mark', '--mask', '0x80']);
    const saved = ns.exec('iptables-save', ['-t', 'mangle']).stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(saved).toBe(mangleText);
  });
});
