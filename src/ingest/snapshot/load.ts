/**
 * Snapshot folders (docs/snapshot.md): `aws/*.json` (AWS CLI describe-*
 * outputs, detected by content), `k8s/*.json` (kubectl lists),
 * `nodes/<name>/{iptables-save.txt, nft-ruleset.{json,txt}, ip-route.txt, ip-rule.txt, ip-addr.txt, ipset-save.txt, resolv.conf,
 * sysctl.txt}` and an optional `podpath.yaml`, read into a validated Estate.
 *
 * Guarantees: bad input throws one PodpathError naming the file and line (or
 * JSON path); what the snapshot lacks or podpath cannot use is recorded in
 * the notes (found, derived, ignored, warnings) and never silently guessed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PodpathError } from '../../model/errors.js';
import { EstateSchema, type Estate, type EstateInput } from '../../model/estate.js';
import { validateEstate } from '../../model/validate.js';
import type { TextSource } from '../../model/source.js';
import { readJsonFile } from './json-file.js';
import { emptyRecords, sortDocument } from './collect-docs.js';
import { convertFabric } from './aws-fabric.js';
import { keepOnePerId } from './shared-records.js';
import { convertHosts } from './aws-hosts.js';
import { detectProfile } from './k8s-profile.js';
import { convertK8s, type NodeFiles } from './k8s-convert.js';
import { readOverrides } from './overrides.js';
import { SnapshotNotes } from './notes.js';
import { unreadable } from '../unreadable.js';
import { textSourceReader } from './text-source.js';

/** A loaded snapshot and what loading it found, derived and ignored. */
export interface SnapshotLoad {
  estate: Estate;
  notes: SnapshotNotes;
}

const NODE_FILES = ['iptables-save.txt', 'nft-ruleset.json', 'nft-ruleset.txt', 'ip-route.txt', 'ip-rule.txt', 'ip-addr.txt', 'ipset-save.txt', 'resolv.conf', 'sysctl.txt'];

/** Reads a snapshot folder into an estate. */
export function loadSnapshot(dir: string): Estate {
  return inspectSnapshot(dir).estate;
}

/** Reads a snapshot folder; `extraJson` adds JSON files from elsewhere (tests combine fixtures with corpus files). */
export function inspectSnapshot(dir: string, extraJson: string[] = []): SnapshotLoad {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PodpathError('PP_MISSING_INPUT', 'not a snapshot folder (no such directory)', { file: dir });
  const notes = new SnapshotNotes();
  const records = emptyRecords();
  // Node dumps are read first: hundreds of megabytes of text in few objects, allocated while the heap
  // holds no vendor records yet, so the collections they set off have little to mark. What the
  // original order would have shown stays: their notes follow the JSON files' notes, and a JSON
  // file's error still wins over a node folder's.
  const nodeNotes = new SnapshotNotes();
  let nodeFiles = new Map<string, NodeFiles>();
  let nodeError: { error: unknown } | undefined;
  try {
    nodeFiles = readNodeFolders(join(dir, 'nodes'), nodeNotes);
  } catch (error) {
    nodeError = { error };
  }
  const json: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (entry === 'aws' || entry === 'k8s') json.push(...listFiles(path, notes));
    else if (entry === 'nodes' || entry === 'podpath.yaml') continue;
    else notes.ignore(path, 'not part of the snapshot layout (aws/, k8s/, nodes/, podpath.yaml)');
  }
  for (const file of [...json, ...extraJson]) {
    const doc = readJsonFile(file);
    const found = sortDocument(doc, records, notes);
    if (found) notes.found.push({ file, ...found });
    else notes.ignore(file, 'content not recognised (no describe-* key or kubectl list)');
  }
  if (nodeError) throw nodeError.error;
  notes.append(nodeNotes);
  const overrides = readOverrides(join(dir, 'podpath.yaml'));
  if (overrides) notes.found.push({ file: join(dir, 'podpath.yaml'), kind: 'podpath.yaml', items: Object.keys(overrides).length });

  keepOnePerId(records, notes);
  const fabric = convertFabric(records, notes);
  const hosts = convertHosts(records, fabric, notes, overrides?.rds ?? {});
  const profile = detectProfile(records, overrides?.cni, notes);
  const k8s = convertK8s(records, { instances: hosts.instances, subnets: fabric.subnets, vpcs: fabric.vpcs }, nodeFiles, profile, overrides?.cluster, notes);
  const input: EstateInput = { name: basename(dir.replace(/\/+$/, '')), description: `snapshot ${dir}`, ...fabric, ...hosts, ...k8s, file: dir, notes: notes.loadNotes() };
  if (!input.cluster) delete input.cluster;
  const parsed = EstateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PodpathError('PP_SCHEMA', `the snapshot maps to an invalid estate: ${issue.message} at ${issue.path.join('.')}`, { file: dir });
  }
  const issue = validateEstate(parsed.data)[0];
  if (issue) throw new PodpathError('PP_DANGLING_REF', `${issue.message} (at ${issue.path.join('.')})`, { file: dir, hint: issue.hint });
  return { estate: parsed.data, notes };
}

/**
 * The JSON files of aws/ or k8s/, subfolders included: a multi-account,
 * multi-region recording may keep each account's outputs in
 * `aws/accounts/<account>/<region>/` (Batfish's layout) or flat; files are read by content.
 */
function listFiles(dir: string, notes: SnapshotNotes, depth = 0): string[] {
  if (!statSync(dir).isDirectory()) return [];
  return readdirSync(dir).sort().flatMap((f) => {
    const path = join(dir, f);
    if (f.endsWith('.json')) return [path];
    if (depth < 4 && unlessUnreadable(path, () => statSync(path), 'snapshot entry').isDirectory()) return listFiles(path, notes, depth + 1);
    notes.ignore(path, 'only *.json files are read here');
    return [];
  });
}

/** `read()`'s value; a path that cannot be read (a folder, no permission, a dangling link) is a one-line error naming it. */
function unlessUnreadable<T>(file: string, read: () => T, what = 'node file'): T {
  try {
    return read();
  } catch (e) {
    throw new PodpathError('PP_MISSING_INPUT', `cannot read ${what}: ${unreadable(e)}`, { file });
  }
}

function readNodeFolders(dir: string, notes: SnapshotNotes): Map<string, NodeFiles> {
  const out = new Map<string, NodeFiles>();
  if (!existsSync(dir)) return out;
  // Hard links of one file (nodes sharing one rule set, docs/bench.md) are read once and share one
  // TextSource: its file is the first path read, so their rule sets are parsed once too.
  const byInode = new Map<string, TextSource>();
  const readTextSource = textSourceReader();
  for (const [name, nodeDir] of nodeFolders(dir)) {
    const texts = new Map<string, TextSource>();
    for (const f of readdirSync(nodeDir).sort()) {
      // A name readdir gives has no slash and is never `.` or `..`: this is join(nodeDir, f), without its normalising pass.
      const file = `${nodeDir}/${f}`;
      if (!NODE_FILES.includes(f)) { notes.ignore(file, `not one of ${NODE_FILES.join(', ')}`); continue; }
      const st = unlessUnreadable(file, () => statSync(file));
      const inode = st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined;
      const seen = inode ? byInode.get(inode) : undefined;
      const source = seen ?? unlessUnreadable(file, () => readTextSource(file));
      if (inode && !seen) byInode.set(inode, source);
      texts.set(f, source);
      notes.found.push({ file, kind: f.replace(/\.txt$/, ''), items: 1 });
    }
    out.set(name, { dir: nodeDir, texts });
  }
  return out;
}

/**
 * The folders inside `nodes/` (name and path), in name order. The directory entry's own type answers for
 * ordinary folders; a symbolic link is followed (stat), as a folder may be linked in.
 */
function nodeFolders(dir: string): [string, string][] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: [string, string][] = [];
  for (const d of entries) {
    const path = join(dir, d.name);
    if (d.isDirectory() || (d.isSymbolicLink() && unlessUnreadable(path, () => statSync(path), 'node folder').isDirectory())) out.push([d.name, path]);
  }
  return out;
}
