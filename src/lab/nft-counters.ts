/**
 * Counters of the native nftables rules a lab node loaded, for the evidence
 * of a disagreement: nft 1.0.6 cannot zero a rule's inline counter (no `nft
 * reset rules`), so the counters are read before and after the flow's
 * re-run and the rules whose packet count rose are reported. iptables-nft's
 * own tables (`ip filter`, `ip nat`...) are left to `iptables-save -c`.
 */
import type { LabState } from './plan-types.js';
import { inNs, run } from './run.js';

const IPTABLES_TABLES = /^ip (filter|nat|mangle|raw|security)$/;

/** Per namespace with a native ruleset: `family table chain #handle` -> [packets, rule text]. */
export type NftCounters = Map<string, Map<string, [number, string]>>;

/** Reads `nft -a list ruleset` in every namespace that loaded a native ruleset. */
export async function readNftCounters(state: LabState): Promise<NftCounters> {
  const out: NftCounters = new Map();
  for (const n of state.plan.namespaces) {
    if (!n.nft) continue;
    const r = await run(inNs(n.ns, ['nft', '-a', 'list', 'ruleset']), { allowFail: true });
    out.set(n.ns, parseCounters(r.stdout));
  }
  return out;
}

/** Counted rules of a listing (`nft -a list ruleset`), outside iptables-nft's tables. */
export function parseCounters(listing: string): Map<string, [number, string]> {
  const rules = new Map<string, [number, string]>();
  let table = '';
  let chain = '';
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+ \S+) \{/.exec(line);
    if (t) table = t[1]!;
    const c = /^chain (\S+) \{/.exec(line);
    if (c) chain = c[1]!;
    const m = /counter packets (\d+) bytes \d+/.exec(line);
    const h = /# handle (\d+)$/.exec(line);
    if (!m || !h || IPTABLES_TABLES.test(table)) continue;
    rules.set(`${table} ${chain} #${h[1]}`, [Number(m[1]), line.replace(/\s*# handle \d+$/, '')]);
  }
  return rules;
}

/** Evidence lines: per namespace, the native rules whose packet count rose between two readings. */
export function counterRises(before: NftCounters, after: NftCounters): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [ns, rules] of after) {
    const was = before.get(ns);
    const lines = [...rules].filter(([k, [n]]) => n > (was?.get(k)?.[0] ?? 0)).map(([k, [n, text]]) => `nft ${k}: +${n - (was?.get(k)?.[0] ?? 0)} packets: ${text}`);
    if (lines.length) out.set(ns, lines);
  }
  return out;
}
