/**
 * `aws rds describe-db-instances` output. `Endpoint.Address` is a DNS name,
 * not an address: the IP comes from the DB's ENI (describe-network-interfaces)
 * or from the snapshot's podpath.yaml.
 */
import { z } from 'zod';

export const AwsDbInstance = z.looseObject({
  DBInstanceIdentifier: z.string().min(1),
  Engine: z.string().optional(),
  DBInstanceStatus: z.string().optional(),
  Endpoint: z.looseObject({ Address: z.string().optional(), Port: z.number().int().optional() }).optional(),
  DBSubnetGroup: z.looseObject({ VpcId: z.string().optional(), Subnets: z.array(z.looseObject({ SubnetIdentifier: z.string() })).default([]) }).optional(),
  VpcSecurityGroups: z.array(z.looseObject({ VpcSecurityGroupId: z.string(), Status: z.string().optional() })).default([]),
});
export type AwsDbInstance = z.infer<typeof AwsDbInstance>;

export const DescribeDbInstances = z.looseObject({ DBInstances: z.array(AwsDbInstance) });
