/**
 * The VPC CNI's connmark and ip rule 1024 in a whole trace: the vpc-cni
 * snapshot fixture (derived aws-vpc-cni rules, with their connmark rules) with
 * the ip rules the CNI writes for a pod on a secondary ENI, as `ip rule` prints
 * them. The secondary ENI's table 2 is deliberately not in ip-route.txt: a
 * packet that reached rule 1536 would be `unknown`, so a delivered trace shows
 * rule 1024 took it.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inspectSnapshot } from '../../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../../src/trace/world.js';
import { repoRoot, traceOne } from '../../helpers/estates.js';

const NODE = 'ip-192-168-40-12.eu-west-1.compute.internal';
const RULES = (withFwmark: boolean) => [
  '0:\tfrom all lookup local',
  '512:\tfrom all to 192.168.45.3 lookup main',
  ...(withFwmark ? ['1024:\tfrom all fwmark 0x80/0x80 lookup main'] : []),
  '1536:\tfrom 192.168.45.3 lookup 2',
  '32766:\tfrom all lookup main',
  '32767:\tfrom all lookup default',
  '',
].join('\n');

function worldWith(rules: string) {
  const copy = mkdtempSync(join(tmpdir(), 'podpath-vpccni-'));
  try {
    cpSync(join(repoRoot, 'test/fixtures/snapshots/vpc-cni'), copy, { recursive: true });
    writeFileSync(join(copy, 'nodes', NODE, 'ip-rule.txt'), rules);
    return compileWorld(inspectSnapshot(copy).estate);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe('a secondary-ENI pod to a peered database (outside the VPC)', () => {
  it('gets ctmark and mark 0x80 from AWS-CONNMARK-CHAIN-0, so rule 1024 routes it by the main table, SNATed to the node; the reply comes back', () => {
    const t = traceOne(worldWith(RULES(true)), { src: 'pod:kube-system/coredns-7db6', dst: 'rds:billing-db' });
    expect(t.verdict).toBe('delivered');
    const pre = t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.notes.join(' ')).toMatch(/AWS-CONNMARK-CHAIN-0/);
    const route = t.forward.find((h) => h.kind === 'node-route')!;
    expect(route.notes.join(' ')).toMatch(/ip rule 1024: from all fwmark 0x80\/0x80 lookup main/);
    expect(t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'POSTROUTING')!.packetOut?.src).toBe('192.168.40.12');
    expect(t.reply?.length).toBeGreaterThan(0);
  });

  it('without rule 1024 the pod\'s own rule 1536 decides (table 2 is not in the snapshot: unknown, naming it)', () => {
    const t = traceOne(worldWith(RULES(false)), { src: 'pod:kube-system/coredns-7db6', dst: 'rds:billing-db' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toContain('ip rule 1536 looks up table 2');
  });
});
