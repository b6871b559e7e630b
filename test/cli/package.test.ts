import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
// @ts-expect-error plain ESM script without types
import { packAndInstall, tarballFiles } from '../../scripts/packed-install.mjs';

const dir = mkdtempSync(join(tmpdir(), 'podpath-pack-'));

describe('the packed package installs clean and runs', () => {
  const installed = packAndInstall(dir) as { prefix: string; tarball: string; mode: string };
  const files = tarballFiles(installed.tarball) as string[];
  // The code cache goes to a folder of the test's own, not the user's ~/.cache.
  const npxCache = mkdtempSync(join(tmpdir(), 'podpath-cc-'));
  const npx = (...args: string[]) => spawnSync('npx', ['--offline', '--no-install', 'podpath', ...args], { cwd: installed.prefix, encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CACHE_HOME: npxCache } });
  /** Runs the installed bin with its code cache under `cacheHome` (XDG_CACHE_HOME). */
  const bin = join(installed.prefix, 'node_modules/podpath/dist/podpath.js');
  const runWithCache = (cacheHome: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: installed.prefix, encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CACHE_HOME: cacheHome, ...env } });

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

  it('installed by npm (unless the registry was out of reach): production dependencies are real folders, dev dependencies absent', () => {
    const modules = join(installed.prefix, 'node_modules');
    if (installed.mode.startsWith('NOT npm install')) {
      process.stderr.write('npm could not install the tarball here (no registry, incomplete cache): dependencies were linked instead\n');
      return;
    }
    for (const dep of ['commander', 'zod', 'yaml']) expect(lstatSync(join(modules, dep)).isSymbolicLink(), dep).toBe(false);
    for (const dev of ['vitest', 'esbuild', 'typescript']) expect(() => lstatSync(join(modules, dev)), dev).toThrow();
    expect(lstatSync(join(modules, 'podpath')).isDirectory()).toBe(true);
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

  it.each([
    [['trace', '--estaet', 'x', 'a', 'b'], /^podpath: unknown option '--estaet' \(did you mean --estate\?\); see podpath trace --help$/],
    [['demo', '-o', 'sarif'], /^podpath: option '-o, --output <format>' argument 'sarif' is invalid\. Allowed choices are text, json; see podpath demo --help$/],
    [['doctor', '--estate', 'nope.yaml'], /^podpath: nope\.yaml: cannot read estate file: no such file$/],
    [['plan', '--estate', 'node_modules/podpath/examples/seed-2015.estate.yaml', '--nodes', '0'], /^podpath: option '--nodes <n>' argument '0' is invalid\. Expected a positive whole number; see podpath plan --help$/],
    [['trace', '--estate', 'node_modules/podpath/examples/seed-2015.estate.yaml', 'pod:api-7f9', 'rds:prod-db', '--sport', '70000'], /^podpath: option '--sport <port>' argument '70000' is invalid\. Expected a port 1\.\.65535; see podpath trace --help$/],
    [['report', '--estate', 'node_modules/podpath/examples/seed-2015.estate.yaml', '--html', 'no/such/dir/r.html'], /^podpath: no\/such\/dir\/r\.html: cannot write the report: its folder does not exist$/],
    [['completion', 'tcsh'], /^podpath: no completion for shell 'tcsh' \(choose one of bash, zsh, fish\)$/],
    [['bogus'], /^podpath: unknown command 'bogus'; see podpath --help$/],
  ])('the installed bin answers %j with one line on stderr, nothing on stdout, exit 2', (argv, line) => {
    const r = runWithCache(npxCache, argv);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
    expect(r.status).toBe(2);
  });

  describe('the V8 code cache (scripts/cli-loader.mjs)', () => {
    const cacheFiles = (home: string) => readdirSync(join(home, 'podpath')).filter((f) => f.endsWith('.v8'));

    it('is written on the first run of a command, private to the user, and taken by V8 on the next run', () => {
      const home = mkdtempSync(join(tmpdir(), 'podpath-cc-'));
      const first = runWithCache(home, ['demo']);
      expect(first.status).toBe(0);
      expect(statSync(join(home, 'podpath')).mode & 0o777).toBe(0o700);
      const [file] = cacheFiles(home);
      expect(file).toMatch(/^cli-[0-9a-f]{32}-demo\.v8$/);
      const before = statSync(join(home, 'podpath', file!));
      expect(before.mode & 0o777).toBe(0o600);
      const second = runWithCache(home, ['demo']);
      expect(second.stdout).toBe(first.stdout);
      // A rejected cache would be rewritten (a new file renamed over the old one).
      expect(statSync(join(home, 'podpath', file!)).ino).toBe(before.ino);
    });

    it('a corrupt cache is rejected by V8, the run is unaffected, and the cache is rewritten', () => {
      const home = mkdtempSync(join(tmpdir(), 'podpath-cc-'));
      const good = runWithCache(home, ['demo']);
      const [file] = cacheFiles(home);
      const path = join(home, 'podpath', file!);
      writeFileSync(path, Buffer.alloc(statSync(path).size, 0x5a));
      const r = runWithCache(home, ['demo']);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(good.stdout);
      expect(readFileSync(path)[0]).not.toBe(0x5a);
    });

    it('a cache folder others can write is not used, nor is any with PODPATH_CODE_CACHE=off', () => {
      const home = mkdtempSync(join(tmpdir(), 'podpath-cc-'));
      mkdirSync(join(home, 'podpath'));
      chmodSync(join(home, 'podpath'), 0o777);
      expect(runWithCache(home, ['demo']).status).toBe(0);
      expect(cacheFiles(home)).toEqual([]);
      const off = mkdtempSync(join(tmpdir(), 'podpath-cc-'));
      expect(runWithCache(off, ['demo'], { PODPATH_CODE_CACHE: 'off' }).status).toBe(0);
      expect(readdirSync(off)).toEqual([]);
    });

    it('collect loads its ES module (dist/collect.js) from the cached bundle and from the plainly required one', () => {
      const home = mkdtempSync(join(tmpdir(), 'podpath-cc-'));
      // No credentials anywhere and no instance metadata lookups: the SDK fails locally, nothing leaves the machine.
      const env = {
        AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), KUBECONFIG: join(home, 'none'),
        AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', AWS_WEB_IDENTITY_TOKEN_FILE: '', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '', AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_REGION: '', AWS_DEFAULT_REGION: 'eu-west-1',
      };
      const out = join(home, 'snap');
      // Without the cache, with it (written by the first cached run), and required plainly (PODPATH_CODE_CACHE=off).
      for (const extra of [{}, {}, { PODPATH_CODE_CACHE: 'off' }] as Record<string, string>[]) {
        const r = runWithCache(home, ['collect', '--out', out], { ...env, ...extra });
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.stdout.split('\n')[0]).toBe(`nothing written to ${out} (region eu-west-1): every call failed`);
      }
      expect(cacheFiles(home)).toEqual([expect.stringMatching(/-collect\.v8$/)]);
    });
  });
});
