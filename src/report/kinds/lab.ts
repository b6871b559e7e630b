/** Report kinds of the `lab` commands and their text rendering. */
import type { Hop, Trace } from '../../trace/types.js';

/** A namespace of a lab as reported. */
export interface LabNamespaceView {
  ns: string;
  role: string;
  ref: string;
  address?: string;
}

/** One flow checked in the lab. */
export interface LabFlowView {
  flow: string;
  /** The model's verdict(s) and the outcome classes they allow. */
  model: string;
  /** The kernel's outcome class, what the client saw, where the request arrived. */
  kernel: string;
  /** Outcome classes the model allows (src/lab/outcome.ts); absent when it says unknown. */
  modelOutcome?: string[];
  /** The kernel's outcome class; absent when the probe failed. */
  kernelOutcome?: string;
  /** Lab namespaces where the request reached the host. */
  arrivedAt?: string[];
  /** `skipped` when the model says unknown (nothing to compare). */
  agree: boolean | 'skipped';
  /** On a disagreement: the model's trace and what the kernel did. */
  trace?: Trace;
  evidence?: string;
}

export type LabReport =
  | { kind: 'lab'; action: 'up'; name: string; prefix: string; estate: string; namespaces: LabNamespaceView[]; links: number; services: string[] }
  | { kind: 'lab'; action: 'exec'; name: string; where: string; command: string[]; exitCode: number; stdout: string; stderr: string }
  | { kind: 'lab'; action: 'check'; name: string; flows: LabFlowView[]; agreed: number; disagreed: number; skipped: number }
  | { kind: 'lab'; action: 'down' | 'gc'; name?: string; labs?: string[]; namespaces: string[]; processes: number[]; dirs: string[] };

export function labText(r: LabReport): string {
  switch (r.action) {
    case 'up':
      return [
        `lab ${r.name} is up (prefix ${r.prefix}) from ${r.estate}: ${r.namespaces.length} namespaces, ${r.links} veth links`,
        ...r.namespaces.map((n) => `  ${n.ns.padEnd(18)} ${n.role.padEnd(8)} ${n.ref}${n.address ? ` (${n.address})` : ''}`),
        ...r.services.map((s) => `  service: ${s}`),
        `next: podpath lab exec ${r.name} node:NAME -- psql ...   podpath lab check ${r.name}   podpath lab down ${r.name}`,
        '',
      ].join('\n');
    case 'exec':
      return `${r.stdout}${r.stderr}`;
    case 'check': {
      const out = [`lab ${r.name}: ${r.flows.length} flows, ${r.agreed} agree, ${r.disagreed} disagree, ${r.skipped} skipped (model unknown)`, ''];
      for (const f of r.flows) {
        const mark = f.agree === 'skipped' ? 'skip' : f.agree ? 'ok  ' : 'DIFF';
        out.push(`${mark}  ${f.flow}`, `      model: ${f.model}   kernel: ${f.kernel}`);
        if (f.agree === false) {
          if (f.trace) out.push(`      model says: ${f.trace.reason}`, ...f.trace.forward.map((h) => hopLine(h)), ...(f.trace.reply ?? []).map((h) => hopLine(h, 'reply ')));
          if (f.evidence) out.push(...f.evidence.split('\n').map((l) => `      ${l}`));
        }
      }
      out.push('');
      return out.join('\n');
    }
    case 'down':
    case 'gc':
      return [
        `${r.action === 'gc' ? `lab gc${r.labs?.length ? ` (labs: ${r.labs.join(', ')})` : ''}` : `lab ${r.name} is down`}: removed ${r.namespaces.length} namespaces, ${r.processes.length} processes, ${r.dirs.length} directories`,
        '',
      ].join('\n');
  }
}

function hopLine(h: Hop, prefix = ''): string {
  const p = h.packetIn;
  const pkt = `${p.src}${p.sport ? `:${p.sport}` : ''} > ${p.dst}${p.dport ? `:${p.dport}` : ''}`;
  return `        ${prefix}${h.kind} ${h.at} ${pkt} ${h.decision}${h.rule ? ` [${h.rule.ref}]` : ''}`;
}
