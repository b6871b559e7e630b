/** Small constructors for hop records and rule references. */
import { showPacket, type Packet, type PacketView } from '../net/packet.js';
import { textRule, type RuleRef } from '../model/source.js';
import type { Rule } from '../linux/iptables/types.js';
import type { Hop } from './types.js';

type HopOf<K extends Hop['kind']> = Extract<Hop, { kind: K }>;
type HopFields<K extends Hop['kind']> = Omit<HopOf<K>, 'kind' | 'packetIn' | 'packetOut' | 'notes'> & { notes?: string[] };

/**
 * The view of the packet last shown: a walk hands the same Packet object from
 * hop to hop until a NAT replaces it, so most hops show a packet just shown.
 * Views are plain data nobody changes, so hops may share one.
 */
let lastShown: { packet: Packet; view: PacketView } | undefined;

function viewOf(p: Packet): PacketView {
  if (lastShown?.packet !== p) lastShown = { packet: p, view: showPacket(p) };
  return lastShown.view;
}

/** Builds a hop; `out` is the packet leaving the hop (omit when the trip ends here). */
export function hop<K extends Hop['kind']>(kind: K, input: Packet, out: Packet | undefined, fields: HopFields<K>): HopOf<K> {
  // Keys in the order of { kind, packetIn, packetOut?, notes, ...fields } (the JSON output's order), without two
  // object spreads at every hop: `notes` is set before Object.assign copies `fields`, so a `notes` of `fields`
  // keeps that place.
  const h: Record<string, unknown> = { kind, packetIn: viewOf(input) };
  if (out) h['packetOut'] = viewOf(out);
  h['notes'] = 'notes' in fields ? fields.notes : [];
  return Object.assign(h, fields) as unknown as HopOf<K>;
}

const ruleRefs = new WeakMap<Rule, RuleRef>();

/** The RuleRef of a parsed iptables rule (made once per rule: every hop through a chain names its rules). */
export function iptablesRule(rule: Rule): RuleRef {
  let r = ruleRefs.get(rule);
  if (!r) ruleRefs.set(rule, (r = textRule(rule.loc, rule.text)));
  return r;
}
