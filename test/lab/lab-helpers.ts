/** Lab test helpers: root is required (CI runs as root); every lab a test builds is removed. */
import { expect } from 'vitest';
import type { Estate } from '../../src/model/estate.js';
import { labUp, teardown } from '../../src/lab/lab.js';
import { listNamespaces } from '../../src/lab/apply.js';
import type { LabState } from '../../src/lab/plan-types.js';

/** Fails loudly (never skips) when not root. */
export function requireRootForLab(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab tests need root (network namespaces); CI runs them as root — run `sudo npx vitest run test/lab`');
}

const built: LabState[] = [];

/** Builds a lab, remembered for `removeAllLabs`. */
export async function up(estate: Estate, name: string): Promise<LabState> {
  const s = await labUp(estate, { name: `${name}-${process.pid}` });
  built.push(s);
  return s;
}

/** Tears down every lab this file built and checks nothing with their prefixes is left. */
export function removeAllLabs(): void {
  const prefixes = built.map((s) => s.prefix);
  for (const s of built.splice(0)) teardown(s);
  const left = listNamespaces().filter((n) => prefixes.some((p) => n.startsWith(p)));
  expect(left).toEqual([]);
}
