/** Small constructors for hop records and rule references. */
import { showPacket, type Packet } from '../net/packet.js';
import { textRule, type RuleRef } from '../model/source.js';
import type { Rule } from '../linux/iptables/types.js';
import type { Hop } from './types.js';

type HopOf<K extends Hop['kind']> = Extract<Hop, { kind: K }>;
type HopFields<K extends Hop['kind']> = Omit<HopOf<K>, 'kind' | 'packetIn' | 'packetOut' | 'notes'> & { notes?: string[] };

/** Builds a hop; `out` is the packet leaving the hop (omit when the trip ends here). */
export function hop<K extends Hop['kind']>(kind: K, input: Packet, out: Packet | undefined, fields: HopFields<K>): HopOf<K> {
  const h = { kind, packetIn: showPacket(input), ...(out ? { packetOut: showPacket(out) } : {}), notes: [], ...fields };
  return h as unknown as HopOf<K>;
}

const ruleRefs = new WeakMap<Rule, RuleRef>();

/** The RuleRef of a parsed iptables rule (made once per rule: every hop through a chain names its rules). */
export function iptablesRule(rule: Rule): RuleRef {
  let r = ruleRefs.get(rule);
  if (!r) ruleRefs.set(rule, (r = textRule(rule.loc, rule.text)));
  return r;
}
