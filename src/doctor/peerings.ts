/**
 * PP111: active peering connections that no route uses, or that only one
 * side routes into. A peering carries traffic only where a route table of
 * each VPC sends the other's block to it (VPC peering guide, "Update your
 * route tables for a VPC peering connection"): with routes on one side only,
 * requests cross and their replies have no way back. Read from the route
 * tables alone, so it holds even where no host is described to trace from.
 */
import type { Estate } from '../model/estate.js';
import type { Detection } from './classify.js';

/** PP111 detections of an estate. */
export function peeringFindings(e: Estate): Detection[] {
  const out: Detection[] = [];
  for (const pcx of e.peerings) {
    if (pcx.status !== 'active') continue;
    const routing = (vpc: string) => e.routeTables.filter((t) => t.vpc === vpc && t.routes.some((r) => r.target === pcx.id));
    const a = routing(pcx.requester);
    const b = routing(pcx.accepter);
    if (a.length === 0 && b.length === 0) {
      out.push({
        id: 'PP111', key: `PP111|${pcx.id}`, title: `peering ${pcx.id} (${pcx.requester} <-> ${pcx.accepter}) is active but no route uses it`,
        message: `No route table of ${pcx.requester} or ${pcx.accepter} has a route to ${pcx.id}, so it carries no traffic. If it is meant to, add a route to the other VPC's block on both sides; if not, delete it.`,
        location: { awsId: pcx.id }, facts: { peering: pcx.id },
      });
      continue;
    }
    if (a.length > 0 && b.length > 0) continue;
    const [from, to, tables] = a.length > 0 ? [pcx.requester, pcx.accepter, a] : [pcx.accepter, pcx.requester, b];
    const back = e.routeTables.find((t) => t.vpc === to && t.main) ?? e.routeTables.find((t) => t.vpc === to);
    const src = e.vpcs.find((v) => v.id === from)?.cidrBlocks[0];
    out.push({
      id: 'PP111', key: `PP111|${pcx.id}`, title: `peering ${pcx.id} is routed one way: ${tables.map((t) => t.id).join(', ')} (${from}) route into it, no route table of ${to} routes back`,
      message: `Requests from ${from} cross ${pcx.id}, but ${to} has no route to ${pcx.id}, so replies to ${from} follow another route or none.`,
      location: { awsId: pcx.id }, facts: { peering: pcx.id, ...(back && src ? { routeTable: back.id, sourceCidr: src, routeTarget: pcx.id } : {}) },
    });
  }
  return out;
}
