/**
 * The lab's public API: `labUp` materialises an estate as network namespaces
 * with real services, `labExec` runs a command inside one of its hosts,
 * `labDown` removes it, `labGc` removes anything any lab left behind.
 * (`labCheck` is in check.ts.)
 *
 * Safety (DEVELOPERS.md): everything lives in namespaces named with a unique
 * per-run prefix; the root namespace gets no link, address or route; setup
 * failures and SIGINT/SIGTERM/SIGHUP during setup tear the lab down; `labGc`
 * removes every namespace, process, /etc/netns entry, temp dir and state file
 * carrying a lab prefix.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Estate } from '../model/estate.js';
import { PodpathError } from '../model/errors.js';
import { podName } from '../trace/world.js';
import { applyPlan, listNamespaces, removeNamespaces } from './apply.js';
import { planLab } from './plan.js';
import type { LabState } from './plan-types.js';
import { inNs, requireRoot, run, type RunResult } from './run.js';
import { makeLabDir, startService } from './services.js';
import { checkLabName, hasState, isLabNamespace, listStates, newPrefix, readState, removeState, STATE_DIR, writeState } from './state.js';

export interface LabUpOptions {
  name: string;
  /** Where the estate was read from, for reports. */
  estateFile?: string;
}

/** Builds a lab; on any failure (or a signal during setup) removes what it built and rethrows. */
export async function labUp(estate: Estate, o: LabUpOptions): Promise<LabState> {
  requireRoot();
  checkLabName(o.name);
  if (hasState(o.name)) throw new PodpathError('PP_USAGE', `a lab named '${o.name}' is already up`, { hint: `podpath lab down ${o.name}` });
  const prefix = newPrefix();
  const plan = planLab(estate, prefix);
  const state: LabState = { name: o.name, prefix, estate, ...(o.estateFile ? { estateFile: o.estateFile } : {}), plan, processes: [], dirs: [], createdAt: new Date().toISOString() };
  writeState(state);
  const onSignal = (sig: NodeJS.Signals) => {
    teardown(state);
    process.kill(process.pid, sig);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  try {
    state.dirs.push(makeLabDir(prefix));
    writeState(state);
    await applyPlan(plan);
    for (const s of plan.services) {
      state.processes.push(await startService(s, state.dirs[0]!));
      writeState(state);
    }
    return state;
  } catch (e) {
    teardown(state);
    throw e;
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}

/** What a teardown removed. */
export interface Removed {
  namespaces: string[];
  processes: number[];
  dirs: string[];
}

/** Removes a lab completely (synchronous, never throws). */
export function teardown(state: LabState): Removed {
  const r = removeNamespaces(state.plan.namespaces.map((n) => n.ns), state.processes.map((p) => p.pid));
  for (const d of state.dirs) rmSync(d, { recursive: true, force: true });
  removeState(state.name);
  return { ...r, dirs: state.dirs };
}

/** `lab down NAME`. */
export function labDown(name: string): Removed & { name: string } {
  requireRoot();
  return { name, ...teardown(readState(name)) };
}

/** `lab gc`: every lab's state, then anything left with a lab prefix. */
export function labGc(): Removed & { labs: string[] } {
  requireRoot();
  const labs: string[] = [];
  const removed: Removed = { namespaces: [], processes: [], dirs: [] };
  const merge = (r: Removed) => {
    removed.namespaces.push(...r.namespaces);
    removed.processes.push(...r.processes);
    removed.dirs.push(...r.dirs);
  };
  for (const s of listStates()) {
    labs.push(s.name);
    merge(teardown(s));
  }
  const leftovers = listNamespaces().filter(isLabNamespace);
  let etc: string[] = [];
  try {
    etc = readdirSync('/etc/netns').filter(isLabNamespace);
  } catch {
    // no /etc/netns
  }
  merge({ ...removeNamespaces([...new Set([...leftovers, ...etc])]), dirs: [] });
  for (const d of readdirSync(tmpdir()).filter((f) => /^podpath-lab-pp[0-9a-z]{6}-|^podpath-pg-template-/.test(f))) {
    rmSync(join(tmpdir(), d), { recursive: true, force: true });
    removed.dirs.push(join(tmpdir(), d));
  }
  try {
    for (const f of readdirSync(STATE_DIR)) rmSync(join(STATE_DIR, f), { force: true });
  } catch {
    // no state dir
  }
  return { labs, ...removed };
}

/** The namespace of a lab endpoint: `pod:NAME`, `node:NAME`, `rds:NAME`, `instance:ID`, `resolver:VPC`, `vpc:VPC`. */
export function namespaceOf(state: LabState, where: string): string {
  const key = where.startsWith('pod:') ? `pod:${podName(where.slice(4))}` : where;
  const ns = state.plan.endpoints[key];
  if (!ns) {
    throw new PodpathError('PP_UNKNOWN_ENDPOINT', `lab '${state.name}' has no '${where}'`, { hint: `known: ${Object.keys(state.plan.endpoints).slice(0, 10).join(', ')}` });
  }
  return ns;
}

export interface ExecOptions {
  env?: Record<string, string>;
  /** @default 30000 */
  timeoutMs?: number;
}

/** Runs a command inside a lab host; PGCONNECT_TIMEOUT=2 unless given. */
export async function labExecIn(state: LabState, where: string, argv: string[], o: ExecOptions = {}): Promise<RunResult> {
  requireRoot();
  if (argv.length === 0) throw new PodpathError('PP_USAGE', 'lab exec needs a command after --');
  const env = { ...process.env, PGCONNECT_TIMEOUT: '2', ...o.env };
  return run(inNs(namespaceOf(state, where), argv), { env, timeoutMs: o.timeoutMs ?? 30_000, allowFail: true });
}

/** `lab exec NAME WHERE -- CMD...`. */
export async function labExec(name: string, where: string, argv: string[], o: ExecOptions = {}): Promise<RunResult> {
  return labExecIn(readState(name), where, argv, o);
}

export { readState };
