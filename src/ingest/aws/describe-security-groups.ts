/**
 * `aws ec2 describe-security-groups` output. `IpPermissions` are inbound,
 * `IpPermissionsEgress` outbound; `IpProtocol` "-1" means all protocols and
 * then the port fields are absent; for ICMP, FromPort/ToPort are type/code.
 */
import { z } from 'zod';
import { Tags } from './common.js';

export const AwsIpPermission = z.looseObject({
  IpProtocol: z.union([z.string(), z.number()]),
  FromPort: z.number().int().optional(),
  ToPort: z.number().int().optional(),
  IpRanges: z.array(z.looseObject({ CidrIp: z.string(), Description: z.string().optional() })).default([]),
  Ipv6Ranges: z.array(z.looseObject({ CidrIpv6: z.string() })).default([]),
  UserIdGroupPairs: z.array(z.looseObject({ GroupId: z.string().optional(), Description: z.string().optional() })).default([]),
  PrefixListIds: z.array(z.looseObject({ PrefixListId: z.string() })).default([]),
});
export type AwsIpPermission = z.infer<typeof AwsIpPermission>;

export const AwsSecurityGroup = z.looseObject({
  GroupId: z.string().startsWith('sg-'),
  GroupName: z.string().optional(),
  VpcId: z.string().startsWith('vpc-').optional(),
  IpPermissions: z.array(AwsIpPermission).default([]),
  IpPermissionsEgress: z.array(AwsIpPermission).optional(),
  Tags,
});
export type AwsSecurityGroup = z.infer<typeof AwsSecurityGroup>;

export const DescribeSecurityGroups = z.looseObject({ SecurityGroups: z.array(AwsSecurityGroup) });
