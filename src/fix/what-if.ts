/**
 * What-ifs: pure edits of an estate copy. The input estate is never changed;
 * each function returns a new estate with one change applied, so a fix can be
 * traced before it is applied to the real network.
 */
import { PodpathError } from '../model/errors.js';
import type { Estate } from '../model/estate.js';

/** A deep copy of an estate. */
export function copyEstate(e: Estate): Estate {
  return structuredClone(e);
}

/** Inserts an iptables rule on the named nodes (or all), like `iptables -t TABLE -I CHAIN 1 RULE` over SSH on each. */
export function withIptablesInsert(
  e: Estate,
  nodes: string[] | 'all',
  insert: { table: 'raw' | 'mangle' | 'nat' | 'filter'; chain: string; rule: string; label: string; position?: number },
): Estate {
  const copy = copyEstate(e);
  const targets = copy.nodes.filter((n) => nodes === 'all' || nodes.includes(n.name));
  if (nodes !== 'all' && targets.length !== nodes.length) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `what-if names a node that is not in the estate: ${nodes.join(', ')}`);
  for (const n of targets) n.iptablesInserts.push({ position: 1, ...insert });
  return copy;
}

/** Replaces the CIDR of every ingress rule of a security group (e.g. "open it to 0.0.0.0/0"). */
export function withSgIngressCidr(e: Estate, sgId: string, cidr: string): Estate {
  const copy = copyEstate(e);
  const sg = copy.securityGroups.find((g) => g.id === sgId);
  if (!sg) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no security group '${sgId}' in the estate`);
  sg.ingress = sg.ingress.map((r) => (r.cidr ? { ...r, cidr } : r));
  return copy;
}

/**
 * Removes the dump lines of a node that match `pattern`, keeping line numbers
 * (each removed line becomes a comment), e.g. to model kube-proxy rules that
 * are not programmed yet.
 */
export function withoutIptablesLines(e: Estate, node: string, pattern: RegExp, why: string): Estate {
  const copy = copyEstate(e);
  const n = copy.nodes.find((x) => x.name === node);
  if (!n?.iptables) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `node '${node}' has no iptables dump to edit`);
  n.iptables.text = n.iptables.text
    .split('\n')
    .map((line) => (pattern.test(line) ? `# (what-if: ${why}) ${line}` : line))
    .join('\n');
  return copy;
}
