/** `aws ec2 describe-vpc-peering-connections` output. */
import { z } from 'zod';
import { Tags } from './common.js';

const VpcInfo = z.looseObject({
  VpcId: z.string().startsWith('vpc-'),
  CidrBlock: z.string().optional(),
  CidrBlockSet: z.array(z.looseObject({ CidrBlock: z.string() })).optional(),
  OwnerId: z.string().optional(),
  Region: z.string().optional(),
});

export const AwsPeering = z.looseObject({
  VpcPeeringConnectionId: z.string().startsWith('pcx-'),
  RequesterVpcInfo: VpcInfo,
  AccepterVpcInfo: VpcInfo,
  Status: z.looseObject({ Code: z.string(), Message: z.string().optional() }),
  Tags,
});
export type AwsPeering = z.infer<typeof AwsPeering>;

export const DescribeVpcPeeringConnections = z.looseObject({ VpcPeeringConnections: z.array(AwsPeering) });
