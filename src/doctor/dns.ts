/**
 * PP104: nameservers that are unanswered, or answered only through a DNAT
 * (a Service VIP) and routed away when the DNAT is missed (kube-proxy not yet
 * synced, flushed rules). The cost is computed with glibc's stub resolver:
 * each round (`attempts`) tries the servers in order, waiting for server i
 * `timeout << i` seconds, divided by the number of servers when i > 0, at least
 * 1 (resolv/res_send.c, send_dg); an answer, NXDOMAIN included, ends the query;
 * res_search then tries the next name of the search expansion (queryPlan).
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import { parseResolvConf, queryPlan, type ResolvConf } from '../dns/resolv-conf.js';
import { withoutRules } from '../linux/iptables/remove.js';
import type { Rule } from '../linux/iptables/types.js';
import type { Prefix } from '../net/prefix.js';
import { traceFlow } from '../trace/trace.js';
import type { Trace } from '../trace/types.js';
import { compileWorld, type RulesetEdit, type World } from '../trace/world.js';
import { nodeNameservers, podNameservers } from './classes.js';
import type { Detection } from './classify.js';
import type { PairResult, SourceClass } from './types.js';

/** A name a workload typically looks up, to show the search expansion cost. */
export const EXAMPLE_NAME = 'kubernetes.default.svc';

/** Seconds glibc waits for server `i` of `n` in one round. */
export function serverWait(conf: Pick<ResolvConf, 'timeout'>, i: number, n: number): number {
  const s = i > 0 ? Math.floor((conf.timeout << i) / n) : conf.timeout;
  return Math.max(1, s);
}

/** Seconds one query waits before an answer, given which servers answer; `answered` false when none does. */
export function queryCost(conf: Pick<ResolvConf, 'timeout' | 'attempts'>, answers: boolean[]): { seconds: number; answered: boolean; by?: number } {
  let seconds = 0;
  for (let round = 0; round < conf.attempts; round++) {
    for (let i = 0; i < answers.length; i++) {
      if (answers[i]) return { seconds, answered: true, by: i };
      seconds += serverWait(conf, i, answers.length);
    }
  }
  return { seconds, answered: false };
}

/** The resolv.conf a source class uses, and its file for messages. */
function confOf(w: World, s: SourceClass): ResolvConf | undefined {
  if (s.kind === 'hosts') {
    const rc = w.nodes.get(s.nodes[0]!)?.node.resolvConf;
    return rc ? parseResolvConf({ ...rc, file: rc.file ?? w.estate.file ?? '<estate>' }).value : undefined;
  }
  if (s.kind !== 'pods' || !w.estate.cluster?.dnsServiceIp) return undefined;
  // kubelet's ClusterFirst resolv.conf: the DNS VIP, the namespace search list and ndots:5.
  const ns = s.rep.slice('pod:'.length).split('/')[0];
  const text = `nameserver ${w.estate.cluster.dnsServiceIp}\nsearch ${ns}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
  return parseResolvConf({ text, file: 'kubelet ClusterFirst resolv.conf (derived)' }).value;
}

function dnatted(t: Trace): boolean {
  return t.forward.some((h) => h.decision === 'nat' && h.packetOut !== undefined && h.packetOut.dst !== h.packetIn.dst);
}

/** Failed after a VPC route more specific than the default route carried it somewhere (a peering, an instance): the query went to a network, not to the void. */
function leaked(t: Trace): boolean {
  return t.verdict !== 'delivered' && t.forward.some((h) => h.kind === 'route-table' && h.decision === 'forward' && h.rule !== undefined && !('file' in h.rule.at) && h.rule.at.index !== '0.0.0.0/0');
}

/**
 * Every node's dump without its rules for `vip` (kube-proxy not programmed): each distinct parsed dump edited once.
 * A rule is kube-proxy's for the VIP when it matches the destination VIP/32 (`-d VIP/32`, negated or not).
 */
function withoutDnat(vip: Ipv4): RulesetEdit {
  // Reads the parsed matches, not the text; withoutRules edits only the chains a trace reads.
  const namesVip = (rule: Rule): boolean => rule.matches.some((m) => m.kind === 'dst' && isHost(m.args['prefix'] as Prefix | undefined, vip));
  return (r) => withoutRules(r, namesVip);
}

const isHost = (p: Prefix | undefined, ip: Ipv4): boolean => p !== undefined && p.len === 32 && p.addr === ip;

/**
 * Where dnsFindings gets the traces of a query that misses a VIP's DNAT (by
 * `SOURCE-KEY|VIP`, sent from the class's representative `rep`): `known` may
 * answer them without tracing (a doctor session's check takes them from its
 * first run when they were sent from the same representative and nothing
 * they consulted changed); `made` sees each set it traced.
 */
export interface MissedTraces {
  known?: (key: string, rep: string) => Trace[] | undefined;
  made?: (key: string, rep: string, traces: Trace[]) => void;
}

/** PP104 detections with their evidence traces. */
export function dnsFindings(w: World, sources: SourceClass[], pairs: Map<string, PairResult>, missedTraces: MissedTraces = {}): { detection: Detection; evidence: Trace[]; pair: PairResult }[] {
  const out: { detection: Detection; evidence: Trace[]; pair: PairResult }[] = [];
  const whatIf = new Map<string, World>();
  // Host classes first: their resolv.conf is real input, so its file:line is the finding's location.
  const ordered = [...sources.filter((s) => s.kind === 'hosts'), ...sources.filter((s) => s.kind !== 'hosts')];
  for (const s of ordered) {
    const servers: Ipv4[] = s.kind === 'hosts' ? nodeNameservers(w, w.nodes.get(s.nodes[0]!)!) : s.kind === 'pods' ? podNameservers(w) : [];
    const conf = confOf(w, s);
    if (!conf || servers.length === 0) continue;
    const results = servers.map((ip) => pairs.get(`${s.key} -> dns:${formatIpv4(ip)}`));
    const answers = results.map((r) => r?.verdict === 'delivered');
    servers.forEach((ip, i) => {
      const pair = results[i];
      // An unknown verdict is a PP199 note (classify.ts), never a PP104 built on it.
      if (!pair || pair.traces.some((t) => t.verdict === 'unknown')) return;
      const vip = formatIpv4(ip);
      let evidence: Trace[] | undefined;
      let how: string;
      if (pair.verdict !== 'delivered') {
        evidence = pair.traces;
        how = `${vip} does not answer: ${pair.traces[0]!.reason.replace(/\.$/, '')}`;
      } else if (pair.traces.some(dnatted)) {
        const key = `${s.key}|${vip}`;
        let missed = missedTraces.known?.(key, s.rep);
        if (!missed) {
          let alt = whatIf.get(vip);
          if (!alt) whatIf.set(vip, (alt = compileWorld(w.estate, { rulesets: w.rulesets, lazyRulesets: true, editRules: withoutDnat(ip), base: w })));
          missed = traceFlow(alt, { src: s.rep, dst: `${vip}:53`, proto: 'udp' });
          missedTraces.made?.(key, s.rep, missed);
        }
        if (missed.some((t) => t.verdict === 'unknown') || !missed.some(leaked)) return;
        evidence = [...pair.traces, ...missed];
        how = `${vip} answers only through the Service DNAT; a query that misses it (kube-proxy not yet synced, rules flushed) is routed away: ${missed[0]!.reason.replace(/\.$/, '')}`;
      } else return;
      const broken = answers.map((a, j) => (j === i ? false : a));
      const inferred = vip === w.estate.cluster?.dnsServiceIp ? w.estate.cluster.inferred.find((f) => f.field === 'dnsServiceIp')?.reason : undefined;
      out.push({ detection: detection(s, conf, servers, i, broken, how, inferred), evidence: [...evidence, ...fallbackTraces(results, i)], pair });
    });
  }
  return out;
}

function fallbackTraces(results: (PairResult | undefined)[], i: number): Trace[] {
  const next = results.slice(i + 1).find((r) => r?.verdict === 'delivered');
  return next ? next.traces.slice(0, 1) : [];
}

function detection(s: SourceClass, conf: ResolvConf, servers: Ipv4[], i: number, answers: boolean[], how: string, vipInferred?: string): Detection {
  const ns = servers[i]!;
  const loc = conf.nameservers.find((n) => n.ipv4 === ns)?.loc;
  const cost = queryCost(conf, answers);
  const names = queryPlan(conf, EXAMPLE_NAME);
  const fallback = cost.answered && cost.by !== undefined
    ? `glibc waits ${serverWait(conf, i, servers.length)} s (timeout:${conf.timeout}) for ${formatIpv4(ns)}, then asks ${formatIpv4(servers[cost.by]!)}, which answers` +
      `${cost.by > i ? ' (a VPC resolver answers NXDOMAIN for cluster names such as *.svc.cluster.local)' : ''}; every query pays ${cost.seconds} s`
    : `no nameserver answers: each query fails after ${cost.seconds} s (${conf.attempts} attempts x the per-server timeouts, timeout:${conf.timeout})`;
  const expansion = `with ndots:${conf.ndots} a lookup of ${EXAMPLE_NAME} tries ${names.length} names (${names.join(' ')}), so it can take ${names.length * cost.seconds} s`;
  return {
    id: 'PP104',
    key: `PP104|${formatIpv4(ns)}`,
    title: `nameserver ${formatIpv4(ns)} (${i === 0 ? 'first' : `number ${i + 1}`} in resolv.conf) is routed away from ${s.label}`,
    message: `${how}. Fallback: ${fallback}; ${expansion}.${vipInferred ? ` (The cluster DNS VIP was inferred: ${vipInferred}.)` : ''}`,
    location: loc ? { file: loc.file, line: loc.line } : { awsId: s.rep },
    facts: { nameserver: formatIpv4(ns), nodes: s.nodes },
  };
}
