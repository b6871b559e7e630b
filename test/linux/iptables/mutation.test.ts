/**
 * Mutated real dumps and listings: the readers never throw, every diagnostic
 * names a line of the input, and a rule podpath cannot read is never taken
 * silently (an unknown module or target makes the walk answer unknown).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIptablesAny } from '../../../src/linux/iptables/detect.js';
import { splitLines } from '../../../src/linux/iptables/parse.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { listDir, node, parse, pkt, saveFiles, saveText, table } from './helpers.js';
import { mutate, mutation } from './mutate.js';


const texts = [
  ...saveFiles().map((n) => saveText(n)),
  ...readdirSync(listDir).map((n) => readFileSync(path.join(listDir, n), 'utf8')),
];

describe('mutated dumps and listings', () => {
  it('never throw; every diagnostic names a line of the input; walks never throw', () => {
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean(), (text, ms, cut) => {
        let t = mutate(text, ms);
        if (cut) t = t.slice(0, Math.floor(t.length / 2));
        const r = parseIptablesAny({ text: t, file: 'm' });
        const n = Math.max(1, splitLines(t).length);
        for (const d of r.diagnostics) {
          expect(d.file).toBe('m');
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(n);
        }
        for (const hook of ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const) {
          walkHook(r.value, hook, pkt('10.244.0.7', '10.96.0.10', 'udp', 40000, 53), node({ inIface: 'cni0', outIface: 'eth0' }), 0);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('unknown modules and targets', () => {
  const mods = fc.stringMatching(/^[a-z][a-z0-9]{2,10}$/).filter((m) => !['tcp', 'udp', 'icmp', 'multiport', 'comment', 'conntrack', 'state', 'mark', 'connmark', 'addrtype', 'statistic', 'limit', 'set', 'physdev', 'recent', 'mac', 'owner', 'iprange', 'length', 'ttl', 'tos', 'dscp', 'string', 'hashlimit', 'connlimit', 'socket', 'cgroup', 'policy', 'u32', 'bpf', 'helper', 'pkttype', 'rpfilter', 'devgroup', 'realm', 'quota', 'time', 'esp', 'ah', 'sctp', 'udplite', 'icmp6', 'cluster', 'cpu', 'ecn', 'hl', 'ipvs', 'nfacct', 'osf', 'rateest', 'ipcomp', 'l2tp', 'connbytes', 'connlabel', 'dccp', 'geoip', 'condition', 'account'].includes(m));

  it('a rule with a module podpath does not know is unknown when reached, never accepted or skipped', () => {
    fc.assert(
      fc.property(mods, fc.constantFrom('ACCEPT', 'DROP'), (mod, target) => {
        const { value, diagnostics } = parse(table('filter', [], [`-A FORWARD -m ${mod} --opt 1 -j ${target}`]));
        expect(diagnostics.some((d) => d.line === 5 && d.message.includes(mod))).toBe(true);
        const [h] = walkHook(value, 'FORWARD', pkt('1.2.3.4', '5.6.7.8'), node({ inIface: 'a', outIface: 'b' }), 0);
        expect(h!.verdict).toBe('unknown');
        expect(h!.tables[0]!.unknown!.rule.loc.line).toBe(5);
      }),
    );
  });

  it('a listing line with extras podpath cannot read back is unknown when reached', () => {
    const text = ['Chain FORWARD (policy DROP 0 packets, 0 bytes)', ' pkts bytes target     prot opt in     out     source               destination',
      '    0     0 ACCEPT     tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02 frobnicate 7'].join('\n');
    const r = parseIptablesAny({ text, file: 'l' }, { table: 'filter' });
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ line: 3, message: expect.stringContaining('not read back from the listing') }));
    const [h] = walkHook(r.value, 'FORWARD', pkt('1.2.3.4', '5.6.7.8', 'tcp', 1, 80), node({ inIface: 'a', outIface: 'b' }), 0);
    expect(h!.verdict).toBe('unknown');
  });
});
