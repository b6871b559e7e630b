/**
 * One entry point for nft rulesets: JSON (`nft -j list ruleset`, detected by
 * its leading `{`) or text (`nft list ruleset` or an `nft -f` file).
 */
import { parseNftJson } from './parse-json.js';
import { parseNftText } from './parse-text.js';
import type { NftRuleset } from './types.js';

// The last few rulesets parsed, by file and text: nodes that share one ruleset (derived kube-proxy rules, one
// dump for a node class) share one parse. A ruleset is not changed after parsing.
const recent: { text: string; file: string; rs: NftRuleset }[] = [];

/** Parses nft output of either kind. Throws PP_PARSE with file:line on bad input. */
export function parseNftAny(text: string, file: string): NftRuleset {
  const hit = recent.find((r) => r.file === file && r.text === text);
  if (hit) return hit.rs;
  const rs = /^\s*\{/.test(text) ? parseNftJson(text, file) : parseNftText(text, file);
  recent.unshift({ text, file, rs });
  if (recent.length > 4) recent.pop();
  return rs;
}

/** Tables of families an IPv4 trace does not pass (ip6, arp, bridge, netdev): read, set aside. */
export function setAsideTables(rs: NftRuleset): string[] {
  return rs.tables.filter((t) => t.family !== 'ip' && t.family !== 'inet').map((t) => `${t.family} ${t.name}`);
}
