/** `podpath diff`: the same network written two ways is unchanged; real changes show each side's verdict and deciding rule. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadInput } from '../../src/ingest/load.js';
import { canonicalNames } from '../../src/doctor/identity.js';
import { diff } from '../../src/doctor/diff.js';
import { run } from '../helpers/run-cli.js';
import { repoRoot, seedFile } from '../helpers/estates.js';

const seedSnapshot = join(repoRoot, 'examples/seed-2015');
const dir = mkdtempSync(join(tmpdir(), 'podpath-diff-'));

/** The seed estate with edits applied; each edit must apply. */
function seedWith(name: string, edits: [string, string][]): string {
  let text = readFileSync(seedFile, 'utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`edit did not apply: ${from}`);
    text = text.replace(from, to);
  }
  const f = join(dir, `${name}.estate.yaml`);
  writeFileSync(f, text);
  return f;
}

describe('diff of one network written as an estate file and recorded as a snapshot', () => {
  it('names the same elements alike on both sides though their ids differ', () => {
    const a = canonicalNames(loadInput({ estate: seedFile }));
    const b = canonicalNames(loadInput({ snapshot: seedSnapshot }));
    expect(a('pods:node-1 -> subnet:subnet-main-db')).toBe(b('pods:node-1 -> subnet:subnet-0f6a7b8c'));
    expect(a('PP105|sg-rds')).toBe(b('PP105|sg-0b6c7d8e'));
    expect(a('PP105|sg-rds')).toBe('PP105|sg(prod-db)@vpc(10.0.0.0/16)');
    expect(a('pods:node-1 -> subnet:subnet-k8s-a')).not.toBe(b('pods:node-1 -> subnet:subnet-0f6a7b8c'));
  });

  it.each([[seedFile, seedSnapshot], [seedSnapshot, seedFile]])('reports 0 changes and no finding difference (%s vs %s)', async (a, b) => {
    const r = await run('diff', a, b, '-o', 'json');
    const doc = JSON.parse(r.out) as { changes: unknown[]; unchanged: number; findingsOnlyInA: string[]; findingsOnlyInB: string[] };
    expect(doc.changes).toEqual([]);
    expect(doc.unchanged).toBeGreaterThan(20);
    expect(doc.findingsOnlyInA).toEqual([]);
    expect(doc.findingsOnlyInB).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe('diff of a real change', () => {
  // B: every node masquerades all traffic leaving eth0 (the band-aid made general), and the database VPC gains a subnet.
  const b = seedWith('changed', [
    ['      -A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE\n', '      -A POSTROUTING -o eth0 -j MASQUERADE\n'],
    ['  - id: subnet-main-db          # (assumed) the RDS subnet\n', '  - id: subnet-main-app\n    vpc: vpc-main\n    cidr: 10.0.32.0/20\n  - id: subnet-main-db          # (assumed) the RDS subnet\n'],
  ]);

  it('shows each side\'s verdict with its own deciding rule, and "not traced" instead of a verdict for a pair one side lacks', () => {
    const d = diff(loadInput({ estate: seedFile }), loadInput({ estate: b }));
    const rds = d.changes.find((c) => c.pair === 'pods:node-1 -> rds:prod-db')!;
    expect(rds).toMatchObject({ before: 'dropped', after: 'delivered', decidedInA: 'pcx-seed' });
    expect(rds.decidedInB).toBe(rds.b[0]!.decidingRule!.ref);
    expect(rds.decidedInA).toBe(rds.a.find((t) => t.verdict !== 'delivered')!.decidingRule!.ref);
    const added = d.changes.find((c) => c.pair.endsWith('subnet:subnet-main-app'))!;
    expect(added.before).toBeUndefined();
    expect(added.after).toBeDefined();
    expect(added.a).toEqual([]);
  });

  it('prints both sides in text, never the word absent', async () => {
    const r = await run('diff', seedFile, b);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/PAIR +IN A +IN B +DECIDED IN A +DECIDED IN B/);
    expect(r.out).toMatch(/pods:node-1 -> rds:prod-db +dropped +delivered +pcx-seed +\S+/);
    expect(r.out).toMatch(/-> subnet:subnet-main-app +not traced in A +delivered +- +\S+/);
    expect(r.out).not.toMatch(/absent/);
  });
});

describe('canonical names', () => {
  it('keep the ids of two elements that would get one identity', async () => {
    const { parseEstateYaml } = await import('../../src/ingest/estate-yaml.js');
    const e = parseEstateYaml([
      'vpcs: [{ id: vpc-a, cidrBlocks: [10.0.0.0/16] }]',
      'networkAcls:',
      '  - { id: acl-one, vpc: vpc-a, ingress: [], egress: [] }',
      '  - { id: acl-two, vpc: vpc-a, ingress: [], egress: [] }',
      'securityGroups: [{ id: sg-x, vpc: vpc-a, name: web }]',
    ].join('\n'), 'inline.estate.yaml');
    const c = canonicalNames(e);
    expect(c('PP106|acl-one PP106|acl-two')).toBe('PP106|acl-one PP106|acl-two');
    expect(c('PP105|sg-x')).toBe('PP105|sg(web)@vpc(10.0.0.0/16)');
  });
});
