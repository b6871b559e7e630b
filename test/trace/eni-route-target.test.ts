/** A VPC route whose target is a secondary ENI (`eni-...`, device index 1+) takes the packet to that interface. */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../src/trace/world.js';
import { fixture, repoRoot, traceOne, worldFromYaml } from '../helpers/estates.js';

const base = readFileSync(fixture('eks-secondary-eni'), 'utf8');
/** The EKS fixture with a route in the cluster VPC's table toward 192.0.2.0/24 via `target`. */
const withRoute = (target: string) => worldFromYaml(base.replace(
  '      - { destination: 10.1.0.0/16, target: pcx-eks-data }\n  - id: rtb-data',
  `      - { destination: 10.1.0.0/16, target: pcx-eks-data }\n      - { destination: 192.0.2.0/24, target: ${target} }\n  - id: rtb-data`,
));

describe('route target: a secondary ENI', () => {
  it('sends the packet to the named ENI of n1 (ens6), whose source/dest check drops it: it is not the destination', () => {
    const t = traceOne(withRoute('eni-0b2c3d4e5f6a7b8c9'), { src: 'pod:api', dst: '192.0.2.10:443' });
    const route = t.forward.find((h) => h.kind === 'route-table')!;
    expect(route).toMatchObject({ decision: 'forward', rule: { ref: 'rtb-eks#192.0.2.0/24' } });
    expect(route.notes.join(' ')).toContain('10.0.1.77');
    expect(t.forward.at(-1)).toMatchObject({ kind: 'eni', at: 'eni-0b2c3d4e5f6a7b8c9', direction: 'ingress', decision: 'drop' });
    expect(t.verdict).toBe('dropped');
  });

  it('an ENI id the estate does not hold stays unknown, naming it', () => {
    const t = traceOne(withRoute('eni-0123456789abcdef0'), { src: 'pod:api', dst: '192.0.2.10:443' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toContain('eni-0123456789abcdef0');
  });
});

describe('route target: a secondary ENI, from describe-route-tables', () => {
  it('keeps NetworkInterfaceId of an instance\'s secondary interface as that ENI (no warning), and a trace reaches it', () => {
    const copy = mkdtempSync(join(tmpdir(), 'podpath-eni-route-'));
    try {
      cpSync(join(repoRoot, 'examples/eks-vpc-cni'), copy, { recursive: true });
      const path = join(copy, 'aws/describe-route-tables.json');
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { RouteTables: { Routes: object[] }[] };
      doc.RouteTables[0]!.Routes.push({ DestinationCidrBlock: '192.0.2.0/24', NetworkInterfaceId: 'eni-0a11b22c33d44e552', Origin: 'CreateRoute', State: 'active' });
      writeFileSync(path, JSON.stringify(doc, null, 2));
      const { estate, notes } = inspectSnapshot(copy);
      expect(estate.routeTables[0]!.routes).toContainEqual(expect.objectContaining({ destination: '192.0.2.0/24', target: 'eni-0a11b22c33d44e552' }));
      expect(notes.warnings.map((w) => w.message).join('\n')).not.toContain('eni-0a11b22c33d44e552');
      const t = traceOne(compileWorld(estate), { src: 'pod:shop/api-6b7c8d9e5-m4n5p', dst: '192.0.2.10:443' });
      expect(t.forward.at(-1)).toMatchObject({ kind: 'eni', at: 'eni-0a11b22c33d44e552', decision: 'drop' });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
