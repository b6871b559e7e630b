import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fixture, traceOne, worldFromYaml, worldOf } from '../helpers/estates.js';
import type { Hop } from '../../src/trace/types.js';

const file = fixture('eks-secondary-eni');
const text = readFileSync(file, 'utf8');
const edited = (...edits: [string, string][]) => worldFromYaml(edits.reduce((t, [a, b]) => {
  if (!t.includes(a)) throw new Error(`fixture lacks: ${a}`);
  return t.replace(a, b);
}, text));
/** Edits that take away every route naming ens6's address (its local and broadcast routes). */
const ens6Unnamed: [string, string][] = [
  ['      local 10.0.1.77 dev ens6 table local proto kernel scope host src 10.0.1.77\n', ''],
  ['      broadcast 10.0.31.255 dev ens6 table local proto kernel scope link src 10.0.1.77\n', ''],
];
const at = (hops: Hop[], kind: Hop['kind']) => hops.filter((h) => h.kind === kind).map((h) => h.at);

describe('node interfaces bound to ENIs by the dumps (AL2023 ens5/ens6)', () => {
  const w = worldOf(file);

  it('binds each interface by its local address, never by its name', () => {
    const n1 = w.nodes.get('n1')!;
    expect(n1.interfaces.map((i) => [i.name, i.eni.id, i.assumed])).toEqual([['ens5', 'eni-of-i-n1', false], ['ens6', 'eni-0b2c3d4e5f6a7b8c9', false]]);
    expect(n1.eth0.name).toBe('ens5');
  });

  it('a pod on a secondary address of ens6 leaves through ens6 (ip rule from <pod> lookup 2) with that ENI\'s check and groups, and its reply comes back through it', () => {
    const t = traceOne(w, { src: 'pod:web-b', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('delivered');
    const route = t.forward.find((h): h is Extract<Hop, { kind: 'node-route' }> => h.kind === 'node-route' && h.at === 'n1')!;
    expect(route.outIface).toBe('ens6');
    expect(route.notes.join(' ')).toMatch(/ens6 is eni-0b2c3d4e5f6a7b8c9 \(device index 1\), bound by route `local 10.0.1.77 dev ens6 table local/);
    expect(at(t.forward, 'security-group')).toEqual(['eni-0b2c3d4e5f6a7b8c9', 'eni-of-i-n2']);
    expect(at(t.reply!, 'security-group')).toEqual(['eni-of-i-n2', 'eni-0b2c3d4e5f6a7b8c9']);
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'pod', at: 'default/web-b' });
  });

  it('a pod on the primary ENI leaves through ens5', () => {
    const t = traceOne(w, { src: 'pod:web-a', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('delivered');
    expect(at(t.forward, 'security-group')[0]).toBe('eni-of-i-n1');
  });

  it('traffic to a pod on ens6 enters the node through ens6', () => {
    const t = traceOne(w, { src: 'pod:api', dst: 'pod:web-b:80' });
    expect(t.verdict).toBe('delivered');
    expect(at(t.forward, 'security-group')).toEqual(['eni-of-i-n2', 'eni-0b2c3d4e5f6a7b8c9']);
  });

  it('applies the secondary ENI\'s own security groups', () => {
    const t = traceOne(edited(
      ['{ id: eni-0b2c3d4e5f6a7b8c9, deviceIndex: 1,', '{ id: eni-0b2c3d4e5f6a7b8c9, deviceIndex: 1, securityGroups: [sg-closed],'],
      ['securityGroups:\n  - id: sg-cluster', 'securityGroups:\n  - { id: sg-closed, vpc: vpc-eks, egress: [] }\n  - id: sg-cluster'],
    ), { src: 'pod:web-b', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('sg-closed#egress');
  });

  it('without the per-ENI rule, ens6\'s pod leaves through ens5 and the primary ENI\'s source/dest check drops it', () => {
    const t = traceOne(edited(['      1536:\tfrom 10.0.1.80 lookup 2\n', '']), { src: 'pod:web-b', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('dropped');
    expect(t.forward.at(-1)).toMatchObject({ kind: 'eni', at: 'eni-of-i-n1', direction: 'egress', decision: 'drop' });
  });

  it('takes no evidence from routes someone added: a static route with the node address as src binds nothing', () => {
    const w2 = edited(['      10.0.1.20 dev eni1a2b3c4d5e6 scope link\n', '      10.0.1.20 dev eni1a2b3c4d5e6 scope link\n      10.96.0.0/12 dev eni1a2b3c4d5e6 scope link src 10.0.1.10\n']);
    expect(w2.nodes.get('n1')!.interfaces.map((i) => i.name)).toEqual(['ens5', 'ens6']);
    expect(w2.nodes.get('n1')!.ifaceConflicts).toEqual([]);
  });

  it('binds by MAC from ip addr when no route names the interface\'s address', () => {
    const w2 = edited(
      ...ens6Unnamed,
      ['    ipRules: |', '    ipAddr: |\n      4: ens6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000\n          link/ether 02:aa:bb:cc:dd:01 brd ff:ff:ff:ff:ff:ff\n    ipRules: |'],
    );
    expect(w2.nodes.get('n1')!.interfaces.find((i) => i.name === 'ens6')?.boundBy).toMatch(/^MAC 02:aa:bb:cc:dd:01 \(ip addr: .*:\d+\)$/);
    expect(traceOne(w2, { src: 'pod:web-b', dst: 'pod:api:8080' }).verdict).toBe('delivered');
  });

  it('follows the dumps when names are swapped: the primary ENI is whatever carries its address', () => {
    const swapped = text.split('\n').map((l) => (l.startsWith('      ') && !l.includes('-A ') ? l.replace(/\bens5\b/g, 'ENS_TMP').replace(/\bens6\b/g, 'ens5').replace(/ENS_TMP/g, 'ens6') : l)).join('\n');
    const w2 = worldFromYaml(swapped);
    expect(w2.nodes.get('n1')!.interfaces.map((i) => [i.name, i.eni.id])).toEqual([['ens6', 'eni-of-i-n1'], ['ens5', 'eni-0b2c3d4e5f6a7b8c9']]);
    const t = traceOne(w2, { src: 'pod:web-b', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('delivered');
    expect(at(t.forward, 'security-group')[0]).toBe('eni-0b2c3d4e5f6a7b8c9');
  });

  it('says unknown, naming the interface, when no ENI can be matched to it', () => {
    const t = traceOne(edited(...ens6Unnamed), { src: 'pod:web-b', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toMatch(/interface ens6 on n1 is not modelled: no ENI of i-n1 could be matched to it/);
  });

  it('says unknown when the dumps match one ENI to two interfaces', () => {
    const t = traceOne(edited(['      local 127.0.0.1 dev lo', '      broadcast 10.0.31.255 dev ens7 table local proto kernel scope link src 10.0.1.77\n      local 127.0.0.1 dev lo']), { src: 'pod:web-b', dst: 'pod:api:8080' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toMatch(/eni-0b2c3d4e5f6a7b8c9 matches interfaces ens6 and ens7/);
  });

  it('says unknown for traffic arriving at an ENI the node has no interface for', () => {
    const t = traceOne(edited(...ens6Unnamed), { src: 'pod:api', dst: 'pod:web-b:80' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toMatch(/eni-0b2c3d4e5f6a7b8c9 \(device index 1\) of n1: no node interface could be matched to it/);
  });
});
