/** `aws ec2 describe-nat-gateways` output. */
import { z } from 'zod';
import { Ipv4Text } from '../../model/fields.js';
import { Tags } from './common.js';

export const AwsNatGateway = z.looseObject({
  NatGatewayId: z.string().startsWith('nat-'),
  SubnetId: z.string().startsWith('subnet-'),
  VpcId: z.string().optional(),
  State: z.string().optional(),
  ConnectivityType: z.enum(['public', 'private']).optional(),
  NatGatewayAddresses: z
    .array(z.looseObject({ PrivateIp: Ipv4Text.optional(), PublicIp: Ipv4Text.optional(), NetworkInterfaceId: z.string().optional(), IsPrimary: z.boolean().optional() }))
    .default([]),
  Tags,
});
export type AwsNatGateway = z.infer<typeof AwsNatGateway>;

export const DescribeNatGateways = z.looseObject({ NatGateways: z.array(AwsNatGateway) });
