/**
 * bench/nft: a kube-proxy nftables-mode ruleset for 2,000 Services x 5
 * endpoints (the chains, maps and rules kube-proxy writes per Service), each
 * figure a ratio against a baseline measured in the same run:
 * - parse: podpath's reader vs `nft -c -f` on the same file in a throwaway
 *   network namespace (needs root and nft; skipped otherwise), in paired
 *   rounds: the median of the per-round ratios. Goal >= 1.0x.
 * - trace: a pod -> ClusterIP walk through the node's hooks (warm) vs a naive
 *   walk of the same Services written as one rule per Service (no verdict map,
 *   as iptables mode does it), paired rounds; wall time and this process's CPU
 *   time (on a machine shared with other work the wall time also counts the
 *   time the process waited for a core). Goal: < 1 ms.
 * Medians over rounds; the machine's speed moves both sides of a ratio alike.
 *
 * Run alone: `npx tsx bench/nft.ts`; `benchNft` is exported for bench/run.ts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseNftText } from '../src/linux/nftables/parse-text.js';
import { walkNodePath } from '../src/linux/iptables/node-path.js';
import type { Ruleset } from '../src/linux/iptables/types.js';
import { parseIpv4 } from '../src/net/ipv4.js';
import { median, type MeasuredFigure } from './figure.js';

const SERVICES = 2000;
const ENDPOINTS = 5;
const ip = (base: number, i: number) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** The ruleset as kube-proxy writes it (`nft -f` form); `naive` writes one dispatch rule per Service instead of the service-ips map. */
export function kubeProxyRuleset(services = SERVICES, endpoints = ENDPOINTS, naive = false): string {
  const L: string[] = ['add table ip kube-proxy', 'add chain ip kube-proxy mark-for-masquerade', 'add chain ip kube-proxy masquerading', 'add chain ip kube-proxy services',
    'add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }', 'add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }',
    'add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }', 'add chain ip kube-proxy endpoints-check',
    'add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000', 'add rule ip kube-proxy masquerading mark and 0x4000 == 0 return',
    'add rule ip kube-proxy masquerading mark set mark xor 0x4000', 'add rule ip kube-proxy masquerading masquerade fully-random',
    'add rule ip kube-proxy nat-prerouting jump services', 'add rule ip kube-proxy nat-postrouting jump masquerading', 'add rule ip kube-proxy filter-forward ct state new jump endpoints-check',
    'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }',
    'add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }',
    'add rule ip kube-proxy endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services'];
  if (!naive) L.push('add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips');
  for (let s = 0; s < services; s++) {
    const svc = `service-${s}-ns/svc/tcp/p80`;
    const cip = ip(172, (30 << 16) + s);
    L.push(`add chain ip kube-proxy ${svc}`);
    const eps: string[] = [];
    for (let e = 0; e < endpoints; e++) {
      const epIp = ip(10, (180 << 16) + s * endpoints + e);
      const ep = `endpoint-${s}-${e}__${epIp}/80`;
      eps.push(`${e} : goto ${ep}`);
      L.push(`add chain ip kube-proxy ${ep}`, `add rule ip kube-proxy ${ep} ip saddr ${epIp} jump mark-for-masquerade`, `add rule ip kube-proxy ${ep} meta l4proto tcp dnat to ${epIp}:80`);
    }
    L.push(`add rule ip kube-proxy ${svc} ip daddr ${cip} tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade`);
    L.push(`add rule ip kube-proxy ${svc} numgen random mod ${endpoints} vmap { ${eps.join(' , ')} }`);
    if (naive) L.push(`add rule ip kube-proxy services ip daddr ${cip} tcp dport 80 goto ${svc}`);
    else L.push(`add element ip kube-proxy service-ips { ${cip} . tcp . 80 : goto ${svc} }`);
  }
  return `${L.join('\n')}\n`;
}

const time = (f: () => void, rounds: number) => median(Array.from({ length: rounds }, () => {
  const t = performance.now();
  f();
  return performance.now() - t;
}));

/**
 * podpath's parse against `nft -c -f` in paired rounds (one of each per round, in a throwaway namespace), so a
 * slow minute of the shared machine slows both sides of a round: medians of each and of the per-round ratios.
 */
function pairedParse(text: string, file: string, rounds: number): { parseMs: number; nftMs: number; ratio: number } | undefined {
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v nft && command -v ip']).status !== 0) return undefined;
  const ns = `ppb${randomBytes(5).toString('hex')}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return undefined;
  try {
    const pairs = Array.from({ length: rounds }, () => {
      const parseMs = time(() => parseNftText(text, file), 1);
      const nftMs = time(() => {
        const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', file], { encoding: 'utf8', timeout: 120_000 });
        if (r.status !== 0) throw new Error(`nft -c -f failed: ${r.stderr}`);
      }, 1);
      return { parseMs, nftMs };
    });
    return { parseMs: median(pairs.map((x) => x.parseMs)), nftMs: median(pairs.map((x) => x.nftMs)), ratio: median(pairs.map((x) => x.nftMs / x.parseMs)) };
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/** The figures for bench/run.ts. */
export async function benchNft(): Promise<MeasuredFigure[]> {
  const text = kubeProxyRuleset();
  const naiveText = kubeProxyRuleset(SERVICES, ENDPOINTS, true);
  const dir = mkdtempSync(join(tmpdir(), 'ppbench-nft-'));
  const out: MeasuredFigure[] = [];
  try {
    const file = join(dir, 'kube-proxy.nft');
    writeFileSync(file, text);
    parseNftText(text, file); // warm
    const parse = pairedParse(text, file, 5);
    if (parse) out.push({ name: `nft parse ${SERVICES} Services x ${ENDPOINTS} endpoints vs nft -c -f (median of 5 paired rounds)`, value: parse.parseMs, unit: 'ms', baseline: parse.nftMs, baselineName: 'nft -c -f', ratio: parse.ratio });
    const rs = parseNftText(text, file);
    const naive = parseNftText(naiveText, 'naive.nft');
    const none: Ruleset = { tables: new Map(), file: 'none' };
    const input = (nft: typeof rs) => ({
      packet: { src: parseIpv4('10.0.0.2'), dst: parseIpv4(ip(172, (30 << 16) + 1500)), proto: 'tcp' as const, sport: 40000, dport: 80 },
      start: { kind: 'arrives' as const, inIface: 'eth1' }, outIface: 'eth0', addresses: [{ iface: 'eth0', addr: parseIpv4('192.168.0.2'), len: 24 }], nft,
    });
    const paths = walkNodePath(none, input(rs));
    if (paths.length !== ENDPOINTS || paths.some((p) => p.end.kind !== 'forwarded')) throw new Error('bench trace: expected one forwarded path per endpoint');
    for (let i = 0; i < 50; i++) {
      walkNodePath(none, input(rs));
      walkNodePath(none, input(naive));
    }
    // 100 traces each, wall and CPU time (this process's: the other agents' load does not count), in paired rounds.
    const sample = (nft: typeof rs) => {
      const wall = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < 100; i++) walkNodePath(none, input(nft));
      const u = process.cpuUsage(cpu);
      return { wallUs: (performance.now() - wall) * 10, cpuUs: (u.user + u.system) / 100 };
    };
    const rounds = Array.from({ length: 9 }, () => ({ a: sample(rs), b: sample(naive) }));
    const fig = (k: 'wallUs' | 'cpuUs', what: string): MeasuredFigure => ({
      name: `nft trace pod -> ClusterIP (warm, ${ENDPOINTS} branches + replies, ${what}) vs a rule per Service`, unit: 'us', baselineName: 'a rule per Service',
      value: median(rounds.map((r) => r.a[k])), baseline: median(rounds.map((r) => r.b[k])), ratio: median(rounds.map((r) => r.b[k] / r.a[k])),
    });
    out.push(fig('wallUs', 'wall'), fig('cpuUs', 'CPU time'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await benchNft()) console.log(`${f.name}: ${f.value.toFixed(2)} ${f.unit}, baseline ${f.baseline.toFixed(2)} ${f.unit}, ratio ${f.ratio.toFixed(2)}x`);
}
