/**
 * Every real dump in the shared corpus parses; the facts SOURCES.md records
 * about each are what the parser reads.
 */
import { describe, expect, it } from 'vitest';
import type { Rule, Ruleset } from '../../../src/linux/iptables/types.js';
import { corpus, ruleCounts, saveFiles } from './helpers.js';

const rulesOf = (rs: Ruleset, table: string, chain: string): Rule[] =>
  rs.tables.get(table as never)?.chains.get(chain)?.rules ?? [];

/** Error diagnostics SOURCES.md says a file deserves, as [line, message fragment]. */
const EXPECTED_ERRORS: Record<string, [number, string][]> = {
  'kubeproxy-2017-docker-externalip-iorchard.iptables-save': [39, 40, 41, 47, 48, 49].map((l) => [l, "'x.x.x.x' is not an IPv4 address"]),
  'EDGE-parser-torture-iptables-semantics.iptables-save': [[12, "unknown option '--something-else'"]],
};

describe('the iptables-save corpus', () => {
  it('has the ten files SOURCES.md describes', () => {
    expect(saveFiles()).toHaveLength(10);
  });

  it.each(saveFiles())('%s parses with exactly the errors SOURCES.md calls for', (name) => {
    const { diagnostics } = corpus(name);
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => [d.line, d.message]);
    const expected = EXPECTED_ERRORS[name] ?? [];
    expect(errors).toHaveLength(expected.length);
    expected.forEach(([line, fragment], i) => {
      expect(errors[i]![0]).toBe(line);
      expect(errors[i]![1]).toContain(fragment);
    });
    for (const d of diagnostics) expect(d.file).toBe(name);
  });

  it.each([
    ['flannel-centos7-kubeadm-after-fix.iptables-save', { mangle: 1, nat: 78, filter: 18 }],
    ['flannel-centos7-kubeadm-broken-after-reboot.iptables-save', { mangle: 1, nat: 29, filter: 56 }],
    ['weave-kubeadm-vagrant-bossjones.iptables-save', { nat: 36, filter: 49 }],
    ['kubeproxy-2017-docker-externalip-iorchard.iptables-save', { nat: 37, filter: 10 }],
    ['calico-vxlan-kubeproxy-ipvs-zhongmingmao.nat.iptables-save', { nat: 23 }],
    ['docker-host-topos-v1.6.0.iptables-save', { nat: 6, filter: 30 }],
    ['EDGE-docker-rhel6-duplicate-rules-trailing-space.iptables-save', { nat: 8 }],
    ['kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save', { mangle: 0, filter: 13, nat: 58 }],
  ])('%s has the rule counts per table of SOURCES.md', (name, counts) => {
    expect(ruleCounts(corpus(name).value)).toEqual(counts);
  });

  it('reads flannel after-fix KUBE-POSTROUTING as RETURN unless marked, clear the mark, MASQUERADE', () => {
    const [ret, mark, masq] = rulesOf(corpus('flannel-centos7-kubeadm-after-fix.iptables-save').value, 'nat', 'KUBE-POSTROUTING');
    expect(ret!.matches[0]).toMatchObject({ kind: 'mark', negated: true, args: { mark: { value: 0x4000, mask: 0x4000 } } });
    expect(ret!.target?.name).toBe('RETURN');
    expect(mark!.target).toMatchObject({ name: 'MARK', args: { value: 0x4000, mask: 0 } });
    expect(masq!.target).toMatchObject({ name: 'MASQUERADE', args: {} });
  });

  it('reads the two FLANNEL-POSTRTG MASQUERADE rules with their negations', () => {
    const masq = rulesOf(corpus('flannel-centos7-kubeadm-after-fix.iptables-save').value, 'nat', 'FLANNEL-POSTRTG')
      .filter((r) => r.target?.name === 'MASQUERADE')
      .map((r) => r.matches.filter((m) => m.kind === 'src' || m.kind === 'dst').map((m) => m.text));
    expect(masq).toEqual([['-s 10.1.0.0/16', '! -d 224.0.0.0/4'], ['! -s 10.1.0.0/16', '-d 10.1.0.0/16']]);
  });

  it('tolerates the blank lines between tables of the kind dump and keeps line numbers', () => {
    const rs = corpus('kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save').value;
    const masqAgent = rulesOf(rs, 'nat', 'KIND-MASQ-AGENT');
    expect(masqAgent.map((r) => [r.loc.line, r.target?.name])).toEqual([[83, 'RETURN'], [84, 'MASQUERADE']]);
    expect(rulesOf(rs, 'nat', 'KUBE-POSTROUTING')[2]!.target?.args).toEqual({ randomFully: true });
    expect(rulesOf(rs, 'nat', 'DOCKER_OUTPUT').map((r) => r.target?.text)).toEqual([
      '-j DNAT --to-destination 127.0.0.11:42845', '-j DNAT --to-destination 127.0.0.11:50410',
    ]);
  });

  it('keeps weave ipset names with shell-hostile characters and un-escapes comment quotes', () => {
    const rs = corpus('weave-kubeadm-vagrant-bossjones.iptables-save').value;
    const setNames = [...rs.tables.get('filter')!.chains.values()].flatMap((c) => c.rules)
      .flatMap((r) => r.matches.filter((m) => m.kind === 'set'))
      .map((m) => [m.args['set'], (m.args['flags'] as string[]).join(',')]);
    expect(setNames).toContainEqual(['weave-;rGqyMIl1HN^cfDki~Z$3]6!N', 'dst']);
    expect(setNames).toContainEqual(['weave-41s)5vQ^o/xWGz6a20N:~?#|E', 'src']);
    const fwd = rulesOf(rs, 'filter', 'FORWARD');
    expect(fwd[0]!.matches.find((m) => m.kind === 'comment')?.args['comment']).toBe("NOTE: this must go before '-j KUBE-FORWARD'");
    expect(fwd[2]!.target).toMatchObject({ name: 'NFLOG', args: { options: [{ name: '--nflog-group', values: ['86'] }] } });
    expect(rulesOf(rs, 'filter', 'WEAVE-NPC')[2]!.matches[0]!.unknown).toMatch(/physdev/);
  });

  it('reads ipset matches (answered from ipset save input, else unknown), kube-proxy\'s session affinity (-m recent), and addrtype --limit-iface-out (calico, kube-proxy 2017)', () => {
    const calico = corpus('calico-vxlan-kubeproxy-ipvs-zhongmingmao.nat.iptables-save').value;
    const natOut = rulesOf(calico, 'nat', 'cali-nat-outgoing')[0]!;
    expect(natOut.matches.filter((m) => m.kind === 'set').map((m) => [m.negated, m.args['set'], m.args['flags']])).toEqual([
      [false, 'cali40masq-ipam-pools', ['src']], [true, 'cali40all-ipam-pools', ['dst']],
    ]);
    expect(natOut.target?.args).toEqual({ randomFully: true });
    const post = rulesOf(calico, 'nat', 'cali-POSTROUTING').find((r) => r.text.includes('--limit-iface-out'))!;
    expect(post.matches.filter((m) => m.kind === 'addrtype').map((m) => [m.text, m.args['limit'] ?? null])).toEqual([
      ['-m addrtype ! --src-type LOCAL --limit-iface-out', 'out'], ['-m addrtype --src-type LOCAL', null],
    ]);
    const k17 = corpus('kubeproxy-2017-docker-externalip-iorchard.iptables-save').value;
    const affinity = rulesOf(k17, 'nat', 'KUBE-SVC-NPX46M4PTMTKRN6Y')[0]!;
    expect(affinity.matches.find((m) => m.kind === 'recent')).toMatchObject({ args: { mode: '--rcheck', name: 'KUBE-SEP-UPD7ND2TPNSDBE6L', seconds: '10800', reap: true, side: 'rsource' } });
    expect(affinity.matches.find((m) => m.kind === 'recent')?.unknown).toBeUndefined();
  });

  it('reads docker-host: FORWARD policy DROP, iprange, and the CUSTOM rule with no match and no target', () => {
    const rs = corpus('docker-host-topos-v1.6.0.iptables-save').value;
    expect(rs.tables.get('filter')!.chains.get('FORWARD')!.policy).toBe('DROP');
    expect(rulesOf(rs, 'filter', 'CUSTOM')[0]).toMatchObject({ matches: [], num: 1, loc: { line: 47 } });
    expect(rulesOf(rs, 'filter', 'CUSTOM')[0]!.target).toBeUndefined();
    const ipr = rulesOf(rs, 'filter', 'FORWARD').find((r) => r.loc.line === 32)!.matches.find((m) => m.kind === 'iprange')!;
    expect(ipr).toMatchObject({ negated: true, args: { dir: 'dst', from: 0x0a000000, to: 0x0affffff } });
  });

  it('reads the parser-torture file: odd chain names, goto, no-target rules, quoted comments and log prefix', () => {
    const { value: rs, diagnostics } = corpus('EDGE-parser-torture-iptables-semantics.iptables-save');
    const fwd = rulesOf(rs, 'filter', 'FORWARD');
    expect(fwd[0]!.target!.args).toEqual({ options: [{ name: '--log-prefix', values: ['!#*~%&/()=?'] }, { name: '--log-level', values: ['6'] }] });
    expect(fwd.find((r) => r.target?.goto)?.target?.name).toBe('Terminal');
    expect(fwd.find((r) => r.text.includes('192.168.0.1'))!.matches[0]!.args['prefix']).toEqual({ addr: 0xc0a80001, len: 32 });
    const dos = rulesOf(rs, 'filter', 'DOS~Pro-t_ect');
    const comments = dos.flatMap((r) => r.matches.filter((m) => m.kind === 'comment').map((m) => m.args['comment']));
    expect(comments).toEqual(['!', 'has space', 'this module only works for ip6tables but -p icmpv6 is fine', '"']);
    expect(dos.filter((r) => !r.target).map((r) => r.text)).toEqual(['-A DOS~Pro-t_ect ! -p icmp', '-A DOS~Pro-t_ect ! -p tcp ! -s 131.159.0.0/16']);
    expect(dos.find((r) => r.text.includes('! --sport'))!.matches.filter((m) => m.kind === 'udp').map((m) => m.negated)).toEqual([true, true]);
    expect(diagnostics.filter((d) => d.severity === 'warning').map((d) => [d.line, d.message])).toEqual([
      [40, expect.stringContaining("unknown match module 'icmp6'")],
      [41, expect.stringContaining("unknown match module 'icmp6'")],
    ]);
    const odd = fwd.find((r) => r.loc.line === 12)!;
    expect(odd.matches.some((m) => m.unknown?.includes('--something-else'))).toBe(true);
  });

  it('reads the RHEL 6 duplicates with their trailing space, each rule kept', () => {
    const rs = corpus('EDGE-docker-rhel6-duplicate-rules-trailing-space.iptables-save').value;
    const pre = rulesOf(rs, 'nat', 'PREROUTING');
    expect(pre.map((r) => [r.num, r.text])).toEqual([
      [1, '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'],
      [2, '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER'],
    ]);
  });

  it('accepts rules interleaved with later chain declarations (as iptables-restore does) and warns about eth3:1', () => {
    const { value: rs, diagnostics } = corpus('EDGE-manual-dnat-rules-before-chain-decls-iorchard.iptables-save');
    expect(diagnostics).toEqual([expect.objectContaining({ severity: 'warning', line: 4, message: expect.stringContaining('eth3:1') })]);
    expect(rulesOf(rs, 'nat', 'PREROUTING').map((r) => r.target?.args['range'])).toEqual([
      { from: 0x0a640d03, to: 0x0a640d03, ports: { lo: 53, hi: 53 } }, { from: 0x0a640d03, to: 0x0a640d03, ports: { lo: 53, hi: 53 } },
    ]);
    expect(rs.tables.get('nat')!.chains.get('POSTROUTING')!.loc.line).toBe(7);
  });

  it('flags each redacted x.x.x.x address on its own line and keeps the rule as unknown', () => {
    const rs = corpus('kubeproxy-2017-docker-externalip-iorchard.iptables-save').value;
    const redacted = rulesOf(rs, 'nat', 'KUBE-SERVICES').filter((r) => r.text.includes('x.x.x.x'));
    expect(redacted.map((r) => r.loc.line)).toEqual([39, 40, 41, 47, 48, 49]);
    for (const r of redacted) expect(r.matches.find((m) => m.kind === 'dst')?.unknown).toContain('x.x.x.x');
  });
});
