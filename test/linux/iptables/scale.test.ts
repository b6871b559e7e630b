/**
 * Long chains: the destination index gives exactly the verdicts of a plain
 * first-match scan (brute-force oracle), and a kube-proxy dump of the issue's
 * size (2,000 services x 5 endpoints) parses and traces as the kernel would.
 * (Speed is measured by `npm run bench`, not here.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { candidates, compiledChain, INDEX_MIN } from '../../../src/linux/iptables/compile.js';
import { compileMatch } from '../../../src/linux/iptables/match.js';
import type { MatchResult } from '../../../src/linux/iptables/match-types.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { walkNodePath } from '../../../src/linux/iptables/node-path.js';
import { kubeProxySaveText } from '../../../src/k8s/kube-proxy/rules.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { node, pkt } from './helpers.js';

const ctx = node({ inIface: 'cni0', outIface: 'eth0', locals: ['192.168.1.5'], ifaces: { eth0: '192.168.1.5' } });

describe('destination index', () => {
  const dsts = ['10.96.0.1', '10.96.0.2', '10.96.0.3', '10.96.0.4', '10.0.0.9'];
  const ruleGen = fc.record({
    dst: fc.option(fc.tuple(fc.boolean(), fc.constantFrom(...dsts), fc.constantFrom(32, 32, 32, 24)), { nil: undefined }),
    port: fc.option(fc.constantFrom(53, 80, 443), { nil: undefined }),
    target: fc.constantFrom('ACCEPT', 'DROP', 'REJECT', 'RETURN'),
  }).map(({ dst, port, target }) => [
    dst ? `${dst[0] ? '! ' : ''}-d ${dst[1]}/${dst[2]}` : '',
    port ? `-p tcp -m tcp --dport ${port}` : '',
    `-j ${target}`,
  ].filter(Boolean).join(' '));

  it('visits a superset of the rules that can match, and decides as a linear first-match scan does', () => {
    fc.assert(
      fc.property(
        fc.array(ruleGen, { minLength: INDEX_MIN, maxLength: INDEX_MIN * 2 }),
        fc.constantFrom(...dsts, '10.96.0.99'),
        fc.constantFrom(53, 80, 443, 8080),
        (rules, dst, dport) => {
          const text = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules.map((r) => `-A FORWARD ${r}`), 'COMMIT', ''].join('\n');
          const rs = parseIptablesSave({ text }).value;
          const chain = rs.tables.get('filter')!.chains.get('FORWARD')!;
          const packet = pkt('10.244.0.7', dst, 'tcp', 40000, dport);
          const env = { packet, ctx, hook: 'FORWARD' as const, table: 'filter' as const, mark: 0, connmark: 0, ct: 'NEW' as const, dnat: undefined, snat: false, conn: undefined };
          const holds = (r: MatchResult) => r === true;
          // Oracle: every rule, in order.
          const first = chain.rules.find((r) => r.matches.every((m) => holds(compileMatch(m).test(env))));
          const expected = !first || first.target!.name === 'RETURN' ? 'DROP' : first.target!.name;
          const [h] = walkHook(rs, 'FORWARD', packet, ctx, 0);
          expect(h!.verdict).toBe(expected);
          expect(h!.tables[0]!.rule?.num).toBe(first && first.target!.name !== 'RETURN' ? first.num : undefined);
          // Every rule the index skips has a -d that fails.
          const cand = candidates(compiledChain(chain), packet.dst);
          if (cand) {
            const visited = new Set(cand);
            for (const r of chain.rules) {
              if (!visited.has(r.num - 1)) expect(r.matches.some((m) => m.kind === 'dst' && compileMatch(m).test(env) === false)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('a kube-proxy dump of 2,000 services x 5 endpoints with NodePorts (acceptance 1)', () => {
  const nodeIp = '192.168.1.5';
  const svcIp = (i: number) => formatIpv4(parseIpv4('10.96.0.0') + i);
  const podIp = (i: number, j: number) => formatIpv4(parseIpv4('10.244.0.0') + i * 5 + j);
  let rs: Ruleset;
  let text: string;
  beforeAll(() => {
    text = kubeProxySaveText(Array.from({ length: 2000 }, (_, i) => ({
      namespace: 'scale', name: `svc-${i}`, protocol: 'tcp' as const, clusterIP: svcIp(i), port: 80, nodePort: 30000 + i,
      endpoints: Array.from({ length: 5 }, (_, j) => ({ ip: podIp(i, j), port: 8080 })),
    })), { nodeName: 'n1', clusterCIDR: '10.244.0.0/16' });
    const parsed = parseIptablesSave({ text, file: 'kp-2000x5' });
    expect(parsed.diagnostics).toEqual([]);
    rs = parsed.value;
  }, 60_000);
  const addresses = [{ iface: 'eth0', addr: parseIpv4(nodeIp), len: 24 }];

  it('reads every one of its 40k rules (52k lines with the chain declarations)', () => {
    const rules = [...rs.tables.values()].flatMap((t) => [...t.chains.values()]).reduce((n, c) => n + c.rules.length, 0);
    expect(rules).toBe(text.split('\n').filter((l) => l.startsWith('-A ')).length);
    expect(rules).toBe(40_020);
    expect(text.split('\n').length).toBeGreaterThan(52_000);
  });

  it('pod -> ClusterIP: one DNAT branch per endpoint with its probability, each reply un-DNATed; no masquerade mark', () => {
    const paths = walkNodePath(rs, { packet: pkt('10.244.200.9', svcIp(1234), 'tcp', 40000, 80), start: { kind: 'arrives', inIface: 'cni0' }, outIface: 'eth0', addresses });
    expect(paths.map((p) => formatIpv4(p.packetOut!.dst)).sort()).toEqual([0, 1, 2, 3, 4].map((j) => podIp(1234, j)).sort());
    for (const p of paths) {
      expect(p.probability).toBeCloseTo(0.2, 6);
      expect(p.packetOut!.dport).toBe(8080);
      expect(formatIpv4(p.packetOut!.src)).toBe('10.244.200.9'); // a pod source is not masqueraded
      expect(p.steps.at(-1)!.outcome.mark).toBe(0);
      expect(p.reply!.end.kind).toBe('forwarded');
      expect(p.reply!.packetOut).toMatchObject({ src: parseIpv4(svcIp(1234)), sport: 80, dst: parseIpv4('10.244.200.9'), dport: 40000 });
    }
    expect(paths.reduce((sum, p) => sum + p.probability, 0)).toBeCloseTo(1, 9);
  });

  it('outside client -> NodePort: KUBE-MARK-MASQ marks it, KUBE-POSTROUTING masquerades to the node address, the reply is un-NATed both ways', () => {
    const paths = walkNodePath(rs, { packet: pkt('203.0.113.7', nodeIp, 'tcp', 51000, 31234), start: { kind: 'arrives', inIface: 'eth0' }, outIface: 'eth0', addresses });
    expect(paths).toHaveLength(5);
    for (const p of paths) {
      expect(p.end.kind).toBe('forwarded');
      expect(p.steps.find((s) => s.hook === 'PREROUTING')!.outcome.mark & 0x4000).toBe(0x4000);
      expect(formatIpv4(p.packetOut!.src)).toBe(nodeIp);
      expect([0, 1, 2, 3, 4].map((j) => podIp(1234, j))).toContain(formatIpv4(p.packetOut!.dst));
      expect(p.reply!.packetOut).toMatchObject({ src: parseIpv4(nodeIp), sport: 31234, dst: parseIpv4('203.0.113.7'), dport: 51000 });
    }
  });

  it('the destination index leaves a ClusterIP walk two rules of KUBE-SERVICES: its own and the NodePort catch-all', () => {
    const chain = compiledChain(rs.tables.get('nat')!.chains.get('KUBE-SERVICES')!);
    expect(chain.rules.length).toBe(2001);
    const visit = candidates(chain, parseIpv4(svcIp(1234)))!;
    expect(visit.map((i) => chain.rules[i]!.rule.text)).toEqual([
      expect.stringContaining(`-d ${svcIp(1234)}/32`),
      expect.stringContaining('KUBE-NODEPORTS'),
    ]);
  });
});

describe('a destination no rule of an indexed chain names', () => {
  it('gets a note saying so (the skipped rules give no near miss)', () => {
    const rs = parseIptablesSave({ text: kubeProxySaveText(Array.from({ length: 100 }, (_, i) => ({
      namespace: 'n', name: `s${i}`, protocol: 'tcp' as const, clusterIP: formatIpv4(parseIpv4('10.96.0.0') + i), port: 80, endpoints: [{ ip: '10.244.0.9', port: 8080 }],
    })), { nodeName: 'n1', clusterCIDR: '10.244.0.0/16' }), file: 'kp' }).value;
    const [miss] = walkHook(rs, 'PREROUTING', pkt('10.244.0.7', '10.96.1.10', 'tcp', 40000, 80), ctx, 0);
    expect(miss!.tables.find((t) => t.table === 'nat')!.notes).toContain('KUBE-SERVICES: none of its 100 rules with -d x/32 names 10.96.1.10');
    const [hit] = walkHook(rs, 'PREROUTING', pkt('10.244.0.7', '10.96.0.10', 'tcp', 40000, 80), ctx, 0);
    expect(hit!.tables.find((t) => t.table === 'nat')!.notes ?? []).not.toContainEqual(expect.stringContaining('none of its'));
  });
});
