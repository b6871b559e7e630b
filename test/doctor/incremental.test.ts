import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGen } from '../../src/cli/commands/gen.js';
import { loadSnapshot } from '../../src/ingest/snapshot/load.js';
import type { Estate } from '../../src/model/estate.js';
import { doctorEdges, doctorWorld } from '../../src/doctor/doctor.js';
import { tracePairs } from '../../src/doctor/pairs.js';
import { applyChange, IncrementalCheck, type EstateChange } from '../../src/doctor/incremental.js';
import type { PairResult } from '../../src/doctor/types.js';

// A small generated estate (peerings, a TGW, NACLs, kube-proxy dumps); the random changes break it.
const dir = mkdtempSync(join(tmpdir(), 'podpath-incr-'));
runGen({ vpcs: 10, clusters: 3, nodesPerCluster: 2, services: 3, endpointsPerService: 2, seed: 2, faults: false, out: join(dir, 'e') });
const base = loadSnapshot(join(dir, 'e'));
rmSync(dir, { recursive: true, force: true });

/** What doctor traces on the estate, from scratch. */
function full(e: Estate): PairResult[] {
  const { world, sources, destinations } = doctorWorld(e);
  return tracePairs(world, sources, destinations, doctorEdges(world));
}

/** The first pair that differs (its key and both JSON forms), or undefined when the lists are equal. */
function firstDifference(got: PairResult[], want: PairResult[]): string | undefined {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const [a, b] = [JSON.stringify(got[i]), JSON.stringify(want[i])];
    if (a !== b) return `pair ${i} (${got[i]?.key ?? '-'} / ${want[i]?.key ?? '-'}): verdicts ${got[i]?.verdict} / ${want[i]?.verdict}`;
  }
  return undefined;
}

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length]!;

/** A change valid on `e`, chosen by the numbers (existing prefixes mostly, sometimes a new one). */
function changeOf(e: Estate, [kind, a, b, c]: [number, number, number, number]): EstateChange {
  const cidrs = [...e.routeTables.flatMap((t) => t.routes.map((r) => r.destination)), ...e.subnets.map((s) => s.cidr), '198.51.100.0/24'];
  const cidr = pick(cidrs, b);
  const groupNodes = e.nodes.filter((n) => n.name.startsWith(pick(['c0-', 'c1-', 'c2-'], a)));
  switch (kind % 8) {
    case 0: {
      const t = pick(e.routeTables, a);
      const targets = [...new Set(e.routeTables.flatMap((x) => x.routes.map((r) => r.target)).filter((x) => x !== 'local' && !x.startsWith('i-')))];
      return { kind: 'route', table: t.id, op: 'add', route: { destination: cidr, target: pick(targets, c) } };
    }
    case 1: {
      const t = pick(e.routeTables.filter((x) => x.routes.length > 0), a);
      return { kind: 'route', table: t.id, op: 'remove', route: pick(t.routes, c) };
    }
    case 2:
      return { kind: 'sg-rule', group: pick(e.securityGroups, a).id, direction: pick(['ingress', 'egress'] as const, c), op: 'add', rule: { proto: 'tcp', ports: { from: 443, to: 443 }, cidr } };
    case 3: {
      const g = pick(e.securityGroups.filter((x) => x.ingress.length > 0), a);
      return { kind: 'sg-rule', group: g.id, direction: 'ingress', op: 'remove', rule: pick(g.ingress, c) };
    }
    case 4:
      return { kind: 'nacl-rule', acl: pick(e.networkAcls, a).id, direction: pick(['ingress', 'egress'] as const, c), op: 'add', rule: { rule: 1 + (c % 50), proto: 'all', cidr, action: pick(['allow', 'deny'] as const, b) } };
    case 5: {
      const acl = pick(e.networkAcls.filter((x) => x.ingress.length > 0), a);
      return { kind: 'nacl-rule', acl: acl.id, direction: 'ingress', op: 'remove', rule: pick(acl.ingress, c) };
    }
    default: {
      // A whole node group (its classes stay whole), or now and then one node of it (its classes split).
      const nodes = c % 5 === 0 ? [groupNodes[0]!.name] : groupNodes.map((n) => n.name);
      // nat rules name the pod CIDR (already a nat-rule prefix) or a prefix new to nat rules (classes may change).
      const natPrefix = b % 3 === 0 ? cidr : e.cluster!.podCidr!;
      const insert = c % 2 === 0
        ? { table: 'filter' as const, chain: 'FORWARD', rule: `-d ${cidr} -j DROP`, label: 'test-insert', position: 1 }
        : { table: 'nat' as const, chain: 'POSTROUTING', rule: `-s ${natPrefix} -o eth0 -j RETURN`, label: 'test-insert', position: 1 };
      return { kind: 'iptables', nodes, insert };
    }
  }
}

describe('incremental re-check', () => {
  it('gives what doctor traces from scratch, after every change of random sequences', () => {
    const incremental = new Map<string, number>();
    let retraced = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }), (steps) => {
        const check = new IncrementalCheck(base);
        let ref = base;
        for (const step of steps) {
          const change = changeOf(ref, step);
          ref = applyChange(ref, change);
          const r = check.apply(change);
          if (r.mode === 'incremental') {
            incremental.set(change.kind, (incremental.get(change.kind) ?? 0) + 1);
            retraced += r.retraced;
            total += check.pairs().length;
          }
          expect(firstDifference(check.pairs(), full(ref)), JSON.stringify(change)).toBeUndefined();
        }
      }),
      { numRuns: 12, seed: 15 },
    );
    // The point of it: most changes are re-checked incrementally, re-tracing a fraction of the pairs.
    for (const kind of ['route', 'sg-rule', 'nacl-rule', 'iptables']) expect(incremental.get(kind), kind).toBeGreaterThan(1);
    expect(retraced).toBeLessThan(total / 2);
  }, 240_000);

  it('does not change the input estate', () => {
    const before = JSON.stringify(base);
    const check = new IncrementalCheck(base);
    check.apply(changeOf(base, [2, 0, 0, 0]));
    expect(JSON.stringify(base)).toBe(before);
  });

  it('names why it recomputes everything when classes may change', () => {
    const check = new IncrementalCheck(base);
    const t = base.routeTables[0]!;
    const r = check.apply({ kind: 'route', table: t.id, op: 'add', route: { destination: '198.51.100.0/24', target: 'blackhole' } });
    expect(r.mode).toBe('full');
    expect(r.why).toMatch(/198\.51\.100\.0\/24 \(route\) is newly mentioned/);
  });
});
