import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIpRoute, type RouteEntry } from '../../../src/linux/route/ip-route.js';
import { DEFAULT_RULES, lookupPolicyRoute, parseIpRule, type PolicyRoute, type RouteQuery } from '../../../src/linux/route/ip-rule.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const corpus = (name: string) => readFileSync(path.resolve(repoRoot, '../shared/corpus/ip-route', name), 'utf8');
const routes = (text: string, table?: string): RouteEntry[] => parseIpRoute({ text, file: 'routes' }, table ? { table } : {}).value;
const rules = (text: string) => {
  const parsed = parseIpRule({ text, file: 'rules' });
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return parsed.value;
};
const q = (dst: string, over: Partial<RouteQuery> = {}): RouteQuery => ({
  src: parseIpv4('10.0.0.5'), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport: 443, mark: 0, iif: 'eth0', ...over,
});
/** The decision in words: `dev X via Y (rule P)`, or the kind. */
function show(d: PolicyRoute): string {
  if (d.kind === 'route') return `${d.route.type} dev ${d.route.dev ?? '-'}${d.route.via ? ` via ${formatIpv4(d.route.via)}` : ''} (rule ${d.rule.priority}, table ${d.route.table})`;
  if (d.kind === 'none') return 'none';
  if (d.kind === 'unknown') return `unknown: ${d.reason}`;
  return `${d.kind} (rule ${d.rule.priority})`;
}

describe('parseIpRule', () => {
  it('reads the EKS trunk node rules of the corpus: priorities, iif, to, fwmark, tables, with their lines', () => {
    const rs = rules(corpus('eks-vpc-cni-trunk-node.ip-rule.txt'));
    expect(rs.map((r) => r.priority)).toEqual([10, 10, 10, 10, 20, 512, 512, 1024, 32766, 32767]);
    expect(rs[0]).toMatchObject({ iif: 'vlan.eth.2', action: { kind: 'lookup', table: '102' }, loc: { file: 'rules', line: 1 } });
    expect(rs.find((r) => r.priority === 1024)).toMatchObject({ fwmark: { value: 0x80, mask: 0x80 }, action: { table: 'main' } });
    expect(formatIpv4(rs.find((r) => r.priority === 512)!.to!.addr)).toBe('172.31.3.129');
  });

  it('reads not, goto, nop, blackhole/unreachable/prohibit, suppress_prefixlength, ports and protocols as the kernel prints them', () => {
    const rs = rules([
      '50:\tfrom all to 10.4.0.0/16 goto 100',
      '60:\tfrom all to 10.3.0.0/16 lookup main suppress_prefixlength 0',
      '70:\tnot from 10.7.0.0/16 iif d1 [detached] prohibit',
      '80:\tfrom all ipproto tcp dport 443 unreachable',
      '90:\tfrom all fwmark 0x80/0x80 blackhole',
      '95:\tfrom all nop',
      '100:\tfrom 10.5.0.0/16 lookup 101 proto static',
    ].join('\n'));
    expect(rs.map((r) => r.action.kind)).toEqual(['goto', 'lookup', 'prohibit', 'unreachable', 'blackhole', 'nop', 'lookup']);
    expect(rs[1]!.suppressPrefixLength).toBe(0);
    expect(rs[2]).toMatchObject({ not: true, iif: 'd1' });
    expect(rs[3]).toMatchObject({ ipproto: 'tcp', dport: { lo: 443, hi: 443 } });
  });

  it('names the line of what it cannot read; IPv6 rules are skipped with a warning', () => {
    const { value, diagnostics } = parseIpRule({ text: '0:\tfrom all lookup local\nfrom all lookup main\n5:\tfrom all\n6:\tfrom all frobnicate 3 lookup main\n7:\tfrom fe80::/64 lookup main\n', file: 'r.txt' });
    expect(value).toHaveLength(1);
    expect(diagnostics.map((d) => [d.line, d.severity, d.message])).toEqual([
      [2, 'error', 'not an ip rule line (expected PRIORITY: SELECTOR ACTION)'],
      [3, 'error', 'rule has no action (lookup TABLE, blackhole, unreachable, prohibit, goto or nop)'],
      [4, 'error', "'frobnicate' is not an ip rule selector or action podpath knows"],
      [5, 'warning', 'IPv6 rule skipped (podpath traces IPv4 only)'],
    ]);
  });
});

describe('lookupPolicyRoute', () => {
  // The EKS trunk node of the corpus: main from `ip route`, tables 101 and 102 from `ip route show table N`.
  const trunk = [
    ...routes(corpus('eks-vpc-cni-trunk-node.ip-route.txt')),
    ...routes(corpus('eks-vpc-cni-trunk-node.ip-route-table-101.txt'), '101'),
    ...routes(corpus('eks-vpc-cni-trunk-node.ip-route-table-102.txt'), '102'),
  ];
  const trunkRules = rules(corpus('eks-vpc-cni-trunk-node.ip-rule.txt'));

  it('sends a branch-ENI pod\'s traffic out its own VLAN (iif vlan... lookup 101), everything else by main', () => {
    expect(show(lookupPolicyRoute(trunkRules, trunk, q('8.8.8.8', { iif: 'vlan015fbd5badf' })))).toBe('unicast dev vlan.eth.1 via 172.31.0.1 (rule 10, table 101)');
    expect(show(lookupPolicyRoute(trunkRules, trunk, q('8.8.8.8', { iif: 'vlan1c357e15edb' })))).toBe('unicast dev vlan.eth.2 via 172.31.0.1 (rule 10, table 102)');
    expect(show(lookupPolicyRoute(trunkRules, trunk, q('8.8.8.8', { iif: 'eni1e3dd7d66d7' })))).toBe('unicast dev eth0 via 172.31.0.1 (rule 32766, table main)');
    expect(show(lookupPolicyRoute(trunkRules, trunk, q('8.8.8.8', { iif: 'lo' })))).toBe('unicast dev eth0 via 172.31.0.1 (rule 32766, table main)');
  });

  it('reaches a pod on this node by rule 512 (to POD lookup main); from a VLAN, rule 10 comes first', () => {
    expect(show(lookupPolicyRoute(trunkRules, trunk, q('172.31.3.129', { iif: 'eth0' })))).toBe('unicast dev eni1e3dd7d66d7 (rule 512, table main)');
    expect(show(lookupPolicyRoute(trunkRules, trunk, q('172.31.3.129', { iif: 'vlan015fbd5badf' })))).toBe('unicast dev vlan.eth.1 via 172.31.0.1 (rule 10, table 101)');
  });

  it('without ip rules (the kernel defaults) it is main, then default', () => {
    expect(show(lookupPolicyRoute(DEFAULT_RULES, trunk, q('8.8.8.8', { iif: 'vlan015fbd5badf' })))).toBe('unicast dev eth0 via 172.31.0.1 (rule 32766, table main)');
    expect(show(lookupPolicyRoute(DEFAULT_RULES, routes('10.0.0.0/8 dev eth0'), q('8.8.8.8')))).toBe('none');
  });

  it('follows goto, nop, throw, suppress_prefixlength and not as the kernel does', () => {
    const rt = [
      ...routes('default via 10.1.0.254 dev d0\n10.3.0.0/16 via 10.1.0.253 dev d0'),
      ...routes('default via 10.2.0.254 dev d1\nthrow 10.9.1.0/24\nblackhole 10.8.0.0/16', '101'),
      ...routes('local 127.0.0.1 dev lo', 'local'),
    ];
    const rs = rules([
      '0:\tfrom all lookup local',
      '50:\tfrom all to 10.4.0.0/16 goto 100',
      '60:\tfrom all lookup main suppress_prefixlength 0',
      '70:\tnot from 10.7.0.0/16 iif d1 prohibit',
      '80:\tfrom all nop',
      '100:\tfrom 10.5.0.0/16 lookup 101',
      '32766:\tfrom all lookup main',
    ].join('\n'));
    // 60 finds 10.3.0.0/16 (longer than /0): taken.
    expect(show(lookupPolicyRoute(rs, rt, q('10.3.0.7', { iif: 'd1', src: parseIpv4('10.7.0.1') })))).toBe('unicast dev d0 via 10.1.0.253 (rule 60, table main)');
    // 60 finds only the default route (/0 <= 0): suppressed; 70: not (from 10.7/16 and iif d1) holds for iif d0.
    expect(show(lookupPolicyRoute(rs, rt, q('10.9.0.5', { iif: 'd0', src: parseIpv4('10.5.0.1') })))).toBe('prohibit (rule 70)');
    // goto 100 skips 60-80: table 101; its throw route goes on to main.
    expect(show(lookupPolicyRoute(rs, rt, q('10.4.0.7', { iif: 'd0', src: parseIpv4('10.5.0.1') })))).toBe('unicast dev d1 via 10.2.0.254 (rule 100, table 101)');
    // From 10.7/16 on d1 rule 70 does not match; table 101 throws 10.9.1.0/24 back: main.
    expect(show(lookupPolicyRoute(rs, rt, q('10.9.1.5', { iif: 'd1', src: parseIpv4('10.7.0.1') })))).toBe('unicast dev d0 via 10.1.0.254 (rule 32766, table main)');
  });

  it('says unknown, naming the rule, for selectors it does not model and for tables the input lacks', () => {
    const uid = lookupPolicyRoute(rules('100:\tfrom all uidrange 1000-2000 lookup 5\n32766:\tfrom all lookup main'), routes('default dev eth0'), q('8.8.8.8'));
    expect(uid).toMatchObject({ kind: 'unknown', rule: { priority: 100, loc: { line: 1 } } });
    expect(show(uid)).toContain('uidrange 1000-2000');
    // `ip route` (main only) was given: table 101 may have routes podpath cannot see.
    const rs = rules('10:\tfrom all iif vlan.eth.1 lookup 101\n32766:\tfrom all lookup main');
    expect(show(lookupPolicyRoute(rs, routes('default via 10.0.0.1 dev eth0'), q('8.8.8.8', { iif: 'vlan.eth.1' }))))
      .toBe('unknown: ip rule 10 looks up table 101, whose routes are not in the input (give `ip route show table all`)');
    // `ip route show table all` (it lists the local table): table 101 is empty, the lookup goes on to main.
    const all = routes('default via 10.0.0.1 dev eth0\nlocal 127.0.0.1 dev lo table local');
    expect(show(lookupPolicyRoute(rs, all, q('8.8.8.8', { iif: 'vlan.eth.1' })))).toBe('unicast dev eth0 via 10.0.0.1 (rule 32766, table main)');
  });

  it('oif rules never match a traced flow (no socket bound to a device), so `not oif` always does', () => {
    const rt = routes('default via 10.0.0.1 dev eth0');
    expect(show(lookupPolicyRoute(rules('5:\tfrom all oif eth1 blackhole\n32766:\tfrom all lookup main'), rt, q('8.8.8.8')))).toBe('unicast dev eth0 via 10.0.0.1 (rule 32766, table main)');
    expect(show(lookupPolicyRoute(rules('5:\tnot from all oif eth1 blackhole\n32766:\tfrom all lookup main'), rt, q('8.8.8.8')))).toBe('blackhole (rule 5)');
  });
});

describe('lookupPolicyRoute on lists that change', () => {
  it('reads a rule list or route list again when it grew after a lookup (the per-list order and tables are not kept stale)', () => {
    const rs = rules('32766:\tfrom all lookup main');
    const rt = routes('default via 10.0.0.1 dev eth0');
    expect(show(lookupPolicyRoute(rs, rt, q('8.8.8.8')))).toBe('unicast dev eth0 via 10.0.0.1 (rule 32766, table main)');
    rs.push(...rules('5:\tfrom all lookup 7'));
    expect(show(lookupPolicyRoute(rs, rt, q('8.8.8.8')))).toBe('unknown: ip rule 5 looks up table 7, whose routes are not in the input (give `ip route show table all`)');
    rt.push(...routes('blackhole default table 7'));
    expect(show(lookupPolicyRoute(rs, rt, q('8.8.8.8')))).toBe('blackhole dev - (rule 5, table 7)');
  });

  it('leaves the caller\'s rule list in its own order', () => {
    const rs = rules('32766:\tfrom all lookup main\n5:\tfrom all blackhole');
    expect(show(lookupPolicyRoute(rs, routes('default via 10.0.0.1 dev eth0'), q('8.8.8.8')))).toBe('blackhole (rule 5)');
    expect(rs.map((r) => r.priority)).toEqual([32766, 5]);
  });
});

describe('parseIpRule on mangled input', () => {
  it('never throws, whatever the text; every diagnostic names a line of it (fast-check)', () => {
    const real = corpus('eks-vpc-cni-trunk-node.ip-rule.txt');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.nat(real.length), fc.nat(real.length), fc.string({ maxLength: 8 }))
        .map(([a, b, ins]) => real.slice(0, Math.min(a, b)) + ins + real.slice(Math.max(a, b)))), (text) => {
        const { value, diagnostics } = parseIpRule({ text, file: 'f' });
        const lines = text.split('\n').length;
        for (const d of diagnostics) expect(d.line >= 1 && d.line <= lines, `line ${d.line} of ${lines}`).toBe(true);
        for (const r of value) expect(lookupPolicyRoute([r], [], q('10.0.0.1')).kind).toMatch(/^(route|none|unknown|blackhole|unreachable|prohibit)$/);
      }),
      { numRuns: 300 },
    );
  });
});
