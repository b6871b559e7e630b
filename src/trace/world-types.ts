/**
 * The compiled world's records (trace/world.ts compiles them; trace/world-reuse.ts
 * takes them from a base world).
 */
import type { Estate } from '../model/estate.js';
import type { Instance, InternetGateway, NatGateway, NetworkAcl, Peering, RdsInstance, SecurityGroup, Subnet, TransitGateway, Vpc } from '../model/aws.js';
import type { Node, Pod } from '../model/k8s.js';
import type { Ipv4 } from '../net/ipv4.js';
import type { Prefix } from '../net/prefix.js';
import type { CompiledRouteTable } from '../aws/route-table.js';
import type { Ruleset } from '../linux/iptables/types.js';
import type { RouteEntry } from '../linux/route/ip-route.js';
import type { PolicyRule } from '../linux/route/ip-rule.js';
import type { IpSet } from '../linux/ipset/ipset-save.js';
import type { IpAddrIface } from '../linux/ip-addr.js';
import type { NftRuleset } from '../linux/nftables/types.js';
import type { Iface, NodeIface } from './node-ifaces.js';

/** A network interface in a VPC (an instance's primary or secondary ENI, an RDS endpoint's, a NAT gateway's). */
export interface EniRecord {
  /** `eni-of-<instance>` for an instance's primary interface, else the interface's id. */
  id: string;
  /** `Attachment.DeviceIndex`: 0 for a primary interface. */
  deviceIndex: number;
  /** MAC address, lower case, when known. */
  mac?: string;
  owner: { kind: 'instance'; instance: Instance } | { kind: 'rds'; rds: RdsInstance } | { kind: 'nat-gateway'; nat: NatGateway };
  subnet: SubnetRecord;
  /** Primary and secondary private addresses. */
  addresses: Ipv4[];
  /** IPv4 prefixes delegated to the interface: every address in them is the interface's own. */
  prefixes: Prefix[];
  primary: Ipv4;
  publicIp?: Ipv4;
  sourceDestCheck: boolean;
  groups: SecurityGroup[];
}

export interface VpcRecord {
  vpc: Vpc;
  blocks: Prefix[];
  /** The Amazon-provided DNS resolver: the primary block's base + 2. */
  resolver: Ipv4;
  igw?: InternetGateway;
}

export interface SubnetRecord {
  subnet: Subnet;
  prefix: Prefix;
  vpc: VpcRecord;
  routeTable: CompiledRouteTable;
  acl: NetworkAcl;
  /** True when the NACL is the VPC's implicit default (not in the input). */
  aclDerived: boolean;
}

export type { Iface } from './node-ifaces.js';

export interface NodeRecord {
  node: Node;
  /** The instance's primary ENI. */
  eni: EniRecord;
  /** The interface bound to the primary ENI (named eth0 unless the dumps bind that ENI to another name, such as ens5). */
  eth0: Iface;
  /** Every interface bound to one of the instance's ENIs, primary first (trace/node-ifaces.ts). */
  interfaces: NodeIface<EniRecord>[];
  /** Interfaces or ENIs the dumps matched ambiguously: left unbound. */
  ifaceConflicts: string[];
  /** The node's `ip addr` dump, parsed, when given. */
  ipAddr?: readonly IpAddrIface[];
  bridge?: Iface;
  ruleset: Ruleset;
  routes: RouteEntry[];
  /** Policy routing rules (`ip rule`); the kernel's defaults when none were given. */
  ipRules: readonly PolicyRule[];
  /** The node's ipsets (`ipset save`), when given. */
  ipsets?: ReadonlyMap<string, IpSet>;
  /** The node's native nftables ruleset, when given. */
  nft?: NftRuleset;
  /** Notes on what was derived rather than read. */
  derived: string[];
  pods: Map<Ipv4, PodRecord>;
}

export interface PodRecord {
  pod: Pod;
  name: string;
  node: NodeRecord;
  ip: Ipv4;
}

export interface World {
  estate: Estate;
  vpcs: Map<string, VpcRecord>;
  subnets: Map<string, SubnetRecord>;
  enis: Map<Ipv4, EniRecord>;
  /** Each instance's primary ENI. */
  instanceEni: Map<string, EniRecord>;
  /** Each instance's ENIs, primary first, then by device index. */
  instanceEnis: Map<string, EniRecord[]>;
  /** Secondary interfaces (device index 1 and up) by their `eni-` id: route targets may name them. */
  enisById: Map<string, EniRecord>;
  rdsById: Map<string, RdsInstance>;
  nodes: Map<string, NodeRecord>;
  nodeByInstance: Map<string, NodeRecord>;
  pods: Map<string, PodRecord>;
  podByIp: Map<Ipv4, PodRecord>;
  peerings: Map<string, Peering>;
  igws: Map<string, InternetGateway>;
  /**
   * Every private address of the interfaces associated with each security
   * group (primary and secondary addresses, and delegated prefixes): what a
   * reference to the group can admit.
   */
  sgMembers: Map<string, Set<Ipv4>>;
  /** NAT gateways by id: each is an interface in its subnet. */
  natGateways: Map<string, EniRecord>;
  transitGateways: Map<string, TransitGateway>;
  /** The parsed rule sets this world was compiled with: a what-if copy compiled with them re-parses only the dumps it changed. */
  rulesets: RulesetCache;
}

/**
 * iptables rule sets already parsed, by dump text (its digest when the loader gave one: textKey) and then by file:line, for
 * compiling estates that share node dumps (doctor compiles an estate and then
 * the estate plus probe hosts). Rule sets are not changed once parsed.
 */
export type RulesetCache = Map<string, Map<string, Ruleset>>;
/**
 * A what-if on every node's parsed dump (e.g. a Service's rules not
 * programmed): applied to each distinct parsed rule set once, before the
 * node's inserts; nodes without a dump keep their derived rules.
 */
export type RulesetEdit = (r: Ruleset) => Ruleset;
