/**
 * What a security-group reference (`sg: sg-x` in a rule) admits for one
 * packet at one interface. AWS semantics:
 * - A reference matches the private IP addresses of the network interfaces
 *   associated with the group: primary, secondary and delegated-prefix
 *   addresses (VPC User Guide, "Security group rules", "Security group
 *   referencing"; EC2 User Guide, "Assign prefixes to Amazon EC2 network
 *   interfaces").
 * - Only traffic a member sends as itself: traffic forwarded through a
 *   middlebox is not admitted by a reference to the original sender's group
 *   (VPC Peering Guide, "Update your security groups to reference peer
 *   security groups": through a middlebox appliance, "if you reference the
 *   security group of the other instance as the source, this does not allow
 *   traffic to flow"). So on ingress the interface that put the packet on the
 *   wire must be a member and the source one of its own addresses.
 * - Across VPCs a reference works over an active VPC peering connection in the
 *   same Region (same guide: "You can't reference the security group of a peer
 *   VPC that's in a different Region"), or through a transit gateway whose
 *   `SecurityGroupReferencingSupport` is enabled on the gateway and on both VPC
 *   attachments (disabled by default on the gateway: EC2 API
 *   TransitGatewayOptions). Anywhere else the reference does not match.
 *   The estate records no Regions: a peering is assumed same-Region, and the
 *   hop says so.
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import type { Packet } from '../net/packet.js';
import { ownsAddress } from '../aws/eni.js';
import { lookupRoute } from '../aws/route-table.js';
import type { SgMembers } from '../aws/security-group.js';
import type { Session } from './state.js';
import type { EniRecord, World } from './world.js';

/** Records that `eni` put `p` on the wire (the last interface a packet left by wins). */
export function noteSender(session: Session, eni: EniRecord, p: Packet): void {
  session.sentBy(eni, p);
}

/** Group references for one evaluation, plus notes on references that did not match or matched under an assumption. */
export interface ReferenceAnswer {
  membersOf: (sgId: string) => SgMembers;
  notes: string[];
}

/**
 * The members a reference admits for `p` evaluated at `eni` in `direction`:
 * on ingress the sending interface (as recorded by noteSender), on egress the
 * interface that owns the destination.
 */
export function referenceMembers(w: World, session: Session, eni: EniRecord, direction: 'ingress' | 'egress', p: Packet): ReferenceAnswer {
  const notes: string[] = [];
  const note = (text: string) => { if (!notes.includes(text)) notes.push(text); };
  if (direction === 'egress') {
    const receiver = w.enis.get(p.dst);
    const membersOf = (sgId: string): SgMembers => ({
      has: (peer) => !!receiver && isMember(receiver, sgId) && reaches(w, eni, receiver, peer, sgId, note),
    });
    return { membersOf, notes };
  }
  let sender = session.senderOf(p);
  let assumed = false;
  if (!sender) {
    sender = w.enis.get(p.src);
    assumed = sender !== undefined;
  }
  const membersOf = (sgId: string): SgMembers => ({
    has: (peer) => {
      if (!sender || !isMember(sender, sgId)) return false;
      if (!ownsAddress(sender, peer)) {
        note(`${sgId} does not admit ${formatIpv4(peer)}: ${sender.id} (a member) forwarded it, and a reference admits only a member's own addresses, not traffic it forwards for others`);
        return false;
      }
      if (assumed) note(`which interface sent the packet was not traced: ${sender.id}, the owner of ${formatIpv4(peer)}, is assumed to have sent it (inferred)`);
      return reaches(w, sender, eni, p.dst, sgId, note);
    },
  });
  return { membersOf, notes };
}

function isMember(eni: EniRecord, sgId: string): boolean {
  return eni.groups.some((g) => g.id === sgId);
}

/** Whether a reference between `from` (sender) and `to` (receiver) holds across their VPCs, judged by the path `from` routes `dst` on. */
function reaches(w: World, from: EniRecord, to: EniRecord, dst: Ipv4, sgId: string, note: (text: string) => void): boolean {
  const a = from.subnet.vpc.vpc.id;
  const b = to.subnet.vpc.vpc.id;
  if (a === b) return true;
  const route = lookupRoute(from.subnet.routeTable, dst);
  const t = route?.target;
  const across = `${sgId} (members in ${a} and ${b})`;
  if (t?.kind === 'pcx') {
    const pcx = w.peerings.get(t.id);
    const joins = pcx && pcx.status === 'active' && new Set([pcx.requester, pcx.accepter]).size === 2 && [a, b].every((v) => v === pcx.requester || v === pcx.accepter);
    if (joins) {
      note(`${across}: referenced across ${t.id}, assuming both VPCs are in the same Region (the estate records no Regions; across Regions a reference does not match)`);
      return true;
    }
    note(`${across}: ${t.id} is not an active peering between the two VPCs, so the reference does not match`);
    return false;
  }
  if (t?.kind === 'tgw') {
    const tgw = w.transitGateways.get(t.id);
    const attachments = tgw?.attachments.filter((x) => x.vpc === a || x.vpc === b) ?? [];
    const both = [a, b].every((v) => attachments.some((x) => x.vpc === v && x.securityGroupReferencing));
    if (tgw?.securityGroupReferencing && both) return true;
    note(`${across}: ${t.id} does not have security group referencing enabled on the gateway and both VPC attachments (AWS's default for a gateway: disabled), so the reference does not match`);
    return false;
  }
  note(`${across}: a reference reaches another VPC only over a same-Region peering or a transit gateway with security group referencing, so it does not match`);
  return false;
}
