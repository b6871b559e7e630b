/** Chain traversal and target semantics of walkHook / walkChain on small rule sets. */
import { describe, expect, it } from 'vitest';
import { walkChain, walkHook, MAX_BRANCHES } from '../../../src/linux/iptables/walk.js';
import { walkNodePath } from '../../../src/linux/iptables/node-path.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import { node, parse, pkt, table } from './helpers.js';

const p = pkt('10.244.1.5', '10.0.0.2', 'tcp', 40000, 80);
const ctx = node({ inIface: 'eth0', outIface: 'eth1', locals: ['192.168.1.5'], ifaces: { eth0: '192.168.1.5', eth1: '172.20.1.10' } });
const filter = (chains: string[], rules: string[]) => parse(table('filter', chains, rules)).value;
const fwd = (rs: ReturnType<typeof filter>, c = ctx, packet = p) => walkHook(rs, 'FORWARD', packet, c, 0);

describe('chain traversal', () => {
  it('returns from a user chain to the rule after the jump (explicit RETURN or end of chain)', () => {
    const rs = filter(['A', 'B'], ['-A FORWARD -j A', '-A FORWARD -j B', '-A FORWARD -j DROP', '-A A -j RETURN', '-A A -j DROP', '-A B -p udp -j ACCEPT']);
    const [h] = fwd(rs);
    expect(h!.verdict).toBe('DROP');
    expect(h!.tables[0]!.rule).toMatchObject({ chain: 'FORWARD', num: 3 });
    expect(h!.tables[0]!.matched.map((r) => `${r.chain}#${r.num}`)).toEqual(['FORWARD#1', 'A#1', 'FORWARD#2']);
  });

  it('RETURN from a chain entered by goto goes back past the chain that jumped (-g does not push)', () => {
    const rs = filter(['A', 'G'], ['-A FORWARD -j A', '-A FORWARD -j ACCEPT', '-A A -g G', '-A A -j DROP', '-A G -j RETURN']);
    const [h] = fwd(rs);
    expect(h!.tables[0]!.rule).toMatchObject({ chain: 'FORWARD', num: 2 });
  });

  it('RETURN in the built-in chain, or after a goto from it, ends in the policy', () => {
    const drop = (rules: string[], chains: string[] = []) =>
      parse(table('filter', chains, rules).replace(':FORWARD ACCEPT', ':FORWARD DROP')).value;
    for (const rs of [drop(['-A FORWARD -j RETURN', '-A FORWARD -j ACCEPT']), drop(['-A FORWARD -g G', '-A FORWARD -j ACCEPT'], ['G'])]) {
      const [h] = fwd(rs);
      expect(h).toMatchObject({ verdict: 'DROP' });
      expect(h!.tables[0]!.rule).toBeUndefined();
    }
  });

  it('an undeclared policy reached by the walk is unknown, pointing at the chain', () => {
    const rs = parse('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n').value;
    const [h] = fwd(rs);
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables[0]!.unknown).toMatchObject({ rule: { chain: 'FORWARD', num: 0 }, construct: expect.stringContaining('policy') });
  });

  it('a rule without a target counts and goes on', () => {
    const [h] = fwd(filter([], ['-A FORWARD -p tcp', '-A FORWARD -j DROP']));
    expect(h!.tables[0]!.matched.map((r) => r.num)).toEqual([1]);
    expect(h!.verdict).toBe('DROP');
  });

  it('a matched rule with a target podpath does not model is unknown, never skipped', () => {
    const [h] = fwd(filter([], ['-A FORWARD -j NFQUEUE --queue-num 1', '-A FORWARD -j ACCEPT']));
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables[0]!.unknown!.construct).toContain('NFQUEUE');
  });

  it('jumps nested deeper than 64 are unknown', () => {
    const names = Array.from({ length: 70 }, (_, i) => `C${i}`);
    const rules = ['-A FORWARD -j C0', ...names.slice(0, -1).map((n, i) => `-A ${n} -j C${i + 1}`)];
    const [h] = fwd(filter(names, rules));
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables[0]!.unknown!.construct).toContain('deeper than 64');
  });

  it('DROP in an earlier table ends the hook: later tables are not walked', () => {
    const rs = parse(table('mangle', [], ['-A PREROUTING -j DROP']) + table('nat', [], ['-A PREROUTING -j DNAT --to-destination 1.2.3.4'])).value;
    const [h] = walkHook(rs, 'PREROUTING', p, ctx, 0);
    expect(h!.tables.map((t) => [t.table, t.verdict])).toEqual([['mangle', 'DROP']]);
    expect(h!.packet).toEqual(p);
  });

  it('caps near misses at 20 per table', () => {
    const rules = Array.from({ length: 30 }, (_, i) => `-A FORWARD -d 10.9.0.${i}/32 -j DROP`);
    expect(fwd(filter([], rules))[0]!.tables[0]!.nearMisses).toHaveLength(20);
  });

  it('walkChain runs one chain: a user chain can end in RETURN; an unknown chain is a usage error', () => {
    const rs = filter(['A'], ['-A A -p udp -j DROP']);
    expect(walkChain(rs, 'filter', 'A', 'FORWARD', p, ctx, 0).map((o) => o.verdict)).toEqual(['RETURN']);
    expect(() => walkChain(rs, 'filter', 'NOPE', 'FORWARD', p, ctx, 0)).toThrow(/no chain NOPE/);
  });
});

describe('statistic branches', () => {
  it('forks kube-proxy style endpoint choice into equal branches whose probabilities sum to 1', () => {
    const rs = parse(table('nat', ['SVC'], [
      '-A PREROUTING -j SVC',
      '-A SVC -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.1.0.1:80',
      '-A SVC -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.1.0.2:80',
      '-A SVC -j DNAT --to-destination 10.1.0.3:80',
    ])).value;
    const out = walkHook(rs, 'PREROUTING', p, ctx, 0);
    expect(out.map((h) => h.packet.dst)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3'].map(parseIpv4));
    for (const h of out) expect(h.probability).toBeCloseTo(1 / 3, 6);
    expect(out.reduce((s, h) => s + h.probability, 0)).toBeCloseTo(1, 9);
  });

  it(`stops forking beyond ${MAX_BRANCHES} branches with unknown, keeping the total probability`, () => {
    const rules = Array.from({ length: 80 }, () => '-A FORWARD -m statistic --mode random --probability 0.5 -j ACCEPT');
    const out = fwd(filter([], [...rules, '-A FORWARD -j DROP']));
    expect(out.length).toBeLessThanOrEqual(MAX_BRANCHES + 1);
    expect(out.some((h) => h.verdict === 'unknown' && h.tables[0]!.unknown!.construct.includes('branches'))).toBe(true);
    expect(out.reduce((s, h) => s + h.probability, 0)).toBeCloseTo(1, 9);
  });
});

describe('targets', () => {
  it('MARK in mangle is seen by -m mark in filter of the same hook', () => {
    const rs = parse(table('mangle', [], ['-A OUTPUT -j MARK --set-xmark 0x10/0xff']) + table('filter', [], ['-A OUTPUT -m mark --mark 0x10/0xff -j DROP'])).value;
    const [h] = walkHook(rs, 'OUTPUT', p, ctx, 0xff01);
    expect(h).toMatchObject({ verdict: 'DROP', mark: 0xff10 });
  });

  it('NOTRACK in raw makes the packet UNTRACKED: nat is skipped and --ctstate UNTRACKED holds', () => {
    const rs = parse(
      table('raw', [], ['-A PREROUTING -p tcp -j NOTRACK'])
      + table('nat', [], ['-A PREROUTING -j DNAT --to-destination 1.2.3.4'])
      + table('mangle', [], ['-A PREROUTING -m conntrack --ctstate UNTRACKED -j MARK --set-xmark 0x1/0xffffffff']),
    ).value;
    const [h] = walkHook(rs, 'PREROUTING', p, ctx, 0);
    expect(h!.packet).toEqual(p);
    expect(h!.mark).toBe(1);
    expect(h!.skippedTables).toEqual([{ table: 'nat', why: expect.stringContaining('untracked') }]);
  });

  it('CONNMARK --set-xmark then --restore-mark copies the connection mark to the packet', () => {
    const rs = parse(table('mangle', [], [
      '-A PREROUTING -j CONNMARK --set-xmark 0x80/0x80',
      '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
    ])).value;
    const [h] = walkHook(rs, 'PREROUTING', p, ctx, 0);
    expect(h).toMatchObject({ mark: 0x80, connmark: 0x80 });
    const [est] = walkHook(rs, 'PREROUTING', p, { ...ctx, ctState: 'ESTABLISHED' }, 0);
    expect(est!.verdict).toBe('unknown'); // the connection's mark before this packet is not known
  });

  it.each([
    ['-j DNAT --to-destination 10.1.0.9', 'PREROUTING', { dst: '10.1.0.9', dport: 80 }],
    ['-j DNAT --to-destination 10.1.0.9:8080', 'PREROUTING', { dst: '10.1.0.9', dport: 8080 }],
    ['-j DNAT --to-destination 10.1.0.9:70-90', 'PREROUTING', { dst: '10.1.0.9', dport: 80 }],
    ['-j DNAT --to-destination 10.1.0.9-10.1.0.12:1000-2000', 'PREROUTING', { dst: '10.1.0.9', dport: 1000 }],
    ['-j REDIRECT --to-ports 15001', 'PREROUTING', { dst: '192.168.1.5', dport: 15001 }],
    ['-j REDIRECT --to-ports 15001', 'OUTPUT', { dst: '127.0.0.1', dport: 15001 }],
    ['-j SNAT --to-source 172.20.9.9', 'POSTROUTING', { src: '172.20.9.9', sport: 40000 }],
    ['-j SNAT --to-source 172.20.9.9:1024-2048', 'POSTROUTING', { src: '172.20.9.9', sport: 1024 }],
    ['-j MASQUERADE --to-ports 1024-65535', 'POSTROUTING', { src: '172.20.1.10', sport: 40000 }],
  ] as const)('%s in %s rewrites the packet', (target, hook, expected) => {
    const rs = parse(table('nat', [], [`-A ${hook} ${target}`])).value;
    const [h] = walkHook(rs, hook, p, ctx, 0);
    const want = { ...p };
    if ('dst' in expected) Object.assign(want, { dst: parseIpv4(expected.dst), dport: expected.dport });
    if ('src' in expected) Object.assign(want, { src: parseIpv4(expected.src), sport: expected.sport });
    expect(h!.packet).toEqual(want);
    expect(h!.tables.at(-1)!.nat?.kind).toBe(target.split(' ')[1]);
  });

  it('MASQUERADE without a known out interface address is unknown', () => {
    const rs = parse(table('nat', [], ['-A POSTROUTING -j MASQUERADE'])).value;
    const [h] = walkHook(rs, 'POSTROUTING', p, node({ outIface: 'eth9' }), 0);
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables.at(-1)!.unknown!.construct).toContain('eth9');
  });

  it('records notes for assumptions (-m limit, --random-fully)', () => {
    const rs = parse(table('nat', [], ['-A POSTROUTING -m limit --limit 5/sec -j MASQUERADE --random-fully'])).value;
    const [h] = walkHook(rs, 'POSTROUTING', p, ctx, 0);
    expect(h!.tables.at(-1)!.notes).toEqual([expect.stringContaining('rate limit'), expect.stringContaining('randomised')]);
  });
});

describe('walkNodePath: a reply that forks', () => {
  it('gives one path per reply branch, the request probability times the reply\'s', () => {
    const rs = parse(table('filter', [], [
      '-A FORWARD -m conntrack --ctstate ESTABLISHED -m statistic --mode random --probability 0.25 -j DROP',
    ])).value;
    const paths = walkNodePath(rs, { packet: pkt('10.244.1.5', '8.8.8.8', 'udp', 40000, 53), start: { kind: 'arrives', inIface: 'cbr0' }, outIface: 'eth0', addresses: [] });
    expect(paths.map((p) => [p.probability, p.end.kind, p.reply?.end.kind]).sort()).toEqual([[0.25, 'forwarded', 'dropped'], [0.75, 'forwarded', 'forwarded']]);
  });
});

describe('-m conntrack on the connection\'s tuples', () => {
  const ctxFor = { addresses: [{ iface: 'eth0', addr: parseIpv4('192.168.1.5'), len: 24 }] };
  const dump = (forward: string[]) => parse([
    '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.2.7:8080',
    '-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE', 'COMMIT',
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ...forward, 'COMMIT', '',
  ].join('\n')).value;
  const through = (rs: ReturnType<typeof dump>, dst: string, dport: number) =>
    walkNodePath(rs, { packet: pkt('10.244.1.5', dst, 'tcp', 40000, dport), start: { kind: 'arrives', inIface: 'cbr0' }, outIface: 'eth0', ...ctxFor })[0]!;

  it('--ctorigdst sees the address before DNAT, in FORWARD after it', () => {
    const rs = dump(['-A FORWARD -m conntrack --ctorigdst 10.96.0.10 --ctdir ORIGINAL -j DROP']);
    expect(through(rs, '10.96.0.10', 80).end.kind).toBe('dropped');
    expect(through(rs, '10.244.2.7', 8080).end.kind).toBe('forwarded');
  });

  it('--ctdir REPLY with --ctreplsrc: the reply of a DNATed connection comes from the endpoint', () => {
    const rs = dump(['-A FORWARD -m conntrack --ctdir REPLY --ctreplsrc 10.244.2.7 --ctreplsrcport 8080 -j DROP']);
    const p = through(rs, '10.96.0.10', 80);
    expect(p.end.kind).toBe('forwarded');
    expect(p.reply!.end.kind).toBe('dropped');
  });

  it('--ctrepldst after MASQUERADE is the node address; without the tuples the match is unknown', () => {
    const rs = dump(['-A FORWARD -m conntrack --ctdir REPLY ! --ctrepldst 192.168.1.5 -j DROP']);
    expect(through(rs, '8.8.8.8', 443).reply!.end.kind).toBe('forwarded');
    const [h] = walkHook(rs, 'FORWARD', pkt('10.244.1.5', '8.8.8.8', 'tcp', 40000, 443), node({ inIface: 'cbr0', outIface: 'eth0' }), 0);
    expect(h!.verdict).toBe('unknown');
    expect(h!.tables[0]!.unknown!.construct).toContain('tuples are not known');
  });
});
