/**
 * `podpath collect` offline: AWS through aws-sdk-client-mock (a paginated
 * result, a throttled page retried, a denied call reported), Kubernetes
 * through a local HTTP server on 127.0.0.1 replaying recorded API lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeInstancesCommand, DescribeNatGatewaysCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client, DescribeTransitGatewayRouteTablesCommand, SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { KubeConfig } from '@kubernetes/client-node';
import { collectSnapshot } from '../../src/ingest/collect/collect.js';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { corpus } from '../helpers/estates.js';

const recorded = (f: string) => readFileSync(join(corpus, 'kubectl', f), 'utf8');
const replies: Record<string, string> = {
  '/api/v1/nodes': recorded('vm-minikube-nodelist.json'),
  '/api/v1/pods': recorded('vm-minikube-podlist.json'),
  '/api/v1/services': recorded('vm-minikube-servicelist.json'),
  '/apis/discovery.k8s.io/v1/endpointslices': recorded('vm-endpointslicelist.json'),
  '/api/v1/namespaces/kube-system/configmaps': '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{},"items":[]}',
  // Kubernetes 1.33+: the apiserver's own range and one added later (a ServiceCIDR holds at most one range per family).
  '/apis/networking.k8s.io/v1/servicecidrs': JSON.stringify({ kind: 'ServiceCIDRList', apiVersion: 'networking.k8s.io/v1', metadata: {}, items: [
    { metadata: { name: 'extra' }, spec: { cidrs: ['10.97.0.0/24'] } },
    { metadata: { name: 'kubernetes' }, spec: { cidrs: ['10.96.0.0/16', 'fd00:10:96::/112'] } },
  ] }),
};
/** Paths this API server does not serve at all (404, as an apiserver older than the API answers). */
const notServed = new Set<string>();
let server: Server;
const requests: string[] = [];
let kc: KubeConfig;
let out: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    requests.push(`${req.method} ${path}`);
    const body = notServed.has(path) ? undefined : replies[path];
    if (notServed.has(path)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}');
      return;
    }
    res.writeHead(body ? 200 : 403, { 'content-type': 'application/json' });
    res.end(body ?? '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"daemonsets.apps is forbidden","reason":"Forbidden","code":403}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'replay', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'reader', token: 'recorded' }],
    contexts: [{ name: 'replay', cluster: 'replay', user: 'reader' }],
    currentContext: 'replay',
  });
  out = mkdtempSync(join(tmpdir(), 'podpath-collect-'));
});
afterAll(() => {
  server.close();
  rmSync(out, { recursive: true, force: true });
});

function mocks() {
  const ec2 = mockClient(EC2Client);
  const rds = mockClient(RDSClient);
  ec2.onAnyCommand().resolves({});
  ec2.on(DescribeVpcsCommand).resolvesOnce({ Vpcs: [{ VpcId: 'vpc-01', CidrBlock: '10.1.0.0/16' }], NextToken: 'page-2' })
    .resolves({ Vpcs: [{ VpcId: 'vpc-02', CidrBlock: '10.2.0.0/16' }] });
  const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  ec2.on(DescribeSubnetsCommand).rejectsOnce(throttle).resolves({ Subnets: [{ SubnetId: 'subnet-01', VpcId: 'vpc-01', CidrBlock: '10.1.0.0/24' }] });
  ec2.on(DescribeNatGatewaysCommand).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' }));
  ec2.on(DescribeTransitGatewayRouteTablesCommand).resolves({ TransitGatewayRouteTables: [{ TransitGatewayRouteTableId: 'tgw-rtb-01', TransitGatewayId: 'tgw-01' }] });
  ec2.on(SearchTransitGatewayRoutesCommand).resolves({ Routes: [{ DestinationCidrBlock: '10.1.0.0/16', Type: 'propagated', State: 'active' }], AdditionalRoutesAvailable: false });
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [
    { InstanceId: 'i-01', Tags: [{ Key: 'eks:cluster-name', Value: 'shop' }, { Key: 'kubernetes.io/cluster/shop', Value: 'owned' }] },
  ] }] });
  return { ec2: new EC2Client({ region: 'eu-west-1' }), rds: new RDSClient({ region: 'eu-west-1' }), restore: () => (ec2.restore(), rds.restore()), ec2Mock: ec2 };
}

describe('podpath collect (offline, recorded responses)', () => {
  it('collects every page, retries a throttled page with backoff, reports a denied call and goes on', async () => {
    const m = mocks();
    const slept: number[] = [];
    const lines: string[] = [];
    try {
      const r = await collectSnapshot({ region: 'eu-west-1', out, progress: (l) => lines.push(l), ec2: m.ec2, rds: m.rds, kubeConfig: kc, sleep: async (ms) => void slept.push(ms) });
      const vpcs = JSON.parse(readFileSync(join(out, 'aws/describe-vpcs.json'), 'utf8'));
      expect(vpcs.Vpcs.map((v: { VpcId: string }) => v.VpcId)).toEqual(['vpc-01', 'vpc-02']);
      expect(r.written.find((w) => w.call === 'describe-vpcs')).toMatchObject({ pages: 2, items: 2 });
      expect(r.throttled).toBe(1);
      expect(slept).toEqual([250]);
      expect(r.written.find((w) => w.call === 'describe-subnets')?.items).toBe(1);
      expect(r.failures).toEqual([
        { call: 'describe-nat-gateways', error: 'UnauthorizedOperation: You are not authorized to perform this operation.' },
        expect.objectContaining({ call: 'kubectl get daemonsets -A' }),
      ]);
      expect(r.written.map((w) => w.file)).toContain('aws/search-transit-gateway-routes.tgw-rtb-01.json');
      expect(lines.some((l) => /throttled \(ThrottlingException\); retrying in 250 ms from page 1/.test(l))).toBe(true);
      expect(r.nodeDumpCommands.some((c) => c.includes('kubectl debug node/m01') && c.includes('chroot /host iptables-save'))).toBe(true);
      expect(r.nodeDumpCommands.some((c) => c.includes('kubectl debug node/m01') && c.includes("nft -j list ruleset' >") && c.endsWith('nodes/m01/nft-ruleset.json'))).toBe(true);
      const sent = m.ec2Mock.calls().map((c) => (c.args[0] as object).constructor.name);
      expect(sent.every((n) => /^(Describe|Search|Get)/.test(n))).toBe(true);
    } finally {
      m.restore();
    }
  });

  it('asks the Kubernetes API only with GET list calls on the local replay server', () => {
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(requests.every((r) => r.startsWith('GET '))).toBe(true);
  });

  it('writes a folder that podpath snapshot check reads back, Service ranges from the ServiceCIDR objects included', () => {
    const { notes, estate } = inspectSnapshot(out);
    expect(notes.found.map((f) => f.kind)).toEqual(expect.arrayContaining(['describe-vpcs', 'describe-subnets', expect.stringMatching(/^kubectl NodeList/), 'kubectl ServiceCIDRList (2 ServiceCIDR)']));
    expect(estate.cluster).toMatchObject({ serviceCidr: '10.96.0.0/16', additionalServiceCidrs: ['10.97.0.0/24'] });
  });

  it('prints the aws eks describe-cluster command for the cluster the instances\' tags name (no EKS SDK client is used)', async () => {
    const m = mocks();
    const dir = mkdtempSync(join(tmpdir(), 'podpath-collect-eks-'));
    try {
      const r = await collectSnapshot({ region: 'eu-west-1', profile: 'ro', out: dir, progress: () => {}, ec2: m.ec2, rds: m.rds, kubeConfig: kc, sleep: async () => {} });
      expect(r.extraCommands).toEqual([`aws eks describe-cluster --region eu-west-1 --profile ro --name shop > ${dir}/aws/eks-describe-cluster.shop.json`]);
    } finally {
      m.restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an API server older than ServiceCIDR (404) is no failure: the list is skipped with a progress line', async () => {
    const m = mocks();
    const dir = mkdtempSync(join(tmpdir(), 'podpath-collect-old-'));
    const lines: string[] = [];
    notServed.add('/apis/networking.k8s.io/v1/servicecidrs');
    try {
      const r = await collectSnapshot({ region: 'eu-west-1', out: dir, progress: (l) => lines.push(l), ec2: m.ec2, rds: m.rds, kubeConfig: kc, sleep: async () => {} });
      expect(r.failures.map((f) => f.call)).not.toContain('kubectl get servicecidrs');
      expect(r.written.map((w) => w.file)).not.toContain('k8s/servicecidrs.json');
      expect(lines).toContain('kubectl get servicecidrs: not served by this API server (older than the API); skipped');
    } finally {
      notServed.clear();
      m.restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
