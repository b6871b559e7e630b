/** `aws ec2 describe-vpcs` output (EC2 API `DescribeVpcs`), AWS field names kept. */
import { z } from 'zod';
import { AwsCidr, Tags } from './common.js';

const CidrAssociation = z.looseObject({ CidrBlock: AwsCidr, CidrBlockState: z.looseObject({ State: z.string() }).optional() });
const Ipv6Association = z.looseObject({ Ipv6CidrBlock: z.string().optional() });

export const AwsVpc = z.looseObject({
  VpcId: z.string().startsWith('vpc-'),
  CidrBlock: AwsCidr,
  /** Primary and secondary IPv4 blocks (secondary CIDRs). */
  CidrBlockAssociationSet: z.array(CidrAssociation).optional(),
  Ipv6CidrBlockAssociationSet: z.array(Ipv6Association).optional(),
  Tags,
});
export type AwsVpc = z.infer<typeof AwsVpc>;

export const DescribeVpcs = z.looseObject({ Vpcs: z.array(AwsVpc) });
