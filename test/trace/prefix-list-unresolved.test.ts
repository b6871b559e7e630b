/**
 * A prefix-list route whose entries the input lacks: a lookup it could win is
 * unknown, never a fallback to a broader route (issue 13); a gateway
 * endpoint's AWS-managed list is taken to hold public ranges only (stated).
 */
import { describe, expect, it } from 'vitest';
import { traceOne, worldFromYaml } from '../helpers/estates.js';

const estate = (target: string) => `
name: pl-unresolved
vpcs:
  - { id: vpc-a, cidrBlocks: [10.1.0.0/16] }
  - { id: vpc-b, cidrBlocks: [10.2.0.0/16] }
subnets:
  - { id: subnet-a, vpc: vpc-a, cidr: 10.1.1.0/24 }
  - { id: subnet-b, vpc: vpc-b, cidr: 10.2.1.0/24 }
internetGateways:
  - { id: igw-a, vpc: vpc-a }
peerings:
  - { id: pcx-1, requester: vpc-a, accepter: vpc-b }
routeTables:
  - id: rtb-a
    vpc: vpc-a
    main: true
    routes:
      - { destination: 0.0.0.0/0, target: igw-a }
    unresolved:
      - { prefixList: pl-0abc, target: ${target} }
  - id: rtb-b
    vpc: vpc-b
    main: true
    routes:
      - { destination: 10.1.0.0/16, target: pcx-1 }
securityGroups:
  - { id: sg-a, vpc: vpc-a, ingress: [{ proto: all, cidr: 0.0.0.0/0 }] }
  - { id: sg-b, vpc: vpc-b, ingress: [{ proto: all, cidr: 0.0.0.0/0 }] }
instances:
  - { id: i-a, subnet: subnet-a, privateIp: 10.1.1.10, publicIp: 3.3.3.3, securityGroups: [sg-a] }
  - { id: i-b, subnet: subnet-b, privateIp: 10.2.1.10, securityGroups: [sg-b] }
`;

describe('prefix-list routes without their entries', () => {
  it('answers unknown for a customer list (here into a peering) where the default route would otherwise be taken', () => {
    const t = traceOne(worldFromYaml(estate('pcx-1')), { src: 'instance:i-a', dst: '10.2.1.10:443' });
    expect(t.verdict).toBe('unknown');
    expect(t.decidingRule?.ref).toBe('rtb-a#pl-0abc');
  });

  it('keeps the local route: a prefix list cannot override the VPC\'s own blocks', () => {
    const t = traceOne(worldFromYaml(estate('pcx-1')), { src: 'instance:i-a', dst: '10.1.1.20:443' });
    expect(t.verdict).not.toBe('unknown');
  });

  it('takes a gateway endpoint\'s list to hold public ranges only: private destinations follow the known routes, with the assumption stated', () => {
    const w = worldFromYaml(estate('vpce-0s3'));
    const priv = traceOne(w, { src: 'instance:i-a', dst: '10.2.1.10:443' });
    expect(priv.verdict).toBe('dropped');
    expect(priv.forward.find((h) => h.kind === 'route-table')!.notes.join(' ')).toMatch(/assumed: the gateway endpoint prefix list\(s\) pl-0abc hold only public ranges/);
    const pub = traceOne(w, { src: 'instance:i-a', dst: '52.216.0.10:443' });
    expect(pub.verdict).toBe('unknown');
  });
});
