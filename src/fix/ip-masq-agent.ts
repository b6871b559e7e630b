/**
 * ip-masq-agent configuration (kubernetes-sigs/ip-masq-agent): its ConfigMap
 * and the netfilter rules it keeps on every node. The agent appends one jump
 * to nat POSTROUTING for non-local destinations (`-m addrtype ! --dst-type
 * LOCAL -j IP-MASQ-AGENT`); its chain RETURNs for each nonMasqueradeCIDR (and
 * 169.254.0.0/16 unless masqLinkLocal) and MASQUERADEs the rest.
 *
 * Equivalence used on model copies: a rule set may only gain rules in existing
 * chains, so the chain is inlined at the end of POSTROUTING. RETURN in a
 * built-in chain ends it with its policy (ACCEPT in nat), which is what the
 * agent's chain returning to the end of POSTROUTING amounts to, because the
 * agent's jump is the chain's last rule.
 */
import { parseCidr } from '../net/prefix.js';

/** The agent's configuration, with its field names. */
export interface IpMasqAgentConfig {
  nonMasqueradeCIDRs: string[];
  /** @default false: link-local (169.254.0.0/16) is not masqueraded */
  masqLinkLocal: boolean;
  /** @default 60s */
  resyncInterval: string;
}

/** The label inlined rules carry in traces. */
export const AGENT_LABEL = 'ip-masq-agent (fix)';

/** Config for "masquerade everything but pod-to-pod and the node VPC". Throws PP_BAD_CIDR on a non-aligned CIDR, as the agent rejects them. */
export function agentConfig(keep: string[]): IpMasqAgentConfig {
  const cidrs = [...new Set(keep)];
  for (const c of cidrs) parseCidr(c, { nonAligned: 'reject' });
  return { nonMasqueradeCIDRs: cidrs, masqLinkLocal: false, resyncInterval: '60s' };
}

/** The ConfigMap to apply (`kubectl apply -f`): the agent reads the `config` key in kube-system. */
export function configMapYaml(c: IpMasqAgentConfig): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: ip-masq-agent',
    '  namespace: kube-system',
    'data:',
    '  config: |',
    '    nonMasqueradeCIDRs:',
    ...c.nonMasqueradeCIDRs.map((x) => `      - ${x}`),
    `    masqLinkLocal: ${c.masqLinkLocal}`,
    `    resyncInterval: ${c.resyncInterval}`,
    '',
  ].join('\n');
}

/** The agent's rules inlined at the end of nat POSTROUTING, in order. */
export function agentRules(c: IpMasqAgentConfig): string[] {
  const nonLocal = '-m addrtype ! --dst-type LOCAL';
  const exempt = [...(c.masqLinkLocal ? [] : ['169.254.0.0/16']), ...c.nonMasqueradeCIDRs];
  return [...exempt.map((x) => `${nonLocal} -d ${x} -j RETURN`), `${nonLocal} -j MASQUERADE`];
}

/** The agent's own chain as iptables-restore input (what it writes on a node). */
export function agentRestore(c: IpMasqAgentConfig): string {
  const exempt = [...(c.masqLinkLocal ? [] : ['169.254.0.0/16']), ...c.nonMasqueradeCIDRs];
  return [
    '*nat',
    ':IP-MASQ-AGENT - [0:0]',
    ...exempt.map((x) => `-A IP-MASQ-AGENT -d ${x} -m comment --comment "ip-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN`),
    '-A IP-MASQ-AGENT -m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE',
    '-A POSTROUTING -m comment --comment "ip-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom IP-MASQ-AGENT chain" -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT',
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * The podpath agent's ConfigMap (docs/agent.md) for the same policy, plus the
 * routed blocks as `masqueradeCIDRs` (always translated, decided before the
 * non-masquerade list) and the pod CIDR as `podCIDRs` (only pod traffic).
 */
export function podpathAgentConfigMap(c: IpMasqAgentConfig, masquerade: readonly string[], podCidr?: string): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: podpath-agent',
    '  namespace: kube-system',
    'data:',
    '  config: |',
    '    nonMasqueradeCIDRs:',
    ...c.nonMasqueradeCIDRs.map((x) => `      - ${x}`),
    ...(masquerade.length ? ['    masqueradeCIDRs:', ...masquerade.map((x) => `      - ${x}`)] : []),
    ...(podCidr ? ['    podCIDRs:', `      - ${podCidr}`] : []),
    `    masqLinkLocal: ${c.masqLinkLocal}`,
    `    resyncInterval: ${c.resyncInterval}`,
    '',
  ].join('\n');
}
