/**
 * `traceFlow`: follows a packet from a source to a destination and, when it
 * is delivered, follows the reply back, independently routed (that is where
 * the seed scenario breaks). Forks at -m statistic rules are enumerated by
 * re-running the walk once per branch (at most MAX_BRANCHES).
 */
import { PodpathError } from '../model/errors.js';
import { formatIpv4 } from '../net/ipv4.js';
import { reversed, samePacket, type Packet, type Proto } from '../net/packet.js';
import { walk, type Trip } from './engine.js';
import { entryLocation, outsideSource, resolveEndpoint, splitPort, type ResolvedEndpoint } from './endpoints.js';
import { explain, sentAway } from './explain.js';
import { Session, type Endpoint, type Location, type TripEnd } from './state.js';
import type { Contributing, FlowView, Trace } from './types.js';
import type { World } from './world.js';

/** A representative client port: inside Linux's default ip_local_port_range (32768-60999). */
export const DEFAULT_SOURCE_PORT = 40000;
const MAX_BRANCHES = 64;

/** What to trace. */
export interface FlowSpec {
  src: string;
  /** `NAME[:PORT]`. */
  dst: string;
  /** @default tcp */
  proto?: Proto;
  /** @default 40000 */
  sport?: number;
  /**
   * For a source outside the estate (`src` an address): where its packets
   * enter, as Reachability Analyzer and Batfish take them: `internet` (or an
   * `igw-` id: through the internet gateway that owns the public destination),
   * a `vgw-` virtual private gateway, or a `tgw-attach-` transit gateway attachment.
   */
  entry?: string;
}

/** Traces a flow; one Trace per branch (exactly one unless a -m statistic rule forks). */
export function traceFlow(w: World, spec: FlowSpec): Trace[] {
  const src = spec.entry ? outsideSource(w, spec.src, spec.entry) : resolveEndpoint(w, spec.src);
  if (!src.start) throw new PodpathError('PP_USAGE', `${spec.src} is not in the estate, so podpath cannot send from it`);
  const { name, port } = splitPort(spec.dst);
  const dst = resolveEndpoint(w, name);
  const proto = spec.proto ?? 'tcp';
  const dport = proto === 'icmp' ? 0 : port ?? dst.port;
  if (dport === undefined) throw new PodpathError('PP_USAGE', `no destination port for ${proto}`, { hint: `write ${name}:PORT` });
  const packet: Packet = { src: src.ip, dst: dst.ip, proto, sport: proto === 'icmp' ? 0 : spec.sport ?? DEFAULT_SOURCE_PORT, dport };
  const flow: FlowView = {
    src: src.label, dst: dst.label, srcIp: formatIpv4(src.ip), dstIp: formatIpv4(dst.ip), proto,
    ...(proto === 'icmp' ? {} : { sport: packet.sport, dport }),
  };
  return enumerateBranches((choices) => runOnce(w, src, packet, flow, choices));
}

/** Runs every combination of fork choices, depth first. */
function enumerateBranches(run: (choices: number[]) => { trace: Trace; forks: number[][] }): Trace[] {
  const traces: Trace[] = [];
  const pending: number[][] = [[]];
  while (pending.length && traces.length < MAX_BRANCHES) {
    const choices = pending.pop()!;
    const { trace, forks } = run(choices);
    traces.push(trace);
    for (let k = forks.length - 1; k >= choices.length; k--) {
      for (let j = forks[k]!.length - 1; j >= 1; j--) {
        pending.push([...choices, ...Array<number>(k - choices.length).fill(0), j]);
      }
    }
  }
  return traces;
}

function runOnce(w: World, src: ResolvedEndpoint, packet: Packet, flow: FlowView, choices: number[]): { trace: Trace; forks: number[][] } {
  const session = new Session(choices);
  if (src.entry) session.entry = src.entry;
  const forward = walk(w, session, src.start!, packet);
  let reply: Trip | undefined;
  let replyEnd: TripEnd | undefined;
  if (forward.end.kind === 'delivered') {
    reply = walk(w, session, replyStart(w, forward.end.endpoint), reversed(forward.end.packet));
    replyEnd = judgeReply(reply.end, src.start!, packet);
  }
  const whatIf = forward.end.kind !== 'delivered' && forward.end.resume ? stackedFaults(w, src, packet, forward.end.resume) : [];
  const trace = explain({ flow, forward, reply, replyEnd, whatIf, probability: session.probability, forked: session.forks.length > 0 });
  return { trace, forks: session.forks };
}

/**
 * The faults stacked behind a drop: walks on from where the drop happened as
 * if it had not, and reports what stops the flow next (forward or reply).
 * Each is labelled with its assumption; none changes the verdict.
 */
function stackedFaults(w: World, src: ResolvedEndpoint, sent: Packet, resume: { loc: Location; packet: Packet; assumption: string }): Contributing[] {
  const session = new Session();
  if (src.entry) session.entry = src.entry;
  const rest = walk(w, session, resume.loc, resume.packet);
  let end = rest.end;
  let hops = rest.hops;
  if (end.kind === 'delivered') {
    const reply = walk(w, session, replyStart(w, end.endpoint), reversed(end.packet));
    end = judgeReply(reply.end, src.start!, sent);
    hops = reply.hops;
    if (end.kind === 'delivered') return [];
    const rule = sentAway(hops) ?? end.rule;
    return rule ? [{ rule, why: `${resume.assumption}, the reply would be lost: ${end.reason}` }] : [];
  }
  return end.rule ? [{ rule: end.rule, why: `${resume.assumption}, it would be ${end.kind}: ${end.reason}` }] : [];
}

/** Where the answer of a delivered request starts. */
function replyStart(w: World, e: Endpoint): Location {
  switch (e.kind) {
    case 'pod':
      return { at: 'pod-send', pod: e.pod };
    case 'host':
      return { at: 'host-send', node: e.node };
    case 'instance':
    case 'rds':
      return { at: 'eni-out', eni: e.eni };
    case 'vpc-resolver':
      return { at: 'resolver-reply', vpc: e.vpc };
    case 'internet':
      return { at: 'internet-in' };
    case 'outside':
      return entryLocation(w, e.via);
  }
}

/** A reply counts only if it reaches the client with the exact tuple its socket expects. */
function judgeReply(end: TripEnd, client: Location, sent: Packet): TripEnd {
  if (end.kind !== 'delivered') return end;
  const expected = reversed(sent);
  const who = sameClient(client, end.endpoint);
  if (!who) return { kind: 'dropped', reason: `the reply was delivered to ${describe(end.endpoint)}, not to the client` };
  if (!samePacket(end.packet, expected)) {
    return {
      kind: 'dropped',
      reason: `the reply arrived from ${formatIpv4(end.packet.src)}:${end.packet.sport} but the client's socket expects ${formatIpv4(expected.src)}:${expected.sport} (a NAT was not undone on the way back)`,
    };
  }
  return end;
}

function sameClient(client: Location, e: Endpoint): boolean {
  switch (client.at) {
    case 'pod-send':
      return e.kind === 'pod' && e.pod === client.pod;
    case 'host-send':
      return e.kind === 'host' && e.node === client.node;
    case 'eni-out':
      return (e.kind === 'instance' || e.kind === 'rds') && e.eni === client.eni;
    case 'internet-in':
      return e.kind === 'internet';
    case 'vgw-in':
      return e.kind === 'outside' && e.via === client.gateway;
    case 'tgw-in':
      return e.kind === 'outside' && e.via === client.attachment.id;
    default:
      return false;
  }
}

function describe(e: Endpoint): string {
  switch (e.kind) {
    case 'pod':
      return `pod ${e.pod.name}`;
    case 'host':
      return `node ${e.node.node.name}`;
    case 'instance':
    case 'rds':
      return e.eni.id;
    case 'vpc-resolver':
      return `the resolver of ${e.vpc.vpc.id}`;
    case 'internet':
      return 'the internet';
    case 'outside':
      return `the outside network beyond ${e.via}`;
  }
}
