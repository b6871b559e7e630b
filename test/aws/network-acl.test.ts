import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultNetworkAcl, evaluateNacl } from '../../src/aws/network-acl.js';
import { NetworkAclSchema, type NaclRule, type NetworkAcl } from '../../src/model/aws.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';
import { arbAddress, arbCidr, arbPacket, arbPorts, arbRuleProto } from './arbitraries.js';
import { naclReference } from './oracles.js';

const ip = parseIpv4;
const tcp = (src: string, dst: string, dport: number): Packet => ({ src: ip(src), dst: ip(dst), proto: 'tcp', sport: 40000, dport });
const acl = (ingress: NaclRule[], egress: NaclRule[] = []): NetworkAcl => ({ id: 'acl-db', vpc: 'vpc-main', ingress, egress });

describe('evaluateNacl', () => {
  const dbAcl = acl(
    [
      { rule: 200, proto: 'tcp', ports: { from: 5432, to: 5432 }, cidr: '172.20.0.0/16', action: 'allow' },
      { rule: 100, proto: 'all', cidr: '10.244.0.0/16', action: 'deny' },
    ],
    [{ rule: 100, proto: 'tcp', ports: { from: 1024, to: 65535 }, cidr: '172.20.0.0/16', action: 'allow' }],
  );

  it('applies the lowest-numbered matching rule, not the first listed', () => {
    const d = evaluateNacl(dbAcl, 'ingress', tcp('10.244.1.5', '10.0.18.52', 5432));
    expect(d).toEqual({ action: 'deny', rule: { ref: 'acl-db#ingress[100]', at: { awsId: 'acl-db', index: 'ingress[100]' }, text: '100 deny all traffic from 10.244.0.0/16' } });
  });

  it('allows by a later rule when lower-numbered rules do not match', () => {
    const d = evaluateNacl(dbAcl, 'ingress', tcp('172.20.0.23', '10.0.18.52', 5432));
    expect(d).toMatchObject({ action: 'allow', rule: { ref: 'acl-db#ingress[200]', text: '200 allow tcp 5432 from 172.20.0.0/16' } });
  });

  it('denies by the implicit * rule when no numbered rule matches', () => {
    const d = evaluateNacl(dbAcl, 'ingress', tcp('172.20.0.23', '10.0.18.52', 22));
    expect(d).toEqual({
      action: 'deny',
      rule: { ref: 'acl-db#ingress[*]', at: { awsId: 'acl-db', index: 'ingress[*]' }, text: '* deny all traffic (no numbered ingress rule matches tcp 22 from 172.20.0.23)' },
    });
  });

  it('matches egress rules against the destination (the stateless reply needs its own rule)', () => {
    const reply = tcp('10.0.18.52', '172.20.0.23', 40000);
    expect(evaluateNacl(dbAcl, 'egress', reply)).toMatchObject({ action: 'allow', rule: { ref: 'acl-db#egress[100]' } });
    const replyToPod = tcp('10.0.18.52', '10.244.1.5', 40000);
    expect(evaluateNacl(dbAcl, 'egress', replyToPod)).toMatchObject({ action: 'deny', rule: { ref: 'acl-db#egress[*]' } });
  });

  it('gives the default NACL: allow all both ways by rule 100, valid against the model schema', () => {
    const d = defaultNetworkAcl('vpc-main');
    expect(NetworkAclSchema.parse(d)).toEqual(d);
    expect(d.id).toBe('acl-default-vpc-main');
    for (const dir of ['ingress', 'egress'] as const) {
      expect(evaluateNacl(d, dir, tcp('10.244.1.5', '8.8.8.8', 53))).toMatchObject({ action: 'allow', rule: { ref: `acl-default-vpc-main#${dir}[100]`, text: '100 allow all traffic ' + (dir === 'ingress' ? 'from' : 'to') + ' 0.0.0.0/0' } });
    }
  });
});

describe('evaluateNacl properties', () => {
  const arbRule: fc.Arbitrary<NaclRule> = fc
    .tuple(fc.integer({ min: 1, max: 30 }), arbRuleProto, arbPorts, arbCidr, fc.constantFrom<'allow' | 'deny'>('allow', 'deny'))
    .map(([rule, proto, ports, cidr, action]) => ({ rule, proto, ...(ports ? { ports } : {}), cidr, action }));
  const arbAcl = fc.record({ ingress: fc.array(arbRule, { maxLength: 8 }), egress: fc.array(arbRule, { maxLength: 8 }) }).map((r): NetworkAcl => ({ id: 'acl-x', vpc: 'vpc-x', ...r }));
  const arbDirection = fc.constantFrom<'ingress' | 'egress'>('ingress', 'egress');

  it('equals a first-match-by-minimum-rule-number reference on random ACLs and packets', () => {
    fc.assert(
      fc.property(arbAcl, arbDirection, arbPacket(arbAddress), (a, dir, p) => {
        const d = evaluateNacl(a, dir, p);
        expect({ action: d.action, ref: d.rule.ref }).toEqual(naclReference(a, dir, p));
      }),
      { numRuns: 1000 },
    );
  });

  it('does not depend on the order rules are listed in when rule numbers are distinct', () => {
    const arbPair = arbAcl
      .map((a) => ({ ...a, ingress: a.ingress.filter((r, i) => a.ingress.findIndex((s) => s.rule === r.rule) === i) }))
      .chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a.ingress, { minLength: a.ingress.length, maxLength: a.ingress.length })));
    fc.assert(
      fc.property(arbPair, arbPacket(arbAddress), ([a, shuffled], p) => {
        expect(evaluateNacl({ ...a, ingress: shuffled }, 'ingress', p)).toEqual(evaluateNacl(a, 'ingress', p));
      }),
    );
  });

  it('generates allow, explicit deny and implicit deny cases (the properties above are not vacuous)', () => {
    const samples = fc.sample(fc.tuple(arbAcl, arbDirection, arbPacket(arbAddress)), { numRuns: 500, seed: 7 });
    const kinds = new Set(samples.map(([a, d, p]) => {
      const r = evaluateNacl(a, d, p);
      return r.rule.ref.endsWith('[*]') ? '*' : r.action;
    }));
    expect(kinds).toEqual(new Set(['allow', 'deny', '*']));
  });
});
