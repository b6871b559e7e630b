import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/run-cli.js';

const SEED_NODE = 'examples/seed-2015/nodes/node-1';
const IP_ADDR = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000
    link/ether 02:5e:1a:00:00:17 brd ff:ff:ff:ff:ff:ff
    inet 172.20.0.23/24 brd 172.20.0.255 scope global eth0
3: cbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc htb state UP group default qlen 1000
    link/ether 0a:58:0a:f4:01:01 brd ff:ff:ff:ff:ff:ff
    inet 10.244.1.1/24 scope global cbr0
`;

/** The seed's node-1 folder with its ip addr and ip rule dumps added (and, optionally, a policy route). */
function nodeFolder(extra: { rules?: string; routes?: string } = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'podpath-node-')), 'node-1');
  cpSync(SEED_NODE, dir, { recursive: true });
  writeFileSync(join(dir, 'ip-addr.txt'), IP_ADDR);
  writeFileSync(join(dir, 'ip-rule.txt'), extra.rules ?? '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n');
  if (extra.routes) writeFileSync(join(dir, 'ip-route.txt'), extra.routes);
  return dir;
}

const trace = async (dir: string, ...more: string[]) => {
  const r = await run('iptables', 'trace', '--node', dir, '--src', '10.244.1.5', '--proto', 'tcp', '-o', 'json', ...more);
  return { ...r, json: r.out ? JSON.parse(r.out) : undefined };
};

describe('iptables trace --node DIR: addresses, routes and rules from the node folder', () => {
  it('a forwarded pod packet to the internet leaves on the device the routes choose and is masqueraded to eth0\'s address', async () => {
    const r = await trace(nodeFolder(), '--dst', '8.8.8.8:443', '--in', 'cbr0');
    expect(r.err).toBe('');
    expect(r.json.verdict).toBe('accepted');
    expect(r.json.flow.out).toMatch(/chosen by the node's routes/);
    const b = r.json.branches[0];
    expect(JSON.stringify(b)).toContain('172.20.0.23');
    expect(b.hooks.find((s: { hook: string }) => s.hook === 'POSTROUTING').out).toBe('eth0');
  });

  it('to the RDS address (inside 10.0.0.0/8) the masquerade rule does not match: the pod address leaves eth0 unchanged', async () => {
    const r = await trace(nodeFolder(), '--dst', '10.0.18.52:5432', '--in', 'cbr0');
    const post = r.json.branches[0].hooks.find((s: { hook: string }) => s.hook === 'POSTROUTING');
    expect(post.out).toBe('eth0');
    expect(post.packetOut.src).toBe('10.244.1.5');
    expect(r.json.branches[0].nat).toEqual([]);
  });

  it('a packet to the node\'s own address is delivered locally (from ip-addr.txt), no --addr needed', async () => {
    const r = await trace(nodeFolder(), '--dst', '172.20.0.23:22', '--in', 'cbr0');
    expect(r.json.verdict).toBe('accepted');
    expect(r.json.branches[0].hooks.map((s: { hook: string }) => s.hook)).toContain('INPUT');
  });

  it('a policy rule sends marked-free pod traffic to another table and another device', async () => {
    const dir = nodeFolder({
      rules: '0:\tfrom all lookup local\n100:\tfrom 10.244.1.0/24 lookup 101\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n',
      routes: 'default via 172.20.0.1 dev eth0\n10.244.1.0/24 dev cbr0 proto kernel scope link src 10.244.1.1\n172.20.0.0/24 dev eth0 proto kernel scope link src 172.20.0.23\ndefault via 172.20.0.1 dev eth1 table 101\n',
    });
    const r = await trace(dir, '--dst', '8.8.8.8:443', '--in', 'cbr0');
    expect(r.json.branches[0].hooks.find((s: { hook: string }) => s.hook === 'POSTROUTING').out).toBe('eth1');
  });

  it('says in one line that a folder\'s nftables ruleset is not walked by this iptables-only trace, and where both are', async () => {
    const dir = nodeFolder();
    writeFileSync(join(dir, 'nft-ruleset.txt'), 'table inet filter {\n}\n');
    const r = await trace(dir, '--dst', '8.8.8.8:443', '--in', 'cbr0');
    expect(r.err.split('\n')[0]).toBe(`podpath: ${join(dir, 'nft-ruleset.txt')}: the node's nftables ruleset, not read by this iptables-only trace (native chains there also see the packet): podpath nft trace ${join(dir, 'nft-ruleset.txt')} --iptables ${join(dir, 'iptables-save.txt')} ... or podpath trace --snapshot walks both`);
    expect((await trace(nodeFolder(), '--dst', '8.8.8.8:443', '--in', 'cbr0')).err).not.toContain('nftables');
  });

  it('says in one line up front what the folder lacks', async () => {
    const r = await run('iptables', 'trace', '--node', SEED_NODE, '--src', '10.244.1.5', '--dst', '8.8.8.8:443', '--in', 'cbr0');
    expect(r.err).toBe(`podpath: ${SEED_NODE}: no ip-addr.txt (the node's addresses), no ip-rule.txt (policy rules: the kernel's defaults assumed)\n`);
  });

  it.each([
    [['iptables', 'trace', '--node', '/nonexistent/node', '--src', '1.1.1.1', '--dst', '2.2.2.2:80', '--in', 'eth0'], 'podpath: /nonexistent/node: not a node folder: no such file\n'],
    [['iptables', 'trace', '--src', '1.1.1.1', '--dst', '2.2.2.2:80', '--in', 'eth0'], 'podpath: give the iptables dump FILE or --node DIR (a snapshot node folder), one of them\n'],
  ])('bad input: %j', async (argv, line) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(line);
  });
});
