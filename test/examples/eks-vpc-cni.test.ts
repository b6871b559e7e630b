/**
 * The EKS example (examples/eks-vpc-cni and its clean variant): the node dumps
 * are the kernel's (rebuilt in a throwaway namespace and compared), pods reach
 * pods across nodes without NAT, the peered RDS sees the node address
 * (AWS-SNAT-CHAIN-0), DNS through the kube-dns ClusterIP answers on every
 * branch, doctor reports the Service CIDR / peer overlap from describe-cluster
 * alone, and the clean variant has no finding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInput } from '../../src/ingest/load.js';
import { doctor } from '../../src/doctor/doctor.js';
import { compileWorld } from '../../src/trace/world.js';
import { repoRoot, traceAll } from '../helpers/estates.js';
import { openNetns, oracleUnavailable, type Netns } from '../linux/iptables/netns.js';
import { buildCommands, EKS_NODES, iptablesInput, SYSCTLS } from './eks-nodes.js';
import type { Trace } from '../../src/trace/types.js';
import { parseIpAddr, selectSourceWithoutAddress } from '../../src/linux/ip-addr.js';
import { formatIpv4 } from '../../src/net/ipv4.js';

const example = join(repoRoot, 'examples/eks-vpc-cni');
const clean = join(repoRoot, 'examples/eks-vpc-cni-clean');
const estate = loadInput({ snapshot: example });
const w = compileWorld(estate);
const podsOn = (node: string) => estate.pods.filter((p) => p.node === node).map((p) => p.name);
const [nodeA, nodeB] = EKS_NODES.map((n) => n.name) as [string, string];
const primaryIp = new Map(EKS_NODES.map((n) => [n.name, n.enis[0]!.ip]));

/** Every trace of the flow (one per -m statistic branch). */
const traces = (src: string, dst: string, proto: 'tcp' | 'udp' = 'tcp'): Trace[] => traceAll(w, { src, dst, proto });

describe('the EKS example: pods across nodes, the peered RDS, DNS', () => {
  it('has pods on both ENIs of each node (ens5 and ens6)', () => {
    const routesOf = (node: string) => estate.nodes.find((n) => n.name === node)!.ipRules!.text;
    for (const n of [nodeA, nodeB]) expect(routesOf(n)).toMatch(/^1536:\tfrom \S+ lookup 2$/m);
  });

  it.each([[nodeA, nodeB], [nodeB, nodeA]])('delivers every pod on %s to every pod on %s without NAT, both ways', (from, to) => {
    for (const src of podsOn(from)) {
      for (const dst of podsOn(to)) {
        const [t, ...more] = traces(`pod:${src}`, `pod:${dst}:8080`);
        expect(more).toEqual([]);
        expect(t!.verdict, `${src} -> ${dst}`).toBe('delivered');
        expect([...t!.forward, ...t!.reply!].some((h) => h.decision === 'nat')).toBe(false);
        const srcIp = estate.pods.find((p) => p.name === src)!.ip;
        expect(t!.forward.at(-1)!.packetIn.src).toBe(srcIp);
      }
    }
  });

  it('a pod on the secondary ENI leaves by ens6 to another node (rule 1536), and the reply comes back through ens6\'s ENI', () => {
    const [t] = traces('pod:shop/orders-5d8b9c7f6-q7r2m', 'pod:shop/api-6b7c8d9e5-m4n5p:8080');
    expect(t!.forward.find((h) => h.kind === 'node-route')).toMatchObject({ outIface: 'ens6' });
    expect(t!.reply!.find((h) => h.kind === 'security-group' && h.direction === 'ingress')?.at).toBe('eni-0a11b22c33d44e552');
  });

  it.each(estate.pods.map((p) => [p.name, p.node]))('%s reaches the peered RDS; the RDS sees its node\'s primary address (AWS-SNAT-CHAIN-0), and the reply is un-NATed back to the pod', (pod, node) => {
    const [t, ...more] = traces(`pod:${pod}`, 'rds:orders-db');
    expect(more).toEqual([]);
    expect(t!.verdict).toBe('delivered');
    expect(t!.forward.find((h) => h.kind === 'node-route')).toMatchObject({ outIface: 'ens5' });
    const snat = t!.forward.find((h) => h.decision === 'nat')!;
    expect(snat.rule!.text).toMatch(/^-A AWS-SNAT-CHAIN-0 .* -j SNAT --to-source /);
    expect(t!.forward.at(-1)).toMatchObject({ kind: 'target', packetIn: { src: primaryIp.get(node), dst: '172.20.10.25' } });
    expect(t!.forward.find((h) => h.kind === 'peering')?.decision).toBe('forward');
    expect(t!.reply!.at(-1)).toMatchObject({ kind: 'pod', at: pod });
  });

  it.each(estate.pods.map((p) => [p.name]))('DNS from %s through the kube-dns ClusterIP 172.20.0.10 is delivered on every branch, udp and tcp', (pod) => {
    for (const proto of ['udp', 'tcp'] as const) {
      const all = traces(`pod:${pod}`, '172.20.0.10:53', proto);
      expect(all).toHaveLength(2);
      expect(all.map((t) => t.verdict)).toEqual(['delivered', 'delivered']);
      const reached = all.map((t) => t.forward.find((h) => h.decision === 'nat' && h.packetOut!.dst !== '172.20.0.10')?.packetOut?.dst).sort();
      expect(reached).toEqual(['10.0.1.21', '10.0.33.80']);
      // A CoreDNS pod sent to itself (hairpin) is masqueraded (KUBE-MARK-MASQ); its veth holds no address,
      // so the kernel takes the node's first global address.
      const self = all.find((t) => t.forward.some((h) => h.decision === 'nat' && h.packetOut!.dst === t.forward[0]!.packetIn.src));
      if (pod.includes('coredns')) expect(self).toBeDefined();
      if (self) expect(self.forward.find((h) => h.decision === 'nat' && h.packetOut!.src !== h.packetIn.src)?.packetOut?.src).toBe(primaryIp.get(estate.pods.find((p) => p.name === pod)!.node));
    }
  });
});

describe('broadcast addresses on the node', () => {
  it.each(['10.0.31.255', '255.255.255.255'])('a pod\'s packet to %s is delivered to its node itself, not forwarded or dropped', (dst) => {
    const [t, ...more] = traces('pod:shop/web-7c9f8d6b5-xk2lp', `${dst}:53`, 'udp');
    expect(more).toEqual([]);
    expect(t!.forward.find((h) => h.kind === 'node-route')).toMatchObject({ decision: 'accept', outIface: 'lo' });
    expect(t!.forward.at(-1)).toMatchObject({ kind: 'host', at: nodeA, decision: 'deliver' });
    expect(t!.verdict).toBe('delivered');
  });

  it('the node\'s own packet to a broadcast address is unknown (sent on the link and looped back), naming it', () => {
    const [t] = traces(`node:${nodeA}`, '10.0.31.255:53', 'udp');
    expect(t!.verdict).toBe('unknown');
    expect(t!.reason).toContain('10.0.31.255 is a broadcast address');
  });
});

describe('podpath doctor on the EKS example', () => {
  it('reports the Service CIDR (from describe-cluster) overlapping the peered data VPC as PP102', () => {
    const r = doctor(estate);
    const f = r.findings.find((x) => x.id === 'PP102')!;
    expect(f.title).toBe('Service CIDR 172.20.0.0/16 overlaps vpc-0a7b6c5d4e3f21098 block 172.20.0.0/16');
    // Two nodes, each with pods behind its primary ENI and pods behind a secondary ENI (their own class: routed apart).
    expect(r.pairs.filter((p) => p.src.startsWith('pods:') && p.dst === 'rds:orders-db').map((p) => p.verdict)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(r.sources.filter((s) => s.kind === 'pods').map((s) => s.key).filter((k) => k.endsWith(':eni1'))).toHaveLength(2);
  });

  it('reports PP102 from describe-cluster alone: with no Service, EndpointSlice or ClusterIP in the snapshot', () => {
    const copy = mkdtempSync(join(tmpdir(), 'podpath-eks-'));
    try {
      cpSync(example, copy, { recursive: true });
      rmSync(join(copy, 'k8s/services.json'));
      rmSync(join(copy, 'k8s/endpointslices.json'));
      const e = loadInput({ snapshot: copy });
      expect(e.cluster?.clusterIPs ?? []).toEqual([]);
      expect(e.cluster?.serviceCidr).toBe('172.20.0.0/16');
      expect(doctor(e).findings.map((f) => f.key)).toContain('PP102|172.20.0.0/16');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('reports no finding on the clean variant (the data VPC moved to 10.1.0.0/16), with the same cluster and nodes', () => {
    for (const dir of ['k8s', ...EKS_NODES.map((n) => `nodes/${n.name}`)]) {
      for (const f of readdirSync(join(example, dir))) {
        expect(readFileSync(join(clean, dir, f), 'utf8'), `${dir}/${f}`).toBe(readFileSync(join(example, dir, f), 'utf8'));
      }
    }
    const r = doctor(loadInput({ snapshot: clean }));
    expect(r.findings.map((f) => `${f.key}: ${f.title}`)).toEqual([]);
    expect(r.pairs.length).toBeGreaterThan(20);
    expect(r.pairs.every((p) => p.verdict === 'delivered')).toBe(true);
  });
});

const unavailable = oracleUnavailable();
const lines = (text: string) => text.split('\n').map((l) => l.trimEnd()).filter(Boolean);
/** iptables-save lines that carry rules and chains (not the date comments, counters zeroed). */
const ruleLines = (text: string) => lines(text).filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]$/, '[0:0]'));

describe.skipIf(unavailable !== undefined).each(EKS_NODES)('the example\'s node $name, checked by the kernel', (node) => {
  let ns: Netns;
  const file = (f: string) => readFileSync(join(example, 'nodes', node.name, f), 'utf8');
  beforeAll(() => {
    ns = openNetns();
    for (const args of SYSCTLS) ns.exec('sysctl', args);
    for (const args of buildCommands(node)) {
      const r = ns.exec('ip', args);
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
  });
  afterAll(() => ns?.close());

  it.each([
    ['ip-route.txt', ['route', 'show', 'table', 'all']],
    ['ip-rule.txt', ['rule']],
    ['ip-addr.txt', ['addr']],
  ])('%s is what the rebuilt node prints, line for line', (f, args) => {
    expect(lines(ns.exec('ip', args).stdout)).toEqual(lines(file(f)));
  });

  it('a pod\'s veth holds no IPv4 address: the source the kernel selects for it (ip route get) is the one the model\'s MASQUERADE takes', () => {
    const ifaces = parseIpAddr({ text: file('ip-addr.txt') }).value;
    for (const pod of node.enis.flatMap((e) => e.pods)) {
      const got = /\bsrc (\S+)/.exec(ns.exec('ip', ['route', 'get', pod.ip]).stdout)?.[1];
      expect(got).toBe(formatIpv4(selectSourceWithoutAddress(ifaces, pod.veth)!));
    }
  });

  it.skipIf(node.name !== nodeA).each(['10.0.31.255', '255.255.255.255'])('the kernel routes a pod\'s packet to %s to local delivery (broadcast ... dev lo), as the model does', (dst) => {
    const pod = node.enis[0]!.pods[0]!;
    const out = ns.exec('ip', ['route', 'get', dst, 'from', pod.ip, 'iif', pod.veth]).stdout;
    expect(out).toMatch(new RegExp(`^broadcast ${dst.replace(/\./g, '\\.')} from ${pod.ip} dev lo\\b`));
  });

  it('iptables-save.txt is accepted by iptables-restore --test and is what the kernel saves after restoring the rules kube-proxy, kubelet and aws-node write', () => {
    expect(ns.restore(file('iptables-save.txt'), { test: true })).toEqual({ ok: true, stderr: '' });
    expect(ns.restore(iptablesInput(node)).ok).toBe(true);
    expect(ruleLines(ns.save())).toEqual(ruleLines(file('iptables-save.txt')));
  });
});
