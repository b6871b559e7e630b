/**
 * Agent figures (run on its own with `npx tsx bench/agent.ts`; bench/run.ts
 * wires `benchAgent`), each a ratio against a baseline measured in the same
 * run on the same machine.
 *
 * agent/reconcile: one sync's computation on a node with ~51k kube-proxy
 * rules (3,000 services x 5 endpoints, src/k8s/kube-proxy) plus the agent's
 * chain: read `iptables-save -t nat` text and reconcile (answer: no change),
 * against the flush-and-rewrite baseline, which reads the whole table and
 * prints it back whole with the agent's chain (what an agent that rewrites
 * the table would hand to iptables-restore). Goal: < 100 ms.
 *
 * agent/apply (root only, in a throwaway network namespace created and
 * deleted here): the agent's `iptables-restore --noflush` payload (its chain
 * rewritten) against restoring the whole nat table (flush and rewrite).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { kubeProxySaveText, type KubeProxyServicePort } from '../src/k8s/kube-proxy/rules.js';
import { parseIptablesSave } from '../src/linux/iptables/parse.js';
import { serializeRuleset } from '../src/linux/iptables/serialize.js';
import { formatIpv4, parseIpv4 } from '../src/net/ipv4.js';
import { defaultConfig, desiredChain, desiredJumps, readNatTable, reconcile, DEFAULT_FLAGS } from '../src/k8s/masq-agent/index.js';
import type { MeasuredFigure } from './figure.js';

function median(fn: () => void, rounds: number): number {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** A node's `iptables-save -t nat` with ~51k kube-proxy rules (nat part) and the agent installed. */
function bigNode() {
  const ports: KubeProxyServicePort[] = Array.from({ length: 3000 }, (_, i) => ({
    namespace: 'bench', name: `svc-${i}`, portName: 'http', protocol: 'tcp', clusterIP: formatIpv4(parseIpv4('10.96.0.0') + i), port: 80,
    endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: formatIpv4(parseIpv4('10.244.0.0') + i * 5 + j), port: 8080 })),
  }));
  const spec = { config: { ...defaultConfig(), masqueradeCIDRs: ['10.0.0.0/16'] }, flags: DEFAULT_FLAGS };
  const full = kubeProxySaveText(ports, { nodeName: 'bench', clusterCIDR: '10.244.0.0/16' });
  const nat = full.slice(full.indexOf('*nat'));
  const withAgent = nat.replace('\nCOMMIT', `\n:PODPATH-MASQ-AGENT - [0:0]\n${desiredJumps(spec).join('\n')}\n${desiredChain(spec).join('\n')}\nCOMMIT`);
  return { full, nat, withAgent, spec, rules: full.split('\n').filter((l) => l.startsWith('-A')).length };
}

/** The agent's figures. */
export async function benchAgent(): Promise<MeasuredFigure[]> {
  const { full, nat, withAgent, spec, rules } = bigNode();
  const ours = () => {
    const r = reconcile(spec, readNatTable(withAgent));
    if (r.payload !== undefined) throw new Error('bench: expected no change');
  };
  const rewrite = () => serializeRuleset(parseIptablesSave({ text: withAgent, file: 'bench' }).value);
  ours();
  rewrite();
  const value = median(ours, 9);
  const baseline = median(rewrite, 3);
  const figures: MeasuredFigure[] = [{ name: `agent/reconcile (${rules} rules, no change)`, value, unit: 'ms', baseline, baselineName: 'parse + serialise the whole table (flush + rewrite)', ratio: baseline / value }];
  const apply = kernelApply(full, nat, spec);
  if (apply) figures.push(apply);
  return figures;
}

function kernelApply(full: string, nat: string, spec: Parameters<typeof reconcile>[0]): MeasuredFigure | undefined {
  if (process.getuid?.() !== 0 || spawnSync('ip', ['-V']).status !== 0) return undefined;
  const ns = `ppagbench-${randomBytes(3).toString('hex')}`;
  const run = (argv: string[], input?: string) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { input, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  };
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return undefined;
  try {
    run(['iptables-restore'], full);
    const payload = reconcile(spec, readNatTable(nat)).payload!;
    const rewritten = nat.replace('\nCOMMIT', `\n:PODPATH-MASQ-AGENT - [0:0]\n${desiredJumps(spec).join('\n')}\n${desiredChain(spec).join('\n')}\nCOMMIT`);
    const value = median(() => run(['iptables-restore', '--noflush', '-w', '5'], payload), 3);
    const baseline = median(() => run(['iptables-restore', '-w', '5', '-T', 'nat'], rewritten), 1);
    return { name: 'agent/apply (iptables-restore --noflush, own chain)', value, unit: 'ms', baseline, baselineName: 'iptables-restore -T nat of the whole table', ratio: baseline / value };
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await benchAgent()) {
    console.log(`${f.name}: ${f.value.toFixed(1)} ${f.unit} (${f.ratio.toFixed(1)}x ${f.baseline.toFixed(1)} ${f.unit} baseline)`);
  }
}
