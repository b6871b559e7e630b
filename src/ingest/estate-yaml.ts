/**
 * Reads the compact YAML estate format (docs/estate-format.md) into a
 * validated model Estate. Every error names the file and line at fault.
 */
import { readFileSync } from 'node:fs';
import { PodpathError } from '../model/errors.js';
import { EstateSchema, type Estate } from '../model/estate.js';
import { validateEstate, type EstateIssue } from '../model/validate.js';
import { checkRouteTable } from '../aws/route-table.js';
import { firstTextLine, lineOf, parseLocatedYaml, type LocatedYaml } from './yaml-locate.js';
import { estateFileNotes } from './plan-notes.js';
import { firstUnknownKey } from './unknown-keys.js';
import { unreadable } from './unreadable.js';

/** Reads and validates an estate file. Throws PodpathError on any problem. */
export function loadEstateFile(file: string): Estate {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PodpathError('PP_MISSING_INPUT', `cannot read estate file: ${unreadable(e)}`, { file });
  }
  return parseEstateYaml(text, file);
}

/** Parses estate YAML text; `file` is used in locations. */
export function parseEstateYaml(text: string, file: string): Estate {
  const y = parseLocatedYaml(text, file);
  const raw: unknown = y.doc.toJS() ?? {};
  if (raw && typeof raw === 'object' && 'notes' in raw) {
    throw new PodpathError('PP_SCHEMA', 'notes are written by podpath\'s loaders, not read from an estate file', { file, line: lineOf(y, ['notes']) });
  }
  const parsed = EstateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new PodpathError('PP_SCHEMA', `${issue.message}${where}`, { file, line: lineOf(y, issue.path) });
  }
  const unknown = firstUnknownKey(raw, parsed.data);
  if (unknown) {
    throw new PodpathError('PP_SCHEMA', `unknown key '${String(unknown[unknown.length - 1])}' at ${unknown.join('.')}`, { file, line: lineOf(y, unknown), hint: 'docs/estate-format.md lists the keys' });
  }
  const estate = parsed.data;
  estate.file = file;
  attachSources(estate, y);
  const issues = [...validateEstate(estate), ...routeTableIssues(estate)];
  const first = issues[0];
  if (first) throw issueError(first, y);
  if (estate.cluster && !estate.cluster.clusterIPs.length) estate.cluster.clusterIPs = estate.services.map((s) => ({ ip: s.clusterIP, service: s.name }));
  estate.notes = estateFileNotes(estate);
  return estate;
}

function issueError(issue: EstateIssue, y: LocatedYaml): PodpathError {
  return new PodpathError('PP_DANGLING_REF', issue.message, { file: y.file, line: lineOf(y, issue.path), hint: issue.hint });
}

function routeTableIssues(e: Estate): EstateIssue[] {
  const vpcs = new Map(e.vpcs.map((v) => [v.id, v]));
  return e.routeTables.flatMap((t, i) => {
    const vpc = vpcs.get(t.vpc);
    if (!vpc) return [];
    const subnets = e.subnets.filter((s) => s.vpc === t.vpc);
    return checkRouteTable(t, vpc, subnets).map((p) => ({ path: ['routeTables', i, 'routes', p.index], message: `${t.id}: ${p.message}` }));
  });
}

/** Records the line of every resource and the first line of every embedded text block. */
function attachSources(e: Estate, y: LocatedYaml): void {
  const at = (path: (string | number)[]) => ({ file: y.file, line: lineOf(y, path) });
  const lists = ['vpcs', 'subnets', 'routeTables', 'peerings', 'internetGateways', 'securityGroups', 'networkAcls', 'instances', 'rdsInstances', 'nodes', 'pods', 'services'] as const;
  for (const key of lists) e[key].forEach((item, i) => (item.source = at([key, i])));
  e.routeTables.forEach((t, i) => t.routes.forEach((r, j) => (r.source = at(['routeTables', i, 'routes', j]))));
  if (e.cluster) e.cluster.source = at(['cluster']);
  const texts = (owner: 'nodes' | 'pods', i: number, key: string, src: { file?: string; firstLine?: number } | undefined) => {
    if (!src || src.file) return;
    src.file = y.file;
    src.firstLine = firstTextLine(y, [owner, i, key]);
  };
  e.nodes.forEach((n, i) => {
    texts('nodes', i, 'iptables', n.iptables);
    texts('nodes', i, 'routes', n.routes);
    texts('nodes', i, 'ipRules', n.ipRules);
    texts('nodes', i, 'ipsets', n.ipsets);
    texts('nodes', i, 'resolvConf', n.resolvConf);
  });
  e.pods.forEach((p, i) => texts('pods', i, 'resolvConf', p.resolvConf));
}
