/**
 * A snapshot node with a native nftables ruleset (nodes/<node>/nft-ruleset.{json,txt}):
 * its base chains run in the whole trace between the node's iptables tables by
 * priority. On the vpc-cni fixture (a secondary-ENI pod to a peered database,
 * routed by `ip rule 1024 fwmark 0x80/0x80 lookup main` after the VPC CNI's
 * nat PREROUTING rules set the 0x80 connmark and mark): a native chain that clears
 * bit 0x80 after them (priority dstnat + 1) sends the packet to rule 1536's
 * table 2 instead, one before (mangle - 1) changes nothing; a native
 * drop rule decides and is cited by file:line (text) or handle (JSON).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inspectSnapshot } from '../../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../../src/trace/world.js';
import { repoRoot, traceOne } from '../../helpers/estates.js';

const NODE = 'ip-192-168-40-12.eu-west-1.compute.internal';
const RULES = ['0:\tfrom all lookup local', '512:\tfrom all to 192.168.45.3 lookup main', '1024:\tfrom all fwmark 0x80/0x80 lookup main', '1536:\tfrom 192.168.45.3 lookup 2', '32766:\tfrom all lookup main', '32767:\tfrom all lookup default', ''].join('\n');

function traceWith(files: Record<string, string>) {
  const copy = mkdtempSync(join(tmpdir(), 'podpath-nftsnap-'));
  try {
    cpSync(join(repoRoot, 'test/fixtures/snapshots/vpc-cni'), copy, { recursive: true });
    writeFileSync(join(copy, 'nodes', NODE, 'ip-rule.txt'), RULES);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(copy, 'nodes', NODE, f), text);
    const load = inspectSnapshot(copy);
    return { trace: traceOne(compileWorld(load.estate), { src: 'pod:kube-system/coredns-7db6', dst: 'rds:billing-db' }), load, copy };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const clearMark = (prio: string) => `table ip cni-native {\n  chain pre {\n    type filter hook prerouting priority ${prio}; policy accept;\n    meta mark set meta mark & 0xffffff7f\n  }\n}\n`;

describe('a native nftables table on a snapshot node', () => {
  it('clearing mark 0x80 after the nat table set it (priority dstnat + 1) loses rule 1024: the pod\'s rule 1536 decides', () => {
    const { trace } = traceWith({ 'nft-ruleset.txt': clearMark('dstnat + 1') });
    expect(trace.verdict).toBe('unknown');
    expect(trace.reason).toContain('ip rule 1536 looks up table 2');
    const pre = trace.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING')!;
    expect(pre.kind === 'node-netfilter' && pre.tables.map((t) => `${t.table}/${t.chain}`)).toEqual(['mangle/PREROUTING', 'nat/PREROUTING', 'nft ip cni-native/pre']);
    expect(pre.notes.join(' ')).toContain('nft-ruleset.txt:4');
  });

  it('the same chain before them (priority mangle - 1) changes nothing: delivered by rule 1024', () => {
    const { trace } = traceWith({ 'nft-ruleset.txt': clearMark('mangle - 1') });
    expect(trace.verdict).toBe('delivered');
    const route = trace.forward.find((h) => h.kind === 'node-route')!;
    expect(route.notes.join(' ')).toMatch(/ip rule 1024/);
  });

  it('a native forward drop decides, cited by its line; nft-ruleset.json is preferred to .txt', () => {
    const drop = 'table inet filter {\n  chain fwd {\n    type filter hook forward priority filter; policy accept;\n    tcp dport 5432 counter drop\n  }\n}\n';
    const { trace } = traceWith({ 'nft-ruleset.txt': drop });
    expect(trace.verdict).toBe('dropped');
    const fwd = trace.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'FORWARD')!;
    expect(fwd.rule?.ref).toMatch(/nodes\/ip-192-168-40-12\.eu-west-1\.compute\.internal\/nft-ruleset\.txt:4$/);
    const json = JSON.stringify({ nftables: [{ table: { family: 'inet', name: 'filter', handle: 1 } }, { chain: { family: 'inet', table: 'filter', name: 'fwd', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } }] });
    const both = traceWith({ 'nft-ruleset.txt': drop, 'nft-ruleset.json': json });
    expect(both.trace.verdict).toBe('delivered');
    expect(both.load.notes.ignored.some((i) => i.what.endsWith('nft-ruleset.txt'))).toBe(true);
  });
});
