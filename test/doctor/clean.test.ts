import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { doctor } from '../../src/doctor/doctor.js';
import { join } from 'node:path';
import { loadInput } from '../../src/ingest/load.js';
import { fixture, repoRoot } from '../helpers/estates.js';

describe('doctor on estates where nothing is wrong', () => {
  it.each(['peering-clean', 'same-vpc-pods', 'replanned-peering', 'two-subnets-nacl', 'internet-egress'])('reports no finding for %s', (name) => {
    const r = doctor(loadEstateFile(fixture(name)));
    expect(r.findings.map((f) => `${f.key}: ${f.title}`)).toEqual([]);
    expect(r.stats.tracedPairs).toBeGreaterThan(0);
  });

  it('reports no finding for the VPC CNI snapshot: VPC-native pods (stated as an assumption), kube-proxy rules derived next to the CNI\'s, DNS through the ClusterIP', () => {
    const e = loadInput({ snapshot: join(repoRoot, 'test/fixtures/snapshots/vpc-cni') });
    const r = doctor(e);
    expect(r.findings.map((f) => `${f.key}: ${f.title}`)).toEqual([]);
    expect(r.assumptions.some((a) => a.includes('VPC-native pod networking'))).toBe(true);
    const dns = r.pairs.find((p) => p.src.startsWith('pods:') && p.dst === 'dns:10.100.0.10')!;
    expect(dns.verdict).toBe('delivered');
    expect(dns.traces[0]!.forward.some((h) => h.decision === 'nat' && h.packetOut?.dst === '192.168.45.3')).toBe(true);
  });

  it('still traces the pairs that matter in a clean estate: pod -> RDS over the peering is delivered', () => {
    const r = doctor(loadEstateFile(fixture('replanned-peering')));
    expect(r.pairs.filter((p) => p.src.startsWith('pods:') && p.dst === 'rds:prod-db').map((p) => p.verdict)).toEqual(['delivered', 'delivered']);
  });
});

describe('doctor on single faults', () => {
  it('finds the NACL that drops replies to ephemeral ports below 49152', () => {
    const r = doctor(loadEstateFile(fixture('nacl-ephemeral')));
    expect(r.findings.map((f) => f.key)).toEqual(['PP106|acl-db']);
    expect(r.findings[0]!.facts).toMatchObject({ networkAcl: 'acl-db', naclDirection: 'egress', naclCidr: '172.31.0.0/16' });
  });
});
