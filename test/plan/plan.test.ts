import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { plan, routedInUse } from '../../src/plan/plan.js';
import { overlaps, parseCidr } from '../../src/net/prefix.js';
import { seedFile } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);

describe('plan', () => {
  it('keeps the seed pod CIDR and moves the Service CIDR out of the peer VPC, with the reasoning', () => {
    const r = plan(seed, { nodes: 100, podsPerNode: 110 });
    expect(r.pod).toMatchObject({ action: 'keep', cidr: '10.244.0.0/16' });
    expect(r.service).toMatchObject({ action: 'change', current: '10.0.0.0/16', cidr: '100.64.0.0/16' });
    expect(r.service.reasoning.join('\n')).toMatch(/overlaps 10\.0\.0\.0\/16 \(vpc-main block\)/);
    expect(r.dnsServiceIp).toBe('100.64.0.10');
    expect(r.settings.map((s) => s.how).join(' ')).toMatch(/kubeadm.*kops.*eksctl/);
  });

  it('sizes a /24 per node while it holds twice the pods, else the smallest block that does', () => {
    expect(plan(seed, { nodes: 100, podsPerNode: 110 }).perNodeLen).toBe(24);
    expect(plan(seed, { nodes: 100, podsPerNode: 200 }).perNodeLen).toBe(23);
    expect(plan(seed, { nodes: 100, podsPerNode: 8 }).perNodeLen).toBe(24);
  });

  it('steps around on-premises prefixes given by flag', () => {
    const r = plan(seed, { nodes: 10, podsPerNode: 30, onPrem: ['100.64.0.0/10'] });
    expect(r.service.cidr).toBe('10.1.0.0/16');
    expect(r.inUse).toContainEqual({ cidr: '100.64.0.0/10', what: 'on-premises (--on-prem)' });
  });

  it('never proposes a block that overlaps anything routed or the other proposal', () => {
    const block = fc.tuple(fc.constantFrom(10, 100, 172, 192), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 24 }));
    fc.assert(fc.property(fc.array(block, { maxLength: 12 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 250 }), (blocks, nodes, pods) => {
      const onPrem = blocks.map(([a, b, len]) => { const p = parseCidr(`${a}.${b}.0.0/${len}`, { nonAligned: 'mask' }); return `${p.addr >>> 24}.${(p.addr >>> 16) & 255}.${(p.addr >>> 8) & 255}.0/${len}`; });
      let r;
      try { r = plan(seed, { nodes, podsPerNode: pods, onPrem }); } catch { return; }
      const used = routedInUse(seed, onPrem).map((u) => u.prefix);
      for (const p of [r.pod, r.service]) {
        if (!p.cidr || p.action === 'keep') continue;
        expect(used.some((u) => overlaps(u, parseCidr(p.cidr!)))).toBe(false);
      }
      if (r.pod.cidr && r.service.cidr) expect(overlaps(parseCidr(r.pod.cidr), parseCidr(r.service.cidr))).toBe(false);
    }), { numRuns: 60 });
  });
});
