import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixture, repoRoot, seedFile } from '../helpers/estates.js';
import { run } from '../helpers/run-cli.js';

describe('podpath trace', () => {
  it('prints a hop table and exits 0 for a delivered flow', async () => {
    const r = await run('trace', '--estate', fixture('peering-clean'), 'pod:shop/orders-5d8', 'rds:orders-db');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/verdict: DELIVERED/);
    expect(r.out).toMatch(/netfilter POSTROUTING .*100\.96\.1\.20:40000 > 192\.168\.5\.10:5432 => 172\.31\.3\.7:40000/);
  });

  it('exits 1 for an undelivered flow and gives the same trace as JSON', async () => {
    const r = await run('trace', '--estate', seedFile, 'pod:default/api-7f9', 'rds:prod-db', '-o', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.traces[0]).toMatchObject({ schemaVersion: 1, verdict: 'dropped', flow: { srcIp: '10.244.1.5', dstIp: '10.0.18.52', dport: 5432 } });
    expect(doc.traces[0].forward.at(-1)).toMatchObject({ kind: 'peering', rule: { ref: 'pcx-seed' } });
  });
});

describe('podpath demo', () => {
  it('tells the seed story from real traces, as text and as JSON', async () => {
    const text = await run('demo');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/node -> RDS \(psql from the node\): delivered/);
    expect(text.out).toMatch(/pod -> RDS, as found: dropped/);
    expect(text.out).toMatch(/pod -> RDS with the band-aid on every node: delivered/);
    const json = JSON.parse((await run('demo', '-o', 'json')).out);
    expect(json.kind).toBe('demo');
    const verdicts = json.scenes.map((s: { traces: { verdict: string }[] }) => s.traces[0]!.verdict);
    expect(verdicts.slice(0, 4)).toEqual(['delivered', 'dropped', 'dropped', 'delivered']);
    const bandAid = json.scenes[3].traces[0];
    expect(bandAid.decidingRule.text).toMatch(/-d 10\.0\.18\.52\/32 -o eth0 -j MASQUERADE/);
  });
});

describe('the podpath executable', () => {
  const tsx = join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  it('runs as a process: demo exits 0, bad input exits 2 with one line on stderr', () => {
    const ok = execFileSync(process.execPath, [tsx, 'bin/podpath.ts', 'demo'], { cwd: repoRoot, encoding: 'utf8' });
    expect(ok).toMatch(/== Summary/);
    const bad = spawnSync(process.execPath, [tsx, 'bin/podpath.ts', 'trace', '--estate', 'nope.yaml', 'a', 'b'], { cwd: repoRoot, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('podpath trace from outside the estate', () => {
  const example = join(repoRoot, 'examples/tgw-egress.estate.yaml');

  it('takes --entry for a source that enters by a transit gateway attachment', async () => {
    const r = await run('trace', '--estate', example, '10.0.99.9', '10.1.1.10:22', '--entry', 'tgw-attach-egress', '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).traces[0]).toMatchObject({ verdict: 'delivered', flow: { srcIp: '10.0.99.9' } });
  });

  it('refuses --from-internet with a source inside the estate (exit 2)', async () => {
    const r = await run('trace', '--estate', example, '10.1.1.10', '10.2.1.10:22', '--from-internet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/inside the estate/);
  });
});
