/**
 * What-ifs: pure edits of an estate copy. The input estate is never changed;
 * each function returns a new estate with one change applied, so a fix can be
 * traced before it is applied to the real network.
 */
import { PodpathError } from '../model/errors.js';
import type { Estate } from '../model/estate.js';
import { withText } from '../model/source.js';

/** A deep copy of an estate. */
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

/** Replaces the CIDR of every ingress rule of a security group (e.g. "open it to 0.0.0.0/0"). */
export function withSgIngressCidr(e: Estate, sgId: string, cidr: string): Estate {
  const copy = copyEstate(e);
  const sg = copy.securityGroups.find((g) => g.id === sgId);
  if (!sg) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no security group '${sgId}' in the estate`);
  sg.ingress = sg.ingress.map((r) => (r.cidr ? { ...r, cidr } : r));
  return copy;
}

/**
 * Removes the dump lines of a node that match `pattern`, keeping line numbers
 * (each removed line becomes a comment), e.g. to model kube-proxy rules that
 * are not programmed yet.
 */
export function withoutIptablesLines(e: Estate, node: string, pattern: RegExp, why: string): Estate {
  const copy = copyEstate(e);
  const n = copy.nodes.find((x) => x.name === node);
  if (!n?.iptables) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `node '${node}' has no iptables dump to edit`);
  n.iptables = withText(n.iptables, commentOut(n.iptables.text, pattern, why));
  return copy;
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
  const copy = copyEstate(e);
  for (const n of copy.nodes) {
    for (const rule of rules) n.iptablesInserts.push({ table, chain, position: 1_000_000, rule, label });
  }
  return copy;
}

/** Adds an ingress rule to a security group. */
export function withSgIngressRule(e: Estate, sgId: string, rule: { proto: string; ports?: string | number; cidr: string; description?: string }): Estate {
  const copy = copyEstate(e);
  const sg = copy.securityGroups.find((g) => g.id === sgId);
  if (!sg) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no security group '${sgId}' in the estate`);
  const ports = rule.ports === undefined ? undefined : typeof rule.ports === 'number' ? { from: rule.ports, to: rule.ports } : (([a, b]) => ({ from: Number(a), to: Number(b ?? a) }))(rule.ports.split('-'));
  const proto = /^\d+$/.test(rule.proto) ? Number(rule.proto) : (rule.proto as 'tcp' | 'udp' | 'icmp' | 'all');
  sg.ingress = [...sg.ingress, { proto, ...(ports ? { ports } : {}), cidr: rule.cidr, ...(rule.description ? { description: rule.description } : {}) }];
  return copy;
}

/** Adds a network ACL entry. */
export function withNaclEntry(e: Estate, aclId: string, direction: 'ingress' | 'egress', entry: { rule: number; proto: string; from: number; to: number; cidr: string; action: 'allow' | 'deny' }): Estate {
  const copy = copyEstate(e);
  const acl = copy.networkAcls.find((a) => a.id === aclId);
  if (!acl) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no network ACL '${aclId}' in the estate`);
  const proto = /^\d+$/.test(entry.proto) ? Number(entry.proto) : (entry.proto as 'tcp' | 'udp' | 'icmp' | 'all');
  acl[direction].push({ rule: entry.rule, proto, ports: { from: entry.from, to: entry.to }, cidr: entry.cidr, action: entry.action });
  return copy;
}

/** Adds (or replaces) a route in a route table. */
export function withRoute(e: Estate, tableId: string, destination: string, target: string): Estate {
  const copy = copyEstate(e);
  const t = copy.routeTables.find((x) => x.id === tableId);
  if (!t) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no route table '${tableId}' in the estate`);
  t.routes = [...t.routes.filter((r) => r.destination !== destination), { destination, target }];
  return copy;
}

/** Deletes a route from a route table. */
export function withoutRoute(e: Estate, tableId: string, destination: string): Estate {
  const copy = copyEstate(e);
  const t = copy.routeTables.find((x) => x.id === tableId);
  if (!t) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no route table '${tableId}' in the estate`);
  t.routes = t.routes.filter((r) => r.destination !== destination);
  return copy;
}

/** Sets an instance's source/destination check. */
export function withSourceDestCheck(e: Estate, instanceId: string, on: boolean): Estate {
  const copy = copyEstate(e);
  const i = copy.instances.find((x) => x.id === instanceId);
  if (!i) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no instance '${instanceId}' in the estate`);
  i.sourceDestCheck = on;
  return copy;
}

/** Adds a subnet to a transit gateway VPC attachment (`modify-transit-gateway-vpc-attachment --add-subnet-ids`). */
export function withAttachmentSubnet(e: Estate, attachmentId: string, subnetId: string): Estate {
  const copy = copyEstate(e);
  const a = copy.transitGateways.flatMap((g) => g.attachments).filter((x) => x.id === attachmentId);
  if (a.length === 0) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no transit gateway attachment '${attachmentId}' in the estate`);
  for (const x of a) if (!x.subnets.includes(subnetId)) x.subnets.push(subnetId);
  return copy;
}
