import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { doctor } from '../../src/doctor/doctor.js';
import { assertWellFormed } from '../../src/trace/well-formed.js';
import { seedFile, citedLine } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);
const r = doctor(seed);
const byId = (id: string) => r.findings.filter((f) => f.id === id);

describe('doctor on the seed scenario', () => {
  it('reports the masquerade gap toward RDS with the pod traces as evidence and the !10.0.0.0/8 rule as location', () => {
    const f = r.findings.find((x) => x.key === 'PP101|rds:prod-db')!;
    expect(f.severity).toBe('error');
    expect(f.pairs.map((p) => p.src).sort()).toEqual(['pods:node-1', 'pods:node-2']);
    expect(f.evidence[0]!.verdict).toBe('dropped');
    expect(f.evidence[0]!.decidingRule?.ref).toBe('pcx-seed');
    expect('file' in f.location && citedLine({ ref: '', at: f.location, text: '' })).toMatch(/-A POSTROUTING ! -d 10\.0\.0\.0\/8 -o eth0 -j MASQUERADE/);
    expect(f.facts).toMatchObject({ podCidr: '10.244.0.0/16', nodeVpcBlocks: ['172.20.0.0/16'], routedBlocks: ['10.0.0.0/16'], hosts: ['10.0.18.52'] });
  });

  it('finds the same gap toward any host of the peer subnet, traced to a synthetic probe', () => {
    const f = r.findings.find((x) => x.key === 'PP101|subnet:subnet-main-db')!;
    expect(f.evidence[0]!.flow.dstIp).toMatch(/^10\.0\.(1[6-9]|2\d|3[01])\./);
    expect(r.destinations.find((d) => d.key === 'subnet:subnet-main-db')!.synthetic).toBe(true);
  });

  it('reports the Service CIDR overlapping the peer VPC, with a what-if Service hijacking the RDS address', () => {
    const [f] = byId('PP102');
    expect(f!.title).toMatch(/10\.0\.0\.0\/16 overlaps .*10\.0\.0\.0\/16/);
    const hijack = f!.evidence[0]!;
    expect(hijack.flow.dstIp).toBe('10.0.18.52');
    expect(hijack.verdict).toBe('delivered');
    expect(hijack.forward.at(-1)).toMatchObject({ kind: 'pod', direction: 'receive' });
  });

  it('reports the DNS nameserver 10.0.0.10 leaking into the peering, with glibc fallback cost and the resolv.conf line', () => {
    const [f] = byId('PP104');
    expect(f!.key).toBe('PP104|10.0.0.10');
    expect('file' in f!.location && citedLine({ ref: '', at: f!.location, text: '' })).toBe('      nameserver 10.0.0.10');
    expect(f!.message).toMatch(/waits 5 s .* for 10\.0\.0\.10, then asks 172\.20\.0\.2/);
    expect(f!.message).toMatch(/tries 5 names/);
    const missed = f!.evidence.find((t) => t.verdict !== 'delivered')!;
    expect(missed.forward.some((h) => h.kind === 'peering' && h.decision === 'forward')).toBe(true);
    expect(f!.evidence.some((t) => t.flow.dstIp === '172.20.0.2' && t.verdict === 'delivered')).toBe(true);
  });

  it('reports the RDS security group that admits only the node VPC', () => {
    const [f] = byId('PP105');
    expect(f!.facts.securityGroup).toBe('sg-rds');
    expect(f!.message).toMatch(/tcp 5432 from 172\.20\.0\.0\/16/);
    expect(f!.evidence[0]!.contributing.some((c) => c.rule.ref.startsWith('sg-rds'))).toBe(true);
  });

  it('keeps node -> RDS delivered and every evidence trace well formed', () => {
    expect(r.pairs.find((p) => p.key === 'hosts:node-1 -> rds:prod-db')!.verdict).toBe('delivered');
    for (const f of r.findings) {
      expect(f.pairs.length + f.evidence.length).toBeGreaterThan(0);
      f.evidence.forEach(assertWellFormed);
    }
  });

  it('is deterministic and leaves its input unchanged', () => {
    const before = structuredClone(seed);
    const again = doctor(seed);
    expect(again.findings.map((f) => f.key)).toEqual(r.findings.map((f) => f.key));
    expect(seed).toEqual(before);
  });
});
