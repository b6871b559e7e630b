/**
 * iptables figures (run on its own with `npx tsx bench/iptables.ts`; bench/run.ts
 * calls benchIptables), each a ratio against a baseline measured in the
 * same run on the same machine:
 *
 * parse: podpath's iptables-save parser on a ~50k-rule kube-proxy dump (3,000
 * services x 5 endpoints, made by src/k8s/kube-proxy), in a worker thread of its
 * own (bench/iptables-parser.ts: its own heap, as a process reading one dump
 * has), against the real `iptables-restore --test` reading the same file inside
 * a throwaway network namespace (created and deleted here; skipped unless root
 * with iproute2 and iptables), timed in paired rounds, ratio = median of the
 * rounds' ratios. Goal: ratio >= 1.0x (podpath at least as fast as the kernel tools).
 *
 * parse with a ParseCache: an estate's dumps differ in a few lines (each node
 * group's masquerade rule, a node's own port). VARIANTS such variants of the
 * dump parsed through one shared ParseCache, against the same dumps parsed
 * each on its own (CPU time, median of rounds); the cached results are checked
 * to have every rule of the uncached ones.
 *
 * trace: walkHook PREROUTING for pod -> ClusterIP packets through those rules
 * against the naive linear walk: reference-walk.ts, the plain reading of the
 * kernel's traversal (every rule of a chain in order, every match asked
 * through the match registry), which the tests also hold walkHook to.
 * Goal: < 1 ms per trace and >= 20x the naive walk. Also shown: walkHook with
 * its destination index off (same compiled rules and inline checks), which
 * isolates what the index buys. Each walk runs in its own worker thread.
 *
 * node path: walkNodePath, the node part of a trace (PREROUTING, routing,
 * FORWARD, POSTROUTING for the request, then the reply back through conntrack)
 * for the same packets, per trace (one of a packet's 5 statistic branches, as
 * `podpath trace` gives one trace per branch). Goal: < 300 us per trace, warm.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { kubeProxySaveText, type KubeProxyServicePort } from '../src/k8s/kube-proxy/rules.js';
import { parseIptablesSave } from '../src/linux/iptables/parse.js';
import { ParseCache } from '../src/linux/iptables/parse-cache.js';
import { formatIpv4, parseIpv4 } from '../src/net/ipv4.js';
import type { WalkerData } from './iptables-walker.js';
import type { ParserData } from './iptables-parser.js';
import { median, r2, type Figure } from './figure.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

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

// parse: podpath and iptables-restore --test timed in paired rounds (back to back, so a change of
// machine speed on shared cores moves both alike); the ratio is the median of the rounds' ratios.
async function benchParse(figures: Figure[]): Promise<void> {
  // Every chain's rules are read, so the Rules are built as iptables-restore builds its blob (chains build them when read).
  const parser = await startIsolate<ParserData, number>({ module: new URL('./iptables-parser.ts', import.meta.url).href, text });
  try {
    await parseVersusRestore(figures, () => parser.round(undefined));
  } finally {
    await parser.stop();
  }
}

async function parseVersusRestore(figures: Figure[], parse: () => Promise<number>): Promise<void> {
  say(`iptables/parse: ${rules} rules, ${mb.toFixed(2)} MB`);
  const why = process.getuid?.() !== 0 ? 'not root'
    : ['ip', 'iptables-restore'].find((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (why) {
    const samples: number[] = [];
    for (let r = 0; r < 7; r++) samples.push(await parse());
    const parseMs = median(samples);
    say(`  podpath parse            ${parseMs.toFixed(1).padStart(8)} ms   ${(mb / (parseMs / 1000)).toFixed(1)} MB/s`);
    say(`  iptables-restore --test  skipped (${why === 'not root' ? why : `${why} not installed`})`);
    figures.push({ name: 'iptables parse', value: r2(mb / (parseMs / 1000)), unit: 'MB/s', baseline: 'iptables-restore --test (skipped)', ratio: null });
    return;
  }
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
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < 7; r++) {
      const a = await parse();
      const b = time(restore, 1);
      ours.push(a);
      theirs.push(b);
      ratios.push(b / a);
    }
    const parseMs = median(ours);
    const kernelMs = median(theirs);
    const ratio = median(ratios);
    say(`  podpath parse            ${parseMs.toFixed(1).padStart(8)} ms   ${(mb / (parseMs / 1000)).toFixed(1)} MB/s`);
    say(`  iptables-restore --test  ${kernelMs.toFixed(1).padStart(8)} ms   ${(mb / (kernelMs / 1000)).toFixed(1)} MB/s`);
    say(`  ratio (median of 7 paired rounds) ${ratio.toFixed(2)}x   goal >= 1.0x: ${ratio >= 1 ? 'met' : 'NOT met'}`);
    figures.push({ name: 'iptables parse', value: r2(parseMs), unit: 'ms', baseline: `iptables-restore --test ${r2(kernelMs)} ms`, ratio: r2(ratio) });
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

// parse with a shared cache: variants of the dump as a node group's nodes have them.
const VARIANTS = 8;
const variants = Array.from({ length: VARIANTS }, (_, i) => {
  const masq = `-A POSTROUTING ! -d 10.244.0.0/16 -o eth0 -m comment --comment "group-${i}: masquerade leaving the pod network" -j MASQUERADE\nCOMMIT`;
  const port = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport ${9100 + i} -m comment --comment "exporter on node-${i}" -j ACCEPT`;
  return text.replace(/\nCOMMIT(?![\s\S]*\nCOMMIT)/, `\n${masq}`).replace(/^\*filter\n:INPUT ACCEPT \[0:0\]/m, port);
});
const cpuMs = (fn: () => void): number => {
  const a = process.cpuUsage();
  fn();
  const d = process.cpuUsage(a);
  return (d.user + d.system) / 1000;
};
const ruleCount = (rs: ReturnType<typeof parseIptablesSave>['value']): number =>
  [...rs.tables.values()].reduce((n, t) => n + [...t.chains.values()].reduce((k, c) => k + c.rules.length, 0), 0);

function benchParseCache(figures: Figure[]): void {
  const plain: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < 3; r++) {
    let counts: number[] = [];
    plain.push(cpuMs(() => {
      counts = variants.map((t, i) => ruleCount(parseIptablesSave({ text: t, file: `node-${i}` }).value));
    }));
    const cache = new ParseCache();
    let withCache: number[] = [];
    cached.push(cpuMs(() => {
      withCache = variants.map((t, i) => ruleCount(parseIptablesSave({ text: t, file: `node-${i}` }, { cache }).value));
    }));
    if (withCache.join() !== counts.join()) throw new Error(`cached parse lost rules: ${withCache.join()} vs ${counts.join()}`);
  }
  const a = median(plain);
  const b = median(cached);
  say(`iptables/parse-cache: ${VARIANTS} dumps of ${rules} rules differing in 2 lines each (CPU time, median of 3 rounds)`);
  say(`  each parsed on its own         ${a.toFixed(0).padStart(8)} ms`);
  say(`  through one shared ParseCache  ${b.toFixed(0).padStart(8)} ms   ratio ${(a / b).toFixed(1)}x   (${(b / VARIANTS).toFixed(1)} ms per dump, the first one cold)`);
  figures.push({ name: `iptables parse ${VARIANTS} variant dumps (ParseCache)`, value: r2(b), unit: 'ms', baseline: `no cache ${r2(a)} ms`, ratio: r2(a / b) });
}

/**
 * Starts a bench module (`data.module`) in a worker thread of its own (bench/isolate.mjs) and
 * resolves when it says it is warm; `round(message)` resolves with its answer to `message`.
 */
function startIsolate<D extends { module: string }, A>(data: D): Promise<{ round(message: unknown): Promise<A>; stop(): Promise<number> }> {
  const w = new Worker(new URL('./isolate.mjs', import.meta.url), { workerData: data });
  const next = (): Promise<unknown> => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return next().then(() => ({
    round: (message: unknown) => {
      const answer = next() as Promise<A>;
      w.postMessage(message);
      return answer;
    },
    stop: () => w.terminate(),
  }));
}

// trace: each walk in its own isolate, timed in alternating rounds.
type Walk = WalkerData['walk'];
/** Starts a walker (bench/iptables-walker.ts) and resolves when it is warm. */
const startWalker = (walk: Walk) => startIsolate<WalkerData, number>({ module: new URL('./iptables-walker.ts', import.meta.url).href, text, services: SERVICES, walk });

// Passes per round, so that each round runs for some 20-40 ms (short rounds
// measure a thread waking up more than the walk).
const PASSES: Record<Walk, number> = { indexed: 30, 'no-index': 2, reference: 1, 'node-path': 5 };
async function benchWalk(figures: Figure[]): Promise<void> {
const walkers = {
  indexed: await startWalker('indexed'), 'no-index': await startWalker('no-index'), reference: await startWalker('reference'), 'node-path': await startWalker('node-path'),
};
// Paired rounds, each timing the walks back to back, so a change of machine
// speed (shared cores) moves both sides of a ratio alike; medians over rounds.
const samples: Record<Walk, number[]> = { indexed: [], 'no-index': [], reference: [], 'node-path': [] };
const ratios: Record<'reference' | 'no-index', number[]> = { reference: [], 'no-index': [] };
try {
  for (let r = 0; r < 9; r++) {
    for (const w of ['indexed', 'no-index', 'reference', 'node-path'] as const) samples[w].push(await walkers[w].round(PASSES[w]));
    const f = samples.indexed[r]!;
    ratios.reference.push(samples.reference[r]! / f);
    ratios['no-index'].push(samples['no-index'][r]! / f);
    if (process.env.BENCH_VERBOSE) say(`  round ${r}: ${Object.entries(samples).map(([w, s]) => `${w} ${s[r]!.toFixed(1)} us`).join(', ')}`);
  }
} finally {
  for (const w of Object.values(walkers)) await w.stop();
}
const us = (w: Walk): string => `${median(samples[w]).toFixed(1).padStart(7)} us/trace`;
const fastUs = median(samples.indexed);
const ratio = median(ratios.reference);
say(`iptables/trace: pod -> ClusterIP through ${rules} rules (5 DNAT branches each); ratios are medians of paired rounds`);
say(`  walkHook (indexed)        ${us('indexed')}   goal < 1000 us: ${fastUs < 1000 ? 'met' : 'NOT met'}`);
say(`  naive linear walk         ${us('reference')}   ratio ${ratio.toFixed(1)}x   goal >= 20x: ${ratio >= 20 ? 'met' : 'NOT met'}`);
say(`    (the plain reading of the traversal: every rule in order, every match through the registry; src/linux/iptables/reference-walk.ts)`);
say(`  walkHook without index    ${us('no-index')}   ratio ${median(ratios['no-index']).toFixed(1)}x   (what the destination index alone buys)`);
figures.push({ name: 'iptables trace (walkHook)', value: r2(fastUs), unit: 'us/trace', baseline: `naive linear walk ${r2(median(samples.reference))} us`, ratio: r2(ratio) });
// A packet forks into 5 branches at KUBE-SVC's -m statistic rules, and a trace is one branch (`podpath trace` gives one per branch).
const nodeUs = median(samples['node-path']) / 5;
say(`  node path, request + reply ${nodeUs.toFixed(1).padStart(7)} us/trace   goal < 300 us: ${nodeUs < 300 ? 'met' : 'NOT met'}   (walkNodePath: PREROUTING, FORWARD, POSTROUTING, the reply; ${median(samples['node-path']).toFixed(1)} us per packet for its 5 branches)`);
figures.push({ name: 'iptables node path (request + reply)', value: r2(nodeUs), unit: 'us/trace', baseline: 'goal 300 us', ratio: r2(300 / nodeUs) });
}

/** Runs the iptables figures: parse vs iptables-restore --test, indexed walk vs the naive one. */
export async function benchIptables(): Promise<Figure[]> {
  const figures: Figure[] = [];
  await benchParse(figures);
  benchParseCache(figures);
  await benchWalk(figures);
  return figures;
}

if (process.argv[1]?.endsWith('iptables.ts')) await benchIptables();
