/**
 * The estate: everything podpath knows about one network, as plain data.
 * Model code reads this and nothing else; ingest/ builds it from YAML or from
 * snapshot folders.
 */
import { z } from 'zod';
import {
  InstanceSchema,
  InternetGatewaySchema,
  NatGatewaySchema,
  NetworkAclSchema,
  PeeringSchema,
  RdsInstanceSchema,
  RouteTableSchema,
  SecurityGroupSchema,
  SubnetSchema,
  TransitGatewaySchema,
  VpcSchema,
} from './aws.js';
import { ClusterSchema, NodeSchema, PodSchema, ServiceSchema } from './k8s.js';
import { LoadNoteSchema } from './load-note.js';

export const EstateSchema = z.strictObject({
  /** Short name used in reports. */
  name: z.string().default('estate'),
  description: z.string().optional(),
  vpcs: z.array(VpcSchema).default([]),
  subnets: z.array(SubnetSchema).default([]),
  routeTables: z.array(RouteTableSchema).default([]),
  peerings: z.array(PeeringSchema).default([]),
  internetGateways: z.array(InternetGatewaySchema).default([]),
  natGateways: z.array(NatGatewaySchema).default([]),
  transitGateways: z.array(TransitGatewaySchema).default([]),
  securityGroups: z.array(SecurityGroupSchema).default([]),
  networkAcls: z.array(NetworkAclSchema).default([]),
  instances: z.array(InstanceSchema).default([]),
  rdsInstances: z.array(RdsInstanceSchema).default([]),
  cluster: ClusterSchema.optional(),
  nodes: z.array(NodeSchema).default([]),
  pods: z.array(PodSchema).default([]),
  services: z.array(ServiceSchema).default([]),
  /** The file the estate was read from, for messages. */
  file: z.string().optional(),
  /**
   * What the loader derived, assumed or left out, and the checks that disables
   * (src/model/load-note.ts). Written by the loaders; an estate file may not set it.
   * @default none
   */
  notes: z.array(LoadNoteSchema).default([]),
});

/** A validated estate. */
export type Estate = z.infer<typeof EstateSchema>;
/** An estate as written, before defaults are applied. */
export type EstateInput = z.input<typeof EstateSchema>;
