import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MasqAgent, agentMetrics, pinoLogger, startServer, suppressRepeats, routedCidrs, type AgentLog } from '../../src/agent/index.js';
import { DEFAULT_FLAGS } from '../../src/k8s/masq-agent/index.js';
import { FakeConfig, FakeNat } from './fakes.js';

const SEED = '-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE';
const GOOD = 'nonMasqueradeCIDRs: [172.20.0.0/16, 10.244.0.0/16]\nmasqueradeCIDRs: [10.0.0.0/16]\nresyncInterval: 10ms\n';

function memoryLog() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
  return { lines, logger: pinoLogger(dest, 'debug') };
}

function setup(text: string | undefined, nat = new FakeNat(), extra: Partial<ConstructorParameters<typeof MasqAgent>[1]> = {}) {
  const config = new FakeConfig(text);
  const metrics = agentMetrics();
  const { lines, logger } = memoryLog();
  const agent = new MasqAgent({ flags: DEFAULT_FLAGS }, { iptables: nat, config, log: suppressRepeats(logger), metrics, ...extra });
  return { agent, nat, config, metrics, lines };
}
const metric = async (m: ReturnType<typeof agentMetrics>, name: string) => (await m.registry.getSingleMetric(name)!.get()).values;

describe('the agent daemon (injected iptables and config)', () => {
  it('applies once, then writes nothing while nothing changes', async () => {
    const { agent, nat, metrics } = setup(GOOD);
    const first = await agent.sync();
    expect(first.wrote).toBe(true);
    expect(nat.chains.get('PODPATH-MASQ-AGENT')).toHaveLength(5);
    const second = await agent.sync();
    expect(second).toMatchObject({ wrote: false, payload: undefined });
    expect(nat.payloads).toHaveLength(1);
    expect((await metric(metrics, 'podpath_agent_restore_writes_total'))[0]!.value).toBe(1);
    expect((await metric(metrics, 'podpath_agent_rules_in_chain'))[0]!.value).toBe(5);
    expect((await metric(metrics, 'podpath_agent_last_success_timestamp_seconds'))[0]!.value).toBeGreaterThan(0);
  });

  it('keeps the last good config when the file turns invalid, logs file, line and key, counts it', async () => {
    const { agent, nat, config, metrics, lines } = setup(GOOD);
    await agent.sync();
    const before = (await nat.saveNat());
    config.text = 'nonMasqueradeCIDRs:\n  - 10.0.0.1/8\n';
    const r = await agent.sync();
    expect(r.wrote).toBe(false);
    expect(await nat.saveNat()).toBe(before);
    expect((await metric(metrics, 'podpath_agent_config_errors_total'))[0]!.value).toBe(1);
    expect(lines.find((l) => l.msg === 'config rejected; keeping the last good config')).toMatchObject({ file: 'cfg', line: 2, key: 'nonMasqueradeCIDRs' });
  });

  it('refuses an invalid config at start (nothing good to keep) with file and line', async () => {
    const { agent, nat } = setup('masqLinkLocal: maybe\n');
    await expect(agent.sync()).rejects.toMatchObject({ code: 'PP_SCHEMA', file: 'cfg', line: 1 });
    expect(nat.payloads).toEqual([]);
  });

  it('uses ip-masq-agent defaults when there is no file', async () => {
    const { agent, nat } = setup(undefined);
    await agent.sync();
    expect(nat.chains.get('PODPATH-MASQ-AGENT')!.map((l) => /-d (\S+)/.exec(l)?.[1])).toEqual(['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', undefined]);
  });

  it("reports the seed's rule as a conflict and still installs its chain", async () => {
    const { agent, nat, metrics, lines } = setup(GOOD, new FakeNat([SEED]));
    const r = await agent.sync();
    expect(r.conflicts.map((c) => c.rule.text)).toEqual([SEED]);
    expect(nat.chains.get('POSTROUTING')![0]).toBe(SEED);
    expect(nat.chains.get('POSTROUTING')![1]).toMatch(/-j PODPATH-MASQ-AGENT$/);
    expect((await metric(metrics, 'podpath_agent_conflicts'))[0]!.value).toBe(1);
    expect(lines.filter((l) => l.msg === 'conflict: another rule decides masquerade')).toHaveLength(1);
  });

  it('dry-run computes the payload and never writes', async () => {
    const nat = new FakeNat();
    const config = new FakeConfig(GOOD);
    const agent = new MasqAgent({ flags: DEFAULT_FLAGS, dryRun: true }, { iptables: nat, config, log: suppressRepeats(memoryLog().logger), metrics: agentMetrics() });
    const r = await agent.sync();
    expect(r.payload).toContain(':PODPATH-MASQ-AGENT - [0:0]');
    expect(nat.payloads).toEqual([]);
  });

  it('uninstalls its chain and jumps, leaving other rules', async () => {
    const { agent, nat } = setup(GOOD, new FakeNat([SEED]));
    await agent.sync();
    await agent.uninstall();
    expect(nat.chains.has('PODPATH-MASQ-AGENT')).toBe(false);
    expect(nat.chains.get('POSTROUTING')).toEqual([SEED]);
    expect(await agent.uninstall()).toBeUndefined();
  });

  it('adds discovered peering/TGW routes to the include-list; keeps the last list when discovery fails', async () => {
    let fail = false;
    const discovery = { routedCidrs: async () => { if (fail) throw new Error('no IMDS'); return ['10.1.0.0/16']; } };
    const { agent, nat } = setup('discoverRoutedCIDRs: true\n', new FakeNat(), { discovery });
    await agent.sync();
    expect(nat.chains.get('PODPATH-MASQ-AGENT')![0]).toMatch(/^-A PODPATH-MASQ-AGENT -d 10\.1\.0\.0\/16 .* -j MASQUERADE/);
    fail = true;
    expect((await agent.sync()).wrote).toBe(false);
  });

  it('runs until aborted: resyncs, reloads on file change, serves /healthz and /metrics on 127.0.0.1', async () => {
    const { agent, nat, config, metrics } = setup(GOOD);
    const ctl = new AbortController();
    const { port } = await startServer({ host: '127.0.0.1', port: 0, metrics, healthy: () => agent.isHealthy(), signal: ctl.signal });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(503);
    const running = agent.run(ctl.signal);
    for (let i = 0; i < 200 && nat.payloads.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    config.change(GOOD.replace('10.244.0.0/16', '10.245.0.0/16'));
    for (let i = 0; i < 200 && nat.payloads.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(nat.payloads[1]).toContain('10.245.0.0/16');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/podpath_agent_reconcile_duration_seconds_count \d+/);
    expect(text).toContain('podpath_agent_rules_in_chain 5');
    ctl.abort();
    await running;
  });
});

describe('logs', () => {
  it('suppresses a repeated line within the window, logs it again after', () => {
    const { lines, logger } = memoryLog();
    let t = 0;
    const log: AgentLog = suppressRepeats(logger, 1000, () => t);
    log.warn('same', { a: 1 });
    log.warn('same', { a: 1 });
    log.warn('same', { a: 2 });
    t = 2000;
    log.warn('same', { a: 1 });
    expect(lines.map((l) => `${l.level}:${l.a}`)).toEqual(['40:1', '20:1', '40:2', '40:1']);
  });
});

describe('routedCidrs', () => {
  it('takes active peering and TGW routes only', () => {
    expect(routedCidrs([{ Routes: [
      { DestinationCidrBlock: '172.20.0.0/16', GatewayId: 'local' },
      { DestinationCidrBlock: '10.0.0.0/16', VpcPeeringConnectionId: 'pcx-1', State: 'active' },
      { DestinationCidrBlock: '10.9.0.0/16', VpcPeeringConnectionId: 'pcx-2', State: 'blackhole' },
      { DestinationCidrBlock: '192.168.0.0/16', TransitGatewayId: 'tgw-1' },
      { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1' },
    ] }])).toEqual(['10.0.0.0/16', '192.168.0.0/16']);
  });
});

describe('the HTTP server', () => {
  it('a busy port is a one-line usage error', async () => {
    const ctl = new AbortController();
    const metrics = agentMetrics();
    const { port } = await startServer({ host: '127.0.0.1', port: 0, metrics, healthy: () => true, signal: ctl.signal });
    await expect(startServer({ host: '127.0.0.1', port, metrics, healthy: () => true, signal: ctl.signal })).rejects.toMatchObject({ code: 'PP_USAGE', message: expect.stringContaining('EADDRINUSE') });
    ctl.abort();
  });
});
