/**
 * Disagreements the lab found in the model's semantics (src/trace), reported
 * to the lead and pinned here: each asserts what the kernel does and what the
 * model says today, on the full outcome class (connected, refused,
 * request-lost, reply-lost). When the model is fixed, the test fails: turn it
 * into an agreement then (and drop the entry of known-gaps.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { checkFlows, type FlowCheck } from '../../src/lab/check.js';
import type { LabState } from '../../src/lab/plan-types.js';
import { copyEstate, withIptablesInsert } from '../../src/fix/what-if.js';
import { seedFile } from '../helpers/estates.js';
import { knownGap } from './known-gaps.js';
import { removeAllLabs, requireRootForLab, up } from './lab-helpers.js';

/**
 * The seed, with ping admitted by the RDS security group, node-2 refusing to
 * route to the database and to node-1 (`unreachable` ip rules) and rejecting
 * tcp/8080 with a TCP reset.
 */
const estate = (() => {
  const reject = { table: 'filter' as const, chain: 'INPUT', rule: '-p tcp -m tcp --dport 8080 -j REJECT --reject-with tcp-reset', label: 'reject 8080' };
  const e = withIptablesInsert(copyEstate(loadEstateFile(seedFile)), ['node-2'], reject);
  e.securityGroups.find((g) => g.id === 'sg-rds')!.ingress.push({ proto: 'icmp', cidr: '172.20.0.0/16' } as never);
  e.nodes.find((n) => n.name === 'node-2')!.ipRules = { text: '0:\tfrom all lookup local\n100:\tfrom all to 10.0.18.52 unreachable\n110:\tfrom all to 172.20.0.23 unreachable\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n' };
  return e;
})();

let lab: LabState;
let checks: FlowCheck[];

beforeAll(async () => {
  requireRootForLab();
  lab = await up(estate, 'gaps');
  checks = await checkFlows(lab, [
    { src: 'rds:prod-db', dst: 'node:node-1', proto: 'tcp', dport: 22, sport: 41000 },
    { src: 'pod:kube-system/kube-dns-v9-x1', dst: '10.0.0.10', proto: 'udp', dport: 53, sport: 41001 },
    { src: 'node:node-1', dst: '172.20.0.2', proto: 'icmp', sport: 41002 },
    { src: 'node:node-1', dst: 'rds:prod-db', proto: 'icmp', sport: 41003 },
    { src: 'node:node-2', dst: 'rds:prod-db', proto: 'tcp', dport: 5432, sport: 41004 },
    { src: 'pod:default/worker-2c4', dst: 'rds:prod-db', proto: 'tcp', dport: 5432, sport: 41005 },
    { src: 'pod:default/worker-2c4', dst: 'rds:prod-db', proto: 'udp', dport: 5432, sport: 41006 },
    { src: 'node:node-1', dst: 'node:node-2', proto: 'tcp', dport: 8080, sport: 41007 },
    { src: 'pod:default/worker-2c4', dst: 'node:node-2', proto: 'tcp', dport: 8080, sport: 41008 },
  ]);
}, 120_000);

afterAll(() => removeAllLabs(), 60_000);

describe('known model gaps (reported)', () => {
  it('agrees (fixed since first found) that the reply to a connection an RDS endpoint opened is delivered', () => {
    expect(checks[0]!.kernel.outcome).toBe('connected');
    expect(checks[0]!.modelVerdict).toBe('delivered');
    expect(checks[0]!.agree).toBe(true);
  });

  it('agrees (fixed since first found) that a pod reaching itself through its Service VIP without masquerade gets no answer (martian source)', () => {
    expect(checks[1]!.kernel).toMatchObject({ result: 'timeout', outcome: 'request-lost', arrivedAt: [] });
    expect(checks[1]!.modelVerdict).toBe('dropped');
    expect(checks[1]!.agree).toBe(true);
  });

  it('agrees (fixed since first found) that a ping to the VPC resolver or to RDS goes unanswered (request-lost, client timeout)', () => {
    for (const c of [checks[2]!, checks[3]!]) {
      expect(c.kernel).toMatchObject({ result: 'timeout', outcome: 'request-lost', arrivedAt: [] });
      expect(c.modelVerdict).toBe('dropped');
      expect(c.traces[0]!.clientSees).toBe('timeout');
      expect(c.agree).toBe(true);
    }
  });

  it("agrees (fixed since first found) that a node's `unreachable` ip rule fails its own connect at once (ENETUNREACH): no-route, client refused", () => {
    const c = checks[4]!;
    expect(c.kernel).toMatchObject({ result: 'unreachable', detail: 'ENETUNREACH', outcome: 'refused', arrivedAt: [] });
    expect(c.modelVerdict).toBe('no-route');
    expect(c.traces[0]!.clientSees).toBe('refused');
    expect(c.agree).toBe(true);
  });

  it("agrees (fixed since first found) that a pod's TCP connect forwarded into that rule gets the node's ICMP unreachable at once", () => {
    const c = checks[5]!;
    expect(c.kernel).toMatchObject({ result: 'unreachable', outcome: 'refused', arrivedAt: [] });
    expect(c.kernel.detail).toMatch(/^E(NET|HOST)UNREACH$/);
    expect(c.modelVerdict).toBe('no-route');
    expect(c.traces[0]!.clientSees).toBe('refused');
    expect(c.agree).toBe(true);
  });

  it('agrees for UDP over the same rule: a UDP socket ignores a net unreachable (not a hard error), so the client times out', () => {
    expect(checks[6]!.kernel).toMatchObject({ result: 'timeout', outcome: 'request-lost', arrivedAt: [] });
    expect(checks[6]!.modelVerdict).toBe('no-route');
    expect(checks[6]!.agree).toBe(true);
  });

  it("gap: node-2's TCP reset to node-1 has no route back (an `unreachable` rule), so node-1 times out; the model says rejected (client refused)", () => {
    const c = checks[7]!;
    expect(c.kernel).toMatchObject({ result: 'timeout', outcome: 'request-lost', arrivedAt: [] });
    expect(c.modelVerdict).toBe('rejected');
    expect(c.traces[0]!.clientSees).toBe('refused');
    expect(knownGap(c, estate)?.id).toBe('refusal-not-routed-back');
  });

  it("agrees where the reset has a way back: node-2's own pod is refused on 8080 (RST)", () => {
    expect(checks[8]!.kernel).toMatchObject({ result: 'refused', detail: 'ECONNREFUSED', outcome: 'refused', arrivedAt: [] });
    expect(checks[8]!.modelVerdict).toBe('rejected');
    expect(checks[8]!.agree).toBe(true);
  });
});
