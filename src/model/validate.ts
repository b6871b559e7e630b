/**
 * Cross-reference checks on a schema-valid estate: ids are unique, every
 * reference resolves, addresses sit inside their subnets. Returns every
 * problem with the path of the offending field, so the loader can point at
 * the input line. Pure.
 */
import { parseCidr, contains, covers, type Prefix } from '../net/prefix.js';
import { parseIpv4 } from '../net/ipv4.js';
import type { Estate } from './estate.js';

/** A problem found, with the path of the field at fault. */
export interface EstateIssue {
  path: (string | number)[];
  message: string;
  hint?: string;
}

type Collection = 'vpcs' | 'subnets' | 'routeTables' | 'peerings' | 'internetGateways' | 'natGateways' | 'transitGateways' | 'securityGroups' | 'networkAcls' | 'instances' | 'rdsInstances';

/** Checks references and placement; an empty list means the estate is consistent. */
export function validateEstate(e: Estate): EstateIssue[] {
  const issues: EstateIssue[] = [];
  const ids = new Map<string, string>();
  // Built once per collection: thousands of subnets and routes each look one up.
  const idSets = new Map<Collection, Set<string>>();
  const idsOf = (c: Collection) => idSets.get(c) ?? idSets.set(c, new Set(e[c].map((x) => x.id))).get(c)!;
  const collections: Collection[] = ['vpcs', 'subnets', 'routeTables', 'peerings', 'internetGateways', 'natGateways', 'transitGateways', 'securityGroups', 'networkAcls', 'instances', 'rdsInstances'];
  for (const c of collections) {
    e[c].forEach((x, i) => {
      if (ids.has(x.id)) issues.push({ path: [c, i, 'id'], message: `duplicate id '${x.id}' (also in ${ids.get(x.id)})` });
      ids.set(x.id, c);
    });
  }
  const vpcs = idsOf('vpcs');
  const subnets = new Map(e.subnets.map((s) => [s.id, s]));
  const sgs = idsOf('securityGroups');
  const ref = (path: (string | number)[], set: Set<string> | Map<string, unknown>, id: string, what: string) => {
    if (!set.has(id)) issues.push({ path, message: `${what} '${id}' does not exist`, hint: nearest(id, [...set.keys()]) });
  };

  const vpcBlocks = new Map(e.vpcs.map((v) => [v.id, v.cidrBlocks.map((b) => parseCidr(b))]));
  e.subnets.forEach((s, i) => {
    ref(['subnets', i, 'vpc'], vpcs, s.vpc, 'VPC');
    if (s.routeTable) ref(['subnets', i, 'routeTable'], idsOf('routeTables'), s.routeTable, 'route table');
    if (s.networkAcl) ref(['subnets', i, 'networkAcl'], idsOf('networkAcls'), s.networkAcl, 'network ACL');
    const blocks = vpcBlocks.get(s.vpc);
    if (blocks && !blocks.some((b) => covers(b, parseCidr(s.cidr)))) {
      issues.push({ path: ['subnets', i, 'cidr'], message: `subnet ${s.cidr} is not inside any CIDR block of ${s.vpc}` });
    }
  });
  e.routeTables.forEach((t, i) => {
    ref(['routeTables', i, 'vpc'], vpcs, t.vpc, 'VPC');
    t.routes.forEach((r, j) => {
      const kind = r.target.split('-')[0];
      const known = kind && kind in TARGET_COLLECTION ? idsOf(TARGET_COLLECTION[kind]!) : undefined;
      if (known) ref(['routeTables', i, 'routes', j, 'target'], known, r.target, routeTargetName(kind ?? ''));
    });
  });
  const mains = new Map<string, number>();
  e.routeTables.forEach((t, i) => {
    if (!t.main) return;
    if (mains.has(t.vpc)) issues.push({ path: ['routeTables', i, 'main'], message: `${t.vpc} already has a main route table (${e.routeTables[mains.get(t.vpc)!]?.id})` });
    mains.set(t.vpc, i);
  });
  e.subnets.forEach((s, i) => {
    if (!s.routeTable && !mains.has(s.vpc) && vpcs.has(s.vpc)) {
      issues.push({ path: ['subnets', i], message: `subnet ${s.id} has no route table and ${s.vpc} has no main route table` });
    }
  });
  e.peerings.forEach((p, i) => {
    ref(['peerings', i, 'requester'], vpcs, p.requester, 'VPC');
    ref(['peerings', i, 'accepter'], vpcs, p.accepter, 'VPC');
  });
  e.internetGateways.forEach((g, i) => ref(['internetGateways', i, 'vpc'], vpcs, g.vpc, 'VPC'));
  e.securityGroups.forEach((g, i) => {
    ref(['securityGroups', i, 'vpc'], vpcs, g.vpc, 'VPC');
    for (const dir of ['ingress', 'egress'] as const) {
      g[dir].forEach((r, j) => r.sg && ref(['securityGroups', i, dir, j, 'sg'], sgs, r.sg, 'security group'));
    }
  });
  e.networkAcls.forEach((a, i) => ref(['networkAcls', i, 'vpc'], vpcs, a.vpc, 'VPC'));
  e.natGateways.forEach((g, i) => ref(['natGateways', i, 'subnet'], subnets, g.subnet, 'subnet'));
  const tgws = new Set(e.transitGateways.map((g) => g.id));
  e.transitGateways.forEach((g, i) => {
    const attachments = new Set(g.attachments.map((a) => a.id));
    const tables = new Set(g.routeTables.map((t) => t.id));
    g.attachments.forEach((a, j) => {
      if (a.vpc) ref(['transitGateways', i, 'attachments', j, 'vpc'], vpcs, a.vpc, 'VPC');
      if (a.peerTgw) ref(['transitGateways', i, 'attachments', j, 'peerTgw'], tgws, a.peerTgw, 'transit gateway');
      a.subnets.forEach((s, k) => ref(['transitGateways', i, 'attachments', j, 'subnets', k], subnets, s, 'subnet'));
      if (a.routeTable) ref(['transitGateways', i, 'attachments', j, 'routeTable'], tables, a.routeTable, 'transit gateway route table');
    });
    g.routeTables.forEach((t, j) => {
      t.propagations.forEach((a, k) => ref(['transitGateways', i, 'routeTables', j, 'propagations', k], attachments, a, 'transit gateway attachment'));
      t.routes.forEach((r, k) => r.attachment && ref(['transitGateways', i, 'routeTables', j, 'routes', k, 'attachment'], attachments, r.attachment, 'transit gateway attachment'));
    });
  });

  // Each subnet's block parsed once: thousands of instances sit in a few subnets.
  const blocks = new Map<string, Prefix>();
  const blockOf = (s: { id: string; cidr: string }) => blocks.get(s.id) ?? blocks.set(s.id, parseCidr(s.cidr)).get(s.id)!;
  const placed = (path: (string | number)[], subnetId: string, ip: string) => {
    const s = subnets.get(subnetId);
    if (!s) return ref(path.slice(0, -1).concat('subnet'), subnets, subnetId, 'subnet');
    if (!contains(blockOf(s), parseIpv4(ip))) issues.push({ path, message: `${ip} is not inside subnet ${s.id} (${s.cidr})` });
  };
  const prefixPlaced = (path: (string | number)[], subnetId: string, cidr: string) => {
    const s = subnets.get(subnetId);
    if (s && !covers(blockOf(s), parseCidr(cidr))) issues.push({ path, message: `${cidr} is not inside subnet ${s.id} (${s.cidr})` });
  };
  e.instances.forEach((x, i) => {
    placed(['instances', i, 'privateIp'], x.subnet, x.privateIp);
    x.ipv4Prefixes.forEach((c, j) => prefixPlaced(['instances', i, 'ipv4Prefixes', j], x.subnet, c));
    const indexes = new Set<number>();
    x.secondaryEnis.forEach((n, j) => {
      const at = ['instances', i, 'secondaryEnis', j];
      if (ids.has(n.id)) issues.push({ path: [...at, 'id'], message: `duplicate id '${n.id}' (also in ${ids.get(n.id)})` });
      ids.set(n.id, 'instances');
      if (indexes.has(n.deviceIndex)) issues.push({ path: [...at, 'deviceIndex'], message: `${x.id} has two interfaces at device index ${n.deviceIndex}` });
      indexes.add(n.deviceIndex);
      const subnet = n.subnet ?? x.subnet;
      const [own, home] = [subnets.get(subnet), subnets.get(x.subnet)];
      // An instance's interfaces are all in its VPC (EC2 User Guide, "Elastic network interfaces": same Availability Zone).
      if (own && home && own.vpc !== home.vpc) issues.push({ path: [...at, 'subnet'], message: `${n.id} is in ${own.vpc}, but ${x.id} is in ${home.vpc}` });
      placed([...at, 'privateIp'], subnet, n.privateIp);
      n.ipv4Prefixes.forEach((c, k) => prefixPlaced([...at, 'ipv4Prefixes', k], subnet, c));
      n.securityGroups?.forEach((g, k) => ref([...at, 'securityGroups', k], sgs, g, 'security group'));
    });
    x.securityGroups.forEach((g, j) => ref(['instances', i, 'securityGroups', j], sgs, g, 'security group'));
  });
  e.rdsInstances.forEach((x, i) => {
    placed(['rdsInstances', i, 'address'], x.subnet, x.address);
    x.securityGroups.forEach((g, j) => ref(['rdsInstances', i, 'securityGroups', j], sgs, g, 'security group'));
  });

  const instances = idsOf('instances');
  const nodes = new Set(e.nodes.map((n) => n.name));
  e.nodes.forEach((n, i) => ref(['nodes', i, 'instance'], instances, n.instance, 'instance'));
  e.pods.forEach((p, i) => ref(['pods', i, 'node'], nodes, p.node, 'node'));
  return issues;
}

/** The collection a route target's id prefix names. */
const TARGET_COLLECTION: Record<string, Collection> = { pcx: 'peerings', igw: 'internetGateways', i: 'instances', nat: 'natGateways', tgw: 'transitGateways' };

function routeTargetName(kind: string): string {
  return { pcx: 'peering connection', igw: 'internet gateway', i: 'instance', nat: 'NAT gateway', tgw: 'transit gateway' }[kind] ?? 'target';
}

/**
 * A "did you mean" hint: the only known id of the same kind, or the closest
 * one by edit distance when it differs in at most half its characters.
 */
function nearest(id: string, known: string[]): string | undefined {
  const kind = id.split('-')[0];
  const sameKind = known.filter((k) => k.split('-')[0] === kind);
  if (sameKind.length === 1) return `did you mean ${sameKind[0]}?`;
  let best: string | undefined;
  let bestDistance = Math.floor(id.length / 2) + 1;
  for (const k of sameKind.length ? sameKind : known) {
    const d = editDistance(id, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best ? `did you mean ${best}?` : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
