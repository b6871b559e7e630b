import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { doctor } from '../../src/doctor/doctor.js';
import { withRoute, withoutRoute, withSourceDestCheck } from '../../src/fix/what-if.js';
import { fixture } from '../helpers/estates.js';

const clean = loadEstateFile(fixture('peering-clean'));
const keys = (e: Parameters<typeof doctor>[0]) => doctor(e).findings.map((f) => f.key);

describe('doctor names each single fault added to a clean estate', () => {
  it('a blackhole route toward the database VPC (PP108)', () => {
    const r = doctor(withRoute(clean, 'rtb-k8s', '192.168.0.0/16', 'blackhole'));
    const f = r.findings.find((x) => x.id === 'PP108')!;
    expect(f.key).toBe('PP108|rtb-k8s#192.168.0.0/16');
    expect(f.facts).toMatchObject({ routeTable: 'rtb-k8s', routeDestination: '192.168.0.0/16' });
    expect(f.evidence[0]!.decidingRule?.ref).toBe('rtb-k8s#192.168.0.0/16');
  });

  it('a missing return route in the database VPC (PP108), with where the route back should point', () => {
    const r = doctor(withoutRoute(clean, 'rtb-db', '172.31.0.0/16'));
    const f = r.findings.find((x) => x.id === 'PP108')!;
    expect(f.key).toBe('PP108|return:rtb-db');
    expect(f.facts).toMatchObject({ routeTable: 'rtb-db', sourceCidr: '172.31.0.0/16', routeTarget: 'pcx-1' });
    expect(f.evidence[0]!.verdict).toBe('reply-lost');
  });

  it('a source/dest check left on a node that carries pod traffic (PP107)', () => {
    const r = doctor(withSourceDestCheck(loadEstateFile(fixture('same-vpc-pods')), 'i-n1', true));
    expect(r.findings.map((f) => f.key)).toContain('PP107|eni-of-i-n1');
    expect(r.findings.find((f) => f.id === 'PP107')!.facts.instance).toBe('i-n1');
  });

  it('a route sending a non-peer block into the peering (PP109), with a dropped trace as evidence', () => {
    const r = doctor(withRoute(clean, 'rtb-k8s', '10.99.0.0/16', 'pcx-1'));
    const f = r.findings.find((x) => x.id === 'PP109')!;
    expect(f.key).toBe('PP109|rtb-k8s#10.99.0.0/16');
    expect(f.evidence.some((t) => t.verdict === 'dropped' && t.decidingRule?.ref === 'pcx-1')).toBe(true);
  });

  it('a routed block inside the pod CIDR (PP103)', () => {
    expect(keys(withRoute(clean, 'rtb-k8s', '100.96.128.0/17', 'pcx-1'))).toContain('PP103|100.96.128.0/17');
  });

  it('an unmasqueraded pod source seen by the peer only where the masquerade rule misses it', () => {
    const e = structuredClone(clean);
    e.nodes[0]!.iptables!.text = e.nodes[0]!.iptables!.text.replace('! -d 100.96.0.0/16', '! -d 192.168.0.0/16');
    const r = doctor(e);
    expect(r.findings.map((f) => f.id)).toContain('PP101');
    expect(r.findings.filter((f) => f.id === 'PP101').every((f) => f.pairs.every((p) => p.src.startsWith('pods:')))).toBe(true);
  });
});
