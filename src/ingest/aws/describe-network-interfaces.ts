/**
 * `aws ec2 describe-network-interfaces` output. Used to resolve route targets
 * given as ENIs, the address of an RDS endpoint (its ENI has
 * `Description` "RDSNetworkInterface" and `RequesterId` "amazon-rds"), and the
 * interfaces attached to instances (`Attachment.InstanceId`): their secondary
 * addresses, delegated prefixes, groups and MAC addresses.
 */
import { z } from 'zod';
import { Ipv4Text } from '../../model/fields.js';
import { AwsIpv4Prefixes } from './describe-instances.js';

export const AwsNetworkInterface = z.looseObject({
  NetworkInterfaceId: z.string().startsWith('eni-'),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  PrivateIpAddress: Ipv4Text.optional(),
  MacAddress: z.string().optional(),
  PrivateIpAddresses: z.array(z.looseObject({ PrivateIpAddress: Ipv4Text, Primary: z.boolean().optional() })).default([]),
  Ipv4Prefixes: AwsIpv4Prefixes,
  Groups: z.array(z.looseObject({ GroupId: z.string() })).default([]),
  SourceDestCheck: z.boolean().optional(),
  Description: z.string().optional(),
  RequesterId: z.string().optional(),
  InterfaceType: z.string().optional(),
  Attachment: z.looseObject({ InstanceId: z.string().optional(), DeviceIndex: z.number().int().optional() }).optional(),
});
export type AwsNetworkInterface = z.infer<typeof AwsNetworkInterface>;

export const DescribeNetworkInterfaces = z.looseObject({ NetworkInterfaces: z.array(AwsNetworkInterface) });

/** True for the ENI of an RDS DB instance. */
export function isRdsInterface(eni: AwsNetworkInterface): boolean {
  return eni.Description === 'RDSNetworkInterface' || eni.RequesterId === 'amazon-rds';
}
