/** Snapshot folders with other addresses and ids than the seed: AWS VPC CNI + NAT gateway + peering, and a transit gateway. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { deriveNatRules } from '../../src/k8s/profiles/index.js';
import { compileWorld } from '../../src/trace/world.js';
import { repoRoot, traceOne } from '../helpers/estates.js';

const dir = (name: string) => join(repoRoot, 'test/fixtures/snapshots', name);

describe('AWS VPC CNI snapshot (pods on VPC addresses, aws-node env, NAT gateway)', () => {
  const { estate, notes } = inspectSnapshot(dir('vpc-cni'));
  const w = compileWorld(estate);
  const node = 'ip-192-168-40-12.eu-west-1.compute.internal';

  it('derives the node SNAT rules from the aws-node DaemonSet env and marks them derived', () => {
    expect(notes.derived.map((d) => d.what)).toContain(`node ${node} nat rules`);
    expect(estate.nodes[0]!.iptables?.derived).toMatch(/aws-vpc-cni .*EXTERNALSNAT=false/);
    expect(estate.instances[0]!.secondaryIps).toEqual(['192.168.41.7', '192.168.45.3']);
  });

  it('SNATs a pod to the node address for a peered VPC (outside the VPC CIDR) and gets the reply back', () => {
    const t = traceOne(w, { src: 'pod:shop/checkout-6c9d', dst: 'rds:billing-db' });
    expect(t.verdict).toBe('delivered');
    const post = t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'POSTROUTING')!;
    expect(post.packetOut?.src).toBe('192.168.40.12');
    expect(post.notes.join(' ')).toMatch(/derived from profile aws-vpc-cni/);
  });

  it('reads the node\'s ip-rule.txt: a pod policy-routed to a table the snapshot lacks is unknown, naming the rule; others are unaffected', () => {
    const copy = mkdtempSync(join(tmpdir(), 'podpath-snap-'));
    try {
      cpSync(dir('vpc-cni'), copy, { recursive: true });
      const nodeDir = join(copy, 'nodes', node);
      mkdirSync(nodeDir, { recursive: true });
      // The VPC CNI's rules for a pod on a secondary ENI (table 2), as `ip rule` prints them.
      writeFileSync(join(nodeDir, 'ip-rule.txt'), '0:\tfrom all lookup local\n512:\tfrom all to 192.168.45.3 lookup main\n1536:\tfrom 192.168.45.3 lookup 2\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n');
      const snap = inspectSnapshot(copy);
      expect(snap.notes.ignored.map((i) => i.what).join(' ')).not.toContain('ip-rule.txt');
      const world = compileWorld(snap.estate);
      const t = traceOne(world, { src: 'pod:kube-system/coredns-7db6', dst: 'rds:billing-db' });
      expect(t.verdict).toBe('unknown');
      expect(t.reason).toContain('ip rule 1536 looks up table 2');
      expect(t.decidingRule?.ref).toBe(`${join(copy, 'nodes', node, 'ip-rule.txt')}:3`);
      expect(traceOne(world, { src: 'pod:shop/checkout-6c9d', dst: 'rds:billing-db' }).verdict).toBe('delivered');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('delivers pod to pod on the node over their veths without NAT', () => {
    const t = traceOne(w, { src: 'pod:shop/checkout-6c9d', dst: '192.168.45.3:53' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.at(-1)).toMatchObject({ kind: 'pod', at: 'kube-system/coredns-7db6', packetIn: { src: '192.168.41.7' } });
  });

  it('reaches the internet through the NAT gateway, which the reply un-NATs on the way back', () => {
    const t = traceOne(w, { src: 'pod:shop/checkout-6c9d', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('delivered');
    const natOut = t.forward.find((h) => h.kind === 'nat-gateway')!;
    expect(natOut).toMatchObject({ decision: 'nat', packetIn: { src: '192.168.40.12' }, packetOut: { src: '192.168.12.34' } });
    expect(t.forward.find((h) => h.kind === 'igw')?.packetOut?.src).toBe('203.0.113.77');
    const natBack = t.reply!.find((h) => h.kind === 'nat-gateway')!;
    expect(natBack).toMatchObject({ packetIn: { dst: '192.168.12.34' }, packetOut: { dst: '192.168.40.12' } });
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'pod', packetIn: { dst: '192.168.41.7' } });
  });

  it('with AWS_VPC_K8S_CNI_EXTERNALSNAT=true the pod address reaches the NAT gateway untranslated (the peering still carries it: it is a VPC address)', () => {
    const rules = deriveNatRules({ kind: 'aws-vpc-cni', vpcCidrs: ['192.168.0.0/16'], nodeIp: '192.168.40.12', externalSnat: true });
    const external = { ...estate, nodes: estate.nodes.map((n) => ({ ...n, iptables: { text: rules.text, file: 'external-snat', derived: rules.derived } })) };
    const w2 = compileWorld(external);
    expect(traceOne(w2, { src: 'pod:shop/checkout-6c9d', dst: '93.184.216.34:443' }).forward.find((h) => h.kind === 'nat-gateway')?.packetIn.src).toBe('192.168.41.7');
    expect(traceOne(w2, { src: 'pod:shop/checkout-6c9d', dst: 'rds:billing-db' }).verdict).toBe('delivered');
  });
});

describe('transit gateway snapshot (kubenet cluster VPC and a data VPC)', () => {
  const { estate } = inspectSnapshot(dir('transit-gateway'));
  const w = compileWorld(estate);

  it('reads attachments, their association, propagations and static routes', () => {
    const tgw = estate.transitGateways[0]!;
    expect(tgw.attachments.map((a) => [a.vpc, a.routeTable, a.subnets.length])).toEqual([
      ['vpc-0d1e2f3a4b5c6d7e8', 'tgw-rtb-0c1d2e3f4a5b6c7d8', 1],
      ['vpc-0e2f3a4b5c6d7e8f9', 'tgw-rtb-0c1d2e3f4a5b6c7d8', 1],
    ]);
    expect(tgw.routeTables[0]!.propagations).toHaveLength(2);
    expect(tgw.routeTables[0]!.routes).toContainEqual({ destination: '10.30.9.0/24', blackhole: true });
  });

  it('carries masqueraded pod traffic to RDS through the transit gateway both ways', () => {
    const t = traceOne(w, { src: 'pod:orders/api-5f7c', dst: 'rds:orders-db' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.find((h) => h.kind === 'tgw')).toMatchObject({ decision: 'forward', routeTable: 'tgw-rtb-0c1d2e3f4a5b6c7d8', rule: { ref: 'tgw-rtb-0c1d2e3f4a5b6c7d8#10.30.0.0/16' } });
    expect(t.reply!.find((h) => h.kind === 'tgw')?.rule?.ref).toBe('tgw-rtb-0c1d2e3f4a5b6c7d8#10.20.0.0/16');
  });

  it('drops traffic at a blackhole route of the transit gateway route table', () => {
    const t = traceOne(w, { src: 'pod:orders/api-5f7c', dst: '10.30.9.10:22' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('tgw-rtb-0c1d2e3f4a5b6c7d8#10.30.9.0/24');
  });

  it('has no route from the data VPC to the pod CIDR: its route table sends only 10.20/16 to the gateway', () => {
    const t = traceOne(w, { src: 'instance:i-0abcabcabcabcabc1', dst: '100.96.1.12:80' });
    expect(t.verdict).toBe('no-route');
    expect(t.decidingRule?.ref).toBe('rtb-0e1e2e3e4e5e6e7e8');
  });
});
