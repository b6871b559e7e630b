/**
 * The walk: moves a packet from location to location until a trip ends, one
 * step function per location kind. Bounded: a trip longer than MAX_STEPS is a
 * forwarding loop and ends as dropped (the TTL would expire).
 */
import type { Packet } from '../net/packet.js';
import type { World } from './world.js';
import { eniIn, eniOut, internetIn, resolverReply, subnetOut, vgwIn, vpcDeliver } from './aws-steps.js';
import { hostSend, nodeIn, podSend } from './node-steps.js';
import { natGatewayIn, tgwForward, tgwIn } from './gateway-steps.js';
import type { Location, Session, StepResult, TripEnd } from './state.js';
import type { Hop } from './types.js';
import { assertNever } from './types.js';

const MAX_STEPS = 64;

/** One trip: its hops and how it ended. */
export interface Trip {
  hops: Hop[];
  end: TripEnd;
}

/** Walks a packet from `start` until it is delivered, dropped or not understood. */
export function walk(w: World, session: Session, start: Location, packet: Packet): Trip {
  const hops: Hop[] = [];
  let loc = start;
  let p = packet;
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const r = step(w, session, loc, p, hops);
    if ('end' in r) return { hops, end: r.end };
    loc = r.next;
    p = r.packet;
  }
  return { hops, end: { kind: 'dropped', reason: `forwarding loop: still travelling after ${MAX_STEPS} steps (the TTL would expire)` } };
}

function step(w: World, session: Session, loc: Location, p: Packet, hops: Hop[]): StepResult {
  switch (loc.at) {
    case 'pod-send':
      return podSend(loc.pod, p, hops);
    case 'host-send':
      return hostSend(session, loc.node, p, hops);
    case 'node-in':
      return nodeIn(session, loc.node, loc.iface, p, hops);
    case 'eni-out':
      return eniOut(w, session, loc.eni, p, hops);
    case 'subnet-out':
      return subnetOut(w, loc.eni, p, hops, session);
    case 'vpc-deliver':
      return vpcDeliver(w, loc.vpc, loc.from, loc.via, p, hops);
    case 'eni-in':
      return eniIn(w, session, loc.eni, loc.from, loc.skipNacl ?? false, p, hops);
    case 'resolver-reply':
      return resolverReply(w, loc.vpc, p);
    case 'internet-in':
      return internetIn(w, p, hops);
    case 'nat-gateway':
      return natGatewayIn(w, session, loc.eni, loc.from, p, hops);
    case 'tgw':
      return tgwForward(w, loc.tgw, loc.from, p, hops, session);
    case 'vgw-in':
      return vgwIn(w, loc.gateway, loc.vpc, p, hops);
    case 'tgw-in':
      return tgwIn(w, loc.tgw, loc.attachment, p, hops, session);
    default:
      return assertNever(loc);
  }
}
