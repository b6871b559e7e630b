/**
 * Reads profile settings from the cluster objects that hold them: the
 * ip-masq-agent ConfigMap's `config` (YAML or JSON) and the aws-node
 * container env. Pure: takes the objects' data, returns settings + problems.
 */
import { parse as parseYaml } from 'yaml';
import { isValidCidr } from '../../net/prefix.js';

/** ip-masq-agent settings, or the reason they cannot be read. */
export function parseIpMasqAgentConfig(text: string): { value?: { nonMasqueradeCIDRs?: string[]; masqLinkLocal?: boolean }; problem?: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return { problem: `config is neither YAML nor JSON: ${(e as Error).message.split('\n')[0]}` };
  }
  if (typeof doc !== 'object' || doc === null) return { problem: 'config is not a mapping' };
  const d = doc as Record<string, unknown>;
  const cidrs = d.nonMasqueradeCIDRs;
  if (cidrs !== undefined && (!Array.isArray(cidrs) || !cidrs.every((x) => typeof x === 'string' && isValidCidr(x)))) {
    // ip-masq-agent itself rejects the whole config on a bad CIDR and keeps the last good one.
    return { problem: 'nonMasqueradeCIDRs must be a list of aligned IPv4 CIDR blocks' };
  }
  const masq = d.masqLinkLocal;
  if (masq !== undefined && typeof masq !== 'boolean') return { problem: 'masqLinkLocal must be true or false' };
  return { value: { ...(cidrs ? { nonMasqueradeCIDRs: cidrs as string[] } : {}), ...(masq !== undefined ? { masqLinkLocal: masq } : {}) } };
}

/** AWS VPC CNI SNAT settings from the aws-node container's env. */
export function awsVpcCniFromEnv(env: { name: string; value?: string }[]): { externalSnat: boolean; excludeSnatCidrs: string[] } {
  const get = (n: string) => env.find((e) => e.name === n)?.value;
  const excluded = (get('AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { externalSnat: (get('AWS_VPC_K8S_CNI_EXTERNALSNAT') ?? 'false').toLowerCase() === 'true', excludeSnatCidrs: excluded };
}
