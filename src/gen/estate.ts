/**
 * `generateEstate(options)`: a synthetic estate as the files of a snapshot
 * folder (docs/snapshot.md), plus the hard links that let nodes share one
 * iptables-save dump, and the manifest of seeded faults (docs/bench.md).
 * Pure: the caller (src/cli/commands/gen.ts) writes the files.
 */
import { kubeProxySaveText, type KubeProxyServicePort } from '../k8s/kube-proxy/index.js';
import { formatIpv4, parseIpv4 } from '../net/ipv4.js';
import {
  checkOptions, clusterIp, dataVpcBase, DB_PORT, DNS_VIP, groupSubnetCidr, groupVpcCidr, instanceId, groupPodBlock, nodeIp, nodeName, nodePodCidr,
  POD_CIDR, rng, SERVICE_CIDR, type GenOptions,
} from './plan.js';
import { planFaults, type SeededFault } from './faults.js';

/** A generated snapshot: files to write, hard links to make (`path` becomes a link of `target`), the faults seeded. */
export interface GeneratedEstate {
  files: { path: string; text: string }[];
  links: { path: string; target: string }[];
  manifest: { options: GenOptions; faults: SeededFault[]; distinctRulesets: number; nodes: number; services: number };
}

interface DataVpc { v: number; id: string; base: string; cidr: string; group: number; viaTgw: boolean }

const tags = (name: string) => [{ Key: 'Name', Value: name }];
const EGRESS_CIDR = '192.168.0.0/16';
const json = (doc: unknown) => `${JSON.stringify(doc, null, 1)}\n`;

/** Builds the estate; throws Error with a one-line message when the options do not fit the plan. */
export function generateEstate(o: GenOptions): GeneratedEstate {
  checkOptions(o);
  const r = rng(o.seed);
  // Roughly one data VPC in ten is joined through the transit gateway instead of a peering.
  const viaTgw = new Set([...Array(o.vpcs).keys()].filter(() => r() < 0.1));
  const f = planFaults(o, viaTgw);
  const faults: SeededFault[] = [];
  const data: DataVpc[] = [...Array(o.vpcs).keys()].map((v) => ({ v, id: `vpc-d${v}`, base: dataVpcBase(v), cidr: `${dataVpcBase(v)}/22`, group: v % o.clusters, viaTgw: viaTgw.has(v) }));
  if (f.serviceOverlap) data.push({ v: o.vpcs, id: 'vpc-svc-overlap', base: '172.20.128.0', cidr: '172.20.128.0/22', group: 0, viaTgw: false });
  if (f.podOverlap) data.push({ v: o.vpcs + 1, id: 'vpc-pod-overlap', base: '100.127.252.0', cidr: '100.127.252.0/22', group: 0, viaTgw: false });

  const vpcs: unknown[] = [];
  const subnets: unknown[] = [];
  const tables: { RouteTableId: string; VpcId: string; Associations: unknown[]; Routes: Record<string, unknown>[] }[] = [];
  const peerings: unknown[] = [];
  const sgs: unknown[] = [];
  const acls: unknown[] = [];
  const igws: unknown[] = [];
  const enis: unknown[] = [];
  const dbs: unknown[] = [];
  const reservations: unknown[] = [];
  const tgwAttach: { id: string; vpc: string; subnet: string; cidr: string; pods?: string }[] = [];
  const vpcDoc = (id: string, cidr: string, name: string) => ({ VpcId: id, CidrBlock: cidr, State: 'available', CidrBlockAssociationSet: [{ CidrBlock: cidr, CidrBlockState: { State: 'associated' } }], Tags: tags(name) });
  const local = (cidr: string): Record<string, unknown> => ({ DestinationCidrBlock: cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' });
  const route = (cidr: string, target: Record<string, string>, state = 'active'): Record<string, unknown> => ({ DestinationCidrBlock: cidr, ...target, Origin: 'CreateRoute', State: state });
  const ingress = (proto: string, from: number | undefined, cidrs: string[], groups: string[] = []) => ({
    IpProtocol: proto, ...(from !== undefined ? { FromPort: from, ToPort: from } : {}),
    IpRanges: cidrs.map((c) => ({ CidrIp: c })), UserIdGroupPairs: groups.map((g) => ({ GroupId: g })),
  });
  const allOut = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];

  // Node groups: a VPC, a subnet, a route table with a route per node pod CIDR (kubenet-style), a node SG.
  const groupTables = new Map<number, (typeof tables)[number]>();
  for (let g = 0; g < o.clusters; g++) {
    const vpc = `vpc-c${g}`;
    vpcs.push(vpcDoc(vpc, groupVpcCidr(g), `cluster-${g}`));
    subnets.push({ SubnetId: `subnet-c${g}`, VpcId: vpc, CidrBlock: groupSubnetCidr(g), AvailabilityZone: 'eu-west-1a', State: 'available' });
    const t: (typeof tables)[number] = { RouteTableId: `rtb-c${g}`, VpcId: vpc, Associations: [{ Main: true, RouteTableId: `rtb-c${g}` }], Routes: [local(groupVpcCidr(g))] };
    for (let i = 0; i < o.nodesPerCluster; i++) t.Routes.push(route(nodePodCidr(o, g, i), { InstanceId: instanceId(g, i) }));
    // Everything else, other groups' nodes and pods included, to the transit gateway (hub and spoke), which routes each group's VPC and pod block.
    if (o.clusters > 1) t.Routes.push(route('0.0.0.0/0', { TransitGatewayId: 'tgw-0' }));
    tables.push(t);
    groupTables.set(g, t);
    const sg = `sg-nodes-c${g}`;
    const podRule = g === f.sgGroup ? [] : [ingress('-1', undefined, [POD_CIDR])];
    if (g === f.sgGroup) faults.push({ id: 'PP112', key: `PP112|${sg}`, what: `${sg} admits the nodes' own group but not the pod CIDR ${POD_CIDR}` });
    sgs.push({ GroupId: sg, GroupName: sg, VpcId: vpc, IpPermissions: [ingress('-1', undefined, ['10.128.0.0/9', EGRESS_CIDR], [sg]), ...podRule], IpPermissionsEgress: allOut });
    const instances = [];
    for (let i = 0; i < o.nodesPerCluster; i++) {
      const srcDst = g === f.srcDstGroup && i === 1;
      if (srcDst) faults.push({ id: 'PP107', key: `PP107|eni-of-${instanceId(g, i)}`, what: `${instanceId(g, i)} (node ${nodeName(g, i)}) has source/destination check on` });
      instances.push({
        InstanceId: instanceId(g, i), SubnetId: `subnet-c${g}`, VpcId: vpc, PrivateIpAddress: nodeIp(g, i), SourceDestCheck: srcDst,
        State: { Code: 16, Name: 'running' }, SecurityGroups: [{ GroupId: sg, GroupName: sg }], Tags: tags(nodeName(g, i)),
      });
    }
    reservations.push({ ReservationId: `r-c${g}`, Instances: instances });
    tgwAttach.push({ id: `tgw-attach-c${g}`, vpc, subnet: `subnet-c${g}`, cidr: groupVpcCidr(g), pods: groupPodBlock(o, g) });
  }

  // The egress VPC behind the transit gateway's default route (hub and spoke): the TGW attachment's subnet
  // routes the internet to a NAT gateway, whose public subnet routes it to the internet gateway.
  const natGateways: unknown[] = [];
  if (o.clusters > 1) {
    vpcs.push(vpcDoc('vpc-egress', EGRESS_CIDR, 'egress'));
    subnets.push({ SubnetId: 'subnet-egress-tgw', VpcId: 'vpc-egress', CidrBlock: '192.168.0.0/24', AvailabilityZone: 'eu-west-1a', State: 'available' },
      { SubnetId: 'subnet-egress-public', VpcId: 'vpc-egress', CidrBlock: '192.168.1.0/24', AvailabilityZone: 'eu-west-1a', State: 'available' });
    const back = Array.from({ length: o.clusters }, (_, g) => route(groupVpcCidr(g), { TransitGatewayId: 'tgw-0' }));
    tables.push(
      { RouteTableId: 'rtb-egress-tgw', VpcId: 'vpc-egress', Associations: [{ Main: true, RouteTableId: 'rtb-egress-tgw' }, { RouteTableId: 'rtb-egress-tgw', SubnetId: 'subnet-egress-tgw' }], Routes: [local(EGRESS_CIDR), route('0.0.0.0/0', { NatGatewayId: 'nat-egress' }), ...back] },
      { RouteTableId: 'rtb-egress-public', VpcId: 'vpc-egress', Associations: [{ RouteTableId: 'rtb-egress-public', SubnetId: 'subnet-egress-public' }], Routes: [local(EGRESS_CIDR), route('0.0.0.0/0', { GatewayId: 'igw-egress' }), ...back] },
    );
    igws.push({ InternetGatewayId: 'igw-egress', Attachments: [{ State: 'available', VpcId: 'vpc-egress' }] });
    natGateways.push({ NatGatewayId: 'nat-egress', SubnetId: 'subnet-egress-public', VpcId: 'vpc-egress', State: 'available', ConnectivityType: 'public', NatGatewayAddresses: [{ NetworkInterfaceId: 'eni-nat-egress', PrivateIp: '192.168.1.5', PublicIp: '203.0.113.5', IsPrimary: true, Status: 'succeeded' }] });
    tgwAttach.push({ id: 'tgw-attach-egress', vpc: 'vpc-egress', subnet: 'subnet-egress-tgw', cidr: EGRESS_CIDR, pods: '0.0.0.0/0' });
  }

  // Data VPCs: a /24 subnet with one RDS instance (its ENI in describe-network-interfaces), joined to their node group.
  for (const d of data) {
    const gt = groupTables.get(d.group)!;
    const gCidr = groupVpcCidr(d.group);
    vpcs.push(vpcDoc(d.id, d.cidr, `data-${d.v}`));
    const subnet = `subnet-d${d.v}`;
    subnets.push({ SubnetId: subnet, VpcId: d.id, CidrBlock: `${d.base}/24`, AvailabilityZone: 'eu-west-1a', State: 'available' });
    const rtb = `rtb-d${d.v}`;
    const t: (typeof tables)[number] = { RouteTableId: rtb, VpcId: d.id, Associations: [{ Main: true, RouteTableId: rtb }], Routes: [local(d.cidr)] };
    tables.push(t);
    const link: Record<string, string> = d.viaTgw ? { TransitGatewayId: 'tgw-0' } : { VpcPeeringConnectionId: `pcx-d${d.v}` };
    if (!d.viaTgw) peerings.push(peering(`pcx-d${d.v}`, `vpc-c${d.group}`, gCidr, d.id, d.cidr));
    else tgwAttach.push({ id: `tgw-attach-d${d.v}`, vpc: d.id, subnet, cidr: d.cidr });
    if (d.v === f.blackhole) {
      gt.Routes.push(route(d.cidr, link, 'blackhole'));
      faults.push({ id: 'PP108', key: `PP108|rtb-c${d.group}#${d.cidr}`, what: `rtb-c${d.group}'s route to ${d.id} (${d.cidr}) is a blackhole` });
    } else gt.Routes.push(route(d.cidr, link));
    if (d.v === f.noReturn) faults.push({ id: 'PP108', key: `PP108|return:${rtb}`, what: `${rtb} has no route back to ${gCidr}` });
    else t.Routes.push(route(gCidr, link));
    if (d.v === f.transitive) {
      const outside = `198.18.${d.v & 255}.0/24`;
      gt.Routes.push(route(outside, link));
      faults.push({ id: 'PP109', key: `PP109|rtb-c${d.group}#${outside}`, what: `rtb-c${d.group} sends ${outside}, outside ${d.id}, into pcx-d${d.v}` });
    }
    if (d.v === f.igw) {
      igws.push({ InternetGatewayId: `igw-d${d.v}`, Attachments: [{ State: 'available', VpcId: d.id }] });
      t.Routes.push(route('0.0.0.0/0', { GatewayId: `igw-d${d.v}` }));
      // A plain instance with no public address in a subnet whose default route is the internet gateway.
      reservations.push({ ReservationId: `r-d${d.v}`, Instances: [{
        InstanceId: `i-d${d.v}`, SubnetId: subnet, VpcId: d.id, PrivateIpAddress: formatIpv4(parseIpv4(d.base) + 20), SourceDestCheck: true,
        State: { Code: 16, Name: 'running' }, SecurityGroups: [{ GroupId: `sg-db${d.v}`, GroupName: `sg-db${d.v}` }], Tags: tags(`app-${d.v}`),
      }] });
      faults.push({ id: 'PP113', key: `PP113|${subnet}`, what: `${subnet} routes 0.0.0.0/0 to igw-d${d.v}, its instance i-d${d.v} has no public address` });
    }
    if (d.v === f.nacl) {
      acls.push(nacl(`acl-d${d.v}`, d.id, subnet));
      faults.push({ id: 'PP106', key: `PP106|acl-d${d.v}`, what: `acl-d${d.v} lets replies out only to ports 1024-49151` });
    }
    const sg = `sg-db${d.v}`;
    const port = d.v === f.sgPort ? 3306 : DB_PORT;
    if (d.v === f.sgPort) faults.push({ id: 'PP110', key: `PP110|sg:${sg}:ingress`, what: `${sg} admits port 3306 only; the database listens on ${DB_PORT}` });
    if (d.v === f.unmasq) faults.push({ id: 'PP105', key: `PP105|${sg}`, what: `${sg} admits ${gCidr} (the nodes), but pods of cluster ${d.group} reach it unmasqueraded` });
    sgs.push({ GroupId: sg, GroupName: sg, VpcId: d.id, IpPermissions: [ingress('tcp', port, [gCidr, d.cidr])], IpPermissionsEgress: allOut });
    const address = formatIpv4(parseIpv4(d.base) + 10);
    enis.push({
      NetworkInterfaceId: `eni-d${d.v}`, Description: 'RDSNetworkInterface', RequesterId: 'amazon-rds', RequesterManaged: true, InterfaceType: 'interface', Status: 'in-use',
      SubnetId: subnet, VpcId: d.id, PrivateIpAddress: address, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: address }], Groups: [{ GroupId: sg, GroupName: sg }], SourceDestCheck: true,
    });
    dbs.push({
      DBInstanceIdentifier: `db${d.v}`, Engine: 'postgres', DBInstanceStatus: 'available', Endpoint: { Address: `db${d.v}.synthetic.eu-west-1.rds.amazonaws.com`, Port: DB_PORT },
      VpcSecurityGroups: [{ VpcSecurityGroupId: sg, Status: 'active' }],
      DBSubnetGroup: { DBSubnetGroupName: `db${d.v}-subnets`, VpcId: d.id, SubnetGroupStatus: 'Complete', Subnets: [{ SubnetIdentifier: subnet, SubnetStatus: 'Active' }] },
      PubliclyAccessible: false,
    });
  }
  if (f.serviceOverlap) faults.push({ id: 'PP102', key: 'PP102|172.20.128.0/22', what: `vpc-svc-overlap (172.20.128.0/22, routed from cluster 0) lies inside the Service CIDR ${SERVICE_CIDR}` });
  if (f.podOverlap) faults.push({ id: 'PP103', key: 'PP103|100.127.252.0/22', what: `vpc-pod-overlap (100.127.252.0/22, routed from cluster 0) lies inside the pod CIDR ${POD_CIDR}` });

  // A peering mesh between data VPCs of one group: each peers with the next of its group, routed both ways.
  for (const d of data.slice(0, o.vpcs)) {
    const next = d.v + o.clusters;
    if (next >= o.vpcs || d.viaTgw || data[next]!.viaTgw || [f.noReturn, f.blackhole, f.nacl, f.igw, f.sgPort].some((x) => x === d.v || x === next) || d.v % 4 !== 0) continue;
    const e = data[next]!;
    const id = `pcx-m${d.v}-${next}`;
    peerings.push(peering(id, d.id, d.cidr, e.id, e.cidr));
    tables.find((t) => t.RouteTableId === `rtb-d${d.v}`)!.Routes.push(route(e.cidr, { VpcPeeringConnectionId: id }));
    tables.find((t) => t.RouteTableId === `rtb-d${next}`)!.Routes.push(route(d.cidr, { VpcPeeringConnectionId: id }));
  }
  for (const [pair, oneWay] of [[f.unusedPeering, false], [f.oneWayPeering, true]] as const) {
    if (!pair) continue;
    const [a, b] = [data[pair[0]]!, data[pair[1]]!];
    const id = `pcx-x${a.v}-${b.v}`;
    peerings.push(peering(id, a.id, a.cidr, b.id, b.cidr));
    if (oneWay) tables.find((t) => t.RouteTableId === `rtb-d${a.v}`)!.Routes.push(route(b.cidr, { VpcPeeringConnectionId: id }));
    faults.push({ id: 'PP111', key: `PP111|${id}`, what: oneWay ? `${id}: ${a.id} routes into it, ${b.id} does not route back` : `${id} is active, no route uses it` });
  }

  // Kubernetes: nodes, pods (each Service's endpoints and CoreDNS), Services with their EndpointSlices.
  const nodes: unknown[] = [];
  const pods: unknown[] = [];
  const totalNodes = o.clusters * o.nodesPerCluster;
  const podAt = (j: number) => {
    const k = j % totalNodes;
    const g = Math.floor(k / o.nodesPerCluster);
    const i = k % o.nodesPerCluster;
    return { node: nodeName(g, i), ip: formatIpv4(parseIpv4(nodePodCidr(o, g, i).split('/')[0]!) + 10 + Math.floor(j / totalNodes)) };
  };
  for (let g = 0; g < o.clusters; g++) {
    for (let i = 0; i < o.nodesPerCluster; i++) {
      nodes.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName(g, i) }, spec: { podCIDR: nodePodCidr(o, g, i), providerID: `aws:///eu-west-1a/${instanceId(g, i)}` }, status: { addresses: [{ type: 'InternalIP', address: nodeIp(g, i) }] } });
    }
  }
  const ports: KubeProxyServicePort[] = [];
  const services: unknown[] = [];
  const slices: unknown[] = [];
  let next = 0;
  const service = (ns: string, name: string, ip: string, proto: 'tcp' | 'udp', port: number, targetPort: number, count: number) => {
    const eps = Array.from({ length: count }, () => podAt(next++));
    eps.forEach((e, k) => pods.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-${k}`, namespace: ns }, spec: { nodeName: e.node }, status: { phase: 'Running', podIP: e.ip } }));
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ name: 'p', port, protocol: proto.toUpperCase(), targetPort }] } });
    slices.push({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${name}-0`, namespace: ns, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4',
      endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: true }, nodeName: e.node })), ports: [{ name: 'p', port: targetPort, protocol: proto.toUpperCase() }],
    });
    ports.push({ namespace: ns, name, portName: 'p', protocol: proto, clusterIP: ip, port, endpoints: eps.map((e) => ({ ip: e.ip, port: targetPort, node: e.node })) });
  };
  service('kube-system', 'kube-dns', DNS_VIP, 'udp', 53, 53, 2);
  for (let s = 0; s < o.services; s++) service(`ns${s % 10}`, `svc-${s}`, clusterIp(s), 'tcp', 80, 8080, o.endpointsPerService);

  // Node dumps: kube-proxy's rules (the real generator) plus the group's masquerade rule; one file per distinct rule set.
  const kubeProxy = kubeProxySaveText(ports, { nodeName: 'all', clusterCIDR: POD_CIDR });
  const files: GeneratedEstate['files'] = [];
  const links: GeneratedEstate['links'] = [];
  let distinct = 0;
  const variations = Math.max(1, Math.floor(o.clusters / 10));
  const resolv = `nameserver ${DNS_VIP}\nsearch default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal\noptions ndots:5\n`;
  for (let g = 0; g < o.clusters; g++) {
    const exception = g === f.unmasqGroup && f.unmasq !== undefined ? [`-A POSTROUTING -d ${data[f.unmasq]!.cidr} -o eth0 -m comment --comment "cluster-${g}: no masquerade to ${data[f.unmasq]!.id}" -j RETURN`] : [];
    if (exception.length) faults.push({ id: 'PP101', key: `PP101|rds:db${f.unmasq}`, what: `cluster ${g}'s nodes do not masquerade pod traffic to ${data[f.unmasq!]!.id} (${data[f.unmasq!]!.cidr})` });
    const groupText = withNatRules(kubeProxy, [...exception, `-A POSTROUTING ! -d ${POD_CIDR} -o eth0 -m comment --comment "cluster-${g}: masquerade leaving the pod network" -j MASQUERADE`]);
    const first = `nodes/${nodeName(g, 0)}`;
    files.push({ path: `${first}/iptables-save.txt`, text: groupText }, { path: `${first}/resolv.conf`, text: resolv });
    distinct++;
    for (let i = 1; i < o.nodesPerCluster; i++) {
      const dir = `nodes/${nodeName(g, i)}`;
      if (g < variations && i === o.nodesPerCluster - 1) {
        // A node with its own variation: one extra filter rule (node-exporter), so its own rule set.
        files.push({ path: `${dir}/iptables-save.txt`, text: withFilterRule(groupText, `-A INPUT -p tcp -m tcp --dport 9100 -m comment --comment "node-exporter on ${nodeName(g, i)}" -j ACCEPT`) });
        distinct++;
      } else links.push({ path: `${dir}/iptables-save.txt`, target: `${first}/iptables-save.txt` });
      if (g === f.dnsGroup && i === 1) {
        files.push({ path: `${dir}/resolv.conf`, text: 'nameserver 10.255.255.53\nnameserver 172.20.0.10\noptions timeout:2 attempts:2\n' });
        faults.push({ id: 'PP104', key: 'PP104|10.255.255.53', what: `node ${nodeName(g, i)}'s resolv.conf lists 10.255.255.53 first, which nothing answers` });
      } else links.push({ path: `${dir}/resolv.conf`, target: `${first}/resolv.conf` });
    }
  }

  const tgw = tgwDocs(tgwAttach);
  files.push(
    { path: 'aws/describe-vpcs.json', text: json({ Vpcs: vpcs }) },
    { path: 'aws/describe-subnets.json', text: json({ Subnets: subnets }) },
    { path: 'aws/describe-route-tables.json', text: json({ RouteTables: tables }) },
    { path: 'aws/describe-vpc-peering-connections.json', text: json({ VpcPeeringConnections: peerings }) },
    { path: 'aws/describe-security-groups.json', text: json({ SecurityGroups: sgs }) },
    { path: 'aws/describe-instances.json', text: json({ Reservations: reservations }) },
    { path: 'aws/describe-network-interfaces.json', text: json({ NetworkInterfaces: enis }) },
    { path: 'aws/describe-db-instances.json', text: json({ DBInstances: dbs }) },
    { path: 'aws/describe-network-acls.json', text: json({ NetworkAcls: [...defaultAcls(subnets as { SubnetId: string; VpcId: string }[], acls as { Associations: { SubnetId: string }[] }[]), ...acls] }) },
    ...(natGateways.length ? [{ path: 'aws/describe-nat-gateways.json', text: json({ NatGateways: natGateways }) }] : []),
    ...(igws.length ? [{ path: 'aws/describe-internet-gateways.json', text: json({ InternetGateways: igws }) }] : []),
    ...tgw,
    { path: 'k8s/nodes.json', text: json({ apiVersion: 'v1', kind: 'List', items: nodes }) },
    { path: 'k8s/pods.json', text: json({ apiVersion: 'v1', kind: 'List', items: pods }) },
    { path: 'k8s/services.json', text: json({ apiVersion: 'v1', kind: 'List', items: services }) },
    { path: 'k8s/endpointslices.json', text: json({ apiVersion: 'v1', kind: 'List', items: slices }) },
    { path: 'podpath.yaml', text: `# podpath gen --vpcs ${o.vpcs} --clusters ${o.clusters} --nodes-per-cluster ${o.nodesPerCluster} --services ${o.services} --seed ${o.seed}${o.faults ? '' : ' --clean'}\ncluster: { podCidr: ${POD_CIDR}, serviceCidr: ${SERVICE_CIDR} }\ncni: { kind: kubenet }\n` },
  );
  return { files, links, manifest: { options: o, faults, distinctRulesets: distinct, nodes: totalNodes, services: o.services + 1 } };
}

function peering(id: string, a: string, aCidr: string, b: string, bCidr: string) {
  return { VpcPeeringConnectionId: id, Status: { Code: 'active', Message: 'Active' }, RequesterVpcInfo: { VpcId: a, CidrBlock: aCidr }, AccepterVpcInfo: { VpcId: b, CidrBlock: bCidr } };
}

/** Each VPC's default network ACL (allow all both ways, as AWS creates it), associated with its subnets that have no other. */
function defaultAcls(subnets: { SubnetId: string; VpcId: string }[], own: { Associations: { SubnetId: string }[] }[]) {
  const taken = new Set(own.flatMap((a) => a.Associations.map((x) => x.SubnetId)));
  const byVpc = new Map<string, string[]>();
  for (const s of subnets) if (!taken.has(s.SubnetId)) byVpc.set(s.VpcId, [...(byVpc.get(s.VpcId) ?? []), s.SubnetId]);
  const entry = (egress: boolean, n: number, action: string) => ({ Egress: egress, RuleNumber: n, Protocol: '-1', RuleAction: action, CidrBlock: '0.0.0.0/0' });
  return [...byVpc].map(([vpc, ids]) => ({
    NetworkAclId: `acl-${vpc.slice(4)}-default`, VpcId: vpc, IsDefault: true, Associations: ids.map((id) => ({ NetworkAclId: `acl-${vpc.slice(4)}-default`, SubnetId: id })),
    Entries: [entry(false, 100, 'allow'), entry(false, 32767, 'deny'), entry(true, 100, 'allow'), entry(true, 32767, 'deny')],
  }));
}

/** PP106's NACL: everything in, replies out only to 1024-49151 (Linux clients use 32768-60999). */
function nacl(id: string, vpc: string, subnet: string) {
  const entry = (egress: boolean, n: number, action: string, ports?: [number, number]) => ({
    Egress: egress, RuleNumber: n, Protocol: ports ? '6' : '-1', RuleAction: action, CidrBlock: '0.0.0.0/0', ...(ports ? { PortRange: { From: ports[0], To: ports[1] } } : {}),
  });
  return {
    NetworkAclId: id, VpcId: vpc, IsDefault: false, Associations: [{ NetworkAclId: id, SubnetId: subnet }],
    Entries: [entry(false, 100, 'allow'), entry(false, 32767, 'deny'), entry(true, 100, 'allow', [1024, 49151]), entry(true, 32767, 'deny')],
  };
}

/** One transit gateway joining every node group VPC and the data VPCs routed through it; one route table, propagated routes. */
function tgwDocs(att: { id: string; vpc: string; subnet: string; cidr: string; pods?: string }[]) {
  const rtb = 'tgw-rtb-0';
  return [
    { path: 'aws/describe-transit-gateways.json', text: json({ TransitGateways: [{ TransitGatewayId: 'tgw-0', State: 'available', Options: { DefaultRouteTableAssociation: 'enable', AssociationDefaultRouteTableId: rtb, DefaultRouteTablePropagation: 'enable', PropagationDefaultRouteTableId: rtb } }] }) },
    { path: 'aws/describe-transit-gateway-attachments.json', text: json({ TransitGatewayAttachments: att.map((a) => ({ TransitGatewayAttachmentId: a.id, TransitGatewayId: 'tgw-0', ResourceType: 'vpc', ResourceId: a.vpc, State: 'available', Association: { TransitGatewayRouteTableId: rtb, State: 'associated' } })) }) },
    { path: 'aws/describe-transit-gateway-vpc-attachments.json', text: json({ TransitGatewayVpcAttachments: att.map((a) => ({ TransitGatewayAttachmentId: a.id, TransitGatewayId: 'tgw-0', VpcId: a.vpc, State: 'available', SubnetIds: [a.subnet] })) }) },
    { path: 'aws/describe-transit-gateway-route-tables.json', text: json({ TransitGatewayRouteTables: [{ TransitGatewayRouteTableId: rtb, TransitGatewayId: 'tgw-0', State: 'available', DefaultAssociationRouteTable: true, DefaultPropagationRouteTable: true }] }) },
    { path: `aws/search-transit-gateway-routes.${rtb}.json`, text: json({ Routes: att.map((a) => ({ DestinationCidrBlock: a.cidr, TransitGatewayAttachments: [{ ResourceId: a.vpc, TransitGatewayAttachmentId: a.id, ResourceType: 'vpc' }], Type: 'propagated', State: 'active' })).concat(att.filter((a) => a.pods).map((a) => ({ DestinationCidrBlock: a.pods!, TransitGatewayAttachments: [{ ResourceId: a.vpc, TransitGatewayAttachmentId: a.id, ResourceType: 'vpc' }], Type: 'static', State: 'active' }))) }) },
  ];
}

/** The dump with `rules` appended to the nat table (after kube-proxy's own, as a CNI that starts later writes them). */
function withNatRules(save: string, rules: string[]): string {
  return insertBeforeCommit(save, '*nat', rules);
}

function withFilterRule(save: string, rule: string): string {
  return insertBeforeCommit(save, '*filter', [rule]);
}

function insertBeforeCommit(save: string, table: string, rules: string[]): string {
  const start = save.indexOf(`${table}\n`);
  if (start < 0) return `${save}${table}\n${rules.join('\n')}\nCOMMIT\n`;
  const commit = save.indexOf('\nCOMMIT\n', start);
  return `${save.slice(0, commit + 1)}${rules.join('\n')}${save.slice(commit)}`;
}
