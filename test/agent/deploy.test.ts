import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/k8s/masq-agent/index.js';
import { repoRoot } from '../helpers/estates.js';

const read = (f: string) => readFileSync(join(repoRoot, 'deploy', f), 'utf8');

describe('deploy/', () => {
  it('the example ConfigMap is a valid agent config (and masquerades the peered VPC)', () => {
    const cm = parseYaml(read('configmap.yaml')) as { metadata: { name: string; namespace: string }; data: { config: string } };
    expect(cm.metadata).toEqual({ name: 'podpath-agent', namespace: 'kube-system' });
    const r = parseAgentConfig(cm.data.config, 'configmap.yaml');
    expect(r.warnings).toEqual([]);
    expect('value' in r && r.value.masqueradeCIDRs).toEqual(['10.0.0.0/16']);
  });

  it('the DaemonSet runs on the host network with NET_ADMIN, a node-critical priority, every toleration, and probes /healthz', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a Kubernetes manifest read as plain data
    const ds = parseYaml(read('daemonset.yaml')) as { spec: { template: { spec: Record<string, any> } } };
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    const c = pod.containers[0];
    expect(c.securityContext.capabilities.add).toContain('NET_ADMIN');
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 9745 });
    expect(c.args).toContain('--config=/etc/config/podpath-agent');
    expect(pod.volumes.find((v: { name: string }) => v.name === 'config').configMap.items[0]).toEqual({ key: 'config', path: 'podpath-agent' });
  });

  it('RBAC is a ServiceAccount without a token (no API calls)', () => {
    const docs = parseAllDocuments(read('rbac.yaml')).map((d) => d.toJSON() as { kind: string; automountServiceAccountToken?: boolean } | null).filter(Boolean);
    expect(docs).toEqual([expect.objectContaining({ kind: 'ServiceAccount', automountServiceAccountToken: false })]);
  });
});
