/**
 * iptables figures (run on its own with `npx tsx bench/iptables.ts`; the lead
 * wires it into bench/run.ts), each a ratio against a baseline measured in the
 * same run on the same machine:
 *
 * parse: MB/s of podpath's iptables-save parser on a ~50k-rule kube-proxy dump
 * (3,000 services x 5 endpoints, made by src/k8s/kube-proxy), against the real
 * `iptables-restore --test` reading the same file inside a throwaway network
 * namespace (created and deleted here; skipped unless root with iproute2 and
 * iptables). Goal: ratio >= 1.0x (podpath at least as fast as the kernel tools).
 *
 * trace: walkHook PREROUTING for pod -> ClusterIP packets through those rules
 * (destination-indexed chains) against the naive linear walk (the same walker
 * visiting every rule in order, as a scan of the dump would).
 * Goal: < 1 ms per trace and >= 20x the naive walk.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { kubeProxySaveText, type KubeProxyServicePort } from '../src/k8s/kube-proxy/rules.js';
import { parseIptablesSave } from '../src/linux/iptables/parse.js';
import { walkHook } from '../src/linux/iptables/walk.js';
import type { NetfilterContext } from '../src/linux/iptables/types.js';
import { formatIpv4, parseIpv4 } from '../src/net/ipv4.js';
import type { Packet } from '../src/net/packet.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(fn: () => void, rounds: number): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const SERVICES = 3000;
const ports: KubeProxyServicePort[] = Array.from({ length: SERVICES }, (_, i) => ({
  namespace: 'bench', name: `svc-${i}`, portName: 'http', protocol: 'tcp', clusterIP: formatIpv4(parseIpv4('10.96.0.0') + i), port: 80,
  endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: formatIpv4(parseIpv4('10.244.0.0') + i * 5 + j), port: 8080 })),
}));
const text = kubeProxySaveText(ports, { nodeName: 'bench', clusterCIDR: '10.244.0.0/16' });
const rules = text.split('\n').filter((l) => l.startsWith('-A')).length;
const mb = Buffer.byteLength(text) / 1e6;

// parse
parseIptablesSave({ text }); // warm up the JIT
const parseMs = time(() => parseIptablesSave({ text, file: 'bench' }), 7);
say(`iptables/parse: ${rules} rules, ${mb.toFixed(2)} MB`);
say(`  podpath parse            ${parseMs.toFixed(1).padStart(8)} ms   ${(mb / (parseMs / 1000)).toFixed(1)} MB/s`);

const why = process.getuid?.() !== 0 ? 'not root'
  : ['ip', 'iptables-restore'].find((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
if (why) say(`  iptables-restore --test  skipped (${why === 'not root' ? why : `${why} not installed`})`);
else {
  const ns = `ppo${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-'));
  try {
    if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`ip netns add ${ns} failed`);
    const file = join(dir, 'kube-proxy.iptables-save');
    writeFileSync(file, text);
    const restore = () => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore', '--test', file], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`iptables-restore --test failed: ${r.stderr}`);
    };
    const kernelMs = time(restore, 5);
    const ratio = kernelMs / parseMs;
    say(`  iptables-restore --test  ${kernelMs.toFixed(1).padStart(8)} ms   ${(mb / (kernelMs / 1000)).toFixed(1)} MB/s`);
    say(`  ratio (restore time / podpath time) ${ratio.toFixed(2)}x   goal >= 1.0x: ${ratio >= 1 ? 'met' : 'NOT met'}`);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

// trace
const rs = parseIptablesSave({ text, file: 'bench' }).value;
const nodeAddress = parseIpv4('192.168.1.10');
const ctx: NetfilterContext = { inIface: 'cni0', isLocal: (ip) => ip === nodeAddress, ifaceAddress: () => undefined, ctState: 'NEW' };
const packets: Packet[] = Array.from({ length: 200 }, (_, i) => ({
  src: parseIpv4('10.244.250.1'), dst: parseIpv4('10.96.0.0') + ((i * 7919) % SERVICES), proto: 'tcp', sport: 40000, dport: 80,
}));

/** The naive reference: the same walk visiting every rule in order (no destination index). */
const naive = (p: Packet): number => walkHook(rs, 'PREROUTING', p, ctx, 0, { linear: true }).length;

for (const p of packets) {
  walkHook(rs, 'PREROUTING', p, ctx, 0);
  naive(p);
}
const fastUs = (time(() => { for (const p of packets) walkHook(rs, 'PREROUTING', p, ctx, 0); }, 9) * 1000) / packets.length;
const naiveUs = (time(() => { for (const p of packets) naive(p); }, 5) * 1000) / packets.length;
say(`iptables/trace: pod -> ClusterIP through ${rules} rules (5 DNAT branches each)`);
say(`  walkHook ${fastUs.toFixed(1).padStart(8)} us/trace   naive linear ${naiveUs.toFixed(1).padStart(8)} us/trace   ratio ${(naiveUs / fastUs).toFixed(1)}x   goals <1000 us: ${fastUs < 1000 ? 'met' : 'NOT met'}, >=20x: ${naiveUs / fastUs >= 20 ? 'met' : 'NOT met'}`);
