/**
 * Which class pairs to trace, and tracing them: one representative flow per
 * pair through the compiled world (reused for every pair).
 *
 * A pair is traced when the destination is meant to be reachable from the
 * source: pods and nodes reach every pod class (Kubernetes' flat network),
 * nameservers are traced from the classes that use them, Services from pods
 * and nodes, and any other destination when the source subnet's route table
 * routes it by a route more specific than the default route (or, for the
 * internet, by any route). What no route sends anywhere is unreachable by
 * design, not a finding.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import { lookupRoute } from '../aws/route-table.js';
import { traceFlow, type FlowSpec } from '../trace/trace.js';
import type { Trace } from '../trace/types.js';
import type { SubnetRecord, World } from '../trace/world.js';
import { nodeNameservers, podNameservers } from './classes.js';
import type { DestClass, PairResult, SourceClass } from './types.js';

/** The subnet a source class sends from. */
export function sourceSubnet(w: World, s: SourceClass): SubnetRecord | undefined {
  if (s.nodes.length) return w.nodes.get(s.nodes[0]!)?.eni.subnet;
  return w.enis.get(parseIpv4(s.ip))?.subnet;
}

/** The nameservers a source class queries. */
function nameserversOf(w: World, s: SourceClass): Ipv4[] {
  if (s.kind === 'hosts') return nodeNameservers(w, w.nodes.get(s.nodes[0]!)!);
  if (s.kind === 'pods') return podNameservers(w);
  return [];
}

/** True when the pair should be traced (see the module comment). */
export function shouldTrace(w: World, s: SourceClass, d: DestClass): boolean {
  if (s.ip === d.ip) return false;
  const onNodes = s.kind === 'pods' || s.kind === 'hosts';
  switch (d.kind) {
    case 'dns':
      return nameserversOf(w, s).includes(parseIpv4(d.ip));
    case 'service':
      return onNodes;
    case 'pods':
      if (onNodes) return true;
      break;
    default:
      break;
  }
  const subnet = sourceSubnet(w, s);
  if (!subnet) return false;
  const route = lookupRoute(subnet.routeTable, parseIpv4(d.ip));
  if (!route) return false;
  return d.kind === 'internet' || route.prefix.len > 0;
}

/** The flow spec of a pair. */
export function flowOf(s: SourceClass, d: DestClass, sport?: number): FlowSpec {
  return { src: s.rep, dst: d.rep, proto: d.proto, ...(sport ? { sport } : {}) };
}

/** The pair's verdict: delivered only when every branch is. */
export function pairVerdict(traces: Trace[]): Trace['verdict'] {
  return traces.find((t) => t.verdict !== 'delivered')?.verdict ?? 'delivered';
}

/** Picks a pod destination on another node than the source's representative, when there is one. */
function destFor(w: World, s: SourceClass, d: DestClass): DestClass {
  if (d.kind !== 'pods' || s.kind !== 'pods') return d;
  const srcNode = w.pods.get(s.rep.slice('pod:'.length))?.node;
  const dstPod = w.pods.get(d.rep.slice('pod:'.length, d.rep.lastIndexOf(':')));
  if (!srcNode || !dstPod || dstPod.node !== srcNode) return d;
  const other = [...w.pods.values()].find((p) => !p.pod.hostNetwork && p.node !== srcNode && d.key === `pods:${p.node.node.name}`)
    ?? [...srcNode.pods.values()].find((p) => p.name !== s.rep.slice('pod:'.length));
  return other ? { ...d, ip: formatIpv4(other.ip), rep: `pod:${other.name}:${d.port}` } : d;
}

/** Traces every pair that should be traced. */
export function tracePairs(w: World, sources: SourceClass[], dests: DestClass[]): PairResult[] {
  const out: PairResult[] = [];
  for (const s of sources) {
    for (const d0 of dests) {
      if (!shouldTrace(w, s, d0)) continue;
      const d = destFor(w, s, d0);
      if (d.rep === `${s.rep}:${d.port}`) continue;
      const traces = traceFlow(w, flowOf(s, d));
      out.push({ key: `${s.key} -> ${d0.key}`, src: s.key, dst: d0.key, verdict: pairVerdict(traces), traces });
    }
  }
  return out;
}
