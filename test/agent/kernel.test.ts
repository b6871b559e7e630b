/**
 * The agent against real iptables, in network namespaces this file creates
 * and removes (prefix ppag<pid>-; nothing is done in the root namespace;
 * HTTP stays inside the test process). Needs root, like the lab tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasqAgent, agentMetrics, commandIptables, pinoLogger, suppressRepeats, IptablesFailed, type IptablesExec } from '../../src/agent/index.js';
import { DEFAULT_FLAGS } from '../../src/k8s/masq-agent/index.js';
import { kubeProxySaveText, type KubeProxyServicePort } from '../../src/k8s/kube-proxy/index.js';
import { formatIpv4, parseIpv4 } from '../../src/net/ipv4.js';
import { FakeConfig } from './fakes.js';
import { run } from '../helpers/run-cli.js';

const PREFIX = `ppag${process.pid}-`;
const made: string[] = [];
const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'podpath-agent-kernel-'));

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}
function netns(name: string): string {
  const ns = `${PREFIX}${name}`;
  sh(['ip', 'netns', 'add', ns]);
  made.push(ns);
  return ns;
}
const inNs = (ns: string, ...argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('the agent kernel tests need root (network namespaces), as the lab tests do');
});
afterAll(() => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(tmp, { recursive: true, force: true });
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(PREFIX));
  expect(left).toEqual([]);
});

const quietLog = () => suppressRepeats(pinoLogger(new Writable({ write: (_c, _e, cb) => cb() }), 'silent'));
function agentIn(iptables: IptablesExec, config: FakeConfig) {
  return new MasqAgent({ flags: DEFAULT_FLAGS }, { iptables, config, log: quietLog(), metrics: agentMetrics() });
}

const SEED = '-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE';
const CONFIG = 'nonMasqueradeCIDRs: [172.20.0.0/16, 10.244.0.0/16]\nmasqueradeCIDRs: [10.0.0.0/16]\n';
const isAgentLine = (l: string) => l.startsWith('#') || l.startsWith(':PODPATH-MASQ-AGENT ') || l.startsWith('-A PODPATH-MASQ-AGENT ') || / -j PODPATH-MASQ-AGENT$/.test(l);
const outside = (save: string) => save.split('\n').filter((l) => !isAgentLine(l));

// iptables-legacy here: iptables-nft-save takes seconds per 50k-rule dump and holds the
// nftables commit lock meanwhile, slowing every other kernel test on the machine.
// The agent runs the same commands on either backend. A lock file of this test only.
describe('agent on a node with ~50k kube-proxy rules (iptables-legacy in a test netns)', () => {
  let ns: string;
  let ipt: IptablesExec;
  let before: string;
  const env = { ...process.env, XTABLES_LOCKFILE: join(tmp, 'big.lock') };
  const legacy = (argv: string[], input?: string) => {
    const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
    return r.stdout;
  };
  const save = () => legacy(inNs(ns, 'iptables-legacy-save'));
  const ports: KubeProxyServicePort[] = Array.from({ length: 3000 }, (_, i) => ({
    namespace: 'k', name: `svc-${i}`, portName: 'http', protocol: 'tcp', clusterIP: formatIpv4(parseIpv4('10.96.0.0') + i), port: 80,
    endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: formatIpv4(parseIpv4('10.244.0.0') + i * 5 + j), port: 8080 })),
  }));

  beforeAll(() => {
    ns = netns('big');
    ipt = commandIptables({ prefix: inNs(ns), save: 'iptables-legacy-save', restore: 'iptables-legacy-restore', waitSeconds: 30, env: { XTABLES_LOCKFILE: env.XTABLES_LOCKFILE } });
    const text = kubeProxySaveText(ports, { nodeName: 'n', clusterCIDR: '10.244.0.0/16' })
      .replace('-A POSTROUTING -m comment --comment "kubernetes postrouting rules"', `${SEED}\n-A POSTROUTING -m comment --comment "kubernetes postrouting rules"`);
    legacy(inNs(ns, 'iptables-legacy-restore'), text);
    before = save();
    expect(before.split('\n').filter((l) => l.startsWith('-A')).length).toBeGreaterThan(50_000);
  }, 120_000);

  it('applies, reports the seed rule as a conflict, and leaves every other line byte for byte', async () => {
    const agent = agentIn(ipt, new FakeConfig(CONFIG));
    const r = await agent.sync();
    expect(r.wrote).toBe(true);
    expect(r.conflicts.map((c) => c.rule.text)).toEqual([SEED]);
    const after = save();
    expect(after.split('\n').filter((l) => l.startsWith('-A PODPATH-MASQ-AGENT'))).toHaveLength(5);
    expect(after).toMatch(/-A POSTROUTING -m comment --comment "podpath-agent: [^"]*" -m addrtype ! --dst-type LOCAL -j PODPATH-MASQ-AGENT\n/);
    expect(outside(after)).toEqual(outside(before));
  }, 120_000);

  it('re-applying is a no-op (nothing written), as the kernel spells the rules', async () => {
    const agent = agentIn(ipt, new FakeConfig(CONFIG));
    const s1 = save();
    const r = await agent.sync();
    expect(r.wrote).toBe(false);
    const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('#'));
    expect(strip(save())).toEqual(strip(s1));
  }, 120_000);

  it('a config change rewrites the chain only; garbage keeps the old rules', async () => {
    const config = new FakeConfig(CONFIG);
    const agent = agentIn(ipt, config);
    await agent.sync();
    config.text = CONFIG.replace('10.244.0.0/16', '10.245.0.0/16');
    expect((await agent.sync()).wrote).toBe(true);
    const changed = save();
    expect(changed).toContain('-A PODPATH-MASQ-AGENT -d 10.245.0.0/16');
    expect(outside(changed)).toEqual(outside(before));
    config.text = 'nonMasqueradeCIDRs: [10.0.0.1/8\n  garbage: {';
    expect((await agent.sync()).wrote).toBe(false);
    expect(save().split('\n').filter((l) => !l.startsWith('#'))).toEqual(changed.split('\n').filter((l) => !l.startsWith('#')));
  }, 120_000);

  it('uninstalls back to the original table', async () => {
    await agentIn(ipt, new FakeConfig(CONFIG)).uninstall();
    const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('#'));
    expect(strip(save())).toEqual(strip(before));
  }, 120_000);
});

describe('the xtables lock (iptables-legacy, a lock file of this test only)', () => {
  it('-w waits for another holder; a short wait fails and leaves the rules as they were', async () => {
    const ns = netns('lock');
    const lock = join(tmp, 'xtables.lock');
    const exec = (wait: number) => commandIptables({ prefix: inNs(ns), save: 'iptables-legacy-save', restore: 'iptables-legacy-restore', waitSeconds: wait, env: { XTABLES_LOCKFILE: lock } });
    const config = new FakeConfig(CONFIG);
    expect((await agentIn(exec(5), config).sync()).wrote).toBe(true);
    const installed = sh(inNs(ns, 'iptables-legacy-save', '-t', 'nat')).replace(/^#.*\n/gm, '');

    // -o: only flock itself holds the lock, so killing its process group releases it
    const holder = spawn('flock', ['-o', lock, 'sleep', '30'], { stdio: 'ignore', detached: true });
    children.push(holder);
    for (let i = 0; i < 100 && spawnSync('flock', ['-n', lock, 'true']).status === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(spawnSync('flock', ['-n', lock, 'true']).status).not.toBe(0);

    config.text = CONFIG.replace('10.244.0.0/16', '10.246.0.0/16');
    const err = await agentIn(exec(1), config).sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IptablesFailed);
    expect((err as IptablesFailed).stderr).toMatch(/xtables lock/);
    expect(sh(inNs(ns, 'iptables-legacy-save', '-t', 'nat')).replace(/^#.*\n/gm, '')).toBe(installed);

    const waiting = agentIn(exec(30), config).sync();
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-holder.pid!, 'SIGKILL');
    expect((await waiting).wrote).toBe(true);
    expect(sh(inNs(ns, 'iptables-legacy-save', '-t', 'nat'))).toContain('-d 10.246.0.0/16');
  }, 60_000);
});

describe('a pod reaches a peered address once the agent runs (the seed, in namespaces)', () => {
  it("the seed's rule stays, is reported, and the peer sees the node's address instead of the pod's", async () => {
    const pod = netns('pod');
    const node = netns('node');
    const peer = netns('peer');
    sh(['ip', '-n', node, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
    sh(['ip', '-n', node, 'link', 'add', 'vpod', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
    for (const [ns, addrs] of [[node, [['172.20.1.10/24', 'eth0'], ['10.244.1.1/24', 'vpod']]], [peer, [['172.20.1.1/24', 'eth0'], ['10.0.18.52/32', 'lo']]], [pod, [['10.244.1.5/24', 'eth0']]]] as const) {
      for (const dev of ['lo', 'eth0', ...(ns === node ? ['vpod'] : [])]) sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      for (const [a, dev] of addrs) sh(['ip', '-n', ns, 'addr', 'add', a, 'dev', dev]);
    }
    sh(['ip', '-n', pod, 'route', 'add', 'default', 'via', '10.244.1.1']);
    sh(['ip', '-n', node, 'route', 'add', '10.0.0.0/16', 'via', '172.20.1.1']);
    sh(inNs(node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'));
    // The peer knows 172.20.0.0/16's link and nothing of 10.244.0.0/16, as a peered VPC.
    sh(inNs(node, 'iptables-restore'), `*nat\n:POSTROUTING ACCEPT [0:0]\n${SEED}\nCOMMIT\n`);

    const server = spawn('ip', ['netns', 'exec', peer, 'python3', '-u', '-c', [
      'import socket',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      "s.bind(('10.0.18.52', 5432)); s.listen(8); s.settimeout(60)",
      'while True:',
      '    c, a = s.accept(); print(a[0]); c.close()',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    children.push(server);
    let seen = '';
    server.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
    const connect = () => spawnSync('ip', ['netns', 'exec', pod, 'python3', '-c',
      "import socket; socket.create_connection(('10.0.18.52', 5432), timeout=2).close()"], { timeout: 10_000 }).status;
    const listening = () => spawnSync('ip', ['netns', 'exec', peer, 'ss', '-Hltn', 'sport = :5432'], { encoding: 'utf8' }).stdout.includes('10.0.18.52:5432');
    for (let i = 0; i < 100 && !listening(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(listening()).toBe(true);

    expect(connect()).not.toBe(0); // as found: the pod's address leaves the node and nothing routes the reply

    const agent = agentIn(commandIptables({ prefix: inNs(node) }), new FakeConfig(CONFIG));
    const r = await agent.sync();
    expect(r.wrote).toBe(true);
    expect(r.conflicts.map((c) => c.rule.text)).toEqual([SEED]);
    expect(connect()).toBe(0);
    for (let i = 0; i < 50 && !seen.includes('\n'); i++) await new Promise((res) => setTimeout(res, 20));
    expect(seen.trim().split('\n')).toEqual(['172.20.1.10']);
    const rules = sh(inNs(node, 'iptables-save', '-t', 'nat'));
    expect(rules).toContain(SEED);

    // podpath's own walk of the node's resulting rules agrees with the kernel.
    const file = join(tmp, 'node-nat.txt');
    writeFileSync(file, rules);
    const t = await run('iptables', 'trace', file, '--src', '10.244.1.5', '--dst', '10.0.18.52:5432', '--in', 'vpod', '--out', 'eth0', '--addr', 'eth0=172.20.1.10/24', '--addr', 'vpod=10.244.1.1/24');
    expect(t.code).toBe(0);
    expect(t.out).toContain('verdict: ACCEPTED');
    expect(t.out).toContain('forwarded out eth0 as 172.20.1.10:');
    expect(t.out).toMatch(/nat POSTROUTING: ACCEPT {2}\(\S+:\d+ {2}-A PODPATH-MASQ-AGENT -d 10\.0\.0\.0\/16 /);
  }, 60_000);
});

describe('podpath agent on the command line, inside a test netns', () => {
  it('--check, --dry-run, --once (twice) and --uninstall do what they say', () => {
    const ns = netns('cli');
    sh(inNs(ns, 'iptables-restore'), `*nat\n:POSTROUTING ACCEPT [0:0]\n${SEED}\nCOMMIT\n`);
    const cfg = join(tmp, 'cli.yaml');
    writeFileSync(cfg, CONFIG);
    const cli = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(import.meta.dirname, '../../bin/podpath.ts'), 'agent', '--config', cfg, ...args], { encoding: 'utf8', timeout: 60_000 });
    const nat = () => sh(inNs(ns, 'iptables-save', '-t', 'nat')).split('\n').filter((l) => !l.startsWith('#')).join('\n');
    const start = nat();

    const check = cli('--check');
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(`conflict: iptables-save -t nat:`);
    expect(check.stdout).toContain(SEED);
    const dry = cli('--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(':PODPATH-MASQ-AGENT - [0:0]');
    expect(nat()).toBe(start);
    expect(cli('--once').stdout).toMatch(/^applied PODPATH-MASQ-AGENT \(5 rules\)$/m);
    expect(cli('--once').stdout).toMatch(/^no change: PODPATH-MASQ-AGENT is up to date \(5 rules\)$/m);
    expect(cli('--uninstall').stdout).toBe('removed PODPATH-MASQ-AGENT and its jumps\n');
    expect(nat()).toBe(start);
  }, 120_000);
});
