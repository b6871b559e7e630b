/**
 * Generated kube-proxy rules behave as kube-proxy's do on a real node: ClusterIP
 * DNAT branches with probabilities summing to 1, hairpin and off-cluster
 * masquerade marks, NodePort with both external traffic policies, services
 * without endpoints rejected, replies un-DNATed by conntrack.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveKubeProxyRules, kubeProxySaveText, type KubeProxyServicePort } from '../../../src/k8s/kube-proxy/index.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { walkNodePath } from '../../../src/linux/iptables/node-path.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { loadEstateFile } from '../../../src/ingest/estate-yaml.js';
import { compileWorld } from '../../../src/trace/world.js';
import { traceFlow } from '../../../src/trace/trace.js';
import { corpus, seedFile } from '../../helpers/estates.js';
import { node, pkt } from '../../linux/iptables/helpers.js';

const NODE = 'node-a';
const nodeIp = '192.168.1.10';
const ctx = (o: Parameters<typeof node>[0] = {}) => node({ locals: [nodeIp], ifaces: { eth0: nodeIp }, ...o });

function svc(over: Partial<KubeProxyServicePort> & { endpoints: KubeProxyServicePort['endpoints'] }): KubeProxyServicePort {
  return { namespace: 'shop', name: 'web', portName: 'http', protocol: 'tcp', clusterIP: '10.96.0.20', port: 80, ...over };
}

function rules(ports: KubeProxyServicePort[], cfg: { clusterCIDR?: string; masqueradeAll?: boolean } = { clusterCIDR: '10.244.0.0/16' }): Ruleset {
  const { value, diagnostics } = parseIptablesSave({ text: kubeProxySaveText(ports, { nodeName: NODE, ...cfg }), file: 'kp' });
  expect(diagnostics).toEqual([]);
  return value;
}

const five = Array.from({ length: 5 }, (_, i) => ({ ip: `10.244.${i}.9`, port: 8080, node: i === 0 ? NODE : 'node-b' }));

describe('ClusterIP', () => {
  const rs = rules([svc({ endpoints: five })]);

  it('DNATs a pod -> ClusterIP packet to each endpoint with probability 1/5, summing to 1', () => {
    const out = walkHook(rs, 'PREROUTING', pkt('10.244.3.3', '10.96.0.20', 'tcp', 40000, 80), ctx({ inIface: 'cni0' }), 0);
    expect(out.map((h) => formatIpv4(h.packet.dst)).sort()).toEqual(five.map((e) => e.ip).sort());
    for (const h of out) expect(h.probability).toBeCloseTo(0.2, 9);
    expect(out.reduce((s, h) => s + h.probability, 0)).toBeCloseTo(1, 12);
    for (const h of out) expect(h).toMatchObject({ verdict: 'ACCEPT', mark: 0 }); // from inside the cluster CIDR: no masquerade mark
  });

  it('prints the probabilities 1/5, 1/4, 1/3, 1/2 as iptables-save does', () => {
    const text = kubeProxySaveText([svc({ endpoints: five })], { nodeName: NODE });
    expect([...text.matchAll(/--probability (\S+)/g)].map((m) => m[1])).toEqual(['0.20000000019', '0.25000000000', '0.33333333349', '0.50000000000']);
  });

  it('marks traffic from outside the cluster CIDR (the node itself) for masquerade, and MASQUERADEs it in POSTROUTING', () => {
    const [h] = walkHook(rs, 'OUTPUT', pkt(nodeIp, '10.96.0.20', 'tcp', 40000, 80), ctx({ outIface: 'eth0' }), 0);
    expect(h!.mark & 0x4000).toBe(0x4000);
    const [post] = walkHook(rs, 'POSTROUTING', h!.packet, ctx({ outIface: 'eth0' }), h!.mark);
    expect(post!.tables.at(-1)!.nat).toMatchObject({ kind: 'MASQUERADE', rule: { chain: 'KUBE-POSTROUTING' } });
    expect(post!.mark & 0x4000).toBe(0); // the mark is cleared (--set-xmark 0x4000/0x0), as kube-proxy does before MASQUERADE
  });

  it('marks hairpin traffic (an endpoint reaching itself through the service) in its KUBE-SEP chain', () => {
    const out = walkHook(rs, 'PREROUTING', pkt('10.244.0.9', '10.96.0.20', 'tcp', 40000, 80), ctx({ inIface: 'cni0' }), 0);
    const self = out.find((h) => formatIpv4(h.packet.dst) === '10.244.0.9')!;
    expect(self.mark).toBe(0x4000);
    expect(out.filter((h) => h.mark === 0x4000)).toHaveLength(1);
  });

  it('with masquerade-all marks every ClusterIP connection', () => {
    const all = rules([svc({ endpoints: five })], { masqueradeAll: true });
    const out = walkHook(all, 'PREROUTING', pkt('10.244.3.3', '10.96.0.20', 'tcp', 40000, 80), ctx({ inIface: 'cni0' }), 0);
    for (const h of out) expect(h.mark).toBe(0x4000);
  });

  it('rejects a service without endpoints in filter, as kube-proxy does', () => {
    const none = rules([svc({ endpoints: [] })]);
    const [h] = walkHook(none, 'FORWARD', pkt('10.244.3.3', '10.96.0.20', 'tcp', 40000, 80), ctx({ inIface: 'cni0', outIface: 'eth0' }), 0);
    expect(h).toMatchObject({ verdict: 'REJECT' });
    expect(h!.tables.find((t) => t.table === 'filter')!.rule!.text).toContain('shop/web:http has no endpoints');
  });

  it('internalTrafficPolicy Local uses only this node\'s endpoints, and drops when there are none', () => {
    const local = rules([svc({ endpoints: five, internalTrafficPolicy: 'Local' })]);
    const out = walkHook(local, 'PREROUTING', pkt('10.244.3.3', '10.96.0.20', 'tcp', 40000, 80), ctx({ inIface: 'cni0' }), 0);
    expect(out.map((h) => [h.probability, formatIpv4(h.packet.dst)])).toEqual([[1, '10.244.0.9']]);
    const elsewhere = rules([svc({ endpoints: five.slice(1), internalTrafficPolicy: 'Local' })]);
    const [h] = walkHook(elsewhere, 'FORWARD', pkt('10.244.3.3', '10.96.0.20', 'tcp', 40000, 80), ctx({ inIface: 'cni0', outIface: 'eth0' }), 0);
    expect(h!.verdict).toBe('DROP');
  });
});

describe('NodePort', () => {
  const np = (policy: 'Cluster' | 'Local') => rules([svc({ endpoints: five, nodePort: 30080, externalTrafficPolicy: policy })]);
  const external = pkt('203.0.113.7', nodeIp, 'tcp', 50000, 30080);

  it('Cluster policy: DNATs to every endpoint and marks for masquerade (the reply must come back through this node)', () => {
    const out = walkHook(np('Cluster'), 'PREROUTING', external, ctx({ inIface: 'eth0' }), 0);
    expect(out).toHaveLength(5);
    for (const h of out) expect(h.mark).toBe(0x4000);
  });

  it('Local policy: only this node\'s endpoint, source kept (no mark)', () => {
    const out = walkHook(np('Local'), 'PREROUTING', external, ctx({ inIface: 'eth0' }), 0);
    expect(out.map((h) => [h.probability, formatIpv4(h.packet.dst), h.mark])).toEqual([[1, '10.244.0.9', 0]]);
  });

  it('Local policy without a local endpoint: the filter table drops external traffic', () => {
    const rs = rules([svc({ endpoints: five.slice(1), nodePort: 30080, externalTrafficPolicy: 'Local' })]);
    const [h] = walkHook(rs, 'INPUT', external, ctx({ inIface: 'eth0' }), 0);
    expect(h!.verdict).toBe('DROP');
  });
});

describe('a pod -> ClusterIP packet through the node, and its reply', () => {
  it('each branch leaves DNATed and the reply returns from the ClusterIP (conntrack undoes the DNAT)', () => {
    const rs = rules([svc({ endpoints: five })]);
    const paths = walkNodePath(rs, { packet: pkt('10.244.3.3', '10.96.0.20', 'tcp', 40000, 80), start: { kind: 'arrives', inIface: 'cni0' }, outIface: 'eth0', addresses: [{ iface: 'eth0', addr: parseIpv4(nodeIp), len: 24 }] });
    expect(paths).toHaveLength(5);
    for (const p of paths) {
      expect(p.end.kind).toBe('forwarded');
      expect(p.reply!.end.kind).toBe('forwarded');
      expect(formatIpv4(p.reply!.packetOut!.src)).toBe('10.96.0.20');
      expect(p.reply!.packetOut!.sport).toBe(80);
    }
  });

  it('traceFlow on the seed estate with derived rules: pod -> cluster DNS VIP is DNATed and the reply un-DNATed', () => {
    const estate = loadEstateFile(seedFile);
    const derived = deriveKubeProxyRules(estate, 'node-1');
    expect(derived.diagnostics).toEqual([]);
    expect(derived.ruleset.derived).toMatch(/derived from 1 Services for node node-1/);
    const n = estate.nodes.find((x) => x.name === 'node-1')!;
    n.iptables = { text: derived.text, file: 'derived-kube-proxy.iptables-save', derived: derived.ruleset.derived! };
    const traces = traceFlow(compileWorld(estate), { src: 'pod:default/api-7f9', dst: '10.0.0.10:53', proto: 'udp' });
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    expect(t.verdict).toBe('delivered');
    const pre = t.forward.find((h) => h.kind === 'node-netfilter')!;
    expect(pre.packetOut).toMatchObject({ dst: '10.244.1.3', dport: 53 });
    expect(t.reply!.at(-1)!.packetOut ?? t.reply!.at(-1)!.packetIn).toMatchObject({ src: '10.0.0.10', sport: 53 });
  });
});

describe('a kube-proxy dump of 2,000 services x 5 endpoints', () => {
  let rs: Ruleset;
  let text: string;
  beforeAll(() => {
    const ports = Array.from({ length: 2000 }, (_, i) => svc({
      name: `svc-${i}`, clusterIP: formatIpv4(parseIpv4('10.96.0.0') + i), nodePort: 30000 + (i % 2000),
      endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: formatIpv4(parseIpv4('10.244.0.0') + i * 5 + j), port: 8080, node: j === 0 ? NODE : 'node-b' })),
    }));
    text = kubeProxySaveText(ports, { nodeName: NODE, clusterCIDR: '10.244.0.0/16' });
    const parsed = parseIptablesSave({ text, file: 'kp-2000x5' });
    expect(parsed.diagnostics).toEqual([]);
    rs = parsed.value;
  }, 60_000);

  it('has over 40,000 rules and parses without a diagnostic', () => {
    const n = [...rs.tables.values()].reduce((s, t) => s + [...t.chains.values()].reduce((m, c) => m + c.rules.length, 0), 0);
    expect(n).toBeGreaterThan(40_000);
    expect(n).toBe(text.split('\n').filter((l) => l.startsWith('-A')).length);
  });

  it('walks a pod -> ClusterIP packet into five DNAT branches summing to 1', () => {
    const out = walkHook(rs, 'PREROUTING', pkt('10.244.200.1', '10.96.7.207', 'tcp', 40000, 80), ctx({ inIface: 'cni0' }), 0);
    expect(out).toHaveLength(5);
    expect(out.reduce((s, h) => s + h.probability, 0)).toBeCloseTo(1, 12);
    expect(new Set(out.map((h) => h.packet.dst)).size).toBe(5);
  });
});

describe('the same rule shapes as a real kube-proxy', () => {
  it('writes the KUBE-SEP rules of the kind node verbatim for its kube-dns endpoints', () => {
    const kind = readFileSync(path.join(corpus, 'iptables-save/kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save'), 'utf8').split('\n');
    const text = kubeProxySaveText([{
      namespace: 'kube-system', name: 'kube-dns', portName: 'dns', protocol: 'udp', clusterIP: '10.96.0.10', port: 53,
      endpoints: [{ ip: '10.244.0.3', port: 53 }, { ip: '10.244.0.4', port: 53 }],
    }], { nodeName: 'kind', clusterCIDR: '10.244.0.0/16' });
    const sep = text.split('\n').filter((l) => l.startsWith('-A KUBE-SEP-'));
    expect(sep).toHaveLength(4);
    for (const l of sep) expect(kind).toContain(l);
    expect(kind).toContain(text.split('\n').find((l) => l.startsWith('-A KUBE-SERVICES -d 10.96.0.10/32')));
  });
});
