/**
 * The AWS fabric as plain data. Field names follow AWS's concepts; the
 * compact YAML estate format is these schemas (docs/estate-format.md), and
 * ingest/ maps describe-* JSON onto them.
 */
import { z } from 'zod';
import { AwsId, CidrText, Ipv4PrefixText, Ipv4Text, MacText, PortRange, RuleProto } from './fields.js';
import { SourceLocSchema } from './source.js';

/** A VPC with one or more IPv4 CIDR blocks (primary first). */
export const VpcSchema = z.object({
  id: AwsId('vpc'),
  name: z.string().optional(),
  cidrBlocks: z.array(CidrText).min(1),
  source: SourceLocSchema.optional(),
});
export type Vpc = z.infer<typeof VpcSchema>;

/** A subnet: one CIDR inside its VPC, one route table, one network ACL. */
export const SubnetSchema = z.object({
  id: AwsId('subnet'),
  vpc: AwsId('vpc'),
  cidr: CidrText,
  /** Explicitly associated route table. @default the VPC's main route table */
  routeTable: AwsId('rtb').optional(),
  /** Associated network ACL. @default the VPC's default NACL (allows all both ways) */
  networkAcl: AwsId('acl').optional(),
  /** Its Availability Zone (`us-east-1a`): a transit gateway attachment serves only the zones of its subnets. @default unknown */
  availabilityZone: z.string().optional(),
  name: z.string().optional(),
  source: SourceLocSchema.optional(),
});
export type Subnet = z.infer<typeof SubnetSchema>;

/**
 * A route: destination CIDR and target. The target's kind is read from its id
 * prefix as AWS ids carry it: `local`, `blackhole`, `igw-`, `nat-`, `pcx-`,
 * `tgw-`, `i-` (instance's primary ENI), `eni-`, `vgw-`; and targets podpath
 * keeps but does not trace through (a trace that takes one says `unknown`):
 * `vpce-` (gateway, interface or Gateway Load Balancer endpoint), `eigw-`
 * (egress-only internet gateway), `cagw-` (carrier gateway), `lgw-` (local
 * gateway) and a Cloud WAN core network ARN.
 */
export const RouteSchema = z.object({
  destination: CidrText,
  target: z.string().regex(
    /^(local|blackhole|(igw|nat|pcx|tgw|i|eni|vgw|vpce|eigw|cagw|lgw)-[A-Za-z0-9-]+|arn:aws[a-z-]*:networkmanager::\d*:core-network\/[A-Za-z0-9-]+)$/,
    'expected local, blackhole or a target id (igw-, nat-, pcx-, tgw-, i-, eni-, vgw-, vpce-, eigw-, cagw-, lgw-)',
  ),
  /**
   * How the route got into the table (describe-route-tables `Origin`): `static`
   * (CreateRoute, CreateRouteTable) or `propagated` (EnableVgwRoutePropagation).
   * @default static
   */
  origin: z.enum(['static', 'propagated']).optional(),
  /** The managed prefix list this destination is an entry of (a prefix-list route). @default none: a CIDR route */
  prefixList: AwsId('pl').optional(),
  source: SourceLocSchema.optional(),
});
export type Route = z.infer<typeof RouteSchema>;

/** A route table. The `local` routes for the VPC's CIDR blocks are implicit when absent. */
export const RouteTableSchema = z.object({
  id: AwsId('rtb'),
  vpc: AwsId('vpc'),
  /** The VPC's main table, used by subnets without an explicit association. @default false */
  main: z.boolean().default(false),
  routes: z.array(RouteSchema).default([]),
  /**
   * Prefix-list routes whose list entries the input lacks: their destinations
   * are unknown, so a lookup they could win answers `unknown` (never a
   * fallback to a broader route). @default none
   */
  unresolved: z.array(z.object({ prefixList: AwsId('pl'), target: RouteSchema.shape.target })).optional(),
  source: SourceLocSchema.optional(),
});
export type RouteTable = z.infer<typeof RouteTableSchema>;

/** A VPC peering connection between two VPCs. */
export const PeeringSchema = z.object({
  id: AwsId('pcx'),
  requester: AwsId('vpc'),
  accepter: AwsId('vpc'),
  /** Only an `active` peering carries traffic. @default active */
  status: z.enum(['active', 'pending-acceptance', 'rejected', 'deleted', 'failed', 'expired']).default('active'),
  source: SourceLocSchema.optional(),
});
export type Peering = z.infer<typeof PeeringSchema>;

/** An internet gateway attached to a VPC. */
export const InternetGatewaySchema = z.object({
  id: AwsId('igw'),
  vpc: AwsId('vpc'),
  source: SourceLocSchema.optional(),
});
export type InternetGateway = z.infer<typeof InternetGatewaySchema>;

/** A security group rule: allow only. Exactly one of `cidr` and `sg`. */
export const SgRuleSchema = z
  .object({
    proto: RuleProto,
    /** Port or range; ignored for `all` and `icmp`. @default all ports */
    ports: PortRange.optional(),
    cidr: CidrText.optional(),
    /**
     * A referenced security group: matches the private addresses (primary,
     * secondary, delegated prefixes) of the interfaces in that group, when one
     * of them sends (ingress) or receives (egress) the packet itself.
     */
    sg: AwsId('sg').optional(),
    description: z.string().optional(),
  })
  .refine((r) => (r.cidr === undefined) !== (r.sg === undefined), { message: 'a security group rule needs exactly one of cidr or sg' });
export type SgRule = z.infer<typeof SgRuleSchema>;

/** A security group: stateful allow lists for each direction. */
export const SecurityGroupSchema = z.object({
  id: AwsId('sg'),
  vpc: AwsId('vpc'),
  name: z.string().optional(),
  ingress: z.array(SgRuleSchema).default([]),
  /** Outbound rules. @default one rule allowing all traffic to 0.0.0.0/0, as AWS creates it */
  egress: z.array(SgRuleSchema).default([{ proto: 'all', cidr: '0.0.0.0/0' }]),
  source: SourceLocSchema.optional(),
});
export type SecurityGroup = z.infer<typeof SecurityGroupSchema>;

/** A network ACL entry; entries are evaluated lowest `rule` number first. */
export const NaclRuleSchema = z.object({
  rule: z.number().int().min(1).max(32766),
  proto: RuleProto,
  ports: PortRange.optional(),
  cidr: CidrText,
  action: z.enum(['allow', 'deny']),
});
export type NaclRule = z.infer<typeof NaclRuleSchema>;

/** A network ACL: stateless, ordered, with an implicit final deny (`*`). */
export const NetworkAclSchema = z.object({
  id: AwsId('acl'),
  vpc: AwsId('vpc'),
  ingress: z.array(NaclRuleSchema).default([]),
  egress: z.array(NaclRuleSchema).default([]),
  source: SourceLocSchema.optional(),
});
export type NetworkAcl = z.infer<typeof NetworkAclSchema>;

/**
 * A network interface attached to an instance besides its primary one
 * (device index 1 and up), such as the VPC CNI's secondary ENIs.
 */
export const SecondaryEniSchema = z.object({
  id: AwsId('eni'),
  /** `Attachment.DeviceIndex`: 1 and up (0 is the primary interface). */
  deviceIndex: z.number().int().min(1),
  /** The interface's subnet (in the instance's Availability Zone). @default the instance's subnet */
  subnet: AwsId('subnet').optional(),
  privateIp: Ipv4Text,
  /** @default none */
  secondaryIps: z.array(Ipv4Text).default([]),
  /** Delegated /28 prefixes. @default none */
  ipv4Prefixes: z.array(Ipv4PrefixText).default([]),
  /** The interface's own security groups. @default the instance's (as the VPC CNI attaches its secondary ENIs) */
  securityGroups: z.array(AwsId('sg')).optional(),
  /** @default true, as AWS creates interfaces */
  sourceDestCheck: z.boolean().default(true),
  /** Its MAC address (`MacAddress`): binds it to the node interface `ip addr` shows with that MAC. */
  mac: MacText.optional(),
});
export type SecondaryEni = z.infer<typeof SecondaryEniSchema>;

/** An EC2 instance with its primary network interface. */
export const InstanceSchema = z.object({
  id: AwsId('i'),
  name: z.string().optional(),
  subnet: AwsId('subnet'),
  privateIp: Ipv4Text,
  /** Secondary private addresses of the primary ENI. @default none */
  secondaryIps: z.array(Ipv4Text).default([]),
  /** IPv4 prefixes delegated to the primary ENI (`Ipv4Prefixes`, /28 each; the VPC CNI's prefix mode). @default none */
  ipv4Prefixes: z.array(Ipv4PrefixText).default([]),
  /** Public IPv4 (or Elastic IP) the internet gateway maps to the primary address. */
  publicIp: Ipv4Text.optional(),
  securityGroups: z.array(AwsId('sg')).default([]),
  /** The ENI's source/destination check. @default true, as AWS creates it */
  sourceDestCheck: z.boolean().default(true),
  /** The primary ENI's MAC address: binds it to the node interface `ip addr` shows with that MAC. */
  mac: MacText.optional(),
  /** Further attached interfaces (device index 1 and up). @default none */
  secondaryEnis: z.array(SecondaryEniSchema).default([]),
  source: SourceLocSchema.optional(),
});
export type Instance = z.infer<typeof InstanceSchema>;

/** An RDS DB instance endpoint: its ENI address, port and security groups. */
export const RdsInstanceSchema = z.object({
  id: z.string().min(1),
  engine: z.string().default('postgres'),
  subnet: AwsId('subnet'),
  address: Ipv4Text,
  port: z.number().int().min(1).max(65535),
  securityGroups: z.array(AwsId('sg')).default([]),
  source: SourceLocSchema.optional(),
});
export type RdsInstance = z.infer<typeof RdsInstanceSchema>;

/**
 * A NAT gateway: it rewrites the source of traffic routed to it to its own
 * private address, and maps replies back (docs/estate-format.md).
 */
export const NatGatewaySchema = z.object({
  id: AwsId('nat'),
  subnet: AwsId('subnet'),
  /** The gateway's private address in its subnet (the source it writes). */
  privateIp: Ipv4Text,
  /** The Elastic IP the internet gateway maps `privateIp` to (public gateways only). */
  publicIp: Ipv4Text.optional(),
  /** @default public */
  connectivity: z.enum(['public', 'private']).default('public'),
  /** Only an `available` gateway forwards traffic. @default available */
  state: z.enum(['pending', 'failed', 'available', 'deleting', 'deleted']).default('available'),
  source: SourceLocSchema.optional(),
});
export type NatGateway = z.infer<typeof NatGatewaySchema>;

/**
 * An attachment of a transit gateway: to a VPC, or a peering attachment to
 * another transit gateway (`peerTgw`; both gateways list it under the same
 * id). Associated with at most one TGW route table.
 */
export const TgwAttachmentSchema = z
  .object({
    id: AwsId('tgw-attach'),
    /** The attached VPC (a VPC attachment). */
    vpc: AwsId('vpc').optional(),
    /** The transit gateway at the other end (a peering attachment, possibly in another account or Region). */
    peerTgw: AwsId('tgw').optional(),
    /** Any other attachment (`vpn vpn-0abc`, `direct-connect-gateway ...`, `connect ...`): kept so that routes to it say `unknown`. */
    other: z.string().optional(),
    /** The subnets (one per AZ) holding the attachment's interfaces. @default none */
    subnets: z.array(AwsId('subnet')).default([]),
    /** The TGW route table the attachment is associated with; without one, the TGW drops its traffic. */
    routeTable: AwsId('tgw-rtb').optional(),
    /**
     * Why the input does not say which table the attachment is associated with
     * (its association or that table is not recorded): then routing its
     * traffic is `unknown`, not `no-route`. @default none: `routeTable` is the whole truth
     */
    associationUnknown: z.string().optional(),
    /** Only an `available` attachment carries traffic. @default available */
    state: z.string().default('available'),
    /**
     * The attachment's `SecurityGroupReferencingSupport` option: with the
     * gateway's own option, lets security group rules reference groups across
     * VPCs attached to the gateway. @default true, as AWS creates VPC attachments
     */
    securityGroupReferencing: z.boolean().default(true),
  })
  .refine((a) => [a.vpc, a.peerTgw, a.other].filter((x) => x !== undefined).length === 1, { message: 'a transit gateway attachment needs exactly one of vpc, peerTgw or other' });
export type TgwAttachment = z.infer<typeof TgwAttachmentSchema>;

/** A static TGW route: to an attachment, or a blackhole. */
export const TgwRouteSchema = z
  .object({
    destination: CidrText,
    attachment: AwsId('tgw-attach').optional(),
    /** @default false */
    blackhole: z.boolean().default(false),
    /** The prefix list this destination is an entry of (a prefix list reference route). @default none */
    prefixList: AwsId('pl').optional(),
  })
  .refine((r) => r.blackhole !== (r.attachment !== undefined), { message: 'a transit gateway route needs exactly one of attachment or blackhole: true' });
export type TgwRoute = z.infer<typeof TgwRouteSchema>;

/** A transit gateway route table: static routes plus routes propagated from attachments. */
export const TgwRouteTableSchema = z.object({
  id: AwsId('tgw-rtb'),
  /** Attachments whose VPC CIDR blocks are propagated into this table. @default none */
  propagations: z.array(AwsId('tgw-attach')).default([]),
  routes: z.array(TgwRouteSchema).default([]),
  /**
   * What the input lacks of this table's routes (no route output was recorded,
   * or only part of it). Then a lookup that matches no route says `unknown`,
   * never `no-route`. @default none: the routes are complete
   */
  incomplete: z.string().optional(),
});
export type TgwRouteTable = z.infer<typeof TgwRouteTableSchema>;

/** A transit gateway with its attachments and route tables. */
export const TransitGatewaySchema = z.object({
  id: AwsId('tgw'),
  name: z.string().optional(),
  attachments: z.array(TgwAttachmentSchema).default([]),
  routeTables: z.array(TgwRouteTableSchema).default([]),
  /**
   * The gateway's `SecurityGroupReferencingSupport` option (Transit Gateway
   * guide, "Security group referencing"). @default false, AWS's default for a transit gateway
   */
  securityGroupReferencing: z.boolean().default(false),
  source: SourceLocSchema.optional(),
});
export type TransitGateway = z.infer<typeof TransitGatewaySchema>;
