/**
 * aws/amazon-vpc-cni-k8s issue 3872, shaped like the report
 * (examples/nft-vpc-cni-calico-mark): VPC CNI v1.23's native nat-prerouting rule
 * `meta mark set ct mark & 0x80` assigns the whole packet mark, clearing Calico
 * eBPF's 0x01000000, and Calico's forward rule drops the pod's packet; the fix
 * of PR 3875 (two rules per bit) restores only bit 0x80, P' = (P & ~0x80) | (C & 0x80),
 * which is what the kernel's CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80 computes
 * (xt_connmark.c: (P & ~nfmask) ^ (C & ctmask), equal here as the masks are one bit).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/estates.js';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import { walkNodePath } from '../../../src/linux/iptables/node-path.js';
import { walkHookWithNft, type MergedHookOutcome } from '../../../src/linux/nftables/hook.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import { nftUnavailable, openNftNetns, type NftNetns } from './netns-nft.js';

const dir = join(repoRoot, 'examples/nft-vpc-cni-calico-mark');
const read = (f: string) => parseNftText(readFileSync(join(dir, f), 'utf8'), f);
const none = { tables: new Map(), file: 'none' };
const POD = parseIpv4('192.168.45.3');
const trace = (f: string) => walkNodePath(none, {
  packet: { src: POD, dst: parseIpv4('10.60.3.20'), proto: 'tcp', sport: 40000, dport: 5432 },
  start: { kind: 'arrives', inIface: 'eni77c0e2a4b61' }, outIface: 'eth0', addresses: [{ iface: 'eth0', addr: parseIpv4('192.168.40.12'), len: 19 }], mark: 0x01000000, nft: read(f),
});

describe('issue 3872: native connmark restore vs Calico eBPF mark', () => {
  it('as found: nat-prerouting (nft-ruleset.txt:5) clears 0x01000000, Calico\'s rule (line 11) drops in FORWARD', () => {
    const [p] = trace('nft-ruleset.txt');
    expect(p!.end).toEqual({ kind: 'dropped', hook: 'FORWARD' });
    const pre = p!.steps[0]!;
    expect(pre.outcome.mark).toBe(0);
    const fwd = p!.steps[1]!.outcome as MergedHookOutcome;
    const last = fwd.stages.at(-1)!;
    expect(last.kind === 'nft' && last.outcome.ref).toBe('nft-ruleset.txt:11');
  });

  it('fixed: the mark keeps 0x01000000, the packet is forwarded and its reply returns', () => {
    const [p] = trace('nft-ruleset-fixed.txt');
    expect(p!.end.kind).toBe('forwarded');
    expect(p!.steps.map((s) => s.outcome.mark)).toEqual([0x01000000, 0x01000000, 0x01000000]);
    expect(p!.reply?.end.kind).toBe('forwarded');
  });

  it('the fixed rules compute (P & ~0x80) | (C & 0x80) for any packet and connection mark; the original C & 0x80', () => {
    const fixed = read('nft-ruleset-fixed.txt');
    const found = read('nft-ruleset.txt');
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 200; i++) {
      const P = rnd();
      const C = rnd();
      const run = (nft: typeof fixed) => walkHookWithNft(none, nft, 'PREROUTING', { src: POD, dst: parseIpv4('10.60.3.20'), proto: 'tcp', sport: 1, dport: 2 }, {
        isLocal: () => false, ifaceAddress: () => undefined, ctState: 'NEW', connmark: C, inIface: 'eni1',
      }, P)[0]!.mark;
      expect(run(fixed)).toBe((((P & ~0x80) | (C & 0x80)) >>> 0));
      expect(run(found)).toBe((C & 0x80) >>> 0);
    }
  });
});

describe.skipIf(nftUnavailable())('the example rulesets and nft', () => {
  let ns: NftNetns;
  beforeAll(() => (ns = openNftNetns()));
  afterAll(() => ns?.close());
  it.each(['nft-ruleset.txt', 'nft-ruleset-fixed.txt'])('%s passes nft -c -f', (f) => {
    expect(ns.load(join(dir, f), true)).toMatchObject({ ok: true });
  });
});
