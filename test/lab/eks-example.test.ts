/**
 * The EKS example (examples/eks-vpc-cni) in the lab: AL2023 nodes with two
 * ENIs each (ens5, ens6) linked to their own router ports, pods on veths with
 * the VPC CNI's per-ENI policy routing and connmark/SNAT rules. The kernel and
 * the model agree on every default flow, and PostgreSQL in the peered data VPC
 * sees the node's primary address for a pod on ens6, as the trace says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadInput } from '../../src/ingest/load.js';
import { checkFlows, defaultFlows, describeKernel } from '../../src/lab/check.js';
import { labExecIn } from '../../src/lab/lab.js';
import { inNs, run } from '../../src/lab/run.js';
import { LAB_PG_PASSWORD } from '../../src/lab/services.js';
import type { LabState } from '../../src/lab/plan-types.js';
import { compileWorld } from '../../src/trace/world.js';
import { traceFlow } from '../../src/trace/trace.js';
import { repoRoot } from '../helpers/estates.js';
import { removeAllLabs, requireRootForLab, up } from './lab-helpers.js';

const eks = loadInput({ snapshot: join(repoRoot, 'examples/eks-vpc-cni') });
let lab: LabState;

beforeAll(async () => {
  requireRootForLab();
  lab = await up(eks, 'eks');
}, 120_000);
afterAll(() => removeAllLabs(), 60_000);

describe('the EKS example in the lab', () => {
  it('model and kernel agree on every default flow (pods on both ENIs, DNS through the ClusterIP on either endpoint, the peered RDS)', async () => {
    const checks = await checkFlows(lab, defaultFlows(eks), 8);
    const bad = checks.filter((c) => c.agree !== true).map((c) => `${c.label}: model ${c.modelVerdict}, kernel ${describeKernel(c.kernel)}`);
    expect(bad).toEqual([]);
    expect(checks.length).toBeGreaterThan(30);
  }, 300_000);

  it('every link of the nodes and routers answers proxied ARP at once (the kernel\'s proxy_delay is 0 on each)', async () => {
    // The pod's gateway and the router's ARP for a pod are answered by proxy; the kernel's
    // default delays each answer by up to 0.8 s, which cost probes their 2 s on a cold machine.
    const proxying = lab.plan.namespaces.filter((n) => n.role === 'router' || n.role === 'node');
    expect(proxying.filter((n) => n.role === 'node').length).toBeGreaterThanOrEqual(2);
    for (const n of proxying) {
      const r = await run(inNs(n.ns, ['sh', '-c', 'grep -H . /proc/sys/net/ipv4/neigh/*/proxy_delay']));
      const delays = r.stdout.trim().split('\n').filter((l) => !l.includes('/neigh/lo/'));
      expect(delays.length, n.ns).toBeGreaterThanOrEqual(n.role === 'node' ? 3 : 2);
      expect(delays.filter((l) => !l.endsWith(':0')), n.ns).toEqual([]);
    }
  }, 60_000);

  it('PostgreSQL sees the node\'s primary address for the pod on ens6, the source the model\'s trace gives it', async () => {
    const pod = 'pod:shop/orders-5d8b9c7f6-q7r2m';
    const r = await labExecIn(lab, pod, ['psql', '-h', '172.20.10.25', '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-w', '-Atc', 'select host(inet_client_addr())'], { env: { PGPASSWORD: LAB_PG_PASSWORD, PGCONNECT_TIMEOUT: '5' } });
    const [t] = traceFlow(compileWorld(eks), { src: pod, dst: 'rds:orders-db' });
    expect(r.stdout.trim()).toBe(t!.forward.at(-1)!.packetIn.src);
    expect(r.stdout.trim()).toBe('10.0.1.10');
  }, 60_000);
});
