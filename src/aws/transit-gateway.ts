/**
 * Transit gateways: which attachment a packet leaves by.
 *
 * Semantics (AWS Transit Gateway guide, "How transit gateways work",
 * https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html):
 * - A packet enters the transit gateway through the attachment of the VPC it
 *   comes from; that attachment is associated with exactly one TGW route
 *   table, and only that table is consulted. An attachment without an
 *   association has no routes: the gateway drops its traffic.
 * - A route table holds static routes (to an attachment, or blackhole) and
 *   routes propagated from attachments (for a VPC attachment: the VPC's CIDR
 *   blocks, "Route propagation").
 * - Route evaluation order: the most specific route first; for the same
 *   destination, static routes, then prefix list referenced routes, then VPC
 *   propagated routes ("Route evaluation order"; also
 *   https://repost.aws/knowledge-center/transit-gateway-monitor-routes:
 *   "Static routes take precedence over propagated routes with the same destination").
 * - A blackhole route drops matching traffic
 *   (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-create-static-route.html).
 * - A peering attachment joins two transit gateways (other accounts or
 *   Regions); it carries static routes only, and the packet is routed again at
 *   the peer by the table associated with the peer's side of the attachment
 *   ("Transit gateway peering attachments",
 *   https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html).
 * - A VPC attachment serves only the Availability Zones of its subnets: "if a
 *   subnet route table includes a route to the transit gateway, traffic is only
 *   forwarded to the transit gateway if the transit gateway has an attachment
 *   in the subnet of the same Availability Zone" ("Resource attachments", same
 *   page as above). `attachmentSubnetFor` applies it.
 *
 * Guarantees: pure and total; `routeThroughTgw` returns the best route (longest
 * prefix, then static, prefix list, propagated) of the ingress attachment's
 * table, `unknown` (never `no-route`) when nothing matches in a table whose
 * routes the input holds only in part, and every drop names the
 * attachment/table/route that caused it.
 */
import type { Ipv4 } from '../net/ipv4.js';
import { formatIpv4 } from '../net/ipv4.js';
import { formatPrefix, parseCidr, samePrefix, type Prefix } from '../net/prefix.js';
import { PrefixTrie } from '../net/prefix-trie.js';
import type { TgwAttachment, TgwRouteTable, TransitGateway, Vpc } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';

/** One route of a TGW route table, ready for lookup. */
export interface TgwRouteEntry {
  prefix: Prefix;
  /** The attachment it sends to; undefined for a blackhole. */
  attachment?: TgwAttachment;
  origin: 'static' | 'prefix-list' | 'propagated';
  rule: RuleRef;
}

/** Where the transit gateway sends a packet. */
export type TgwDecision =
  | { kind: 'forward'; attachment: TgwAttachment; ingress: TgwAttachment; table: string; rule: RuleRef; notes: string[] }
  | { kind: 'drop' | 'no-route' | 'unknown'; reason: string; rule: RuleRef };

const ORIGIN_ORDER = { static: 0, 'prefix-list': 1, propagated: 2 } as const;

/**
 * The effective routes of one TGW route table, best first for a shared
 * destination: static CIDR routes, prefix list routes, then propagated ones
 * not shadowed by either.
 */
export function tgwRoutes(tgw: TransitGateway, table: TgwRouteTable, vpcs: ReadonlyMap<string, Vpc>): TgwRouteEntry[] {
  const byId = new Map(tgw.attachments.map((a) => [a.id, a]));
  const entries: TgwRouteEntry[] = table.routes.map((r) => {
    const prefix = parseCidr(r.destination, { nonAligned: 'mask' });
    const attachment = r.attachment ? byId.get(r.attachment) : undefined;
    const origin = r.prefixList ? 'prefix-list' as const : 'static' as const;
    const text = `${formatPrefix(prefix)} -> ${r.blackhole ? 'blackhole' : r.attachment} (${r.prefixList ? `prefix list ${r.prefixList}` : 'static'})`;
    return { prefix, attachment, origin, rule: awsRule(table.id, formatPrefix(prefix), text) };
  });
  entries.sort((a, b) => ORIGIN_ORDER[a.origin] - ORIGIN_ORDER[b.origin]);
  for (const id of table.propagations) {
    const attachment = byId.get(id);
    const vpc = attachment?.vpc ? vpcs.get(attachment.vpc) : undefined;
    if (!attachment || !vpc) continue;
    for (const block of vpc.cidrBlocks) {
      const prefix = parseCidr(block, { nonAligned: 'mask' });
      if (entries.some((e) => samePrefix(e.prefix, prefix))) continue;
      const text = `${formatPrefix(prefix)} -> ${id} (propagated from ${vpc.id})`;
      entries.push({ prefix, attachment, origin: 'propagated', rule: awsRule(table.id, formatPrefix(prefix), text) });
    }
  }
  return entries;
}

/**
 * The subnet of `attachment` through which a packet from (or to) Availability
 * Zone `az` passes: the attachment's subnet in that zone. `undefined` when the
 * attachment has no subnet there (AWS does not forward the traffic). When a
 * zone is not known (hand-written estates), the first subnet, with `assumed`.
 */
export function attachmentSubnetFor<S extends { id: string; availabilityZone?: string | undefined }>(
  subnets: readonly S[], az: string | undefined,
): { subnet: S; assumed?: string } | undefined {
  if (az === undefined || subnets.some((s) => s.availabilityZone === undefined)) {
    const first = subnets[0];
    return first && { subnet: first, assumed: `assumed: ${first.id} serves this traffic (${az === undefined ? 'the zone the traffic comes from is not known' : 'the attachment subnets\' zones are not in the input'})` };
  }
  const same = subnets.find((s) => s.availabilityZone === az);
  return same && { subnet: same };
}

/** Compiled tables, by table object and VPC map (both unchanged once built: what-ifs copy them). */
const compiled = new WeakMap<TgwRouteTable, WeakMap<ReadonlyMap<string, Vpc>, PrefixTrie<TgwRouteEntry>>>();

/** The table's effective routes in a trie, built once per (table, VPC map). */
function tableTrie(tgw: TransitGateway, table: TgwRouteTable, vpcs: ReadonlyMap<string, Vpc>): PrefixTrie<TgwRouteEntry> {
  let byVpcs = compiled.get(table);
  if (!byVpcs) compiled.set(table, (byVpcs = new WeakMap()));
  let trie = byVpcs.get(vpcs);
  if (!trie) {
    trie = new PrefixTrie<TgwRouteEntry>();
    // Insert in reverse so that the first entry (static before propagated) wins a duplicated prefix.
    for (const e of [...tgwRoutes(tgw, table, vpcs)].reverse()) trie.insert(e.prefix, e);
    byVpcs.set(vpcs, trie);
  }
  return trie;
}

/**
 * Routes a packet that entered `tgw` toward `dst`, from VPC `from` (an id) or
 * through the attachment `from` (a VPC or peering attachment of `tgw`).
 */
export function routeThroughTgw(tgw: TransitGateway, from: string | TgwAttachment, dst: Ipv4, vpcs: ReadonlyMap<string, Vpc>): TgwDecision {
  const ingress = typeof from === 'string' ? tgw.attachments.find((a) => a.vpc === from) : from;
  if (!ingress) {
    return { kind: 'drop', reason: `${tgw.id} has no attachment for ${String(from)}: the VPC cannot send to it`, rule: awsRule(tgw.id, undefined, `no attachment for ${String(from)}`) };
  }
  const fromText = ingress.vpc ?? `peer ${ingress.peerTgw}`;
  if (ingress.state !== 'available') {
    return { kind: 'drop', reason: `attachment ${ingress.id} is ${ingress.state}, not available`, rule: awsRule(ingress.id, undefined, `state ${ingress.state}`) };
  }
  const table = ingress.routeTable ? tgw.routeTables.find((t) => t.id === ingress.routeTable) : undefined;
  if (!table && ingress.associationUnknown) {
    return { kind: 'unknown', reason: `which route table ${ingress.id} (${fromText}) is associated with is not known: ${ingress.associationUnknown}`, rule: awsRule(ingress.id, 'association', 'association not in the input') };
  }
  if (!table) {
    return {
      kind: 'no-route',
      reason: `attachment ${ingress.id} (${fromText}) is associated with no route table of ${tgw.id}, so the gateway has no route for its traffic`,
      rule: awsRule(ingress.id, 'association', 'no route table association'),
    };
  }
  const route = tableTrie(tgw, table, vpcs).longestMatch(dst)?.value;
  if (!route) {
    const rule = awsRule(table.id, undefined, `no route matches ${formatIpv4(dst)}`);
    if (table.incomplete) return { kind: 'unknown', reason: `${table.id} (associated with ${ingress.id}) has no known route to ${formatIpv4(dst)}, and ${table.incomplete}`, rule };
    return { kind: 'no-route', reason: `${table.id} (associated with ${ingress.id}) has no route to ${formatIpv4(dst)}`, rule };
  }
  if (!route.attachment) return { kind: 'drop', reason: `${table.id} blackholes ${formatPrefix(route.prefix)}`, rule: route.rule };
  if (route.attachment.state !== 'available') {
    return { kind: 'drop', reason: `${table.id} sends it to ${route.attachment.id}, which is ${route.attachment.state}`, rule: route.rule };
  }
  // Where part of the table is missing, a more specific unrecorded route could win: said, not hidden.
  const notes = table.incomplete ? [`assumed: no more specific route among those the input lacks (${table.incomplete})`] : [];
  return { kind: 'forward', attachment: route.attachment, ingress, table: table.id, rule: route.rule, notes };
}
