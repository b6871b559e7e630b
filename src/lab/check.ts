/**
 * `labCheck`: each flow through the model (traceFlow) and through the kernel
 * (a TCP connect, UDP echo / DNS query, or ping from the source namespace,
 * bound to the model's source address and port, with a 2 s timeout), and the
 * comparison of their outcome classes (outcome.ts): connected, refused,
 * request lost, reply lost. Whether a request that timed out reached a host
 * is read from per-flow counting rules in every host namespace (arrival.ts).
 *
 * Servers: a responder (accepts TCP, echoes UDP) listens on the probed ports
 * in the namespace owning the destination address and in the one the model
 * delivers to (after DNAT), except where a real server already serves the
 * port (PostgreSQL, dnsmasq); RDS and the VPC resolver get no responder
 * (they answer only their own service, as the model says).
 *
 * On a disagreement the flow is probed again alone, with every counter
 * zeroed and conntrack flushed, and the evidence is collected: the rules
 * whose counters rose (`iptables-save -c`; a node's native nft rules by
 * their counters before and after, nft-counters.ts) and the conntrack
 * entries of the flow's addresses (`conntrack -L`) in every namespace.
 */
import type { Estate } from '../model/estate.js';
import { PodpathError } from '../model/errors.js';
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';
import type { Proto } from '../net/packet.js';
import { traceFlow } from '../trace/trace.js';
import type { Trace } from '../trace/types.js';
import { compileWorld, type World } from '../trace/world.js';
import { killProcesses } from './apply.js';
import { installArrivalRules, pingPattern, readArrivals, removeArrivalRules } from './arrival.js';
import { kernelClass, modelClasses, type ClientResult, type OutcomeClass } from './outcome.js';
import type { LabState } from './plan-types.js';
import { inNs, parallel, requireRoot, run } from './run.js';
import { PROBE } from './scripts.js';
import { counterRises, readNftCounters } from './nft-counters.js';
import { startResponder, type Started } from './services.js';
import { namespaceOf } from './lab.js';
import { readState } from './state.js';

/** A flow to check: endpoints as `traceFlow` takes them. */
export interface LabFlow {
  src: string;
  /** Destination endpoint without port. */
  dst: string;
  proto: Proto;
  /** Destination port (tcp/udp); the RDS port is the default for `rds:`. */
  dport?: number;
  sport: number;
}

/** What the kernel did for one probe. */
export interface KernelResult {
  /** What the client saw. */
  result: ClientResult;
  /** The client's error code or ping's last line. */
  detail?: string;
  /** Host namespaces whose INPUT counted the request (arrival.ts); empty when it reached none. */
  arrivedAt?: string[];
  /** The outcome class; absent when the probe itself failed. */
  outcome?: OutcomeClass;
}

/** One flow, both outcomes and whether they agree. */
export interface FlowCheck {
  flow: LabFlow;
  label: string;
  /** The model's verdicts, `|`-joined when a statistic/multipath fork gives several. */
  modelVerdict: string;
  /** The outcome classes the model's verdicts allow; absent when a branch is unknown. */
  modelOutcome?: OutcomeClass[];
  traces: Trace[];
  kernel: KernelResult;
  /** The kernel's class is one the model allows; `skipped` when the model says unknown. */
  agree: boolean | 'skipped';
  /** On a disagreement: counters and conntrack entries from a clean re-run. */
  evidence?: string;
}

const PROBE_TIMEOUT_MS = 2000;
/** ping's words for an ICMP error answering the echo request, or a local refusal to send it. */
const PING_REFUSED = /Unreachable|Packet filtered|Prohibited|Network is unreachable|No route to host|Operation not permitted/i;

/** `lab check NAME [flows]`: default flows from the estate when none are given. */
export async function labCheck(name: string, flows?: LabFlow[]): Promise<FlowCheck[]> {
  const state = readState(name);
  return checkFlows(state, flows ?? defaultFlows(state.estate as Estate));
}

/** Runs flows through model and kernel. */
export async function checkFlows(state: LabState, flows: LabFlow[], concurrency = 8): Promise<FlowCheck[]> {
  requireRoot();
  // The arrival counters know a request by its protocol and source port (arrival.ts).
  const keys = flows.map((f) => `${f.proto}/${f.sport}`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new PodpathError('PP_USAGE', `lab check: two flows share ${twice}; each flow needs its own source port`);
  const w = compileWorld(state.estate as Estate);
  const checks = flows.map((f) => modelSide(w, f));
  const responders = await startResponders(state, w, checks);
  try {
    await installArrivalRules(state, flows);
    await parallel(checks, concurrency, async (c) => {
      c.kernel = await probe(state, w, c);
    });
    const arrivals = await readArrivals(state);
    checks.forEach((c, i) => classify(c, arrivals.get(i) ?? []));
    for (const [i, c] of checks.entries()) {
      if (c.agree !== false) continue;
      await zeroAll(state);
      const nftBefore = await readNftCounters(state);
      const again = await probe(state, w, c);
      const at = (await readArrivals(state)).get(i) ?? [];
      const nftRises = counterRises(nftBefore, await readNftCounters(state));
      c.evidence = `re-run alone: ${describeKernel({ ...again, arrivedAt: at })}\n${await evidence(state, c, nftRises)}`;
    }
  } finally {
    killProcesses(responders.map((r) => r.pid));
    await removeArrivalRules(state);
  }
  return checks;
}

/** Sets the kernel's outcome class from the probe and the arrival counters, and whether the model allows it. */
function classify(c: FlowCheck, arrivedAt: string[]): void {
  const outcome = kernelClass(c.kernel.result, arrivedAt);
  c.kernel = { ...c.kernel, arrivedAt, ...(outcome ? { outcome } : {}) };
  if (c.agree === 'skipped') return;
  c.agree = outcome !== undefined && (c.modelOutcome ?? []).includes(outcome);
}

/** One line: the kernel's class, what the client saw, where the request arrived. */
export function describeKernel(k: KernelResult): string {
  const cls = kernelClass(k.result, k.arrivedAt ?? []) ?? 'probe failed';
  const client = `${k.result}${k.detail ? ` ${k.detail}` : ''}`;
  const where = k.arrivedAt?.length ? `request reached ${k.arrivedAt.join(', ')}` : 'request reached no host';
  return `${cls} (client: ${client}; ${where})`;
}

function modelSide(w: World, flow: LabFlow): FlowCheck {
  const traces = traceFlow(w, { src: flow.src, dst: flow.dport !== undefined && flow.proto !== 'icmp' ? `${flow.dst}:${flow.dport}` : flow.dst, proto: flow.proto, sport: flow.sport });
  const verdicts = [...new Set(traces.map((t) => t.verdict))];
  const outcome = modelClasses(traces);
  const t = traces[0]!;
  const port = t.flow.dport !== undefined ? `:${t.flow.dport}` : '';
  return {
    flow,
    label: `${flow.src} -> ${flow.dst}${port} ${flow.proto} (${t.flow.srcIp}:${flow.sport} > ${t.flow.dstIp}${port})`,
    modelVerdict: verdicts.join('|'),
    ...(outcome ? { modelOutcome: outcome } : {}),
    traces,
    kernel: { result: 'error', detail: 'not probed' },
    agree: outcome ? false : 'skipped',
  };
}

/** The namespace owning an address (a pod, node or EC2 host; not RDS or a resolver), if any. */
export function ownerNs(state: LabState, w: World, ip: number): string | undefined {
  const pod = w.podByIp.get(ip);
  if (pod) return state.plan.endpoints[`pod:${pod.name}`];
  for (const n of w.nodes.values()) if (n.eth0.address === ip || n.bridge?.address === ip || n.eni.addresses.includes(ip)) return state.plan.endpoints[`node:${n.node.name}`];
  const eni = w.enis.get(ip);
  if (eni?.owner.kind === 'instance') return state.plan.endpoints[`instance:${eni.owner.instance.id}`];
  return undefined;
}

/** Every address the model gives the host behind a namespace. */
function addressesOf(state: LabState, w: World, ns: string): string[] {
  const ips = [...w.podByIp.keys(), ...[...w.nodes.values()].flatMap((n) => [...n.eni.addresses, ...(n.bridge ? [n.bridge.address] : [])]), ...w.enis.keys()];
  return [...new Set(ips.filter((ip) => ownerNs(state, w, ip) === ns).map(formatIpv4))];
}

async function startResponders(state: LabState, w: World, checks: FlowCheck[]): Promise<Started[]> {
  const want = new Map<string, { tcp: Set<number>; udp: Set<number> }>();
  const served = new Set(state.plan.services.flatMap((s) => (s.kind === 'cluster-dns' ? [`${s.ns}/tcp/53`, `${s.ns}/udp/53`] : [])));
  // Every branch's destination gets a responder (a -m statistic fork may reach any of them).
  for (const c of checks) for (const t of c.traces) {
    if (c.flow.proto === 'icmp' || t.flow.dport === undefined) continue;
    const last = [...t.forward].reverse().find((h) => h.decision === 'deliver');
    const places = [parseIpv4(t.flow.dstIp), ...(last ? [parseIpv4(last.packetIn.dst)] : [])];
    const ports = [t.flow.dport, ...(last?.packetIn.dport !== undefined ? [last.packetIn.dport] : [])];
    places.forEach((ip, i) => {
      const ns = ownerNs(state, w, ip);
      const port = ports[i] ?? t.flow.dport!;
      if (!ns || served.has(`${ns}/${c.flow.proto}/${port}`)) return;
      const e = want.get(ns) ?? { tcp: new Set<number>(), udp: new Set<number>() };
      e[c.flow.proto as 'tcp' | 'udp'].add(port);
      want.set(ns, e);
    });
  }
  const started: Started[] = [];
  try {
    await parallel([...want], 4, async ([ns, p]) => {
      started.push(await startResponder(ns, [...p.tcp], [...p.udp], addressesOf(state, w, ns), state.dirs[0]!));
    });
  } catch (e) {
    killProcesses(started.map((r) => r.pid));
    throw e;
  }
  return started;
}

async function probe(state: LabState, _w: World, c: FlowCheck): Promise<KernelResult> {
  const t = c.traces[0]!;
  const ns = namespaceOf(state, c.flow.src);
  if (c.flow.proto === 'icmp') {
    // Not -q: the lines of ICMP errors (unreachable, filtered) are what tell a refusal from silence.
    const r = await run(inNs(ns, ['ping', '-n', '-c', '1', '-W', String(PROBE_TIMEOUT_MS / 1000), '-p', pingPattern(c.flow.sport), '-I', t.flow.srcIp, t.flow.dstIp]), { allowFail: true, timeoutMs: PROBE_TIMEOUT_MS + 3000 });
    if (r.code === 0) return { result: 'connected' };
    const said = (r.stdout + r.stderr).split('\n').find((l) => PING_REFUSED.test(l));
    return said ? { result: /Port Unreachable/i.test(said) ? 'refused' : 'unreachable', detail: said.trim() } : { result: 'timeout', detail: (r.stdout + r.stderr).trim().split('\n').slice(-1)[0] };
  }
  const args = { mode: c.flow.proto, src: t.flow.srcIp, dst: t.flow.dstIp, port: t.flow.dport, sport: c.flow.sport, timeoutMs: PROBE_TIMEOUT_MS };
  const r = await run(inNs(ns, [process.execPath, '-e', PROBE, JSON.stringify(args)]), { allowFail: true, timeoutMs: PROBE_TIMEOUT_MS + 5000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as KernelResult;
  } catch {
    return { result: 'error', detail: (r.stderr || r.stdout).trim().slice(0, 200) };
  }
}

async function zeroAll(state: LabState): Promise<void> {
  await parallel(state.plan.namespaces, 6, async (n) => {
    await run(inNs(n.ns, ['iptables', '-w', '5', '-Z']), { allowFail: true });
    for (const t of ['nat', 'mangle', 'raw', 'security']) await run(inNs(n.ns, ['iptables', '-w', '5', '-t', t, '-Z']), { allowFail: true });
    await run(inNs(n.ns, ['conntrack', '-F']), { allowFail: true });
  });
}

/** Rules whose counters are non-zero (native nft rules: whose counters rose), and conntrack entries of the flow's addresses, per namespace. */
async function evidence(state: LabState, c: FlowCheck, nftRises: Map<string, string[]>): Promise<string> {
  const t = c.traces[0]!;
  const out: string[] = [];
  for (const n of state.plan.namespaces) {
    const save = await run(inNs(n.ns, ['iptables-save', '-c']), { allowFail: true });
    const hits = save.stdout.split('\n').filter((l) => /^\[[1-9]\d*:\d+\]/.test(l) || /^:\S+ \S+ \[[1-9]/.test(l) || /^\*/.test(l));
    const ct = await run(inNs(n.ns, ['conntrack', '-L']), { allowFail: true });
    const flows = ct.stdout.split('\n').filter((l) => l.includes(t.flow.srcIp) || l.includes(t.flow.dstIp));
    const nft = nftRises.get(n.ns) ?? [];
    if (hits.some((l) => !l.startsWith('*')) || flows.length || nft.length) {
      out.push(`== ${n.ns} (${n.role} ${n.ref})`, ...hits.filter((l, i, a) => !l.startsWith('*') || (a[i + 1] !== undefined && !a[i + 1]!.startsWith('*'))), ...nft, ...flows.map((f) => `conntrack: ${f}`));
    }
  }
  return out.join('\n');
}

/**
 * The flows `lab check` runs when none are given: every pod and node to each
 * RDS endpoint (its port), to each Service VIP port and to its VPC's
 * resolver (udp 53), and ping between nodes and between pods of different nodes.
 */
export function defaultFlows(estate: Estate): LabFlow[] {
  const w = compileWorld(estate);
  const flows: Omit<LabFlow, 'sport'>[] = [];
  const pods = [...w.pods.values()].filter((p) => !p.pod.hostNetwork);
  const sources = [...[...w.nodes.keys()].map((n) => `node:${n}`), ...pods.map((p) => `pod:${p.name}`)];
  for (const src of sources) {
    for (const r of w.rdsById.values()) flows.push({ src, dst: `rds:${r.id}`, proto: 'tcp', dport: r.port });
    for (const s of estate.services) for (const p of s.ports) flows.push({ src, dst: s.clusterIP, proto: p.proto, dport: p.port });
    const node = src.startsWith('node:') ? w.nodes.get(src.slice(5))! : w.pods.get(src.slice(4))!.node;
    flows.push({ src, dst: formatIpv4(node.eni.subnet.vpc.resolver), proto: 'udp', dport: 53 });
  }
  const nodes = [...w.nodes.keys()];
  for (const a of nodes) for (const b of nodes) if (a !== b) flows.push({ src: `node:${a}`, dst: `node:${b}`, proto: 'icmp' });
  for (const a of pods) for (const b of pods) if (a.node !== b.node) flows.push({ src: `pod:${a.name}`, dst: `pod:${b.name}`, proto: 'icmp' });
  return flows.map((f, i) => ({ ...f, sport: 40000 + i }));
}

/** A DNS query for `name` sent to `server` from a lab host, answered or not within 2 s. */
export async function labDnsQuery(state: LabState, where: string, server: string, name: string): Promise<KernelResult & { rcode?: string; answers?: string[] }> {
  requireRoot();
  const ns = namespaceOf(state, where);
  const src = state.plan.namespaces.find((n) => n.ns === ns)?.address;
  const args = { mode: 'dns', src, dst: server, port: 53, sport: 0, name, timeoutMs: PROBE_TIMEOUT_MS };
  const r = await run(inNs(ns, [process.execPath, '-e', PROBE, JSON.stringify(args)]), { allowFail: true, timeoutMs: PROBE_TIMEOUT_MS + 5000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as KernelResult & { rcode?: string; answers?: string[] };
  } catch {
    return { result: 'error', detail: (r.stderr || r.stdout).trim().slice(0, 200) };
  }
}
