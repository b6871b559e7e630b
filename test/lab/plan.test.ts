/** The lab plan (pure): naming, links, addresses and the rules derived from the estate. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { planLab } from '../../src/lab/plan.js';
import type { LabPlan } from '../../src/lab/plan-types.js';
import { isLabNamespace, newPrefix } from '../../src/lab/state.js';
import { parseCidr, contains } from '../../src/net/prefix.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Estate } from '../../src/model/estate.js';
import { seedFile } from '../helpers/estates.js';
import { arbLabCase } from './random-estates.js';

const seed = loadEstateFile(seedFile);
const linkLocal = parseCidr('169.254.0.0/16');

function estateAddresses(e: Estate): Set<string> {
  const s = new Set<string>();
  for (const i of e.instances) [i.privateIp, ...i.secondaryIps].forEach((a) => s.add(a));
  for (const r of e.rdsInstances) s.add(r.address);
  for (const p of e.pods) if (p.ip) s.add(p.ip);
  for (const n of e.nodes) if (n.bridge) s.add(n.bridge.address);
  return s;
}

/** Invariants every plan keeps (the module header of plan.ts). */
function checkInvariants(e: Estate, plan: LabPlan): void {
  const names = new Set(plan.namespaces.map((n) => n.ns));
  expect(names.size).toBe(plan.namespaces.length);
  for (const n of names) expect(n.startsWith(plan.prefix) && isLabNamespace(n)).toBe(true);
  for (const l of plan.links) {
    expect(names.has(l.a) && names.has(l.b)).toBe(true);
    expect(l.aDev.length).toBeLessThanOrEqual(15);
  }
  const known = estateAddresses(e);
  for (const n of plan.namespaces) {
    for (const line of n.ipBatch) {
      const m = /^address add (\S+)\/(\d+)/.exec(line);
      if (!m) continue;
      const ip = m[1]!;
      const isRouterGateway = n.role === 'router' && ip.endsWith('.1');
      const isResolver = n.role === 'resolver';
      expect(known.has(ip) || contains(linkLocal, parseIpv4(ip)) || isRouterGateway || isResolver, `${n.ns}: ${line}`).toBe(true);
    }
    // No namespace routes toward the root namespace: there is no link to it at all, and no default route out of the lab.
    expect(n.ipBatch.some((l) => / netns 1\b| netns \/proc/.test(l))).toBe(false);
  }
}

describe('the lab plan', () => {
  const plan = planLab(seed, 'ppabc123-');

  it('names every namespace with the run prefix and links only planned namespaces', () => {
    checkInvariants(seed, plan);
    expect(plan.namespaces.map((n) => n.role).sort()).toEqual(['igw', 'igw', 'node', 'node', 'pod', 'pod', 'pod', 'rds', 'resolver', 'resolver', 'router', 'router']);
  });

  it('turns the RDS security group rule into a commented iptables rule in the database VPC router', () => {
    const r1 = plan.namespaces.find((n) => n.role === 'router' && n.ref === 'vpc-main')!;
    expect(r1.iptables).toMatch(/-s 172\.20\.0\.0\/16 -p tcp -m tcp --dport 5432 -m comment --comment "sg-rds#ingress\[0\]" -g IK\d+/);
  });

  it('routes each node pod CIDR to that node and checks peering sources like AWS', () => {
    const r0 = plan.namespaces.find((n) => n.role === 'router' && n.ref === 'vpc-k8s')!;
    expect(r0.ipBatch).toContain('route replace 10.244.1.0/24 via 172.20.0.23 dev e0 onlink table 300');
    expect(r0.iptables).toMatch(/-A Px0S -s 172\.20\.0\.0\/16 -j RETURN/);
    expect(r0.iptables).toMatch(/pcx-seed: source outside vpc-k8s/);
  });

  it('keeps the node iptables dump verbatim and adds inserts as iptables -I', () => {
    const node = plan.namespaces.find((n) => n.ref === 'node-1')!;
    expect(node.iptables).toBe(`${seed.nodes[0]!.iptables!.text}`);
  });

  it('keeps its invariants for random estates', () => {
    fc.assert(fc.property(arbLabCase, ({ estate }) => checkInvariants(estate, planLab(estate, newPrefix()))), { numRuns: 50 });
  });
});
