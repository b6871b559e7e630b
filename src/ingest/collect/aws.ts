/**
 * Live AWS collection: every read-only describe call podpath reads, paged
 * with the SDK paginators. A throttled page is retried from the last page
 * token after an exponential backoff (on top of the SDK's own adaptive retry
 * strategy, which does not see errors from a stubbed client); each call's
 * failure is reported and collection goes on.
 */
import {
  EC2Client, SearchTransitGatewayRoutesCommand,
  paginateDescribeInstances, paginateDescribeInternetGateways, paginateDescribeManagedPrefixLists, paginateDescribeNatGateways,
  paginateDescribeNetworkAcls, paginateDescribeNetworkInterfaces, paginateDescribeRouteTables, paginateDescribeSecurityGroups,
  paginateDescribeSubnets, paginateDescribeTransitGatewayAttachments, paginateDescribeTransitGatewayRouteTables,
  paginateDescribeTransitGateways, paginateDescribeTransitGatewayVpcAttachments, paginateDescribeVpcPeeringConnections, paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import { RDSClient, paginateDescribeDBInstances } from '@aws-sdk/client-rds';

/** What one call gathered: the response shape the CLI prints (its list key), pages and items. */
export interface CallResult {
  call: string;
  file: string;
  body: Record<string, unknown[]>;
  pages: number;
  items: number;
}

/** Hooks for pacing and reporting. */
export interface Pacing {
  sleep: (ms: number) => Promise<void>;
  /** A line to show; `transient` for steps (pages, retries) a CLI may overwrite. */
  progress: (line: string, transient?: boolean) => void;
  onThrottle: () => void;
  /** Attempts per page before the call fails. @default 6 */
  maxAttempts?: number;
}

type Paginate = (config: { client: never; startingToken?: string }, input: Record<string, unknown>) => AsyncIterable<Record<string, unknown>>;

/** One describe call: `key` is the list the response holds (`Vpcs`...), `tokenKey` its page token. */
interface CallSpec { call: string; key: string; client: 'ec2' | 'rds'; paginate: Paginate; tokenKey: 'NextToken' | 'Marker' }

const ec2 = (call: string, key: string, paginate: unknown): CallSpec => ({ call, key, client: 'ec2', paginate: paginate as Paginate, tokenKey: 'NextToken' });

/** The calls, in the order they run. */
export const AWS_CALLS: CallSpec[] = [
  ec2('describe-vpcs', 'Vpcs', paginateDescribeVpcs),
  ec2('describe-subnets', 'Subnets', paginateDescribeSubnets),
  ec2('describe-route-tables', 'RouteTables', paginateDescribeRouteTables),
  ec2('describe-security-groups', 'SecurityGroups', paginateDescribeSecurityGroups),
  ec2('describe-network-acls', 'NetworkAcls', paginateDescribeNetworkAcls),
  ec2('describe-vpc-peering-connections', 'VpcPeeringConnections', paginateDescribeVpcPeeringConnections),
  ec2('describe-internet-gateways', 'InternetGateways', paginateDescribeInternetGateways),
  ec2('describe-nat-gateways', 'NatGateways', paginateDescribeNatGateways),
  ec2('describe-transit-gateways', 'TransitGateways', paginateDescribeTransitGateways),
  ec2('describe-transit-gateway-attachments', 'TransitGatewayAttachments', paginateDescribeTransitGatewayAttachments),
  ec2('describe-transit-gateway-vpc-attachments', 'TransitGatewayVpcAttachments', paginateDescribeTransitGatewayVpcAttachments),
  ec2('describe-transit-gateway-route-tables', 'TransitGatewayRouteTables', paginateDescribeTransitGatewayRouteTables),
  ec2('describe-instances', 'Reservations', paginateDescribeInstances),
  ec2('describe-network-interfaces', 'NetworkInterfaces', paginateDescribeNetworkInterfaces),
  ec2('describe-managed-prefix-lists', 'PrefixLists', paginateDescribeManagedPrefixLists),
  { call: 'rds describe-db-instances', key: 'DBInstances', client: 'rds', paginate: paginateDescribeDBInstances as unknown as Paginate, tokenKey: 'Marker' },
];

/** True for the errors AWS sends when a caller is throttled. */
export function isThrottle(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? '';
  return ['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled'].includes(name);
}

/** Runs one paged call; throttled pages are retried from the last token with backoff. */
export async function runPaged(spec: CallSpec, client: EC2Client | RDSClient, pacing: Pacing): Promise<CallResult> {
  const items: unknown[] = [];
  let token: string | undefined;
  let pages = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      for await (const page of spec.paginate({ client: client as never, ...(token ? { startingToken: token } : {}) }, {})) {
        pages++;
        items.push(...((page[spec.key] as unknown[] | undefined) ?? []));
        token = page[spec.tokenKey] as string | undefined;
        pacing.progress(`${spec.call}: page ${pages}, ${items.length} items`, true);
      }
      break;
    } catch (e) {
      if (!isThrottle(e) || attempt >= (pacing.maxAttempts ?? 6)) throw e;
      pacing.onThrottle();
      const delay = Math.min(20_000, 250 * 2 ** (attempt - 1));
      pacing.progress(`${spec.call}: throttled (${(e as Error).name}); retrying in ${delay} ms from page ${pages + 1}`, true);
      await pacing.sleep(delay);
    }
  }
  return { call: spec.call, file: `aws/${spec.call.replace(/^rds /, '')}.json`, body: { [spec.key]: items }, pages, items: items.length };
}

/** The routes of one TGW route table (search-transit-gateway-routes has no paginator: it returns up to 1000 routes). */
export async function searchTgwRoutes(client: EC2Client, tableId: string, pacing: Pacing): Promise<CallResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.send(new SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: tableId, Filters: [{ Name: 'state', Values: ['active', 'blackhole'] }] }));
      if (r.AdditionalRoutesAvailable) pacing.progress(`search-transit-gateway-routes ${tableId}: more than 1000 routes; only the first 1000 were returned`);
      const routes = r.Routes ?? [];
      return { call: `search-transit-gateway-routes ${tableId}`, file: `aws/search-transit-gateway-routes.${tableId}.json`, body: { Routes: routes }, pages: 1, items: routes.length };
    } catch (e) {
      if (!isThrottle(e) || attempt >= (pacing.maxAttempts ?? 6)) throw e;
      pacing.onThrottle();
      await pacing.sleep(Math.min(20_000, 250 * 2 ** (attempt - 1)));
    }
  }
}

/** SDK clients with the adaptive retry strategy (client-side rate limiting on throttling). */
export function awsClients(region: string, profile?: string): { ec2: EC2Client; rds: RDSClient } {
  const config = { region, ...(profile ? { profile } : {}), maxAttempts: 8, retryMode: 'adaptive' as const };
  return { ec2: new EC2Client(config), rds: new RDSClient(config) };
}
