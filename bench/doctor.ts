/**
 * bench/doctor: doctor on a synthetic estate of many VPCs and nodes, against
 * the naive per-pod-pair baseline (trace every pod to every RDS endpoint and
 * to every other pod), measured in the same run. The baseline's total is its
 * measured per-trace cost on a sample times its pair count, because running
 * it whole is exactly what does not scale.
 *
 * Run alone: `npx tsx bench/doctor.ts [vpcs] [nodes] [podsPerNode]`
 * (default 200 VPCs, 2000 nodes, 3 pods per node); `benchDoctor` is exported
 * for bench/run.ts.
 */
import { performance } from 'node:perf_hooks';
import { EstateSchema, type Estate, type EstateInput } from '../src/model/estate.js';
import { doctor, doctorWorld } from '../src/doctor/doctor.js';
import { traceFlow } from '../src/trace/trace.js';
import { formatIpv4 } from '../src/net/ipv4.js';

const IPTABLES = (podCidr: string) => `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING ! -d ${podCidr} -o eth0 -j MASQUERADE
COMMIT
`;

/** A cluster VPC (192.168.0.0/16) with `nodes` nodes, peered with `vpcs` VPCs (10.x/18 each) holding one RDS each. */
export function syntheticEstate(vpcs: number, nodes: number, podsPerNode: number): Estate {
  if (vpcs > 1024 || nodes > 16000) throw new Error('at most 1024 VPCs and 16000 nodes');
  const podCidr = '100.64.0.0/10';
  const peerBlock = (i: number) => `10.${i >> 2}.${(i & 3) * 64}.0`;
  const subnets = Math.ceil(nodes / 4000);
  const e: EstateInput = {
    name: `synthetic-${vpcs}-vpcs-${nodes}-nodes`,
    vpcs: [{ id: 'vpc-k8s', cidrBlocks: ['192.168.0.0/16'] }],
    subnets: Array.from({ length: subnets }, (_, s) => ({ id: `subnet-k8s-${s}`, vpc: 'vpc-k8s', cidr: `192.168.${s * 64}.0/18` })),
    routeTables: [{ id: 'rtb-k8s', vpc: 'vpc-k8s', main: true, routes: [] }],
    peerings: [],
    securityGroups: [{ id: 'sg-nodes', vpc: 'vpc-k8s', ingress: [{ proto: 'all', sg: 'sg-nodes' }, { proto: 'all', cidr: podCidr }] }],
    instances: [],
    rdsInstances: [],
    cluster: { podCidr, serviceCidr: '172.31.0.0/16' },
    nodes: [],
    pods: [],
  };
  const k8sRoutes = e.routeTables![0]!.routes!;
  for (let i = 0; i < vpcs; i++) {
    const base = peerBlock(i);
    e.vpcs!.push({ id: `vpc-p${i}`, cidrBlocks: [`${base}/18`] });
    e.subnets!.push({ id: `subnet-p${i}`, vpc: `vpc-p${i}`, cidr: `${base}/24` });
    e.routeTables!.push({ id: `rtb-p${i}`, vpc: `vpc-p${i}`, main: true, routes: [{ destination: '192.168.0.0/16', target: `pcx-p${i}` }] });
    e.peerings!.push({ id: `pcx-p${i}`, requester: 'vpc-k8s', accepter: `vpc-p${i}` });
    e.securityGroups!.push({ id: `sg-db${i}`, vpc: `vpc-p${i}`, ingress: [{ proto: 'tcp', ports: 5432, cidr: '192.168.0.0/16' }] });
    e.rdsInstances!.push({ id: `db${i}`, subnet: `subnet-p${i}`, address: base.replace(/\.0$/, '.10'), port: 5432, securityGroups: [`sg-db${i}`] });
    k8sRoutes.push({ destination: `${base}/18`, target: `pcx-p${i}` });
  }
  for (let n = 0; n < nodes; n++) {
    const s = Math.floor(n / 4000);
    const ip = formatIpv4(((192 << 24) | (168 << 16) | (s * 64 << 8)) + 10 + (n % 4000));
    const pods = `100.${64 + (n >> 8)}.${n & 255}`;
    e.instances!.push({ id: `i-n${n}`, subnet: `subnet-k8s-${s}`, privateIp: ip, securityGroups: ['sg-nodes'], sourceDestCheck: false });
    k8sRoutes.push({ destination: `${pods}.0/24`, target: `i-n${n}` });
    e.nodes!.push({ name: `n${n}`, instance: `i-n${n}`, podCidr: `${pods}.0/24`, bridge: { name: 'cbr0', address: `${pods}.1` }, iptables: IPTABLES(podCidr) });
    for (let p = 0; p < podsPerNode; p++) e.pods!.push({ name: `default/p${n}-${p}`, node: `n${n}`, ip: `${pods}.${10 + p}` });
  }
  return EstateSchema.parse(e);
}

/** Runs the comparison and returns the printed lines. */
export function benchDoctor(vpcs = 200, nodes = 2000, podsPerNode = 3): string[] {
  const estate = syntheticEstate(vpcs, nodes, podsPerNode);
  const t0 = performance.now();
  const r = doctor(estate);
  const doctorMs = performance.now() - t0;
  // Naive baseline: every pod to every RDS and to every other pod, one trace each.
  const { world } = doctorWorld(estate);
  const pods = estate.pods.map((p) => p.name);
  const pairs = pods.length * (estate.rdsInstances.length + pods.length - 1);
  const sample = 300;
  const t1 = performance.now();
  for (let i = 0; i < sample; i++) {
    const src = pods[(i * 7919) % pods.length]!;
    const dst = i % 2 ? `rds:${estate.rdsInstances[i % estate.rdsInstances.length]!.id}` : `pod:${pods[(i * 104729 + 1) % pods.length]!}:443`;
    traceFlow(world, { src: `pod:${src}`, dst });
  }
  const perTraceMs = (performance.now() - t1) / sample;
  const naiveMs = perTraceMs * pairs;
  return [
    `doctor/synthetic: ${vpcs} peered VPCs, ${nodes} nodes, ${pods.length} pods`,
    `  doctor   ${doctorMs.toFixed(0).padStart(8)} ms  (${r.stats.atoms} atoms, ${r.stats.sourceClasses} source x ${r.stats.destinationClasses} destination classes, ${r.stats.traces} traces, ${r.findings.length} findings)`,
    `  naive    ${naiveMs.toFixed(0).padStart(8)} ms  (${pairs} pod pairs x ${perTraceMs.toFixed(3)} ms per trace, measured on ${sample})`,
    `  ratio    ${(naiveMs / doctorMs).toFixed(0)}x`,
  ];
}

if (process.argv[1]?.endsWith('doctor.ts')) {
  const [v, n, p] = process.argv.slice(2).map(Number);
  process.stdout.write(`${benchDoctor(v || undefined, n || undefined, p || undefined).join('\n')}\n`);
}
