/**
 * Names that mean the same network element in two estates written
 * differently: a hand-written estate file calls a subnet `subnet-main-db`,
 * the snapshot of the same network `subnet-0f6a7b8c`. Doctor's keys are made
 * of such ids, so `diff` renames every id a key holds to what the element is
 * (its addresses and place), the same on both sides:
 *   vpc      vpc(10.0.0.0/16)                 its CIDR blocks
 *   subnet   subnet(10.0.16.0/20)@vpc(...)    its block in its VPC
 *   rtb      rtb(main)@vpc(...) | rtb(subnet(...), ...)@vpc(...)
 *   pcx      pcx(vpc(...)<>vpc(...))          the two VPCs, sorted
 *   sg       sg(prod-db)@vpc(...)             group name (unique per VPC), else the id
 *   igw      igw@vpc(...);  acl  acl(subnet(...), ...)@vpc(...) | acl(default)@vpc(...)
 *   i-, eni-of-i-  i(172.20.0.23), eni(172.20.0.23)   the primary private address
 *   nat      nat(10.1.0.5)                    its private address
 * Ids of anything else, and ids whose identity is not unique in the estate,
 * are kept. Pure; only known ids are renamed (a key is cut into id-shaped
 * tokens and each is looked up).
 */
import type { Estate } from '../model/estate.js';

/** Renames the ids in a key to identities shared by every estate of the same network. */
export type Canonical = (key: string) => string;

export function canonicalNames(e: Estate): Canonical {
  const names = new Map<string, string>();
  const vpc = (id: string) => names.get(id) ?? id;
  for (const v of e.vpcs) names.set(v.id, `vpc(${[...v.cidrBlocks].sort().join(',')})`);
  for (const s of e.subnets) names.set(s.id, `subnet(${s.cidr})@${vpc(s.vpc)}`);
  const subnetsOf = (pick: (s: Estate['subnets'][number]) => string | undefined, id: string) => e.subnets.filter((s) => pick(s) === id).map((s) => s.cidr).sort();
  for (const t of e.routeTables) {
    const subs = subnetsOf((s) => s.routeTable, t.id);
    names.set(t.id, `rtb(${[...(t.main ? ['main'] : []), ...subs].join(',') || t.id})@${vpc(t.vpc)}`);
  }
  for (const a of e.networkAcls) {
    const subs = subnetsOf((s) => s.networkAcl, a.id);
    names.set(a.id, `acl(${subs.join(',') || 'default'})@${vpc(a.vpc)}`);
  }
  for (const p of e.peerings) names.set(p.id, `pcx(${[vpc(p.requester), vpc(p.accepter)].sort().join('<>')})`);
  for (const g of e.internetGateways) names.set(g.id, `igw@${vpc(g.vpc)}`);
  const groupNames = new Map<string, number>();
  for (const g of e.securityGroups) if (g.name) groupNames.set(`${g.vpc}/${g.name}`, (groupNames.get(`${g.vpc}/${g.name}`) ?? 0) + 1);
  for (const g of e.securityGroups) if (g.name && groupNames.get(`${g.vpc}/${g.name}`) === 1) names.set(g.id, `sg(${g.name})@${vpc(g.vpc)}`);
  for (const i of e.instances) {
    names.set(i.id, `i(${i.privateIp})`);
    names.set(`eni-of-${i.id}`, `eni(${i.privateIp})`);
  }
  for (const n of e.natGateways) names.set(n.id, `nat(${n.privateIp})`);
  // Two elements given one identity (two unassociated ACLs of a VPC) keep their ids: never merge distinct things.
  const uses = new Map<string, number>();
  for (const v of names.values()) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const [id, v] of names) if (uses.get(v)! > 1) names.set(id, id);
  return (key) => key.replace(/[A-Za-z0-9][A-Za-z0-9-]*/g, (token) => names.get(token) ?? token);
}
