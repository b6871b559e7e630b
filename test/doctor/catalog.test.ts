import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG, docPath } from '../../src/doctor/catalog.js';
import { repoRoot } from '../helpers/estates.js';

describe('the findings catalog', () => {
  it.each([...CATALOG.values()].map((e) => [e.id, e.name]))('%s %s has a page saying what, why, how to confirm and how to fix', (id, name) => {
    const file = join(repoRoot, docPath(id as Parameters<typeof docPath>[0]));
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toContain(`${id} ${name}`);
    for (const h of ['## What', '## Why', '## Confirm by hand', '## Fix']) expect(text).toContain(h);
  });
});
