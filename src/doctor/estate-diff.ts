/**
 * Which elements a changed copy of an estate changed, as the dependency keys
 * trace hops leave (see `hopDependencies`): `rtb:ID` (a route table's routes),
 * `sg:ID` (a security group's rules), `acl:ID` (a network ACL's entries),
 * `node:NAME` (a node's iptables-save dump or its inserted rules) and
 * `eni:ID` (an interface's source/destination check: an instance's, for its
 * primary interface, or one of its secondary interfaces').
 *
 * Anything else that differs (a subnet, an instance but for its interfaces'
 * checks, a peering, a node's routes, a route table's associations...) is
 * not narrowed down: the answer is then undefined and the caller checks
 * everything again. So the answer is exact or absent, never a guess.
 */
import type { Estate } from '../model/estate.js';
import { textKey, type TextSource } from '../model/source.js';
import type { Hop, Trace } from '../trace/types.js';
import { primaryEniId } from '../trace/world.js';

/** The elements a hop consulted, as dependency keys. */
export function hopDependencies(h: Hop): string[] {
  switch (h.kind) {
    case 'route-table': return [`rtb:${h.table}`];
    case 'security-group': return h.groups.map((g) => `sg:${g}`);
    case 'nacl': return [`acl:${h.acl}`];
    case 'node-netfilter':
    case 'node-route': return [`node:${h.at}`];
    // The check reads the flag only for an address the interface does not own, and then leaves this hop (aws-steps.ts).
    case 'eni': return h.check === 'source-dest' ? [`eni:${h.at}`] : [];
    default: return [];
  }
}

/** The elements some hop of the traces consulted. */
export function traceDependencies(traces: readonly Trace[]): Set<string> {
  const out = new Set<string>();
  for (const t of traces) {
    for (const h of t.forward) for (const k of hopDependencies(h)) out.add(k);
    for (const h of t.reply ?? []) for (const k of hopDependencies(h)) out.add(k);
  }
  return out;
}

/** Estate fields whose elements are compared one by one; every other field must be equal. */
const NARROWED = new Set<keyof Estate>(['routeTables', 'securityGroups', 'networkAcls', 'nodes', 'instances']);

/** Equal as JSON (estates are JSON data). */
export const sameJson = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/** The changed elements' keys; undefined when something else changed too. */
export function changedElements(a: Estate, b: Estate): ReadonlySet<string> | undefined {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Estate>) {
    if (!NARROWED.has(k) && !sameJson(a[k], b[k])) return undefined;
  }
  const out = new Set<string>();
  const ok =
    byId(a.routeTables, b.routeTables, (t) => t.id, sameAs((t) => ({ ...t, routes: [] })), keyWhen('rtb', (t) => t.id, (t) => t.routes), out) &&
    byId(a.securityGroups, b.securityGroups, (g) => g.id, sameAs((g) => ({ ...g, ingress: [], egress: [] })), keyWhen('sg', (g) => g.id, (g) => [g.ingress, g.egress]), out) &&
    byId(a.networkAcls, b.networkAcls, (x) => x.id, sameAs((x) => ({ ...x, ingress: [], egress: [] })), keyWhen('acl', (x) => x.id, (x) => [x.ingress, x.egress]), out) &&
    byId(a.nodes, b.nodes, (n) => n.name, sameNodeRest, keyWhen('node', (n) => n.name, (n) => [n.iptables ? textKey(n.iptables) : null, n.iptables?.file, n.iptables?.firstLine, n.iptables?.derived, n.iptablesInserts]), out) &&
    byId(a.instances, b.instances, (i) => i.id, sameAs(withoutChecks), checkKeys, out);
  return ok ? out : undefined;
}

/** `PREFIX:ID` when the part `changing` picks differs. */
const keyWhen = <T>(prefix: string, id: (x: T) => string, changing: (x: T) => unknown) => (x: T, y: T): string[] =>
  (sameJson(changing(x), changing(y)) ? [] : [`${prefix}:${id(x)}`]);

type Instance = Estate['instances'][number];
/** An instance without its interfaces' source/destination checks. */
const withoutChecks = (i: Instance) => ({ ...i, sourceDestCheck: true, secondaryEnis: i.secondaryEnis.map((x) => ({ ...x, sourceDestCheck: true })) });

/** The interfaces of an instance whose source/destination check changed (`eni:ID`; the rest of the two is the same). */
function checkKeys(x: Instance, y: Instance): string[] {
  const out = x.sourceDestCheck !== y.sourceDestCheck ? [`eni:${primaryEniId(x.id)}`] : [];
  x.secondaryEnis.forEach((e, k) => {
    if (e.sourceDestCheck !== y.secondaryEnis[k]!.sourceDestCheck) out.push(`eni:${e.id}`);
  });
  return out;
}

/** Two elements are the same when what `rest` keeps of them is equal as JSON. */
const sameAs = <T>(rest: (x: T) => unknown) => (x: T, y: T): boolean => sameJson(rest(x), rest(y));

type Node = Estate['nodes'][number];
/** A node's texts (they may be megabytes): compared by key, with their other fields. */
const NODE_TEXTS: ReadonlySet<string> = new Set(['routes', 'ipRules', 'ipsets', 'resolvConf', 'nftRuleset', 'ipAddr']);
/** A node's dump and inserts: what `node:NAME` names. */
const NODE_RULES: ReadonlySet<string> = new Set(['iptables', 'iptablesInserts']);

/** A text with its text replaced by its key (the digest when there is one). */
const byKey = (t: TextSource | undefined) => (t ? { ...t, text: textKey(t) } : null);

/**
 * The same node but for its dump and inserts: the same fields in the same
 * order, each the same object or equal as JSON (texts by key). A what-if
 * changes a node's rules and keeps its other fields as they were, so most
 * fields are the same objects and nothing is serialised.
 */
function sameNodeRest(x: Node, y: Node): boolean {
  // The fields JSON would write (an undefined one is left out), in order.
  const fields = (n: Node) => Object.keys(n).filter((k) => !NODE_RULES.has(k) && n[k as keyof Node] !== undefined);
  const kx = fields(x);
  const ky = fields(y);
  if (kx.length !== ky.length) return false;
  for (let i = 0; i < kx.length; i++) {
    const k = kx[i]!;
    if (k !== ky[i]) return false;
    const u = x[k as keyof Node];
    const v = y[k as keyof Node];
    if (u === v) continue;
    if (!NODE_TEXTS.has(k)) {
      if (!sameJson(u, v)) return false;
      continue;
    }
    if (!sameJson(byKey(u as TextSource | undefined), byKey(v as TextSource | undefined))) return false;
  }
  return true;
}

/**
 * Compares two lists element by element (same ids in the same order): the
 * rest of each element must be the same (`sameRest`); the keys `changed`
 * names for a pair that is not the same object are added. False when the
 * lists cannot be paired that way.
 */
function byId<T>(a: readonly T[], b: readonly T[], id: (x: T) => string, sameRest: (x: T, y: T) => boolean, changed: (x: T, y: T) => string[], out: Set<string>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (id(x) !== id(y) || !sameRest(x, y)) return false;
    for (const k of changed(x, y)) out.add(k);
  }
  return true;
}
