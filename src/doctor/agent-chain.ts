/**
 * PP115: a node runs a masquerade agent (podpath's agent or ip-masq-agent:
 * its chain is jumped to from nat POSTROUTING) but an earlier rule decides
 * masquerade first (the seed's `! -d 10.0.0.0/8 -j MASQUERADE`, a stale CNI
 * chain), so the agent's config does not hold for the traffic that rule
 * catches. Read from the dumps by the agent's own conflict check.
 */
import { agentConflicts } from '../k8s/masq-agent/index.js';
import type { World } from '../trace/world.js';
import type { Detection } from './classify.js';

/** The chains masquerade agents own: podpath's and ip-masq-agent's. */
const AGENT_CHAINS = ['PODPATH-MASQ-AGENT', 'IP-MASQ-AGENT'];

/** PP115 detections, one per node rule set and shadowing rule. */
export function agentChainFindings(w: World): Detection[] {
  const out = new Map<string, Detection>();
  const seen = new Set<object>();
  for (const n of w.nodes.values()) {
    const rs = n.ruleset;
    if (seen.has(rs)) continue;
    seen.add(rs);
    const post = rs.tables.get('nat')?.chains.get('POSTROUTING');
    const chain = AGENT_CHAINS.find((c) => post?.rules.some((r) => r.target?.name === c));
    if (!chain) continue;
    const pods = [w.estate.cluster?.podCidr, n.node.podCidr].filter((c): c is string => c !== undefined);
    for (const c of agentConflicts(rs, chain, pods).filter((x) => x.position === 'before')) {
      const key = `PP115|${c.rule.file}:${c.rule.line}`;
      if (out.has(key)) continue;
      out.set(key, {
        id: 'PP115', key, title: `\`${c.rule.text}\` decides masquerade before ${chain} on ${n.node.name}`,
        message: `${c.message} The agent's config does not hold for the traffic this rule catches; remove the rule (it predates the agent) or let the agent own the masquerade policy.`,
        location: { file: c.rule.file, line: c.rule.line }, facts: { nodes: [n.node.name] },
      });
    }
  }
  return [...out.values()];
}
