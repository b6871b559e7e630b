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
 *   destination, static routes win over propagated ones ("Route evaluation
 *   order"; also https://repost.aws/knowledge-center/transit-gateway-monitor-routes:
 *   "Static routes take precedence over propagated routes with the same destination").
 * - A blackhole route drops matching traffic
 *   (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-create-static-route.html).
 *
 * Guarantees: pure and total; `routeThroughTgw` returns the longest-prefix
 * route of the ingress attachment's table (static before propagated on a
 * tie), and every drop names the attachment/table/route that caused it.
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
  origin: 'static' | 'propagated';
  rule: RuleRef;
}

/** Where the transit gateway sends a packet. */
export type TgwDecision =
  | { kind: 'forward'; attachment: TgwAttachment; ingress: TgwAttachment; table: string; rule: RuleRef }
  | { kind: 'drop' | 'no-route'; reason: string; rule: RuleRef };

/** The effective routes of one TGW route table: static ones, then propagated ones not shadowed by a static one. */
export function tgwRoutes(tgw: TransitGateway, table: TgwRouteTable, vpcs: ReadonlyMap<string, Vpc>): TgwRouteEntry[] {
  const byId = new Map(tgw.attachments.map((a) => [a.id, a]));
  const entries: TgwRouteEntry[] = table.routes.map((r) => {
    const prefix = parseCidr(r.destination, { nonAligned: 'mask' });
    const attachment = r.attachment ? byId.get(r.attachment) : undefined;
    const text = `${formatPrefix(prefix)} -> ${r.blackhole ? 'blackhole' : r.attachment} (static)`;
    return { prefix, attachment, origin: 'static', rule: awsRule(table.id, formatPrefix(prefix), text) };
  });
  for (const id of table.propagations) {
    const attachment = byId.get(id);
    const vpc = attachment && vpcs.get(attachment.vpc);
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

/** Routes a packet that entered `tgw` from VPC `fromVpc` toward `dst`. */
export function routeThroughTgw(tgw: TransitGateway, fromVpc: string, dst: Ipv4, vpcs: ReadonlyMap<string, Vpc>): TgwDecision {
  const ingress = tgw.attachments.find((a) => a.vpc === fromVpc);
  if (!ingress) {
    return { kind: 'drop', reason: `${tgw.id} has no attachment for ${fromVpc}: the VPC cannot send to it`, rule: awsRule(tgw.id, undefined, `no attachment for ${fromVpc}`) };
  }
  if (ingress.state !== 'available') {
    return { kind: 'drop', reason: `attachment ${ingress.id} is ${ingress.state}, not available`, rule: awsRule(ingress.id, undefined, `state ${ingress.state}`) };
  }
  const table = ingress.routeTable ? tgw.routeTables.find((t) => t.id === ingress.routeTable) : undefined;
  if (!table) {
    return {
      kind: 'no-route',
      reason: `attachment ${ingress.id} (${fromVpc}) is associated with no route table of ${tgw.id}, so the gateway has no route for its traffic`,
      rule: awsRule(ingress.id, 'association', 'no route table association'),
    };
  }
  const trie = new PrefixTrie<TgwRouteEntry>();
  // Insert in reverse so that the first entry (static before propagated) wins a duplicated prefix.
  for (const e of [...tgwRoutes(tgw, table, vpcs)].reverse()) trie.insert(e.prefix, e);
  const route = trie.longestMatch(dst)?.value;
  if (!route) {
    return { kind: 'no-route', reason: `${table.id} (associated with ${ingress.id}) has no route to ${formatIpv4(dst)}`, rule: awsRule(table.id, undefined, `no route matches ${formatIpv4(dst)}`) };
  }
  if (!route.attachment) return { kind: 'drop', reason: `${table.id} blackholes ${formatPrefix(route.prefix)}`, rule: route.rule };
  if (route.attachment.state !== 'available') {
    return { kind: 'drop', reason: `${table.id} sends it to ${route.attachment.id}, which is ${route.attachment.state}`, rule: route.rule };
  }
  return { kind: 'forward', attachment: route.attachment, ingress, table: table.id, rule: route.rule };
}
