/**
 * Which element of the estate decided a failed trace, read from the typed
 * hop records (hop kind, decision, rule reference, packet), never from the
 * sentences written for people. Detectors and the generic PP110 finding use
 * it, so every undelivered flow can be attributed to a named element.
 *
 * Guarantees: pure; a failed trace always has a blame (the hop that ended the
 * failing trip, or the route that sent a reply to an internet gateway that
 * dropped it, as trace/explain.ts reports it).
 */
import type { Hop, Trace } from '../trace/types.js';
import type { RuleRef } from '../model/source.js';
import type { FindingLocation } from './types.js';

/** The deciding element of a failed trace. */
export interface Blame {
  /** The trip that failed. */
  trip: 'forward' | 'reply';
  /** The hop that decided. */
  hop: Hop;
  /** Stable identity of the element (a rule reference, or a resource and direction). */
  element: string;
  /** What a person reads: `security group sg-1 (ingress) at eni-of-i-2`. */
  label: string;
  location: FindingLocation;
}

const FAILED = new Set(['drop', 'reject', 'no-route', 'unknown']);

/** The hop that ended a failing trip: the last hop whose decision is a failure. */
function failingHop(hops: Hop[]): Hop | undefined {
  for (let i = hops.length - 1; i >= 0; i--) if (FAILED.has(hops[i]!.decision)) return hops[i];
  return hops.at(-1);
}

/** Where a rule points: its file line, or its AWS resource; `fallback` (a resource id) when there is no rule. */
export function locationOf(rule: RuleRef | undefined, fallback: string): FindingLocation {
  if (!rule) return { awsId: fallback };
  return 'file' in rule.at ? { file: rule.at.file, line: rule.at.line } : { awsId: rule.at.awsId };
}

/** The blame of a failed trace; undefined for a delivered one. */
export function blame(t: Trace): Blame | undefined {
  if (t.verdict === 'delivered') return undefined;
  // The reply exists only when the request was delivered (trace/types.ts), so its presence names the failing trip.
  const trip = t.reply !== undefined ? 'reply' : 'forward';
  const hops = trip === 'reply' ? t.reply! : t.forward;
  let hop = failingHop(hops);
  if (!hop) return undefined;
  // A reply that an internet gateway drops was sent there by a route: the route decided (trace/explain.ts sentAway).
  const i = hops.indexOf(hop);
  const before = hops[i - 1];
  if (hop.kind === 'igw' && before?.kind === 'route-table' && trip === 'reply') hop = before;
  return { trip, hop, ...describe(hop) };
}

function describe(h: Hop): Pick<Blame, 'element' | 'label' | 'location'> {
  const loc = locationOf(h.rule, h.at);
  const ruleText = h.rule ? ` (${h.rule.ref}: ${h.rule.text})` : '';
  switch (h.kind) {
    case 'security-group':
      return { element: `sg:${h.groups.join('+')}:${h.direction}`, label: `security group ${h.groups.join(', ')} (${h.direction}) at ${h.at}`, location: { awsId: h.groups[0] ?? h.at } };
    case 'nacl':
      return { element: `nacl:${h.acl}:${h.direction}`, label: `network ACL ${h.acl} (${h.direction})${h.rule ? `: ${h.rule.text}` : ''}`, location: { awsId: h.acl } };
    case 'route-table':
      return { element: `route:${h.rule?.ref ?? `${h.table}#none`}`, label: h.rule ? `route ${h.rule.text} in ${h.table}` : `route table ${h.table} (no route)`, location: { awsId: h.table } };
    case 'peering':
      return { element: `peering:${h.peering}`, label: `peering connection ${h.peering}`, location: { awsId: h.peering } };
    case 'igw':
      return { element: `igw:${h.gateway}`, label: `internet gateway ${h.gateway}`, location: { awsId: h.gateway } };
    case 'nat-gateway':
      return { element: `nat:${h.gateway}`, label: `NAT gateway ${h.gateway}`, location: { awsId: h.gateway } };
    case 'tgw':
      return { element: `tgw:${h.gateway}:${h.routeTable ?? ''}`, label: `transit gateway ${h.gateway}${h.routeTable ? ` (route table ${h.routeTable})` : ''}`, location: { awsId: h.gateway } };
    case 'vgw':
      return { element: `vgw:${h.gateway}`, label: `virtual private gateway ${h.gateway}`, location: { awsId: h.gateway } };
    case 'eni':
      return { element: `eni:${h.at}:${h.direction}`, label: `source/destination check of ${h.at} (${h.direction})`, location: { awsId: h.at } };
    case 'node-netfilter':
      return { element: h.rule ? `rule:${h.rule.ref}` : `netfilter:${h.at}:${h.hook}`, label: h.rule ? `${h.rule.ref} \`${h.rule.text}\` (${h.hook} on ${h.at})` : `netfilter ${h.hook} on ${h.at}`, location: loc };
    case 'node-route':
      return { element: h.rule ? `rule:${h.rule.ref}` : `node-route:${h.at}`, label: h.rule ? `route ${h.rule.text} on ${h.at} (${h.rule.ref})` : `routing on ${h.at}`, location: loc };
    case 'pod':
    case 'host':
      return { element: `${h.kind}:${h.at}:${h.rule?.ref ?? ''}`, label: `${h.kind === 'pod' ? 'pod' : 'node'} ${h.at}${ruleText}`, location: loc };
    case 'target':
      return { element: `target:${h.endpoint}`, label: `the destination ${h.endpoint}${h.notes[0] ? ` (${h.notes[0]})` : ''}`, location: { awsId: h.at } };
  }
}
