/**
 * aws/amazon-vpc-cni-k8s issue 3563, shaped like the report
 * (examples/nft-vpc-cni-service-mark): kube-proxy in nftables mode, the VPC
 * CNI's connmark rules in iptables nat PREROUTING see a Service packet before
 * kube-proxy's DNAT, mark it 0x80, and policy routing sends a secondary-ENI
 * pod's packet out of the primary ENI, whose source/destination check drops it.
 * The README's commands run as written; the fix (PR 3588's native table after
 * kube-proxy's DNAT) delivers through ens6 and changes no other flow; the
 * issue's workaround (the Service CIDR excluded from SNAT) delivers too but also
 * un-SNATs pods to the peered RDS, whose address is inside that range. The node
 * files are the kernel's output (rebuilt in a throwaway namespace and compared).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInput } from '../../src/ingest/load.js';
import { compileWorld } from '../../src/trace/world.js';
import type { Hop, Trace } from '../../src/trace/types.js';
import { doctor } from '../../src/doctor/doctor.js';
import { repoRoot, traceAll } from '../helpers/estates.js';
import { run } from '../helpers/run-cli.js';
import { oracleUnavailable } from '../linux/iptables/netns.js';
import { nftUnavailable } from '../linux/nftables/netns-nft.js';
import { EKS_NODES } from './eks-nodes.js';
import { nodeDumps } from './nft-service-mark-build.js';

const example = join(repoRoot, 'examples/nft-vpc-cni-service-mark');
const found = join(example, 'snapshot');
const fixed = mkdtempSync(join(tmpdir(), 'podpath-3563-fixed-'));
cpSync(found, fixed, { recursive: true });
cpSync(join(example, 'fixed/nodes'), join(fixed, 'nodes'), { recursive: true });
const workaround = mkdtempSync(join(tmpdir(), 'podpath-3563-workaround-'));
cpSync(found, workaround, { recursive: true });
cpSync(join(example, 'workaround/nodes'), join(workaround, 'nodes'), { recursive: true });
afterAll(() => [fixed, workaround].forEach((d) => rmSync(d, { recursive: true, force: true })));

const ORDERS = 'pod:shop/orders-5d8b9c7f6-q7r2m';
const NODE_A = 'ip-10-0-1-10.eu-west-1.compute.internal';
const routeHop = (hops: { kind: string }[]) => hops.find((h) => h.kind === 'node-route') as { outIface?: string; notes: string[] } | undefined;

/** The commands of the README, as written there. */
const readme = readFileSync(join(example, 'README.md'), 'utf8');
const commands = [...readme.matchAll(/^podpath (trace .*)$/gm)].map((m) => m[1]!.split(/\s+/).map((a) => a.replace('examples/', `${repoRoot}/examples/`).replace('/tmp/3563-fixed', fixed)));

describe('issue 3563: the README walkthrough', () => {
  it('has the as-found and the fixed trace', () => expect(commands).toHaveLength(2));

  it('as found: nat PREROUTING marks the ClusterIP packet 0x80 (iptables-save.txt:40), rule 1024 routes it out ens5, the primary ENI drops it', async () => {
    const r = await run(...commands[0]!, '-o', 'json');
    expect(r.code).toBe(1);
    const [t] = JSON.parse(r.out).traces as Trace[];
    expect(t!.verdict).toBe('dropped');
    const pre = t!.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.packetOut).toMatchObject({ dst: '10.0.33.20', dport: 8080 });
    expect(pre.notes.some((n) => /iptables-save\.txt:40 \(-j CONNMARK\)/.test(n))).toBe(true);
    expect(pre.notes).toContain('assumed: entries of equal priority -100 run iptables first (the kernel orders them by registration)');
    const route = routeHop(t!.forward)!;
    expect(route.outIface).toBe('ens5');
    expect(route.notes.some((n) => n.startsWith('ip rule 1024: from all fwmark 0x80/0x80 lookup main'))).toBe(true);
    const last = t!.forward.at(-1)!;
    expect(last).toMatchObject({ kind: 'eni', decision: 'drop', packetIn: { src: '10.0.1.80' } });
    expect(last.rule!.ref).toMatch(/#sourceDestCheck$/);
  });

  it('fixed: kube-proxy\'s DNAT ends nat PREROUTING before aws-cni\'s chain, rule 1536 routes out ens6, delivered and answered', async () => {
    const r = await run(...commands[1]!, '-o', 'json');
    expect(r.code).toBe(0);
    const [t] = JSON.parse(r.out).traces as Trace[];
    expect(t!.verdict).toBe('delivered');
    const pre = t!.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.notes).toContain('ip aws-cni nat-prerouting skipped: an earlier nat chain of this hook already set up NAT (nf_nat_inet_fn stops there)');
    const route = routeHop(t!.forward)!;
    expect(route.outIface).toBe('ens6');
    expect(route.notes.some((n) => n.startsWith('ip rule 1536: from 10.0.1.80 lookup 2'))).toBe(true);
    expect(t!.reply!.at(-1)).toMatchObject({ kind: 'pod', at: 'shop/orders-5d8b9c7f6-q7r2m' });
  });
});

describe('issue 3563: every flow before and after the fix', () => {
  const worlds = { found: compileWorld(loadInput({ snapshot: found })), fixed: compileWorld(loadInput({ snapshot: fixed })), workaround: compileWorld(loadInput({ snapshot: workaround })) };
  const estate = loadInput({ snapshot: found });
  const pods = estate.pods.filter((p) => p.ip).map((p) => `pod:${p.name}`);
  const nodes = estate.nodes.map((n) => `node:${n.name}`);
  const flows: { src: string; dst: string; proto: 'tcp' | 'udp' }[] = [];
  for (const src of [...pods, ...nodes]) {
    for (const dst of pods) if (src !== dst) flows.push({ src, dst: `${dst}:8080`, proto: 'tcp' });
    flows.push({ src, dst: '172.20.112.40:80', proto: 'tcp' }, { src, dst: '172.20.0.10:53', proto: 'udp' }, { src, dst: '172.20.0.10:53', proto: 'tcp' }, { src, dst: 'rds:orders-db', proto: 'tcp' });
  }
  /** What a hop did, without rule locations (line numbers differ between the two dumps). */
  const shape = (h: Hop) => ({ kind: h.kind, at: h.at, decision: h.decision, in: h.packetIn, out: h.packetOut, ...('outIface' in h ? { outIface: h.outIface } : {}) });
  const summary = (t: Trace) => ({ verdict: t.verdict, forward: t.forward.map(shape), reply: t.reply?.map(shape) });
  const secondaryPods = new Set(['10.0.1.80', '10.0.33.80']);
  const nodeOf = new Map(estate.pods.map((p) => [p.ip, p.node]));

  it.each(['fixed', 'workaround'] as const)('%s: secondary-ENI pods to Service endpoints on another node change, from dropped at the primary ENI to delivered; the workaround also takes SNAT from pods to the peered RDS', (variant) => {
    let changed = 0;
    let compared = 0;
    let rdsUnSnated = 0;
    for (const f of flows) {
      const before = traceAll(worlds.found, f);
      const after = traceAll(worlds[variant], f);
      expect(after.length, `${f.src} -> ${f.dst}`).toBe(before.length);
      before.forEach((b, i) => {
        compared++;
        const a = after[i]!;
        const srcIp = b.forward[0]!.packetIn.src;
        const pre = b.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING');
        const dnatTo = pre && pre.packetOut && pre.packetOut.dst !== pre.packetIn.dst ? pre.packetOut.dst : undefined;
        const expectChange = f.src.startsWith('pod:') && secondaryPods.has(srcIp) && dnatTo !== undefined && nodeOf.get(dnatTo) !== nodeOf.get(srcIp);
        if (expectChange) {
          changed++;
          expect(b.verdict, `${f.src} -> ${f.dst} before`).toBe('dropped');
          expect(b.forward.at(-1)!.kind).toBe('eni');
          expect(routeHop(b.forward)!.outIface).toBe('ens5');
          expect(a.verdict, `${f.src} -> ${f.dst} after`).toBe('delivered');
          expect(routeHop(a.forward)!.outIface).toBe('ens6');
        } else if (variant === 'workaround' && f.dst === 'rds:orders-db') {
          // 172.20.10.25 is inside the excluded Service CIDR (it overlaps the peered VPC): no SNAT, the RDS sees the pod;
          // a node's own packet, SNATed to its own address before, now passes untranslated (same packets).
          expect(a.verdict).toBe('delivered');
          if (f.src.startsWith('pod:')) {
            rdsUnSnated++;
            expect(b.forward.at(-1)!.packetIn.src).not.toBe(srcIp);
            expect(a.forward.at(-1)!.packetIn.src).toBe(srcIp);
          } else {
            const packets = (t: Trace) => [...t.forward, ...(t.reply ?? [])].map((h) => [h.kind, h.at, h.packetIn, h.packetOut]);
            expect(packets(a)).toEqual(packets(b));
          }
        } else {
          expect(summary(a), `${f.src} -> ${f.dst}`).toEqual(summary(b));
        }
      });
    }
    // orders (node A's ens6) to api and to node B's CoreDNS over udp and tcp; CoreDNS on node B's ens6 to node A's CoreDNS (udp, tcp).
    expect(changed).toBe(5);
    expect(rdsUnSnated).toBe(variant === 'workaround' ? 5 : 0);
    expect(compared).toBeGreaterThan(60);
  });

  it('the peered RDS is still reached with the node\'s SNAT: aws-cni\'s snat-mark chain marks it 0x80 after the fix', () => {
    const [b] = traceAll(worlds.found, { src: ORDERS, dst: 'rds:orders-db', proto: 'tcp' });
    const [a] = traceAll(worlds.fixed, { src: ORDERS, dst: 'rds:orders-db', proto: 'tcp' });
    for (const t of [a!, b!]) {
      expect(t.verdict).toBe('delivered');
      expect(routeHop(t.forward)!.outIface).toBe('ens5');
      expect(t.forward.at(-1)!.packetIn.src).toBe('10.0.1.10');
    }
    const pre = a!.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.notes.some((n) => n.includes('nft aws-cni nat-prerouting: matched') && n.includes('jump snat-mark'))).toBe(true);
  });

  it('a pod hairpinned to its own Service is masqueraded to the node\'s first address (its veth holds none)', () => {
    const [t] = traceAll(worlds.found, { src: 'pod:shop/api-6b7c8d9e5-m4n5p', dst: '172.20.112.40:80', proto: 'tcp' });
    expect(t!.verdict).toBe('delivered');
    expect(t!.forward.at(-1)!.packetIn.src).toBe('10.0.33.10');
  });

  it('walks iptables-nft\'s own tables from iptables-save.txt, not from the nft listing\'s translation', () => {
    const [t] = traceAll(worlds.found, { src: ORDERS, dst: '172.20.112.40:80', proto: 'tcp' });
    const pre = t!.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.kind === 'node-netfilter' && pre.tables.map((x) => x.table)).toEqual(['mangle', 'nft ip kube-proxy', 'nat', 'nft ip kube-proxy']);
    expect(pre.notes.some((n) => n.startsWith('nft ip mangle PREROUTING, ip nat PREROUTING skipped: iptables-nft'))).toBe(true);
  });
});

describe.skipIf(oracleUnavailable() ?? nftUnavailable())('issue 3563: the node files are the kernel\'s', () => {
  const stable = (s: string) => s.replace(/^# (Generated by|Completed on) .*$/gm, '');
  it.each(EKS_NODES.flatMap((n) => (['found', 'fixed', 'workaround'] as const).map((v) => [n.name, v] as const)))('%s (%s) rebuilt in a namespace prints the same files', (name, variant) => {
    const node = EKS_NODES.find((n) => n.name === name)!;
    const dir = join(example, variant === 'found' ? 'snapshot' : variant, 'nodes', name);
    for (const [f, text] of Object.entries(nodeDumps(node, variant))) expect(stable(text), f).toBe(stable(readFileSync(join(dir, f), 'utf8')));
  });
  it('node A as found holds no kube-proxy iptables rule (nftables mode)', () => {
    expect(readFileSync(join(found, 'nodes', NODE_A, 'iptables-save.txt'), 'utf8')).not.toContain('KUBE-SERVICES');
  });
});

describe('issue 3563: podpath doctor', () => {
  const secondary = (r: ReturnType<typeof doctor>) => r.pairs.filter((p) => p.src.endsWith(':eni1') && p.dst === 'services');
  it('as found: the pods behind a secondary ENI are their own source class, and their Service traffic is dropped at the primary ENI (PP107)', () => {
    const r = doctor(loadInput({ snapshot: found }));
    const pairs = secondary(r);
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.some((p) => p.verdict === 'dropped')).toBe(true);
    const f = r.findings.find((x) => x.id === 'PP107' && x.pairs.some((p) => p.src.endsWith(':eni1') && p.dst === 'services'));
    expect(f?.title).toMatch(/^source\/dest check on eni-of-i-\w+ drops /);
  });
  it('fixed: every pair of the secondary-ENI pods is delivered, and no PP107 remains', () => {
    const r = doctor(loadInput({ snapshot: fixed }));
    expect(secondary(r).map((p) => p.verdict)).toEqual(secondary(r).map(() => 'delivered'));
    expect(r.pairs.filter((p) => p.src.endsWith(':eni1')).every((p) => p.verdict === 'delivered')).toBe(true);
    expect(r.findings.filter((x) => x.id === 'PP107')).toEqual([]);
  });
});
