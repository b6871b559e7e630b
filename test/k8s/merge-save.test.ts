import { describe, expect, it } from 'vitest';
import { mergeIptablesSave } from '../../src/k8s/merge-save.js';
import { parseIptablesSave } from '../../src/linux/iptables/parse.js';

const kubeProxy = ['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', '-A PREROUTING -j KUBE-SERVICES', 'COMMIT', '*filter', ':FORWARD ACCEPT [0:0]', '-A FORWARD -j ACCEPT', 'COMMIT', ''].join('\n');
const cni = ['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':AWS-SNAT-CHAIN-0 - [0:0]', '-A POSTROUTING -j AWS-SNAT-CHAIN-0', '-A AWS-SNAT-CHAIN-0 -j SNAT --to-source 10.0.0.1', 'COMMIT', ''].join('\n');

describe('mergeIptablesSave', () => {
  it('puts both programs\' chains and rules in one table, kube-proxy first, built-ins declared once', () => {
    const text = mergeIptablesSave([kubeProxy, cni]);
    const r = parseIptablesSave({ text, file: 'merged' });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const nat = r.value.tables.get('nat')!;
    expect([...nat.chains.keys()]).toEqual(expect.arrayContaining(['AWS-SNAT-CHAIN-0', 'KUBE-SERVICES', 'POSTROUTING', 'PREROUTING']));
    expect(text.match(/^:PREROUTING/gm)).toHaveLength(1);
    expect(nat.chains.get('POSTROUTING')!.rules.map((x) => x.target?.name)).toEqual(['AWS-SNAT-CHAIN-0']);
    expect(r.value.tables.get('filter')!.chains.get('FORWARD')!.rules).toHaveLength(1);
  });
});
