/**
 * examples/tgw-egress.estate.yaml: two spokes and an egress VPC with a NAT
 * gateway on one transit gateway; spoke B's attachment serves one zone only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, traceOne, worldFromYaml, worldOf } from '../helpers/estates.js';

const file = join(repoRoot, 'examples/tgw-egress.estate.yaml');
const text = readFileSync(file, 'utf8');
const w = worldOf(file);
const where = (hops: { kind: string; at: string }[]) => hops.map((h) => `${h.kind}:${h.at}`);

describe('centralised egress through a transit gateway', () => {
  it('takes a spoke instance to the internet through the egress VPC\'s NAT gateway and back, every hop named', () => {
    const t = traceOne(w, { src: 'instance:i-a-1a', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('delivered');
    expect(where(t.forward)).toEqual([
      'security-group:eni-of-i-a-1a', 'nacl:acl-default-vpc-spoke-a', 'route-table:rtb-spoke-a',
      'nacl:acl-default-vpc-spoke-a', // the attachment subnet's inbound rules (subnet-a-tgw-1a)
      'tgw:tgw-hub',
      'nacl:acl-default-vpc-egress', // the egress attachment subnet's outbound rules (subnet-e-tgw-1a)
      'route-table:rtb-egress-tgw', 'nacl:acl-egress-public', 'nat-gateway:nat-egress', 'nacl:acl-egress-public',
      'route-table:rtb-egress-public', 'igw:igw-egress', 'target:internet',
    ]);
    expect(t.forward.find((h) => h.kind === 'tgw')?.rule?.ref).toBe('tgw-rtb-spokes#0.0.0.0/0');
    expect(t.reply!.find((h) => h.kind === 'tgw')?.rule?.ref).toBe('tgw-rtb-egress#10.1.0.0/16');
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'target', at: 'i-a-1a' });
  });

  it('drops traffic from an Availability Zone the VPC attachment has no subnet in', () => {
    const t = traceOne(w, { src: 'instance:i-b-1b', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('tgw-attach-spoke-b#subnets');
    expect(t.reason).toMatch(/no subnet in us-east-1b/);
  });

  it('delivers into a zone the attachment does not cover through another zone\'s interface, and says it assumed so', () => {
    const t = traceOne(w, { src: 'instance:i-a-1b', dst: '10.2.1.10:22' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward.some((h) => h.notes.some((n) => n.startsWith('assumed: tgw-attach-spoke-b has no subnet in us-east-1b')))).toBe(true);
  });

  it('applies the attachment subnet\'s network ACL to traffic entering the transit gateway', () => {
    const denying = text
      .replace('{ id: subnet-a-tgw-1a, vpc: vpc-spoke-a, cidr: 10.1.250.0/28, availabilityZone: us-east-1a, routeTable: rtb-spoke-a }',
        '{ id: subnet-a-tgw-1a, vpc: vpc-spoke-a, cidr: 10.1.250.0/28, availabilityZone: us-east-1a, routeTable: rtb-spoke-a, networkAcl: acl-a-tgw }')
      .replace('networkAcls:\n', 'networkAcls:\n  - { id: acl-a-tgw, vpc: vpc-spoke-a, egress: [{ rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }] }\n');
    const t = traceOne(worldFromYaml(denying), { src: 'instance:i-a-1a', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('acl-a-tgw#ingress[*]');
  });

  it('says unknown, not no-route, when the transit gateway table is known to lack routes', () => {
    const partial = text.replace(
      "        routes:\n          - { destination: 0.0.0.0/0, attachment: tgw-attach-egress }",
      '        incomplete: its static routes are not in the snapshot',
    );
    const t = traceOne(worldFromYaml(partial), { src: 'instance:i-a-1a', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('unknown');
    expect(t.reason).toMatch(/its static routes are not in the snapshot/);
  });
});

describe('route targets podpath keeps but does not trace through', () => {
  it('takes the more specific route to a VPC endpoint over the default route, and says unknown naming it', () => {
    const yaml = text.replace(
      "  - id: rtb-spoke-a\n    vpc: vpc-spoke-a\n    main: true\n    routes:\n",
      "  - id: rtb-spoke-a\n    vpc: vpc-spoke-a\n    main: true\n    routes:\n      - { destination: 52.216.0.0/15, target: vpce-s3gw, prefixList: pl-63a5400a }\n",
    );
    const t = traceOne(worldFromYaml(yaml), { src: 'instance:i-a-1a', dst: '52.216.8.1:443' });
    expect(t.verdict).toBe('unknown');
    expect(t.decidingRule?.ref).toBe('rtb-spoke-a#52.216.0.0/15');
    expect(t.reason).toMatch(/VPC endpoint/);
  });
});

describe('the NAT gateway translates the source port', () => {
  it('traces the translated port (1024) and checks the reply against the NACL on it, saying it assumed the port', () => {
    const t = traceOne(w, { src: 'instance:i-a-1a', dst: '93.184.216.34:443' });
    const nat = t.forward.find((h) => h.kind === 'nat-gateway')!;
    expect(nat.packetOut).toMatchObject({ src: '10.0.0.10', sport: 1024 });
    expect(nat.notes.join(' ')).toMatch(/assumed: the gateway picks any port of 1024-65535/);
    expect(t.reply!.find((h) => h.kind === 'nacl' && h.at === 'acl-egress-public')).toMatchObject({ decision: 'accept', rule: { ref: 'acl-egress-public#ingress[110]' } });
  });

  it('loses the reply at a public-subnet NACL that admits only Linux client ports (32768-60999)', () => {
    const linuxOnly = text.replace('{ rule: 110, proto: tcp, ports: 1024-65535, cidr: 0.0.0.0/0, action: allow }', '{ rule: 110, proto: tcp, ports: 32768-60999, cidr: 0.0.0.0/0, action: allow }');
    const t = traceOne(worldFromYaml(linuxOnly), { src: 'instance:i-a-1a', dst: '93.184.216.34:443' });
    expect(t.verdict).toBe('reply-lost');
    expect(t.decidingRule?.ref).toBe('acl-egress-public#ingress[*]');
    expect(t.reply!.at(-1)?.packetIn).toMatchObject({ dst: '10.0.0.10', dport: 1024 });
  });
});

describe('a source outside the estate entering by a transit gateway attachment', () => {
  it('routes by the attachment\'s table, and the reply leaves by the same attachment', () => {
    const t = traceOne(w, { src: '10.0.99.9', dst: '10.1.1.10:22', entry: 'tgw-attach-egress' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward[0]).toMatchObject({ kind: 'tgw', rule: { ref: 'tgw-rtb-egress#10.1.0.0/16' } });
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'tgw', decision: 'deliver', rule: { ref: 'tgw-rtb-spokes#0.0.0.0/0' } });
  });
});
