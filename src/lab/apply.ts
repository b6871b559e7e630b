/**
 * Builds and removes the namespaces, links and rules of a lab plan.
 *
 * Build order: create every namespace (one `ip -batch` in the root namespace:
 * only `netns add`), sysctls in each, veth pairs created in one lab namespace
 * with the peer placed directly in another, then addresses/routes/rules and
 * per-link sysctls,
 * iptables-restore and a node's native nftables ruleset (`nft -f`) in each
 * namespace (in parallel), then the per-namespace resolv.conf files under /etc/netns.
 *
 * Teardown kills every process inside the lab's namespaces (the recorded ones
 * and whatever `ip netns pids` reports), deletes the namespaces (their veths
 * go with them) and the /etc/netns entries. It is synchronous so it can run
 * from signal handlers and `exit`, and it never throws.
 */
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPlan } from './plan-types.js';
import { inNs, parallel, run, runSync } from './run.js';

const ETC_NETNS = '/etc/netns';
const CONCURRENCY = 6;

/** Creates everything in `plan` except services. On failure the caller tears down. */
export async function applyPlan(plan: LabPlan): Promise<void> {
  await run(['ip', '-batch', '-'], { input: plan.namespaces.map((n) => `netns add ${n.ns}\n`).join('') });
  await parallel(plan.namespaces, CONCURRENCY, (n) => run(inNs(n.ns, ['sysctl', '-e', '-q', '-w', ...n.sysctls])));
  const byA = new Map<string, string[]>();
  for (const l of plan.links) byA.set(l.a, [...(byA.get(l.a) ?? []), `link add ${l.aDev} type veth peer name ${l.bDev} netns ${l.b}`]);
  await parallel([...byA], CONCURRENCY, ([ns, lines]) => run(['ip', '-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` }));
  await parallel(plan.namespaces, CONCURRENCY, async (n) => {
    await run(['ip', '-n', n.ns, '-batch', '-'], { input: `${n.ipBatch.join('\n')}\n` });
    if (n.proxyArpAtOnce) await answerProxyArpAtOnce(n.ns);
    if (n.ipsets) await run(inNs(n.ns, ['ipset', 'restore']), { input: n.ipsets });
    if (n.iptables) await run(inNs(n.ns, ['iptables-restore', '-w', '5']), { input: n.iptables });
    for (const ins of n.iptablesInserts) await run(inNs(n.ns, ['iptables', ...ins]));
    // After iptables: base chains of equal priority run in registration order (nf_hook_entries_grow
    // puts a new entry after those of equal priority), so iptables' tables run first, as the model assumes.
    if (n.nft) await run(inNs(n.ns, ['nft', ...(n.nft.json ? ['-j'] : []), '-f', '-']), { input: n.nft.ruleset });
  });
  for (const n of plan.namespaces) {
    mkdirSync(join(ETC_NETNS, n.ns), { recursive: true });
    writeFileSync(join(ETC_NETNS, n.ns, 'resolv.conf'), n.resolvConf);
  }
}

/**
 * `proxy_delay` 0 on every link of `ns`. Per link: the namespace has no
 * `net.ipv4.neigh.default` to inherit from. The slash form of the key keeps
 * a link name with dots (a VLAN) whole.
 */
async function answerProxyArpAtOnce(ns: string): Promise<void> {
  const links = (await run(inNs(ns, ['ls', '/proc/sys/net/ipv4/neigh']))).stdout.split('\n').filter((d) => d && d !== 'default');
  await run(inNs(ns, ['sysctl', '-q', '-w', ...links.map((d) => `net/ipv4/neigh/${d}/proxy_delay=0`)]));
}

/** True while a process exists and is not a zombie (a child that exited but was not reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Kills processes: SIGTERM to all, then SIGKILL to those still alive after 2 s. Never throws. */
export function killProcesses(pids: number[]): void {
  for (const pid of pids) signal(pid, 'SIGTERM');
  for (let i = 0; i < 100 && pids.some(alive); i++) runSync(['sleep', '0.02']);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
}

/** Kills one process (see killProcesses). */
export function killProcess(pid: number): void {
  killProcesses([pid]);
}

/** Processes running inside a namespace. */
export function pidsIn(ns: string): number[] {
  return runSync(['ip', 'netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean).map(Number).filter((p) => p > 1 && p !== process.pid);
}

/** Removes namespaces (after killing what runs in them) and their /etc/netns entries; returns what it removed. */
export function removeNamespaces(names: string[], pids: number[] = []): { namespaces: string[]; processes: number[] } {
  killProcesses(pids);
  const existing = new Set(listNamespaces());
  const inside = names.filter((ns) => existing.has(ns)).flatMap(pidsIn);
  killProcesses(inside);
  const killed = [...pids, ...inside];
  const gone = names.filter((n) => existing.has(n));
  for (const ns of gone) runSync(['ip', 'netns', 'del', ns], 5000);
  for (const ns of names) rmSync(join(ETC_NETNS, ns), { recursive: true, force: true });
  try {
    rmdirSync(ETC_NETNS);
  } catch {
    // not empty or not there: leave it
  }
  return { namespaces: gone, processes: [...new Set(killed)] };
}

/** Names of all network namespaces. */
export function listNamespaces(): string[] {
  return runSync(['ip', 'netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}
