/**
 * Synthetic probe hosts: a subnet class with no host of its own gets one
 * instance with an allow-all security group, so the path to that subnet (and
 * the reply's path back) is traced end to end. A probe stands for "any host
 * here whose own security group admits the traffic"; its verdict isolates the
 * network path from the host's own rules. Probes live only in doctor's copy of
 * the estate and are labelled as synthetic in every report.
 */
import type { Estate } from '../model/estate.js';
import { formatIpv4 } from '../net/ipv4.js';
import { copyEstate } from '../fix/what-if.js';
import type { ProbeSlot } from './classes.js';

/** Id prefix of probe instances. */
export const PROBE_PREFIX = 'i-podpath-probe-';

/** The estate with one probe instance per slot, and the probe instance ids. */
export function withProbes(e: Estate, slots: readonly ProbeSlot[]): { estate: Estate; ids: Set<string> } {
  if (slots.length === 0) return { estate: e, ids: new Set() };
  const copy = copyEstate(e);
  const ids = new Set<string>();
  const groups = new Map<string, string>();
  slots.forEach((s, i) => {
    let sg = groups.get(s.vpc);
    if (!sg) {
      sg = `sg-podpath-probe-${s.vpc.replace(/^vpc-/, '')}`;
      groups.set(s.vpc, sg);
      copy.securityGroups.push({ id: sg, vpc: s.vpc, name: 'podpath probe (synthetic, allow all)', ingress: [{ proto: 'all', cidr: '0.0.0.0/0' }], egress: [{ proto: 'all', cidr: '0.0.0.0/0' }] });
    }
    const id = `${PROBE_PREFIX}${i + 1}`;
    ids.add(id);
    copy.instances.push({ id, name: `podpath probe for ${s.key}`, subnet: s.subnet, privateIp: formatIpv4(s.ip), secondaryIps: [], ipv4Prefixes: [], secondaryEnis: [], securityGroups: [sg], sourceDestCheck: true });
  });
  return { estate: copy, ids };
}
