/**
 * The estate as a picture's graph: VPCs (with their CIDR blocks) holding
 * subnets, subnets holding EC2 instances, Kubernetes nodes (with pod CIDRs)
 * and RDS endpoints; peering connections, transit gateways and internet
 * gateways as links. Pure: layout and drawing happen in layout.ts/svg.ts.
 *
 * `elementOf` maps a trace hop's `at` (node name, resource id) to the box that
 * shows it, so a failing path can be highlighted hop by hop.
 */
import type { Estate } from '../../model/estate.js';

/** One box in the picture; `children` nest (VPC > subnet > host). */
export interface TopoNode {
  /** Element id, `vpc:vpc-0abc`, `subnet:...`, `host:i-0abc`, `rds:prod-db`, `pcx:...`. */
  id: string;
  kind: 'vpc' | 'subnet' | 'instance' | 'k8s-node' | 'rds' | 'tgw' | 'igw' | 'pcx';
  /** Lines of text, first one bold. */
  label: string[];
  children: TopoNode[];
}

/** A link between two boxes (peering, TGW attachment, IGW attachment). */
export interface TopoEdge {
  id: string;
  kind: 'peering' | 'tgw' | 'igw';
  from: string;
  to: string;
}

/** The picture's graph and the hop-location index. */
export interface Topology {
  nodes: TopoNode[];
  edges: TopoEdge[];
  /** Maps a hop's `at` to the box showing it. */
  elementOf: (at: string) => string | undefined;
}

export function topologyOf(e: Estate): Topology {
  const at = new Map<string, string>();
  const nodeOfInstance = new Map(e.nodes.map((n) => [n.instance, n]));
  const subnetBoxes = new Map<string, TopoNode>();
  const vpcs: TopoNode[] = e.vpcs.map((v) => {
    const id = `vpc:${v.id}`;
    at.set(v.id, id);
    const subnets = e.subnets.filter((s) => s.vpc === v.id).map((s) => {
      const box: TopoNode = { id: `subnet:${s.id}`, kind: 'subnet', label: [s.name ? `${s.name} (${s.id})` : s.id, s.cidr], children: [] };
      at.set(s.id, box.id);
      subnetBoxes.set(s.id, box);
      return box;
    });
    return { id, kind: 'vpc', label: [v.name ? `${v.name} (${v.id})` : v.id, v.cidrBlocks.join(', ')], children: subnets };
  });
  for (const i of e.instances) {
    const node = nodeOfInstance.get(i.id);
    const box: TopoNode = node
      ? { id: `host:${i.id}`, kind: 'k8s-node', label: [`node ${node.name}`, `${i.privateIp}${node.podCidr ? `, pods ${node.podCidr}` : ''}`], children: [] }
      : { id: `host:${i.id}`, kind: 'instance', label: [i.name ? `${i.name} (${i.id})` : i.id, i.privateIp], children: [] };
    at.set(i.id, box.id);
    at.set(`eni-of-${i.id}`, box.id);
    at.set(`instance:${i.id}`, box.id);
    for (const eni of i.secondaryEnis) at.set(eni.id, box.id);
    if (node) {
      at.set(node.name, box.id);
      at.set(`node:${node.name}`, box.id);
    }
    subnetBoxes.get(i.subnet)?.children.push(box);
  }
  for (const p of e.pods) {
    const host = at.get(p.node);
    if (!host) continue;
    // A pod's name is `namespace/name`, `default/` implied without a slash.
    const full = p.name.includes('/') ? p.name : `default/${p.name}`;
    for (const name of [p.name, full, full.split('/')[1]!]) at.set(name, host);
  }
  for (const r of e.rdsInstances) {
    const box: TopoNode = { id: `rds:${r.id}`, kind: 'rds', label: [`RDS ${r.id}`, `${r.address}:${r.port}`], children: [] };
    at.set(r.id, box.id);
    at.set(`rds:${r.id}`, box.id);
    subnetBoxes.get(r.subnet)?.children.push(box);
  }
  // Route tables, NACLs and security groups are drawn as their VPC.
  for (const x of [...e.routeTables, ...e.networkAcls, ...e.securityGroups]) if (at.has(x.vpc)) at.set(x.id, at.get(x.vpc)!);

  const top: TopoNode[] = [...vpcs];
  const edges: TopoEdge[] = [];
  for (const p of e.peerings) {
    if (!at.has(p.requester) || !at.has(p.accepter)) continue;
    edges.push({ id: `pcx:${p.id}`, kind: 'peering', from: at.get(p.requester)!, to: at.get(p.accepter)! });
    at.set(p.id, `pcx:${p.id}`);
  }
  for (const t of e.transitGateways) {
    const id = `tgw:${t.id}`;
    top.push({ id, kind: 'tgw', label: [t.name ? `TGW ${t.name}` : `TGW ${t.id}`, t.id], children: [] });
    at.set(t.id, id);
    for (const a of t.attachments) {
      at.set(a.id, id);
      if (a.vpc && at.has(a.vpc)) edges.push({ id: `tgw-link:${a.id}`, kind: 'tgw', from: id, to: at.get(a.vpc)! });
    }
  }
  for (const g of e.internetGateways) {
    const id = `igw:${g.id}`;
    top.push({ id, kind: 'igw', label: ['internet gateway', g.id], children: [] });
    at.set(g.id, id);
    if (at.has(g.vpc)) edges.push({ id: `igw-link:${g.id}`, kind: 'igw', from: id, to: at.get(g.vpc)! });
  }
  // Derived resources are named after their VPC (`acl-default-vpc-k8s`): drawn as that VPC.
  const vpcSuffix = (where: string) => e.vpcs.find((v) => where.endsWith(`-${v.id}`));
  return {
    nodes: top,
    edges,
    elementOf: (where) => at.get(where) ?? at.get(where.replace(/^(pod|node|rds|instance):/, '')) ?? (vpcSuffix(where) ? `vpc:${vpcSuffix(where)!.id}` : undefined),
  };
}
