/** iptables-save reading: structure, diagnostics and what iptables-restore would refuse. */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { tokenize } from '../../../src/linux/iptables/tokenize.js';
import { parse, table } from './helpers.js';

const errors = (text: string) => parse(text).diagnostics.filter((d) => d.severity === 'error');
const warnings = (text: string) => parse(text).diagnostics.filter((d) => d.severity === 'warning');
const firstRule = (text: string, tableName = 'filter', chain = 'INPUT') => parse(text).value.tables.get(tableName as never)!.chains.get(chain)!.rules[0]!;

describe('tokenize (iptables-restore word splitting)', () => {
  it.each([
    ['-A X -m comment --comment "a b"', ['-A', 'X', '-m', 'comment', '--comment', 'a b']],
    ['--comment "a \\"b\\""', ['--comment', 'a "b"']],
    ["--comment \"before \\'-j X\\'\"", ['--comment', "before '-j X'"]],
    ['--comment ""', ['--comment', '']],
    ['a\tb   c ', ['a', 'b', 'c']],
    ['weave-;rGqy$3]6!N dst', ['weave-;rGqy$3]6!N', 'dst']],
    ['"a"b', ['a', 'b']],
    ['ab"c d"', ['abc d']],
    ['back\\slash', ['back\\slash']],
  ])('splits %j', (line, words) => {
    expect(tokenize(line).tokens.map((t) => t.value)).toEqual(words);
  });

  it('reports an unterminated quote and keeps the words read', () => {
    const r = tokenize('-m comment --comment "open');
    expect(r.error).toMatch(/unterminated/);
    expect(r.tokens.map((t) => t.value)).toEqual(['-m', 'comment', '--comment', 'open']);
  });

  it('records where each word sits in the line', () => {
    const line = '-A X ! -d 10.0.0.0/8';
    const t = tokenize(line).tokens;
    expect(line.slice(t[2]!.start, t[4]!.end)).toBe('! -d 10.0.0.0/8');
  });
});

describe('parseIptablesSave', () => {
  it('reads tables, policies, counters and rule positions', () => {
    const { value, diagnostics } = parse('*filter\n:INPUT DROP [5:600]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:MINE - [0:0]\n-A INPUT -j MINE\n[3:180] -A MINE -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    expect(diagnostics).toEqual([]);
    const f = value.tables.get('filter')!;
    expect(f.chains.get('INPUT')).toMatchObject({ builtin: true, policy: 'DROP', counters: { packets: 5, bytes: 600 } });
    expect(f.chains.get('MINE')!.rules[0]).toMatchObject({ num: 1, chain: 'MINE', counters: { packets: 3, bytes: 180 }, loc: { file: 't.save', line: 7 } });
  });

  it('numbers lines from src.firstLine and names src.file (default <input>)', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -d 10.0.0.1/8 -j ACCEPT\n';
    const r = parseIptablesSave({ text, file: 'nodes/n1/iptables-save.txt', firstLine: 20 });
    expect(r.diagnostics.map((d) => [d.file, d.line, d.severity])).toEqual([
      ['nodes/n1/iptables-save.txt', 24, 'warning'], // host bits masked
      ['nodes/n1/iptables-save.txt', 24, 'error'], // no COMMIT
    ]);
    expect(parseIptablesSave({ text: 'COMMIT\n' }).diagnostics[0]!.file).toBe('<input>');
  });

  it('reads CRLF line ends, leading and trailing blanks, and comments', () => {
    const text = '# hi\r\n\r\n*filter\r\n:INPUT ACCEPT [0:0]\r\n:FORWARD ACCEPT [0:0] \r\n:OUTPUT ACCEPT [0:0]\r\n'
      + '  -A INPUT -s 10.0.0.0/8 -j DROP   \r\nCOMMIT\r\n# done';
    const { value, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    expect(value.tables.get('filter')!.chains.get('INPUT')!.rules[0]!.text).toBe('  -A INPUT -s 10.0.0.0/8 -j DROP');
  });

  it('masks a CIDR with host bits as iptables does, with a warning naming the canonical form', () => {
    const text = table('filter', [], ['-A INPUT -d 10.0.18.52/16 -j DROP']);
    expect(firstRule(text).matches[0]!.args['prefix']).toEqual({ addr: 0x0a000000, len: 16 });
    expect(warnings(text)[0]!.message).toContain('10.0.0.0/16');
  });

  it('reports a missing COMMIT at the end of the input (truncated dump) on the last line', () => {
    const e = errors('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n');
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ line: 3, message: expect.stringMatching(/table nat \(opened at line 1\) has no COMMIT.*input ends at line 3/) });
  });

  it('reports a missing COMMIT when the next table starts, on that line', () => {
    const e = errors('*nat\n:PREROUTING ACCEPT [0:0]\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(e).toEqual([expect.objectContaining({ line: 3, message: expect.stringContaining('a new table starts at line 3') })]);
  });

  it.each([
    ['a rule outside a table', '-A INPUT -j ACCEPT\n', 1, /outside a table/],
    ['COMMIT outside a table', 'COMMIT\n', 1, /COMMIT outside a table/],
    ['an unknown table', '*bogus\n:X - [0:0]\n-A X -j ACCEPT\nCOMMIT\n', 1, /unknown table 'bogus'/],
    ['-I, which iptables-save never writes', '*filter\n:INPUT ACCEPT [0:0]\n-I INPUT -j ACCEPT\nCOMMIT\n', 3, /writes only -A/],
    ['a jump to an undeclared chain', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOPE\nCOMMIT\n', 3, /undeclared chain NOPE/],
    ['a rule in an undeclared chain', '*filter\n:INPUT ACCEPT [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n', 3, /chain NOPE is not declared before this rule/],
    ['a jump to a chain declared only later', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LATER\n:LATER - [0:0]\nCOMMIT\n', 3, /declared only later \(line 4\)/],
    ['an unparsable address', table('filter', [], ['-A INPUT -d x.x.x.x/32 -j DROP']), 5, /'x.x.x.x' is not an IPv4 address/],
    ['a chain declared twice', '*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:A - [0:0]\nCOMMIT\n', 4, /already declared at line 3/],
    ['a policy on a user chain', '*filter\n:INPUT ACCEPT [0:0]\n:A ACCEPT [0:0]\nCOMMIT\n', 3, /cannot have a policy/],
    ['a built-in chain with a policy other than ACCEPT, DROP or -', '*filter\n:INPUT QUEUE [0:0]\nCOMMIT\n', 2, /needs policy ACCEPT, DROP or '-'/],
    ['a jump to a built-in chain', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j OUTPUT\nCOMMIT\n', 3, /built-in chain OUTPUT/],
    ['DNAT outside the nat table', table('filter', [], ['-A INPUT -j DNAT --to-destination 1.2.3.4']), 5, /only valid in the nat table/],
    ['-m tcp without -p tcp', table('filter', [], ['-A INPUT -m tcp --dport 22 -j ACCEPT']), 5, /needs -p tcp/],
    ['a jump loop', table('filter', ['A', 'B'], ['-A A -j B', '-A B -j A']), 8, /jump loop B -> A -> B|jump loop A -> B -> A/],
    ['an unterminated quote', table('filter', [], ['-A INPUT -m comment --comment "oops -j ACCEPT']), 5, /unterminated/],
    ['an option no module owns', table('filter', [], ['-A INPUT -p udp --bogus 1 -j ACCEPT']), 5, /unknown option '--bogus'/],
    ['two targets', table('filter', [], ['-A INPUT -j ACCEPT -j DROP']), 5, /one target/],
    ['-o in INPUT', table('filter', [], ['-A INPUT -o eth0 -j ACCEPT']), 5, /can't use -o in INPUT/],
    ['-i in POSTROUTING', table('nat', [], ['-A POSTROUTING -i eth0 -j ACCEPT']), 6, /can't use -i in POSTROUTING/],
  ])('reports %s as an error on its line', (_what, text, line, message) => {
    const e = errors(text);
    expect(e.length).toBeGreaterThan(0);
    expect(e[0]).toMatchObject({ line, message: expect.stringMatching(message) });
  });

  it('still resolves a jump to a chain declared later, so a walk can follow it', () => {
    const rs = parse('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LATER\n:LATER - [0:0]\nCOMMIT\n').value;
    expect(rs.tables.get('filter')!.chains.get('INPUT')!.rules[0]!.target).toEqual({ name: 'LATER', goto: false, text: '-j LATER', args: {} });
  });

  it('keeps an unknown match module or target as unknown, with a warning', () => {
    const text = table('filter', [], ['-A INPUT -m owner --uid-owner 0 -j ACCEPT', '-A INPUT -j TPROXY --on-port 1']);
    const w = warnings(text);
    expect(w.map((d) => d.line)).toEqual([5, 6]);
    const rules = parse(text).value.tables.get('filter')!.chains.get('INPUT')!.rules;
    expect(rules[0]!.matches[0]).toMatchObject({ kind: 'owner', unknown: expect.stringContaining("'owner'"), args: { options: [{ name: '--uid-owner', values: ['0'] }] } });
    expect(rules[1]!.target).toMatchObject({ name: 'TPROXY', unknown: expect.stringContaining('TPROXY') });
    expect(errors(text)).toEqual([]);
  });

  it('warns about a built-in chain that is never declared (its policy is not known)', () => {
    const { value, diagnostics } = parse('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining('FORWARD'), expect.stringContaining('OUTPUT'),
    ]);
    expect(value.tables.get('filter')!.chains.get('FORWARD')!.policy).toBeUndefined();
  });

  it('leaves out nat INPUT when a dump has none (kernels before 2.6.36), without a warning', () => {
    const { value, diagnostics } = parse('*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(diagnostics).toEqual([]);
    expect([...value.tables.get('nat')!.chains.keys()]).toEqual(['PREROUTING', 'OUTPUT', 'POSTROUTING']);
  });

  it('reads negation before the option and the old form after it', () => {
    const a = firstRule(table('filter', [], ['-A INPUT ! -s 10.0.0.0/8 -p tcp -m tcp ! --dport 22 -j ACCEPT']));
    const b = firstRule(table('filter', [], ['-A INPUT -s ! 10.0.0.0/8 -p tcp -m tcp --dport ! 22 -j ACCEPT']));
    for (const r of [a, b]) {
      expect(r.matches.map((m) => [m.kind, m.negated])).toEqual([['src', true], ['proto', false], ['tcp', true]]);
    }
    expect(a.matches[0]!.text).toBe('! -s 10.0.0.0/8');
    expect(b.matches[0]!.text).toBe('-s ! 10.0.0.0/8');
  });

  it('loads the protocol match implicitly for --dport after -p, as iptables does', () => {
    const r = firstRule(table('filter', [], ['-A INPUT -p udp --dport 53 -j ACCEPT']));
    expect(r.matches[1]).toMatchObject({ kind: 'udp', args: { port: 'dport', range: { lo: 53, hi: 53 } } });
  });

  it('assigns options to the module that has them, in any order', () => {
    const r = firstRule(table('filter', [], ['-A INPUT -p tcp -m state -m tcp --dport 1:65535 --state NEW -j ACCEPT']));
    expect(r.matches.map((m) => [m.kind, m.instance])).toEqual([['proto', undefined], ['state', 0], ['tcp', 1]]);
  });

  it('normalises every MARK form to --set-xmark value/mask (libxt_MARK)', () => {
    const marks = ['--set-mark 0x10', '--set-mark 0x10/0xf0', '--or-mark 0x4000', '--and-mark 0xff', '--xor-mark 0x1', '--set-xmark 0x8000/0x8000']
      .map((o) => firstRule(table('mangle', [], [`-A PREROUTING -j MARK ${o}`]), 'mangle', 'PREROUTING').target!.args);
    expect(marks).toEqual([
      { value: 0x10, mask: 0xffffffff }, { value: 0x10, mask: 0xf0 }, { value: 0x4000, mask: 0x4000 },
      { value: 0, mask: 0xffffff00 }, { value: 1, mask: 0 }, { value: 0x8000, mask: 0x8000 },
    ]);
  });

  it('parses NAT ranges a[-b][:p[-q]] and MASQUERADE/REDIRECT ports', () => {
    const r = (t: string) => firstRule(table('nat', [], [`-A POSTROUTING ${t}`]), 'nat', 'POSTROUTING').target!.args;
    expect(r('-j SNAT --to-source 1.2.3.4-1.2.3.6:1000-2000 --random-fully')).toEqual({
      randomFully: true, range: { from: 0x01020304, to: 0x01020306, ports: { lo: 1000, hi: 2000 } },
    });
    expect(r('-j MASQUERADE --to-ports 1024-65535')).toEqual({ toPorts: { lo: 1024, hi: 65535 } });
  });
});
