/**
 * `aws ec2 describe-route-tables` output. A route's target is whichever of
 * GatewayId (`local`, `igw-`, `vgw-`, `vpce-`), NatGatewayId,
 * VpcPeeringConnectionId, TransitGatewayId, InstanceId, NetworkInterfaceId...
 * is present; `State: blackhole` means the target is gone and AWS drops the
 * traffic. `Associations[].Main` marks the VPC's main table.
 */
import { z } from 'zod';
import { Tags } from './common.js';

export const AwsRoute = z.looseObject({
  DestinationCidrBlock: z.string().optional(),
  DestinationIpv6CidrBlock: z.string().optional(),
  DestinationPrefixListId: z.string().optional(),
  GatewayId: z.string().optional(),
  NatGatewayId: z.string().optional(),
  VpcPeeringConnectionId: z.string().optional(),
  TransitGatewayId: z.string().optional(),
  InstanceId: z.string().optional(),
  NetworkInterfaceId: z.string().optional(),
  EgressOnlyInternetGatewayId: z.string().optional(),
  CarrierGatewayId: z.string().optional(),
  LocalGatewayId: z.string().optional(),
  CoreNetworkArn: z.string().optional(),
  State: z.string().optional(),
  Origin: z.string().optional(),
});
export type AwsRoute = z.infer<typeof AwsRoute>;

export const AwsRouteTable = z.looseObject({
  RouteTableId: z.string().startsWith('rtb-'),
  VpcId: z.string().startsWith('vpc-'),
  Associations: z.array(z.looseObject({ Main: z.boolean().optional(), SubnetId: z.string().optional(), GatewayId: z.string().optional() })).default([]),
  Routes: z.array(AwsRoute).default([]),
  Tags,
});
export type AwsRouteTable = z.infer<typeof AwsRouteTable>;

export const DescribeRouteTables = z.looseObject({ RouteTables: z.array(AwsRouteTable) });
