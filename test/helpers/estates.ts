/** Test helpers: load fixture estates, trace flows, read a cited line back from its file. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEstateFile, parseEstateYaml } from '../../src/ingest/estate-yaml.js';
import { compileWorld, type World } from '../../src/trace/world.js';
import { traceFlow, type FlowSpec } from '../../src/trace/trace.js';
import { assertWellFormed } from '../../src/trace/well-formed.js';
import type { Trace } from '../../src/trace/types.js';
import type { RuleRef } from '../../src/model/source.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const corpus = resolve(repoRoot, '../shared/corpus');
export const seedFile = join(repoRoot, 'examples/seed-2015.estate.yaml');
export const fixture = (name: string) => join(repoRoot, 'test/fixtures/estates', `${name}.estate.yaml`);

export function worldOf(file: string): World {
  return compileWorld(loadEstateFile(file));
}

export function worldFromYaml(yaml: string, file = 'inline.estate.yaml'): World {
  return compileWorld(parseEstateYaml(yaml, file));
}

/** Traces a flow that must not fork; checks trace invariants. */
export function traceOne(w: World, spec: FlowSpec): Trace {
  const traces = traceAll(w, spec);
  if (traces.length !== 1) throw new Error(`expected one trace, got ${traces.length}`);
  return traces[0]!;
}

export function traceAll(w: World, spec: FlowSpec): Trace[] {
  const traces = traceFlow(w, spec);
  traces.forEach(assertWellFormed);
  return traces;
}

/** The text of the file line a RuleRef points at. */
export function citedLine(ref: RuleRef): string {
  if (!('file' in ref.at)) throw new Error(`${ref.ref} is not a file location`);
  return readFileSync(ref.at.file, 'utf8').split('\n')[ref.at.line - 1] ?? '';
}
