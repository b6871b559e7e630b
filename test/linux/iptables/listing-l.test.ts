/** `iptables -L` listings: every corpus listing parses, the facts SOURCES.md records hold, and -L reads as -S does. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectIptablesFormat, parseIptablesAny } from '../../../src/linux/iptables/detect.js';
import { rulesetShape } from '../../../src/linux/iptables/serialize.js';
import type { Rule } from '../../../src/linux/iptables/types.js';
import { listDir } from './helpers.js';

const read = (name: string) => readFileSync(path.join(listDir, name), 'utf8');
const any = (name: string) => parseIptablesAny({ text: read(name), file: name }, { table: /nat/.test(name) || name.startsWith('gke') ? 'nat' : 'filter' });
const rules = (name: string, chain: string): Rule[] => {
  const rs = any(name).value;
  return [...rs.tables.values()][0]!.chains.get(chain)!.rules;
};

describe('every listing in the corpus', () => {
  it.each(readdirSync(listDir).sort())('%s parses without an error', (name) => {
    const r = any(name);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.format).toBe(/-S\.txt$/.test(name) ? 'iptables -S' : 'iptables -L');
  });
});

describe('facts of SOURCES.md', () => {
  it('flannel filter: FORWARD policy DROP; counters with K suffixes read as thousands', () => {
    const rs = any('flannel-kubeadm-filter.iptables-L-n-v.txt').value;
    const f = rs.tables.get('filter')!;
    expect(f.chains.get('FORWARD')!.policy).toBe('DROP');
    expect(f.chains.get('INPUT')!.counters).toEqual({ packets: 2446, bytes: 535_000 });
    const pod = f.chains.get('FORWARD')!.rules.filter((r) => r.target?.name === 'ACCEPT' && r.matches.some((m) => m.text.includes('10.244.0.0/16')));
    expect(pod.map((r) => r.text)).toEqual(['-A FORWARD -s 10.244.0.0/16 -j ACCEPT', '-A FORWARD -d 10.244.0.0/16 -j ACCEPT']);
  });

  it('flannel nat after the NodePort service: KUBE-NODEPORTS -> KUBE-SVC-R2VK7O5AFVLRAXSH -> DNAT to 10.244.1.3:80; MARK or 0x4000', () => {
    const name = 'flannel-kubeadm-nat-after.iptables-t-nat-L-n.txt';
    expect(rules(name, 'KUBE-NODEPORTS').map((r) => r.text)).toContain('-A KUBE-NODEPORTS -p tcp -m comment --comment "default/nginx-svc:" -m tcp --dport 30080 -j KUBE-SVC-R2VK7O5AFVLRAXSH');
    expect(rules(name, 'KUBE-SEP-WZIMOURZMGKYESDR').at(-1)!.target).toMatchObject({ name: 'DNAT', args: { range: { ports: { lo: 80, hi: 80 } } } });
    expect(rules(name, 'KUBE-MARK-MASQ')[0]!.target).toMatchObject({ name: 'MARK', args: { value: 0x4000, mask: 0x4000 } });
    expect(any(name).value.derived).toMatch(/without -v/);
  });

  it('ringofsaturn: 127M read as 127,000,000 bytes; icmptype 3; reject-with tcp-reset', () => {
    const name = 'ringofsaturn-webserver.iptables-L-n-v.txt';
    const input = rules(name, 'INPUT');
    expect(input[0]).toMatchObject({ counters: { packets: 32996, bytes: 127_000_000 }, target: { name: 'STATEFUL' } });
    expect(input.map((r) => r.text)).toContain('-A INPUT -p icmp -i eth0 -m icmp --icmp-type 3 -j ACCEPT');
    expect(input.find((r) => r.text.includes('--dport 113'))!.target).toMatchObject({ name: 'REJECT', args: { with: 'tcp-reset' } });
  });

  it('gke IP-MASQ: four rules, the MASQUERADEs with random-fully', () => {
    const ip = rules('gke-ip-masq-agent-IP-MASQ.iptables-t-nat-n-L.txt', 'IP-MASQ');
    expect(ip.map((r) => [r.target!.name, r.target!.args['randomFully'] ?? false])).toEqual([['RETURN', false], ['MASQUERADE', true], ['RETURN', false], ['MASQUERADE', true]]);
  });

  it.each([
    ['kops-vpc-cni-master.iptables-t-nat-L-n-v.txt', 'kops-vpc-cni-master.iptables-t-nat-S.txt'],
    ['moby-usernet-portmap-nat.iptables-t-nat-L-v-line-numbers.txt', 'moby-usernet-portmap-nat.iptables-t-nat-S.txt'],
  ])('%s reads as the same rule set as its -S form %s', (l, s) => {
    expect(rulesetShape(any(l).value)).toEqual(rulesetShape(any(s).value));
  });
});

describe('format detection', () => {
  it.each([
    ['*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 'iptables-save'],
    ['# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n*nat\nCOMMIT\n', 'iptables-save'],
    ['-P INPUT ACCEPT\n-A INPUT -j ACCEPT\n', 'iptables -S'],
    ['Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n', 'iptables -L'],
  ])('detects %j as %s', (text, format) => {
    expect(detectIptablesFormat(text)).toBe(format);
  });
});

describe('mangled listing extras', () => {
  it('reads a port match cut after its colon (`tcp dpt:`) as unknown, never throws (found by the mutation property)', () => {
    const text = 'Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n    0     0 ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:\n';
    const r = parseIptablesAny({ text, file: 'cut.txt' }, { table: 'nat' });
    expect(r.diagnostics.map((d) => d.message)).toContain('not read back from the listing: tcp dpt: (walks that reach this rule give unknown)');
  });
});
