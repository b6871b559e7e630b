/**
 * VPC route tables: compilation to a longest-prefix-match trie, lookup, and
 * AWS's rules for which routes a subnet route table may hold.
 *
 * Semantics (AWS documentation):
 * - Lookup is longest prefix match: "we direct traffic using the most specific
 *   route that matches the traffic"
 *   (VPC user guide, "How route priority works",
 *   https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html).
 *   For routes with the same destination, the same page orders: static routes,
 *   then prefix list routes, then propagated routes (`rank` below).
 * - Every route table holds a `local` route for each VPC CIDR block
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html#route-table-routes);
 *   its target may be replaced by a network interface
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/replace-local-route-target.html).
 * - A route more specific than `local` must cover exactly a subnet's entire CIDR
 *   block and point at a middlebox (network interface, or NAT gateway /
 *   Gateway Load Balancer endpoint)
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html#route-table-rule-considerations,
 *   https://docs.aws.amazon.com/vpc/latest/userguide/gateway-route-tables.html).
 *   Gateway Load Balancer endpoints are not in the model; an instance target is
 *   accepted because AWS stores it as the instance's primary network interface.
 * - A `blackhole` route drops what it matches (the target was deleted).
 *
 * Guarantees:
 * - `compileRouteTable` adds one implicit `local` route per VPC CIDR block the
 *   table does not list itself; it never throws on schema-valid input.
 * - `lookupRoute(t, ip)` returns the route with the longest prefix containing
 *   `ip`; among routes with that prefix, the best `rank` (static CIDR, then
 *   prefix list, then propagated); when a table (illegally) lists a
 *   destination twice with the same rank, the first listed one is used
 *   everywhere (property-tested against a linear scan).
 * - `checkRouteTable` reports each AWS rule violation once, with the offending
 *   route's index; it is empty for tables AWS would accept.
 */
import type { Ipv4 } from '../net/ipv4.js';
import { covers, formatPrefix, parseCidr, samePrefix, type Prefix } from '../net/prefix.js';
import { PrefixTrie } from '../net/prefix-trie.js';
import type { Route, RouteTable, Subnet, Vpc } from '../model/aws.js';
import { awsRule, type RuleRef } from '../model/source.js';

/**
 * Kinds of target that carry an id, read from the id prefix (`i-` is an
 * instance). `unmodelled`: a VPC endpoint (`vpce-`, also Gateway Load Balancer
 * endpoints), egress-only internet gateway (`eigw-`), carrier gateway
 * (`cagw-`), local gateway (`lgw-`) or Cloud WAN core network (ARN): kept so
 * that longest-prefix match picks it as AWS does; a trace that takes it is unknown.
 */
export type RouteTargetKind = 'igw' | 'nat' | 'pcx' | 'tgw' | 'instance' | 'eni' | 'vgw' | 'unmodelled';

/** Priority among routes with the same destination (VPC user guide, "How route priority works"): lower wins. */
export type RouteRank = 'static' | 'prefix-list' | 'propagated';
const RANK_ORDER: Record<RouteRank, number> = { static: 0, 'prefix-list': 1, propagated: 2 };

/** Where a route sends matching traffic. */
export type RouteTarget = { kind: 'local' } | { kind: 'blackhole' } | { kind: RouteTargetKind; id: string };

/** A route ready for lookup. */
export interface CompiledRoute {
  /** Destination block (canonical, host bits cleared). */
  prefix: Prefix;
  target: RouteTarget;
  /** Position in the table's `routes`; -1 for an implicit `local` route. */
  index: number;
  /** The route as printed in reports: `10.0.0.0/16 -> pcx-1`. */
  text: string;
  /** True for a `local` route the table did not list (AWS always has it). */
  implicit: boolean;
  /** Its priority against another route with the same destination. */
  rank: RouteRank;
  /** `rtb-x#10.0.0.0/16`: the table id and the destination, AWS's key for a route. */
  rule: RuleRef;
}

/** A route table compiled for longest-prefix-match lookups. */
export interface CompiledRouteTable {
  id: string;
  vpc: string;
  /** Implicit local routes first, then the table's routes by rank (static, prefix list, propagated), each rank in listed order. */
  routes: CompiledRoute[];
  /** The routes by destination; for a shared destination, the best-ranked (then first listed) route. */
  trie: PrefixTrie<CompiledRoute>;
  /** Prefix-list routes whose destinations the input lacks (see `unresolvedFor`). */
  unresolved: { prefixList: string; target: RouteTarget; rule: RuleRef }[];
}

const ID_KIND: Record<string, RouteTargetKind> = {
  igw: 'igw',
  nat: 'nat',
  pcx: 'pcx',
  tgw: 'tgw',
  i: 'instance',
  eni: 'eni',
  vgw: 'vgw',
  vpce: 'unmodelled',
  eigw: 'unmodelled',
  cagw: 'unmodelled',
  lgw: 'unmodelled',
};

/** Reads a route target from its AWS id (`local`, `blackhole`, `pcx-1`, `i-0abc`...). */
export function parseRouteTarget(target: string): RouteTarget {
  if (target === 'local') return { kind: 'local' };
  if (target === 'blackhole') return { kind: 'blackhole' };
  if (target.startsWith('arn:')) return { kind: 'unmodelled', id: target };
  const kind = ID_KIND[target.slice(0, target.indexOf('-'))];
  if (kind === undefined) {
    // The model schema admits only the prefixes above; reaching here means a caller bypassed it.
    throw new TypeError(`unknown route target '${target}'`);
  }
  return { kind, id: target };
}

/** `local`, `blackhole`, or the target id. */
export function formatRouteTarget(t: RouteTarget): string {
  return t.kind === 'local' || t.kind === 'blackhole' ? t.kind : t.id;
}

function cidr(text: string): Prefix {
  // AWS canonicalises misaligned destinations (CreateRoute: "100.68.0.18/18 becomes
  // 100.68.0.0/18"); the schema already rejects them, so masking here is only a safety net.
  return parseCidr(text, { nonAligned: 'mask' });
}

function compiled(tableId: string, prefix: Prefix, target: RouteTarget, index: number, implicit: boolean, route?: Route): CompiledRoute {
  const destination = formatPrefix(prefix);
  const rank: RouteRank = route?.origin === 'propagated' ? 'propagated' : route?.prefixList ? 'prefix-list' : 'static';
  const how = rank === 'propagated' ? ' (propagated)' : route?.prefixList ? ` (prefix list ${route.prefixList})` : '';
  const text = `${destination} -> ${formatRouteTarget(target)}${how}`;
  return { prefix, target, index, text, implicit, rank, rule: awsRule(tableId, destination, text) };
}

/**
 * Compiles a route table of `vpc`. The `local` route of each VPC CIDR block is
 * added unless the table lists that destination itself (as `local`, or with a
 * replaced target).
 */
export function compileRouteTable(table: RouteTable, vpc: Vpc): CompiledRouteTable {
  const explicit = table.routes
    .map((r, i) => compiled(table.id, cidr(r.destination), parseRouteTarget(r.target), i, false, r))
    .sort((a, b) => RANK_ORDER[a.rank] - RANK_ORDER[b.rank]);
  const implicit = vpc.cidrBlocks
    .map(cidr)
    .filter((block) => !explicit.some((r) => samePrefix(r.prefix, block)))
    .map((block) => compiled(table.id, block, { kind: 'local' }, -1, true));
  const routes = [...implicit, ...explicit];
  const trie = new PrefixTrie<CompiledRoute>();
  // Insert in reverse so that, for a shared destination, the first route (best rank, then first listed) wins.
  for (const r of [...routes].reverse()) trie.insert(r.prefix, r);
  const unresolved = (table.unresolved ?? []).map((u) => ({ prefixList: u.prefixList, target: parseRouteTarget(u.target), rule: awsRule(table.id, u.prefixList, `${u.prefixList} -> ${u.target} (prefix list entries not in the input)`) }));
  return { id: table.id, vpc: table.vpc, routes, trie, unresolved };
}

/**
 * An unresolved prefix-list route that could win the lookup of `dst` over
 * `chosen` (the longest match among the known routes), or undefined when none
 * can: a `local` route (a prefix list cannot override the VPC's own blocks)
 * and a /32 CIDR route (a CIDR route beats a prefix-list route of the same
 * length; VPC user guide, "How route priority works") always win. A gateway
 * endpoint's list (`vpce-` target, AWS-managed) holds the service's public
 * ranges (VPC user guide, "Gateway endpoints"), so it is taken not to match a
 * non-internet destination (an assumption the caller states).
 */
export function unresolvedFor(t: CompiledRouteTable, dst: Ipv4, chosen: CompiledRoute | undefined, isPublic: boolean): CompiledRouteTable['unresolved'][number] | undefined {
  if (chosen && (chosen.target.kind === 'local' || chosen.prefix.len === 32)) return undefined;
  return t.unresolved.find((u) => isPublic || !(u.target.kind === 'unmodelled' && u.target.id.startsWith('vpce-')));
}

/** The route a packet to `dst` takes: longest prefix match, or undefined when nothing matches. */
export function lookupRoute(t: CompiledRouteTable, dst: Ipv4): CompiledRoute | undefined {
  return t.trie.longestMatch(dst)?.value;
}

/** A violation of AWS's route table rules. */
export interface RouteTableProblem {
  /** Index of the offending route in `table.routes`. */
  index: number;
  message: string;
}

/**
 * Checks a subnet route table against the rules AWS enforces when routes are
 * created. `subnets` may hold subnets of any VPC; only those of the table's VPC count.
 */
export function checkRouteTable(table: RouteTable, vpc: Vpc, subnets: Subnet[]): RouteTableProblem[] {
  const problems: RouteTableProblem[] = [];
  const blocks = vpc.cidrBlocks.map(cidr);
  const subnetBlocks = subnets.filter((s) => s.vpc === vpc.id).map((s) => ({ id: s.id, prefix: cidr(s.cidr) }));
  const seen = new Map<string, number>();

  table.routes.forEach((route, index) => {
    const prefix = cidr(route.destination);
    const destination = formatPrefix(prefix);
    const target = parseRouteTarget(route.target);
    const targetText = formatRouteTarget(target);

    const key = `${destination} ${route.origin ?? 'static'} ${route.prefixList ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ index, message: `duplicate destination ${destination}: route ${first} already has it (AWS keeps one route per destination)` });
      return;
    }
    seen.set(key, index);

    const equalBlock = blocks.find((b) => samePrefix(b, prefix));
    const insideBlock = blocks.find((b) => covers(b, prefix) && prefix.len > b.len);

    if (target.kind === 'local' && equalBlock === undefined) {
      problems.push({ index, message: `target local is only valid for the VPC's own CIDR blocks (${blocks.map(formatPrefix).join(', ')}), not ${destination}` });
      return;
    }
    if (equalBlock !== undefined) {
      if (target.kind !== 'local' && target.kind !== 'eni' && target.kind !== 'instance') {
        problems.push({
          index,
          message: `${destination} is ${vpc.id}'s CIDR block: its local route's target can only be replaced by a network interface, not ${targetText}`,
        });
      }
      return;
    }
    if (insideBlock !== undefined) {
      const where = `${destination} lies inside ${vpc.id}'s CIDR block ${formatPrefix(insideBlock)} (more specific than the local route)`;
      const middlebox = target.kind === 'eni' || target.kind === 'instance' || target.kind === 'nat' || (target.kind === 'unmodelled' && target.id.startsWith('vpce-'));
      if (!middlebox) {
        problems.push({ index, message: `${where}: such a route may only target a network interface, instance, NAT gateway or Gateway Load Balancer endpoint, not ${targetText}` });
        return;
      }
      if (!subnetBlocks.some((s) => samePrefix(s.prefix, prefix))) {
        const near = subnetBlocks.find((s) => covers(s.prefix, prefix) || covers(prefix, s.prefix));
        const hint = near ? ` (did you mean ${near.id}'s ${formatPrefix(near.prefix)}?)` : '';
        problems.push({ index, message: `${where}: its destination must be the entire CIDR block of a subnet of ${vpc.id}${hint}` });
      }
    }
  });
  return problems;
}
