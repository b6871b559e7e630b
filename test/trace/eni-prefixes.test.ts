import { describe, expect, it } from 'vitest';
import { traceOne, worldFromYaml } from '../helpers/estates.js';
import { eks } from '../helpers/eks-estate.js';

/** n1 also holds the delegated prefix 10.0.2.16/28 (VPC CNI prefix mode); pod c has an address in it. */
const withPrefix = (prefixes: string) => worldFromYaml(eks('  - { name: c, node: n1, ip: 10.0.2.18 }\n')
  .replace('secondaryIps: [10.0.1.20], securityGroups', `secondaryIps: [10.0.1.20], ipv4Prefixes: [${prefixes}], securityGroups`)
  .replace('      10.0.1.20 dev eni1a scope link\n', '      10.0.1.20 dev eni1a scope link\n      10.0.2.18 dev eni1c scope link\n'));

describe('delegated IPv4 prefixes (Ipv4Prefixes)', () => {
  it('pass the source/dest check and the self-referencing cluster group: pod in a /28 -> pod on another node delivered both ways', () => {
    const t = traceOne(withPrefix('10.0.2.16/28'), { src: 'pod:c', dst: 'pod:b:8080' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.find((h) => h.kind === 'security-group' && h.direction === 'ingress')?.rule?.ref).toBe('sg-cluster#ingress[0]');
    expect(t.forward.some((h) => h.kind === 'eni')).toBe(false);
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'pod', at: 'default/c', packetIn: { dst: '10.0.2.18' } });
  });

  it('without the prefix, the same pod source is dropped by the node ENI\'s source/dest check', () => {
    const t = traceOne(withPrefix(''), { src: 'pod:c', dst: 'pod:b:8080' });
    expect(t.verdict).toBe('dropped');
    expect(t.forward.at(-1)).toMatchObject({ kind: 'eni', direction: 'egress', decision: 'drop' });
  });

  it('refuses a prefix that is not a /28, naming the field', () => {
    expect(() => withPrefix('10.0.2.0/27')).toThrow(/AWS delegates IPv4 prefixes as \/28 blocks at instances.0.ipv4Prefixes.0/);
  });

  it('refuses a prefix that holds one of the interface\'s own secondary addresses', () => {
    expect(() => withPrefix('10.0.1.16/28')).toThrow('address 10.0.1.20 of eni-of-i-n1 is already used by eni-of-i-n1');
  });

  it('refuses a prefix outside the interface\'s subnet', () => {
    expect(() => withPrefix('10.0.33.16/28')).toThrow(/10.0.33.16\/28 is not inside subnet subnet-a \(10.0.0.0\/19\)/);
  });
});
