/**
 * The seed scenario in the lab: the real kernel, PostgreSQL and dnsmasq
 * reproduce what the 2015 post reports, and the model predicted each outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import type { Estate } from '../../src/model/estate.js';
import { copyEstate, withIptablesInsert, withoutIptablesLines, withSgIngressCidr } from '../../src/fix/what-if.js';
import { compileWorld } from '../../src/trace/world.js';
import { traceFlow } from '../../src/trace/trace.js';
import { labExecIn } from '../../src/lab/lab.js';
import { labDnsQuery } from '../../src/lab/check.js';
import { LAB_PG_PASSWORD } from '../../src/lab/services.js';
import { run, inNs } from '../../src/lab/run.js';
import type { LabState } from '../../src/lab/plan-types.js';
import { seedFile } from '../helpers/estates.js';
import { removeAllLabs, requireRootForLab, up } from './lab-helpers.js';

const RDS = '10.0.18.52';
const BAND_AID = { table: 'nat' as const, chain: 'POSTROUTING', rule: `-d ${RDS}/32 -o eth0 -j MASQUERADE`, label: 'band-aid' };

const seed = loadEstateFile(seedFile);
const bandAid = withIptablesInsert(seed, 'all', BAND_AID);
/** The pod range as a secondary block of the cluster VPC: the peering carries pod sources, so the RDS SG decides. */
const podsInVpc = (() => {
  const e = copyEstate(seed);
  e.vpcs.find((v) => v.id === 'vpc-k8s')!.cidrBlocks.push('10.244.0.0/16');
  return e;
})();
const podsInVpcSgOpen = withSgIngressCidr(podsInVpc, 'sg-rds', '0.0.0.0/0');
const noDnat = withoutIptablesLines(seed, 'node-1', /KUBE-SERVICES -d 10\.0\.0\.10\/32/, 'kube-proxy has not programmed the DNS service yet');

function model(e: Estate, src: string, dst: string, proto: 'tcp' | 'udp' = 'tcp') {
  const traces = traceFlow(compileWorld(e), { src, dst, proto });
  expect(traces).toHaveLength(1);
  return traces[0]!;
}

const psql = (s: LabState, where: string) =>
  labExecIn(s, where, ['psql', '-h', RDS, '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-w', '-Atc', 'select 42'], { env: { PGPASSWORD: LAB_PG_PASSWORD } });

let found: LabState, fixed: LabState, sgClosed: LabState, sgOpen: LabState, dnsBroken: LabState;

beforeAll(async () => {
  requireRootForLab();
  [found, fixed, sgClosed, sgOpen, dnsBroken] = await Promise.all([
    up(seed, 'seed'), up(bandAid, 'bandaid'), up(podsInVpc, 'sgclosed'), up(podsInVpcSgOpen, 'sgopen'), up(noDnat, 'nodnat'),
  ]);
}, 120_000);

afterAll(() => removeAllLabs(), 120_000);

describe('psql to the RDS PostgreSQL, as the 2015 post tells it', () => {
  it('logs in from the node (host network) with the test password, as the model predicts', async () => {
    const r = await psql(found, 'node:node-1');
    expect(r.stdout.trim()).toBe('42');
    expect(r.code).toBe(0);
    expect(model(seed, 'node:node-1', 'rds:prod-db').verdict).toBe('delivered');
  });

  it('is asked for a password from the node when it gives none (the server answered)', async () => {
    const r = await labExecIn(found, 'node:node-1', ['psql', '-h', RDS, '-U', 'postgres', '-w', '-c', 'select 1']);
    expect(r.stderr).toMatch(/password/);
  });

  it('times out from a pod on that node, and the model says it is not delivered', async () => {
    const r = await psql(found, 'pod:default/api-7f9');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/timeout expired/);
    const t = model(seed, 'pod:default/api-7f9', 'rds:prod-db');
    expect(t.verdict).not.toBe('delivered');
    expect(t.clientSees).toBe('timeout');
  });

  it('works from the pod with the band-aid /32 MASQUERADE rule, whose counter rises', async () => {
    const r = await psql(fixed, 'pod:default/api-7f9');
    expect(r.stdout.trim()).toBe('42');
    expect(model(bandAid, 'pod:default/api-7f9', 'rds:prod-db').verdict).toBe('delivered');
    const nat = await run(inNs(fixed.plan.endpoints['node:node-1']!, ['iptables-save', '-c', '-t', 'nat']));
    const line = nat.stdout.split('\n').find((l) => l.includes(`-d ${RDS}/32 -o eth0 -j MASQUERADE`))!;
    expect(Number(/^\[(\d+):/.exec(line)![1])).toBeGreaterThan(0);
  });

  it('times out at the RDS security group (172.20.0.0/16 only) once the pod source crosses the peering', async () => {
    const r = await psql(sgClosed, 'pod:default/api-7f9');
    expect(r.stderr).toMatch(/timeout expired/);
    const t = model(podsInVpc, 'pod:default/api-7f9', 'rds:prod-db');
    expect(t.verdict).toBe('dropped');
    expect(t.forward.at(-1)!.kind).toBe('security-group');
    // The kernel dropped it at the same place: the SG's final DROP in the database VPC's router.
    const filter = await run(inNs(sgClosed.plan.endpoints['vpc:vpc-main']!, ['iptables-save', '-c', '-t', 'filter']));
    const drop = filter.stdout.split('\n').find((l) => l.includes('sg-rds: no rule allows (ingress)'))!;
    expect(Number(/^\[(\d+):/.exec(drop)![1])).toBeGreaterThan(0);
  });

  it('still times out with the SG opened to anywhere: the reply goes to the internet gateway', async () => {
    const r = await psql(sgOpen, 'pod:default/api-7f9');
    expect(r.stderr).toMatch(/timeout expired/);
    const t = model(podsInVpcSgOpen, 'pod:default/api-7f9', 'rds:prod-db');
    expect(t.verdict).toBe('reply-lost');
    expect(t.decidingRule?.ref).toBe('rtb-main#0.0.0.0/0');
  });
});

describe('cluster DNS behind the service VIP', () => {
  const name = 'kube-dns.kube-system.svc.cluster.local';

  it('resolves a cluster name from the node via the VIP when kube-proxy DNATs it', async () => {
    const r = await labExecIn(found, 'node:node-1', ['getent', 'hosts', `${name}.`], { timeoutMs: 15_000 });
    expect(r.stdout).toMatch(/^10\.0\.0\.10\s+kube-dns/);
    expect(model(seed, 'node:node-1', '10.0.0.10:53', 'udp').verdict).toBe('delivered');
  });

  it('without the DNAT rule: the VIP query goes into the peering and times out, the VPC resolver says NXDOMAIN', async () => {
    const vip = await labDnsQuery(dnsBroken, 'node:node-1', '10.0.0.10', name);
    expect(vip.result).toBe('timeout');
    const vpc = await labDnsQuery(dnsBroken, 'node:node-1', '172.20.0.2', name);
    expect(vpc).toMatchObject({ result: 'connected', rcode: 'NXDOMAIN' });
    // The cluster VPC's router forwarded the query into the peering (conntrack saw it leave, never answered).
    const ct = await run(inNs(dnsBroken.plan.endpoints['vpc:vpc-k8s']!, ['conntrack', '-L', '-p', 'udp', '-d', '10.0.0.10']), { allowFail: true });
    expect(ct.stdout).toMatch(/dport=53 \[UNREPLIED\]/);
    // glibc falls back to the next nameserver and gets NXDOMAIN: getent finds nothing.
    const r = await labExecIn(dnsBroken, 'node:node-1', ['getent', 'hosts', `${name}.`], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    const t = model(noDnat, 'node:node-1', '10.0.0.10:53', 'udp');
    expect(t.verdict).toBe('dropped');
    expect(t.forward.some((h) => h.kind === 'peering' && h.decision === 'forward')).toBe(true);
    expect(model(noDnat, 'node:node-1', '172.20.0.2:53', 'udp').verdict).toBe('delivered');
  }, 40_000);
});
