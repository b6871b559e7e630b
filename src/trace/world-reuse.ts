/**
 * What a what-if copy's compile takes from the world of the estate it was
 * copied from. Copies (doctor's probe hosts, a DNS or hijack what-if, a fix
 * candidate) keep most of the estate's records as the same objects; a record
 * compiled from the same inputs is the same record, so it is taken as it is.
 *
 * Each taker answers only when every input its record was made from is the
 * very object the base compiled (identity, never equality), and the records
 * it points to (a subnet's VPC and route table, an ENI's subnet and groups)
 * were themselves taken; otherwise it answers undefined and the caller
 * compiles the record afresh. Records are not changed once compiled, except
 * that a node record's `pods` map is filled while its world is built: node
 * records are therefore taken only together with their pods (nodesWith).
 */
import type { Estate } from '../model/estate.js';
import type { Instance, InternetGateway, NatGateway, NetworkAcl, RdsInstance, RouteTable, SecurityGroup, Subnet, Vpc } from '../model/aws.js';
import type { Node, Pod } from '../model/k8s.js';
import type { Ipv4 } from '../net/ipv4.js';
import type { CompiledRouteTable } from '../aws/route-table.js';
import type { EniRecord, NodeRecord, PodRecord, RulesetCache, RulesetEdit, SubnetRecord, VpcRecord, World } from './world-types.js';

/** How each world was compiled: whether its dumps were parsed lazily or edited. */
export const compiledWith = new WeakMap<World, { lazy: boolean; edited: boolean }>();

/** The records of a base world, answered per input (see the module comment). */
export class Reuse {
  private readonly tables = new Map<string, { table: RouteTable; vpc: Vpc; compiled: CompiledRouteTable }>();

  constructor(private readonly estate: Estate, private readonly base?: World) {
    if (!base) return;
    const byId = new Map(base.estate.routeTables.map((t) => [t.id, t]));
    for (const s of base.subnets.values()) {
      const t = byId.get(s.routeTable.id);
      if (t) this.tables.set(t.id, { table: t, vpc: s.vpc.vpc, compiled: s.routeTable });
    }
  }

  vpc(vpc: Vpc, igw: InternetGateway | undefined): VpcRecord | undefined {
    const old = this.base?.vpcs.get(vpc.id);
    return old && old.vpc === vpc && old.igw === igw ? old : undefined;
  }

  /** A route table compiled from the same table object for the same VPC object. */
  routeTable(t: RouteTable, vpc: Vpc): CompiledRouteTable | undefined {
    const old = this.tables.get(t.id);
    return old && old.table === t && old.vpc === vpc ? old.compiled : undefined;
  }

  subnet(s: Subnet, vpc: VpcRecord, routeTable: CompiledRouteTable, acl: NetworkAcl | undefined): SubnetRecord | undefined {
    const old = this.base?.subnets.get(s.id);
    if (!old || old.subnet !== s || old.vpc !== vpc || old.routeTable !== routeTable) return undefined;
    // A derived default NACL is made per compile: equal when both are derived for the same VPC (same subnet object).
    return (acl ? old.acl === acl : old.aclDerived) ? old : undefined;
  }

  /** An instance's ENI records, when the instance, its subnets and its groups are the base's. */
  instanceEnis(i: Instance, subnets: Map<string, SubnetRecord>, sgs: Map<string, SecurityGroup>): EniRecord[] | undefined {
    const old = this.base?.instanceEnis.get(i.id);
    if (!old || old.some((e) => e.owner.kind !== 'instance' || e.owner.instance !== i || !this.sameLinks(e, subnets, sgs))) return undefined;
    return old;
  }

  rdsEni(r: RdsInstance, address: Ipv4, subnet: SubnetRecord, groups: SecurityGroup[]): EniRecord | undefined {
    const old = this.base?.enis.get(address);
    if (!old || old.owner.kind !== 'rds' || old.owner.rds !== r || old.subnet !== subnet) return undefined;
    return sameList(old.groups, groups) ? old : undefined;
  }

  natEni(g: NatGateway, subnet: SubnetRecord): EniRecord | undefined {
    const old = this.base?.natGateways.get(g.id);
    return old && old.owner.kind === 'nat-gateway' && old.owner.nat === g && old.subnet === subnet ? old : undefined;
  }

  /**
   * True when node records may be taken at all: the same rule set cache, the
   * same pods (a taken node record holds its pods' records), the same
   * Services (a node without a dump derives kube-proxy's rules from them), no
   * edit of the dumps in either world, and a base that parsed eagerly unless
   * this compile is lazy too.
   */
  nodesWith(rulesets: RulesetCache, lazy: boolean, edit: RulesetEdit | undefined): boolean {
    const base = this.base;
    const how = base && compiledWith.get(base);
    if (!base || !how || edit || how.edited || base.rulesets !== rulesets || (how.lazy && !lazy)) return false;
    const e = this.estate;
    const b = base.estate;
    return e.pods === b.pods && e.services === b.services && e.cluster === b.cluster && e.file === b.file;
  }

  /** A node's record, when the node object and its ENI records are the base's. */
  node(n: Node, enis: readonly EniRecord[]): NodeRecord | undefined {
    const old = this.base?.nodeByInstance.get(n.instance);
    if (!old || old.node !== n) return undefined;
    return sameList(this.base!.instanceEnis.get(n.instance)!, enis) ? old : undefined;
  }

  /** A pod's record (by its `namespace/name`), when its node's record was taken (it then holds this pod). */
  pod(p: Pod, name: string, node: NodeRecord): PodRecord | undefined {
    const old = this.base?.pods.get(name);
    return old && old.pod === p && old.node === node ? old : undefined;
  }

  private sameLinks(e: EniRecord, subnets: Map<string, SubnetRecord>, sgs: Map<string, SecurityGroup>): boolean {
    return subnets.get(e.subnet.subnet.id) === e.subnet && e.groups.every((g) => sgs.get(g.id) === g);
  }
}

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
