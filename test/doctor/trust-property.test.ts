/**
 * Issue 11 as properties over random estates (the lab's generator: VPCs,
 * peerings, routes right/wrong/missing, SGs, NACLs, nodes with random
 * masquerade and FORWARD rules, pods, instances, an RDS):
 * - every undelivered pair of doctor's matrix is covered by a finding;
 * - every PROVEN candidate delivers its finding's flows when they are traced
 *   again, independently of doctor (from their addresses, on the changed
 *   estate, through trace's own synthetic hosts for probe addresses).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { doctor } from '../../src/doctor/doctor.js';
import { candidatesFor } from '../../src/fix/candidates.js';
import { prove } from '../../src/fix/prove.js';
import { compileWorld } from '../../src/trace/world.js';
import { traceFlow } from '../../src/trace/trace.js';
import { withHostsAt } from '../../src/trace/synthetic-hosts.js';
import { arbLabCase } from '../lab/random-estates.js';

const runs = process.env['CI'] ? { numRuns: 80, seed: 1101 } : { numRuns: Number(process.env['PODPATH_RUNS'] ?? 80) };

describe('doctor and fix on random estates', () => {
  it('covers every undelivered pair with a finding, and every PROVEN candidate delivers its flows when re-traced', () => {
    let proven = 0;
    fc.assert(fc.property(arbLabCase, ({ estate }) => {
      const r = doctor(estate);
      for (const p of r.pairs) {
        if (p.verdict === 'delivered') continue;
        expect(r.findings.some((f) => f.pairs.some((q) => q.src === p.src && q.dst === p.dst)), `${p.key} (${p.verdict}) is covered`).toBe(true);
      }
      const byKey = new Map(r.pairs.map((p) => [p.key, p]));
      for (const f of r.findings) {
        for (const c of candidatesFor(estate, f)) {
          if (!prove(estate, r, f, c, doctor).proven) continue;
          proven++;
          const flows = f.pairs.flatMap((q) => byKey.get(`${q.src} -> ${q.dst}`)?.traces.map((t) => t.flow) ?? []);
          const changed = c.apply(estate);
          const { estate: placed } = withHostsAt(changed, flows.flatMap((x) => [x.srcIp, x.dstIp]));
          const w = compileWorld(placed);
          for (const x of flows) {
            const again = traceFlow(w, { src: x.srcIp, dst: x.dport ? `${x.dstIp}:${x.dport}` : x.dstIp, proto: x.proto, ...(x.sport ? { sport: x.sport } : {}) });
            for (const t of again) expect(t.verdict, `${c.title}: ${t.reason}`).toBe('delivered');
          }
        }
      }
    }), runs);
    expect(proven).toBeGreaterThan(0);
  }, 240_000);
});
