/**
 * Rules in nat POSTROUTING, other than the agent's, that decide a pod
 * packet's source NAT instead of the agent:
 * - before the agent's jump (or, when it is not installed, anywhere: the jump
 *   is appended), a MASQUERADE/SNAT, or an ACCEPT/RETURN that ends
 *   POSTROUTING, decides first; so does a jump to another chain (a stale CNI
 *   or ip-masq-agent chain) holding one;
 * - after the jump, a MASQUERADE/SNAT still decides for the packets the
 *   agent's chain RETURNs (its non-masquerade destinations).
 * Not conflicts: rules that only act on marked packets (a `-m mark` match, or
 * after a `-m mark ... -j RETURN` in their chain: kube-proxy's
 * KUBE-POSTROUTING masquerades only what KUBE-MARK-MASQ marked), and rules
 * whose plain `-s` source lies outside every pod CIDR when pod CIDRs are given.
 *
 * The check is structural (which rules can decide), not per packet: a rule
 * listed may decide for none of the pods' real destinations; its text says
 * what it matches.
 *
 * Guarantees: pure; never throws; chains are followed at most 16 deep and
 * each once per path.
 */
import type { Chain, Rule, Ruleset } from '../../linux/iptables/types.js';
import { overlaps, parseCidr, type Prefix } from '../../net/prefix.js';
import { DEFAULT_CHAIN } from './config.js';

/** One rule that decides before (or after) the agent. */
export interface AgentConflict {
  /** `before`: decides ahead of the agent's jump; `after`: decides for what the agent RETURNs. */
  position: 'before' | 'after';
  /** What the deciding rule does. */
  action: 'masquerade' | 'snat' | 'accept';
  /** The POSTROUTING rule where it starts (the jump, when the decision is in another chain). */
  rule: { file: string; line: number; text: string };
  /** The deciding rule inside another chain, when reached through `rule`'s jump. */
  via?: { chain: string; file: string; line: number; text: string };
  /** One sentence for people. */
  message: string;
}

const NAT = new Set(['MASQUERADE', 'SNAT']);
const MAX_DEPTH = 16;

/**
 * The conflicts in a node's nat table for the agent owning `chain`. `podCIDRs`
 * (optional) leaves out rules that match only other sources.
 */
export function agentConflicts(nat: Ruleset, chain: string = DEFAULT_CHAIN, podCIDRs: readonly string[] = []): AgentConflict[] {
  const table = nat.tables.get('nat');
  const post = table?.chains.get('POSTROUTING');
  if (!table || !post) return [];
  const pods = podCIDRs.flatMap((c) => { try { return [parseCidr(c)]; } catch { return []; } });
  const firstJump = post.rules.findIndex((r) => r.target?.name === chain);
  const out: AgentConflict[] = [];
  for (const [i, r] of post.rules.entries()) {
    if (r.target?.name === chain) continue;
    const position = firstJump < 0 || i < firstJump ? 'before' : 'after';
    if (markGated(r) || sourceOutside(r, pods)) continue;
    const t = r.target;
    if (!t) continue;
    const loc = { file: r.loc.file, line: r.loc.line, text: r.text };
    if (NAT.has(t.name)) {
      out.push({ position, action: t.name === 'SNAT' ? 'snat' : 'masquerade', rule: loc, message: sentence(position, t.name, r.text) });
    } else if ((t.name === 'ACCEPT' || t.name === 'RETURN') && position === 'before') {
      out.push({ position, action: 'accept', rule: loc, message: `\`${r.text}\` ends nat POSTROUTING before the agent's jump: the packets it matches are never masqueraded by the agent` });
    } else if (table.chains.has(t.name)) {
      for (const d of decidersIn(table.chains, t.name, pods, 1, new Set([chain, 'POSTROUTING']))) {
        if (d.target!.name === 'ACCEPT' && position === 'after') continue;
        const action = d.target!.name === 'SNAT' ? 'snat' : d.target!.name === 'MASQUERADE' ? 'masquerade' : 'accept';
        out.push({
          position, action, rule: loc, via: { chain: d.chain, file: d.loc.file, line: d.loc.line, text: d.text },
          message: `${sentence(position, d.target!.name, r.text)}, through chain ${t.name} (\`${d.text}\`)`,
        });
      }
    }
  }
  return out;
}

function sentence(position: 'before' | 'after', target: string, text: string): string {
  return position === 'before'
    ? `\`${text}\` decides ${target} before the agent's jump in nat POSTROUTING`
    : `\`${text}\` comes after the agent's jump: it still ${target === 'SNAT' ? 'SNATs' : 'masquerades'} what the agent's chain leaves alone (its non-masquerade destinations)`;
}

/** Rules in `name` (and chains it jumps to) that masquerade, SNAT or ACCEPT for unmarked packets. */
function decidersIn(chains: Map<string, Chain>, name: string, pods: Prefix[], depth: number, seen: Set<string>): Rule[] {
  const c = chains.get(name);
  if (!c || depth > MAX_DEPTH || seen.has(name)) return [];
  const path = new Set([...seen, name]);
  const out: Rule[] = [];
  for (const r of c.rules) {
    const t = r.target?.name;
    // `-m mark ! --mark M -j RETURN`: what follows acts only on marked packets.
    if (t === 'RETURN' && r.matches.some((m) => (m.kind === 'mark' || m.kind === 'connmark') && m.negated)) break;
    if (markGated(r) || sourceOutside(r, pods) || !t) continue;
    if (NAT.has(t) || t === 'ACCEPT') out.push(r);
    else if (chains.has(t)) out.push(...decidersIn(chains, t, pods, depth + 1, path));
  }
  return out;
}

function markGated(r: Rule): boolean {
  return r.matches.some((m) => (m.kind === 'mark' || m.kind === 'connmark') && !m.negated);
}

function sourceOutside(r: Rule, pods: Prefix[]): boolean {
  if (pods.length === 0) return false;
  const src = r.matches.find((m) => m.kind === 'src' && !m.negated);
  const p = src?.args['prefix'] as Prefix | undefined;
  return p !== undefined && !pods.some((q) => overlaps(p, q));
}
