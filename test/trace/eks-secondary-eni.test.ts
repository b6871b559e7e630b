/**
 * The EKS estate with an AL2023-style node of two ENIs (fixture
 * eks-secondary-eni): traces across nodes and into the peered data VPC, and
 * the fixture's node dumps checked by the kernel (rebuilt in a throwaway
 * namespace: routes and rules byte for byte, iptables-restore --test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, traceOne, worldOf } from '../helpers/estates.js';
import { openNetns, oracleUnavailable, type Netns } from '../linux/iptables/netns.js';
import type { Hop } from '../../src/trace/types.js';

const w = worldOf(fixture('eks-secondary-eni'));
const n1 = w.estate.nodes.find((n) => n.name === 'n1')!;
const eniOf = (hops: Hop[], kind: 'security-group', direction: 'egress' | 'ingress') =>
  hops.find((h) => h.kind === kind && h.direction === direction)?.at;

describe('EKS on the VPC CNI, a node with a secondary ENI', () => {
  it.each([['web-a', '10.0.1.20'], ['web-b', '10.0.1.80']])('delivers pod %s -> pod on the other node without NAT, both ways', (pod, ip) => {
    const t = traceOne(w, { src: `pod:${pod}`, dst: 'pod:api:8080' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.every((h) => h.packetIn.src === ip && (h.packetOut?.src ?? ip) === ip)).toBe(true);
    expect(t.forward.some((h) => h.decision === 'nat')).toBe(false);
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'pod', at: `default/${pod}`, packetIn: { src: '10.0.33.20', dst: ip } });
  });

  it('a pod on ens6 reaches the peered data host through ens6 with its own address (the peer CIDR is excluded from SNAT), and the reply returns through ens6', () => {
    const t = traceOne(w, { src: 'pod:web-b', dst: '10.1.0.50:5432' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.find((h) => h.kind === 'node-route')).toMatchObject({ outIface: 'ens6' });
    expect(eniOf(t.forward, 'security-group', 'egress')).toBe('eni-0b2c3d4e5f6a7b8c9');
    expect(t.forward.find((h) => h.kind === 'peering')?.packetIn.src).toBe('10.0.1.80');
    expect(eniOf(t.reply!, 'security-group', 'ingress')).toBe('eni-0b2c3d4e5f6a7b8c9');
  });

  it('the same pod toward a destination not excluded from SNAT is connmarked 0x80, routed by rule 1024 out ens5 and SNATed to the node address', () => {
    const t = traceOne(w, { src: 'pod:web-b', dst: '8.8.8.8:443' });
    const route = t.forward.find((h) => h.kind === 'node-route')!;
    expect(route).toMatchObject({ outIface: 'ens5' });
    expect(route.notes.join(' ')).toMatch(/ip rule 1024: from all fwmark 0x80\/0x80 lookup main/);
    expect(t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'POSTROUTING')?.packetOut?.src).toBe('10.0.1.10');
    expect(eniOf(t.forward, 'security-group', 'egress')).toBe('eni-of-i-n1');
    // The VPC has no internet gateway: the route table ends it.
    expect(t.verdict).toBe('no-route');
  });

  it('a DNS query of the pod on ens6 to the VPC resolver leaves through ens6, unfiltered by its groups', () => {
    const t = traceOne(w, { src: 'pod:web-b', dst: '10.0.0.2:53', proto: 'udp' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.find((h) => h.kind === 'security-group')).toMatchObject({ at: 'eni-0b2c3d4e5f6a7b8c9', rule: { ref: 'AmazonProvidedDNS#egress' } });
  });
});

const unavailable = oracleUnavailable();

/** The commands that give n1 its interfaces, routes and rules, as the VPC CNI and systemd-networkd leave them. */
const BUILD: string[][] = [
  ['link', 'set', 'lo', 'up'],
  ['link', 'add', 'ens5', 'address', '02:1a:2b:3c:4d:5e', 'type', 'veth', 'peer', 'name', 'p-ens5'],
  ['link', 'add', 'ens6', 'address', '02:aa:bb:cc:dd:01', 'type', 'veth', 'peer', 'name', 'p-ens6'],
  ['link', 'add', 'eni1a2b3c4d5e6', 'type', 'veth', 'peer', 'name', 'p-eni1'],
  ['link', 'add', 'eni9f8e7d6c5b4', 'type', 'veth', 'peer', 'name', 'p-eni2'],
  ...['ens5', 'ens6', 'eni1a2b3c4d5e6', 'eni9f8e7d6c5b4', 'p-ens5', 'p-ens6', 'p-eni1', 'p-eni2'].map((d) => ['link', 'set', d, 'up']),
  ['addr', 'add', '10.0.1.10/19', 'dev', 'ens5', 'metric', '512'],
  ['route', 'add', 'default', 'via', '10.0.0.1', 'dev', 'ens5', 'proto', 'dhcp', 'src', '10.0.1.10', 'metric', '512'],
  ['route', 'add', '10.0.0.1', 'dev', 'ens5', 'proto', 'dhcp', 'scope', 'link', 'src', '10.0.1.10', 'metric', '512'],
  // The CNI gives the secondary ENI its address and removes the connected route from main.
  ['addr', 'add', '10.0.1.77/19', 'dev', 'ens6'],
  ['route', 'del', '10.0.0.0/19', 'dev', 'ens6'],
  ['route', 'add', '10.0.0.1', 'dev', 'ens6', 'scope', 'link', 'table', '2'],
  ['route', 'add', 'default', 'via', '10.0.0.1', 'dev', 'ens6', 'table', '2'],
  ['route', 'add', '10.0.1.20', 'dev', 'eni1a2b3c4d5e6', 'scope', 'link'],
  ['route', 'add', '10.0.1.80', 'dev', 'eni9f8e7d6c5b4', 'scope', 'link'],
  ['rule', 'add', 'to', '10.0.1.20', 'lookup', 'main', 'prio', '512'],
  ['rule', 'add', 'to', '10.0.1.80', 'lookup', 'main', 'prio', '512'],
  ['rule', 'add', 'fwmark', '0x80/0x80', 'lookup', 'main', 'prio', '1024'],
  ['rule', 'add', 'from', '10.0.1.80', 'lookup', '2', 'prio', '1536'],
];

const lines = (text: string) => text.split('\n').map((l) => l.trimEnd()).filter(Boolean);

describe.skipIf(unavailable !== undefined)('the fixture\'s node n1 dumps, checked by the kernel', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
    for (const args of BUILD) {
      const r = ns.exec('ip', args);
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
  });
  afterAll(() => ns?.close());

  it('ip -4 route show table all is the fixture\'s routes, line for line', () => {
    expect(lines(ns.exec('ip', ['-4', 'route', 'show', 'table', 'all']).stdout)).toEqual(lines(n1.routes!.text));
  });

  it('ip rule is the fixture\'s rules, byte for byte', () => {
    expect(lines(ns.exec('ip', ['rule']).stdout)).toEqual(lines(n1.ipRules!.text));
  });

  it('iptables-restore --test accepts the fixture\'s iptables-save', () => {
    expect(ns.restore(n1.iptables!.text, { test: true })).toEqual({ ok: true, stderr: '' });
  });
});
