/** serializeRuleset: canonical iptables-save text that parses back to the same rule set. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { serializeRuleset, rulesetShape } from '../../../src/linux/iptables/serialize.js';
import { parse, saveFiles, corpus } from './helpers.js';

/** parse -> serialize -> parse gives the same shape, no new diagnostics, and a fixed point. */
function roundTrip(text: string) {
  const a = parse(text);
  const s1 = serializeRuleset(a.value);
  const b = parse(s1);
  return { a, b, s1, s2: serializeRuleset(b.value) };
}

const octet = fc.integer({ min: 0, max: 255 });
const cidr = fc.tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 })).map(([a, b, c, d, len]) => {
  const ip = (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) & (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}/${len}`;
});
const bang = fc.boolean().map((b) => (b ? '! ' : ''));
const iface = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,8}$/), fc.boolean()).map(([n, w]) => (w ? `${n}+` : n));
const port = fc.integer({ min: 0, max: 65535 });
const range = fc.tuple(port, port).map(([x, y]) => (x === y ? `${x}` : `${Math.min(x, y)}:${Math.max(x, y)}`));
const hex = fc.integer({ min: 0, max: 0xffffffff }).map((n) => `0x${n.toString(16)}`);
/** Free text as a comment: any printable characters, quotes and backslashes included. */
const text = fc.string({ unit: fc.constantFrom(...'abc XYZ 09"\'\\!#$;|~()*?=-_/:,é😀'.split('')), minLength: 0, maxLength: 20 });
const quoted = text.map((s) => `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`);
const setName = fc.stringMatching(/^[a-zA-Z][!-~]{0,15}$/).filter((s) => !s.includes('"'));

const protoPart = fc.oneof(
  fc.tuple(bang, bang, range, range).map(([n1, n2, a, b]) => `-p tcp -m tcp ${n1}--sport ${a} ${n2}--dport ${b}`),
  fc.tuple(bang, range).map(([n, a]) => `-p udp -m udp ${n}--dport ${a}`),
  fc.tuple(fc.constantFrom('tcp', 'udp'), fc.constantFrom('--dports', '--sports', '--ports'), fc.array(range, { minLength: 1, maxLength: 5 }))
    .map(([p, o, rs]) => `-p ${p} -m multiport ${o} ${rs.join(',')}`),
  fc.constantFrom('-p icmp -m icmp --icmp-type 8', '-p icmp -m icmp --icmp-type 3/4', '-p all', '! -p esp', '-p gre', ''),
);
const modulePart = fc.oneof(
  quoted.map((q) => `-m comment --comment ${q}`),
  fc.tuple(bang, hex, hex).map(([n, v, m]) => `-m mark ${n}--mark ${v}/${m}`),
  fc.tuple(bang, fc.subarray(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'DNAT', 'SNAT'], { minLength: 1 }))
    .map(([n, s]) => `-m conntrack ${n}--ctstate ${s.join(',')}`),
  fc.tuple(bang, fc.constantFrom('--src-type', '--dst-type'), fc.constantFrom('LOCAL', 'UNICAST', 'LOCAL,BROADCAST'))
    .map(([n, o, t]) => `-m addrtype ${n}${o} ${t}`),
  fc.integer({ min: 1, max: 99_999_999_999 }).map((k) => `-m statistic --mode random --probability ${(k / 1e11).toFixed(11)}`),
  fc.tuple(setName, fc.constantFrom('src', 'dst', 'dst,dst')).map(([s, d]) => `-m set --match-set ${s} ${d}`),
  fc.constant('-m limit --limit 5/sec --limit-burst 10'),
);
/** `-i` and `-o` only where the chain's hook has that interface (iptables refuses them elsewhere). */
const genericPart = (chain: string) => fc.tuple(
  fc.option(fc.tuple(bang, cidr).map(([n, c]) => `${n}-s ${c}`), { nil: '' }),
  fc.option(fc.tuple(bang, cidr).map(([n, c]) => `${n}-d ${c}`), { nil: '' }),
  ['OUTPUT', 'POSTROUTING'].includes(chain) ? fc.constant('') : fc.option(fc.tuple(bang, iface).map(([n, i]) => `${n}-i ${i}`), { nil: '' }),
  ['INPUT', 'PREROUTING'].includes(chain) ? fc.constant('') : fc.option(fc.tuple(bang, iface).map(([n, i]) => `${n}-o ${i}`), { nil: '' }),
);

const filterTarget = (chains: string[]) => fc.oneof(
  fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '-j REJECT', '-j REJECT --reject-with tcp-reset', ''),
  quoted.map((q) => `-j LOG --log-prefix ${q} --log-level 6`),
  fc.tuple(hex, hex).map(([v, m]) => `-j MARK --set-xmark ${v}/${m}`),
  fc.constantFrom('--or-mark 0x4000', '--and-mark 0xff', '--set-mark 0x10/0xf0').map((o) => `-j MARK ${o}`),
  ...(chains.length ? [fc.tuple(fc.constantFrom('-j', '-g'), fc.constantFrom(...chains)).map(([j, c]) => `${j} ${c}`)] : []),
);
const natTarget = fc.oneof(
  fc.tuple(octet, port).map(([o, p]) => `-j DNAT --to-destination 10.0.0.${o}:${p}`),
  fc.constantFrom('-j MASQUERADE', '-j MASQUERADE --random-fully', '-j MASQUERADE --to-ports 1024-65535', '-j SNAT --to-source 1.2.3.4-1.2.3.9:1000-2000 --random'),
);

const rule = (own: string, chains: string[], nat: boolean) =>
  fc.tuple(genericPart(own), protoPart, fc.array(modulePart, { maxLength: 3 }), nat ? fc.oneof(natTarget, filterTarget([])) : filterTarget(chains))
    .map(([g, p, ms, t]) => [...g, p, ...ms, t].filter((w) => w !== '').join(' '));

const chainName = fc.stringMatching(/^[A-Z][A-Z0-9_~-]{0,12}$/);

/** A filter table with user chains (jumps only forward: no loops) and a nat table. */
const ruleset = fc.uniqueArray(chainName.filter((c) => !['INPUT', 'FORWARD', 'OUTPUT', 'ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'MARK'].includes(c)), { maxLength: 4 })
  .chain((chains) => fc.tuple(
    fc.constant(chains),
    fc.array(fc.tuple(fc.integer({ min: 0, max: chains.length + 2 }), fc.nat()), { maxLength: 12 })
      .chain((slots) => fc.tuple(...slots.map(([i]) => {
        const own = i < 3 ? ['INPUT', 'FORWARD', 'OUTPUT'][i]! : chains[i - 3]!;
        return rule(own, i < 3 ? chains : chains.slice(i - 2), false).map((r) => `-A ${own} ${r}`);
      }))),
    fc.array(rule('POSTROUTING', [], true).map((r) => `-A POSTROUTING ${r}`), { maxLength: 6 }),
    fc.constantFrom('ACCEPT', 'DROP'),
  ))
  .map(([chains, filterRules, natRules, policy]) => [
    '*filter', `:INPUT ${policy} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...chains.map((c) => `:${c} - [0:0]`), ...filterRules, 'COMMIT',
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...natRules, 'COMMIT', '',
  ].join('\n'));

describe('serializeRuleset', () => {
  it('round-trips generated rule sets: same shape, no diagnostics, a fixed point', () => {
    fc.assert(
      fc.property(ruleset, (text) => {
        const { a, b, s1, s2 } = roundTrip(text);
        expect(a.diagnostics).toEqual([]);
        expect(b.diagnostics).toEqual([]);
        expect(rulesetShape(b.value)).toEqual(rulesetShape(a.value));
        expect(s2).toBe(s1);
      }),
      { numRuns: 300 },
    );
  });

  it.each(saveFiles())('round-trips the corpus file %s', (name) => {
    const a = corpus(name);
    const b = parse(serializeRuleset(a.value));
    expect(rulesetShape(b.value)).toEqual(rulesetShape(a.value));
    const kinds = (ds: typeof a.diagnostics) => ds.map((d) => `${d.severity}:${d.message}`).sort();
    expect(kinds(b.diagnostics)).toEqual(kinds(a.diagnostics).filter((k) => !k.includes('host bits')));
  });

  it('prints canonical forms: generic options first, masked /len addresses, --set-xmark, quoted comments', () => {
    const { s1 } = roundTrip('*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m comment --comment "it\'s" -p tcp -s 10.0.0.1 --dport 80 -j MARK --or-mark 0x4000\nCOMMIT\n');
    expect(s1).toContain(`-A PREROUTING -s 10.0.0.1/32 -p tcp -m comment --comment "it\\'s" -m tcp --dport 80 -j MARK --set-xmark 0x4000/0x4000`);
  });

  it('prints counters when asked, as iptables-save -c does', () => {
    const rs = parse('*filter\n:INPUT ACCEPT [1:2]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:4] -A INPUT -j ACCEPT\nCOMMIT\n').value;
    expect(serializeRuleset(rs, { counters: true })).toContain(':INPUT ACCEPT [1:2]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:4] -A INPUT -j ACCEPT\nCOMMIT');
  });
});
