/** `aws ec2 describe-subnets` output (EC2 API `DescribeSubnets`). */
import { z } from 'zod';
import { AwsCidr, Tags } from './common.js';

export const AwsSubnet = z.looseObject({
  SubnetId: z.string().startsWith('subnet-'),
  VpcId: z.string().startsWith('vpc-'),
  CidrBlock: AwsCidr.optional(),
  AvailabilityZone: z.string().optional(),
  Ipv6CidrBlockAssociationSet: z.array(z.looseObject({ Ipv6CidrBlock: z.string().optional() })).optional(),
  Tags,
});
export type AwsSubnet = z.infer<typeof AwsSubnet>;

export const DescribeSubnets = z.looseObject({ Subnets: z.array(AwsSubnet) });
