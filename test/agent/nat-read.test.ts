import { describe, expect, it } from 'vitest';
import { desiredChain, desiredJumps, defaultConfig, readNatTable, reconcile, DEFAULT_FLAGS } from '../../src/k8s/masq-agent/index.js';
import { kubeProxySaveText, type KubeProxyServicePort } from '../../src/k8s/kube-proxy/index.js';
import { parseIptablesSave } from '../../src/linux/iptables/index.js';
import { formatRule } from '../../src/linux/iptables/serialize.js';
import { formatIpv4, parseIpv4 } from '../../src/net/ipv4.js';

const ports: KubeProxyServicePort[] = Array.from({ length: 200 }, (_, i) => ({
  namespace: 't', name: `s${i}`, portName: 'http', protocol: 'tcp', clusterIP: formatIpv4(parseIpv4('10.96.0.0') + i), port: 80,
  endpoints: Array.from({ length: 3 }, (_, j) => ({ ip: formatIpv4(parseIpv4('10.244.0.0') + i * 3 + j), port: 8080 })),
}));
const spec = { config: defaultConfig(), flags: DEFAULT_FLAGS };

describe('readNatTable (the agent reads only what can matter)', () => {
  const kp = kubeProxySaveText(ports, { nodeName: 'n', clusterCIDR: '10.244.0.0/16' });
  const natOnly = kp.slice(kp.indexOf('*nat'));
  const withAgent = natOnly.replace('\nCOMMIT', `\n:PODPATH-MASQ-AGENT - [0:0]\n${desiredJumps(spec).join('\n')}\n-A KUBE-SERVICES -j PODPATH-MASQ-AGENT\n${desiredChain(spec).join('\n')}\nCOMMIT`);

  it('keeps POSTROUTING, chains reachable from it, the agent chain and jumps to it; same rules and lines as a full parse', () => {
    const part = readNatTable(withAgent, 'f').tables.get('nat')!;
    const full = parseIptablesSave({ text: withAgent, file: 'f' }).value.tables.get('nat')!;
    expect([...part.chains.values()].filter((c) => c.rules.length).map((c) => c.name).sort()).toEqual(['KUBE-POSTROUTING', 'KUBE-SERVICES', 'PODPATH-MASQ-AGENT', 'POSTROUTING']);
    for (const name of ['POSTROUTING', 'KUBE-POSTROUTING', 'PODPATH-MASQ-AGENT']) {
      expect(part.chains.get(name)!.rules.map((r) => [r.loc.line, formatRule(r)])).toEqual(full.chains.get(name)!.rules.map((r) => [r.loc.line, formatRule(r)]));
    }
    expect(part.chains.get('KUBE-SERVICES')!.rules.map((r) => r.text)).toEqual(['-A KUBE-SERVICES -j PODPATH-MASQ-AGENT']);
  });

  it('reconcile on the partial read sees the node as installed, apart from the stray jump', () => {
    const r = reconcile(spec, readNatTable(withAgent));
    expect(r.changes).toEqual([]);
    expect(r.payload).toBeUndefined();
  });
});
