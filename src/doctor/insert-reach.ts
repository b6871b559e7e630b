/**
 * Whether an inserted iptables rule can change a recorded netfilter hop
 * (incremental.ts narrows an iptables insert with it).
 *
 * A hop stays exactly what it was when the inserted rule provably does not
 * match the packet the walk shows it, and cannot be reported as a near miss:
 * - the rule reads only the packet's addresses, protocol and tcp/udp ports
 *   (`-s`, `-d`, `-p`, `-m tcp/udp` ports, `-m comment`), so whether it
 *   matches is a function of the packet alone; any other match (interfaces,
 *   which the hop does not record, conntrack, marks, sets, addrtype, unknowns)
 *   gives no probe and the pair is traced again;
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
import { compiledChain, candidates, inlineFails, type CompiledRule } from '../linux/iptables/compile.js';
import type { EvalEnv } from '../linux/iptables/match-types.js';
import { DECIDING, HOOK_TABLES } from '../linux/iptables/walk.js';
import type { HookName, NetfilterContext, Ruleset, TableName } from '../linux/iptables/types.js';
import type { Hop } from '../trace/types.js';
import { packetOf } from './redecide.js';

/** The match kinds whose verdict is a function of the packet's addresses, protocol and ports alone. */
const PACKET_ONLY: ReadonlySet<string> = new Set(['src', 'dst', 'proto', 'tcp', 'udp', 'comment']);

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
  const at = cc.rules.findIndex((r, i) => i >= old.rules.length || r.rule.loc !== old.rules[i]!.loc);
  const rule = cc.rules[at];
  if (!rule || !rule.rule.matches.every((m) => m.unknown === undefined && PACKET_ONLY.has(m.kind))) return undefined;
  const order = HOOK_TABLES[hook];
  const natAt = order.indexOf('nat');
  // A target not of iptables' own is a chain the rule jumps to (insertRules declared it): such a rule decides.
  const t = rule.rule.target;
  const decides = t !== undefined && (!rule.builtinTarget || DECIDING.has(t.name));
  return { hook, table, afterNat: natAt >= 0 && natAt < order.indexOf(table), rule, decides, at, indexed: cc.index ? cc : undefined };
}

/** A stand-in walk state for the packet-only closures (they read `env.packet` alone). */
const envOf = (p: Packet, probe: InsertProbe): EvalEnv => ({
  packet: p, ctx: {} as NetfilterContext, hook: probe.hook, table: probe.table, mark: 0, connmark: undefined, ct: 'NEW', dnat: undefined, snat: undefined, conn: undefined,
});

const firstFailed = { at: -1 };

/** How many of the rule's matches fail for `p`, by the walk's own checks (inline ones, then closures). */
function failures(probe: InsertProbe, p: Packet): number {
  const c = probe.rule;
  let fails = inlineFails(c, p, true, firstFailed);
  for (const m of c.matches) {
    const r = m.test(envOf(p, probe));
    if (r !== true) fails++; // false, or anything else (not expected of these kinds): counted as failing, so never a silent keep below
    if (r !== true && r !== false) return 1;
  }
  return fails;
}

/**
 * True when the inserted rule may change this hop record: it is a netfilter
 * hop of the probe's hook and the rule may match its packet or be reported as
 * a near miss there (see the module comment).
 */
export function insertMayChange(probe: InsertProbe, h: Hop): boolean {
  if (h.kind !== 'node-netfilter' || h.hook !== probe.hook) return false;
  const view = probe.afterNat ? h.packetOut : h.packetIn;
  if (!view) return true;
  const p = packetOf(view);
  const fails = failures(probe, p);
  if (fails === 0) return true;
  if (fails >= 2 || !probe.decides) return false;
  // One failing match: a near miss if the walk visits the rule; an indexed chain visits only its candidates.
  const cand = probe.indexed && candidates(probe.indexed, p.dst);
  return !cand || cand.includes(probe.at);
}
