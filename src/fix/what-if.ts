/**
 * What-ifs: pure edits of an estate. The input estate is never changed; each
 * function returns a new estate with one change applied, so a fix can be
 * traced before it is applied to the real network.
 *
 * Copy on write: a what-if makes new objects only on the path to what it
 * changes (a new estate object, a new list of route tables holding one new
 * table, ...) and shares everything else with its input. A world compiled
 * from the changed estate with the input's world as its base then takes every
 * record whose inputs are the same objects (trace/world-reuse.ts), and an
 * estate diff skips shared parts at once (doctor/estate-diff.ts).
 */
import { PodpathError } from '../model/errors.js';
import type { Estate } from '../model/estate.js';
import { withText } from '../model/source.js';

/** A deep copy of an estate (for callers that edit their copy in place). */
export function copyEstate(e: Estate): Estate {
  // Dump texts are strings (immutable): the copy keeps the same ones instead of cloning megabytes per
  // node (nodes sharing one dump would otherwise each get their own copy of it).
  const texts = e.nodes.map((n) => n.iptables?.text);
  const copy = structuredClone({ ...e, nodes: e.nodes.map((n) => (n.iptables ? { ...n, iptables: { ...n.iptables, text: '' } } : n)) });
  copy.nodes.forEach((n, i) => {
    if (n.iptables) n.iptables.text = texts[i]!;
  });
  return copy;
}

/** Inserts an iptables rule on the named nodes (or all), like `iptables -t TABLE -I CHAIN 1 RULE` over SSH on each. */
export function withIptablesInsert(
  e: Estate,
  nodes: string[] | 'all',
  insert: { table: 'raw' | 'mangle' | 'nat' | 'filter'; chain: string; rule: string; label: string; position?: number },
): Estate {
  const targets = new Set(e.nodes.filter((n) => nodes === 'all' || nodes.includes(n.name)));
  if (nodes !== 'all' && targets.size !== nodes.length) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `what-if names a node that is not in the estate: ${nodes.join(', ')}`);
  // Only the targets' insert lists change: everything else (node dumps of megabytes) is shared with the input, which stays as it is.
  return { ...e, nodes: e.nodes.map((n) => (targets.has(n) ? { ...n, iptablesInserts: [...n.iptablesInserts, { position: 1, ...insert }] } : n)) };
}

/** The list with its first item that `is` picks replaced by `by(item)`; undefined when none is picked. */
function replaceFirst<T>(list: readonly T[], is: (x: T) => boolean, by: (x: T) => T): T[] | undefined {
  const i = list.findIndex(is);
  if (i < 0) return undefined;
  const out = list.slice();
  out[i] = by(list[i]!);
  return out;
}

/** The list with the item of id `id` replaced by `by(item)`; throws when there is none (`what` names the kind). */
function replaceById<T extends { id: string }>(list: readonly T[], id: string, what: string, by: (x: T) => T): T[] {
  const out = replaceFirst(list, (x) => x.id === id, by);
  if (!out) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no ${what} '${id}' in the estate`);
  return out;
}

/** Replaces the CIDR of every ingress rule of a security group (e.g. "open it to 0.0.0.0/0"). */
export function withSgIngressCidr(e: Estate, sgId: string, cidr: string): Estate {
  const securityGroups = replaceById(e.securityGroups, sgId, 'security group', (g) => ({ ...g, ingress: g.ingress.map((r) => (r.cidr ? { ...r, cidr } : r)) }));
  return { ...e, securityGroups };
}

/**
 * Removes the dump lines of a node that match `pattern`, keeping line numbers
 * (each removed line becomes a comment), e.g. to model kube-proxy rules that
 * are not programmed yet.
 */
export function withoutIptablesLines(e: Estate, node: string, pattern: RegExp, why: string): Estate {
  const n = e.nodes.find((x) => x.name === node);
  if (!n?.iptables) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `node '${node}' has no iptables dump to edit`);
  const iptables = withText(n.iptables, commentOut(n.iptables.text, pattern, why));
  return { ...e, nodes: replaceFirst(e.nodes, (x) => x === n, (x) => ({ ...x, iptables }))! };
}

/** The dump with every line matching `pattern` commented out, saying why. */
export function commentOut(text: string, pattern: RegExp, why: string): string {
  return text
    .split('\n')
    .map((line) => (pattern.test(line) ? `# (what-if: ${why}) ${line}` : line))
    .join('\n');
}

/** Appends rules at the end of a chain on every node, in order (as `iptables -A`). */
export function withIptablesAppend(e: Estate, table: 'nat' | 'filter', chain: string, rules: string[], label: string): Estate {
  // The added inserts are data that is never changed: every node's list holds the same ones.
  const added = rules.map((rule) => ({ table, chain, position: 1_000_000, rule, label }));
  return { ...e, nodes: e.nodes.map((n) => ({ ...n, iptablesInserts: [...n.iptablesInserts, ...added] })) };
}

/** Adds an ingress rule to a security group. */
export function withSgIngressRule(e: Estate, sgId: string, rule: { proto: string; ports?: string | number; cidr: string; description?: string }): Estate {
  const ports = rule.ports === undefined ? undefined : typeof rule.ports === 'number' ? { from: rule.ports, to: rule.ports } : (([a, b]) => ({ from: Number(a), to: Number(b ?? a) }))(rule.ports.split('-'));
  const proto = /^\d+$/.test(rule.proto) ? Number(rule.proto) : (rule.proto as 'tcp' | 'udp' | 'icmp' | 'all');
  const added = { proto, ...(ports ? { ports } : {}), cidr: rule.cidr, ...(rule.description ? { description: rule.description } : {}) };
  const securityGroups = replaceById(e.securityGroups, sgId, 'security group', (g) => ({ ...g, ingress: [...g.ingress, added] }));
  return { ...e, securityGroups };
}

/** Adds a network ACL entry. */
export function withNaclEntry(e: Estate, aclId: string, direction: 'ingress' | 'egress', entry: { rule: number; proto: string; from: number; to: number; cidr: string; action: 'allow' | 'deny' }): Estate {
  const proto = /^\d+$/.test(entry.proto) ? Number(entry.proto) : (entry.proto as 'tcp' | 'udp' | 'icmp' | 'all');
  const added = { rule: entry.rule, proto, ports: { from: entry.from, to: entry.to }, cidr: entry.cidr, action: entry.action };
  const networkAcls = replaceById(e.networkAcls, aclId, 'network ACL', (a) => ({ ...a, [direction]: [...a[direction], added] }));
  return { ...e, networkAcls };
}

/** Adds (or replaces) a route in a route table. */
export function withRoute(e: Estate, tableId: string, destination: string, target: string): Estate {
  const routeTables = replaceById(e.routeTables, tableId, 'route table', (t) => ({ ...t, routes: [...t.routes.filter((r) => r.destination !== destination), { destination, target }] }));
  return { ...e, routeTables };
}

/** Deletes a route from a route table. */
export function withoutRoute(e: Estate, tableId: string, destination: string): Estate {
  const routeTables = replaceById(e.routeTables, tableId, 'route table', (t) => ({ ...t, routes: t.routes.filter((r) => r.destination !== destination) }));
  return { ...e, routeTables };
}

/** Sets an instance's source/destination check. */
export function withSourceDestCheck(e: Estate, instanceId: string, on: boolean): Estate {
  const instances = replaceById(e.instances, instanceId, 'instance', (i) => ({ ...i, sourceDestCheck: on }));
  return { ...e, instances };
}

/** Adds a subnet to a transit gateway VPC attachment (`modify-transit-gateway-vpc-attachment --add-subnet-ids`). */
export function withAttachmentSubnet(e: Estate, attachmentId: string, subnetId: string): Estate {
  if (!e.transitGateways.some((g) => g.attachments.some((x) => x.id === attachmentId))) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no transit gateway attachment '${attachmentId}' in the estate`);
  const add = (x: Estate['transitGateways'][number]['attachments'][number]) => (x.id === attachmentId && !x.subnets.includes(subnetId) ? { ...x, subnets: [...x.subnets, subnetId] } : x);
  return { ...e, transitGateways: e.transitGateways.map((g) => (g.attachments.some((x) => x.id === attachmentId) ? { ...g, attachments: g.attachments.map(add) } : g)) };
}
