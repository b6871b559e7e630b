/**
 * Details of the iptables-save reader that its fast paths must keep: quoted
 * words, line ends, option spellings, match texts, address and NAT range
 * syntax, loop reports, and rules that carry only the fields they use.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitLines } from '../../../src/linux/iptables/parse.js';
import { tokenize } from '../../../src/linux/iptables/tokenize.js';
import { GENERIC_OPTIONS, genericKind } from '../../../src/linux/iptables/match-generic.js';
import { parseAddress } from '../../../src/linux/iptables/values.js';
import { parseNatRange } from '../../../src/linux/iptables/target-nat.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import { parse, table } from './helpers.js';

const rulesOf = (text: string, chain = 'INPUT', tableName = 'filter') => parse(text).value.tables.get(tableName as never)!.chains.get(chain)!.rules;

describe('quoted words', () => {
  /** The definition: inside quotes, `\x` stands for `x`; the closing quote ends the word. */
  const unescape = (body: string): string => body.replace(/\\(.)/gs, '$1');

  it('read as the text between the quotes with each backslash escape replaced', () => {
    const body = fc.string({ unit: fc.constantFrom('a', ' ', '\\', "'", '-', '#', '$', 'é'), maxLength: 30 })
      .map((s) => s.replace(/\\+$/, (b) => (b.length % 2 === 0 ? b : `${b}\\`))); // no escape of the closing quote
    const escaped = fc.string({ unit: fc.constantFrom('a', '"', '\\', ' '), maxLength: 10 }).map((s) => s.replace(/["\\]/g, (c) => `\\${c}`));
    fc.assert(
      fc.property(fc.oneof(body, escaped), (inner) => {
        const { tokens, error } = tokenize(`--comment "${inner}" -j X`);
        expect(error).toBeUndefined();
        expect(tokens.map((t) => t.value)).toEqual(['--comment', unescape(inner), '-j', 'X']);
      }),
    );
  });

  it('keep what was read when the closing quote is missing, including a final backslash', () => {
    expect(tokenize('-m comment --comment "a\\"b\\').tokens.map((t) => t.value)).toEqual(['-m', 'comment', '--comment', 'a"b\\']);
  });
});

describe('line ends', () => {
  it('drop one CR before each LF, keep a CR with no LF after it, and drop the empty line after a final newline', () => {
    expect(splitLines('a\r\nb\r\r\nc\n')).toEqual(['a', 'b\r', 'c']);
    expect(splitLines('a\nb\r')).toEqual(['a', 'b\r']);
    expect(splitLines('\n')).toEqual(['']);
  });
});

describe('option spellings', () => {
  it('genericKind answers as the GENERIC_OPTIONS table for every spelling and for look-alikes', () => {
    const words = [...Object.keys(GENERIC_OPTIONS), '-m', '-j', '--sport', '--source-port', 'constructor', '__proto__', 'toString', '-S', '--Source', ''];
    for (const w of words) expect(genericKind(w), w).toBe(Object.hasOwn(GENERIC_OPTIONS, w) ? GENERIC_OPTIONS[w] : undefined);
  });

  it('aliases of module options are stored under the canonical name', () => {
    const [m] = rulesOf(table('filter', [], ['-A INPUT -p tcp -m multiport --destination-ports 80,443 -j ACCEPT']))[0]!.matches.filter((x) => x.kind === 'multiport');
    expect(m?.args['which']).toBe('dports');
  });
});

describe('match texts', () => {
  it('join the -m words and each option as written, one space apart', () => {
    const rule = rulesOf(table('filter', [], ['-A INPUT -p tcp -m tcp  --sport 1 ! --dport 2 -m comment --comment "x y" -j ACCEPT']))[0]!;
    expect(rule.matches.map((m) => m.text)).toEqual(['-p tcp', '-m tcp --sport 1', '-m tcp ! --dport 2', '-m comment --comment "x y"']);
  });

  it('name the implicit module of -p for an option given without -m', () => {
    const rule = rulesOf(table('filter', [], ['-A INPUT -p udp --dport 53 -j ACCEPT']))[0]!;
    expect(rule.matches.map((m) => m.text)).toEqual(['-p udp', '-m udp --dport 53']);
  });
});

describe('addresses and NAT ranges', () => {
  it.each([
    ['10.1.2.3', { addr: parseIpv4('10.1.2.3'), len: 32 }],
    ['10.1.2.3/8', { addr: parseIpv4('10.0.0.0'), len: 8 }],
    ['10.0.0.0/08', { addr: parseIpv4('10.0.0.0'), len: 8 }],
    ['10.0.0.0/255.255.0.0', { addr: parseIpv4('10.0.0.0'), len: 16 }],
    ['0.0.0.0/0', { addr: 0, len: 0 }],
  ])('%s reads as a prefix', (text, value) => {
    const r = parseAddress(text);
    expect(r.ok && r.value).toEqual(value);
  });

  it.each([
    ['10.0.0.1/33', /bad mask '33'/],
    ['10.0.0.1/', /bad mask ''/],
    ['10.0.0.1/255.0.255.0', /non-contiguous mask/],
    ['010.0.0.1/8', /'010.0.0.1' is not an IPv4 address/],
    ['10.0.0.1,10.0.0.2', /address lists/],
  ])('%s is refused', (text, message) => {
    const r = parseAddress(text);
    expect(r.ok ? '' : r.message).toMatch(message);
  });

  it.each([
    ['10.0.0.1:8080', { from: parseIpv4('10.0.0.1'), to: parseIpv4('10.0.0.1'), ports: { lo: 8080, hi: 8080 } }],
    ['10.0.0.1-10.0.0.5:80-90', { from: parseIpv4('10.0.0.1'), to: parseIpv4('10.0.0.5'), ports: { lo: 80, hi: 90 } }],
    [':8080', { ports: { lo: 8080, hi: 8080 } }],
  ])('NAT range %s', (text, value) => {
    const r = parseNatRange(text);
    expect(r.ok && r.value).toEqual(value);
  });

  it.each([
    ['10.0.0.5-10.0.0.1', /address range is empty/],
    ['10.0.0.1-10.0.0.2-10.0.0.3', /not a NAT range/],
    ['-10.0.0.1', /not a NAT range/],
    ['10.0.0.1-', /not a NAT range/],
    ['10.0.0.256', /not a NAT range/],
  ])('NAT range %s is refused', (text, message) => {
    const r = parseNatRange(text);
    expect(r.ok ? '' : r.message).toMatch(message);
  });
});

describe('rules and chains', () => {
  it('carry target and counters only when the line has them', () => {
    const rules = rulesOf(table('filter', [], ['-A INPUT -p tcp', '[3:4] -A INPUT -j ACCEPT', '-A INPUT -c 5 6']));
    expect(rules.map((r) => Object.keys(r).sort())).toEqual([
      ['chain', 'loc', 'matches', 'num', 'text'],
      ['chain', 'counters', 'loc', 'matches', 'num', 'target', 'text'],
      ['chain', 'counters', 'loc', 'matches', 'num', 'text'],
    ]);
    expect(rules[1]!.counters).toEqual({ packets: 3, bytes: 4 });
  });

  it('a jump loop through three chains is reported with its whole path', () => {
    const r = parse(table('filter', ['A', 'B', 'C'], ['-A INPUT -j A', '-A A -j B', '-A B -j C', '-A C -j A']));
    expect(r.diagnostics.map((d) => d.message)).toContainEqual(expect.stringMatching(/^jump loop A -> B -> C -> A:/));
  });
});

describe('protocol names', () => {
  it('rejects names that are only inherited object properties, such as -p constructor', async () => {
    const { parseProto } = await import('../../../src/linux/iptables/values.js');
    expect(parseProto('constructor')).toMatchObject({ ok: false, message: expect.stringMatching(/unknown protocol/) });
    expect(parseProto('TCP')).toMatchObject({ ok: true, value: 6 });
  });
});
