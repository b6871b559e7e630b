import { describe, expect, it } from 'vitest';
import { traceOne, worldFromYaml } from '../helpers/estates.js';
import { eks } from '../helpers/eks-estate.js';

/** The EKS estate with the cluster group's egress narrowed to HTTPS only, and no ingress from the resolver. */
const narrow = () => worldFromYaml(eks().replace(
  '      - { proto: all, sg: sg-cluster }\n',
  '      - { proto: all, sg: sg-cluster }\n    egress:\n      - { proto: tcp, ports: 443, cidr: 0.0.0.0/0 }\n',
));

describe('security groups and the VPC resolver (VPC base + 2)', () => {
  it('do not filter a node\'s DNS query to the resolver nor its answer, and the hops say why', () => {
    const t = traceOne(narrow(), { src: 'node:n1', dst: '10.0.0.2:53', proto: 'udp' });
    expect(t.verdict).toBe('delivered');
    const out = t.forward.find((h) => h.kind === 'security-group')!;
    expect(out).toMatchObject({ direction: 'egress', decision: 'accept', rule: { ref: 'AmazonProvidedDNS#egress' } });
    expect(out.notes.join(' ')).toMatch(/not filtered by security groups/);
    expect(t.reply!.find((h) => h.kind === 'security-group')).toMatchObject({ direction: 'ingress', decision: 'accept', rule: { ref: 'AmazonProvidedDNS#ingress' } });
  });

  it('do not filter DNS over TCP from a pod on a VPC address either', () => {
    expect(traceOne(narrow(), { src: 'pod:a', dst: '10.0.0.2:53', proto: 'tcp' }).verdict).toBe('delivered');
  });

  it('still filter other traffic to the resolver address', () => {
    const t = traceOne(narrow(), { src: 'node:n1', dst: '10.0.0.2:80' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('sg-cluster#egress');
  });

  it('still filter DNS to another address', () => {
    const t = traceOne(narrow(), { src: 'node:n1', dst: '10.0.33.10:53', proto: 'udp' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('sg-cluster#egress');
  });
});

describe('an RDS instance asking the VPC resolver', () => {
  it('gets the answer as the reply of its own query (the exemption still tracks the connection)', () => {
    const w = worldFromYaml(eks('rdsInstances:\n  - { id: db, subnet: subnet-a, address: 10.0.1.100, port: 5432, securityGroups: [sg-cluster] }\n'));
    const t = traceOne(w, { src: '10.0.1.100', dst: '10.0.0.2:53', proto: 'udp' });
    expect(t.verdict).toBe('delivered');
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'target', decision: 'deliver' });
  });
});
