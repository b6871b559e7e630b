/**
 * Long chains: the destination index gives exactly the verdicts of a plain
 * first-match scan (brute-force oracle), and a 64k-rule kube-proxy dump walks
 * in well under a millisecond.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { candidates, compiledChain, INDEX_MIN } from '../../../src/linux/iptables/compile.js';
import { compileMatch } from '../../../src/linux/iptables/match.js';
import type { MatchResult } from '../../../src/linux/iptables/match-types.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { kubeProxyDump } from './generate.js';
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
          const env = { packet, ctx, hook: 'FORWARD' as const, table: 'filter' as const, mark: 0, connmark: 0, ct: 'NEW' as const, dnat: undefined, snat: false };
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

describe('a 64k-rule kube-proxy dump (8000 services x 2 endpoints)', () => {
  let rs: Ruleset;
  beforeAll(() => {
    const { value, diagnostics } = parseIptablesSave({ text: kubeProxyDump(8000, 2), file: 'big' });
    expect(diagnostics).toEqual([]);
    rs = value;
  }, 60_000);

  it('DNATs a service to its two endpoints', () => {
    const out = walkHook(rs, 'PREROUTING', pkt('10.244.0.9', '10.96.31.63', 'tcp', 40000, 80), ctx, 0);
    expect(out.map((h) => [h.probability, h.packet.dport])).toEqual([[0.5, 8080], [0.5, 8080]]);
  });

  it('walks PREROUTING in well under 1 ms per packet', () => {
    const packets = Array.from({ length: 500 }, (_, i) => pkt('10.244.0.9', `10.96.${(i * 7) % 31}.${(i * 13) % 256}`, 'tcp', 40000, 80));
    for (const p of packets) walkHook(rs, 'PREROUTING', p, ctx, 0); // compile the chains visited
    const t0 = performance.now();
    for (const p of packets) walkHook(rs, 'PREROUTING', p, ctx, 0);
    const perPacket = (performance.now() - t0) / packets.length;
    expect(perPacket).toBeLessThan(1);
  });
});
