/**
 * The kernel as oracle for policy routing: generated `ip rule` sets are added
 * in a fresh network namespace (veth pairs, fixed routes in main, 101, 102),
 * read back with `ip rule` and `ip route show table all`, and for generated
 * queries `ip route get` (the kernel's FIB lookup) must give what
 * lookupPolicyRoute gives on that same text. Only this namespace is touched;
 * no packet is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIpRoute } from '../../../src/linux/route/ip-route.js';
import { lookupPolicyRoute, parseIpRule, type PolicyRoute } from '../../../src/linux/route/ip-rule.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { openNetns, oracleUnavailable, type Netns } from '../iptables/netns.js';

const unavailable = oracleUnavailable();

const IFACES: [string, string][] = [['d0', '10.1.0.1/24'], ['d1', '10.2.0.1/24'], ['d2', '10.3.0.1/24']];
const ROUTES = [
  'default via 10.1.0.254 dev d0',
  '10.20.0.0/16 via 10.2.0.254 dev d1',
  'default via 10.2.0.254 dev d1 table 101',
  'throw 10.9.1.0/24 table 101',
  'blackhole 10.8.0.0/16 table 101',
  'unreachable 10.8.2.0/24 table 101',
  'prohibit 10.8.3.0/24 table 101',
  '10.9.0.0/16 via 10.3.0.254 dev d2 table 102',
];

/**
 * What a lookup came to, in terms both sides can give. The kernel answers
 * ENETUNREACH both for no route and for an `unreachable` rule, EHOSTUNREACH
 * for an `unreachable` route, EACCES for prohibit, EINVAL for blackhole.
 */
function fromModel(d: PolicyRoute): string {
  if (d.kind === 'route') {
    const r = d.route;
    if (r.type === 'unicast') return `dev ${r.dev} via ${r.via ? formatIpv4(r.via) : '-'}`;
    if (r.type === 'local') return 'local';
    return r.type === 'unreachable' ? 'host-unreachable' : r.type;
  }
  if (d.kind === 'none') return 'unreachable';
  if (d.kind === 'unknown') return `unknown: ${d.reason}`;
  return d.kind;
}

function fromKernel(out: { status: number | null; stdout: string; stderr: string }): string {
  if (out.status !== 0) {
    if (out.stderr.includes('Network is unreachable')) return 'unreachable';
    if (out.stderr.includes('No route to host')) return 'host-unreachable';
    if (out.stderr.includes('Permission denied')) return 'prohibit';
    if (out.stderr.includes('Invalid argument')) return 'blackhole';
    return `error: ${out.stderr.trim()}`;
  }
  const line = out.stdout.split('\n')[0]!;
  if (line.startsWith('local ')) return 'local';
  const dev = / dev (\S+)/.exec(line)?.[1];
  const via = / via (\S+)/.exec(line)?.[1] ?? '-';
  return `dev ${dev} via ${via}`;
}

describe.skipIf(unavailable !== undefined)('ip rule: the kernel as oracle (fresh network namespace)', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
    const must = (args: string[]) => {
      const r = ns.exec('ip', args);
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    must(['link', 'set', 'lo', 'up']);
    for (const [dev, addr] of IFACES) {
      must(['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
      must(['link', 'set', dev, 'up']);
      must(['link', 'set', `${dev}p`, 'up']);
      must(['addr', 'add', addr, 'dev', dev]);
    }
    // Input route lookups (`ip route get ... iif`) need forwarding on and no reverse-path filter.
    const sysctl = ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0',
      ...IFACES.map(([d]) => `net.ipv4.conf.${d}.rp_filter=0`)]);
    if (sysctl.status !== 0) throw new Error(`sysctl: ${sysctl.stderr}`);
    for (const r of ROUTES) must(['route', 'add', ...r.split(' ')]);
  });
  afterAll(() => ns?.close());

  const cidr = fc.constantFrom('10.5.0.0/16', '10.6.0.0/16', '10.9.0.0/16', '10.9.1.0/24', '10.8.0.0/14', '10.0.0.0/8', '10.20.0.5');
  const selector = fc.oneof(
    cidr.map((c) => `from ${c}`),
    cidr.map((c) => `to ${c}`),
    fc.constantFrom('d0', 'd1', 'lo').map((d) => `iif ${d}`),
    fc.constantFrom('0x80/0x80', '0x1', '0x81').map((m) => `fwmark ${m}`),
    fc.constantFrom('tcp', 'udp').map((p) => `ipproto ${p}`),
    fc.constantFrom('dport 443', 'dport 50-60', 'sport 40000'),
  );
  const action = fc.oneof(
    fc.constantFrom('lookup 101', 'lookup 102', 'lookup main', 'blackhole', 'unreachable', 'prohibit', 'nop'),
    fc.constantFrom('goto 500', 'goto 900'),
    fc.constantFrom('lookup main suppress_prefixlength 0', 'lookup 101 suppress_prefixlength 8'),
  );
  const ruleSpec = fc.tuple(fc.boolean(), fc.uniqueArray(selector, { maxLength: 3, selector: (s) => s.split(' ')[0] }), action)
    .filter(([, sel]) => !(sel.some((s) => s.startsWith('sport') || s.startsWith('dport')) && !sel.some((s) => s.startsWith('ipproto'))))
    .map(([not, sel, act]) => [...(not ? ['not'] : []), ...sel, act].join(' '));
  // Priorities 100..900 in steps of 100 (unique), so goto 500/900 lands on generated rules or on main.
  const ruleSet = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 9 }), ruleSpec), { maxLength: 6, selector: ([p]) => p })
    .map((rs) => rs.map(([p, spec]) => ({ pref: p * 100, spec })))
    // The kernel refuses a goto to its own or an earlier priority ("Backward goto not supported").
    .map((rs) => rs.filter(({ pref, spec }) => !/goto (\d+)/.test(spec) || Number(/goto (\d+)/.exec(spec)![1]) > pref));
  const query = fc.record({
    dst: fc.constantFrom('10.9.0.5', '10.9.1.5', '10.8.1.5', '10.8.2.5', '10.8.3.5', '10.20.0.5', '10.50.0.5', '10.1.0.1'),
    from: fc.constantFrom<[string, string]>(['10.5.0.1', 'd0'], ['10.6.0.1', 'd1'], ['10.20.0.5', 'd0'], ['10.1.0.1', 'lo'], ['10.3.0.1', 'lo']),
    mark: fc.constantFrom(0, 0x80, 0x81),
    proto: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
    dport: fc.constantFrom(53, 443, 55),
  });

  it('ip route get = lookupPolicyRoute on generated rule sets and queries (fast-check)', () => {
    fc.assert(
      fc.property(ruleSet, fc.array(query, { minLength: 4, maxLength: 8 }), (set, queries) => {
        const added: number[] = [];
        try {
          for (const { pref, spec } of set) {
            const r = ns.exec('ip', ['rule', 'add', ...spec.split(' '), 'pref', String(pref)]);
            if (r.status !== 0) throw new Error(`ip rule add ${spec} pref ${pref}: ${r.stderr}`);
            added.push(pref);
          }
          const ruleText = ns.exec('ip', ['-4', 'rule']).stdout;
          const parsedRules = parseIpRule({ text: ruleText, file: 'kernel-ip-rule' });
          expect(parsedRules.diagnostics).toEqual([]);
          const parsedRoutes = parseIpRoute({ text: ns.exec('ip', ['-4', 'route', 'show', 'table', 'all']).stdout, file: 'kernel-ip-route' });
          expect(parsedRoutes.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          for (const qy of queries) {
            const [src, iif] = qy.from;
            const args = ['route', 'get', qy.dst, 'from', src, ...(iif === 'lo' ? [] : ['iif', iif]), 'mark', String(qy.mark), 'ipproto', qy.proto, 'sport', '40000', 'dport', String(qy.dport)];
            const kernel = fromKernel(ns.exec('ip', args));
            const model = fromModel(lookupPolicyRoute(parsedRules.value, parsedRoutes.value, {
              src: parseIpv4(src), dst: parseIpv4(qy.dst), proto: qy.proto, sport: 40000, dport: qy.dport, mark: qy.mark, iif,
            }));
            expect(model, `ip ${args.join(' ')}\n${ruleText}`).toBe(kernel);
          }
        } finally {
          for (const pref of added) ns.exec('ip', ['rule', 'del', 'pref', String(pref)]);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
