/**
 * The items of a kubectl list (src/ingest/snapshot/collect-docs.ts): the list's own check
 * (each item an object with an optional string kind) reports bad items with file, JSON path and
 * line, and every item is read by its kind's schema from the item as written.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { PodpathError } from '../../src/model/errors.js';
import { repoRoot } from '../helpers/estates.js';

/** A copy of the vpc-cni snapshot whose nodes.json items are `edit`ed; the load's error or result. */
function withNodeItems(edit: (items: unknown[], list: { kind: string }) => void): { error?: PodpathError; nodes?: string[]; file: string } {
  const copy = mkdtempSync(join(tmpdir(), 'podpath-k8s-items-'));
  try {
    cpSync(join(repoRoot, 'test/fixtures/snapshots/vpc-cni'), copy, { recursive: true });
    const file = join(copy, 'k8s', 'nodes.json');
    const list = JSON.parse(readFileSync(file, 'utf8')) as { kind: string; items: unknown[] };
    edit(list.items, list);
    writeFileSync(file, JSON.stringify(list, null, 2));
    try {
      const { estate } = inspectSnapshot(copy);
      return { nodes: estate.nodes.map((n) => n.name), file };
    } catch (e) {
      if (!(e instanceof PodpathError)) throw e;
      return { error: e, file };
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe('kubectl list items', () => {
  it('an item that is not an object is an error naming its path and line', () => {
    const { error, file } = withNodeItems((items) => items.push('not a node'));
    expect(error?.code).toBe('PP_SCHEMA');
    expect(error?.file).toBe(file);
    expect(error?.message).toBe('Invalid input: expected object, received string at items[1]');
    expect(error?.line).toBeGreaterThan(1);
  });

  it('an item whose kind is not a string is an error at its kind', () => {
    const { error } = withNodeItems((items) => ((items[0] as { kind: unknown }).kind = 7));
    expect(error?.message).toBe('Invalid input: expected string, received number at items[0].kind');
  });

  it('an item is read by the schema of its kind (a Node without a name is an error at its name)', () => {
    const { error } = withNodeItems((items) => delete (items[0] as { metadata: { name?: string } }).metadata.name);
    expect(error?.message).toBe('Invalid input: expected string, received undefined at items[0].metadata.name');
  });

  it('an item without a kind takes the list\'s kind and is read whole by that kind\'s schema', () => {
    const { nodes, error } = withNodeItems((items, list) => {
      list.kind = 'NodeList';
      delete (items[0] as { kind?: string }).kind;
    });
    expect(error).toBeUndefined();
    expect(nodes).toEqual(['ip-192-168-40-12.eu-west-1.compute.internal']);
  });

  it('in a list of kind List, an item without a kind is not read', () => {
    const { nodes, error } = withNodeItems((items) => delete (items[0] as { kind?: string }).kind);
    expect(error).toBeUndefined();
    expect(nodes).toEqual([]);
  });
});
