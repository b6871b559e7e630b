/** The parser never throws: real dumps cut anywhere, and arbitrary text. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIptablesSave, splitLines } from '../../../src/linux/iptables/parse.js';
import { serializeRuleset } from '../../../src/linux/iptables/serialize.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { node, pkt, saveFiles, saveText } from './helpers.js';

const files = saveFiles();

/**
 * Lines that open a known table minus COMMITs, outside comments: > 0 means a
 * table is left open. (A cut that leaves `*` or `*na` opens an unknown table:
 * that line is the error, not a missing COMMIT.)
 */
function openTables(text: string): number {
  let open = 0;
  for (const l of splitLines(text).map((x) => x.trim())) {
    if (l.startsWith('*')) open = /^\*(raw|mangle|nat|filter|security)$/.test(l) ? 1 : 0;
    else if (l === 'COMMIT') open = 0;
  }
  return open;
}

describe('truncated dumps', () => {
  it('never throw; a cut inside a table gives one missing-COMMIT error on the last line read', () => {
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.double({ min: 0, max: 1, noNaN: true }), (name, at) => {
        const full = saveText(name);
        const text = full.slice(0, Math.floor(full.length * at));
        const { value, diagnostics } = parseIptablesSave({ text, file: name });
        const lines = splitLines(text);
        for (const d of diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(Math.max(1, lines.length));
        }
        const missing = diagnostics.filter((d) => d.message.includes('has no COMMIT'));
        if (openTables(text) > 0) {
          let last = lines.length;
          while (last > 1 && (lines[last - 1]!.trim() === '' || lines[last - 1]!.trim().startsWith('#'))) last--;
          expect(missing).toEqual([expect.objectContaining({ severity: 'error', line: last })]);
        } else {
          expect(missing).toEqual([]);
        }
        expect(() => serializeRuleset(value)).not.toThrow();
        for (const hook of ['PREROUTING', 'FORWARD', 'POSTROUTING'] as const) {
          walkHook(value, hook, pkt('10.244.0.7', '10.96.0.10', 'udp', 40000, 53), node({ inIface: 'cni0', outIface: 'eth0' }), 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a dump cut mid-line still reads the rules before the cut', () => {
    const full = saveText('kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save');
    const cut = full.slice(0, full.indexOf('-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment') + 30);
    const { value, diagnostics } = parseIptablesSave({ text: cut, file: 'cut' });
    expect(diagnostics.at(-1)).toMatchObject({ severity: 'error', line: 128, message: expect.stringContaining('table nat (opened at line 42) has no COMMIT') });
    expect(value.tables.get('nat')!.chains.get('KUBE-SVC-NPX46M4PTMTKRN6Y')!.rules).toHaveLength(2);
  });
});

describe('arbitrary input', () => {
  it('never throws on any text built from iptables-save fragments', () => {
    const fragment = fc.constantFrom(
      '*filter', '*nat', '*mangle', '*raw', '*bogus', 'COMMIT', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [1:2]', ':X - [0:0]', ':X',
      '-A INPUT', '-A X -j X', '-A INPUT -j X', '-A INPUT ! ! -s', '-A INPUT -s 1.2.3.4/33', '-A INPUT -m', '-A INPUT -j',
      '-A INPUT -p tcp --dport', '-A INPUT -m comment --comment "unterminated', '[1:2]', '[1:2] -A INPUT -j ACCEPT', '-I INPUT 1',
      '-A FORWARD -m statistic --mode random', '-A INPUT -g INPUT', '-A INPUT -j MARK', '-A INPUT -j DNAT', '# c', '', ' ', '"', '!', '\\',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(fragment, fc.string()), { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (parts, eol) => {
        const { value } = parseIptablesSave({ text: parts.join(eol) });
        serializeRuleset(value);
        for (const hook of ['INPUT', 'FORWARD', 'OUTPUT'] as const) walkHook(value, hook, pkt('1.2.3.4', '5.6.7.8'), node({ inIface: 'a', outIface: 'b' }), 0);
      }),
      { numRuns: 500 },
    );
  });
});
