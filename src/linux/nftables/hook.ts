/**
 * One netfilter hook with iptables tables and native nftables base chains
 * together, in the kernel's order: every table or base chain is a hook entry
 * sorted by priority (nf_hook_entries). iptables tables sit at their standard
 * priorities (nf_ip_hook_priorities; iptables-nft registers the same):
 * ```
 *  raw -300 | conntrack -200 | mangle -150 | dstnat -100 | filter 0 | srcnat 100 | security 150
 * ```
 * security is at 150, where iptables-nft registers it (iptables nft.c's builtin
 * tables); iptables-legacy's iptable_security uses NF_IP_PRI_SECURITY, 50. A node
 * with a native ruleset is taken to run iptables-nft, stated in a note where an nft
 * chain sits between the two (kernel-checked: test/linux/nftables/kernel-order.test.ts).
 * NAT chains (iptables' nat table and nft `type nat` chains) do not run at their
 * own priority: nf_nat registers one hook per hook point (NF_IP_PRI_NAT_DST -100
 * in PREROUTING and OUTPUT, NF_IP_PRI_NAT_SRC 100 in INPUT and POSTROUTING) and
 * calls the nat chains from there in their priority order, only for a
 * connection's first packet, until one of them sets up NAT (nf_nat_core.c
 * nf_nat_inet_fn). Later packets get conntrack's NAT at that same point.
 * `accept` in one entry hands the packet to the next; drop, reject and unknown end the hook.
 *
 * Guarantees: with no nft base chain at a hook the result is exactly walkHook's;
 * entries of equal priority run iptables first, stated as an assumption in a
 * note (the kernel orders them by registration); IPv4 only: ip and inet tables.
 */
import { samePacket, type Packet } from '../../net/packet.js';
import { conntrackManip, manipAt } from '../conntrack.js';
import type { HookName, HookOutcome, NetfilterContext, Ruleset, TableName, TableOutcome } from '../iptables/types.js';
import { walkHook } from '../iptables/walk.js';
import type { NftChain, NftRuleset, NftTable } from './types.js';
import { walkBaseChain, type NftChainOutcome, type NftEnv } from './walk.js';
import { isIptablesNftTable } from './iptables-nft.js';

const TABLE_PRIORITY: Record<TableName, number> = { raw: -300, mangle: -150, nat: -100, filter: 0, security: 150 };
/** Where iptables-legacy registers the security table (NF_IP_PRI_SECURITY). */
const LEGACY_SECURITY = 50;
const HOOK_ORDER: Record<HookName, TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/** The priority nf_nat runs the nat chains of a hook at. */
export const natPoint = (hook: HookName): number => (hook === 'PREROUTING' || hook === 'OUTPUT' ? -100 : 100);

/** One entry of a hook, as walked. */
export type HookStage =
  | { kind: 'iptables'; priority: number; outcome: TableOutcome }
  | { kind: 'nft'; priority: number; outcome: NftChainOutcome }
  | { kind: 'skipped'; priority: number; what: string; why: string };

/** A hook outcome that also lists every entry walked in order (iptables tables and nft base chains). */
export interface MergedHookOutcome extends HookOutcome {
  stages: HookStage[];
  /** Why the hook ended unknown, naming the construct and its location. */
  unknownReason?: string;
  notes: string[];
}

type Entry =
  | { kind: 'iptables'; table: TableName; order: number; sub: number }
  | { kind: 'nft'; table: NftTable; chain: NftChain; order: number; sub: number };

const NFT_HOOK: Record<HookName, string> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };
const baseCache = new WeakMap<NftRuleset, Map<string, { table: NftTable; chain: NftChain }[]>>();

/** The ip/inet base chains of a hook, any family set aside (found once per ruleset: a ruleset is not changed after parsing). */
export function baseChainsAt(nft: NftRuleset, hook: HookName): { table: NftTable; chain: NftChain }[] {
  let byHook = baseCache.get(nft);
  if (!byHook) {
    byHook = new Map();
    for (const t of nft.tables) {
      if (t.family !== 'ip' && t.family !== 'inet') continue;
      for (const ch of t.chains.values()) if (ch.base) byHook.set(ch.base.hook, [...(byHook.get(ch.base.hook) ?? []), { table: t, chain: ch }]);
    }
    baseCache.set(nft, byHook);
  }
  return byHook.get(NFT_HOOK[hook]) ?? [];
}

/** iptables-nft's own tables whose rules the iptables dump gives (walked from there), named for a note. */
function heldByDump(rs: Ruleset, nft: NftRuleset, hook: HookName): string[] {
  return baseChainsAt(nft, hook).filter(({ table }) => rs.tables.has(table.name as TableName) && isIptablesNftTable(table)).map(({ table, chain }) => `${table.name} ${chain.name}`);
}

function entriesOf(rs: Ruleset, nft: NftRuleset, hook: HookName): Entry[] {
  const nat = natPoint(hook);
  const entries: Entry[] = [];
  const held = new Set(heldByDump(rs, nft, hook).map((x) => x.split(' ')[0]));
  for (const name of HOOK_ORDER[hook]) {
    if (!rs.tables.get(name)?.chains.get(hook)) continue;
    entries.push(name === 'nat' ? { kind: 'iptables', table: name, order: nat, sub: hook === 'PREROUTING' || hook === 'OUTPUT' ? -100 : 100 } : { kind: 'iptables', table: name, order: TABLE_PRIORITY[name], sub: 0 });
  }
  for (const { table, chain } of baseChainsAt(nft, hook)) {
    if (held.has(table.name)) continue;
    const b = chain.base!;
    entries.push(b.type === 'nat' ? { kind: 'nft', table, chain, order: nat, sub: b.priority } : { kind: 'nft', table, chain, order: b.priority, sub: 0 });
  }
  // Stable sort: iptables entries were pushed first, so they come first among equals.
  return entries.sort((a, b) => a.order - b.order || a.sub - b.sub);
}

interface Live {
  packet: Packet;
  mark: number;
  connmark: number | undefined;
  probability: number;
  stages: HookStage[];
  tables: TableOutcome[];
  verdict: HookOutcome['verdict'];
  natDone: boolean;
  unknownReason?: string;
  notes: string[];
}

/** What a hook runs for a pair of rulesets: its entries in order, the stage naming what was set aside, the tie note. */
interface HookPlan {
  entries: Entry[];
  heldStage: HookStage[];
  hasNft: boolean;
  ties: string | undefined;
}

// Plans by nft ruleset, iptables ruleset and hook: both rulesets are not changed after parsing.
const plans = new WeakMap<NftRuleset, WeakMap<Ruleset, Map<HookName, HookPlan>>>();

function planOf(rs: Ruleset, nft: NftRuleset, hook: HookName): HookPlan {
  let byRs = plans.get(nft);
  if (!byRs) plans.set(nft, (byRs = new WeakMap()));
  let byHook = byRs.get(rs);
  if (!byHook) byRs.set(rs, (byHook = new Map()));
  let plan = byHook.get(hook);
  if (!plan) {
    const entries = entriesOf(rs, nft, hook);
    const held = heldByDump(rs, nft, hook);
    const heldStage: HookStage[] = held.length ? [{ kind: 'skipped', priority: -1000, what: `nft ip ${held.join(', ip ')}`, why: 'iptables-nft\'s own chains: walked from the iptables dump, which shows their rules exactly (nft lists them translated)' }] : [];
    plan = { entries, heldStage, hasNft: entries.some((e) => e.kind === 'nft'), ties: [tiesNote(entries), securityNote(entries)].filter((n): n is string => n !== undefined).join('; ') || undefined };
    byHook.set(hook, plan);
  }
  return plan;
}

/** Walks `packet` through the hook's iptables tables and nft base chains in priority order; one outcome per branch. */
export function walkHookWithNft(rs: Ruleset, nft: NftRuleset, hook: HookName, packet: Packet, ctx: NetfilterContext, mark: number): MergedHookOutcome[] {
  const { entries, heldStage, hasNft, ties } = planOf(rs, nft, hook);
  if (!hasNft) {
    return walkHook(rs, hook, packet, ctx, mark).map((o) => ({
      ...o, notes: [], stages: [...heldStage, ...o.tables.map((t) => ({ kind: 'iptables' as const, priority: t.table === 'nat' ? natPoint(hook) : TABLE_PRIORITY[t.table], outcome: t }))],
    }));
  }
  const isNew = ctx.ctState === 'NEW';
  const ctStatus = {
    dnat: ctx.ctStatus?.dnat ?? (isNew && (hook === 'PREROUTING' || hook === 'OUTPUT') ? false : undefined),
    snat: ctx.ctStatus?.snat ?? (isNew ? false : undefined),
  };
  let live: Live[] = [{ packet, mark: mark >>> 0, connmark: ctx.connmark ?? (isNew ? 0 : undefined), probability: 1, stages: heldStage, tables: [], verdict: 'ACCEPT', natDone: false, notes: [] }];
  let conntrackNat: HookOutcome['conntrackNat'];
  let manipDone = false;
  const nat = natPoint(hook);
  for (const e of entries) {
    if (!manipDone && e.order >= nat) {
      manipDone = true;
      conntrackNat = applyConntrackNat(hook, ctx, live) ?? conntrackNat;
    }
    const next: Live[] = [];
    for (const l of live) {
      if (l.verdict !== 'ACCEPT') {
        next.push(l);
        continue;
      }
      const isNatEntry = e.kind === 'iptables' ? e.table === 'nat' : e.chain.base!.type === 'nat';
      const what = e.kind === 'iptables' ? `iptables ${e.table} ${hook}` : `${e.table.family} ${e.table.name} ${e.chain.name}`;
      if (isNatEntry && !isNew) {
        next.push({ ...l, stages: [...l.stages, { kind: 'skipped', priority: e.order, what, why: 'nat chains see only the first packet of a connection; conntrack applies its NAT to the rest' }] });
        continue;
      }
      if (isNatEntry && l.natDone) {
        next.push({ ...l, stages: [...l.stages, { kind: 'skipped', priority: e.order, what, why: 'an earlier nat chain of this hook already set up NAT (nf_nat_inet_fn stops there)' }] });
        continue;
      }
      if (e.kind === 'iptables') {
        const one: Ruleset = { ...rs, tables: new Map([[e.table, rs.tables.get(e.table)!]]) };
        // conntrack's own NAT for later packets is applied here, at nat priority, not by walkHook; the
        // connection stays in the context for the matches that read it (`-m icmp`, `-m conntrack --ctdir`...).
        const c: NetfilterContext = { ...ctx, ctStatus, ...(l.connmark !== undefined ? { connmark: l.connmark } : {}) };
        for (const o of walkHook(one, hook, l.packet, c, l.mark, { conntrackNat: false })) {
          const t = o.tables[0];
          if (!t) {
            next.push(l);
            continue;
          }
          const lv: Live = {
            ...l, packet: o.packet, mark: o.mark, connmark: o.connmark ?? l.connmark, probability: l.probability * o.probability,
            stages: [...l.stages, { kind: 'iptables', priority: e.order, outcome: t }], tables: [...l.tables, t], verdict: o.verdict,
            natDone: l.natDone || t.nat !== undefined,
          };
          if (o.verdict === 'unknown' && t.unknown) lv.unknownReason = `iptables ${t.table} ${t.chain}: ${t.unknown.construct} (${t.unknown.rule.loc.file}:${t.unknown.rule.loc.line})`;
          next.push(lv);
        }
      } else {
        const env: NftEnv = { hook, isLocal: ctx.isLocal, ifaceAddress: ctx.ifaceAddress, ctState: ctx.ctState === 'RELATED' ? 'RELATED' : isNew ? 'NEW' : 'ESTABLISHED', ctStatus, priority: e.chain.base!.priority };
        if (ctx.fallbackSource) env.fallbackSource = ctx.fallbackSource;
        if (ctx.inIface !== undefined) env.inIface = ctx.inIface;
        if (ctx.outIface !== undefined) env.outIface = ctx.outIface;
        for (const o of walkBaseChain(e.table, e.chain, l.packet, env, l.mark, l.connmark)) {
          const lv: Live = {
            ...l, packet: o.packet, mark: o.mark, connmark: o.connmark ?? l.connmark, probability: l.probability * o.probability,
            stages: [...l.stages, { kind: 'nft', priority: e.chain.base!.priority, outcome: o }],
            verdict: o.verdict === 'accept' ? 'ACCEPT' : o.verdict === 'drop' ? 'DROP' : o.verdict === 'reject' ? 'REJECT' : 'unknown',
            natDone: l.natDone || o.nat !== undefined, notes: [...l.notes, ...o.notes],
          };
          if (o.verdict === 'unknown') lv.unknownReason = `nft ${e.table.family} ${e.table.name} ${e.chain.name}: ${o.unknown} (${o.ref})`;
          next.push(lv);
        }
      }
    }
    live = next;
  }
  if (!manipDone) conntrackNat = applyConntrackNat(hook, ctx, live) ?? conntrackNat;
  return live.map((l) => {
    const h: MergedHookOutcome = { hook, tables: l.tables, verdict: l.verdict, packet: l.packet, mark: l.mark, probability: l.probability, stages: l.stages, notes: ties ? [...l.notes, ties] : l.notes };
    if (l.connmark !== undefined) h.connmark = l.connmark;
    if (conntrackNat) h.conntrackNat = conntrackNat;
    if (l.unknownReason) h.unknownReason = l.unknownReason;
    return h;
  });
}

/** The iptables-nft assumption, when an nft chain runs between legacy's and iptables-nft's security priority. */
function securityNote(entries: Entry[]): string | undefined {
  if (!entries.some((e) => e.kind === 'iptables' && e.table === 'security')) return undefined;
  const between = entries.find((e) => e.kind === 'nft' && e.chain.base!.type !== 'nat' && e.order >= LEGACY_SECURITY && e.order < TABLE_PRIORITY.security);
  if (!between || between.kind !== 'nft') return undefined;
  return `assumed: iptables-nft, whose security table runs at priority ${TABLE_PRIORITY.security}, after ${between.table.family} ${between.table.name} ${between.chain.name} (${between.order}); with iptables-legacy it runs at ${LEGACY_SECURITY}, before it`;
}

function tiesNote(entries: Entry[]): string | undefined {
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!;
    const b = entries[i]!;
    if (a.order === b.order && a.sub === b.sub && a.kind !== b.kind) return `assumed: entries of equal priority ${a.order} run iptables first (the kernel orders them by registration)`;
  }
  return undefined;
}

/** Conntrack's NAT for a later packet of a tracked connection, at the nat point of the hook. */
function applyConntrackNat(hook: HookName, ctx: NetfilterContext, live: Live[]): HookOutcome['conntrackNat'] {
  const manip = manipAt(hook);
  if (!manip || ctx.ctState !== 'ESTABLISHED' || !ctx.conn) return undefined;
  let done: HookOutcome['conntrackNat'];
  for (const l of live) {
    if (l.verdict !== 'ACCEPT') continue;
    const after = conntrackManip(ctx.conn, manip, l.packet);
    if (samePacket(l.packet, after)) continue;
    done = { manip, before: l.packet, after };
    l.packet = after;
  }
  return done;
}
