/**
 * The recorded kube-up estate of corpus/aws/custodian-peer-* (VPC 172.20.0.0/16
 * peered with 10.0.0.0/16; kubenet pod routes blackholed; peering routes missing,
 * then one-way), completed by test/fixtures/snapshots/custodian-peer.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld, type World } from '../../src/trace/world.js';
import { corpus, repoRoot, traceOne } from '../helpers/estates.js';

const complement = join(repoRoot, 'test/fixtures/snapshots/custodian-peer');
const recorded = (name: string) => join(corpus, 'aws', `custodian-peer-${name}.placebo.json`);

function world(routeTables: 'miss-route' | 'one-route'): World {
  const { estate } = inspectSnapshot(complement, [recorded(`${routeTables}.describe-route-tables`), recorded('miss-route.describe-vpc-peering-connections')]);
  return compileWorld(estate);
}

describe('custodian-peer: peering without routes (miss-route)', () => {
  const w = world('miss-route');

  it('derives both VPCs from the local routes and the peering, as the snapshot has no describe-vpcs', () => {
    const { notes } = inspectSnapshot(complement, [recorded('miss-route.describe-route-tables'), recorded('miss-route.describe-vpc-peering-connections')]);
    expect(notes.derived.map((d) => d.what)).toEqual(expect.arrayContaining(['VPC vpc-cb3e8cae (172.20.0.0/16)', 'VPC vpc-1cc8e779 (10.0.0.0/16)']));
    // The S3 gateway endpoint route is kept (unknown when taken); its prefix list's entries are not recorded.
    expect(notes.warnings.some((w) => w.message.includes('vpce-73de3e1a') && w.message.includes('not modelled'))).toBe(true);
    expect(notes.warnings.some((w) => w.message.includes('pl-68a54001'))).toBe(true);
  });

  it('sends node traffic for the peer VPC to the internet gateway, which drops a private destination', () => {
    const t = traceOne(w, { src: 'node:ip-172-20-0-10', dst: '10.0.1.50:5432' });
    expect(t.verdict).toBe('dropped');
    expect(t.forward.find((h) => h.kind === 'route-table')?.rule?.ref).toBe('rtb-e888328d#0.0.0.0/0');
    expect(t.decidingRule?.ref).toBe('igw-5bce113e');
  });

  it('drops pod-to-pod traffic across nodes at the blackholed kubenet pod route', () => {
    const t = traceOne(w, { src: 'pod:default/web-5d8f', dst: '10.244.2.9:80' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('rtb-e888328d#10.244.2.0/24');
  });

  it('drops traffic from the peer VPC to a node for want of a route back over the peering', () => {
    const t = traceOne(w, { src: 'instance:i-0ee55ff66aa77bb88', dst: '172.20.0.10:22' });
    expect(t.verdict).toBe('dropped');
    expect(t.forward.find((h) => h.kind === 'route-table')?.rule?.ref).toBe('rtb-0c91a369#0.0.0.0/0');
  });
});

describe('custodian-peer: one-way peering route (one-route)', () => {
  const w = world('one-route');

  it('delivers node traffic over the peering but loses the reply: the peer subnet routes 172.20/16 to its internet gateway', () => {
    const t = traceOne(w, { src: 'node:ip-172-20-0-10', dst: '10.0.1.50:5432' });
    expect(t.forward.some((h) => h.kind === 'peering' && h.decision === 'forward')).toBe(true);
    expect(t.verdict).toBe('reply-lost');
    expect(t.decidingRule?.ref).toBe('rtb-0c91a369#0.0.0.0/0');
  });

  it('drops un-masqueraded pod traffic at the peering, and names the kubenet rule that did not fire', () => {
    const t = traceOne(w, { src: 'pod:default/web-5d8f', dst: '10.0.1.50:5432' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('pcx-36096b5f');
    const masq = t.contributing.find((c) => c.rule.text.includes('kubenet'));
    expect(masq?.rule.ref).toMatch(/iptables-save\.txt \(derived\):\d+$/);
    expect(t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'POSTROUTING')?.notes.join(' ')).toMatch(/derived from profile kubenet/);
  });
});
