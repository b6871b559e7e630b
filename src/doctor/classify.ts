/**
 * Reads a failed trace and names the findings it shows. Each detector looks
 * for one pattern in the hops (where the packet was, with which source, and
 * which hop decided); a failure no detector recognises is not a finding (a
 * security group that admits only some ports is a choice, not a fault), but
 * its pair still shows in the pair table.
 */
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';
import { contains, parseCidr } from '../net/prefix.js';
import { evaluateSecurityGroups } from '../aws/security-group.js';
import type { Hop, Trace } from '../trace/types.js';
import type { World } from '../trace/world.js';
import type { FindingId, Severity } from './catalog.js';
import type { DestClass, FindingFacts, SourceClass } from './types.js';

/** One recognised pattern in one trace. */
export interface Detection {
  id: FindingId;
  /** Groups detections into one finding. */
  key: string;
  title: string;
  message: string;
  location: { file: string; line: number } | { awsId: string };
  facts: FindingFacts;
  /** Overrides the catalog severity (e.g. a latent overlap is a warning). */
  severity?: Severity;
}

const EMPTY: ReadonlySet<number> = new Set();

function vpcBlocksOf(w: World, vpc: string): string[] {
  return w.vpcs.get(vpc)?.vpc.cidrBlocks ?? [];
}

function inBlocks(blocks: string[], ip: string): boolean {
  return blocks.some((b) => contains(parseCidr(b, { nonAligned: 'mask' }), parseIpv4(ip)));
}

/** The source address the packet carried when it left the sending node or ENI. */
export function sourceOnTheWire(t: Trace): string | undefined {
  const h = t.forward.find((x) => (x.kind === 'security-group' || x.kind === 'eni') && x.direction === 'egress');
  return h?.packetIn.src;
}

/** The source the destination saw (or would have seen): the packet at the last forward hop. */
function seenSource(t: Trace): string {
  return t.forward.at(-1)!.packetIn.src;
}

function locOf(rule: Trace['decidingRule']): Detection['location'] {
  if (!rule) return { awsId: 'estate' };
  return 'file' in rule.at ? { file: rule.at.file, line: rule.at.line } : { awsId: rule.at.awsId };
}

/** The VPC owning a destination address, if any. */
function dstVpc(w: World, ip: string): string | undefined {
  const a = parseIpv4(ip);
  return [...w.vpcs.values()].find((v) => v.blocks.some((b) => contains(b, a)))?.vpc.id;
}

/** Every finding pattern in one failed trace. */
export function detect(w: World, s: SourceClass, d: DestClass, t: Trace): Detection[] {
  if (t.verdict === 'delivered') return [];
  const out: Detection[] = [];
  const hops = [...t.forward, ...(t.reply ?? [])];
  const wire = sourceOnTheWire(t);
  const podCidr = w.estate.cluster?.podCidr;
  const srcBlocks = vpcBlocksOf(w, s.vpc);
  const untranslatedPod = s.kind === 'pods' && wire === s.ip && !inBlocks(srcBlocks, s.ip);
  if (t.verdict === 'unknown') {
    out.push({ id: 'PP199', key: `PP199|${t.decidingRule?.ref ?? t.reason}`, title: `podpath cannot tell what happens at ${t.decidingRule?.ref ?? 'a hop'}`, message: t.reason, location: locOf(t.decidingRule), facts: {} });
    return out;
  }
  if (untranslatedPod && !inBlocks(srcBlocks, d.ip)) {
    const peering = hops.find((h): h is Extract<Hop, { kind: 'peering' }> => h.kind === 'peering');
    const vpc = dstVpc(w, d.ip);
    const masq = t.contributing.find((c) => /MASQUERADE|SNAT/.test(c.rule.text));
    out.push({
      id: 'PP101',
      key: `PP101|${d.key}`,
      title: `pods leave un-masqueraded toward ${d.label} (${d.ip})`,
      message: `${s.label} send to ${d.ip} with their pod address ${s.ip}, which is outside ${s.vpc} (${srcBlocks.join(', ')})` +
        `${masq ? `: ${masq.why}` : ''}. ${t.reason}`,
      location: masq ? locOf(masq.rule) : locOf(t.decidingRule),
      facts: {
        podCidr, nodeVpcBlocks: srcBlocks, routedBlocks: vpc ? vpcBlocksOf(w, vpc) : [d.ip + '/32'],
        hosts: d.kind === 'rds' ? [d.ip] : [], nodes: s.nodes, ...(peering ? { peering: peering.peering } : {}),
      },
    });
  }
  const sg = sgNotPodSource(w, s, d, t);
  if (sg) out.push(sg);
  const decider = t.decidingRule;
  const aclId = decider && !('file' in decider.at) && decider.at.awsId.startsWith('acl-') ? decider.at.awsId : undefined;
  if (t.verdict === 'reply-lost' && aclId) {
    const h = t.reply?.find((x): x is Extract<Hop, { kind: 'nacl' }> => x.kind === 'nacl' && x.decision === 'drop');
    const client = h?.packetIn.dst ?? s.ip;
    const block = vpcBlocksOf(w, dstVpc(w, client) ?? '').find((b) => inBlocks([b], client)) ?? `${client}/32`;
    out.push({
      id: 'PP106', key: `PP106|${aclId}`, title: `network ACL ${aclId} drops replies to client port ${h?.packetIn.dport ?? '?'}`,
      message: `${t.reason} Linux clients pick source ports from 32768-60999 (net.ipv4.ip_local_port_range); a NACL is stateless, so its ${h?.direction ?? 'egress'} rules must admit the replies to all of them.`,
      location: { awsId: aclId }, facts: { networkAcl: aclId, naclDirection: h?.direction ?? 'egress', naclCidr: block },
    });
  }
  const eniDrop = hops.find((h) => h.kind === 'eni' && h.decision === 'drop');
  if (eniDrop) {
    const instance = eniDrop.at.replace(/^eni-of-/, '');
    out.push({ id: 'PP107', key: `PP107|${eniDrop.at}`, title: `source/dest check on ${eniDrop.at} drops ${eniDrop.packetIn.src} -> ${eniDrop.packetIn.dst}`, message: t.reason, location: { awsId: eniDrop.at }, facts: { instance } });
  }
  const blackhole = hops.find((h) => h.kind === 'route-table' && h.decision === 'drop');
  if (blackhole?.rule) {
    out.push({ id: 'PP108', key: `PP108|${blackhole.rule.ref}`, title: `${blackhole.rule.ref} blackholes traffic to ${blackhole.packetIn.dst}`, message: t.reason, location: { awsId: blackhole.at },
      facts: { routeTable: blackhole.at, routeDestination: String(blackhole.rule.at && !('file' in blackhole.rule.at) ? blackhole.rule.at.index : '') } });
  }
  if (t.verdict === 'reply-lost' && !untranslatedPod && !aclId) {
    const rt = t.reply?.filter((h) => h.kind === 'route-table').at(-1);
    const lost = t.reply?.at(-1);
    if (rt && lost && (lost.kind === 'igw' || lost.decision === 'no-route' || rt.decision === 'no-route')) {
      const seen = seenSource(t);
      const srcVpc = dstVpc(w, seen);
      const peering = t.forward.find((h): h is Extract<Hop, { kind: 'peering' }> => h.kind === 'peering');
      const block = srcVpc ? vpcBlocksOf(w, srcVpc).find((b) => inBlocks([b], seen)) : undefined;
      out.push({ id: 'PP108', key: `PP108|return:${rt.at}`, title: `${rt.at} has no route back to ${seen}`, message: t.reason, location: { awsId: rt.at },
        facts: { routeTable: rt.at, sourceCidr: block ?? `${seen}/32`, ...(peering ? { routeTarget: peering.peering } : {}) } });
    }
  }
  const pcxDrop = t.forward.find((h): h is Extract<Hop, { kind: 'peering' }> => h.kind === 'peering' && h.decision === 'drop');
  if (pcxDrop && pcxDrop.notes.some((n) => /destination .* is not inside|not transitive/.test(n))) {
    const rt = t.forward.filter((h) => h.kind === 'route-table').at(-1);
    out.push({ id: 'PP109', key: `PP109|${rt?.rule?.ref ?? pcxDrop.peering}`, title: `${rt?.rule?.text ?? 'a route'} sends ${pcxDrop.packetIn.dst} into ${pcxDrop.peering}, which does not carry it`,
      message: t.reason, location: { awsId: rt?.at ?? pcxDrop.peering }, facts: { peering: pcxDrop.peering, ...(rt ? { routeTable: rt.at } : {}) } });
  }
  return out;
}

/** PP105: the destination's security groups admit the node address but not the pod source seen. */
function sgNotPodSource(w: World, s: SourceClass, d: DestClass, t: Trace): Detection | undefined {
  if (s.kind !== 'pods' || s.nodes.length === 0) return undefined;
  const eni = w.enis.get(parseIpv4(d.ip));
  if (!eni || eni.groups.length === 0) return undefined;
  const ids = eni.groups.map((g) => g.id);
  const sgInvolved = (t.decidingRule && !('file' in t.decidingRule.at) && ids.some((id) => t.decidingRule!.ref.includes(id)))
    || t.contributing.some((c) => ids.some((id) => c.rule.ref.includes(id)));
  if (!sgInvolved) return undefined;
  const seen = seenSource(t);
  const node = w.nodes.get(s.nodes[0]!)!;
  const p = { src: parseIpv4(seen), dst: eni.primary, proto: d.proto, sport: 40000, dport: d.port };
  const members = (id: string) => w.sgMembers.get(id) ?? EMPTY;
  const asPod = evaluateSecurityGroups(eni.groups, 'ingress', p, members);
  const asNode = evaluateSecurityGroups(eni.groups, 'ingress', { ...p, src: node.eth0.address }, members);
  if (asPod.allowed || !asNode.allowed) return undefined;
  const g = eni.groups.find((x) => asNode.rule.ref.startsWith(x.id))!;
  const idx = Number(/\[(\d+)\]/.exec(asNode.rule.ref)?.[1] ?? 0);
  const rule = g.ingress[idx];
  return {
    id: 'PP105', key: `PP105|${g.id}`,
    title: `security group ${g.id} admits the node ${formatIpv4(node.eth0.address)} but not the pod source ${seen}`,
    message: `${d.label} is reached from ${s.label} with source ${seen}; ${g.id} allows ${asNode.rule.text} (${asNode.rule.ref}) but ${asPod.rule.text}.`,
    location: { awsId: g.id },
    facts: { securityGroup: g.id, sgRule: rule ? { proto: String(rule.proto), ...(rule.ports ? { ports: rule.ports.from === rule.ports.to ? rule.ports.from : `${rule.ports.from}-${rule.ports.to}` } : {}) } : { proto: d.proto, ports: d.port }, podCidr: w.estate.cluster?.podCidr, hosts: [d.ip], nodes: s.nodes },
  };
}
