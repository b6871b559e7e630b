/**
 * `podpath lab up|exec|check|down|gc`: the estate as Linux network
 * namespaces with real PostgreSQL and dnsmasq (src/lab), and the model
 * checked against the kernel. Needs root. Exit codes: up/down/gc 0;
 * exec the command's own; check 0 when every compared flow's outcome class
 * (connected, refused, request-lost, reply-lost) agrees, 1 otherwise.
 */
import { loadInput } from '../../ingest/load.js';
import { describeKernel, labCheck } from '../../lab/check.js';
import { labDown, labExec, labGc, labUp } from '../../lab/lab.js';
import type { CommandResult } from './result.js';

export interface LabUpOptions { estate?: string; snapshot?: string; name?: string }
export interface LabExecOptions { name: string; where: string; command: string[] }
export interface LabNameOptions { name: string }

export async function runLabUp(o: LabUpOptions): Promise<CommandResult> {
  const estate = loadInput(o);
  const name = o.name ?? estate.name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
  const s = await labUp(estate, { name, ...(o.estate ? { estateFile: o.estate } : {}) });
  return {
    report: {
      kind: 'lab', action: 'up', name: s.name, prefix: s.prefix, estate: o.estate ?? o.snapshot ?? estate.name,
      namespaces: s.plan.namespaces.map((n) => ({ ns: n.ns, role: n.role, ref: n.ref, ...(n.address ? { address: n.address } : {}) })),
      links: s.plan.links.length,
      services: s.processes.map((p) => `${p.what} in ${p.ns} (pid ${p.pid})`),
    },
    exitCode: 0,
  };
}

export async function runLabExec(o: LabExecOptions): Promise<CommandResult> {
  const r = await labExec(o.name, o.where, o.command);
  return { report: { kind: 'lab', action: 'exec', name: o.name, where: o.where, command: o.command, exitCode: r.code, stdout: r.stdout, stderr: r.stderr }, exitCode: r.code };
}

export async function runLabCheck(o: LabNameOptions): Promise<CommandResult> {
  const checks = await labCheck(o.name);
  const count = (v: boolean | 'skipped') => checks.filter((c) => c.agree === v).length;
  return {
    report: {
      kind: 'lab', action: 'check', name: o.name,
      flows: checks.map((c) => ({
        flow: c.label,
        model: `${c.modelVerdict}${c.modelOutcome ? ` (${c.modelOutcome.join(' or ')})` : ''}`,
        kernel: describeKernel(c.kernel),
        ...(c.modelOutcome ? { modelOutcome: c.modelOutcome } : {}),
        ...(c.kernel.outcome ? { kernelOutcome: c.kernel.outcome } : {}),
        arrivedAt: c.kernel.arrivedAt ?? [],
        agree: c.agree,
        ...(c.agree === false ? { trace: c.traces[0]!, ...(c.evidence ? { evidence: c.evidence } : {}) } : {}),
      })),
      agreed: count(true), disagreed: count(false), skipped: count('skipped'),
    },
    exitCode: count(false) === 0 ? 0 : 1,
  };
}

export async function runLabDown(o: LabNameOptions): Promise<CommandResult> {
  const r = labDown(o.name);
  return { report: { kind: 'lab', action: 'down', name: o.name, namespaces: r.namespaces, processes: r.processes, dirs: r.dirs }, exitCode: 0 };
}

export async function runLabGc(): Promise<CommandResult> {
  const r = labGc();
  return { report: { kind: 'lab', action: 'gc', labs: r.labs, namespaces: r.namespaces, processes: r.processes, dirs: r.dirs }, exitCode: 0 };
}
