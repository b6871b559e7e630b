/**
 * kube-proxy's packet-flow expectations (flow-cases.ts) asserted against
 * podpath's walk of the same dumps (shared/corpus/kube-proxy-tests).
 *
 * The dumps are kube-proxy's iptables-restore input; kube-proxy installs its
 * jump rules from the built-in chains separately, so each dump is loaded with
 * `iptables-restore --noflush` semantics (restoreNoflush) on top of
 * kube-proxy-jump-rules.iptables-save, as the fake iptables of those tests
 * holds them. 01b is TestTracePackets' own dump (it carries its jump rules).
 *
 * podpath walks real hooks (kube-proxy's tracer runs nat PREROUTING and four
 * filter chains by hand): a packet from the node address or 127.0.0.1 is
 * locally generated, one from 10.0.0.0/8 arrives on the pod interface, any
 * other on eth0; forwarded packets leave on eth0 (192.168.0.2/24).
 * podpath's answer in kube-proxy's terms: DROP / REJECT when a branch ends
 * so; the DNAT destination of each branch; ACCEPT when a rule of a chain
 * kube-proxy's tracer runs (filter KUBE-SERVICES, KUBE-EXTERNAL-SERVICES,
 * KUBE-NODEPORTS, KUBE-PROXY-FIREWALL) accepted it; '' otherwise. masq: the
 * nat POSTROUTING MASQUERADE rewrote it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../helpers/estates.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { restoreNoflush } from '../../../src/linux/iptables/restore.js';
import { walkNodePath, type NodePath } from '../../../src/linux/iptables/node-path.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { FLOW_GROUPS, type FlowCase } from './flow-cases.js';

const dir = join(corpus, 'kube-proxy-tests');
const read = (file: string): Ruleset => {
  const parsed = parseIptablesSave({ text: readFileSync(join(dir, file), 'utf8'), file });
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return parsed.value;
};

/** The rule set the kernel holds for a dump: jump rules, then the dump restored with --noflush (01b stands alone). */
function nodeRules(file: string): Ruleset {
  return file.startsWith('01') ? read(file) : restoreNoflush(read('kube-proxy-jump-rules.iptables-save'), read(file));
}

const NODE = parseIpv4('192.168.0.2');
const TRACER_CHAINS = new Set(['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']);

/** One branch in kube-proxy's terms. */
function answer(p: NodePath): { output: string; masq: boolean } {
  const steps = p.steps;
  const masq = steps.some((s) => s.hook === 'POSTROUTING' && s.outcome.tables.some((t) => t.nat?.kind === 'MASQUERADE'));
  if (p.end.kind === 'dropped') return { output: 'DROP', masq };
  if (p.end.kind === 'rejected') return { output: 'REJECT', masq };
  if (p.end.kind === 'unknown') return { output: `unknown: ${p.end.reason}`, masq };
  const dnat = steps.flatMap((s) => s.outcome.tables).find((t) => t.nat?.kind === 'DNAT');
  if (dnat) return { output: `${formatIpv4(dnat.packet.dst)}:${dnat.packet.dport}`, masq };
  const accepted = steps.some((s) => s.outcome.tables.some((t) => t.table === 'filter' && t.verdict === 'ACCEPT' && t.rule?.target?.name === 'ACCEPT' && TRACER_CHAINS.has(t.rule.chain)));
  return { output: accepted ? 'ACCEPT' : '', masq };
}

function podpathSays(rs: Ruleset, flow: FlowCase): { output: string; masq: boolean } {
  const src = parseIpv4(flow.src);
  const local = src === NODE || flow.src === '127.0.0.1';
  const paths = walkNodePath(rs, {
    packet: { src, dst: parseIpv4(flow.dst), proto: flow.proto ?? 'tcp', sport: 40000, dport: flow.dport },
    start: local ? { kind: 'local' } : { kind: 'arrives', inIface: flow.src.startsWith('10.') ? 'cni0' : 'eth0' },
    outIface: 'eth0',
    addresses: [{ iface: 'eth0', addr: NODE, len: 24 }],
  });
  const answers = paths.map(answer);
  const outputs = [...new Set(answers.map((a) => a.output))].sort();
  return { output: outputs.join(', '), masq: answers.some((a) => a.masq) };
}

describe.each(FLOW_GROUPS)('kube-proxy packet flows on $file', ({ file, flows }) => {
  const rs = nodeRules(file);
  it.each(flows)('$from: $name ($src -> $dst:$dport)', (flow) => {
    const expected = { output: flow.output.split(', ').sort().join(', '), masq: flow.masq };
    expect(podpathSays(rs, flow)).toEqual(expected);
  });
});

describe('the corpus dumps as kube-proxy wrote them', () => {
  it('01 (unquoted multi-word comments) is refused at line 12, where iptables-restore refuses it; 01b reads clean', () => {
    const text = readFileSync(join(dir, '01-TestTracePacket.iptables-save'), 'utf8');
    const errors = parseIptablesSave({ text, file: '01' }).diagnostics.filter((d) => d.severity === 'error');
    expect(errors[0]!.line).toBe(12);
    expect(read('01b-TestTracePacket-comments-quoted.iptables-save').tables.get('filter')!.chains.get('INPUT')).toMatchObject({ policy: 'ACCEPT', policyKept: true });
  });
});
