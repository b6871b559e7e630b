/** `aws ec2 describe-instances` output: reservations of instances with their network interfaces. */
import { z } from 'zod';
import { Ipv4Text } from '../../model/fields.js';
import { Tags } from './common.js';

const PrivateIp = z.looseObject({ PrivateIpAddress: Ipv4Text, Primary: z.boolean().optional() });

/** `Ipv4Prefixes`: prefixes delegated to an interface (checked as /28 CIDRs when converted). */
export const AwsIpv4Prefixes = z.array(z.looseObject({ Ipv4Prefix: z.string() })).default([]);

export const AwsInstanceEni = z.looseObject({
  NetworkInterfaceId: z.string(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  MacAddress: z.string().optional(),
  PrivateIpAddress: Ipv4Text.optional(),
  PrivateIpAddresses: z.array(PrivateIp).default([]),
  Ipv4Prefixes: AwsIpv4Prefixes,
  SourceDestCheck: z.boolean().optional(),
  Attachment: z.looseObject({ DeviceIndex: z.number().int().optional() }).optional(),
  Groups: z.array(z.looseObject({ GroupId: z.string() })).default([]),
});
export type AwsInstanceEni = z.infer<typeof AwsInstanceEni>;

export const AwsInstance = z.looseObject({
  InstanceId: z.string().startsWith('i-'),
  State: z.looseObject({ Name: z.string() }).optional(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  PrivateIpAddress: Ipv4Text.optional(),
  PublicIpAddress: Ipv4Text.optional(),
  SourceDestCheck: z.boolean().optional(),
  SecurityGroups: z.array(z.looseObject({ GroupId: z.string() })).default([]),
  NetworkInterfaces: z.array(AwsInstanceEni).default([]),
  Tags,
});
export type AwsInstance = z.infer<typeof AwsInstance>;

export const DescribeInstances = z.looseObject({ Reservations: z.array(z.looseObject({ Instances: z.array(AwsInstance).default([]) })) });
