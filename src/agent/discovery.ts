/**
 * discoverRoutedCIDRs: the destinations the node's subnet route table sends
 * to a VPC peering connection or a transit gateway. Pods must be masqueraded
 * toward them: a peering connection carries only traffic between the two
 * VPCs' own CIDR blocks (VPC peering guide, "VPC peering limitations": no
 * transitive or edge-to-edge routing), and a peer VPC routes replies only to
 * addresses it knows.
 *
 * The AWS side is an injected interface; `routedCidrs` is the pure part.
 * The EC2 implementation makes one read-only call (DescribeRouteTables,
 * filtered by the node's subnet; a subnet without an explicit association
 * uses its VPC's main route table: VPC user guide, "Subnet route tables",
 * "Main route table"), the node's subnet and VPC read from IMDSv2.
 */
import type { EC2Client, RouteTable } from '@aws-sdk/client-ec2';

/** Finds routed CIDRs; rejects on failure (the agent then keeps what it found before). */
export interface RoutedCidrDiscovery {
  routedCidrs(signal?: AbortSignal): Promise<string[]>;
}

/** Destinations of active routes whose target is a peering connection or transit gateway, in table order, once each. */
export function routedCidrs(tables: readonly Pick<RouteTable, 'Routes'>[]): string[] {
  const out = new Set<string>();
  for (const t of tables) {
    for (const r of t.Routes ?? []) {
      if (r.State === 'blackhole' || !r.DestinationCidrBlock) continue;
      if (r.VpcPeeringConnectionId || r.TransitGatewayId) out.add(r.DestinationCidrBlock);
    }
  }
  return [...out];
}

const IMDS = 'http://169.254.169.254/latest';

async function imds(path: string, token: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(`${IMDS}/meta-data/${path}`, { headers: { 'X-aws-ec2-metadata-token': token }, signal });
  if (!res.ok) throw new Error(`IMDS ${path}: HTTP ${res.status}`);
  return (await res.text()).trim();
}

/** The EC2 implementation (on a node, with the node role's ec2:DescribeRouteTables). The SDK loads on first use. */
export function ec2Discovery(given?: EC2Client): RoutedCidrDiscovery {
  return {
    async routedCidrs(signal) {
      const { DescribeRouteTablesCommand, EC2Client } = await import('@aws-sdk/client-ec2');
      const client = given ?? new EC2Client({});
      const tokenRes = await fetch(`${IMDS}/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' }, signal });
      const token = await tokenRes.text();
      const mac = await imds('mac', token, signal);
      const subnet = await imds(`network/interfaces/macs/${mac}/subnet-id`, token, signal);
      const vpc = await imds(`network/interfaces/macs/${mac}/vpc-id`, token, signal);
      const own = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnet] }] }), { abortSignal: signal });
      if (own.RouteTables?.length) return routedCidrs(own.RouteTables);
      const main = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }, { Name: 'association.main', Values: ['true'] }] }), { abortSignal: signal });
      return routedCidrs(main.RouteTables ?? []);
    },
  };
}
