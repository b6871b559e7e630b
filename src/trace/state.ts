/**
 * The walk's vocabulary: where a packet is, where a trip can end, and the
 * per-trace state (conntrack per node, security-group flows per ENI) that
 * makes replies behave statefully.
 */
import type { Packet } from '../net/packet.js';
import { samePacket } from '../net/packet.js';
import { Conntrack } from '../linux/conntrack.js';
import type { RuleRef } from '../model/source.js';
import type { NatTranslation } from '../aws/nat-gateway.js';
import type { TgwAttachment, TransitGateway } from '../model/aws.js';
import type { EniRecord, NodeRecord, PodRecord, SubnetRecord, VpcRecord } from './world.js';

/** Where the packet is about to be processed. */
export type Location =
  | { at: 'pod-send'; pod: PodRecord }
  | { at: 'host-send'; node: NodeRecord }
  | { at: 'node-in'; node: NodeRecord; iface: string }
  | { at: 'eni-out'; eni: EniRecord }
  | { at: 'subnet-out'; eni: EniRecord }
  | { at: 'vpc-deliver'; vpc: VpcRecord; from?: SubnetRecord; via: string }
  | { at: 'eni-in'; eni: EniRecord; from?: SubnetRecord; skipNacl?: boolean }
  | { at: 'resolver-reply'; vpc: VpcRecord }
  | { at: 'internet-in' }
  /** Traffic routed to a NAT gateway (`eni` is the gateway's interface). */
  | { at: 'nat-gateway'; eni: EniRecord; from?: SubnetRecord }
  /** Traffic routed to a transit gateway from a subnet of an attached VPC. */
  | { at: 'tgw'; tgw: TransitGateway; from: SubnetRecord }
  /** Traffic from outside the estate entering a VPC through its virtual private gateway. */
  | { at: 'vgw-in'; gateway: string; vpc: VpcRecord }
  /** Traffic from outside the estate entering a transit gateway through one of its attachments. */
  | { at: 'tgw-in'; tgw: TransitGateway; attachment: TgwAttachment };

/** Who a trip can end at. */
export type Endpoint =
  | { kind: 'pod'; pod: PodRecord }
  | { kind: 'host'; node: NodeRecord }
  | { kind: 'instance'; eni: EniRecord }
  | { kind: 'rds'; eni: EniRecord }
  | { kind: 'vpc-resolver'; vpc: VpcRecord }
  | { kind: 'internet' }
  /** Back out through the gateway or attachment an outside source's flow entered by. */
  | { kind: 'outside'; via: string };

/** How a one-way trip ended. */
export type TripEnd =
  | { kind: 'delivered'; endpoint: Endpoint; packet: Packet }
  | {
      kind: 'dropped' | 'rejected' | 'no-route' | 'unknown';
      rule?: RuleRef;
      reason: string;
      /**
       * Where the walk would go on if this drop did not happen, for a what-if
       * walk that finds the faults stacked behind this one.
       */
      resume?: { loc: Location; packet: Packet; assumption: string };
    };

/** True when `reply` has the header of `request` with addresses and ports swapped. */
function isReplyOf(reply: Packet, request: Packet): boolean {
  return reply.src === request.dst && reply.dst === request.src && reply.proto === request.proto && reply.sport === request.dport && reply.dport === request.sport;
}

/** The outcome of one step of the walk. */
export type StepResult =
  | { next: Location; packet: Packet }
  | { end: TripEnd };

/**
 * Per-run stateful memory: conntrack per node, admitted flows per ENI, and
 * the branch choices at forks. A run follows `choices` at the first forks it
 * meets (0 past their end) and records how many options each fork had, so the
 * engine can enumerate every branch by re-running.
 */
export class Session {
  private readonly conntracks = new Map<string, Conntrack>();
  private readonly sgFlows = new Map<string, Packet[]>();
  private readonly natFlows = new Map<string, NatTranslation[]>();
  /** Packets sent by interfaces in this run, by header (a run sends few: a list beats keying by header text). */
  private readonly senders: { packet: Packet; eni: EniRecord }[] = [];
  /** Options seen at each fork point, in order. */
  readonly forks: number[][] = [];
  /** Product of the probabilities of the branches taken. */
  probability = 1;
  /**
   * The gateway (vgw-) or TGW attachment an outside source's flow entered by:
   * a reply routed back to it has reached the client.
   */
  entry?: string;

  constructor(private readonly choices: readonly number[] = []) {}

  /** Picks the branch to follow at a fork with these branch probabilities. */
  choose(probabilities: number[]): number {
    const index = this.choices[this.forks.length] ?? 0;
    this.forks.push(probabilities);
    this.probability *= probabilities[index] ?? 0;
    return index;
  }

  conntrack(node: string): Conntrack {
    let ct = this.conntracks.get(node);
    if (!ct) this.conntracks.set(node, (ct = new Conntrack()));
    return ct;
  }

  /** Remembers a packet a security group admitted at an ENI. */
  admitted(eniId: string, p: Packet): void {
    const list = this.sgFlows.get(eniId) ?? [];
    list.push(p);
    this.sgFlows.set(eniId, list);
  }

  /** True when `p` is the reply of a flow admitted at this ENI (SGs are stateful). */
  isTrackedReply(eniId: string, p: Packet): boolean {
    const flows = this.sgFlows.get(eniId);
    return flows !== undefined && flows.some((q) => isReplyOf(p, q));
  }

  /** Records that `eni` put `p` on the wire (the last interface a packet left by wins). */
  sentBy(eni: EniRecord, p: Packet): void {
    for (const s of this.senders) {
      if (samePacket(s.packet, p)) {
        s.eni = eni;
        return;
      }
    }
    this.senders.push({ packet: p, eni });
  }

  /** The interface that last put a packet with `p`'s header on the wire in this run. */
  senderOf(p: Packet): EniRecord | undefined {
    return this.senders.find((s) => samePacket(s.packet, p))?.eni;
  }

  /** Remembers a translation a NAT gateway made, so its reply can be translated back. */
  natTranslated(gatewayId: string, t: NatTranslation): void {
    this.natFlows.set(gatewayId, [...(this.natFlows.get(gatewayId) ?? []), t]);
  }

  /** The translations a NAT gateway made in this run. */
  natTranslations(gatewayId: string): readonly NatTranslation[] {
    return this.natFlows.get(gatewayId) ?? [];
  }

}
