/**
 * restoreNoflush = `iptables-restore --noflush`: unit cases, and the kernel as
 * oracle on kube-proxy's test dumps loaded on top of its jump rules (in a fresh
 * network namespace made and deleted by this test; no packet is sent).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { restoreNoflush } from '../../../src/linux/iptables/restore.js';
import { rulesetShape } from '../../../src/linux/iptables/serialize.js';
import type { Ruleset } from '../../../src/linux/iptables/types.js';
import { openNetns, oracleUnavailable, type Netns } from './netns.js';
import { corpusDir, parse } from './helpers.js';

const chain = (rs: Ruleset, table: string, name: string) => rs.tables.get(table as 'filter')!.chains.get(name)!;

describe('restoreNoflush', () => {
  const base = parse('*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KEEP - [0:0]\n:X - [0:0]\n-A INPUT -j X\n-A X -j ACCEPT\n-A KEEP -j DROP\nCOMMIT\n', 'base').value;

  it('appends to built-in chains, flushes the user chains it declares, keeps the rest and the policy under -', () => {
    const over = parse('*filter\n:INPUT - [0:0]\n:X - [0:0]\n-A INPUT -s 1.2.3.4/32 -j DROP\n-A X -s 5.6.7.8/32 -j DROP\nCOMMIT\n', 'over').value;
    const rs = restoreNoflush(base, over);
    expect(chain(rs, 'filter', 'INPUT').policy).toBe('DROP');
    expect(chain(rs, 'filter', 'INPUT').rules.map((r) => [r.num, r.loc.file])).toEqual([[1, 'base'], [2, 'over']]);
    expect(chain(rs, 'filter', 'X').rules.map((r) => r.text)).toEqual(['-A X -s 5.6.7.8/32 -j DROP']);
    expect(chain(rs, 'filter', 'KEEP').rules).toHaveLength(1);
    // The inputs are not changed.
    expect(chain(base, 'filter', 'INPUT').rules).toHaveLength(1);
  });

  it('sets a built-in policy declared ACCEPT or DROP, and adds tables the base lacks', () => {
    const rs = restoreNoflush(base, parse('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n', 'over').value);
    expect(chain(rs, 'filter', 'INPUT').policy).toBe('ACCEPT');
    expect(rs.tables.has('nat')).toBe(true);
  });
});

const unavailable = oracleUnavailable();
const kp = join(corpusDir, 'kube-proxy-tests');
const dumps = readdirSync(kp).filter((f) => /^(0[2-9]|[12]\d)-/.test(f)).sort();

describe.skipIf(unavailable !== undefined)('restoreNoflush = iptables-restore --noflush (kernel oracle)', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
  });
  afterAll(() => ns?.close());
  const jump = readFileSync(join(kp, 'kube-proxy-jump-rules.iptables-save'), 'utf8');
  const shape = (rs: Ruleset) => (rulesetShape(rs) as { table: string }[]).filter((t) => t.table === 'filter' || t.table === 'nat').sort((a, b) => (a.table < b.table ? -1 : 1));

  it.each(dumps)('%s on top of the jump rules', (file) => {
    const text = readFileSync(join(kp, file), 'utf8');
    expect(ns.restore(jump)).toEqual({ ok: true, stderr: '' });
    expect(ns.restore(text, { noflush: true })).toEqual({ ok: true, stderr: '' });
    const kernel = parseIptablesSave({ text: ns.save(), file: 'kernel' }).value;
    const ours = restoreNoflush(parseIptablesSave({ text: jump, file: 'jump' }).value, parseIptablesSave({ text, file }).value);
    expect(shape(ours)).toEqual(shape(kernel));
  });

  it.each(readdirSync(kp).sort())('%s: iptables-restore --test refuses it exactly when podpath reports an error, at the same line', (file) => {
    const text = readFileSync(join(kp, file), 'utf8');
    const kernel = ns.restore(text, { test: true });
    const errors = parseIptablesSave({ text, file }).diagnostics.filter((d) => d.severity === 'error');
    if (kernel.ok) return expect(errors).toEqual([]);
    expect(errors[0]?.line).toBe(Number(/Error occurred at line: (\d+)/.exec(kernel.stderr)?.[1]));
  });
});
