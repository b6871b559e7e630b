/**
 * Whether an inserted iptables rule can change a recorded netfilter hop
 * (incremental.ts narrows an iptables insert with it).
 *
 * A hop stays exactly what it was when the inserted rule provably does not
 * match the packet the walk shows it, and cannot be reported as a near miss:
 * - the rule reads only the packet's addresses, protocol and tcp/udp ports
 *   (`-s`, `-d`, `-p`, `-m tcp/udp` ports, `-m iprange`, `-m comment`) and
 *   the out interface (`-o`), so whether it matches is a function of the
 *   packet and of the device routing chose for it: the node-route hop before
 *   the netfilter hop on the same node and trip names that device (the walk's
 *   out interface in FORWARD, OUTPUT and POSTROUTING, node-steps.ts); a hop
 *   with no such route hop answers "may change". Any other match (the in
 *   interface, conntrack, marks, sets, addrtype, unknowns) gives no probe and
 *   the pair is traced again;
 * - the packet: within one table only a NAT target changes it, and that ends
 *   the table (walk.ts). So the packet at the inserted table's entry is the
 *   hop's input when no nat table runs before it in the hook (HOOK_TABLES); when
 *   one does (filter/security OUTPUT after nat OUTPUT's DNAT, or conntrack's
 *   NAT of a later packet at nat's priority), it is the hop's output, which the
 *   tables after nat do not change (NAT outside the nat table answers
 *   `unknown`); a hop with no output there is traced again;
 * - near misses (walk.ts): a visited rule whose one match fails is recorded.
 *   The rule's matches are counted by the engine's own compiled checks
 *   (compile.ts inlineFails and match closures); one failing match of a rule
 *   with a deciding target (walk.ts DECIDING, or a jump) counts as a possible
 *   near miss (the pair is traced again: whether the walk reaches the rule and
 *   has room for another near miss is not known from the hop) unless the chain's
 *   destination index keeps the walk from visiting the rule at all (its
 *   `-d x/32` names another address: compile.ts candidates). Two or more
 *   failing matches are never a near miss;
 * - the rest of the walk is unchanged: the table and chain existed before (an
 *   insert into a missing one adds a table step to every walk of the hook),
 *   the chain's destination index is there before and after or neither (it
 *   decides which rules are visited and so reported), and the node has no
 *   nftables rule set (its hop is made by another walk).
 * Rule numbers shift after the inserted rule, but hop records cite rules by
 * file:line and text, not by number. Not covered: a walk that was within one
 * rule visit of the walk's limit (1,000,000 visits, walk.ts MAX_STEPS), which
 * the skipped rule's visit would push over.
 */
import type { Packet } from '../net/packet.js';
import { compiledChain, compiledRules, candidates, inlineFails, type CompiledRule } from '../linux/iptables/compile.js';
import type { EvalEnv } from '../linux/iptables/match-types.js';
import { DECIDING, HOOK_TABLES } from '../linux/iptables/walk.js';
import type { HookName, NetfilterContext, Ruleset, TableName } from '../linux/iptables/types.js';
import type { PacketView } from '../net/packet.js';
import type { Hop, Trace } from '../trace/types.js';
import { packetOf } from './redecide.js';

/** The match kinds whose verdict is a function of the packet's addresses, protocol, ports and out interface alone. */
const PACKET_ONLY: ReadonlySet<string> = new Set(['src', 'dst', 'proto', 'tcp', 'udp', 'iprange', 'comment', 'out']);

/** What the probe reads of a netfilter hop: its node, hook and packets, and the device routing chose before it on its node. */
export interface NetfilterView {
  at: string;
  hook: string;
  packetIn: PacketView;
  packetOut?: PacketView | undefined;
  /** The out interface of the last node-route hop on the same node earlier in the same trip, if any. */
  outIface?: string | undefined;
}

/** The node-netfilter hops of traces, forward trips and replies, each with the out interface routing chose before it. */
export function netfilterViews(traces: readonly Trace[], into: NetfilterView[] = []): NetfilterView[] {
  for (const t of traces) {
    viewsOf(t.forward, into);
    if (t.reply) viewsOf(t.reply, into);
  }
  return into;
}

function viewsOf(trip: readonly Hop[], into: NetfilterView[]): void {
  let routedAt: string | undefined;
  let dev: string | undefined;
  for (const h of trip) {
    if (h.kind === 'node-route') {
      routedAt = h.at;
      dev = h.outIface;
    } else if (h.kind === 'node-netfilter') {
      into.push({ at: h.at, hook: h.hook, packetIn: h.packetIn, packetOut: h.packetOut, outIface: routedAt === h.at ? dev : undefined });
    } else if (h.at !== routedAt) {
      // The packet left the node: a later hop on it is a later pass, routed again.
      routedAt = undefined;
      dev = undefined;
    }
  }
}

/** The inserted rule on one rule set, ready to be asked about recorded hops. */
export interface InsertProbe {
  hook: HookName;
  table: TableName;
  /** Whether the packet at the table's entry is the hop's output (a nat table ran before it in the hook). */
  afterNat: boolean;
  rule: CompiledRule;
  /** Whether the walk would report the rule as a near miss (walk.ts resolve: a verdict, RETURN, NAT or jump target). */
  decides: boolean;
  /** The rule's position in its compiled chain, and the chain when it is indexed by destination. */
  at: number;
  indexed: ReturnType<typeof compiledChain> | undefined;
}

/**
 * The probe of an insert into `chain` of `table`, from the rule set before and
 * after it; undefined when the hops of that hook cannot be vouched for (see
 * the module comment: the pairs are traced again).
 */
export function insertProbe(before: Ruleset, after: Ruleset, table: TableName, chain: string, nft: boolean): InsertProbe | undefined {
  if (nft || !Object.hasOwn(HOOK_TABLES, chain)) return undefined;
  const hook = chain as HookName;
  const old = before.tables.get(table)?.chains.get(chain);
  const now = after.tables.get(table)?.chains.get(chain);
  if (!old || !now || !HOOK_TABLES[hook].includes(table)) return undefined;
  const ccOld = compiledChain(old);
  const cc = compiledChain(now);
  if ((ccOld.index === undefined) !== (cc.index === undefined)) return undefined;
  // The one rule of the new chain that is not one of the old chain's (insertRules renumbers the others: new objects, same text).
  const rules = compiledRules(cc);
  const at = rules.findIndex((r, i) => i >= old.rules.length || r.rule.loc !== old.rules[i]!.loc);
  const rule = rules[at];
  if (!rule || !rule.rule.matches.every((m) => m.unknown === undefined && PACKET_ONLY.has(m.kind))) return undefined;
  const order = HOOK_TABLES[hook];
  const natAt = order.indexOf('nat');
  // A target not of iptables' own is a chain the rule jumps to (insertRules declared it): such a rule decides.
  const t = rule.rule.target;
  const decides = t !== undefined && (!rule.builtinTarget || DECIDING.has(t.name));
  return { hook, table, afterNat: natAt >= 0 && natAt < order.indexOf(table), rule, decides, at, indexed: cc.index ? cc : undefined };
}

/** A stand-in walk state for the closures of these kinds (they read `env.packet`, the hook and `ctx.outIface` alone). */
const envOf = (p: Packet, probe: InsertProbe, outIface: string | undefined): EvalEnv => ({
  packet: p, ctx: { outIface } as NetfilterContext, hook: probe.hook, table: probe.table, mark: 0, connmark: undefined, ct: 'NEW', dnat: undefined, snat: undefined, conn: undefined,
});

const firstFailed = { at: -1 };

/** How many of the rule's matches fail for `p`, by the walk's own checks (inline ones, then closures); -1 when one cannot tell. */
function failures(probe: InsertProbe, p: Packet, outIface: string | undefined): number {
  const c = probe.rule;
  let fails = inlineFails(c, p, true, firstFailed);
  const env = envOf(p, probe, outIface);
  for (const m of c.matches) {
    const r = m.test(env);
    if (r === false) fails++;
    else if (r !== true) return -1; // unknown (an out interface not known) or a probability: never a silent keep
  }
  return fails;
}

/**
 * True when the inserted rule may change this netfilter hop: it is of the
 * probe's hook and the rule may match its packet or be reported as a near
 * miss there, or whether it matches cannot be told (see the module comment).
 */
export function insertMayChange(probe: InsertProbe, h: NetfilterView): boolean {
  if (h.hook !== probe.hook) return false;
  const view = probe.afterNat ? h.packetOut : h.packetIn;
  if (!view) return true;
  const p = packetOf(view);
  const fails = failures(probe, p, h.outIface);
  if (fails <= 0) return true;
  if (fails >= 2 || !probe.decides) return false;
  // One failing match: a near miss if the walk visits the rule; an indexed chain visits only its candidates.
  const cand = probe.indexed && candidates(probe.indexed, p.dst);
  return !cand || cand.includes(probe.at);
}
