/**
 * The differential loop shared by differential.test.ts and
 * differential-nft.test.ts: each generated estate is built in the lab, its
 * flows run through the model and the kernel, and the outcome classes
 * compared. A disagreement that is not a known gap (known-gaps.ts) fails the
 * property with both sides: the model's hops, the kernel's counters and
 * conntrack entries, and the estate.
 */
import fc from 'fast-check';
import { checkFlows, describeKernel, type FlowCheck } from '../../src/lab/check.js';
import type { OutcomeClass } from '../../src/lab/outcome.js';
import { teardown } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/plan-types.js';
import type { Estate } from '../../src/model/estate.js';
import type { Hop } from '../../src/trace/types.js';
import { knownGap } from './known-gaps.js';
import { up } from './lab-helpers.js';
import type { LabCase } from './random-estates.js';

const hop = (h: Hop) => `    ${h.kind} ${h.at} ${h.packetIn.src}${h.packetIn.sport ? `:${h.packetIn.sport}` : ''} > ${h.packetIn.dst}${h.packetIn.dport ? `:${h.packetIn.dport}` : ''} ${h.decision}${h.rule ? ` [${h.rule.ref}]` : ''} ${h.notes.join('; ')}`;

/** Both sides of a disagreement, for the failure message. */
export function describeMismatch(c: FlowCheck, why = ''): string {
  const t = c.traces[0]!;
  return [
    `DISAGREEMENT ${c.label}: model ${c.modelVerdict} (${(c.modelOutcome ?? []).join(' or ')}), kernel ${describeKernel(c.kernel)}${why ? `: ${why}` : ''}`,
    `  model: ${t.reason}`, '  forward:', ...t.forward.map(hop), ...(t.reply ? ['  reply:', ...t.reply.map(hop)] : []),
    '  kernel:', ...(c.evidence ?? '').split('\n').map((l) => `    ${l}`),
  ].join('\n');
}

/** What a run compared. */
export interface DifferentialStats {
  estates: number;
  compared: number;
  agreedOn: Map<OutcomeClass, number>;
  /** Per known gap id: the flows counted as that gap. */
  gaps: Map<string, string[]>;
}

/**
 * Runs `numRuns` estates of `arb` through lab and model. `extra` may name
 * further disagreements among the agreeing flows (with the lab still up);
 * `seen` sees every checked flow.
 */
export async function runDifferential(
  arb: fc.Arbitrary<LabCase>, opts: { numRuns: number; seed: number; name: string },
  hooks: { extra?: (c: FlowCheck, lab: LabState, estate: Estate) => string | undefined; seen?: (c: FlowCheck, estate: Estate) => void } = {},
): Promise<DifferentialStats> {
  const stats: DifferentialStats = { estates: 0, compared: 0, agreedOn: new Map(), gaps: new Map() };
  await fc.assert(
    fc.asyncProperty(arb, async ({ estate, flows }) => {
      const lab = await up(estate, `${opts.name}${stats.estates++}`);
      try {
        const checks = await checkFlows(lab, flows, 11);
        stats.compared += checks.filter((c) => c.agree !== 'skipped').length;
        for (const c of checks) if (c.agree === true) stats.agreedOn.set(c.kernel.outcome!, (stats.agreedOn.get(c.kernel.outcome!) ?? 0) + 1);
        for (const c of checks) {
          const gap = knownGap(c, estate);
          if (gap) stats.gaps.set(gap.id, [...(stats.gaps.get(gap.id) ?? []), `${c.label}: model ${c.modelVerdict}, kernel ${describeKernel(c.kernel)}`]);
          hooks.seen?.(c, estate);
        }
        const bad = checks.filter((c) => c.agree === false && !knownGap(c, estate)).map((c) => describeMismatch(c));
        for (const c of checks) {
          const why = c.agree === true ? hooks.extra?.(c, lab, estate) : undefined;
          if (why) bad.push(describeMismatch(c, why));
        }
        if (bad.length) throw new Error(`${bad.join('\n\n')}\n\nestate:\n${JSON.stringify(estate)}`);
      } finally {
        teardown(lab);
      }
    }),
    { numRuns: opts.numRuns, seed: opts.seed, endOnFailure: true },
  );
  return stats;
}
