// Packs podpath (`npm pack`, which runs prepack: the esbuild bundle) and
// installs the tarball into a fresh folder as a user would, production
// dependencies only. Used by test/cli/package.test.ts and bench/cli.ts.
//
// `npm install --omit=dev --offline` needs every dependency in the npm cache.
// Where the cache lacks them (a machine whose node_modules came from
// elsewhere), the registry would be needed; instead the tarball is unpacked
// into node_modules/podpath and each production dependency is linked from
// this repository's node_modules, which is what npm would have installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packs into `dir` and installs there; returns the install folder, the tarball and how it was installed. */
export function packAndInstall(dir) {
  const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').pop();
  const tarball = join(dir, packed);
  const prefix = join(dir, 'app');
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'podpath-install-check', version: '1.0.0', private: true }));
  const npm = spawnSync('npm', ['install', '--omit=dev', '--offline', '--no-audit', '--no-fund', tarball], { cwd: prefix, encoding: 'utf8', timeout: 180_000 });
  if (npm.status === 0) return { prefix, tarball, mode: 'npm install --omit=dev --offline' };
  if (!/ENOTCACHED/.test(npm.stderr)) throw new Error(`npm install failed: ${npm.stderr}`);
  const modules = join(prefix, 'node_modules');
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
  return { prefix, tarball, mode: 'unpacked tarball + production dependencies linked (the npm cache lacks them; npm install --offline answered ENOTCACHED)' };
}

/** Files of the tarball, without the leading `package/`. */
export function tarballFiles(tarball) {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

