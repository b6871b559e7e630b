import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateSecurityGroups } from '../../src/aws/security-group.js';
import type { SecurityGroup, SgRule } from '../../src/model/aws.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';
import { arbAddress, arbCidr, arbPacket, arbPorts, arbRuleProto } from './arbitraries.js';
import { sgReference } from './oracles.js';

const ip = parseIpv4;
const tcp = (src: string, dst: string, dport: number): Packet => ({ src: ip(src), dst: ip(dst), proto: 'tcp', sport: 40000, dport });
const icmp = (src: string, dst: string): Packet => ({ src: ip(src), dst: ip(dst), proto: 'icmp', sport: 0, dport: 0 });
const sg = (id: string, ingress: SgRule[], egress: SgRule[] = [{ proto: 'all', cidr: '0.0.0.0/0' }]): SecurityGroup => ({ id, vpc: 'vpc-main', ingress, egress });
const noMembers = () => new Set<number>();

/** The seed's RDS security group: 5432 from the Kubernetes VPC only. */
const rdsSg = sg('sg-rds', [{ proto: 'tcp', ports: { from: 5432, to: 5432 }, cidr: '172.20.0.0/16' }]);

describe('evaluateSecurityGroups on the seed', () => {
  it('admits the node (172.20.0.23) to RDS 5432 by the VPC CIDR rule', () => {
    const d = evaluateSecurityGroups([rdsSg], 'ingress', tcp('172.20.0.23', '10.0.18.52', 5432), noMembers);
    expect(d).toEqual({ allowed: true, rule: { ref: 'sg-rds#ingress[0]', at: { awsId: 'sg-rds', index: 'ingress[0]' }, text: 'tcp 5432 from 172.20.0.0/16' } });
  });

  it('drops the un-masqueraded pod source 10.244.1.5 and says which groups had no rule', () => {
    const d = evaluateSecurityGroups([rdsSg], 'ingress', tcp('10.244.1.5', '10.0.18.52', 5432), noMembers);
    expect(d).toEqual({ allowed: false, rule: { ref: 'sg-rds#ingress', at: { awsId: 'sg-rds', index: 'ingress' }, text: 'no rule of sg-rds allows tcp 5432 from 10.244.1.5' } });
  });

  it('admits the pod once the group is opened "from anywhere"', () => {
    const open = sg('sg-open', [{ proto: 'tcp', ports: { from: 5432, to: 5432 }, cidr: '0.0.0.0/0' }]);
    const d = evaluateSecurityGroups([rdsSg, open], 'ingress', tcp('10.244.1.5', '10.0.18.52', 5432), noMembers);
    expect(d.allowed && d.rule.ref).toBe('sg-open#ingress[0]');
  });
});

describe('evaluateSecurityGroups rule matching', () => {
  const members = (id: string) => (id === 'sg-nodes' ? new Set([ip('172.20.0.23')]) : new Set<number>());
  it.each<[string, SgRule, Packet, 'ingress' | 'egress', boolean, string?]>([
    ['a port range admits a port inside it', { proto: 'tcp', ports: { from: 1024, to: 65535 }, cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 40000), 'ingress', true, 'tcp 1024-65535 from 0.0.0.0/0'],
    ['a port range rejects a port outside it', { proto: 'tcp', ports: { from: 1024, to: 65535 }, cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 22), 'ingress', false],
    ['a udp rule does not admit tcp', { proto: 'udp', ports: { from: 53, to: 53 }, cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 53), 'ingress', false],
    ['protocol number 6 is tcp', { proto: 6, ports: { from: 5432, to: 5432 }, cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 5432), 'ingress', true, 'tcp 5432 from 0.0.0.0/0'],
    ['protocol 47 (GRE) never matches tcp', { proto: 47, cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 5432), 'ingress', false],
    ['all traffic matches every protocol and port', { proto: 'all', cidr: '10.0.0.0/8' }, icmp('10.1.2.3', '10.0.0.5'), 'ingress', true, 'all traffic from 10.0.0.0/8'],
    ['icmp ignores the ports field', { proto: 'icmp', ports: { from: 8, to: 8 }, cidr: '0.0.0.0/0' }, icmp('1.2.3.4', '10.0.0.5'), 'ingress', true, 'icmp from 0.0.0.0/0'],
    ['tcp without ports admits all ports', { proto: 'tcp', cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 1), 'ingress', true, 'tcp all ports from 0.0.0.0/0'],
    ['a group reference admits its members', { proto: 'tcp', ports: { from: 5432, to: 5432 }, sg: 'sg-nodes' }, tcp('172.20.0.23', '10.0.18.52', 5432), 'ingress', true, 'tcp 5432 from sg-nodes'],
    ['a group reference rejects non-members', { proto: 'tcp', ports: { from: 5432, to: 5432 }, sg: 'sg-nodes' }, tcp('172.20.0.24', '10.0.18.52', 5432), 'ingress', false],
    ['egress rules match the destination', { proto: 'tcp', ports: { from: 5432, to: 5432 }, cidr: '10.0.0.0/16' }, tcp('172.20.0.23', '10.0.18.52', 5432), 'egress', true, 'tcp 5432 to 10.0.0.0/16'],
    ['egress rules do not match the source', { proto: 'tcp', ports: { from: 5432, to: 5432 }, cidr: '172.20.0.0/16' }, tcp('172.20.0.23', '10.0.18.52', 5432), 'egress', false],
    ['the port checked is the destination port', { proto: 'tcp', ports: { from: 40000, to: 40000 }, cidr: '0.0.0.0/0' }, tcp('1.2.3.4', '10.0.0.5', 5432), 'ingress', false],
  ])('%s', (_name, rule, packet, direction, allowed, text) => {
    const group = direction === 'ingress' ? sg('sg-x', [rule]) : sg('sg-x', [], [rule]);
    const d = evaluateSecurityGroups([group], direction, packet, members);
    expect(d.allowed).toBe(allowed);
    if (text !== undefined) expect(d.rule.text).toBe(text);
  });

  it('names the egress direction and destination when nothing allows it', () => {
    const d = evaluateSecurityGroups([sg('sg-a', [], []), sg('sg-b', [], [])], 'egress', tcp('172.20.0.23', '10.0.18.52', 5432), noMembers);
    expect(d.rule).toMatchObject({ ref: 'sg-a,sg-b#egress', text: 'no rule of sg-a, sg-b allows tcp 5432 to 10.0.18.52' });
  });

  it('drops everything when no group is attached', () => {
    const d = evaluateSecurityGroups([], 'ingress', tcp('1.2.3.4', '10.0.0.5', 22), noMembers);
    expect(d.allowed).toBe(false);
    expect(d.rule.text).toBe('no security group is attached, so nothing allows tcp 22 from 1.2.3.4');
  });

  it('applies the egress default of a group created without egress rules (all traffic to 0.0.0.0/0)', () => {
    const d = evaluateSecurityGroups([sg('sg-a', [])], 'egress', icmp('10.0.0.5', '8.8.8.8'), noMembers);
    expect(d).toMatchObject({ allowed: true, rule: { ref: 'sg-a#egress[0]', text: 'all traffic to 0.0.0.0/0' } });
  });
});

describe('evaluateSecurityGroups properties', () => {
  const pool = [parseIpv4('10.0.0.1'), parseIpv4('10.0.0.2'), parseIpv4('172.20.0.23'), parseIpv4('10.244.1.5')];
  const arbPeerAddress = fc.oneof(fc.constantFrom(...pool), arbAddress);
  const arbRule: fc.Arbitrary<SgRule> = fc
    .tuple(arbRuleProto, arbPorts, fc.oneof(arbCidr.map((cidr) => ({ cidr })), fc.constantFrom('sg-a', 'sg-b', 'sg-c').map((sgId) => ({ sg: sgId }))))
    .map(([proto, ports, peer]) => ({ proto, ...(ports ? { ports } : {}), ...peer }));
  const arbGroups = fc.uniqueArray(
    fc.record({ id: fc.constantFrom('sg-a', 'sg-b', 'sg-c', 'sg-d'), ingress: fc.array(arbRule, { maxLength: 4 }), egress: fc.array(arbRule, { maxLength: 4 }) }),
    { maxLength: 3, selector: (g) => g.id },
  ).map((gs) => gs.map((g): SecurityGroup => ({ ...g, vpc: 'vpc-x' })));
  const arbMembers = fc
    .tuple(fc.subarray(pool), fc.subarray(pool), fc.subarray(pool))
    .map(([a, b, c]) => new Map<string, number[]>([['sg-a', a], ['sg-b', b], ['sg-c', c]]));
  const arbDirection = fc.constantFrom<'ingress' | 'egress'>('ingress', 'egress');
  const evaluate = (groups: SecurityGroup[], dir: 'ingress' | 'egress', p: Packet, members: Map<string, number[]>) =>
    evaluateSecurityGroups(groups, dir, p, (id) => new Set(members.get(id) ?? []));

  it('equals a brute-force per-rule check over expanded port sets, including the reported rule', () => {
    fc.assert(
      fc.property(arbGroups, arbDirection, arbPacket(arbPeerAddress), arbMembers, (groups, dir, p, members) => {
        const d = evaluate(groups, dir, p, members);
        expect({ allowed: d.allowed, ref: d.rule.ref }).toEqual(sgReference(groups, dir, p, members));
      }),
      { numRuns: 1000 },
    );
  });

  it('allows or drops regardless of the order of groups and rules', () => {
    const arbShuffled = arbGroups.chain((gs) =>
      fc.tuple(
        fc.constant(gs),
        fc.shuffledSubarray(gs, { minLength: gs.length, maxLength: gs.length }).chain((order) =>
          fc.tuple(...order.map((g) => fc.shuffledSubarray(g.ingress, { minLength: g.ingress.length, maxLength: g.ingress.length }).map((ingress) => ({ ...g, ingress })))),
        ),
      ),
    );
    fc.assert(
      fc.property(arbShuffled, arbPacket(arbPeerAddress), arbMembers, ([groups, shuffled], p, members) => {
        expect(evaluate(shuffled, 'ingress', p, members).allowed).toBe(evaluate(groups, 'ingress', p, members).allowed);
      }),
    );
  });

  it('generates both allowed and dropped cases (the properties above are not vacuous)', () => {
    const samples = fc.sample(fc.tuple(arbGroups, arbDirection, arbPacket(arbPeerAddress), arbMembers), { numRuns: 500, seed: 42 });
    const outcomes = new Set(samples.map(([g, d, p, m]) => evaluate(g, d, p, m).allowed));
    expect(outcomes).toEqual(new Set([true, false]));
  });
});
