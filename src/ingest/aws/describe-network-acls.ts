/**
 * `aws ec2 describe-network-acls` output. Entries of both directions in one
 * list (`Egress`); rule 32767 is the default `*` deny AWS appends (and 32768
 * its IPv6 twin); `Protocol` is "-1" or an IANA number as text.
 */
import { z } from 'zod';
import { Tags } from './common.js';

export const AwsNaclEntry = z.looseObject({
  RuleNumber: z.number().int(),
  Egress: z.boolean(),
  RuleAction: z.enum(['allow', 'deny']),
  Protocol: z.union([z.string(), z.number()]),
  CidrBlock: z.string().optional(),
  Ipv6CidrBlock: z.string().optional(),
  PortRange: z.looseObject({ From: z.number().int(), To: z.number().int() }).optional(),
});
export type AwsNaclEntry = z.infer<typeof AwsNaclEntry>;

export const AwsNetworkAcl = z.looseObject({
  NetworkAclId: z.string().startsWith('acl-'),
  VpcId: z.string().startsWith('vpc-'),
  IsDefault: z.boolean().optional(),
  Entries: z.array(AwsNaclEntry).default([]),
  Associations: z.array(z.looseObject({ SubnetId: z.string().optional() })).default([]),
  Tags,
});
export type AwsNetworkAcl = z.infer<typeof AwsNetworkAcl>;

export const DescribeNetworkAcls = z.looseObject({ NetworkAcls: z.array(AwsNetworkAcl) });
