/**
 * Transit gateway outputs: `describe-transit-gateways`,
 * `describe-transit-gateway-attachments` (with each attachment's route table
 * `Association`), `describe-transit-gateway-vpc-attachments` (with
 * `SubnetIds`), `describe-transit-gateway-route-tables`, and
 * `search-transit-gateway-routes` (static and propagated routes; that output
 * does not name its table, so the file name must hold the `tgw-rtb-` id), and
 * the per-table static routes and propagations of Batfish's recordings.
 */
import { z } from 'zod';
import { AwsCidr, Tags } from './common.js';

/**
 * `Options.SecurityGroupReferencingSupport` (`enable` | `disable`): on a
 * transit gateway it defaults to disable, on a VPC attachment to enable (EC2
 * API reference, TransitGatewayOptions and
 * CreateTransitGatewayVpcAttachmentRequestOptions). describe-transit-gateway-attachments
 * carries no Options; describe-transit-gateway-vpc-attachments does.
 */
const SgReferencingOptions = z.looseObject({ SecurityGroupReferencingSupport: z.enum(['enable', 'disable']).optional() }).optional();

export const AwsTransitGateway = z.looseObject({ TransitGatewayId: z.string().startsWith('tgw-'), State: z.string().optional(), Options: SgReferencingOptions, Tags });
export const DescribeTransitGateways = z.looseObject({ TransitGateways: z.array(AwsTransitGateway) });

export const AwsTgwAttachment = z.looseObject({
  TransitGatewayAttachmentId: z.string().startsWith('tgw-attach-'),
  TransitGatewayId: z.string().startsWith('tgw-'),
  ResourceType: z.string().optional(),
  ResourceId: z.string().optional(),
  VpcId: z.string().optional(),
  SubnetIds: z.array(z.string()).optional(),
  State: z.string().optional(),
  Association: z.looseObject({ TransitGatewayRouteTableId: z.string(), State: z.string().optional() }).optional(),
  Options: SgReferencingOptions,
});
export type AwsTgwAttachment = z.infer<typeof AwsTgwAttachment>;
export const DescribeTgwAttachments = z.looseObject({ TransitGatewayAttachments: z.array(AwsTgwAttachment) });
export const DescribeTgwVpcAttachments = z.looseObject({ TransitGatewayVpcAttachments: z.array(AwsTgwAttachment) });

export const AwsTgwRouteTable = z.looseObject({
  TransitGatewayRouteTableId: z.string().startsWith('tgw-rtb-'),
  TransitGatewayId: z.string().startsWith('tgw-'),
  DefaultAssociationRouteTable: z.boolean().optional(),
  DefaultPropagationRouteTable: z.boolean().optional(),
});
export const DescribeTgwRouteTables = z.looseObject({ TransitGatewayRouteTables: z.array(AwsTgwRouteTable) });

export const AwsTgwRoute = z.looseObject({
  DestinationCidrBlock: AwsCidr.optional(),
  PrefixListId: z.string().optional(),
  TransitGatewayAttachments: z.array(z.looseObject({ TransitGatewayAttachmentId: z.string(), ResourceId: z.string().optional() })).default([]),
  Type: z.enum(['static', 'propagated']),
  State: z.string(),
});
export type AwsTgwRoute = z.infer<typeof AwsTgwRoute>;
export const SearchTgwRoutes = z.looseObject({ Routes: z.array(AwsTgwRoute), AdditionalRoutesAvailable: z.boolean().optional() });

/**
 * Per-table static routes as recorded by Batfish's AWS collector
 * (`TransitGatewayStaticRoutes`: search-transit-gateway-routes with a
 * `type=static` filter, one entry per table, tagged with its table id).
 */
export const TgwStaticRoutes = z.looseObject({
  TransitGatewayStaticRoutes: z.array(z.looseObject({
    TransitGatewayRouteTableId: z.string().startsWith('tgw-rtb-'),
    Routes: z.array(AwsTgwRoute),
    AdditionalRoutesAvailable: z.boolean().optional(),
  })),
});

/**
 * Per-table propagations (`TransitGatewayPropagations`:
 * get-transit-gateway-route-table-propagations, one entry per table).
 */
export const TgwPropagations = z.looseObject({
  TransitGatewayPropagations: z.array(z.looseObject({
    TransitGatewayRouteTableId: z.string().startsWith('tgw-rtb-'),
    TransitGatewayRouteTablePropagations: z.array(z.looseObject({
      TransitGatewayAttachmentId: z.string().startsWith('tgw-attach-'),
      ResourceId: z.string().optional(),
      ResourceType: z.string().optional(),
      State: z.string().optional(),
    })).default([]),
  })),
});
export type AwsTgwPropagation = z.infer<typeof TgwPropagations>['TransitGatewayPropagations'][number]['TransitGatewayRouteTablePropagations'][number];
