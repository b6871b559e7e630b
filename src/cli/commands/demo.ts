/**
 * `podpath demo`: the seed story, end to end, on the embedded seed estate.
 * Every scene is a real trace of the model or of a model copy with one change;
 * nothing here is a canned result.
 */
import { loadInput, type InputOptions } from '../../ingest/load.js';
import { PodpathError } from '../../model/errors.js';
import type { Estate } from '../../model/estate.js';
import { compileWorld, type World } from '../../trace/world.js';
import { traceFlow, type FlowSpec } from '../../trace/trace.js';
import { withIptablesInsert, withoutIptablesLines, withSgIngressCidr } from '../../fix/what-if.js';
import { formatIpv4 } from '../../net/ipv4.js';
import type { DemoScene } from '../../report/model.js';
import { displayPath, seedEstatePath } from '../paths.js';
import type { CommandResult } from './result.js';

export function runDemo(o: InputOptions): CommandResult {
  const file = o.snapshot ?? displayPath(o.estate ?? seedEstatePath());
  const seed = loadInput(o.snapshot ? o : { estate: file });
  const seedWorld = compileWorld(seed);
  const cast = castOf(seed, seedWorld);
  const scenes: DemoScene[] = [];
  // Scenes on the seed as found share its compiled world; what-ifs compile their copy.
  const scene = (title: string, estate: Estate, flow: FlowSpec, change?: string) =>
    scenes.push({ title, ...(change ? { change } : {}), traces: traceFlow(estate === seed ? seedWorld : compileWorld(estate), flow) });

  const toDb = { src: `pod:${cast.pod}`, dst: `rds:${cast.rds}` };
  scene('node -> RDS (psql from the node)', seed, { src: `node:${cast.node}`, dst: `rds:${cast.rds}` });
  scene('pod -> RDS, as found', seed, toDb);
  scene('pod -> RDS after opening the RDS security group (what the team tried)', withSgIngressCidr(seed, cast.sg, '0.0.0.0/0'), toDb,
    `every ingress rule of ${cast.sg} opened to 0.0.0.0/0`);
  const bandAid = `-d ${cast.rdsAddress}/32 -o eth0 -j MASQUERADE`;
  scene('pod -> RDS with the band-aid on every node', withIptablesInsert(seed, 'all', { table: 'nat', chain: 'POSTROUTING', rule: bandAid, label: 'band-aid' }), toDb,
    `iptables -t nat -I POSTROUTING ${bandAid} on every node (RDS security group as found)`);
  if (cast.dns) {
    scene('pod -> cluster DNS VIP', seed, { src: `pod:${cast.pod}`, dst: `${cast.dns}:53`, proto: 'udp' });
    scene('node -> cluster DNS VIP while the service DNAT is missing', withoutIptablesLines(seed, cast.node, new RegExp(`-d ${cast.dns.replace(/\./g, '\\.')}/32`), 'kube-proxy rule not programmed'),
      { src: `node:${cast.node}`, dst: `${cast.dns}:53`, proto: 'udp' }, `the node's DNAT rule for ${cast.dns} removed (kube-proxy not yet synced)`);
    scene('node -> VPC resolver (the next nameserver in resolv.conf)', seed, { src: `node:${cast.node}`, dst: `${cast.resolver}:53`, proto: 'udp' });
  }
  const summary = scenes.map((s) => `${s.title}: ${s.traces.map((t) => t.verdict).join(', ')}`);
  return { report: { kind: 'demo', estate: file, summary, scenes }, exitCode: 0 };
}

/** The actors of the story, picked from the estate. */
function castOf(e: Estate, world: World) {
  const pod = e.pods.find((p) => !p.hostNetwork);
  const rds = e.rdsInstances[0];
  const sg = rds?.securityGroups[0];
  if (!pod || !rds || !sg) throw new PodpathError('PP_SCHEMA', 'the demo needs a pod, an RDS instance and its security group in the estate', { file: e.file });
  const node = e.nodes.find((n) => n.name === pod.node)!;
  const instance = e.instances.find((i) => i.id === node.instance)!;
  const vpc = e.subnets.find((s) => s.id === instance.subnet)!.vpc;
  const resolver = formatIpv4(world.vpcs.get(vpc)!.resolver);
  return { pod: pod.name, node: node.name, rds: rds.id, rdsAddress: rds.address, sg, dns: e.cluster?.dnsServiceIp, resolver };
}
