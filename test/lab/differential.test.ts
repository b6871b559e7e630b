/**
 * Differential test: random estates and flows, each traced by the model and
 * run in the lab by the real kernel; their outcome classes must agree
 * (connected, refused, request-lost, reply-lost: src/lab/outcome.ts). A
 * disagreement fails with both sides: the model's trace, the kernel's
 * counters and conntrack entries, and the fast-check seed to replay it
 * (LAB_SEED=<seed>). A flow that is one of the reported gaps of
 * known-gaps.ts is counted and printed as that gap, not failed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { arbLabCase } from './random-estates.js';
import { removeAllLabs, requireRootForLab } from './lab-helpers.js';
import { runDifferential } from './differential-run.js';

const ESTATES = Number(process.env.LAB_ESTATES ?? 22);
// CI replays a seed that is known to pass, so a landing is never decided by chance;
// elsewhere each run explores new estates (and prints its seed for replay).
const CI_SEED = 556767720;
const seed = process.env.LAB_SEED ? Number(process.env.LAB_SEED) : process.env.CI ? CI_SEED : Date.now() % 2 ** 31;

beforeAll(() => requireRootForLab());
afterAll(() => removeAllLabs(), 60_000);

it(`model and kernel agree on the outcome class of every flow of ${ESTATES} random estates (seed ${seed})`, async ({ annotate }) => {
  const { estates, compared, agreedOn, gaps } = await runDifferential(arbLabCase, { numRuns: ESTATES, seed, name: 'diff' });
  for (const [id, flows] of gaps) await annotate(`known gap ${id}: ${flows.length} flow(s)\n  ${flows.slice(0, 5).join('\n  ')}`);
  await annotate(`agreed on: ${[...agreedOn].map(([k, n]) => `${k} ${n}`).join(', ')}; known gaps: ${[...gaps].map(([k, f]) => `${k} ${f.length}`).join(', ') || 'none'}`);
  expect(estates).toBeGreaterThanOrEqual(Math.min(ESTATES, 20));
  expect(compared).toBeGreaterThanOrEqual(ESTATES >= 20 ? 200 : 1);
  // Every class was compared and agreed on at least once: the full outcome, not only connected or not.
  if (ESTATES >= 20) expect([...agreedOn.keys()].sort()).toEqual(['connected', 'refused', 'reply-lost', 'request-lost']);
}, 600_000);
