/**
 * Disagreements the lab found in the model's semantics (src/trace), reported
 * to the lead and pinned here: each asserts what the kernel does and what the
 * model says today. When the model is fixed, the test fails: turn it into an
 * agreement then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { checkFlows, type FlowCheck } from '../../src/lab/check.js';
import type { LabState } from '../../src/lab/plan-types.js';
import { seedFile } from '../helpers/estates.js';
import { removeAllLabs, requireRootForLab, up } from './lab-helpers.js';

let lab: LabState;
let checks: FlowCheck[];

beforeAll(async () => {
  requireRootForLab();
  lab = await up(loadEstateFile(seedFile), 'gaps');
  checks = await checkFlows(lab, [
    { src: 'rds:prod-db', dst: 'node:node-1', proto: 'tcp', dport: 22, sport: 41000 },
    { src: 'pod:kube-system/kube-dns-v9-x1', dst: '10.0.0.10', proto: 'udp', dport: 53, sport: 41001 },
  ]);
}, 120_000);

afterAll(() => removeAllLabs(), 60_000);

describe('known model gaps (reported)', () => {
  it('agrees (fixed since first found) that the reply to a connection an RDS endpoint opened is delivered', () => {
    expect(checks[0]!.kernel.result).toBe('connected');
    expect(checks[0]!.modelVerdict).toBe('delivered');
  });

  it('agrees (fixed since first found) that a pod reaching itself through its Service VIP without masquerade gets no answer (martian source)', () => {
    expect(checks[1]!.kernel.result).toBe('timeout');
    expect(checks[1]!.modelVerdict).toBe('dropped');
  });
});
