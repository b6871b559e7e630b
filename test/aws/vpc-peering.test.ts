import { describe, expect, it } from 'vitest';
import { checkPeering } from '../../src/aws/vpc-peering.js';
import type { Peering, Vpc } from '../../src/model/aws.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';

const k8s: Vpc = { id: 'vpc-k8s', cidrBlocks: ['172.20.0.0/16'] };
const main: Vpc = { id: 'vpc-main', cidrBlocks: ['10.0.0.0/16'] };
const multi: Vpc = { id: 'vpc-multi', cidrBlocks: ['192.168.0.0/24', '100.64.0.0/16'] };
const other: Vpc = { id: 'vpc-other', cidrBlocks: ['192.168.10.0/24'] };
const pcx: Peering = { id: 'pcx-1', requester: 'vpc-k8s', accepter: 'vpc-main', status: 'active' };
const pcxMulti: Peering = { id: 'pcx-2', requester: 'vpc-main', accepter: 'vpc-multi', status: 'active' };
const tcp = (src: string, dst: string, dport = 5432): Packet => ({ src: parseIpv4(src), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport });
const WHY = "a peering connection carries only traffic between the two VPCs' own addresses";

describe('checkPeering', () => {
  it.each<[string, Peering, Vpc, Vpc, Packet, string | null]>([
    ['drops the un-masqueraded pod 10.244.1.5 -> RDS 10.0.18.52 (the seed)', pcx, k8s, main, tcp('10.244.1.5', '10.0.18.52'),
      `source 10.244.1.5 is not inside vpc-k8s's CIDR blocks 172.20.0.0/16; ${WHY}`],
    ['carries the node 172.20.0.23 -> RDS 10.0.18.52', pcx, k8s, main, tcp('172.20.0.23', '10.0.18.52'), null],
    ['carries the reply RDS -> node back the other way', pcx, main, k8s, tcp('10.0.18.52', '172.20.0.23', 40000), null],
    ['drops a reply addressed to a pod IP outside the node VPC', pcx, main, k8s, tcp('10.0.18.52', '10.244.1.5', 40000),
      `destination 10.244.1.5 is not inside vpc-k8s's CIDR blocks 172.20.0.0/16; ${WHY}`],
    ["drops edge-to-edge traffic toward the internet through the peer's gateway", pcx, k8s, main, tcp('172.20.0.23', '8.8.8.8', 443),
      `destination 8.8.8.8 is not inside vpc-main's CIDR blocks 10.0.0.0/16; ${WHY}`],
    ["accepts a source in the peer's secondary CIDR block", pcxMulti, multi, main, tcp('100.64.3.4', '10.0.0.9'), null],
    ['lists every CIDR block when the source is in none', pcxMulti, multi, main, tcp('10.244.1.5', '10.0.0.9'),
      `source 10.244.1.5 is not inside vpc-multi's CIDR blocks 192.168.0.0/24, 100.64.0.0/16; ${WHY}`],
    ['drops on a connection still pending acceptance', { ...pcx, status: 'pending-acceptance' }, k8s, main, tcp('172.20.0.23', '10.0.18.52'),
      'pcx-1 is pending-acceptance: only an active peering connection carries traffic'],
    ['drops on a deleted connection', { ...pcx, status: 'deleted' }, k8s, main, tcp('172.20.0.23', '10.0.18.52'),
      'pcx-1 is deleted: only an active peering connection carries traffic'],
    ['refuses transit to a VPC the connection does not join', pcx, k8s, other, tcp('172.20.0.23', '192.168.10.5'),
      'pcx-1 connects vpc-k8s and vpc-main, not vpc-k8s to vpc-other: peering is not transitive'],
    ['refuses a VPC to itself', pcx, k8s, k8s, tcp('172.20.0.23', '172.20.0.24'),
      'pcx-1 connects vpc-k8s and vpc-main, not vpc-k8s to vpc-k8s: peering is not transitive'],
  ])('%s', (_name, p, from, to, packet, reason) => {
    const d = checkPeering(p, from, to, packet);
    if (reason === null) expect(d.ok).toBe(true);
    else expect(d).toMatchObject({ ok: false, reason });
    expect(d.rule.ref).toBe(p.id);
  });

  it('names both sides and their blocks in the rule text', () => {
    expect(checkPeering(pcx, k8s, main, tcp('172.20.0.23', '10.0.18.52')).rule.text).toBe('vpc-k8s (172.20.0.0/16) -> vpc-main (10.0.0.0/16)');
  });
});
