import { describe, expect, it } from 'vitest';
import { traceOne, worldFromYaml } from '../helpers/estates.js';
import type { Hop } from '../../src/trace/types.js';
import { eks } from '../helpers/eks-estate.js';

const sgIngress = (hops: Hop[]) => hops.find((h) => h.kind === 'security-group' && h.direction === 'ingress')!;

describe('security group references admit every private address of the members', () => {
  it('delivers pod -> pod across nodes through the self-referencing cluster group, without NAT', () => {
    const t = traceOne(worldFromYaml(eks()), { src: 'pod:a', dst: 'pod:b:8080' });
    expect(t.verdict).toBe('delivered');
    expect(sgIngress(t.forward)).toMatchObject({ decision: 'accept', rule: { ref: 'sg-cluster#ingress[0]' } });
    expect(t.forward.every((h) => h.packetIn.src === '10.0.1.20')).toBe(true);
  });

  it('does not admit a secondary address of an interface outside the group', () => {
    const w = worldFromYaml(eks().replace('secondaryIps: [10.0.1.20], securityGroups: [sg-cluster]', 'secondaryIps: [10.0.1.20], securityGroups: [sg-other]')
      .replace('securityGroups:\n', 'securityGroups:\n  - { id: sg-other, vpc: vpc-eks }\n'));
    const t = traceOne(w, { src: 'pod:a', dst: 'pod:b:8080' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('sg-cluster#ingress');
  });
});

/**
 * Instance i-a (subnet-a) reaches i-b (subnet-b) through the middlebox node
 * `mb` (its own subnet, source/dest check off): subnet-a routes subnet-b's
 * block to it. All three are members of sg-app, which admits only itself.
 */
const middlebox = (viaMiddlebox: boolean) => `
vpcs:
  - { id: vpc-a, cidrBlocks: [10.0.0.0/16] }
subnets:
  - { id: subnet-a, vpc: vpc-a, cidr: 10.0.1.0/24${viaMiddlebox ? ', routeTable: rtb-a' : ''} }
  - { id: subnet-b, vpc: vpc-a, cidr: 10.0.2.0/24 }
  - { id: subnet-m, vpc: vpc-a, cidr: 10.0.3.0/24 }
routeTables:
  - { id: rtb-main, vpc: vpc-a, main: true }
  - id: rtb-a
    vpc: vpc-a
    routes:
      - { destination: 10.0.2.0/24, target: i-mb }
securityGroups:
  - id: sg-app
    vpc: vpc-a
    ingress:
      - { proto: all, sg: sg-app }
instances:
  - { id: i-a, subnet: subnet-a, privateIp: 10.0.1.10, securityGroups: [sg-app] }
  - { id: i-b, subnet: subnet-b, privateIp: 10.0.2.10, securityGroups: [sg-app] }
  - { id: i-mb, subnet: subnet-m, privateIp: 10.0.3.10, securityGroups: [sg-app], sourceDestCheck: false }
nodes:
  - { name: mb, instance: i-mb }
`;

describe('a reference does not admit traffic a member forwards for someone else', () => {
  it('admits i-a at i-b when i-a sends directly', () => {
    const t = traceOne(worldFromYaml(middlebox(false)), { src: 'instance:i-a', dst: '10.0.2.10:22' });
    expect(t.verdict).toBe('delivered');
  });

  it('drops at i-b when the member middlebox forwards i-a\'s packet, and says why', () => {
    const t = traceOne(worldFromYaml(middlebox(true)), { src: 'instance:i-a', dst: '10.0.2.10:22' });
    expect(t.forward.some((h) => h.kind === 'node-route' && h.at === 'mb')).toBe(true);
    expect(t.verdict).toBe('dropped');
    const sg = sgIngress(t.forward.filter((h) => h.at === 'eni-of-i-b'));
    expect(sg.decision).toBe('drop');
    expect(sg.notes.join(' ')).toMatch(/eni-of-i-mb \(a member\) forwarded it/);
  });
});

/** i-a in vpc-a reaches i-b in vpc-b (22 from sg-a only) over a peering or a transit gateway. */
const crossVpc = (path: 'pcx' | 'tgw', tgwOptions = '') => `
vpcs:
  - { id: vpc-a, cidrBlocks: [10.0.0.0/16] }
  - { id: vpc-b, cidrBlocks: [10.1.0.0/16] }
subnets:
  - { id: subnet-a, vpc: vpc-a, cidr: 10.0.1.0/24 }
  - { id: subnet-b, vpc: vpc-b, cidr: 10.1.1.0/24 }
routeTables:
  - id: rtb-a
    vpc: vpc-a
    main: true
    routes: [{ destination: 10.1.0.0/16, target: ${path === 'pcx' ? 'pcx-ab' : 'tgw-x'} }]
  - id: rtb-b
    vpc: vpc-b
    main: true
    routes: [{ destination: 10.0.0.0/16, target: ${path === 'pcx' ? 'pcx-ab' : 'tgw-x'} }]
peerings:
  - { id: pcx-ab, requester: vpc-a, accepter: vpc-b }
transitGateways:
  - id: tgw-x
    ${tgwOptions}
    attachments:
      - { id: tgw-attach-a, vpc: vpc-a, subnets: [subnet-a], routeTable: tgw-rtb-x }
      - { id: tgw-attach-b, vpc: vpc-b, subnets: [subnet-b], routeTable: tgw-rtb-x }
    routeTables:
      - { id: tgw-rtb-x, propagations: [tgw-attach-a, tgw-attach-b] }
securityGroups:
  - { id: sg-a, vpc: vpc-a }
  - id: sg-b
    vpc: vpc-b
    ingress:
      - { proto: tcp, ports: 22, sg: sg-a }
instances:
  - { id: i-a, subnet: subnet-a, privateIp: 10.0.1.10, securityGroups: [sg-a] }
  - { id: i-b, subnet: subnet-b, privateIp: 10.1.1.10, securityGroups: [sg-b] }
`;

describe('references across VPCs', () => {
  it('match over an active peering, labelled as assuming one Region', () => {
    const t = traceOne(worldFromYaml(crossVpc('pcx')), { src: 'instance:i-a', dst: '10.1.1.10:22' });
    expect(t.verdict).toBe('delivered');
    const sg = sgIngress(t.forward);
    expect(sg.rule?.ref).toBe('sg-b#ingress[0]');
    expect(sg.notes.join(' ')).toMatch(/assuming both VPCs are in the same Region/);
  });

  it('do not match through a transit gateway without security group referencing (AWS default)', () => {
    const t = traceOne(worldFromYaml(crossVpc('tgw')), { src: 'instance:i-a', dst: '10.1.1.10:22' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('sg-b#ingress');
    expect(sgIngress(t.forward).notes.join(' ')).toMatch(/tgw-x does not have security group referencing enabled/);
  });

  it('match through a transit gateway with referencing enabled on the gateway and its attachments', () => {
    const t = traceOne(worldFromYaml(crossVpc('tgw', 'securityGroupReferencing: true')), { src: 'instance:i-a', dst: '10.1.1.10:22' });
    expect(t.verdict).toBe('delivered');
    expect(sgIngress(t.forward).rule?.ref).toBe('sg-b#ingress[0]');
  });
});
