/**
 * The compiled walk (destination index, inline checks, shared branch history,
 * lazy near misses) against the plain reference walk (reference-walk.ts):
 * on generated rule sets and packets they must agree on every branch's
 * verdict, packet, mark, connmark and probability, in every hook.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_BRANCHES, walkHook } from '../../../src/linux/iptables/walk.js';
import { referenceWalkHook } from '../../../src/linux/iptables/reference-walk.js';
import type { HookName, NetfilterContext } from '../../../src/linux/iptables/types.js';
import type { Packet } from '../../../src/net/packet.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { INDEX_MIN } from '../../../src/linux/iptables/compile.js';
import { kubeProxyDump } from './generate.js';
import { corpusDir, parse, pkt, saveFiles, saveText } from './helpers.js';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { ParseCache } from '../../../src/linux/iptables/parse-cache.js';
import { kubeProxySaveText } from '../../../src/k8s/kube-proxy/rules.js';

// A small address pool, so that generated -s/-d rules and packets meet often.
const POOL = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '10.244.1.5', '172.20.1.10', '192.168.9.9'];
const HOOKS: HookName[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
const CHAINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

const poolAddr = fc.constantFrom(...POOL);
const cidr = fc.tuple(poolAddr, fc.constantFrom(8, 16, 24, 32)).map(([a, len]) => {
  const mask = (0xffffffff << (32 - len)) >>> 0;
  return `${formatIpv4((parseIpv4(a) & mask) >>> 0)}/${len}`;
});
const bang = fc.constantFrom('', '! ');
const port = fc.constantFrom(53, 80, 443, 5432, 8080, 40000);
const portSpec = fc.tuple(port, fc.constantFrom(0, 1, 100)).map(([p, d]) => (d === 0 ? `${p}` : `${p}:${Math.min(65535, p + d)}`));
const HAS_IN = ['PREROUTING', 'INPUT', 'FORWARD'];
const HAS_OUT = ['FORWARD', 'OUTPUT', 'POSTROUTING'];
// -i/-o only where the hook has that interface (iptables refuses the rest); none in user chains.
const match = (chain: string) => fc.oneof(
  { arbitrary: fc.constantFrom(0.25, 0.5).map((p) => `-m statistic --mode random --probability ${p.toFixed(11)}`), weight: 1 },
  fc.tuple(bang, cidr).map(([b, c]) => `${b}-s ${c}`),
  fc.tuple(bang, cidr).map(([b, c]) => `${b}-d ${c}`),
  ...(HAS_IN.includes(chain) ? [fc.tuple(bang, fc.constantFrom('eth0', 'cni0', 'veth+')).map(([b, i]) => `${b}-i ${i}`)] : []),
  ...(HAS_OUT.includes(chain) ? [fc.tuple(bang, fc.constantFrom('eth0', 'cni0')).map(([b, i]) => `${b}-o ${i}`)] : []),
  fc.tuple(fc.constantFrom('tcp', 'udp'), bang, fc.constantFrom('--dport', '--sport'), portSpec)
    .map(([p, b, o, r]) => `-p ${p} -m ${p} ${b}${o} ${r}`),
  fc.constantFrom('-p tcp -m tcp', '-p udp', '! -p tcp', '-p icmp'),
  fc.tuple(bang, fc.constantFrom(0, 0x4000, 0x1)).map(([b, v]) => `-m mark ${b}--mark 0x${v.toString(16)}/0x4001`),
  fc.constantFrom('NEW', 'ESTABLISHED', 'RELATED,ESTABLISHED').map((s) => `-m conntrack --ctstate ${s}`),
  fc.tuple(bang, fc.constantFrom('LOCAL', 'UNICAST')).map(([b, t]) => `-m addrtype ${b}--dst-type ${t}`),
  fc.constantFrom('-m comment --comment "kube-proxy"'),
);
const natTarget = (table: string, chain: string): fc.Arbitrary<string>[] => {
  if (table !== 'nat') return [];
  if (chain === 'PREROUTING' || chain === 'OUTPUT') return [fc.tuple(poolAddr, port).map(([a, p]) => `-j DNAT --to-destination ${a}:${p}`)];
  if (chain === 'POSTROUTING') return [fc.constant('-j MASQUERADE'), poolAddr.map((a) => `-j SNAT --to-source ${a}`)];
  return [];
};
const target = (table: string, chain: string): fc.Arbitrary<string> => fc.oneof(
  fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '-j USER1', '-g USER2', ''),
  fc.constantFrom(0x4000, 0x1, 0).map((v) => `-j MARK --set-xmark 0x${v.toString(16)}/0x4001`),
  ...(table === 'filter' ? [fc.constant('-j REJECT')] : []),
  ...natTarget(table, chain),
);
// At most one statistic match per rule and a few per rule set keep the branches under the walk's budget.
const rule = (table: string, chain: string, user: boolean) =>
  fc.tuple(fc.uniqueArray(match(chain), { maxLength: 3, selector: (m) => m.replace(/^! /, '').split(' ')[0] }), target(table, chain))
    .filter(([, t]) => !(user && /USER/.test(t)))
    .map(([ms, t]) => [...ms, t].filter(Boolean).join(' '));

/**
 * A long chain of mostly `-d x/32` rules, so the destination index is used (as
 * in KUBE-SERVICES), with a few other rules between them that the index must
 * still visit in order.
 */
const indexedChain = fc.array(fc.tuple(
  fc.oneof({ arbitrary: poolAddr.map((a) => `-d ${a}/32`), weight: 6 }, fc.constantFrom('', '-s 10.0.0.0/8', '-p udp', '! -d 10.0.0.1/32')),
  fc.constantFrom('-j USER1', '-j RETURN', '-j ACCEPT', '-j MARK --set-xmark 0x1/0x4001'),
), { minLength: INDEX_MIN, maxLength: INDEX_MIN + 8 }).map((rs) => rs.map(([m, t]) => `-A BIG ${m} ${t}`.replace('  ', ' ')));

const tableText = (name: string): fc.Arbitrary<string> => {
  const builtins = CHAINS[name]!;
  return fc.tuple(
    ...builtins.map((c) => fc.array(rule(name, c, false), { maxLength: 5 }).map((rs) => rs.map((r) => `-A ${c} ${r}`))),
    fc.array(rule(name, 'USER', true), { maxLength: 4 }).map((rs) => rs.map((r) => `-A USER1 ${r}`)),
    fc.array(rule(name, 'USER', true), { maxLength: 3 }).map((rs) => rs.map((r) => `-A USER2 ${r}`)),
    fc.option(indexedChain, { nil: undefined }),
    fc.constantFrom(...builtins),
    fc.constantFrom('ACCEPT', 'DROP'),
  ).map((parts) => {
    const [big, bigFrom, policy] = parts.slice(-3) as [string[] | undefined, string, string];
    const lines = (parts.slice(0, -3) as string[][]).flat();
    const hooks = builtins.map((c) => `:${c} ${name === 'filter' && c === 'FORWARD' ? policy : 'ACCEPT'} [0:0]`);
    return [
      `*${name}`, ...hooks, ':USER1 - [0:0]', ':USER2 - [0:0]', ...(big ? [':BIG - [0:0]', `-A ${bigFrom} -j BIG`, ...big] : []),
      ...lines, 'COMMIT',
    ].join('\n');
  });
};
const ruleset = fc.tuple(tableText('raw'), tableText('mangle'), tableText('nat'), tableText('filter')).map((ts) => `${ts.join('\n')}\n`);

const packet: fc.Arbitrary<Packet> = fc.tuple(poolAddr, poolAddr, fc.constantFrom<'tcp' | 'udp' | 'icmp'>('tcp', 'udp', 'icmp'), port, port)
  .map(([s, d, proto, sp, dp]) => pkt(s, d, proto, sp, dp));
/** A reply of a connection that was DNATed and SNATed (or not NATed), for ESTABLISHED packets: conntrack rewrites it at nat priority. */
const conn = fc.option(fc.tuple(poolAddr, poolAddr, port).map(([c, s, sp]): NetfilterContext['conn'] => ({
  original: pkt(c, '10.96.0.10', 'tcp', sp, 53), reply: pkt(s, '172.20.1.10', 'tcp', 53, sp), dir: 'REPLY',
})), { nil: undefined });
const context = fc.record({
  ctState: fc.constantFrom<NetfilterContext['ctState']>('NEW', 'ESTABLISHED'),
  inIface: fc.constantFrom('eth0', 'cni0', 'veth12'),
  outIface: fc.constantFrom('eth0', 'cni0'),
  conn,
}).map(({ ctState, inIface, outIface, conn: c }): NetfilterContext => ({
  ctState, inIface, outIface, ...(c ? { conn: c } : {}),
  isLocal: (ip) => ip === parseIpv4('172.20.1.10'),
  ifaceAddress: (i) => (i === 'eth0' ? parseIpv4('172.20.1.10') : parseIpv4('10.244.1.1')),
}));

/** One line per branch, sorted: what both walks must agree on. */
function branches(list: { verdict: string; packet: Packet; mark: number; connmark?: number | undefined; probability: number }[]): string[] {
  return list
    .map((o) => `${o.verdict} ${formatIpv4(o.packet.src)}:${o.packet.sport}>${formatIpv4(o.packet.dst)}:${o.packet.dport} mark=${o.mark} ct=${o.connmark ?? '-'} p=${o.probability.toFixed(12)}`)
    .sort();
}

describe('compiled walk = reference walk', () => {
  it('agrees on generated rule sets, packets and hooks (fast-check)', () => {
    fc.assert(
      fc.property(ruleset, packet, context, fc.integer({ min: 0, max: 0x4001 }), (text, p, ctx, mark) => {
        const parsed = parse(text, 'gen');
        fc.pre(!parsed.diagnostics.some((d) => d.severity === 'error'));
        for (const hook of HOOKS) {
          const fast = walkHook(parsed.value, hook, p, ctx, mark);
          const plain = referenceWalkHook(parsed.value, hook, p, ctx, mark);
          // Past the branch budget both say unknown, but not always on the same branch.
          if (fast.length >= MAX_BRANCHES / 2 || plain.length >= MAX_BRANCHES / 2) continue;
          expect(branches(fast), `${hook}\n${text}`).toEqual(branches(plain));
        }
      }),
      { numRuns: Number(process.env.WALK_RUNS ?? 300) },
    );
  });

  it('agrees on a kube-proxy dump for pods, nodes and outside clients to every ClusterIP', () => {
    const rs = parse(kubeProxyDump(200, 3), 'kp').value;
    const ctx: NetfilterContext = { ctState: 'NEW', inIface: 'cni0', isLocal: () => false, ifaceAddress: () => undefined };
    let compared = 0;
    for (const src of ['10.244.0.1', '10.244.0.7', '192.168.1.1']) {
      for (let i = 0; i < 200; i += 7) {
        const p = pkt(src, formatIpv4(parseIpv4('10.96.0.0') + i), 'tcp', 40000, 80);
        const fast = walkHook(rs, 'PREROUTING', p, ctx, 0);
        expect(fast).toHaveLength(3);
        expect(branches(fast)).toEqual(branches(referenceWalkHook(rs, 'PREROUTING', p, ctx, 0)));
        compared++;
      }
    }
    expect(compared).toBe(87);
  });

  it('agrees on real dumps (corpus, kube-proxy test dumps, generated kube-proxy rules read through a ParseCache) for packets to and from their addresses (fast-check)', () => {
    const kpDir = path.join(corpusDir, 'kube-proxy-tests');
    const kp = kubeProxySaveText(Array.from({ length: 80 }, (_, i) => ({
      namespace: 'ns', name: `s${i}`, portName: 'p', protocol: i % 4 === 3 ? 'udp' : 'tcp', clusterIP: `10.96.0.${i + 1}`, port: 80 + (i % 2),
      endpoints: Array.from({ length: 1 + (i % 4) }, (_, j) => ({ ip: `10.244.${i}.${j + 2}`, port: 8080 })),
    })), { nodeName: 'n1', clusterCIDR: '10.244.0.0/16' });
    const cache = new ParseCache();
    parseIptablesSave({ text: kp.replace('\nCOMMIT', '\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT'), file: 'other-node' }, { cache });
    const dumps = [
      ...saveFiles().map((n) => ({ name: n, text: saveText(n) })),
      ...readdirSync(kpDir).filter((n) => n.endsWith('.iptables-save')).map((n) => ({ name: n, text: readFileSync(path.join(kpDir, n), 'utf8') })),
    ].map(({ name, text }) => ({ name, rs: parseIptablesSave({ text, file: name }).value, text }));
    dumps.push({ name: 'kube-proxy (cached parse)', rs: parseIptablesSave({ text: kp, file: 'kp' }, { cache }).value, text: kp });
    expect(cache.hits).toBeGreaterThan(100);
    const addresses = (text: string): string[] => [...new Set(text.match(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g) ?? [])].slice(0, 200);
    const pools = dumps.map((d) => [...addresses(d.text), '10.244.1.5', '192.168.9.9', '8.8.8.8']);
    const dumpPacket = fc.nat({ max: dumps.length - 1 }).chain((i) => fc.tuple(
      fc.constant(i), fc.constantFrom(...pools[i]!), fc.constantFrom(...pools[i]!), fc.constantFrom<'tcp' | 'udp' | 'icmp'>('tcp', 'udp', 'icmp'),
      fc.constantFrom(40000, 53, 80, 443, 8080, 30080), fc.constantFrom(80, 81, 53, 443, 8080, 30080, 22),
    ));
    fc.assert(
      fc.property(dumpPacket, context, fc.constantFrom(0, 0x4000), ([i, s, d, proto, sp, dp], ctx, mark) => {
        const { name, rs } = dumps[i]!;
        const p = pkt(s, d, proto, sp, dp);
        for (const hook of HOOKS) {
          const fast = walkHook(rs, hook, p, ctx, mark);
          const plain = referenceWalkHook(rs, hook, p, ctx, mark);
          if (fast.length >= MAX_BRANCHES / 2 || plain.length >= MAX_BRANCHES / 2) continue;
          expect(branches(fast), `${name} ${hook} ${s}:${sp} > ${d}:${dp}/${proto}`).toEqual(branches(plain));
        }
      }),
      { numRuns: Number(process.env.WALK_RUNS ?? 400) },
    );
  });
});
