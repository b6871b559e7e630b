/**
 * Outcome classes: what happened to a flow, on a scale both the model and the
 * kernel can be put on, so `lab check` compares the whole outcome and not
 * only "connected or not".
 *
 * | class          | kernel observation                                           | model verdict           |
 * |----------------|--------------------------------------------------------------|-------------------------|
 * | `connected`    | the client connected / got an answer                         | `delivered`             |
 * | `refused`      | the client failed at once: TCP RST or an ICMP error (port,    | `rejected`              |
 * |                | host or net unreachable, prohibited), or a local error       |                         |
 * | `request-lost` | the client timed out and the request reached no lab host     | `dropped`, `no-route`   |
 * | `reply-lost`   | the client timed out but the request reached a lab host      | `reply-lost`            |
 *
 * The model's `timeout` (reserved for live checks) accepts either timeout
 * class; `unknown` compares nothing. A trace whose client sees `refused`
 * (a node's routing refusal answered at once) is `refused` whatever its
 * verdict. Pure: no I/O.
 */
import type { Trace, Verdict } from '../trace/types.js';

/** One outcome class (see the module header). */
export type OutcomeClass = 'connected' | 'refused' | 'request-lost' | 'reply-lost';

/** What the client process saw: its own words (the probe's result). */
export type ClientResult = 'connected' | 'refused' | 'unreachable' | 'timeout' | 'error';

/** The outcome classes a model verdict allows; undefined for `unknown` (nothing to compare). */
export function expectedClasses(v: Verdict): OutcomeClass[] | undefined {
  switch (v) {
    case 'delivered':
      return ['connected'];
    case 'rejected':
      return ['refused'];
    case 'dropped':
    case 'no-route':
      return ['request-lost'];
    case 'reply-lost':
      return ['reply-lost'];
    case 'timeout':
      return ['request-lost', 'reply-lost'];
    case 'unknown':
      return undefined;
  }
}

/**
 * The classes the model allows for a flow: the union over its traces (a
 * `-m statistic` or multipath fork: the kernel takes one branch);
 * undefined when any branch is `unknown`.
 */
export function modelClasses(traces: readonly Trace[]): OutcomeClass[] | undefined {
  const out = new Set<OutcomeClass>();
  for (const t of traces) {
    const c = expectedClasses(t.verdict);
    if (!c) return undefined;
    // What the client sees decides between a fast failure and a timeout: a node's
    // routing refusal is `no-route` but fails the client at once (trace/explain.ts).
    (t.clientSees === 'refused' ? ['refused' as const] : t.clientSees === 'timeout' && t.verdict === 'rejected' ? ['request-lost' as const] : c).forEach((x) => out.add(x));
  }
  return [...out];
}

/**
 * The kernel's class from the client's result and whether the request
 * reached a lab host (`arrived`: the namespaces whose INPUT counted it).
 * Undefined when the probe itself failed (nothing to compare: a disagreement).
 */
export function kernelClass(client: ClientResult, arrived: readonly string[]): OutcomeClass | undefined {
  switch (client) {
    case 'connected':
      return 'connected';
    case 'refused':
    case 'unreachable':
      return 'refused';
    case 'timeout':
      return arrived.length ? 'reply-lost' : 'request-lost';
    case 'error':
      return undefined;
  }
}
