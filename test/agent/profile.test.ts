import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../src/trace/world.js';
import { traceFlow } from '../../src/trace/trace.js';
import { deriveNatRules } from '../../src/k8s/profiles/index.js';
import { parseIptablesSave } from '../../src/linux/iptables/index.js';
import { repoRoot } from '../helpers/estates.js';

const tmp = mkdtempSync(join(tmpdir(), 'podpath-agent-profile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The seed snapshot without node-1's dump and without the podpath.yaml CNI hint, plus a ConfigMap. */
function seedWith(configMap: unknown, name: string): string {
  const dir = join(tmp, name);
  cpSync(join(repoRoot, 'examples/seed-2015'), dir, { recursive: true });
  rmSync(join(dir, 'nodes/node-1/iptables-save.txt'));
  rmSync(join(dir, 'podpath.yaml'));
  writeFileSync(join(dir, 'k8s/configmaps.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [configMap] }));
  return dir;
}
const example = parseYaml(readFileSync(join(repoRoot, 'deploy/configmap.yaml'), 'utf8')) as { data: { config: string } };

describe("podpath reads the agent's ConfigMap as the node's masquerade profile", () => {
  it('derives exactly the rules the agent writes (its chain, podpath keys, every rule commented)', () => {
    const d = deriveNatRules({ kind: 'ip-masq-agent', chain: 'PODPATH-MASQ-AGENT', nonMasqueradeCIDRs: ['10.0.0.0/8'], masqueradeCIDRs: ['10.0.0.0/16'], podCIDRs: ['10.244.0.0/16'] });
    const { value, diagnostics } = parseIptablesSave({ text: d.text, file: 'd' });
    expect(diagnostics).toEqual([]);
    const chain = value.tables.get('nat')!.chains.get('PODPATH-MASQ-AGENT')!;
    expect(chain.rules.map((r) => r.target!.name)).toEqual(['MASQUERADE', 'RETURN', 'RETURN', 'MASQUERADE']);
    expect(value.tables.get('nat')!.chains.get('POSTROUTING')!.rules[0]!.text).toMatch(/^-A POSTROUTING -s 10\.244\.0\.0\/16 .*-j PODPATH-MASQ-AGENT$/);
    expect(d.derived).toMatch(/podpath-agent/);
  });

  it('the seed with the example ConfigMap and no node dump: pod -> RDS is delivered, masqueraded by the agent chain', () => {
    const estate = loadSnapshot(seedWith(example, 'podpath-agent'));
    const [t, ...more] = traceFlow(compileWorld(estate), { src: 'pod:default/api-7f9', dst: 'rds:prod-db' });
    expect(more).toEqual([]);
    expect(t!.verdict).toBe('delivered');
    expect(JSON.stringify(t!.forward)).toContain('PODPATH-MASQ-AGENT');
  });

  it("ip-masq-agent's own ConfigMap ignores podpath's keys (as ip-masq-agent does): pod -> RDS stays dropped", () => {
    const estate = loadSnapshot(seedWith({ ...example, metadata: { name: 'ip-masq-agent', namespace: 'kube-system' } }, 'ip-masq-agent'));
    const [t, ...more] = traceFlow(compileWorld(estate), { src: 'pod:default/api-7f9', dst: 'rds:prod-db' });
    expect(more).toEqual([]);
    expect(t!.verdict).toBe('dropped');
  });
});
