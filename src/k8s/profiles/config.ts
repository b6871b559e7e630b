/**
 * Reads profile settings from the cluster objects that hold them: the
 * ip-masq-agent ConfigMap's `config` (YAML or JSON) and the aws-node
 * container env. Pure: takes the objects' data, returns settings + problems.
 */
import { parse as parseYaml } from 'yaml';
import { isValidCidr, maskOf } from '../../net/prefix.js';
import { formatIpv4, isValidIpv4, parseIpv4 } from '../../net/ipv4.js';

/** ip-masq-agent settings, or the reason they cannot be read. */
export function parseIpMasqAgentConfig(text: string, podpathKeys = false): { value?: { nonMasqueradeCIDRs?: string[]; masqLinkLocal?: boolean; masqueradeCIDRs?: string[]; podCIDRs?: string[] }; problem?: string } {
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
  // The podpath agent's own keys (ip-masq-agent ignores them).
  const extra: { masqueradeCIDRs?: string[]; podCIDRs?: string[] } = {};
  for (const key of podpathKeys ? (['masqueradeCIDRs', 'podCIDRs'] as const) : []) {
    const v = d[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && isValidCidr(x) && x.includes('/'))) return { problem: `${key} must be a list of aligned IPv4 CIDR blocks` };
    extra[key] = v as string[];
  }
  return { value: { ...(cidrs ? { nonMasqueradeCIDRs: cidrs as string[] } : {}), ...(masq !== undefined ? { masqLinkLocal: masq } : {}), ...extra } };
}

/** How the VPC CNI's SNAT rule picks source ports (AWS_VPC_K8S_CNI_RANDOMIZESNAT). */
export type RandomizeSnat = 'prng' | 'hashrandom' | 'none';

/** The aws-node env settings that shape a node's SNAT and connmark rules. */
export interface AwsVpcCniSettings {
  /** AWS_VPC_K8S_CNI_EXTERNALSNAT. @default false */
  externalSnat: boolean;
  /** AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS, as aws-node keeps them (masked, IPv4 only). @default [] */
  excludeSnatCidrs: string[];
  /** AWS_VPC_K8S_CNI_RANDOMIZESNAT. @default prng (`--random-fully`) */
  randomizeSnat: RandomizeSnat;
  /** Values aws-node would reject (it logs an error and uses the default), one sentence each. */
  problems: string[];
}

/** strconv.ParseBool's accepted spellings (Go standard library, strconv/atob.go). */
const GO_BOOL: Readonly<Record<string, boolean>> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

const RANDOMIZE: ReadonlySet<string> = new Set<RandomizeSnat>(['prng', 'hashrandom', 'none']);

/**
 * AWS VPC CNI SNAT settings from the aws-node container's env, read as aws-node
 * reads them (amazon-vpc-cni-k8s pkg/networkutils/network.go: getBoolEnvVar,
 * typeOfSNAT, parseCIDRString):
 * - EXTERNALSNAT is a Go bool (strconv.ParseBool); unset or empty is false; any
 *   other spelling makes aws-node log an error and keep the default false;
 * - RANDOMIZESNAT is `prng` (the default, `--random-fully`), `hashrandom`
 *   (`--random`) or `none`; anything else is logged and read as prng;
 * - EXCLUDE_SNAT_CIDRS is split on commas, each entry trimmed and read as a
 *   CIDR (host bits masked); invalid and IPv6 entries are logged and skipped.
 * What aws-node would log is returned in `problems`, never dropped silently.
 */
export function awsVpcCniFromEnv(env: { name: string; value?: string }[]): AwsVpcCniSettings {
  const get = (n: string) => env.find((e) => e.name === n)?.value ?? '';
  const problems: string[] = [];
  const ext = get('AWS_VPC_K8S_CNI_EXTERNALSNAT');
  let externalSnat = false;
  if (ext !== '') {
    const b = GO_BOOL[ext];
    if (b === undefined) problems.push(`AWS_VPC_K8S_CNI_EXTERNALSNAT=${JSON.stringify(ext)} is not a Go bool (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False): aws-node logs an error and uses false`);
    else externalSnat = b;
  }
  const rnd = get('AWS_VPC_K8S_CNI_RANDOMIZESNAT');
  let randomizeSnat: RandomizeSnat = 'prng';
  if (rnd !== '') {
    if (RANDOMIZE.has(rnd)) randomizeSnat = rnd as RandomizeSnat;
    else problems.push(`AWS_VPC_K8S_CNI_RANDOMIZESNAT=${JSON.stringify(rnd)} is not prng, hashrandom or none: aws-node logs an error and uses prng (--random-fully)`);
  }
  const excludeSnatCidrs: string[] = [];
  const excl = get('AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS');
  if (excl !== '') {
    for (const raw of excl.split(',')) {
      const entry = raw.trim();
      const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(entry);
      if (m && isValidIpv4(m[1]!) && Number(m[2]) <= 32) {
        const len = Number(m[2]);
        excludeSnatCidrs.push(`${formatIpv4((parseIpv4(m[1]!) & maskOf(len)) >>> 0)}/${len}`);
      } else if (entry.includes(':')) {
        problems.push(`AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS entry ${JSON.stringify(entry)} is IPv6: aws-node skips it`);
      } else {
        problems.push(`AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS entry ${JSON.stringify(entry)} is not a CIDR: aws-node logs an error and skips it`);
      }
    }
  }
  return { externalSnat, excludeSnatCidrs, randomizeSnat, problems };
}
