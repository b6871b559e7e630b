import { describe, expect, it } from 'vitest';
import { fixture, traceAll, traceOne, worldFromYaml, worldOf } from '../helpers/estates.js';

describe('same-VPC pods (kubenet routes in the VPC route table)', () => {
  const w = worldOf(fixture('same-vpc-pods'));

  it('delivers pod -> pod across nodes through the route to the other node, without NAT', () => {
    const t = traceOne(w, { src: 'pod:web-1', dst: 'pod:api-1:8080' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.find((h) => h.kind === 'route-table')?.rule?.ref).toBe('rtb-a#100.96.2.0/24');
    expect(t.forward.every((h) => h.packetIn.src === '100.96.1.10')).toBe(true);
    expect(t.forward.at(-1)).toMatchObject({ kind: 'pod', at: 'default/api-1' });
  });

  it('delivers pod -> pod on the same node over the bridge without leaving the node', () => {
    const t = traceOne(w, { src: 'pod:web-1', dst: 'pod:web-2:80' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.some((h) => h.kind === 'security-group' || h.kind === 'route-table')).toBe(false);
  });

  it('drops at the receiving ENI when its source/dest check is on', () => {
    const yaml = (fixtureText: string) => fixtureText.replace('{ id: i-n2, subnet: subnet-a1, privateIp: 10.10.1.12, securityGroups: [sg-nodes], sourceDestCheck: false }', '{ id: i-n2, subnet: subnet-a1, privateIp: 10.10.1.12, securityGroups: [sg-nodes] }');
    const t = traceOne(worldFromYaml(yaml(readFixture('same-vpc-pods'))), { src: 'pod:web-1', dst: 'pod:api-1:8080' });
    expect(t.verdict).toBe('dropped');
    expect(t.forward.at(-1)).toMatchObject({ kind: 'eni', direction: 'ingress', decision: 'drop' });
  });
});

describe('nodes without an iptables dump', () => {
  it('trace Services through the rules kube-proxy would write, and say they are derived', () => {
    const text = readFixture('same-vpc-pods')
      .replace(/    iptables: \|\n(      .*\n)+/g, '')
      .concat('services:\n  - { name: default/api, clusterIP: 100.64.0.20, ports: [{ port: 80, proto: tcp, targetPort: 8080 }], endpoints: [100.96.2.20] }\n');
    const w = worldFromYaml(text);
    const t = traceOne(w, { src: 'pod:web-1', dst: '100.64.0.20:80' });
    expect(t.verdict).toBe('delivered');
    const pre = t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'PREROUTING');
    expect(pre?.packetOut).toMatchObject({ dst: '100.96.2.20', dport: 8080 });
    expect(pre?.notes.join(' ')).toMatch(/kube-proxy \(iptables mode\) rules derived/);
    expect(t.reply!.at(-1)?.packetIn).toMatchObject({ src: '100.64.0.20', sport: 80 });
  });
});

describe('peering with non-overlapping ranges and masquerading nodes', () => {
  const w = worldOf(fixture('peering-clean'));

  it('masquerades the pod to the node address and delivers pod -> RDS both ways', () => {
    const t = traceOne(w, { src: 'pod:shop/orders-5d8', dst: 'rds:orders-db' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.find((h) => h.kind === 'peering')?.packetIn.src).toBe('172.31.3.7');
    expect(t.reply!.at(-1)?.packetIn).toMatchObject({ dst: '100.96.1.20', src: '192.168.5.10' });
  });

  it('refuses a port the database does not listen on', () => {
    const t = traceOne(w, { src: 'node:n1', dst: '192.168.5.10:5433' });
    // The NACL admits only 5432, so 5433 never reaches the database.
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('acl-db#ingress[*]');
  });
});

describe('a NACL that blocks the reply\'s ephemeral ports', () => {
  const w = worldOf(fixture('nacl-ephemeral'));

  it('loses the reply to a Linux client port at the stateless NACL', () => {
    const t = traceOne(w, { src: 'pod:shop/orders-5d8', dst: 'rds:orders-db' });
    expect(t.verdict).toBe('reply-lost');
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'nacl', direction: 'egress', decision: 'drop' });
    expect(t.decidingRule?.ref).toBe('acl-db#egress[*]');
  });

  it('delivers when the client port falls inside the allowed range', () => {
    expect(traceOne(w, { src: 'pod:shop/orders-5d8', dst: 'rds:orders-db', sport: 50000 }).verdict).toBe('delivered');
  });
});

describe('what podpath does not understand', () => {
  const node = (rules: string) => `
vpcs: [{ id: vpc-a, cidrBlocks: [10.10.0.0/16] }]
subnets: [{ id: subnet-a, vpc: vpc-a, cidr: 10.10.1.0/24 }]
routeTables: [{ id: rtb-a, vpc: vpc-a, main: true, routes: [{ destination: 0.0.0.0/0, target: igw-a }] }]
internetGateways: [{ id: igw-a, vpc: vpc-a }]
securityGroups: [{ id: sg-a, vpc: vpc-a }]
instances: [{ id: i-a, subnet: subnet-a, privateIp: 10.10.1.5, publicIp: 198.51.100.5, securityGroups: [sg-a], sourceDestCheck: false }]
nodes:
  - name: n
    instance: i-a
    podCidr: 100.96.1.0/24
    bridge: { name: cbr0, address: 100.96.1.1 }
    iptables: |
      *nat
      :PREROUTING ACCEPT [0:0]
      :INPUT ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
${rules}
      COMMIT
pods: [{ name: p, node: n, ip: 100.96.1.9 }]
`;

  it('answers unknown, naming the construct and its line, for a masquerade decided by an ipset', () => {
    const yaml = node('      -A POSTROUTING -m set --match-set pod-nets src -j MASQUERADE');
    const t = traceOne(worldFromYaml(yaml), { src: 'pod:p', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toMatch(/set/);
    const line = yaml.split('\n').findIndex((l) => l.includes('--match-set pod-nets')) + 1;
    expect(t.decidingRule?.ref).toBe(`inline.estate.yaml:${line}`);
  });

  it('reports every branch of a -m statistic load balancer with its probability', () => {
    const w = worldFromYaml(node([
      '      -A PREROUTING -d 100.64.0.1/32 -p tcp -m tcp --dport 80 -m statistic --mode random --probability 0.25 -j DNAT --to-destination 100.96.1.9:8080',
      '      -A PREROUTING -d 100.64.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 100.96.1.10:8080',
    ].join('\n')).replace('pods: [{ name: p, node: n, ip: 100.96.1.9 }]', 'pods: [{ name: p, node: n, ip: 100.96.1.9 }, { name: q, node: n, ip: 100.96.1.10 }, { name: r, node: n, ip: 100.96.1.11 }]'));
    const traces = traceAll(w, { src: 'pod:r', dst: '100.64.0.1:80' });
    expect(traces.map((t) => t.probability).sort()).toEqual([0.25, 0.75]);
    expect(traces.map((t) => t.forward.at(-1)?.at).sort()).toEqual(['default/p', 'default/q']);
    expect(traces.every((t) => t.verdict === 'delivered')).toBe(true);
    // From an endpoint itself, the branch that picks it is a hairpin without masquerade: a martian in the pod.
    const fromQ = traceAll(w, { src: 'pod:q', dst: '100.64.0.1:80' });
    expect(fromQ.find((t) => t.forward.at(-1)?.at === 'default/q')?.verdict).toBe('dropped');
  });

  it('carries the packet mark from PREROUTING to POSTROUTING, as KUBE-MARK-MASQ relies on', () => {
    const w = worldFromYaml(node([
      '      -A PREROUTING -d 100.64.0.1/32 -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x4000/0x4000',
      '      -A PREROUTING -d 100.64.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 100.96.1.10:8080',
      '      -A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE',
    ].join('\n')).replace('pods: [{ name: p, node: n, ip: 100.96.1.9 }]', 'pods: [{ name: p, node: n, ip: 100.96.1.9 }, { name: q, node: n, ip: 100.96.1.10 }]'));
    const t = traceOne(w, { src: 'pod:p', dst: '100.64.0.1:80' });
    expect(t.verdict).toBe('delivered');
    // Masqueraded to the bridge address because the mark survived from PREROUTING.
    expect(t.forward.at(-1)?.packetIn).toMatchObject({ src: '100.96.1.1', dst: '100.96.1.10', dport: 8080 });
    expect(t.reply!.at(-1)?.packetIn).toMatchObject({ src: '100.64.0.1', sport: 80, dst: '100.96.1.9' });
  });

  it('follows every next hop of a multipath node route, weighted', () => {
    const routes = [
      '    routes: |',
      '      default proto static',
      '      \tnexthop via 10.10.1.1 dev eth0 weight 3',
      '      \tnexthop via 10.10.1.2 dev eth0 weight 1',
      '      10.10.1.0/24 dev eth0 proto kernel scope link src 10.10.1.5',
    ].join('\n');
    const w = worldFromYaml(node('').replace('    iptables: |', `${routes}\n    iptables: |`));
    const traces = traceAll(w, { src: 'node:n', dst: '93.184.216.34:443' });
    expect(traces.map((t) => t.probability).sort()).toEqual([0.25, 0.75]);
    expect(traces.every((t) => t.verdict === 'delivered')).toBe(true);
  });

  describe('policy routing (ip rule) on the node', () => {
    const withRules = (rules: string[], routes: string[], iptables = '') => {
      const block = ['    routes: |', ...routes.map((r) => `      ${r}`), '    ipRules: |', ...rules.map((r) => `      ${r}`)].join('\n');
      return node(iptables).replace('    iptables: |', `${block}\n    iptables: |`);
    };
    const main = ['default via 10.10.1.1 dev eth0', '10.10.1.0/24 dev eth0 proto kernel scope link src 10.10.1.5', '100.96.1.0/24 dev cbr0 proto kernel scope link src 100.96.1.1'];

    it('follows the rule that sends pod traffic to another table, and names that rule when its route leaves on an interface it does not model', () => {
      const yaml = withRules(['0:\tfrom all lookup local', '100:\tfrom 100.96.1.0/24 lookup 2', '32766:\tfrom all lookup main'],
        [...main, 'default via 10.10.2.1 dev eth1 table 2', 'local 10.10.1.5 dev lo table local']);
      const t = traceOne(worldFromYaml(yaml), { src: 'pod:p', dst: '93.184.216.34:443' });
      expect(t.verdict).toBe('unknown');
      expect(t.reason).toMatch(/interface eth1/);
      const route = t.forward.find((h) => h.kind === 'node-route')!;
      expect(route.outIface).toBe('eth1');
      const ruleLine = yaml.split('\n').findIndex((l) => l.includes('from 100.96.1.0/24 lookup 2')) + 1;
      expect(route.notes.join(' ')).toContain(`(inline.estate.yaml:${ruleLine})`);
      // The node itself (iif lo, source 10.10.1.5) is not selected by rule 100: main, out eth0, delivered.
      expect(traceOne(worldFromYaml(yaml), { src: 'node:n', dst: '93.184.216.34:443' }).verdict).toBe('delivered');
    });

    it('drops at a blackhole rule selected by the packet mark set in PREROUTING, naming the rule', () => {
      const yaml = withRules(['0:\tfrom all lookup local', '50:\tfrom all fwmark 0x10/0x10 blackhole', '32766:\tfrom all lookup main'],
        [...main, 'local 10.10.1.5 dev lo table local'], '      -A PREROUTING -s 100.96.1.9/32 -j MARK --set-xmark 0x10/0x10');
      const w = worldFromYaml(yaml.replace('*nat', '*mangle').replace(':INPUT ACCEPT [0:0]', ':INPUT ACCEPT [0:0]\n      :FORWARD ACCEPT [0:0]'));
      const t = traceOne(w, { src: 'pod:p', dst: '93.184.216.34:443' });
      expect(t.verdict).toBe('dropped');
      const line = yaml.split('\n').findIndex((l) => l.includes('fwmark 0x10/0x10 blackhole')) + 1;
      expect(t.decidingRule?.ref).toBe(`inline.estate.yaml:${line}`);
    });

    it('says unknown when a rule looks up a table whose routes were not given', () => {
      const yaml = withRules(['0:\tfrom all lookup local', '100:\tfrom 100.96.1.0/24 lookup 2', '32766:\tfrom all lookup main'], main);
      const t = traceOne(worldFromYaml(yaml), { src: 'pod:p', dst: '93.184.216.34:443' });
      expect(t.verdict).toBe('unknown');
      expect(t.reason).toMatch(/table 2, whose routes are not in the input/);
    });
  });

  it('says unknown for a route to a gateway kind it does not model yet', () => {
    const w = worldFromYaml(node('').replace('target: igw-a', 'target: vgw-0abc'));
    const t = traceOne(w, { src: 'node:n', dst: '8.8.8.8:53', proto: 'udp' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toMatch(/vgw-0abc/);
  });
});

import { readFileSync } from 'node:fs';
function readFixture(name: string): string {
  return readFileSync(fixture(name), 'utf8');
}
