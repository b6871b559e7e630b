/**
 * Did a probe's request reach a host? Counting rules in every host
 * namespace of a lab (node, pod, EC2 host, RDS, resolver), one per flow, in
 * the `security` table's INPUT chain: that hook runs after filter INPUT
 * (netfilter priority NF_IP_PRI_SECURITY = 50 > NF_IP_PRI_FILTER = 0), so a
 * packet counted there was routed to the host itself, past its DNAT and
 * its own filter rules, and is handed to the socket layer. The lab uses
 * the security table for nothing else; the rules only count (no target).
 *
 * A flow's request is recognised by what NAT leaves alone and only the
 * request carries: TCP a SYN without ACK from the probe's source port, UDP
 * a datagram from that port (the lab's ports never collide with service
 * ports), ICMP an echo request whose payload carries the flow's pattern
 * (`ping -p`). Replies (SYN-ACK, datagrams to the port, echo replies) and
 * ICMP errors quoting the request do not match.
 *
 * Guarantees: only the lab's own namespaces are touched; `removeArrivalRules`
 * leaves the security table as it found it (and is safe to repeat).
 */
import type { Proto } from '../net/packet.js';
import type { LabState, NsRole } from './plan-types.js';
import { inNs, parallel, run } from './run.js';

const CHAIN = 'PODPATH-LAB-ARRIVE';
const HOST_ROLES: ReadonlySet<NsRole> = new Set(['node', 'pod', 'host', 'rds', 'resolver']);

/** What identifies one probe's request. */
export interface ProbeKey {
  proto: Proto;
  sport: number;
}

/** The payload pattern of an ICMP probe (`ping -p`): "pplb" then the source port, 8 bytes in hex. */
export function pingPattern(sport: number): string {
  return `70706c62${sport.toString(16).padStart(8, '0')}`;
}

function match(k: ProbeKey): string {
  if (k.proto === 'tcp') return `-p tcp -m tcp --sport ${k.sport} --tcp-flags SYN,ACK,RST,FIN SYN`;
  if (k.proto === 'udp') return `-p udp -m udp --sport ${k.sport}`;
  return `-p icmp -m icmp --icmp-type 8 -m string --algo bm --hex-string "|${pingPattern(k.sport)}|"`;
}

const hostNamespaces = (state: LabState) => state.plan.namespaces.filter((n) => HOST_ROLES.has(n.role)).map((n) => n.ns);

/** Installs one counting rule per probe (rule comment `pplab-<index>`) in every host namespace. */
export async function installArrivalRules(state: LabState, keys: readonly ProbeKey[]): Promise<void> {
  await removeArrivalRules(state);
  const restore = ['*security', `:${CHAIN} - [0:0]`, `-I INPUT 1 -j ${CHAIN}`, ...keys.map((k, i) => `-A ${CHAIN} ${match(k)} -m comment --comment pplab-${i}`), 'COMMIT', ''].join('\n');
  await parallel(hostNamespaces(state), 6, (ns) => run(inNs(ns, ['iptables-restore', '-w', '5', '--noflush']), { input: restore }));
}

/** For each probe index, the host namespaces where its request arrived (counter > 0). */
export async function readArrivals(state: LabState): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  await parallel(hostNamespaces(state), 6, async (ns) => {
    const save = await run(inNs(ns, ['iptables-save', '-c', '-t', 'security']), { allowFail: true });
    for (const line of save.stdout.split('\n')) {
      const m = /^\[(\d+):\d+\] -A PODPATH-LAB-ARRIVE .*--comment "?pplab-(\d+)"?/.exec(line);
      if (!m || m[1] === '0') continue;
      const i = Number(m[2]);
      out.set(i, [...(out.get(i) ?? []), ns]);
    }
  });
  for (const v of out.values()) v.sort();
  return out;
}

/** Removes the chain and its jump from every host namespace (ignores what is not there). */
export async function removeArrivalRules(state: LabState): Promise<void> {
  await parallel(hostNamespaces(state), 6, async (ns) => {
    const ipt = (...a: string[]) => run(inNs(ns, ['iptables', '-w', '5', '-t', 'security', ...a]), { allowFail: true });
    for (let i = 0; i < 5 && (await ipt('-D', 'INPUT', '-j', CHAIN)).code === 0; i++);
    await ipt('-F', CHAIN);
    await ipt('-X', CHAIN);
  });
}
