/**
 * `podpath gen`: writes a synthetic estate (src/gen) as a snapshot folder.
 * Nodes that share a rule set get hard links of one iptables-save.txt (and
 * resolv.conf), which the snapshot loader reads once (docs/bench.md);
 * `manifest.json` at the folder's root lists every seeded fault and the
 * finding key doctor must report for it. The folder must not exist or be empty.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PodpathError } from '../../model/errors.js';
import { generateEstate } from '../../gen/estate.js';
import type { GenOptions } from '../../gen/plan.js';

/** What was written, for the command's output. */
export interface GenResult {
  out: string;
  files: number;
  links: number;
  manifest: ReturnType<typeof generateEstate>['manifest'];
}

/** Generates and writes; throws PodpathError (PP_USAGE) for options the plan cannot hold or a non-empty folder. */
export function runGen(o: GenOptions & { out: string }): GenResult {
  if (existsSync(o.out) && readdirSync(o.out).length) throw new PodpathError('PP_USAGE', `--out ${o.out} exists and is not empty`);
  const { out, ...opts } = o;
  let g: ReturnType<typeof generateEstate>;
  try {
    g = generateEstate(opts);
  } catch (e) {
    throw new PodpathError('PP_USAGE', e instanceof Error ? e.message : String(e));
  }
  const dirs = new Set<string>();
  const write = (path: string, text: string) => {
    const dir = dirname(join(out, path));
    if (!dirs.has(dir)) { mkdirSync(dir, { recursive: true }); dirs.add(dir); }
    writeFileSync(join(out, path), text);
  };
  for (const f of g.files) write(f.path, f.text);
  for (const l of g.links) {
    const dir = dirname(join(out, l.path));
    if (!dirs.has(dir)) { mkdirSync(dir, { recursive: true }); dirs.add(dir); }
    linkSync(join(out, l.target), join(out, l.path));
  }
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(g.manifest, null, 2)}\n`);
  return { out, files: g.files.length + 1, links: g.links.length, manifest: g.manifest };
}

/** The text summary: counts and one line per seeded fault. */
export function genSummary(r: GenResult): string {
  const m = r.manifest;
  return [
    `wrote ${r.out}: ${r.files} files, ${r.links} hard links; ${m.nodes} nodes, ${m.services} Services, ${m.distinctRulesets} distinct iptables rule sets`,
    ...(m.faults.length ? [`${m.faults.length} seeded faults (manifest.json):`, ...m.faults.map((f) => `  ${f.key.padEnd(34)} ${f.what}`)] : ['clean variant: no fault seeded']),
  ].join('\n') + '\n';
}
