/**
 * Steps inside a Kubernetes node: the pod network namespace, netfilter hooks
 * with conntrack, and the node's routing table. Order follows the kernel
 * (see linux/iptables/types.ts for the hook diagram):
 * - arriving (pod bridge or eth0): PREROUTING, routing, then INPUT (local) or
 *   FORWARD + POSTROUTING (forwarded);
 * - locally generated: routing, OUTPUT, re-routing when OUTPUT DNAT changed
 *   the destination, POSTROUTING.
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import { reversed, type Packet } from '../net/packet.js';
import { awsRule, textRule, type RuleRef } from '../model/source.js';
import { walkHook } from '../linux/iptables/walk.js';
import { walkHookWithNft } from '../linux/nftables/hook.js';
import { nftEnd, nftHopParts, type NftAware } from './nft-hop.js';
import type { Chain, HookName, HookOutcome, NetfilterContext, Rule } from '../linux/iptables/types.js';
import { localRouteFor, lookupNodeRoute } from '../linux/route/ip-route.js';
import { lookupPolicyRoute, type PolicyRule } from '../linux/route/ip-rule.js';
import { undoSourceNat, type ConntrackEntry } from '../linux/conntrack.js';
import { selectSourceWithoutAddress } from '../linux/ip-addr.js';
import type { EniRecord, NodeRecord, PodRecord } from './world.js';
import type { NodeIface } from './node-ifaces.js';
import type { Session, StepResult } from './state.js';
import { hop, iptablesRule } from './hop.js';
import type { Hop, NearMissRecord, NetfilterTableStep } from './types.js';

/** A pod sends: its netns routes everything via the bridge to the node. */
export function podSend(pod: PodRecord, p: Packet, hops: Hop[]): StepResult {
  const bridge = pod.node.bridge;
  const veth = bridge ? undefined : podVeth(pod.node, pod.ip);
  if (veth) {
    // One veth per pod (AWS VPC CNI, Calico, Cilium): the node routes the pod's /32 to its host-side end.
    hops.push(hop('pod', p, p, {
      at: pod.name, direction: 'send', decision: 'forward',
      rule: textRule(veth.loc ?? { file: pod.node.ruleset.file, line: 1 }, veth.text),
      notes: [`pod netns: default route to the node over its veth (${veth.dev} on the node)`],
    }));
    return { next: { at: 'node-in', node: pod.node, iface: veth.dev! }, packet: p };
  }
  if (!bridge) {
    return { end: { kind: 'unknown', reason: `node ${pod.node.node.name} has no bridge in the estate: how pod ${pod.name} reaches it is not known` } };
  }
  hops.push(hop('pod', p, p, {
    at: pod.name, direction: 'send', decision: 'forward',
    rule: awsRule(pod.name, 'route', `default via ${formatIpv4(bridge.address)} dev eth0`),
    notes: [`pod netns: default route via the node's ${bridge.name} (${formatIpv4(bridge.address)})`],
  }));
  return { next: { at: 'node-in', node: pod.node, iface: bridge.name }, packet: p };
}

/** True when `ip` is one of the node's own addresses (the kernel's local table); a pod's VPC address (VPC CNI) is not. */
export function isNodeLocal(node: NodeRecord, ip: Ipv4): boolean {
  if (ip === node.eth0.address || ip === node.bridge?.address || ip >>> 24 === 127) return true;
  return (!node.pods.has(ip) && (node.eni.addresses.includes(ip) || node.interfaces.some((i) => i.eni.addresses.includes(ip)))) || localRouteFor(node.routes, ip) !== undefined;
}

/** The node interface bound to `eni`, if the dumps bound one (trace/node-ifaces.ts). */
export function nodeIfaceOf(node: NodeRecord, eni: EniRecord): NodeIface<EniRecord> | undefined {
  return node.interfaces.find((i) => i.eni === eni);
}

const boundIface = (node: NodeRecord, dev: string) => node.interfaces.find((i) => i.name === dev);

/** The node's link route to a pod's /32 on a veth (not eth0, not lo), if the node has one. */
export function podVeth(node: NodeRecord, ip: Ipv4) {
  const r = lookupNodeRoute(node.routes, ip);
  return r && r.dev && r.dst.len === 32 && !r.via && r.dev !== node.eth0.name && r.dev !== 'lo' && !boundIface(node, r.dev) ? r : undefined;
}

/**
 * What travels with one packet through the node's stack: the conntrack state,
 * the packet mark (skb->mark, kept from hook to hook: KUBE-MARK-MASQ in
 * PREROUTING is read by KUBE-POSTROUTING), the connection mark, and whether
 * the connection has been DNATed/SNATed (`-m conntrack --ctstate DNAT`).
 */
interface NodePass {
  state: NetfilterContext['ctState'];
  /** The connection's original tuple, and its reply tuple once the connection exists (a reply's pass). */
  conn: { original: Packet; reply?: Packet };
  mark: number;
  connmark?: number;
  ctStatus: { dnat: boolean; snat: boolean };
}

function newPass(entry: ConntrackEntry | undefined, first: Packet): NodePass {
  if (!entry) return { state: 'NEW', conn: { original: first }, mark: 0, connmark: 0, ctStatus: { dnat: false, snat: false } };
  const dnat = entry.original.dst !== entry.reply.src || entry.original.dport !== entry.reply.sport;
  const snat = entry.original.src !== entry.reply.dst || entry.original.sport !== entry.reply.dport;
  return { state: 'ESTABLISHED', conn: { original: entry.original, reply: entry.reply }, mark: 0, connmark: entry.connmark, ctStatus: { dnat, snat } };
}

/** What a netfilter walk asks of the node itself: the same for every hook, so made once per node. */
type NodeQueries = Pick<NetfilterContext, 'isLocal' | 'localDevice' | 'ifaceAddress' | 'fallbackSource'>;
const nodeQueries = new WeakMap<NodeRecord, NodeQueries>();

function queriesOf(node: NodeRecord): NodeQueries {
  let q = nodeQueries.get(node);
  if (!q) {
    nodeQueries.set(node, (q = {
      isLocal: (ip) => isNodeLocal(node, ip),
      localDevice: (ip) => localRouteFor(node.routes, ip)?.dev ?? (ip === node.eth0.address ? node.eth0.name : ip === node.bridge?.address ? node.bridge.name : ip >>> 24 === 127 ? 'lo' : undefined),
      ifaceAddress: (name) => boundIface(node, name)?.address ?? (name === node.eth0.name ? node.eth0.address : name === node.bridge?.name ? node.bridge.address : undefined),
      fallbackSource: (name) => (node.ipAddr ? selectSourceWithoutAddress(node.ipAddr, name) : undefined),
    }));
  }
  return q;
}

function ctx(node: NodeRecord, pass: NodePass, p: Packet, inIface?: string, outIface?: string): NetfilterContext {
  // A first packet's expected reply is the reverse of it with the NAT done so far (the walk updates it on NAT).
  const conn = pass.conn.reply
    ? { original: pass.conn.original, reply: pass.conn.reply, dir: 'REPLY' as const }
    : { original: pass.conn.original, reply: reversed(p), dir: 'ORIGINAL' as const };
  const q = queriesOf(node);
  const c: NetfilterContext = {
    conn,
    inIface,
    outIface,
    ctState: pass.state,
    ctStatus: { dnat: pass.ctStatus.dnat, snat: pass.ctStatus.snat },
    connmark: pass.connmark,
    isLocal: q.isLocal,
    localDevice: q.localDevice,
    ifaceAddress: q.ifaceAddress,
    fallbackSource: q.fallbackSource,
  };
  if (node.ipsets) c.ipsets = node.ipsets;
  return c;
}

function hookHop(node: NodeRecord, o: NftAware, input: Packet, c: NetfilterContext): Hop {
  const nft = nftHopParts(o);
  const tables = nft ? nft.tables : o.tables.map(tableStep);
  let deciding: NftAware['tables'][number] | undefined;
  for (let i = o.tables.length - 1; i >= 0 && !deciding; i--) {
    const t = o.tables[i]!;
    if (t.nat || t.verdict !== 'ACCEPT' || t.rule) deciding = t;
  }
  const nat = o.tables.find((t) => t.nat);
  const notes: string[] = [];
  for (const t of o.tables) {
    if (t.nat) notes.push(`${t.table} ${t.chain}: ${t.nat.kind} ${describeNat(input, t.packet)}`);
    for (const m of t.matched) if (m.target && m.target.name !== t.nat?.kind && !m.target.goto) notes.push(matchedNote(t.table, t.chain, m));
    if (t.unknown) notes.push(`not understood: ${t.unknown.construct} in ${t.unknown.rule.loc.file}:${t.unknown.rule.loc.line}`);
    if (!t.rule && t.verdict === 'ACCEPT' && !t.nat) notes.push(tablePolicyNote(t.table, t.chain));
  }
  const ct = o.conntrackNat;
  if (ct) notes.push(conntrackNote(ct.before, ct.after, ct.manip) ?? '');
  if (node.ruleset.derived) notes.push(node.ruleset.derived);
  const decision = o.verdict === 'ACCEPT' ? (nat || nft?.nat ? 'nat' : 'accept') : o.verdict === 'DROP' ? 'drop' : o.verdict === 'REJECT' ? 'reject' : 'unknown';
  const unknown = o.tables.find((t) => t.unknown)?.unknown;
  const rule = nft ? nft.rule : unknown ? iptablesRule(unknown.rule) : nat?.nat ? iptablesRule(nat.nat.rule) : deciding?.rule ? iptablesRule(deciding.rule) : policyRule(node, o);
  if (nft) notes.push(...nft.notes);
  else if (o.tables.length === 0) notes.push(c.ctState === 'NEW' ? `no table has rules for ${o.hook}` : `no table has rules for ${o.hook} (the nat table is skipped: conntrack state ${c.ctState})`);
  const h = hop('node-netfilter', input, o.verdict === 'ACCEPT' ? o.packet : undefined, { at: node.node.name, hook: o.hook, tables, nearMisses: nearMissRecords(o), decision, notes });
  // Set after, in the order the JSON has always had them (rule, then probability), instead of spread into the fields.
  if (rule) h.rule = rule;
  if (o.probability < 1) h.probability = o.probability;
  return h;
}

/** The note of a table whose policy let the packet on, by table and chain (one string for the thousands of hops that carry it). */
const policyNotes = new Map<string, Map<string, string>>();

function tablePolicyNote(table: string, chain: string): string {
  let byChain = policyNotes.get(table);
  if (!byChain) policyNotes.set(table, (byChain = new Map()));
  let note = byChain.get(chain);
  if (note === undefined) byChain.set(chain, (note = `${table} ${chain}: no rule decided; policy ACCEPT`));
  return note;
}

/** A table's part in the hop. */
function tableStep(t: NftAware['tables'][number]): NetfilterTableStep {
  const step: NetfilterTableStep = { table: t.table, chain: t.chain, verdict: t.verdict };
  if (t.rule) step.rule = iptablesRule(t.rule);
  if (t.nat) step.nat = `${t.nat.kind} by ${t.nat.rule.loc.file}:${t.nat.rule.loc.line}`;
  return step;
}

/** The note of a rule that matched, by rule: the same few kube-proxy rules match for thousands of pairs. */
const matchedNotes = new WeakMap<Rule, { table: string; chain: string; note: string }>();

function matchedNote(table: string, chain: string, m: Rule): string {
  const seen = matchedNotes.get(m);
  if (seen && seen.table === table && seen.chain === chain) return seen.note;
  const note = `${table} ${chain}: matched ${m.loc.file}:${m.loc.line} (-j ${m.target!.name})`;
  matchedNotes.set(m, { table, chain, note });
  return note;
}

/** The near misses of every table, in order. */
function nearMissRecords(o: NftAware): NearMissRecord[] {
  const out: NearMissRecord[] = [];
  for (const t of o.tables) for (const m of t.nearMisses) out.push({ rule: iptablesRule(m.rule), failed: m.failed });
  return out;
}

/** The RuleRef of a chain's policy, made once per chain, table and policy (most hooks end in a policy). */
const policyRefs = new WeakMap<Chain, { table: string; policy: Chain['policy']; ref: RuleRef }>();

function policyRule(node: NodeRecord, o: HookOutcome) {
  const last = o.tables[o.tables.length - 1];
  if (!last) return undefined;
  const chain = node.ruleset.tables.get(last.table)?.chains.get(last.chain);
  if (!chain) return textRule({ file: node.ruleset.file, line: 1 }, `:${last.chain} ACCEPT (policy of ${last.table} ${last.chain})`);
  const seen = policyRefs.get(chain);
  if (seen && seen.table === last.table && seen.policy === chain.policy) return seen.ref;
  const ref = textRule(chain.loc, `:${last.chain} ${chain.policy ?? 'ACCEPT'} (policy of ${last.table} ${last.chain})`);
  policyRefs.set(chain, { table: last.table, policy: chain.policy, ref });
  return ref;
}

function describeNat(before: Packet, after: Packet): string {
  const parts: string[] = [];
  if (before.src !== after.src || before.sport !== after.sport) parts.push(`source ${formatIpv4(before.src)}:${before.sport} -> ${formatIpv4(after.src)}:${after.sport}`);
  if (before.dst !== after.dst || before.dport !== after.dport) parts.push(`destination ${formatIpv4(before.dst)}:${before.dport} -> ${formatIpv4(after.dst)}:${after.dport}`);
  return parts.join(', ') || `left unchanged (the source is already ${formatIpv4(after.src)})`;
}

/**
 * Walks one hook and records its hop: ACCEPT continues with `then`;
 * DROP/REJECT/unknown end the trip. When a -m statistic rule forked the walk,
 * the session's chooser picks the branch this run follows (the trace engine
 * re-runs the walk once per branch: DESIGN.md "report all").
 */
function throughHook(
  session: Session, node: NodeRecord, hook: HookName, p: Packet, pass: NodePass, ifaces: { in?: string; out?: string }, hops: Hop[],
  then: (q: Packet) => StepResult,
): StepResult {
  const c = ctx(node, pass, p, ifaces.in, ifaces.out);
  const outcomes: NftAware[] = node.nft ? walkHookWithNft(node.ruleset, node.nft, hook, p, c, pass.mark) : walkHook(node.ruleset, hook, p, c, pass.mark);
  const o = outcomes.length === 1 ? outcomes[0]! : outcomes[session.choose(outcomes.map((x) => x.probability))]!;
  hops.push(hookHop(node, o, p, c));
  pass.mark = o.mark;
  if (o.connmark !== undefined) pass.connmark = o.connmark;
  if (o.packet.dst !== p.dst || o.packet.dport !== p.dport) pass.ctStatus.dnat = true;
  if (o.packet.src !== p.src || o.packet.sport !== p.sport) pass.ctStatus.snat = true;
  return o.verdict === 'ACCEPT' ? then(o.packet) : endOf(hops[hops.length - 1]!, o);
}

function endOf(h: Hop, o: NftAware): StepResult {
  const t = o.tables[o.tables.length - 1]!;
  const byNft = nftEnd(o);
  if (byNft) return { end: { ...byNft, rule: h.rule, reason: `${byNft.reason} on ${h.at}` } };
  if (o.verdict === 'unknown') {
    return { end: { kind: 'unknown', rule: h.rule, reason: `${t.table} ${t.chain}: ${t.unknown?.construct ?? 'a rule'} is not understood, so podpath cannot tell whether it matches` } };
  }
  const kind = o.verdict === 'DROP' ? 'dropped' : 'rejected';
  return { end: { kind, rule: h.rule, reason: `${kind} by ${t.table} ${t.chain} on ${h.at}` } };
}

/** Describes the rewrite conntrack applies to a reply, or undefined when there is none. */
function conntrackNote(before: Packet, after: Packet, field: 'source' | 'destination'): string | undefined {
  if (before.src === after.src && before.dst === after.dst && before.sport === after.sport && before.dport === after.dport) return undefined;
  const [a, b] = field === 'source' ? [[before.src, before.sport], [after.src, after.sport]] : [[before.dst, before.dport], [after.dst, after.dport]];
  const undone = field === 'source' ? 'DNAT' : 'SNAT/MASQUERADE';
  return `conntrack: reply of a tracked connection; its ${undone} undone: ${field} ${formatIpv4(a[0]!)}:${a[1]} -> ${formatIpv4(b[0]!)}:${b[1]}`;
}

/** A packet arrives at the node on `iface` (from a pod's veth/bridge or from eth0). */
export function nodeIn(session: Session, node: NodeRecord, iface: string, arrived: Packet, hops: Hop[]): StepResult {
  const entry = session.conntrack(node.node.name).matchReply(arrived);
  const pass = newPass(entry, arrived);
  // A reply gets SNAT undone by the walk at nat priority in PREROUTING (after mangle), before routing, and DNAT in INPUT/POSTROUTING.
  return throughHook(session, node, 'PREROUTING', arrived, pass, { in: iface }, hops, (q) => {
    const local = () => throughHook(session, node, 'INPUT', q, pass, { in: iface }, hops, (delivered) => {
      if (!entry) session.conntrack(node.node.name).record(arrived, delivered, pass.connmark);
      hops.push(hop('host', delivered, delivered, { at: node.node.name, direction: 'receive', decision: 'deliver', notes: [`delivered to a local socket on ${node.node.name}`] }));
      return { end: { kind: 'delivered', endpoint: { kind: 'host', node }, packet: delivered } };
    });
    if (isNodeLocal(node, q.dst)) return local();
    const route = routeHop(session, node, q, iface, pass.mark, hops);
    if ('local' in route) return local();
    if ('end' in route) return route;
    return throughHook(session, node, 'FORWARD', q, pass, { in: iface, out: route.dev }, hops, (r) =>
      throughHook(session, node, 'POSTROUTING', r, pass, { in: iface, out: route.dev }, hops, (left) => {
        if (!entry) session.conntrack(node.node.name).record(arrived, left, pass.connmark);
        return egress(node, route.dev, left, hops);
      }),
    );
  });
}

/** routeHop answers local delivery only for received packets (iif other than lo); a sent one never gets it. */
const sentLocal = (node: NodeRecord): StepResult => ({ end: { kind: 'unknown', reason: `${node.node.name}: routing answered local delivery for a packet the node itself sends` } });

/** A process on the node (host network) sends a packet, or answers one. */
export function hostSend(session: Session, node: NodeRecord, sent: Packet, hops: Hop[]): StepResult {
  const entry = session.conntrack(node.node.name).matchReply(sent);
  const pass = newPass(entry, sent);
  const p = entry ? undoSourceNat(entry, sent) : sent;
  const notes = ['sent by a process in the node\'s network namespace'];
  if (entry) notes.push(conntrackNote(sent, p, 'destination') ?? '');
  hops.push(hop('host', sent, p, { at: node.node.name, direction: 'send', decision: 'forward', notes: notes.filter(Boolean) }));
  const first = routeHop(session, node, p, 'lo', pass.mark, hops);
  if (!('dev' in first)) return 'end' in first ? first : sentLocal(node);
  const markBefore = pass.mark;
  return throughHook(session, node, 'OUTPUT', p, pass, { out: first.dev }, hops, (q) => {
    // A new destination (nat OUTPUT DNAT) or mark (mangle OUTPUT) makes the kernel route again (ip_route_me_harder).
    const route = q.dst === p.dst && pass.mark === markBefore ? first : routeHop(session, node, q, 'lo', pass.mark, hops);
    if (!('dev' in route)) return 'end' in route ? route : sentLocal(node);
    return throughHook(session, node, 'POSTROUTING', q, pass, { out: route.dev }, hops, (left) => {
      if (!entry) session.conntrack(node.node.name).record(sent, left, pass.connmark);
      return egress(node, route.dev, left, hops);
    });
  });
}

const ruleText = (r: PolicyRule): string => `ip rule ${r.text.replace(/\s+/g, ' ')}`;

/** The ip rule that decided, as a note, unless it is the everyday `from all lookup main`. */
function policyNote(r: PolicyRule): string[] {
  if (r.action.kind === 'lookup' && r.action.table === 'main' && !r.from && !r.to && !r.iif && !r.fwmark && !r.not) return [];
  return [`${ruleText(r)}${r.loc ? ` (${r.loc.file}:${r.loc.line})` : ''}`];
}

const ruleRef = (node: NodeRecord, r: PolicyRule) => textRule(r.loc ?? { file: node.ruleset.file, line: 1 }, ruleText(r));

/** How an ip rule's own verdict shows: the hop's decision and the trip's end (ip-rule(8): blackhole discards silently, unreachable/prohibit answer with ICMP). */
const RULE_ENDS = {
  blackhole: { decision: 'drop', end: 'dropped' }, unreachable: { decision: 'no-route', end: 'no-route' }, prohibit: { decision: 'reject', end: 'rejected' },
} as const;

/**
 * The node's routing decision for a forwarded packet (`iif` = the interface
 * it arrived on) or a locally generated one (`iif` = lo), through the node's
 * ip rules (policy routing) with the packet's mark at that point.
 */
function routeHop(session: Session, node: NodeRecord, p: Packet, iif: string, mark: number, hops: Hop[]): { dev: string } | { local: true } | { end: import('./state.js').TripEnd } {
  const decision = lookupPolicyRoute(node.ipRules, node.routes, { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport, mark, iif });
  if (decision.kind === 'unknown') {
    const rule = ruleRef(node, decision.rule);
    hops.push(hop('node-route', p, undefined, { at: node.node.name, decision: 'unknown', rule, notes: [decision.reason] }));
    return { end: { kind: 'unknown', rule, reason: `${node.node.name}: ${decision.reason}` } };
  }
  if (decision.kind === 'blackhole' || decision.kind === 'unreachable' || decision.kind === 'prohibit') {
    const rule = ruleRef(node, decision.rule);
    const why = `ip rule ${decision.rule.priority} says ${decision.kind}`;
    const shows = RULE_ENDS[decision.kind];
    hops.push(hop('node-route', p, undefined, { at: node.node.name, decision: shows.decision, rule, notes: [why] }));
    return { end: { kind: shows.end, rule, reason: `${node.node.name}: ${why}` } };
  }
  const r = decision.kind === 'route' ? decision.route : undefined;
  const policy = decision.kind === 'route' ? policyNote(decision.rule) : [];
  const rule = r ? textRule(r.loc ?? { file: node.ruleset.file, line: 1 }, r.text) : undefined;
  if (r?.type === 'unicast' && !r.dev && r.nexthops?.length) {
    // A multipath route: the kernel hashes each flow onto one next hop by weight;
    // which one is not knowable from the dump, so every next hop is a branch.
    const total = r.nexthops.reduce((sum, h) => sum + h.weight, 0);
    const i = session.choose(r.nexthops.map((h) => h.weight / total));
    const nh = r.nexthops[i]!;
    if (nh.dev) {
      hops.push(hop('node-route', p, p, { at: node.node.name, decision: 'forward', outIface: nh.dev, rule: rule!, notes: [...policy, `multipath route: next hop ${i + 1} of ${r.nexthops.length} (dev ${nh.dev}, weight ${nh.weight})`] }));
      return { dev: nh.dev };
    }
  }
  // A received packet to a broadcast address (a `broadcast` route of the local
  // table, or 255.255.255.255) is delivered locally, never forwarded: the kernel
  // routes it RTN_BROADCAST to local input (net/ipv4/route.c ip_route_input_slow,
  // brd_input; `ip route get ... iif DEV` prints `broadcast ... dev lo`).
  if (iif !== 'lo' && (r?.type === 'broadcast' || p.dst === 0xffffffff)) {
    const why = `${formatIpv4(p.dst)} is a broadcast address: the kernel delivers it to the node itself`;
    hops.push(hop('node-route', p, p, { at: node.node.name, decision: 'accept', outIface: 'lo', ...(rule ? { rule } : {}), notes: [...policy, why] }));
    return { local: true };
  }
  if (iif === 'lo' && r?.type === 'broadcast') {
    const why = `${formatIpv4(p.dst)} is a broadcast address: the node sends it to every host on ${r.dev ?? 'the link'} and loops a copy back to itself, which podpath does not model`;
    hops.push(hop('node-route', p, undefined, { at: node.node.name, decision: 'unknown', rule: rule!, notes: [...policy, why] }));
    return { end: { kind: 'unknown', rule, reason: `${node.node.name}: ${why}` } };
  }
  if (r?.type === 'local') {
    const why = `the local table says ${formatIpv4(p.dst)} is the node's own address, which the estate does not list among ${node.node.name}'s addresses`;
    hops.push(hop('node-route', p, undefined, { at: node.node.name, decision: 'unknown', rule: rule!, notes: [why] }));
    return { end: { kind: 'unknown', rule, reason: `${node.node.name}: ${why}` } };
  }
  if (!r || !r.dev || r.type !== 'unicast') {
    const why = r ? `route type ${r.type}` : `no route to ${formatIpv4(p.dst)}`;
    // Route types end a lookup as the rule actions of the same names do (ip-route(8)); other types drop.
    const shows = r && r.type in RULE_ENDS ? RULE_ENDS[r.type as keyof typeof RULE_ENDS] : r ? { decision: 'drop', end: 'dropped' } as const : { decision: 'no-route', end: 'no-route' } as const;
    hops.push(hop('node-route', p, undefined, { at: node.node.name, decision: shows.decision, ...(rule ? { rule } : {}), notes: [...policy, why] }));
    return { end: { kind: shows.end, rule, reason: `${node.node.name}: ${why}` } };
  }
  const notes = [...policy, ...(r.derived ? ['route derived (no ip route given)'] : []), ...ifaceNote(node, r.dev)];
  hops.push(hop('node-route', p, p, { at: node.node.name, decision: 'forward', outIface: r.dev, rule: rule!, notes }));
  return { dev: r.dev };
}

/** Which ENI a secondary interface is, and why podpath thinks so (nothing for the primary one: the everyday case). */
function ifaceNote(node: NodeRecord, dev: string): string[] {
  const i = boundIface(node, dev);
  return i && i.eni !== node.eni ? [`${dev} is ${i.eni.id} (device index ${i.eni.deviceIndex}), bound by ${i.boundBy}`] : [];
}

/** The packet leaves the node on `dev`. */
function egress(node: NodeRecord, dev: string, p: Packet, hops: Hop[]): StepResult {
  const iface = boundIface(node, dev);
  if (iface) return { next: { at: 'eni-out', eni: iface.eni }, packet: p };
  if (dev === node.bridge?.name) {
    const pod = node.pods.get(p.dst);
    if (!pod) {
      const reason = `no pod on ${node.node.name} has ${formatIpv4(p.dst)}: nothing answers ARP on ${dev}`;
      hops.push(hop('target', p, undefined, { at: `${node.node.name}/${dev}`, endpoint: formatIpv4(p.dst), decision: 'drop', notes: [reason] }));
      return { end: { kind: 'dropped', reason } };
    }
    return intoPod(pod, `via ${dev}`, p, hops);
  }
  if (dev === 'lo') return { end: { kind: 'delivered', endpoint: { kind: 'host', node }, packet: p } };
  const vethPod = node.pods.get(p.dst);
  if (vethPod && podVeth(node, p.dst)?.dev === dev) return intoPod(vethPod, `via its veth ${dev}`, p, hops);
  const conflict = node.ifaceConflicts.find((c) => c.includes(` ${dev} `) || c.endsWith(` ${dev}`));
  const why = conflict
    ? `the dumps match it ambiguously (${conflict})`
    : `no ENI of ${node.node.instance} could be matched to it (no MAC or address in ip addr, and no connected, local or broadcast route with an ENI address, names it)`;
  return { end: { kind: 'unknown', reason: `interface ${dev} on ${node.node.name} is not modelled: ${why}` } };
}

/**
 * Delivery into a pod's network namespace. A packet whose source is the pod's
 * own address is a martian there: the kernel drops a packet arriving on a
 * non-loopback interface from one of its own addresses (fib_validate_source).
 * This is the hairpin case: a pod reaching itself through its Service VIP
 * without masquerade (which is why kube-proxy masquerades hairpin traffic).
 */
function intoPod(pod: PodRecord, how: string, p: Packet, hops: Hop[]): StepResult {
  if (p.src === pod.ip) {
    const reason = `pod ${pod.name} drops a packet from its own address ${formatIpv4(p.src)} (martian source): hairpin traffic through a Service needs masquerading`;
    const rule = awsRule(pod.name, 'martian', 'kernel: a packet from one of its own addresses arriving on eth0 is dropped (fib_validate_source)');
    hops.push(hop('pod', p, undefined, { at: pod.name, direction: 'receive', decision: 'drop', rule, notes: [reason] }));
    return { end: { kind: 'dropped', rule, reason } };
  }
  hops.push(hop('pod', p, undefined, { at: pod.name, direction: 'receive', decision: 'deliver', notes: [`delivered into pod ${pod.name} ${how}`] }));
  return { end: { kind: 'delivered', endpoint: { kind: 'pod', pod }, packet: p } };
}
