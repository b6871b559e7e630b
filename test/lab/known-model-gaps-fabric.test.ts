/**
 * The known gap `refusal-lost-in-the-fabric` (known-gaps.ts), pinned on the
 * two estates of the nftables differential where the lab found it (replayed
 * from the generator: seed 6006 estate 0, seed 5005 estate 2). What the
 * kernel does and what the model says today; when the model routes a
 * refusal back, this fails: turn it into an agreement and drop the entry.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFlows, type FlowCheck } from '../../src/lab/check.js';
import { teardown } from '../../src/lab/lab.js';
import { knownGap } from './known-gaps.js';
import { removeAllLabs, requireRootForLab, up } from './lab-helpers.js';
import { arbNftLabCase, type LabCase } from './random-estates.js';
import type { LabFlow } from '../../src/lab/check.js';

const replay = (seed: number, index: number): LabCase => fc.sample(arbNftLabCase, { numRuns: index + 1, seed })[index]!;
const blackholed = replay(6006, 0);
const naclDenied = replay(5005, 2);
const checks: FlowCheck[] = [];

async function one(c: LabCase, flow: LabFlow): Promise<FlowCheck> {
  expect(c.flows).toContainEqual(flow);
  const lab = await up(c.estate, 'fabric');
  try {
    return (await checkFlows(lab, [flow]))[0]!;
  } finally {
    teardown(lab);
  }
}

beforeAll(async () => {
  requireRootForLab();
  checks.push(await one(blackholed, { src: 'instance:i-host0', dst: 'node:node-0', proto: 'tcp', dport: 30080, sport: 61006 }));
  checks.push(await one(naclDenied, { src: 'node:node-0', dst: 'rds:db', proto: 'udp', dport: 5432, sport: 2015 }));
}, 180_000);
afterAll(() => removeAllLabs(), 60_000);

describe('known model gap: a refusal lost in the AWS fabric on its way back (reported)', () => {
  it("node-0 rejects the DNATed request (icmp-port-unreachable) but its subnet's route table blackholes the client's VPC: the kernel client times out, the model says refused", () => {
    const c = checks[0]!;
    expect(c.kernel).toMatchObject({ result: 'timeout', outcome: 'request-lost', arrivedAt: [] });
    expect(c.modelVerdict).toBe('rejected');
    expect(c.traces[0]!.clientSees).toBe('refused');
    expect(blackholed.estate.routeTables.find((r) => r.id === 'rtb-1-0')!.routes).toContainEqual(expect.objectContaining({ target: 'blackhole' }));
    expect(knownGap(c, blackholed.estate)?.id).toBe('refusal-lost-in-the-fabric');
  });

  it("RDS refuses UDP (port unreachable) but the NACL of its subnet denies the ICMP error going out: the kernel client times out (the request arrived), the model says refused", () => {
    const c = checks[1]!;
    expect(c.kernel).toMatchObject({ result: 'timeout', outcome: 'reply-lost' });
    expect(c.modelVerdict).toBe('rejected');
    expect(knownGap(c, naclDenied.estate)?.id).toBe('refusal-lost-in-the-fabric');
  });
});
