/**
 * `aws eks describe-cluster --name NAME` output (EKS API `DescribeCluster`),
 * AWS field names kept. Only the Service range and the VPC are read:
 * `kubernetesNetworkConfig.serviceIpv4Cidr` is the block Kubernetes Service
 * addresses are assigned from; when none was given at creation EKS picks
 * 10.100.0.0/16 or 172.20.0.0/16, reports it here, and it cannot change
 * (EKS API reference, KubernetesNetworkConfigResponse).
 */
import { z } from 'zod';
import { AwsCidr } from './common.js';

export const EksCluster = z.looseObject({
  name: z.string(),
  arn: z.string().optional(),
  kubernetesNetworkConfig: z.looseObject({
    /** Absent for an IPv6 cluster (ipFamily ipv6). */
    serviceIpv4Cidr: AwsCidr.optional(),
    ipFamily: z.string().optional(),
  }).optional(),
  resourcesVpcConfig: z.looseObject({ vpcId: z.string().optional() }).optional(),
});
export type EksCluster = z.infer<typeof EksCluster>;

export const DescribeEksCluster = z.looseObject({ cluster: EksCluster });
