/**
 * `podpath.yaml` at the root of a snapshot folder: the few facts no native
 * output carries. All keys optional:
 *   cluster: {name?, podCidr?, serviceCidr?, dnsServiceIp?}
 *   rds: {DB_IDENTIFIER: ADDRESS}        # when describe-network-interfaces lacks the RDS ENI
 *   cni: {kind: kubelet-bridge-2015 | kubenet | ip-masq-agent | aws-vpc-cni | calico | cilium | flannel, ...settings}
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { PodpathError } from '../../model/errors.js';
import { CidrText, Ipv4Text } from '../../model/fields.js';
import type { Cluster } from '../../model/k8s.js';
import { lineOf, parseLocatedYaml } from '../yaml-locate.js';
import type { ClusterProfile } from './k8s-profile.js';

const Cni = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('kubelet-bridge-2015'), nonMasqueradeCidr: CidrText.optional(), outIface: z.string().optional() }),
  z.strictObject({ kind: z.literal('kubenet'), nonMasqueradeCidr: CidrText.optional() }),
  z.strictObject({ kind: z.literal('ip-masq-agent'), nonMasqueradeCIDRs: z.array(CidrText).optional(), masqLinkLocal: z.boolean().optional() }),
  z.strictObject({ kind: z.literal('aws-vpc-cni'), externalSnat: z.boolean().default(false), excludeSnatCidrs: z.array(CidrText).default([]), randomizeSnat: z.enum(['prng', 'hashrandom', 'none']).optional() }),
  z.strictObject({ kind: z.literal('calico'), pools: z.array(z.strictObject({ cidr: CidrText, natOutgoing: z.boolean(), disabled: z.boolean().optional() })) }),
  z.strictObject({ kind: z.literal('cilium'), ipMasqAgent: z.strictObject({ nonMasqueradeCIDRs: z.array(CidrText).optional(), masqLinkLocal: z.boolean().optional() }).optional(), ipv4NativeRoutingCIDR: CidrText.optional() }),
  z.strictObject({ kind: z.literal('flannel'), network: CidrText, ipMasq: z.boolean() }),
]);

const OverridesSchema = z.strictObject({
  cluster: z.strictObject({ name: z.string().optional(), podCidr: CidrText.optional(), serviceCidr: CidrText.optional(), dnsServiceIp: Ipv4Text.optional() }).optional(),
  rds: z.record(z.string(), Ipv4Text).optional(),
  cni: Cni.optional(),
});

export interface Overrides {
  cluster?: Partial<Cluster>;
  rds: Record<string, string>;
  cni?: ClusterProfile;
}

/** Reads `file` if it exists; errors name its file and line. */
export function readOverrides(file: string): Overrides | undefined {
  if (!existsSync(file)) return undefined;
  const y = parseLocatedYaml(readFileSync(file, 'utf8'), file);
  const r = OverridesSchema.safeParse(y.doc.toJS() ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new PodpathError('PP_SCHEMA', `${issue.message}${issue.path.length ? ` at ${issue.path.join('.')}` : ''}`, { file, line: lineOf(y, issue.path) });
  }
  return { ...(r.data.cluster ? { cluster: r.data.cluster } : {}), rds: r.data.rds ?? {}, ...(r.data.cni ? { cni: r.data.cni as ClusterProfile } : {}) };
}
