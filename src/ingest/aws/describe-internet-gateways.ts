/** `aws ec2 describe-internet-gateways` output. */
import { z } from 'zod';
import { Tags } from './common.js';

export const AwsInternetGateway = z.looseObject({
  InternetGatewayId: z.string().startsWith('igw-'),
  Attachments: z.array(z.looseObject({ VpcId: z.string(), State: z.string().optional() })).default([]),
  Tags,
});
export type AwsInternetGateway = z.infer<typeof AwsInternetGateway>;

export const DescribeInternetGateways = z.looseObject({ InternetGateways: z.array(AwsInternetGateway) });
