import { describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/run-cli.js';
import { repoRoot, seedFile } from '../helpers/estates.js';

const dir = mkdtempSync(join(tmpdir(), 'podpath-empty-'));
const seedSnapshot = join(repoRoot, 'examples/seed-2015');

function emptyFolder(): string {
  const d = join(dir, 'empty');
  mkdirSync(d, { recursive: true });
  return d;
}
function junkFolder(): string {
  const d = join(dir, 'junk');
  mkdirSync(join(d, 'aws'), { recursive: true });
  writeFileSync(join(d, 'README.txt'), 'notes\n');
  writeFileSync(join(d, 'aws', 'whatever.json'), '{"Something": []}\n');
  return d;
}
function k8sOnlyFolder(): string {
  const d = join(dir, 'k8s-only');
  mkdirSync(d, { recursive: true });
  cpSync(join(seedSnapshot, 'k8s'), join(d, 'k8s'), { recursive: true });
  return d;
}
function emptyEstate(): string {
  const f = join(dir, 'empty.estate.yaml');
  writeFileSync(f, '{}\n');
  return f;
}

describe('nothing checked is not clean: exit 2 with one line', () => {
  it.each([
    ['an empty snapshot folder', () => ['--snapshot', emptyFolder()], /nothing to check: no describe-vpcs output was recognised.*holds no aws\/, k8s\/ or nodes\/ input/],
    ['a folder of unrecognised files', () => ['--snapshot', junkFolder()], /nothing to check: .*2 item\(s\) left out, first: .*README\.txt: not part of the snapshot layout/],
    ['Kubernetes objects without any AWS output', () => ['--snapshot', k8sOnlyFolder()], /nothing to check: no describe-vpcs output was recognised/],
    ['a {} estate', () => ['--estate', emptyEstate()], /nothing to check: the estate has no VPC/],
  ])('%s', async (_name, input, message) => {
    const args = input();
    for (const verb of [['doctor'], ['fix'], ['trace', '10.0.0.1', '10.0.0.2']]) {
      const r = await run(...verb, ...args);
      expect(r.code, verb[0]).toBe(2);
      expect(r.out).toBe('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^podpath: ${args[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      expect(lines[0]).toMatch(message);
    }
  });

  it('diff refuses an empty side', async () => {
    const r = await run('diff', seedFile, emptyFolder());
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('loader notes on stderr and in the JSON', () => {
  it('doctor on a snapshot prints each note on one prefixed stderr line and returns the same notes', async () => {
    const r = await run('doctor', '--snapshot', seedSnapshot, '-o', 'json');
    const doc = JSON.parse(r.out) as { notes: { kind: string; text: string }[] };
    expect(doc.notes.length).toBeGreaterThan(0);
    expect(doc.notes).toContainEqual(expect.objectContaining({ kind: 'derived', text: 'cluster podCidr 10.244.0.0/16 (from --cluster-cidr flag of a control-plane pod)' }));
    expect(doc.notes).toContainEqual(expect.objectContaining({ kind: 'left-out', text: expect.stringMatching(/^pod kube-system\/kube-apiserver-kubernetes-master: its node kubernetes-master is not in the snapshot/) }));
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(doc.notes.length);
    for (const l of lines) expect(l).toMatch(/^podpath: (derived|assumed|left-out|warning): /);
    expect(lines).toContain('podpath: derived: cluster podCidr 10.244.0.0/16 (from --cluster-cidr flag of a control-plane pod)');
  });

  it('trace and fix return the notes of an estate file (derived routes of nodes without ip route)', async () => {
    const t = await run('trace', '--estate', seedFile, 'node:node-1', 'rds:prod-db', '-o', 'json');
    const notes = (JSON.parse(t.out) as { notes: { kind: string; text: string }[] }).notes;
    expect(notes.map((n) => n.text)).toEqual([
      expect.stringMatching(/^node node-1 routes \(from eth0's subnet/),
      expect.stringMatching(/^node node-2 routes \(from eth0's subnet/),
    ]);
    expect(t.err).toMatch(/^podpath: derived: .*seed-2015\.estate\.yaml: node node-1 routes/);
    const f = await run('fix', '--estate', seedFile, '-o', 'json');
    expect((JSON.parse(f.out) as { notes: unknown[] }).notes).toEqual(notes);
  });

  it('an estate file missing the cluster plan says which checks that disables', async () => {
    const f = join(dir, 'no-plan.estate.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(f, readFileSync(seedFile, 'utf8').replace(/\ncluster:\n(  .*\n)+/, '\n'));
    const r = await run('doctor', '--estate', f, '-o', 'json');
    const notes = (JSON.parse(r.out) as { notes: { kind: string; text: string; disables?: string[] }[] }).notes;
    expect(notes).toContainEqual(expect.objectContaining({ kind: 'warning', text: "the cluster's podCidr is not given (cluster.podCidr)", disables: expect.arrayContaining([expect.stringMatching(/^PP103 .*not checked/)]) }));
    expect(r.err).toMatch(/podpath: warning: .*the cluster's dnsServiceIp is not given \(cluster\.dnsServiceIp\); PP104 for pods/);
  });

  it('diff labels each note with its side', async () => {
    const r = await run('diff', seedFile, seedSnapshot, '-o', 'json');
    const notes = (JSON.parse(r.out) as { notes: { side: string; text: string }[] }).notes;
    expect(new Set(notes.map((n) => n.side))).toEqual(new Set(['a', 'b']));
    expect(r.err).toMatch(/^podpath: A: derived: /m);
    expect(r.err).toMatch(/^podpath: B: derived: cluster podCidr/m);
  });

  it('an estate file may not carry notes of its own', async () => {
    const f = join(dir, 'with-notes.estate.yaml');
    writeFileSync(f, 'vpcs: []\nnotes:\n  - { kind: derived, text: made up }\n');
    const r = await run('doctor', '--estate', f);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`podpath: ${f}:3: notes are written by podpath's loaders, not read from an estate file\n`);
  });
});
