/**
 * The kube-proxy nftables-mode generator against kube-proxy's own test
 * ruleset (TestTracePacketV4): for the Services whose rules the generator
 * covers (svc1: one endpoint; svc3 and svc4: NodePort/external IP with Cluster policy, two
 * endpoints for svc4), the generated chains carry the same names and rules, and
 * the maps the same elements; nft -c -f accepts the generated text; the
 * corpus's flows to those Services trace the same on the generated rules.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../helpers/estates.js';
import { kubeProxyNftText } from '../../../src/k8s/kube-proxy-nft/rules.js';
import type { KubeProxyServicePort } from '../../../src/k8s/kube-proxy/rules.js';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import type { NftRuleset } from '../../../src/linux/nftables/types.js';
import { tracePaths } from './trace-helper.js';
import { nftUnavailable, openNftNetns } from './netns-nft.js';

const ports: KubeProxyServicePort[] = [
  { namespace: 'ns1', name: 'svc1', portName: 'p80', protocol: 'tcp', clusterIP: '172.30.0.41', port: 80, endpoints: [{ ip: '10.180.0.1', port: 80 }] },
  { namespace: 'ns3', name: 'svc3', portName: 'p80', protocol: 'tcp', clusterIP: '172.30.0.43', port: 80, nodePort: 3003, endpoints: [{ ip: '10.180.0.3', port: 80 }] },
  { namespace: 'ns4', name: 'svc4', portName: 'p80', protocol: 'tcp', clusterIP: '172.30.0.44', port: 80, externalIPs: ['192.168.99.33'], endpoints: [{ ip: '10.180.0.4', port: 80 }, { ip: '10.180.0.5', port: 80 }] },
];
const generated = parseNftText(kubeProxyNftText(ports, { clusterCIDR: '10.0.0.0/8' }).text, 'generated.nft');
const upstream = parseNftText(readFileSync(join(corpus, 'kube-proxy-nft-tests/01-TestTracePacketV4.nft'), 'utf8'), 'upstream.nft');
const chains = (rs: NftRuleset, re: RegExp) => Object.fromEntries([...rs.tables[0]!.chains.values()].filter((c) => re.test(c.name)).map((c) => [c.name, c.rules.map((r) => r.stmts)]));
const elements = (rs: NftRuleset, set: string, re: RegExp) => rs.tables[0]!.sets.get(set)!.elements.filter((e) => e.value && !Array.isArray(e.value) && re.test(e.value.target ?? '')).map((e) => JSON.stringify([e.key, e.value])).sort();

describe('kube-proxy nftables rules generated from Services', () => {
  const ours = /ns[134]\/svc[134]\//;
  it('writes the chains kube-proxy writes for svc1, svc3 and svc4, names and rules alike', () => {
    expect(chains(generated, ours)).toEqual(chains(upstream, ours));
    expect(Object.keys(chains(generated, ours))).toHaveLength(2 + 3 + 4);
  });
  it('fills service-ips and service-nodeports with the same elements', () => {
    expect(elements(generated, 'service-ips', ours)).toEqual(elements(upstream, 'service-ips', ours));
    expect(elements(generated, 'service-nodeports', ours)).toEqual(elements(upstream, 'service-nodeports', ours));
  });
  it.each([['10.0.0.2', '172.30.0.41', 80], ['10.0.0.2', '172.30.0.44', 80], ['203.0.113.2', '192.168.99.33', 80], ['10.0.0.2', '192.168.0.2', 3003]])('traces %s -> %s:%i as on the upstream ruleset', (src, dst, port) => {
    const ends = (rs: NftRuleset) => tracePaths(rs, src, dst, port).map((p) => [p.end.kind, p.packetOut, p.probability]);
    expect(ends(generated)).toEqual(ends(upstream));
  });
});

describe.skipIf(nftUnavailable())('the generated ruleset and nft', () => {
  it('passes nft -c -f, with and without Services lacking endpoints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppgen-'));
    const ns = openNftNetns();
    try {
      const file = join(dir, 'gen.nft');
      const none: KubeProxyServicePort = { namespace: 'ns6', name: 'svc6', portName: 'p80', protocol: 'tcp', clusterIP: '172.30.0.46', port: 80, nodePort: 3006, endpoints: [] };
      writeFileSync(file, kubeProxyNftText([...ports, none], { clusterCIDR: '10.0.0.0/8' }).text);
      expect(ns.load(file, true)).toMatchObject({ ok: true });
    } finally {
      ns.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
