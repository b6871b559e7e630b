import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
// @ts-expect-error plain ESM script without types
import { packAndInstall, tarballFiles } from '../../scripts/packed-install.mjs';

const dir = mkdtempSync(join(tmpdir(), 'podpath-pack-'));

describe('the packed package installs clean and runs', () => {
  const installed = packAndInstall(dir) as { prefix: string; tarball: string; mode: string };
  const files = tarballFiles(installed.tarball) as string[];
  const npx = (...args: string[]) => spawnSync('npx', ['--offline', '--no-install', 'podpath', ...args], { cwd: installed.prefix, encoding: 'utf8', timeout: 60_000 });

  it('holds LICENSE, the bundle and the examples; no source maps, no test fixtures, no install-time build', () => {
    process.stderr.write(`installed by: ${installed.mode}\n`);
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(installed.prefix, 'node_modules/podpath/LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(files).toContain('dist/podpath.js');
    expect(files).toContain('examples/seed-2015.estate.yaml');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(installed.prefix, 'node_modules/podpath/package.json'), 'utf8'));
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) expect(manifest.scripts?.[hook], hook).toBeUndefined();
  });

  it('every examples/ path the README uses is in the package', () => {
    const readme = readFileSync('README.md', 'utf8');
    const used = [...new Set([...readme.matchAll(/\bexamples\/[\w./-]+[\w]/g)].map((m) => m[0]))];
    expect(used.length).toBeGreaterThan(3);
    for (const path of used) expect(files.some((f) => f === path || f.startsWith(`${path}/`)), path).toBe(true);
    expect(readme).not.toMatch(/\$ podpath .*test\/fixtures/);
  });

  it('npx podpath demo runs from the install', () => {
    const r = npx('demo');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^podpath demo: the seed scenario \(node_modules\/podpath\/examples\/seed-2015\.estate\.yaml\)/);
    expect(r.stdout).toMatch(/pod -> RDS, as found: dropped/);
  });

  it('npx podpath trace runs from the install, on a shipped example', () => {
    const r = npx('trace', '--estate', 'node_modules/podpath/examples/seed-2015.estate.yaml', 'pod:api-7f9', 'rds:prod-db', '-q');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/verdict: DROPPED/);
    expect(r.stdout).toMatch(/deciding rule: pcx-seed/);
  });
});
