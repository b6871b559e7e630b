/**
 * Synthetic probe hosts: a subnet class with no host of its own gets one
 * instance with an allow-all security group, so the path to that subnet (and
 * the reply's path back) is traced end to end. A probe stands for "any host
 * here whose own security group admits the traffic"; its verdict isolates the
 * network path from the host's own rules. Probes live only in doctor's copy of
 * the estate and are labelled as synthetic in every report
 * (trace/synthetic-hosts.ts).
 */
import type { Estate } from '../model/estate.js';
import { withSyntheticHosts } from '../trace/synthetic-hosts.js';
import type { ProbeSlot } from './classes.js';

/** The estate with one probe instance per slot, and the probe instance ids by slot key. */
export function withProbes(e: Estate, slots: readonly ProbeSlot[]): { estate: Estate; ids: Set<string>; bySlot: Map<string, string> } {
  const { estate, ids } = withSyntheticHosts(e, slots.map((s) => ({ ip: s.ip, subnet: s.subnet, why: `probe for ${s.key}` })));
  return { estate, ids: new Set(ids), bySlot: new Map(slots.map((s, i) => [s.key, ids[i]!])) };
}
