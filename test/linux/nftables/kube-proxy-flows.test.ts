/**
 * kube-proxy's nftables packet-flow expectations, asserted against podpath's
 * walk of the same rulesets (shared/corpus/kube-proxy-nft-tests).
 *
 * The flows are those kubernetes pkg/proxy/nftables/helpers_test.go
 * TestTracePacketV4 runs with runPacketFlowTests (node IPs from
 * proxier_test.go: testNodeIPs 192.168.0.2, 192.168.1.2, 192.168.99.11;
 * testExternalClient 203.0.113.2, testExternalClientBlocked 203.0.113.130).
 * kube-proxy's tracer runs four chains by hand (filter-prerouting-pre-dnat,
 * nat-prerouting, filter-forward, filter-input); podpath walks the real hooks:
 * a packet from a node address is locally generated (OUTPUT: nat-output at
 * dstnat, then filter-output), any other arrives on eth0 (PREROUTING, then
 * INPUT or FORWARD by whether its destination after DNAT is local, then
 * POSTROUTING leaving on eth0 for forwarded ones).
 * podpath's answer in kube-proxy's terms: DROP / REJECT when a branch ends so;
 * the DNAT destination of each branch; '' otherwise; masq: the nat-postrouting
 * masquerade rewrote the source.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../helpers/estates.js';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import type { NodePath } from '../../../src/linux/iptables/node-path.js';
import { tracePaths } from './trace-helper.js';
import type { MergedHookOutcome } from '../../../src/linux/nftables/hook.js';
import { formatIpv4 } from '../../../src/net/ipv4.js';

const dir = join(corpus, 'kube-proxy-nft-tests');

/** TestTracePacketV4's runPacketFlowTests table (helpers_test.go), unchanged. */
const V4_FLOWS = [
  { name: 'no match', src: '10.0.0.2', dst: '10.0.0.3', dport: 80, output: '', masq: false },
  { name: 'single endpoint', src: '10.0.0.2', dst: '172.30.0.41', dport: 80, output: '10.180.0.1:80', masq: false },
  { name: 'multiple endpoints', src: '10.0.0.2', dst: '172.30.0.44', dport: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: false },
  { name: 'local, mark for masquerade', src: '192.168.0.2', dst: '192.168.99.22', dport: 80, output: '10.180.0.2:80', masq: true },
  { name: 'DROP', src: '203.0.113.2', dst: '192.168.99.22', dport: 80, output: 'DROP', masq: false },
  { name: 'REJECT', src: '10.0.0.2', dst: '172.30.0.46', dport: 80, output: 'REJECT', masq: false },
  { name: 'blocked external to loadbalancer IP', src: '203.0.113.130', dst: '5.6.7.8', dport: 80, output: 'DROP', masq: false },
  { name: 'pod to nodePort', src: '10.0.0.2', dst: '192.168.0.2', dport: 3001, output: '10.180.0.2:80', masq: false },
];

const nftStages = (p: NodePath) => p.steps.flatMap((s) => (s.outcome as MergedHookOutcome).stages ?? []).flatMap((st) => (st.kind === 'nft' ? [st.outcome] : []));

function answer(p: NodePath): { output: string; masq: boolean } {
  const masq = nftStages(p).some((o) => o.nat?.type === 'masquerade');
  if (p.end.kind === 'dropped') return { output: 'DROP', masq };
  if (p.end.kind === 'rejected') return { output: 'REJECT', masq };
  if (p.end.kind === 'unknown') return { output: `unknown: ${p.end.reason}`, masq };
  const dnat = nftStages(p).find((o) => o.nat?.type === 'dnat');
  return { output: dnat ? `${formatIpv4(dnat.packet.dst)}:${dnat.packet.dport}` : '', masq };
}


describe.each(['01-TestTracePacketV4.nft', '01-TestTracePacketV4.list-ruleset.nft'])('TestTracePacketV4 flows on %s', (file) => {
  const nft = parseNftText(readFileSync(join(dir, file), 'utf8'), file);
  it.each(V4_FLOWS)('$name ($src -> $dst:$dport)', (flow) => {
    const paths = tracePaths(nft, flow.src, flow.dst, flow.dport);
    const answers = paths.map(answer);
    expect(paths.reduce((a, p) => a + p.probability, 0)).toBeCloseTo(1);
    expect({ output: [...new Set(answers.map((a) => a.output))].sort().join(', '), masq: answers.some((a) => a.masq) }).toEqual({ output: flow.output, masq: flow.masq });
  });
});
