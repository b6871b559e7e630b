/**
 * The kernel decides the order of iptables tables and nft base chains at one
 * hook: in a throwaway namespace, iptables mangle OUTPUT marks ICMP 0x80 and an
 * nft table has chains at mangle - 10 and mangle + 10 counting marked ICMP;
 * `ping 127.0.0.1` inside the namespace (loopback only) shows which chain saw
 * the mark. podpath's walk of the same two inputs must agree. A second case:
 * `accept` in an earlier base chain does not stop a later one's `drop`
 * (ping fails in the kernel; podpath says DROP).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import { walkHookWithNft, type MergedHookOutcome } from '../../../src/linux/nftables/hook.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { nftUnavailable } from './netns-nft.js';

const skip = nftUnavailable() ?? (spawnSync('sh', ['-c', 'command -v iptables-restore && command -v ping']).status !== 0 ? 'iptables or ping missing' : undefined);
const NS = `ppk${randomBytes(5).toString('hex')}`;
const sh = (cmd: string, args: string[], input?: string) => spawnSync('ip', ['netns', 'exec', NS, cmd, ...args], { input, encoding: 'utf8', timeout: 20_000 });

const IPTABLES = '*mangle\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p icmp -j MARK --set-xmark 0x80/0x80\nCOMMIT\n';
const NFT = (late: string) => `table ip order {\n  chain early { type filter hook output priority mangle - 10; policy accept; meta l4proto icmp meta mark 0x80 counter accept; }\n  chain late { type filter hook output priority mangle + 10; policy accept; meta l4proto icmp meta mark 0x80 counter ${late}; }\n}\n`;

function kernel(late: string): { early: number; late: number; pingOk: boolean } {
  sh('nft', ['flush', 'ruleset']);
  expect(sh('iptables-restore', [], IPTABLES).status).toBe(0);
  expect(sh('nft', ['-f', '-'], NFT(late)).status).toBe(0);
  const ping = sh('ping', ['-c', '1', '-W', '1', '127.0.0.1']);
  const raw = JSON.parse(sh('nft', ['-j', 'list', 'table', 'ip', 'order']).stdout) as { nftables: { rule?: { chain: string; expr: { counter?: { packets: number } }[] } }[] };
  const count = (chain: string) => raw.nftables.filter((o) => o.rule?.chain === chain).flatMap((o) => o.rule!.expr).find((e) => e.counter)?.counter?.packets ?? -1;
  return { early: count('early'), late: count('late'), pingOk: ping.status === 0 };
}

function podpath(late: string): MergedHookOutcome {
  const rs = parseIptablesSave({ text: IPTABLES, file: 'iptables' }).value;
  const nft = parseNftText(NFT(late), 'order.nft');
  const [o] = walkHookWithNft(rs, nft, 'OUTPUT', { src: 0x7f000001, dst: 0x7f000001, proto: 'icmp', sport: 0, dport: 0 }, {
    isLocal: () => true, ifaceAddress: () => 0x7f000001, ctState: 'NEW', outIface: 'lo',
  }, 0);
  return o!;
}

const matchedIn = (o: MergedHookOutcome, chain: string) => o.stages.some((s) => s.kind === 'nft' && s.outcome.chain.name === chain && (s.outcome.matched.length > 0 || s.outcome.rule !== undefined));

describe.skipIf(skip)('hook order against the kernel', () => {
  beforeAll(() => {
    expect(spawnSync('ip', ['netns', 'add', NS]).status).toBe(0);
    sh('ip', ['link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('an nft chain at mangle - 10 runs before iptables mangle, one at mangle + 10 after it', () => {
    const k = kernel('accept');
    expect(k.pingOk).toBe(true);
    expect(k.early).toBe(0);
    expect(k.late).toBeGreaterThan(0);
    const o = podpath('accept');
    expect(o.verdict).toBe('ACCEPT');
    expect([matchedIn(o, 'early'), matchedIn(o, 'late')]).toEqual([k.early > 0, k.late > 0]);
  });

  it('accept in one base chain does not stop a later base chain\'s drop', () => {
    const k = kernel('drop');
    expect(k.pingOk).toBe(false);
    expect(podpath('drop').verdict).toBe('DROP');
  });
});
