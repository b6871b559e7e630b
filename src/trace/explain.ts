/**
 * Turns the two trips of a trace into the verdict, the deciding rule, the
 * rules that contributed, and one sentence a network engineer reads first.
 */
import type { RuleRef } from '../model/source.js';
import type { Trip } from './engine.js';
import type { TripEnd } from './state.js';
import type { Contributing, FlowView, Hop, Trace } from './types.js';

export interface ExplainInput {
  flow: FlowView;
  forward: Trip;
  reply?: Trip;
  /** The reply's end as judged against what the client expects. */
  replyEnd?: TripEnd;
  /** Faults found by walking on past the drop (see trace.ts stackedFaults). */
  whatIf: Contributing[];
  probability: number;
  forked: boolean;
}

/** Builds the Trace record. */
export function explain(x: ExplainInput): Trace {
  const who = `${x.flow.src} (${x.flow.srcIp}) -> ${x.flow.dst} (${x.flow.dstIp}${x.flow.dport ? `:${x.flow.dport}` : ''}/${x.flow.proto})`;
  const fwd = x.forward.end;
  if (fwd.kind !== 'delivered') {
    const contributing = [...untranslatedSource(x.forward.hops), ...x.whatIf];
    const why = contributing.length ? `; ${contributing.map((c) => c.why).join('; ')}` : '';
    return record(x, fwd.kind, undefined, `${who}: the request was ${verb(fwd.kind)}: ${fwd.reason}${why}.`, fwd.rule, contributing, clientView(fwd.kind, x.forward.hops, x.flow.proto));
  }
  const reply = x.reply!;
  const end = x.replyEnd!;
  if (end.kind === 'delivered') {
    const nats = natSummary(x.forward.hops);
    const reason = `${who}: delivered, and the reply came back${nats ? ` (${nats})` : ''}.`;
    return record(x, 'delivered', reply.hops, reason, natRule(x.forward.hops) ?? lastRule(x.forward.hops), [], 'connected');
  }
  const seen = x.forward.hops.at(-1)?.packetIn.src ?? x.flow.srcIp;
  const decidingRule = sentAway(reply.hops) ?? end.rule;
  const contributing = untranslatedSource(x.forward.hops);
  const why = contributing.length ? ` The source was not translated on the way out: ${contributing.map((c) => c.why).join('; ')}.` : '';
  const verdict = end.kind === 'unknown' ? 'unknown' : 'reply-lost';
  const reason = `${who}: the request reached ${x.flow.dst} with source ${seen}, but the reply was lost: ${end.reason}.${why}`;
  return record(x, verdict, reply.hops, reason, decidingRule, contributing, verdict === 'unknown' ? 'unknown' : 'timeout');
}

/**
 * The Trace object, keys in the order of its JSON form (schemaVersion, flow,
 * forward, probability?, verdict, reply?, reason, decidingRule, contributing,
 * clientSees), set one by one rather than spread from a base object.
 */
function record(
  x: ExplainInput, verdict: Trace['verdict'], reply: Hop[] | undefined, reason: string, decidingRule: RuleRef | undefined,
  contributing: Contributing[], clientSees: Trace['clientSees'],
): Trace {
  const t: Record<string, unknown> = { schemaVersion: 1, flow: x.flow, forward: x.forward.hops };
  if (x.forked) t['probability'] = round(x.probability);
  t['verdict'] = verdict;
  if (reply) t['reply'] = reply;
  t['reason'] = reason;
  t['decidingRule'] = decidingRule;
  t['contributing'] = contributing;
  t['clientSees'] = clientSees;
  return t as unknown as Trace;
}

function verb(kind: TripEnd['kind']): string {
  return { delivered: 'delivered', dropped: 'dropped', rejected: 'rejected', 'no-route': 'not routed', unknown: 'not understood' }[kind];
}

function clientView(kind: TripEnd['kind'], hops: Hop[], proto: FlowView['proto']): Trace['clientSees'] {
  const last = hops.at(-1);
  if (last?.kind === 'node-route' && (kind === 'no-route' || kind === 'dropped' || kind === 'rejected')) return nodeRefusalView(last, hops, proto);
  return kind === 'rejected' ? 'refused' : kind === 'unknown' ? 'unknown' : kind === 'delivered' ? 'connected' : 'timeout';
}

/**
 * What a client sees when a node's own routing refuses its packet (checked
 * in the lab, test/lab/known-model-gaps.test.ts):
 * - the node's own traffic: the socket call fails at once (ENETUNREACH for
 *   no route or `unreachable`, EACCES for `prohibit`, EINVAL for `blackhole`);
 * - forwarded traffic: `blackhole` discards silently (timeout); otherwise the
 *   node answers with ICMP destination unreachable (ip-rule(8), ip-route(8)),
 *   which aborts a TCP connect and a ping at once, while a UDP socket ignores
 *   net/host unreachable (soft errors: __udp4_lib_err reports only hard ones).
 * Whether that ICMP error finds its way back is not traced (a known gap).
 */
function nodeRefusalView(last: Hop, hops: Hop[], proto: FlowView['proto']): Trace['clientSees'] {
  const own = hops[0]?.kind === 'host' && hops[0].at === last.at;
  if (own) return 'refused';
  if (last.decision === 'drop') return 'timeout';
  if (proto === 'udp' && last.decision === 'no-route') return 'timeout';
  return 'refused';
}

/**
 * When a reply is lost at an internet gateway, the decision that lost it is
 * the route that sent it there: report that route table entry.
 */
export function sentAway(hops: Hop[]): RuleRef | undefined {
  const last = hops.at(-1);
  const before = hops.at(-2);
  if (last?.kind === 'igw' && last.decision === 'drop' && before?.kind === 'route-table') return before.rule;
  return undefined;
}

/**
 * MASQUERADE/SNAT rules that nearly fired on forwarded traffic (a pod's):
 * the source left the node untranslated because of them. A node's own
 * traffic needs no masquerade, so its POSTROUTING hops are not considered.
 */
function untranslatedSource(hops: Hop[]): Contributing[] {
  const out: Contributing[] = [];
  hops.forEach((h, i) => {
    if (h.kind !== 'node-netfilter' || h.hook !== 'POSTROUTING' || changed(h)) return;
    const forwarded = hops.slice(0, i).some((f) => f.kind === 'node-netfilter' && f.hook === 'FORWARD' && f.at === h.at);
    if (!forwarded) return;
    for (const m of h.nearMisses) {
      if (/-j (MASQUERADE|SNAT)\b/.test(m.rule.text)) {
        out.push({ rule: m.rule, why: `\`${m.rule.text.trim()}\` did not match (${m.failed}), so ${h.packetIn.src} left ${h.at} untranslated` });
      }
    }
  });
  return out;
}

/** True when the hop rewrote the packet. */
function changed(h: Hop): boolean {
  const o = h.packetOut;
  if (!o) return false;
  const i = h.packetIn;
  return i.src !== o.src || i.dst !== o.dst || i.sport !== o.sport || i.dport !== o.dport;
}

/** The rule of the last hop that rewrote the packet (a DNAT or SNAT that made delivery possible). */
function natRule(hops: Hop[]): RuleRef | undefined {
  for (let i = hops.length - 1; i >= 0; i--) if (hops[i]!.decision === 'nat' && changed(hops[i]!)) return hops[i]!.rule;
  return undefined;
}

function lastRule(hops: Hop[]): RuleRef | undefined {
  for (let i = hops.length - 1; i >= 0; i--) if (hops[i]!.rule) return hops[i]!.rule;
  return undefined;
}

function natSummary(hops: Hop[]): string {
  return hops
    .filter((h) => h.decision === 'nat' && changed(h))
    .map((h) => {
      const o = h.packetOut!;
      const change = h.packetIn.src !== o.src ? `source ${h.packetIn.src} -> ${o.src}` : `destination ${h.packetIn.dst}:${h.packetIn.dport ?? ''} -> ${o.dst}:${o.dport ?? ''}`;
      return `${change} at ${h.at}${h.rule ? ` by ${h.rule.ref}` : ''}`;
    })
    .join('; ');
}

function round(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}
