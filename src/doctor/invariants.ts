/**
 * The Kubernetes network model as invariants a fix must keep: pods reach
 * every pod and every node without NAT ("pods can communicate with all other
 * pods on any other node without NAT"; Kubernetes docs, "The Kubernetes
 * network model"), so the destination sees the pod's own address. Checked on
 * the pod-to-pod pairs doctor traces and on one pod-to-node flow per pod
 * class (to the kubelet port of another node, or of its own when alone).
 *
 * Pod-to-pod must hold after a fix; pod-to-node must not be broken by it
 * (the model allows the node to see its pods' traffic NATed, and some
 * estates already masquerade it: fix does not blame a change for that).
 *
 * An invariant is about translation, not delivery: a flow dropped on the way
 * still holds when the packet kept its pod source up to the drop.
 */
import { formatIpv4 } from '../net/ipv4.js';
import { traceFlow } from '../trace/trace.js';
import type { Trace } from '../trace/types.js';
import type { World } from '../trace/world.js';
import type { Invariant } from '../fix/types.js';
import type { PairResult, SourceClass } from './types.js';

/** The port pod-to-node flows are traced on: the kubelet API. */
export const KUBELET_PORT = 10250;

function keepsSource(key: string, kind: Invariant['kind'], traces: Trace[]): Invariant {
  const nat = traces.find((t) => t.forward.at(-1)!.packetIn.src !== t.flow.srcIp);
  return nat
    ? { key, kind, holds: false, why: `${key}: ${nat.flow.src} (${nat.flow.srcIp}) reaches ${nat.flow.dst} as ${nat.forward.at(-1)!.packetIn.src} (NAT)` }
    : { key, kind, holds: true, why: `${key}: the pod source is kept` };
}

/** The pod-to-pod invariant of a traced pair (undefined for other pairs). */
export function podToPodInvariant(p: PairResult): Invariant | undefined {
  return p.src.startsWith('pods:') && p.dst.startsWith('pods:') ? keepsSource(p.key, 'pod-to-pod', p.traces) : undefined;
}

/** One pod-to-node flow per pod class, to the kubelet port of another node (of its own when alone). */
export function podToNodeInvariants(w: World, sources: SourceClass[]): Invariant[] {
  const out: Invariant[] = [];
  for (const s of sources) {
    if (s.kind !== 'pods') continue;
    const own = w.pods.get(s.rep.slice('pod:'.length))?.node;
    const target = [...w.nodes.values()].find((n) => n !== own) ?? own;
    if (!target) continue;
    const key = `${s.key} -> node:${target.node.name}`;
    out.push(keepsSource(key, 'pod-to-node', traceFlow(w, { src: s.rep, dst: `${formatIpv4(target.eth0.address)}:${KUBELET_PORT}` })));
  }
  return out;
}
