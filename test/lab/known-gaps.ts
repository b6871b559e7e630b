/**
 * Disagreements between the model and the kernel that the lab found,
 * reported, and pinned in known-model-gaps.test.ts. The differential test
 * counts a flow that matches one here as that gap (and prints it) instead
 * of failing on it; everything else must agree. Each predicate is narrow:
 * it names where the model decided and what the kernel must have shown,
 * so a different disagreement on the same flow still fails. When the model
 * is fixed, the pinned test fails: delete the entry then.
 */
import type { FlowCheck } from '../../src/lab/check.js';
import type { Estate } from '../../src/model/estate.js';
import { traceFlow } from '../../src/trace/trace.js';
import { compileWorld } from '../../src/trace/world.js';

/** One known gap: an id, one sentence, and the predicate over a checked flow. */
export interface KnownGap {
  id: string;
  what: string;
  matches(c: FlowCheck, estate: Estate): boolean;
}

const lastHop = (c: FlowCheck) => c.traces[0]!.forward.at(-1);
/** Hops of the AWS fabric (not a host, node or security group). */
const FABRIC = new Set(['route-table', 'nacl', 'peering', 'igw', 'tgw', 'nat-gateway']);
const ANY = { proto: 'all', cidr: '0.0.0.0/0' } as Estate['securityGroups'][number]['ingress'][number];

export const KNOWN_GAPS: KnownGap[] = [
  {
    id: 'node-route-refusal-client-view',
    what:
      "a node's own routing refused a forwarded request (ip rule/route unreachable, prohibit): the model has the client see the node's " +
      'ICMP error at once (TCP, ping; a UDP socket ignores net unreachable), but whether that error is itself routable back is not ' +
      'traced (e.g. prohibit answered toward a source the node cannot route to): the kernel client then times out',
    matches: (c) => {
      const h = lastHop(c);
      return c.traces.length === 1 && h?.kind === 'node-route' && ['no-route', 'drop', 'reject'].includes(h.decision) &&
        (c.kernel.outcome === 'refused' || c.kernel.outcome === 'request-lost') && (c.kernel.arrivedAt ?? []).length === 0;
    },
  },
  {
    id: 'refusal-not-routed-back',
    what:
      'the request was refused (an iptables REJECT on a node, or a host with nothing on that port), but the ICMP error or TCP reset ' +
      "meets a node whose own ip rules give it no route (e.g. `not from POD_CIDR to X unreachable` inverts the whole selector): it is " +
      'never delivered and the client times out (request-lost when the node refused, reply-lost when the host did); the model says ' +
      'refused, without routing the refusal back',
    matches: (c, estate) => {
      const h = lastHop(c);
      const refusingRules = (at: string) => /\b(unreachable|prohibit|blackhole)\b/.test(estate.nodes.find((n) => n.name === at)?.ipRules?.text ?? '');
      const viaSuchNode = c.traces[0]!.forward.some((x) => (x.kind === 'node-route' || x.kind === 'node-netfilter') && refusingRules(x.at));
      return c.traces.length === 1 && c.modelVerdict === 'rejected' && (h?.kind === 'node-netfilter' || h?.kind === 'target') && h.decision === 'reject' &&
        viaSuchNode && (c.kernel.outcome === 'request-lost' || c.kernel.outcome === 'reply-lost') && c.kernel.result === 'timeout';
    },
  },
  {
    id: 'refusal-dropped-on-the-refusing-node',
    what:
      "a node refuses its own packet in filter OUTPUT (REJECT); the kernel loops the TCP reset or ICMP error back into that node, " +
      "where a rule of its input path drops it (seen: a native nftables `ip daddr NODE drop`, LAB_SEED=855670751 of the nft " +
      'differential), and the client times out; the model says refused without walking the refusal back in through the node',
    matches: (c, estate) => {
      const t = c.traces[0]!;
      const h = lastHop(c);
      const first = t.forward[0];
      if (c.traces.length !== 1 || c.modelVerdict !== 'rejected' || h?.kind !== 'node-netfilter' || h.decision !== 'reject' || h.hook !== 'OUTPUT') return false;
      if (first?.kind !== 'host' || first.at !== h.at || c.kernel.outcome !== 'request-lost' || c.kernel.result !== 'timeout') return false;
      const node = estate.nodes.find((n) => n.name === h.at);
      return /\bdrop\b/.test(node?.nftRuleset?.text ?? '') || /-j DROP\b/.test(node?.iptables?.text ?? '');
    },
  },
  {
    id: 'refusal-lost-in-the-fabric',
    what:
      'the request was refused (a REJECT on a node, or a host with nothing on that port), but the ICMP error or TCP reset is ' +
      'dropped by the AWS fabric on its way back: a route table without a route (or a blackhole) to the client, a NACL denying it, ' +
      'a peering that does not carry it, a default route into an internet gateway. The kernel client times out; the model says ' +
      'refused without routing the refusal back. ' +
      "Matched when the model's own trace of the refusal (ICMP, or TCP from the refused port for a reset) from the refusing host " +
      'to the client, security groups opened (they pass it statefully), ends in the fabric (route table, NACL, peering, gateway)',
    matches: (c, estate) => {
      const h = lastHop(c);
      if (c.traces.length !== 1 || c.modelVerdict !== 'rejected' || h?.decision !== 'reject' || c.kernel.result !== 'timeout') return false;
      if (c.kernel.outcome !== 'request-lost' && c.kernel.outcome !== 'reply-lost') return false;
      const from = h.kind === 'node-netfilter' ? `node:${h.at}` : h.kind === 'target' && estate.rdsInstances.some((r) => r.id === h.at) ? `rds:${h.at}` : h.kind === 'target' ? `instance:${h.at}` : undefined;
      if (!from) return false;
      const t = c.traces[0]!;
      const reset = c.flow.proto === 'tcp' && (h.kind === 'target' || /tcp-reset/.test(h.rule?.text ?? ''));
      // Security groups are stateful: the error or reset of an admitted connection passes them, so they are opened for this trace.
      const open = { ...estate, securityGroups: estate.securityGroups.map((g) => ({ ...g, ingress: [...g.ingress, ANY], egress: [ANY] })) };
      const back = traceFlow(compileWorld(open), reset
        ? { src: from, dst: `${t.flow.srcIp}:${c.flow.sport}`, proto: 'tcp', sport: t.flow.dport ?? 1 }
        : { src: from, dst: t.flow.srcIp, proto: 'icmp', sport: c.flow.sport });
      return back.every((b) => b.verdict !== 'delivered' && FABRIC.has(b.forward.at(-1)?.kind ?? ''));
    },
  },
];

/** The known gap a disagreeing flow is, if any. */
export function knownGap(c: FlowCheck, estate: Estate): KnownGap | undefined {
  return c.agree === false ? KNOWN_GAPS.find((g) => g.matches(c, estate)) : undefined;
}
