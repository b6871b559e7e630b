/**
 * The nat rules the podpath agent keeps on a node, as iptables-save lines.
 *
 * POSTROUTING gets one jump to the agent's chain for non-local destinations
 * (one per pod CIDR when the config scopes sources), appended as ip-masq-agent
 * appends its own. The chain, in order:
 * ```
 *   -d <masqueradeCIDR> -j MASQUERADE      podpath include-list (decides first)
 *   -d 169.254.0.0/16   -j RETURN          unless masqLinkLocal
 *   -d <nonMasqueradeCIDR> -j RETURN       each
 *   -j MASQUERADE                          everything else (last)
 * ```
 * Each MASQUERADE is written as ip-masq-agent writes it: with --to-ports, one
 * rule per protocol (tcp, udp, sctp) and interval, split by `-m statistic`
 * in proportion to the interval sizes, then the plain rule for other
 * protocols; `--random-fully` when enabled. Every rule carries a comment.
 *
 * Guarantees: pure; the same spec gives the same lines; every line parses
 * with parseIptablesSave.
 */
import type { AgentConfig, AgentFlags, PortInterval } from './config.js';

/** What the rules are built from: the config, the flags, and any discovered routed CIDRs. */
export interface AgentSpec {
  config: AgentConfig;
  flags: AgentFlags;
  /** Destinations found routed to a peering or transit gateway (discoverRoutedCIDRs). @default [] */
  discovered?: string[];
}

const LINK_LOCAL = '169.254.0.0/16';
const TO_PORTS_PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

const comment = (text: string) => `-m comment --comment "podpath-agent: ${text}"`;

/** The comment every jump rule carries (it names the chain, as ip-masq-agent's does). */
export function jumpComment(chain: string): string {
  return `ensure nat POSTROUTING directs all non-LOCAL destination traffic to our ${chain} chain`;
}

/** The jump rules in POSTROUTING, as `-A POSTROUTING ...` lines. */
export function desiredJumps(spec: AgentSpec): string[] {
  const chain = spec.flags.masqChain;
  const tail = `${comment(jumpComment(chain))} -m addrtype ! --dst-type LOCAL -j ${chain}`;
  if (spec.config.podCIDRs.length === 0) return [`-A POSTROUTING ${tail}`];
  return [...new Set(spec.config.podCIDRs)].map((p) => `-A POSTROUTING -s ${p} ${tail}`);
}

/** The destinations masqueraded first: the include-list plus discovered ones, without repeats. */
export function includeList(spec: AgentSpec): string[] {
  return [...new Set([...spec.config.masqueradeCIDRs, ...(spec.discovered ?? [])])];
}

/** The agent chain's rules, as `-A CHAIN ...` lines, in order. */
export function desiredChain(spec: AgentSpec): string[] {
  const { config, flags } = spec;
  const chain = flags.masqChain;
  const lines: string[] = [];
  for (const cidr of includeList(spec)) {
    lines.push(...masqueradeRules(chain, `-d ${cidr} `, comment(`${cidr} is always masqueraded (include-list)`), flags));
  }
  const ret = comment('local traffic is not subject to MASQUERADE');
  if (!config.masqLinkLocal) lines.push(`-A ${chain} -d ${LINK_LOCAL} ${ret} -j RETURN`);
  for (const cidr of config.nonMasqueradeCIDRs) lines.push(`-A ${chain} -d ${cidr} ${ret} -j RETURN`);
  lines.push(...masqueradeRules(chain, '', comment('outbound traffic is subject to MASQUERADE (must be last in chain)'), flags));
  return lines;
}

function masqueradeRules(chain: string, dst: string, note: string, flags: AgentFlags): string[] {
  const random = flags.randomFully ? ' --random-fully' : '';
  const lines: string[] = [];
  const total = flags.toPorts.reduce((n, i) => n + size(i), 0);
  for (const proto of flags.toPorts.length ? TO_PORTS_PROTOCOLS : []) {
    let left = total;
    for (const i of flags.toPorts) {
      const s = size(i);
      // The interval's share of what is left, so each port is equally likely (as ip-masq-agent splits them).
      const stat = s === left ? '' : ` -m statistic --mode random --probability ${s / left}`;
      left -= s;
      lines.push(`-A ${chain} ${dst}-p ${proto} ${note}${stat} -j MASQUERADE --to-ports ${i.first === i.last ? i.first : `${i.first}-${i.last}`}${random}`);
    }
  }
  lines.push(`-A ${chain} ${dst}${note} -j MASQUERADE${random}`);
  return lines;
}

const size = (i: PortInterval) => i.last - i.first + 1;
