import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/run-cli.js';
import { fixture, seedFile } from '../helpers/estates.js';


const dir = mkdtempSync(join(tmpdir(), 'podpath-bad-'));
/** Writes a variant of the seed estate with one edit; returns its path and the edited line number. */
function seedWith(name: string, find: string | RegExp, replace: string, marker = replace.split('\n')[0]!.trim()): { file: string; line: number } {
  const text = readFileSync(seedFile, 'utf8');
  const edited = text.replace(find, replace);
  if (edited === text) throw new Error(`edit ${name} did not apply`);
  const file = join(dir, `${name}.estate.yaml`);
  writeFileSync(file, edited);
  const line = edited.split('\n').findIndex((l) => l.includes(marker)) + 1;
  return { file, line };
}

describe('bad input: one line with file:line, exit 2, no stack trace', () => {
  it.each([
    ['malformed YAML', () => seedWith('malformed', '  - id: vpc-main\n', '  - id: vpc-main\n   bad: [unclosed\n', 'bad: [unclosed'), /YAML/],
    ['a bad CIDR', () => seedWith('bad-cidr', 'cidr: 10.0.16.0/20', 'cidr: 10.0.16.0/33'), /CIDR|prefix length/],
    ['a CIDR with host bits', () => seedWith('host-bits', 'cidr: 10.0.16.0/20', 'cidr: 10.0.18.52/20'), /host bits set.*did you mean 10\.0\.16\.0\/20/],
    ['a route to a missing peering', () => seedWith('missing-pcx', '{ destination: 172.20.0.0/16, target: pcx-seed }', '{ destination: 172.20.0.0/16, target: pcx-gone }'), /peering connection 'pcx-gone' does not exist.*did you mean pcx-seed/],
    ['a truncated iptables-save', () => seedWith('truncated', /      COMMIT\n      # Completed on Tue Sep 29 10:12:31 2015\n/, '      # Completed on Tue Sep 29 10:12:31 2015\n'), /COMMIT/],
    ['an ip rule podpath cannot read', () => seedWith('bad-ip-rule', '    # (iptables mode) for the cluster DNS Service (assumed).\n    iptables: |\n',
      '    # (iptables mode) for the cluster DNS Service (assumed).\n    ipRules: |\n      0:\tfrom all lookup local\n      10:\tfrom all frobnicate 1 lookup main\n    iptables: |\n', 'frobnicate'), /ip rule: 'frobnicate' is not an ip rule selector/],
    ['an ipset entry that is not an address', () => seedWith('bad-ipset', '    # (iptables mode) for the cluster DNS Service (assumed).\n    iptables: |\n',
      '    # (iptables mode) for the cluster DNS Service (assumed).\n    ipsets: |\n      create pods hash:net family inet\n      add pods 10.244.1.300/24\n    iptables: |\n', 'add pods 10.244.1.300'), /ipset save: set pods \(hash:net\): '10\.244\.1\.300\/24' is not an IPv4 address or prefix/],
  ])('%s', async (_name, make, message) => {
    const { file, line } = make();
    const r = await run('trace', '--estate', file, 'node:node-1', 'rds:prod-db');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toMatch(new RegExp(`^podpath: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
    if (_name !== 'a truncated iptables-save') expect(lines[0]).toContain(`${file}:${line}:`);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('names an unknown pod and lists the known ones', async () => {
    const r = await run('trace', '--estate', seedFile, 'pod:nope', 'rds:prod-db');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^podpath: no pod 'nope' in the estate \(known: default\/api-7f9/);
  });

  it('reports a missing estate file', async () => {
    const r = await run('trace', '--estate', join(dir, 'absent.yaml'), 'node:a', 'node:b');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`podpath: ${join(dir, 'absent.yaml')}: cannot read estate file: no such file\n`);
  });

  it('rejects a usage error with exit 2', async () => {
    const r = await run('trace', '--estate', fixture('peering-clean'), 'pod:shop/orders-5d8');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing required argument/);
  });
});
