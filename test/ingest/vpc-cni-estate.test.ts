/**
 * The synthetic VPC CNI snapshot (vpc-cni-estate.ts, which bench/snapshot-scan.ts times at
 * thousands of nodes) loaded end to end: every node's derived rules carry its own VPC's block and
 * every ENI route becomes its owner instance (primary ENI) or stays the ENI (secondary), silently.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { vpcCniNode, writeVpcCniSnapshot } from './vpc-cni-estate.js';

const NODES = 45; // three VPCs: 20 + 20 + 5 nodes

describe(`a synthetic VPC CNI snapshot of ${NODES} nodes`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-vpc-cni-scan-'));
  let load: ReturnType<typeof inspectSnapshot>;
  try {
    writeVpcCniSnapshot(dir, NODES);
    load = inspectSnapshot(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { estate, notes } = load;

  it('derives each node\'s SNAT rules with its own VPC\'s CIDR block', () => {
    expect(estate.nodes).toHaveLength(NODES);
    for (const [i, n] of estate.nodes.entries()) {
      const want = vpcCniNode(i);
      expect(n.name).toBe(want.name);
      expect((n.iptables as { derived: string }).derived).toMatch(new RegExp(`; VPC ${want.vpcCidr.replaceAll('.', '\\.')}[);]`));
    }
    expect(new Set(estate.nodes.map((n) => (n.iptables as { derived: string }).derived.match(/; VPC ([^);]*)[);]/)?.[1])).size).toBe(3);
  });

  it('routes each node\'s /32 to its instance (primary ENI) or its secondary ENI, with no warning', () => {
    const targets = new Map(estate.routeTables.flatMap((t) => (t.routes ?? []).map((r) => [r.destination, r.target] as const)));
    for (let i = 0; i < NODES; i++) expect(targets.get(vpcCniNode(i).route.destination)).toBe(vpcCniNode(i).route.target);
    expect(notes.warnings.map((w) => w.message).filter((m) => m.includes('eni-'))).toEqual([]);
  });
});
