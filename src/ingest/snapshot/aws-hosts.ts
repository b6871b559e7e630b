/**
 * Maps AWS vendor records of filters and hosts (security groups, network
 * ACLs, instances, RDS) onto the model, after the fabric (aws-fabric.ts).
 * An RDS endpoint's address is its ENI's (describe-network-interfaces, the
 * "RDSNetworkInterface") or podpath.yaml's `rds:` override; when neither
 * says, the DB is left out with a warning naming its DNS endpoint.
 */
import type { EstateInput } from '../../model/estate.js';
import { parseIpv4 } from '../../net/ipv4.js';
import { contains, parseCidr, type Prefix } from '../../net/prefix.js';
import { nameTag, ruleProto } from '../aws/common.js';
import type { AwsIpPermission } from '../aws/describe-security-groups.js';
import { isRdsInterface } from '../aws/describe-network-interfaces.js';
import { instanceEnis, interfacesByInstance } from './instance-enis.js';
import type { VendorRecords } from './collect-docs.js';
import { ipv4Cidr, type Fabric } from './aws-fabric.js';
import type { SnapshotNotes } from './notes.js';

type In<K extends keyof EstateInput> = NonNullable<EstateInput[K]>;
export interface Hosts {
  securityGroups: In<'securityGroups'>;
  networkAcls: In<'networkAcls'>;
  instances: In<'instances'>;
  rdsInstances: In<'rdsInstances'>;
}
type SgRuleIn = In<'securityGroups'>[number]['ingress'] extends (infer R)[] | undefined ? R : never;

export function convertHosts(r: VendorRecords, f: Fabric, notes: SnapshotNotes, rdsAddresses: Record<string, string>): Hosts {
  const vpcIds = new Set(f.vpcs.map((v) => v.id));
  const subnets = new Map(f.subnets.map((s) => [s.id, s]));
  const sgIds = new Set(r.securityGroups.filter((g) => g.VpcId && vpcIds.has(g.VpcId)).map((g) => g.GroupId));

  const securityGroups: In<'securityGroups'> = [];
  for (const g of r.securityGroups) {
    if (!g.VpcId || !vpcIds.has(g.VpcId)) { notes.warn(`${g.GroupId} is in ${g.VpcId ?? 'no VPC'}, which is unknown; security group ignored`, g.file); continue; }
    const rules = (perms: AwsIpPermission[], dir: string) => perms.flatMap((p, i) => sgRules(p, `${g.GroupId} ${dir}[${i}]`, sgIds, r, notes, g.file));
    securityGroups.push({
      id: g.GroupId, vpc: g.VpcId, name: g.GroupName ?? nameTag(g.Tags), ingress: rules(g.IpPermissions, 'ingress'),
      ...(g.IpPermissionsEgress ? { egress: rules(g.IpPermissionsEgress, 'egress') } : {}),
    });
  }

  const networkAcls: In<'networkAcls'> = [];
  for (const a of r.networkAcls) {
    if (!vpcIds.has(a.VpcId)) { notes.warn(`${a.NetworkAclId} is in ${a.VpcId}, which is unknown; network ACL ignored`, a.file); continue; }
    const entries = (egress: boolean) => a.Entries
      .filter((e) => e.Egress === egress)
      // 32767 is AWS's final `*` deny (32768 its IPv6 twin), implicit in the model.
      .filter((e) => e.RuleNumber < 32767)
      .flatMap((e) => {
        const cidr = ipv4Cidr(e.CidrBlock ?? e.Ipv6CidrBlock, `${a.NetworkAclId} rule ${e.RuleNumber}`, notes, a.file);
        if (!cidr) return [];
        const proto = ruleProto(e.Protocol);
        const ports = (proto === 'tcp' || proto === 'udp') && e.PortRange ? `${e.PortRange.From}-${e.PortRange.To}` : undefined;
        return [{ rule: e.RuleNumber, proto, cidr, action: e.RuleAction, ...(ports ? { ports } : {}) }];
      })
      .sort((x, y) => x.rule - y.rule);
    networkAcls.push({ id: a.NetworkAclId, vpc: a.VpcId, ingress: entries(false), egress: entries(true) });
  }

  const instances: In<'instances'> = [];
  const attached = interfacesByInstance(r.interfaces);
  for (const i of r.instances) {
    if (!i.SubnetId || !i.PrivateIpAddress) { notes.ignore(`instance ${i.InstanceId} (${i.State?.Name ?? 'unknown state'})`, 'it has no network interface (terminated or stopped without one)', i.file); continue; }
    if (!subnets.has(i.SubnetId)) { notes.warn(`instance ${i.InstanceId} is in ${i.SubnetId}, which the snapshot does not describe; instance ignored`, i.file); continue; }
    const enis = instanceEnis(i, attached, notes);
    const primary = enis.find((e) => e.deviceIndex === 0);
    const secondaryIps = (primary?.secondaryIps ?? []).filter((a) => a !== i.PrivateIpAddress);
    const knownGroups = (ids: string[], who: string) => ids.filter((g) => sgIds.has(g) || (notes.warn(`${who}: security group ${g} is not in the snapshot; left out`, i.file), false));
    const groups = knownGroups(i.SecurityGroups.map((g) => g.GroupId), `instance ${i.InstanceId}`);
    const secondaryEnis: In<'instances'>[number]['secondaryEnis'] = [];
    for (const other of enis.filter((e) => e !== primary)) {
      const where = `${other.id} of ${i.InstanceId}`;
      if (!other.privateIp) { notes.ignore(where, 'it has no private IPv4 address', i.file); continue; }
      if (other.deviceIndex < 1 || other.deviceIndex === Number.MAX_SAFE_INTEGER) { notes.ignore(where, 'its attachment has no device index', i.file); continue; }
      const subnet = other.subnet ?? i.SubnetId;
      if (!subnets.has(subnet)) { notes.warn(`${where} is in ${subnet}, which the snapshot does not describe; interface ignored`, i.file); continue; }
      secondaryEnis.push({
        id: other.id, deviceIndex: other.deviceIndex, subnet, privateIp: other.privateIp, secondaryIps: other.secondaryIps, ipv4Prefixes: other.ipv4Prefixes,
        securityGroups: knownGroups(other.groups, where), ...(other.sourceDestCheck !== undefined ? { sourceDestCheck: other.sourceDestCheck } : {}),
        ...(other.mac ? { mac: other.mac } : {}),
      });
    }
    instances.push({
      id: i.InstanceId, name: nameTag(i.Tags), subnet: i.SubnetId, privateIp: i.PrivateIpAddress, secondaryIps, ipv4Prefixes: primary?.ipv4Prefixes ?? [],
      ...(primary?.mac ? { mac: primary.mac } : {}), secondaryEnis,
      ...(i.PublicIpAddress ? { publicIp: i.PublicIpAddress } : {}), securityGroups: groups, sourceDestCheck: i.SourceDestCheck ?? primary?.sourceDestCheck ?? true,
    });
  }

  const rdsInstances: In<'rdsInstances'> = [];
  // Looked up per DB instance: RDS interfaces by VPC, and each subnet's block parsed once.
  const rdsInterfaces = r.interfaces.filter(isRdsInterface);
  const rdsInterfacesIn = groupBy(rdsInterfaces, (e) => e.VpcId);
  const holding = subnetFinder(f.subnets);
  for (const db of r.dbInstances) {
    const id = db.DBInstanceIdentifier;
    const groups = db.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId);
    const dbSubnets = db.DBSubnetGroup?.Subnets.map((s) => s.SubnetIdentifier) ?? [];
    const dns = db.Endpoint?.Address ?? 'no endpoint';
    let address = rdsAddresses[id];
    let how = 'podpath.yaml rds override';
    if (!address) {
      const inVpc = db.DBSubnetGroup?.VpcId ? rdsInterfacesIn.get(db.DBSubnetGroup.VpcId) ?? [] : rdsInterfaces;
      const candidates = inVpc.filter((e) => (!e.SubnetId || dbSubnets.length === 0 || dbSubnets.includes(e.SubnetId)) && e.Groups.every((g) => groups.includes(g.GroupId)));
      if (candidates.length === 1 && candidates[0]!.PrivateIpAddress) {
        address = candidates[0]!.PrivateIpAddress;
        how = `its network interface ${candidates[0]!.NetworkInterfaceId}`;
      } else {
        const why = candidates.length ? `${candidates.length} RDS network interfaces match its VPC, subnets and security groups` : 'no RDS network interface in describe-network-interfaces matches it';
        notes.warn(`RDS ${id}: endpoint ${dns} is a DNS name and ${why}; its address is unknown, so it is left out (give it in podpath.yaml: rds: {${id}: ADDRESS})`, db.file);
        continue;
      }
    }
    const subnet = holding(parseIpv4(address), dbSubnets);
    if (!subnet) { notes.warn(`RDS ${id}: no subnet of the snapshot holds ${address}; left out`, db.file); continue; }
    notes.derive(`RDS ${id} address ${address}`, `${how} (the endpoint ${dns} is a DNS name)`);
    rdsInstances.push({ id, engine: db.Engine ?? 'postgres', subnet: subnet.id, address, port: db.Endpoint?.Port ?? 5432, securityGroups: groups.filter((g) => sgIds.has(g)) });
  }
  return { securityGroups, networkAcls, instances, rdsInstances };
}

/** `items` grouped by `key` (items whose key is undefined left out), each group in input order. */
function groupBy<T>(items: readonly T[], key: (x: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/**
 * The subnet holding an address: the first in `subnets` order among `preferred` (a DB subnet
 * group's subnets; all subnets when empty), else the first of all.
 */
function subnetFinder(subnets: Fabric['subnets']): (ip: number, preferred: readonly string[]) => Fabric['subnets'][number] | undefined {
  const blocks: Prefix[] = [];
  const block = (k: number) => (blocks[k] ??= parseCidr(subnets[k]!.cidr));
  const indexOf = new Map<string, number>();
  subnets.forEach((s, k) => { if (!indexOf.has(s.id)) indexOf.set(s.id, k); });
  const firstOf = (ip: number) => subnets.find((_, k) => contains(block(k), ip));
  return (ip, preferred) => {
    if (!preferred.length) return firstOf(ip);
    let best: number | undefined;
    for (const id of preferred) {
      const k = indexOf.get(id);
      if (k !== undefined && (best === undefined || k < best) && contains(block(k), ip)) best = k;
    }
    return best !== undefined ? subnets[best] : firstOf(ip);
  };
}

/** The model rules of one IpPermission: one per IPv4 range, group pair and prefix-list entry. */
function sgRules(p: AwsIpPermission, where: string, sgIds: Set<string>, r: VendorRecords, notes: SnapshotNotes, file: string): SgRuleIn[] {
  const proto = ruleProto(p.IpProtocol);
  const hasPorts = (proto === 'tcp' || proto === 'udp') && p.FromPort !== undefined && p.FromPort >= 0;
  const base = { proto, ...(hasPorts ? { ports: `${p.FromPort}-${p.ToPort ?? p.FromPort}` } : {}) };
  const out: SgRuleIn[] = [];
  for (const range of p.IpRanges) {
    const cidr = ipv4Cidr(range.CidrIp, where, notes, file);
    if (cidr) out.push({ ...base, cidr, ...(range.Description ? { description: range.Description } : {}) });
  }
  for (const range of p.Ipv6Ranges) ipv4Cidr(range.CidrIpv6, where, notes, file);
  for (const pair of p.UserIdGroupPairs) {
    if (!pair.GroupId) continue;
    if (sgIds.has(pair.GroupId)) out.push({ ...base, sg: pair.GroupId });
    else notes.warn(`${where}: allows members of ${pair.GroupId}, which the snapshot does not describe; that rule matches nobody podpath knows`, file);
  }
  for (const pl of p.PrefixListIds) {
    const entries = r.prefixLists.get(pl.PrefixListId);
    if (!entries) { notes.warn(`${where}: prefix list ${pl.PrefixListId} has no entries in the snapshot; that rule is ignored`, file); continue; }
    for (const c of entries) {
      const cidr = ipv4Cidr(c, where, notes, file);
      if (cidr) out.push({ ...base, cidr, description: `from prefix list ${pl.PrefixListId}` });
    }
  }
  return out;
}
