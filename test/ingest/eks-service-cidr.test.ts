/**
 * The EKS Service CIDR from `aws eks describe-cluster` and from Kubernetes
 * 1.33+ ServiceCIDR objects, in a VPC CNI snapshot without podpath.yaml: read,
 * listed by snapshot check, and used by doctor's overlap check.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { doctor } from '../../src/doctor/doctor.js';
import { run } from '../helpers/run-cli.js';
import { repoRoot } from '../helpers/estates.js';

const vpcCni = join(repoRoot, 'test/fixtures/snapshots/vpc-cni');

/** `aws eks describe-cluster` as the CLI prints it (fields beyond the ones read trimmed). */
const describeCluster = (cidr: string, name = 'shop') => JSON.stringify({
  cluster: {
    name, arn: `arn:aws:eks:eu-west-1:111122223333:cluster/${name}`, version: '1.33', status: 'ACTIVE',
    resourcesVpcConfig: { subnetIds: ['subnet-0a1'], securityGroupIds: [], clusterSecurityGroupId: 'sg-0c1', vpcId: 'vpc-0e1' },
    kubernetesNetworkConfig: { serviceIpv4Cidr: cidr, ipFamily: 'ipv4', elasticLoadBalancing: { enabled: false } },
  },
}, null, 2);
const serviceCidrList = (...objects: [string, string[]][]) => JSON.stringify({
  apiVersion: 'v1', kind: 'List', items: objects.map(([name, cidrs]) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name }, spec: { cidrs } })),
}, null, 2);

function snapshotWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-eks-'));
  cpSync(vpcCni, dir, { recursive: true });
  rmSync(join(dir, 'podpath.yaml'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('EKS Service CIDR', () => {
  it('reads describe-cluster output (detected by content) as the Service CIDR', () => {
    const dir = snapshotWith({ 'aws/cluster.json': describeCluster('10.100.0.0/16') });
    try {
      const { estate, notes } = inspectSnapshot(dir);
      expect(notes.found).toContainEqual({ file: join(dir, 'aws/cluster.json'), kind: 'eks describe-cluster', items: 1 });
      expect(notes.ignored.map((i) => i.what)).not.toContain(join(dir, 'aws/cluster.json'));
      expect(estate.cluster).toMatchObject({ serviceCidr: '10.100.0.0/16', additionalServiceCidrs: [], dnsServiceIp: '10.100.0.10', inferred: [] });
      expect(notes.derived).toContainEqual(expect.objectContaining({ what: 'cluster serviceCidr 10.100.0.0/16', from: 'aws eks describe-cluster (shop) kubernetesNetworkConfig.serviceIpv4Cidr' }));
      expect(notes.warnings.map((w) => w.message).join('\n')).not.toMatch(/serviceCidr/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads ServiceCIDR objects: the `kubernetes` one first, others as additional ranges, IPv6 ranges and objects being deleted set aside', () => {
    const list = JSON.parse(serviceCidrList(['added', ['10.101.0.0/24']], ['kubernetes', ['10.100.0.0/16', 'fd00:10:96::/112']], ['going', ['10.102.0.0/24']])) as { items: { metadata: Record<string, string> }[] };
    list.items[2]!.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const dir = snapshotWith({ 'k8s/servicecidrs.json': JSON.stringify(list) });
    try {
      const { estate, notes } = inspectSnapshot(dir);
      expect(notes.ignored.map((i) => i.why).join('\n')).not.toMatch(/content not recognised|does not read this kind/);
      expect(estate.cluster).toMatchObject({ serviceCidr: '10.100.0.0/16', additionalServiceCidrs: ['10.101.0.0/24'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two described clusters without podpath.yaml cluster.name: a warning, no Service CIDR taken', () => {
    const dir = snapshotWith({ 'aws/a.json': describeCluster('10.100.0.0/16', 'a'), 'aws/b.json': describeCluster('172.20.0.0/16', 'b') });
    try {
      const { estate, notes } = inspectSnapshot(dir);
      expect(notes.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/^2 EKS clusters are described \(a, b\)/));
      expect(estate.cluster!.serviceCidr).toBeUndefined();
      writeFileSync(join(dir, 'podpath.yaml'), 'cluster: { name: b }\n');
      expect(inspectSnapshot(dir).estate.cluster!.serviceCidr).toBe('172.20.0.0/16');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['describe-cluster', { 'aws/cluster.json': describeCluster('10.60.0.0/16') }],
    ['a ServiceCIDR object', { 'k8s/servicecidrs.json': serviceCidrList(['kubernetes', ['10.60.0.0/16']]) }],
  ])('doctor reports the Service CIDR / peer VPC overlap from %s alone', (_name, files) => {
    const dir = snapshotWith(files);
    try {
      const r = doctor(inspectSnapshot(dir).estate);
      const pp102 = r.findings.filter((f) => f.id === 'PP102');
      expect(pp102.map((f) => f.title)).toEqual([expect.stringMatching(/^Service CIDR 10\.60\.0\.0\/16 overlaps vpc-\S+ block 10\.60\.0\.0\/16$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('snapshot check lists describe-cluster as found', async () => {
    const dir = snapshotWith({ 'aws/cluster.json': describeCluster('10.100.0.0/16') });
    try {
      const r = await run('snapshot', 'check', dir);
      expect(r.out).toContain(`${join(dir, 'aws/cluster.json')}: eks describe-cluster`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
