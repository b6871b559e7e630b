/**
 * kube-proxy's own packet-flow expectations for the dumps in
 * shared/corpus/kube-proxy-tests, written down from the `runPacketFlowTests`
 * calls of kubernetes pkg/proxy/iptables/proxier_test.go (read in
 * openshift/kubernetes @ 06d263ebff317d02636336fc76043cc40dd2b74e, the v1.27-era
 * revision the dumps 02-29 come from; 01's dump is the one TestTracePackets
 * restores there, with the same seven flows as the later TestTracePacket the
 * corpus took it from). Each case names the Go test function it came from.
 *
 * `output` is kube-proxy's tracer output: the DNAT destinations of every
 * branch, or ACCEPT / DROP / REJECT from the filter chains it runs, or '' when
 * no kube-proxy rule applies. `masq`: the packet is marked for masquerade.
 * Node 192.168.0.2 (testNodeIP), pods 10.0.0.0/8, external client 203.0.113.2,
 * blocked client 203.0.113.130.
 *
 * 84 flows. Left out, 2 more: the second runPacketFlowTests of
 * TestHealthCheckNodePort (after OnServiceDelete) and of TestInternalTrafficPolicyE2E
 * "local, no local endpoints" (after the EndpointSlice is deleted) run on rules
 * that are not in the corpus. The "after endpoints deleted" flows of the
 * no-usable-endpoints cases are kept: the test asserts the rules did not change.
 */

/** One expected flow. */
export interface FlowCase {
  /** The Go test function (and sub-case) the expectation comes from. */
  from: string;
  name: string;
  src: string;
  dst: string;
  dport: number;
  output: string;
  masq: boolean;
  proto?: 'tcp' | 'sctp';
}

/** The corpus dump each group of flows runs on. */
export interface FlowGroup {
  file: string;
  flows: FlowCase[];
}

const NODE = '192.168.0.2';
const EXT = '203.0.113.2';
const BLOCKED = '203.0.113.130';

const f = (from: string, name: string, src: string, dst: string, dport: number, output: string, masq = false, proto?: 'sctp'): FlowCase =>
  ({ from, name, src, dst, dport, output, masq, ...(proto ? { proto } : {}) });

const TP = 'TestTracePacket (TestTracePackets in v1.27)';
const LB = 'TestLoadBalancer';
const NP = 'TestNodePort';
const OLNP = 'onlyLocalNodePorts';

/** Flows of the shared TestEndpointSliceWithTerminatingEndpoints* structure. */
const term = (fn: string, pod: string, ext: string, extMasq: boolean, afterDelete = false): FlowCase[] => [
  f(fn, 'pod to clusterIP', '10.0.0.2', '172.30.1.1', 80, pod),
  f(fn, 'external to LB', EXT, '1.2.3.4', 80, ext, extMasq),
  ...(afterDelete
    ? [f(fn, 'pod to clusterIP after endpoints deleted', '10.0.0.2', '172.30.1.1', 80, 'REJECT'), f(fn, 'external to LB after endpoints deleted', EXT, '1.2.3.4', 80, 'REJECT')]
    : []),
];

const TL = 'TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal';
const TC = 'TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster';
const ALL3 = '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80';

export const FLOW_GROUPS: FlowGroup[] = [
  { file: '01b-TestTracePacket-comments-quoted.iptables-save', flows: [
    f(TP, 'no match', '10.0.0.2', '10.0.0.3', 80, ''),
    f(TP, 'single endpoint', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80'),
    f(TP, 'multiple endpoints', '10.0.0.2', '172.30.0.44', 80, '10.180.0.4:80, 10.180.0.5:80'),
    f(TP, 'LOCAL, KUBE-MARK-MASQ', NODE, '192.168.99.22', 80, '10.180.0.2:80', true),
    f(TP, 'DROP', EXT, '192.168.99.22', 80, 'DROP'),
    f(TP, 'ACCEPT (NodePortHealthCheck)', NODE, NODE, 30000, 'ACCEPT'),
    f(TP, 'REJECT', '10.0.0.2', '172.30.0.46', 80, 'REJECT'),
  ] },
  { file: '02-TestClusterIPReject.iptables-save', flows: [f('TestClusterIPReject', 'cluster IP rejected', '10.0.0.2', '172.30.0.41', 80, 'REJECT')] },
  { file: '03-TestClusterIPEndpointsMore.iptables-save', flows: [
    f('TestClusterIPEndpointsMore', 'cluster IP accepted', '10.180.0.2', '172.30.0.41', 80, '10.180.0.1:80', false, 'sctp'),
    f('TestClusterIPEndpointsMore', 'hairpin to cluster IP', '10.180.0.1', '172.30.0.41', 80, '10.180.0.1:80', true, 'sctp'),
  ] },
  { file: '04-TestLoadBalancer.iptables-save', flows: [
    f(LB, 'pod to cluster IP', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80'),
    f(LB, 'external to nodePort', EXT, NODE, 3001, '10.180.0.1:80', true),
    f(LB, 'nodePort bypasses LoadBalancerSourceRanges', BLOCKED, NODE, 3001, '10.180.0.1:80', true),
    f(LB, 'accepted external to LB1', EXT, '1.2.3.4', 80, '10.180.0.1:80', true),
    f(LB, 'accepted external to LB2', EXT, '5.6.7.8', 80, '10.180.0.1:80', true),
    f(LB, 'blocked external to LB1', BLOCKED, '1.2.3.4', 80, 'DROP'),
    f(LB, 'blocked external to LB2', BLOCKED, '5.6.7.8', 80, 'DROP'),
    f(LB, 'pod to LB1 (blocked by LoadBalancerSourceRanges)', '10.0.0.2', '1.2.3.4', 80, 'DROP'),
    f(LB, 'pod to LB2 (blocked by LoadBalancerSourceRanges)', '10.0.0.2', '5.6.7.8', 80, 'DROP'),
    f(LB, 'node to LB1 (allowed by LoadBalancerSourceRanges)', NODE, '1.2.3.4', 80, '10.180.0.1:80', true),
    f(LB, 'node to LB2 (allowed by LoadBalancerSourceRanges)', NODE, '5.6.7.8', 80, '10.180.0.1:80', true),
    f(LB, 'same node to LB1, SNATted to LB1 (implicitly allowed)', '1.2.3.4', '1.2.3.4', 80, '10.180.0.1:80', true),
    f(LB, 'same node to LB2, SNATted to LB2 (implicitly allowed)', '5.6.7.8', '5.6.7.8', 80, '10.180.0.1:80', true),
  ] },
  { file: '05-TestNodePort.iptables-save', flows: [
    f(NP, 'pod to cluster IP', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80'),
    f(NP, 'external to nodePort', EXT, NODE, 3001, '10.180.0.1:80', true),
    f(NP, 'node to nodePort', NODE, NODE, 3001, '10.180.0.1:80', true),
    f(NP, 'localhost to nodePort gets masqueraded', '127.0.0.1', '127.0.0.1', 3001, '10.180.0.1:80', true),
  ] },
  { file: '06-TestHealthCheckNodePort.iptables-save', flows: [f('TestHealthCheckNodePort', 'firewall accepts HealthCheckNodePort', '1.2.3.4', NODE, 30000, 'ACCEPT')] },
  { file: '07-TestExternalIPsReject.iptables-save', flows: [
    f('TestExternalIPsReject', 'cluster IP with no endpoints', '10.0.0.2', '172.30.0.41', 80, 'REJECT'),
    f('TestExternalIPsReject', 'external IP with no endpoints', EXT, '192.168.99.11', 80, 'REJECT'),
  ] },
  { file: '08-TestOnlyLocalExternalIPs.iptables-save', flows: [
    f('TestOnlyLocalExternalIPs', 'cluster IP hits both endpoints', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80, 10.180.2.1:80'),
    f('TestOnlyLocalExternalIPs', 'external IP hits only local endpoint, unmasqueraded', EXT, '192.168.99.11', 80, '10.180.2.1:80'),
  ] },
  { file: '09-TestNonLocalExternalIPs.iptables-save', flows: [
    f('TestNonLocalExternalIPs', 'pod to cluster IP', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80, 10.180.2.1:80'),
    f('TestNonLocalExternalIPs', 'external to external IP', EXT, '192.168.99.11', 80, '10.180.0.1:80, 10.180.2.1:80', true),
  ] },
  { file: '10-TestNodePortReject.iptables-save', flows: [
    f('TestNodePortReject', 'pod to cluster IP', '10.0.0.2', '172.30.0.41', 80, 'REJECT'),
    f('TestNodePortReject', 'pod to NodePort', '10.0.0.2', NODE, 3001, 'REJECT'),
    f('TestNodePortReject', 'external to NodePort', EXT, NODE, 3001, 'REJECT'),
  ] },
  { file: '11-TestLoadBalancerReject.iptables-save', flows: [
    f('TestLoadBalancerReject', 'pod to cluster IP', '10.0.0.2', '172.30.0.41', 80, 'REJECT'),
    f('TestLoadBalancerReject', 'pod to LoadBalancer IP', '10.0.0.2', '1.2.3.4', 80, 'REJECT'),
    f('TestLoadBalancerReject', 'external to LoadBalancer IP', EXT, '1.2.3.4', 80, 'REJECT'),
  ] },
  { file: '12-TestOnlyLocalLoadBalancing.iptables-save', flows: [
    f('TestOnlyLocalLoadBalancing', 'pod to cluster IP hits both endpoints', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80, 10.180.2.1:80'),
    f('TestOnlyLocalLoadBalancing', 'external to LB IP hits only local endpoint, unmasqueraded', EXT, '1.2.3.4', 80, '10.180.2.1:80'),
    f('TestOnlyLocalLoadBalancing', 'external to NodePort hits only local endpoint, unmasqueraded', EXT, NODE, 3001, '10.180.2.1:80'),
  ] },
  // "pod to localhost": both tracers see no kube-proxy rule for it (''); the kernel then drops it in routing as a
  // martian destination (127.0.0.1 arriving on a pod interface without route_localnet), which neither tracer models.
  { file: '13-TestOnlyLocalNodePortsNoClusterCIDR.iptables-save', flows: [
    f(`TestOnlyLocalNodePortsNoClusterCIDR (${OLNP})`, 'pod to cluster IP hit both endpoints', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80, 10.180.2.1:80'),
    f(`TestOnlyLocalNodePortsNoClusterCIDR (${OLNP})`, 'external to NodePort hits only local endpoint', EXT, NODE, 3001, '10.180.2.1:80'),
    f(`TestOnlyLocalNodePortsNoClusterCIDR (${OLNP})`, "pod to localhost doesn't work because localhost is not in nodePortAddresses", '10.0.0.2', '127.0.0.1', 3001, ''),
    f(`TestOnlyLocalNodePortsNoClusterCIDR (${OLNP}, no LocalTrafficDetector)`, 'pod to NodePort hits only local endpoint', '10.0.0.2', NODE, 3001, '10.180.2.1:80'),
  ] },
  { file: '14-TestOnlyLocalNodePorts.iptables-save', flows: [
    f(`TestOnlyLocalNodePorts (${OLNP})`, 'pod to cluster IP hit both endpoints', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80, 10.180.2.1:80'),
    f(`TestOnlyLocalNodePorts (${OLNP})`, 'external to NodePort hits only local endpoint', EXT, NODE, 3001, '10.180.2.1:80'),
    f(`TestOnlyLocalNodePorts (${OLNP})`, "pod to localhost doesn't work because localhost is not in nodePortAddresses", '10.0.0.2', '127.0.0.1', 3001, ''),
    f(`TestOnlyLocalNodePorts (${OLNP}, LocalTrafficDetector)`, 'pod to NodePort hits both endpoints', '10.0.0.2', NODE, 3001, '10.180.0.1:80, 10.180.2.1:80'),
  ] },
  { file: '15-TestInternalTrafficPolicyE2E-cluster.iptables-save', flows: [
    f('TestInternalTrafficPolicyE2E (cluster)', 'pod to ClusterIP hits all endpoints', '10.0.0.2', '172.30.1.1', 80, '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80'),
  ] },
  { file: '16-TestInternalTrafficPolicyE2E-local-with-local-endpoints.iptables-save', flows: [
    f('TestInternalTrafficPolicyE2E (local, local endpoints)', 'pod to ClusterIP hits only local endpoint', '10.0.0.2', '172.30.1.1', 80, '10.0.1.1:80'),
  ] },
  { file: '17-TestInternalTrafficPolicyE2E-local-no-local-endpoints.iptables-save', flows: [
    f('TestInternalTrafficPolicyE2E (local, no local endpoints)', 'no endpoints', '10.0.0.2', '172.30.1.1', 80, 'DROP'),
  ] },
  { file: '18-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal-gate-on-ready-endpoints-exist.iptables-save', flows: term(`${TL} (gate on, ready)`, ALL3, '10.0.1.1:80, 10.0.1.2:80', false) },
  { file: '19-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal-gate-off-ready-endpoints-exist.iptables-save', flows: term(`${TL} (gate off, ready)`, ALL3, '10.0.1.1:80, 10.0.1.2:80', false) },
  { file: '20-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal-gate-on-only-terminating.iptables-save', flows: term(`${TL} (gate on, only terminating)`, '10.0.1.5:80', '10.0.1.2:80, 10.0.1.3:80', false) },
  { file: '21-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal-gate-off-non-local-and-terminating.iptables-save', flows: term(`${TL} (gate off, non-local and terminating)`, '10.0.1.5:80', 'DROP', false) },
  { file: '22-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal-gate-on-terminating-on-remote-node.iptables-save', flows: term(`${TL} (gate on, terminating on remote node)`, '10.0.1.5:80', 'DROP', false) },
  { file: '23-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyLocal-no-usable-endpoints.iptables-save', flows: term(`${TL} (no usable endpoints)`, 'REJECT', 'REJECT', false, true) },
  { file: '24-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster-gate-on-ready-endpoints-exist.iptables-save', flows: term(`${TC} (gate on, ready)`, ALL3, ALL3, true) },
  { file: '25-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster-gate-off-ready-endpoints-exist.iptables-save', flows: term(`${TC} (gate off, ready)`, ALL3, ALL3, true) },
  { file: '26-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster-gate-on-only-terminating.iptables-save', flows: term(`${TC} (gate on, only terminating)`, '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', true) },
  { file: '27-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster-gate-off-only-terminating.iptables-save', flows: term(`${TC} (gate off, only terminating)`, 'REJECT', 'REJECT', false, true) },
  { file: '28-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster-gate-on-terminating-on-remote-node.iptables-save', flows: term(`${TC} (gate on, terminating on remote node)`, '10.0.1.5:80', '10.0.1.5:80', true) },
  { file: '29-TestEndpointSliceWithTerminatingEndpointsTrafficPolicyCluster-no-usable-endpoints.iptables-save', flows: term(`${TC} (no usable endpoints)`, 'REJECT', 'REJECT', false, true) },
];
