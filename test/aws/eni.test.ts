import { describe, expect, it } from 'vitest';
import { checkEniEgress, checkEniIngress, ownsAddress, type EniView } from '../../src/aws/eni.js';
import { parseCidr } from '../../src/net/prefix.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';

const ip = parseIpv4;
const node: EniView = { id: 'i-node1', addresses: [ip('172.20.0.23'), ip('172.20.0.99')], sourceDestCheck: true };
const router: EniView = { ...node, sourceDestCheck: false };
const tcp = (src: string, dst: string): Packet => ({ src: ip(src), dst: ip(dst), proto: 'tcp', sport: 40000, dport: 5432 });

describe('ENI source/destination check', () => {
  it.each<[string, 'egress' | 'ingress', EniView, Packet, string | null]>([
    ['lets the node send from its primary address', 'egress', node, tcp('172.20.0.23', '10.0.18.52'), null],
    ['lets the node send from a secondary address', 'egress', node, tcp('172.20.0.99', '10.0.18.52'), null],
    ['drops a pod source leaving a node with the check on', 'egress', node, tcp('10.244.1.5', '10.0.18.52'),
      'source 10.244.1.5 is not an address of i-node1 (172.20.0.23, 172.20.0.99) and its source/destination check is on'],
    ['lets a pod source leave a node with the check off', 'egress', router, tcp('10.244.1.5', '10.0.18.52'), null],
    ['delivers to the node address', 'ingress', node, tcp('10.0.18.52', '172.20.0.23'), null],
    ['drops a packet for a pod IP arriving at a node with the check on', 'ingress', node, tcp('172.20.0.50', '10.244.1.5'),
      'destination 10.244.1.5 is not an address of i-node1 (172.20.0.23, 172.20.0.99) and its source/destination check is on'],
    ['delivers a packet for a pod IP to a node with the check off', 'ingress', router, tcp('172.20.0.50', '10.244.1.5'), null],
    ['does not look at the destination on egress', 'egress', node, tcp('172.20.0.23', '172.20.0.23'), null],
    ['does not look at the source on ingress', 'ingress', node, tcp('10.244.1.5', '172.20.0.23'), null],
  ])('%s', (_name, direction, eni, packet, reason) => {
    const d = direction === 'egress' ? checkEniEgress(eni, packet) : checkEniIngress(eni, packet);
    if (reason === null) expect(d).toEqual({ ok: true });
    else expect(d).toEqual({ ok: false, reason, rule: { ref: 'i-node1#sourceDestCheck', at: { awsId: 'i-node1', index: 'sourceDestCheck' }, text: 'sourceDestCheck: true' } });
  });
});

describe('ENI source/destination check with delegated prefixes', () => {
  const delegated: EniView = { ...node, prefixes: [parseCidr('172.20.0.48/28')] };

  it.each<[string, 'egress' | 'ingress', Packet, boolean]>([
    ['lets a pod send from an address inside a delegated /28', 'egress', tcp('172.20.0.53', '10.0.18.52'), true],
    ['delivers to the last address of a delegated /28', 'ingress', tcp('10.0.18.52', '172.20.0.63'), true],
    ['drops a source just past the delegated /28', 'egress', tcp('172.20.0.64', '10.0.18.52'), false],
    ['drops a destination just before the delegated /28', 'ingress', tcp('10.0.18.52', '172.20.0.47'), false],
  ])('%s', (_name, direction, packet, ok) => {
    const d = direction === 'egress' ? checkEniEgress(delegated, packet) : checkEniIngress(delegated, packet);
    expect(d.ok).toBe(ok);
    if (!d.ok) expect(d.reason).toContain('(172.20.0.23, 172.20.0.99, 172.20.0.48/28)');
  });

  it('ownsAddress agrees with a per-address oracle over the neighbourhood of the prefix', () => {
    for (let a = ip('172.20.0.0'); a <= ip('172.20.0.127'); a++) {
      const oracle = a === ip('172.20.0.23') || a === ip('172.20.0.99') || (a >= ip('172.20.0.48') && a <= ip('172.20.0.63'));
      expect(ownsAddress(delegated, a)).toBe(oracle);
    }
  });
});
