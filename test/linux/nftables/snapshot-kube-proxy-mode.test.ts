/**
 * kube-proxy in nftables mode in a snapshot (kube-system ConfigMap
 * kube-proxy-config / kube-proxy, or the DaemonSet's --proxy-mode): a node
 * without an nft dump is traced through the ruleset kube-proxy's nftables mode
 * writes for the snapshot's Services (derived, said in a loader note and in
 * every cited rule's file name), not through iptables-mode rules. Snapshot
 * folders are built in a tmp dir from the issue 3563 example's aws/ and k8s/.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectSnapshot } from '../../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../../src/trace/world.js';
import { repoRoot, traceAll } from '../../helpers/estates.js';

const example = join(repoRoot, 'examples/nft-vpc-cni-service-mark/snapshot');
const NODE_A = 'ip-10-0-1-10.eu-west-1.compute.internal';
const WEB = 'pod:shop/web-7c9f8d6b5-xk2lp';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A copy of the example snapshot with `edit` applied (files relative to the snapshot; undefined deletes).
 * Node folders keep their dumps with `keepDumps`, else only addresses, routes and policy rules.
 */
function snapshot(edit: Record<string, string | undefined>, keepDumps = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-kpmode-'));
  dirs.push(dir);
  cpSync(example, dir, { recursive: true, filter: (src) => keepDumps || !/(iptables-save|nft-ruleset)\.txt$/.test(src) });
  for (const [f, text] of Object.entries(edit)) {
    if (text === undefined) rmSync(join(dir, f), { force: true });
    else writeFileSync(join(dir, f), text);
  }
  return dir;
}

const configMap = (name: string, key: string, config: string) => JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [{ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'kube-system' }, data: { [key]: config } }] });
const daemonSet = (args: string[], awsNode = true) => JSON.stringify({ kind: 'List', apiVersion: 'v1', items: [
  ...(awsNode ? JSON.parse(readFileSync(join(example, 'k8s/daemonsets.json'), 'utf8')).items : []),
  { kind: 'DaemonSet', apiVersion: 'apps/v1', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'kube-proxy', command: ['kube-proxy'], args }] } } } },
] });

function load(dir: string) {
  const l = inspectSnapshot(dir);
  const notes = l.estate.notes?.map((n) => n.text) ?? [];
  return { l, notes, w: compileWorld(l.estate) };
}

describe('kube-proxy nftables mode in a snapshot without nft dumps', () => {
  it('EKS kube-proxy-config `mode: "nftables"`, no iptables or nft dump: pod -> ClusterIP is DNATed by the derived nft rules; no iptables KUBE-SERVICES', () => {
    const { l, notes, w } = load(snapshot({}));
    expect(notes.some((n) => n.startsWith('kube-proxy mode nftables (from ') && n.includes('ConfigMap kube-system/kube-proxy-config config mode: nftables'))).toBe(true);
    expect(notes.some((n) => n.startsWith(`node ${NODE_A} kube-proxy rules (nftables) (from 2 Services`))).toBe(true);
    const node = l.estate.nodes.find((n) => n.name === NODE_A)!;
    expect(node.nftRuleset?.derived).toMatch(/^kube-proxy \(nftables mode\) rules derived from 3 Service ports/);
    expect(node.iptables?.text).not.toContain('KUBE-SERVICES');
    const [t, ...more] = traceAll(w, { src: WEB, dst: '172.20.112.40:80', proto: 'tcp' });
    expect(more).toEqual([]);
    expect(t!.verdict).toBe('delivered');
    const pre = t!.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.decision).toBe('nat');
    expect(pre.packetOut).toMatchObject({ dst: '10.0.33.20', dport: 8080 });
    expect(pre.rule!.ref).toMatch(/^kube-proxy-nftables\.nft \(derived: kube-proxy \(nftables mode\) rules derived from 3 Service ports\):\d+$/);
    expect(pre.rule!.text).toBe('meta l4proto tcp dnat to 10.0.33.20:8080');
    expect(traceAll(w, { src: WEB, dst: '172.20.0.10:53', proto: 'udp' }).map((x) => x.verdict)).toEqual(['delivered', 'delivered']);
  });

  it('kubeadm\'s ConfigMap kube-proxy config.conf with `mode: iptables` keeps the iptables-mode rules', () => {
    const { notes, l, w } = load(snapshot({ 'k8s/configmaps.json': configMap('kube-proxy', 'config.conf', 'kind: KubeProxyConfiguration\nmode: iptables\n') }));
    expect(notes.some((n) => /^kube-proxy mode iptables \(from .*ConfigMap kube-system\/kube-proxy config.conf mode: iptables\)$/.test(n))).toBe(true);
    const node = l.estate.nodes.find((n) => n.name === NODE_A)!;
    expect(node.nftRuleset).toBeUndefined();
    expect(node.iptables?.text).toContain('KUBE-SERVICES');
    const [t] = traceAll(w, { src: WEB, dst: '172.20.112.40:80', proto: 'tcp' });
    expect(t!.verdict).toBe('delivered');
    expect(t!.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!.rule!.text).toMatch(/-j DNAT --to-destination 10\.0\.33\.20:8080/);
  });

  it('the DaemonSet flag --proxy-mode=nftables, with no ConfigMap', () => {
    const { notes, l } = load(snapshot({ 'k8s/configmaps.json': undefined, 'k8s/daemonsets.json': daemonSet(['--proxy-mode=nftables', '--v=2']) }));
    expect(notes.some((n) => n.startsWith('kube-proxy mode nftables') && n.includes('DaemonSet kube-proxy --proxy-mode=nftables'))).toBe(true);
    expect(l.estate.nodes.every((n) => n.nftRuleset?.derived !== undefined)).toBe(true);
  });

  it('without a CNI profile to derive iptables rules from, the node gets empty iptables tables, not iptables-mode kube-proxy rules', () => {
    const { l, w } = load(snapshot({ 'k8s/configmaps.json': undefined, 'k8s/daemonsets.json': daemonSet(['--proxy-mode=nftables'], false) }));
    const node = l.estate.nodes.find((n) => n.name === NODE_A)!;
    expect(node.iptables).toMatchObject({ text: '', derived: expect.stringContaining('kube-proxy runs in nftables mode') });
    const ruleset = w.nodes.get(NODE_A)!.ruleset;
    expect([...ruleset.tables.keys()]).toEqual([]);
  });

  it('the ConfigMap wins over the flag (kube-proxy lets --config override flags); an empty mode is the iptables default', () => {
    const { notes, l } = load(snapshot({ 'k8s/configmaps.json': configMap('kube-proxy', 'config.conf', 'mode: ""\nnftables:\n  syncPeriod: 30s\n'), 'k8s/daemonsets.json': daemonSet(['--proxy-mode', 'nftables']) }));
    expect(notes.find((n) => n.startsWith('kube-proxy mode '))).toMatch(/^kube-proxy mode iptables \(from .*ConfigMap kube-system\/kube-proxy config.conf \(no mode: the default\)\)$/);
    expect(l.estate.nodes.some((n) => n.nftRuleset)).toBe(false);
  });

  it('node dumps without nft-ruleset: the iptables dump is walked and kube-proxy\'s nft rules are derived beside it (the 3563 failure shows)', () => {
    const dir = snapshot({}, true);
    for (const n of [NODE_A, 'ip-10-0-33-10.eu-west-1.compute.internal']) rmSync(join(dir, 'nodes', n, 'nft-ruleset.txt'));
    const { w } = load(dir);
    const [t] = traceAll(w, { src: 'pod:shop/orders-5d8b9c7f6-q7r2m', dst: '172.20.112.40:80', proto: 'tcp' });
    expect(t!.verdict).toBe('dropped');
    expect(t!.forward.find((h) => h.kind === 'node-route')).toMatchObject({ outIface: 'ens5' });
  });

  it('an iptables dump holding KUBE-SERVICES contradicts nftables mode: warned, traced as read, nothing derived', () => {
    const dir = snapshot({}, true);
    const eks = join(repoRoot, 'examples/eks-vpc-cni/nodes', NODE_A, 'iptables-save.txt');
    rmSync(join(dir, 'nodes', NODE_A, 'nft-ruleset.txt'));
    writeFileSync(join(dir, 'nodes', NODE_A, 'iptables-save.txt'), readFileSync(eks, 'utf8'));
    const { notes, l } = load(dir);
    expect(notes.some((n) => n.includes(`node ${NODE_A}: kube-proxy runs in nftables mode`) && n.includes('holds KUBE-SERVICES'))).toBe(true);
    expect(l.estate.nodes.find((n) => n.name === NODE_A)!.nftRuleset).toBeUndefined();
  });
});
