import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGen } from '../../src/cli/commands/gen.js';
import { loadSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld, type RulesetCache } from '../../src/trace/world.js';
import { withoutIptablesLines } from '../../src/fix/what-if.js';
import { withText } from '../../src/model/source.js';

// Node dumps are recognised as equal by the loader's digest (docs/bench.md "Shared rule sets"),
// so a changed text must never be taken for the dump it was edited from.
describe('text digests of node dumps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-digest-'));
  const out = join(dir, 'estate');
  runGen({ vpcs: 6, clusters: 2, nodesPerCluster: 3, services: 4, endpointsPerService: 2, seed: 1, faults: false, out });
  const estate = loadSnapshot(out);
  rmSync(dir, { recursive: true, force: true });

  it('the loader gives equal dumps one digest and different dumps different ones', () => {
    const byDigest = new Map<string, Set<string>>();
    for (const n of estate.nodes) {
      expect(n.iptables?.digest).toMatch(/^[0-9a-f]{64}$/);
      const texts = byDigest.get(n.iptables!.digest!) ?? new Set();
      texts.add(n.iptables!.text);
      byDigest.set(n.iptables!.digest!, texts);
    }
    for (const texts of byDigest.values()) expect(texts.size).toBe(1);
    expect(new Set(estate.nodes.map((n) => n.iptables!.text)).size).toBe(byDigest.size);
  });

  it('an edited dump drops its digest and is parsed anew, also through a shared rule set cache', () => {
    const node = estate.nodes[0]!;
    expect(withText(node.iptables!, 'x').digest).toBeUndefined();
    const cache: RulesetCache = new Map();
    const before = compileWorld(estate, { rulesets: cache }).nodes.get(node.name)!.ruleset;
    const edited = withoutIptablesLines(estate, node.name, /-j KUBE-SERVICES/, 'test');
    const after = compileWorld(edited, { rulesets: cache }).nodes.get(node.name)!.ruleset;
    expect(after).not.toBe(before);
    const jumps = (r: typeof before) => [...r.tables.get('nat')!.chains.values()].flatMap((c) => c.rules).filter((x) => x.target?.name === 'KUBE-SERVICES').length;
    expect(jumps(before)).toBeGreaterThan(0);
    expect(jumps(after)).toBe(0);
    // Nodes sharing the unedited dump keep sharing one parsed rule set.
    const twin = estate.nodes.find((n) => n !== node && n.iptables!.digest === node.iptables!.digest && n.iptables!.file === node.iptables!.file);
    expect(twin).toBeDefined();
    expect(compileWorld(edited, { rulesets: cache }).nodes.get(twin!.name)!.ruleset).toBe(before);
  });
});
