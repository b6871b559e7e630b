// Packs podpath (`npm pack`, which runs prepack: the esbuild bundle) and
// installs the tarball into a fresh folder as a user would, production
// dependencies only: `npm install --omit=dev TARBALL`. Used by
// test/cli/package.test.ts and bench/cli.ts.
//
// In order: from the npm cache alone (`--offline`); when the cache lacks a
// dependency and the registry answers `npm ping`, from the registry
// (`--prefer-offline`: what the cache holds is taken from it); only when the
// registry cannot be reached either, the tarball is unpacked into
// node_modules/podpath and each production dependency is linked from this
// repository's node_modules (what npm would have installed). The returned
// `mode` says which happened; the test prints it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A fresh install folder holding only a package.json. */
function freshPrefix(prefix) {
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'podpath-install-check', version: '1.0.0', private: true }));
  return prefix;
}

/** Packs into `dir` and installs there; returns the install folder, the tarball and how it was installed. */
export function packAndInstall(dir) {
  const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').pop();
  const tarball = join(dir, packed);
  const prefix = join(dir, 'app');
  const install = (...how) => spawnSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--fetch-retries=1', ...how, tarball], { cwd: freshPrefix(prefix), encoding: 'utf8', timeout: 170_000 });
  const offline = install('--offline');
  if (offline.status === 0) return { prefix, tarball, mode: 'npm install --omit=dev --offline (every dependency in the npm cache)' };
  if (!/ENOTCACHED/.test(offline.stderr)) throw new Error(`npm install --offline failed: ${offline.stderr}`);
  const ping = spawnSync('npm', ['ping', '--fetch-timeout=5000', '--fetch-retries=0'], { encoding: 'utf8', timeout: 20_000 });
  if (ping.status === 0) {
    const online = install('--prefer-offline');
    if (online.status === 0) return { prefix, tarball, mode: 'npm install --omit=dev --prefer-offline (from the registry; the npm cache lacked some dependencies)' };
    throw new Error(`npm install failed although the registry answers npm ping: ${online.stderr}`);
  }
  const modules = join(freshPrefix(prefix), 'node_modules');
  const pkgDir = join(modules, 'podpath');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    const target = join(modules, dep);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repo, 'node_modules', dep), target, 'dir');
  }
  mkdirSync(join(modules, '.bin'), { recursive: true });
  for (const [name, file] of Object.entries(manifest.bin ?? {})) symlinkSync(join('..', 'podpath', file), join(modules, '.bin', name));
  return { prefix, tarball, mode: 'NOT npm install: the npm cache lacks dependencies and the registry does not answer npm ping, so the tarball was unpacked and production dependencies linked from this repository' };
}

/** Files of the tarball, without the leading `package/`. */
export function tarballFiles(tarball) {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

