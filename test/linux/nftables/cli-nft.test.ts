/** `podpath nft check|trace`: parse output, a traced flow with its deciding rules, iptables and nft together, bad input in one line. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../helpers/run-cli.js';
import { corpus } from '../../helpers/estates.js';

const V4 = join(corpus, 'kube-proxy-nft-tests/01-TestTracePacketV4.nft');
const V6 = join(corpus, 'kube-proxy-nft-tests/02-TestTracePacketV6.nft');
const tmp = mkdtempSync(join(tmpdir(), 'ppnftcli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('podpath nft check', () => {
  it('lists tables and base chains with hook and priority', async () => {
    const r = await run('nft', 'check', V4);
    expect(r.code).toBe(0);
    expect(r.out).toContain('1 table(s), 30 chains, 52 rules');
    expect(r.out).toMatch(/nat-prerouting \(nat hook prerouting priority -100\)/);
  });
  it('sets ip6 tables aside for IPv4 traces and lists their IPv6 NAT as not modelled', async () => {
    const r = await run('nft', 'check', V6, '-o', 'json');
    const rep = JSON.parse(r.out);
    expect(rep.diagnostics[0].message).toContain('table ip6 kube-proxy: read and set aside');
    expect(rep.unknown.map((u: { construct: string }) => u.construct)).toContain('dnat to [fd00:10:180::1]:80 (IPv6)');
  });
  it('refuses bad input in one line with file:line', async () => {
    const bad = join(tmp, 'bad.nft');
    writeFileSync(bad, 'table ip t {\n  chain c {\n    jump nowhere\n  }\n}\n');
    const r = await run('nft', 'check', bad);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`podpath: ${bad}:3: jump to undefined chain nowhere in table ip t`);
  });
});

describe('podpath nft trace', () => {
  it('names the reject-chain rule that rejects a Service without endpoints', async () => {
    const r = await run('nft', 'trace', V4, '--src', '10.0.0.2', '--dst', '172.30.0.46:80', '--in', 'eth1', '--out', 'eth0', '--addr', 'eth0=192.168.0.2/24');
    expect(r.code).toBe(1);
    expect(r.out).toContain(`rejected in FORWARD by ${V4}:51 reject`);
  });
  it('walks iptables mangle before an nft chain at mangle + 10 and after one at mangle - 10', async () => {
    const ipt = join(tmp, 'iptables-save.txt');
    writeFileSync(ipt, '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i eth1 -j MARK --set-xmark 0x80/0x80\nCOMMIT\n');
    const nft = join(tmp, 'rules.nft');
    writeFileSync(nft, 'table ip t {\n  chain early { type filter hook prerouting priority mangle - 10; meta mark 0x80 drop; }\n  chain late { type filter hook prerouting priority mangle + 10; meta mark 0x80 drop; }\n}\n');
    const r = await run('nft', 'trace', nft, '--iptables', ipt, '--src', '10.0.0.2', '--dst', '10.0.0.9:80', '--in', 'eth1', '--out', 'eth0', '-o', 'json');
    const rep = JSON.parse(r.out);
    expect(r.code).toBe(1);
    const tables = rep.branches[0].hooks[0].tables.map((t: { table: string; chain: string; verdict: string }) => `${t.table}/${t.chain}:${t.verdict}`);
    expect(tables).toEqual(['nft ip t/early (priority -160):ACCEPT', 'mangle/PREROUTING:ACCEPT', 'nft ip t/late (priority -140):DROP']);
    expect(rep.branches[0].reason).toBe(`dropped in PREROUTING by ${nft}:3 meta mark 0x80 drop`);
  });
});
