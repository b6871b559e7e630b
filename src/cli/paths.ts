/** Locates files shipped with the package (the embedded seed scenario). */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this module holding package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('podpath package root not found');
    dir = up;
  }
  return dir;
}

/** The embedded seed scenario estate file. */
export function seedEstatePath(): string {
  return join(packageRoot(), 'examples', 'seed-2015.estate.yaml');
}

/** A path as shown in reports: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
