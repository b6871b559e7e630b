import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runDemo } from '../../src/cli/commands/demo.js';
import { loadSnapshot, inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import type { DemoScene } from '../../src/report/model.js';
import { repoRoot, seedFile } from '../helpers/estates.js';

const seedDir = join(repoRoot, 'examples/seed-2015');

/** What a scene concluded: verdicts and the kind of each deciding rule (file line vs AWS resource). */
function conclusions(scenes: DemoScene[]) {
  return scenes.map((s) => ({
    title: s.title,
    traces: s.traces.map((t) => ({ verdict: t.verdict, rule: t.decidingRule ? ('file' in t.decidingRule.at ? 'file-line' : t.decidingRule.at.awsId.split('-')[0]) : 'none' })),
  }));
}

describe('the seed scenario as a snapshot folder (examples/seed-2015)', () => {
  it('gives the same diagnosis as the embedded demo: every scene, verdict and deciding-rule kind', () => {
    const embedded = runDemo({}).report as { scenes: DemoScene[] };
    const snapshot = runDemo({ snapshot: seedDir }).report as { scenes: DemoScene[] };
    expect(snapshot.scenes.length).toBe(embedded.scenes.length);
    expect(conclusions(snapshot.scenes)).toEqual(conclusions(embedded.scenes));
    expect(snapshot.scenes.map((s) => s.traces[0]!.verdict)).toContain('delivered');
  });

  it('holds the same resources as the YAML seed, by count and by address', () => {
    const snap = loadSnapshot(seedDir);
    const yaml = loadEstateFile(seedFile);
    for (const key of ['vpcs', 'subnets', 'routeTables', 'peerings', 'internetGateways', 'securityGroups', 'instances', 'rdsInstances', 'nodes', 'pods', 'services'] as const) {
      expect(snap[key].length, key).toBe(yaml[key].length);
    }
    expect(snap.rdsInstances[0]!.address).toBe(yaml.rdsInstances[0]!.address);
    expect(snap.pods.map((p) => [p.name, p.ip])).toEqual(yaml.pods.map((p) => [p.name, p.ip]));
    expect(snap.cluster).toMatchObject({ podCidr: yaml.cluster!.podCidr, serviceCidr: yaml.cluster!.serviceCidr, dnsServiceIp: yaml.cluster!.dnsServiceIp });
  });

  it('cites node dumps by their own file and line', () => {
    const embedded = runDemo({ snapshot: seedDir }).report as { scenes: DemoScene[] };
    const masq = embedded.scenes[1]!.traces[0]!.contributing.find((c) => c.rule.text.includes('MASQUERADE'));
    expect(masq?.rule.ref).toMatch(/examples\/seed-2015\/nodes\/node-1\/iptables-save\.txt:12$/);
  });

  it('reads the RDS address from its network interface and says so', () => {
    const { notes } = inspectSnapshot(seedDir);
    expect(notes.derived.find((d) => d.what.startsWith('RDS prod-db'))?.from).toMatch(/RDSNetworkInterface|network interface eni-/);
    expect(notes.warnings).toEqual([]);
  });
});
