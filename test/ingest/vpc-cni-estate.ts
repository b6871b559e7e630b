/**
 * A synthetic AWS VPC CNI snapshot of `nodes` nodes (`podpath gen` writes kubenet estates only):
 * describe-* and kubectl outputs, no node folders, so every node's nat rules are derived from the
 * aws-node profile. Four nodes per subnet, five subnets per VPC (VPC v is 10.v.0.0/16), each
 * instance with a primary and a secondary ENI (listed by describe-instances and again by
 * describe-network-interfaces), and each VPC's main route table sending one /32 per node to one
 * of its ENIs: the primary for even nodes, the secondary for odd ones. Used by the loader tests
 * and by bench/snapshot-scan.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NODES_PER_SUBNET = 4;
const SUBNETS_PER_VPC = 5;

/** Where node `i` sits, and what the snapshot should make of it. */
export function vpcCniNode(i: number) {
  const subnet = Math.floor(i / NODES_PER_SUBNET);
  const vpc = Math.floor(subnet / SUBNETS_PER_VPC);
  const net = `10.${vpc}.${subnet % SUBNETS_PER_VPC}`;
  const m = i % NODES_PER_SUBNET;
  return {
    name: `node-${i}`, instance: `i-${(i + 1).toString(16).padStart(8, '0')}`, vpc: `vpc-${vpc}`, vpcCidr: `10.${vpc}.0.0/16`, subnet: `subnet-${subnet}`, subnetCidr: `${net}.0/24`,
    ip: `${net}.${10 + m}`, secondaryIp: `${net}.${100 + m}`, primaryEni: `eni-p${i}`, secondaryEni: `eni-s${i}`,
    /** The /32 the VPC's table routes to one of this node's ENIs, and the model target it becomes. */
    route: { destination: `100.64.${i >> 8}.${i & 255}/32`, eni: i % 2 ? `eni-s${i}` : `eni-p${i}`, target: i % 2 ? `eni-s${i}` : `i-${(i + 1).toString(16).padStart(8, '0')}` },
  };
}

/** Writes the snapshot into `dir` (aws/ and k8s/ folders). */
export function writeVpcCniSnapshot(dir: string, nodes: number): void {
  if (nodes > 256 * NODES_PER_SUBNET * SUBNETS_PER_VPC) throw new Error(`at most ${256 * NODES_PER_SUBNET * SUBNETS_PER_VPC} nodes (VPC v is 10.v.0.0/16)`);
  const all = Array.from({ length: nodes }, (_, i) => vpcCniNode(i));
  const once = <T>(xs: T[], key: (x: T) => string) => [...new Map(xs.map((x) => [key(x), x])).values()];
  const vpcs = once(all, (n) => n.vpc);
  const eni = (n: ReturnType<typeof vpcCniNode>, secondary: boolean) => ({
    NetworkInterfaceId: secondary ? n.secondaryEni : n.primaryEni, SubnetId: n.subnet, VpcId: n.vpc, PrivateIpAddress: secondary ? n.secondaryIp : n.ip,
    PrivateIpAddresses: [{ PrivateIpAddress: secondary ? n.secondaryIp : n.ip, Primary: true }], SourceDestCheck: true,
    Attachment: { DeviceIndex: secondary ? 1 : 0, InstanceId: n.instance },
  });
  const aws = {
    'describe-vpcs.json': { Vpcs: vpcs.map((n) => ({ VpcId: n.vpc, CidrBlock: n.vpcCidr })) },
    'describe-subnets.json': { Subnets: once(all, (n) => n.subnet).map((n) => ({ SubnetId: n.subnet, VpcId: n.vpc, CidrBlock: n.subnetCidr, AvailabilityZone: 'eu-west-1a' })) },
    'describe-route-tables.json': {
      RouteTables: vpcs.map((v) => ({
        RouteTableId: `rtb-${v.vpc.slice(4)}`, VpcId: v.vpc, Associations: [{ Main: true }],
        Routes: [
          { DestinationCidrBlock: v.vpcCidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
          ...all.filter((n) => n.vpc === v.vpc).map((n) => ({ DestinationCidrBlock: n.route.destination, NetworkInterfaceId: n.route.eni, Origin: 'CreateRoute', State: 'active' })),
        ],
      })),
    },
    'describe-instances.json': {
      Reservations: [{ Instances: all.map((n) => ({ InstanceId: n.instance, SubnetId: n.subnet, VpcId: n.vpc, PrivateIpAddress: n.ip, NetworkInterfaces: [eni(n, false), eni(n, true)] })) }],
    },
    'describe-network-interfaces.json': { NetworkInterfaces: all.flatMap((n) => [eni(n, false), eni(n, true)]) },
  };
  const env = [['AWS_VPC_K8S_CNI_EXTERNALSNAT', 'false'], ['AWS_VPC_K8S_CNI_RANDOMIZESNAT', 'prng']].map(([name, value]) => ({ name, value }));
  const k8s = {
    'nodes.json': {
      kind: 'List', items: all.map((n) => ({
        kind: 'Node', metadata: { name: n.name }, spec: { providerID: `aws:///eu-west-1a/${n.instance}` }, status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
      })),
    },
    'daemonsets.json': { kind: 'List', items: [{ kind: 'DaemonSet', metadata: { name: 'aws-node', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'aws-node', env }] } } } }] },
  };
  for (const [folder, files] of [['aws', aws], ['k8s', k8s]] as const) {
    mkdirSync(join(dir, folder), { recursive: true });
    for (const [file, doc] of Object.entries(files)) writeFileSync(join(dir, folder, file), JSON.stringify(doc));
  }
}
