/**
 * ipset save input and set membership: parsing with lines, `-m set` in a walk
 * (calico's masquerade rule), and the kernel as oracle: generated sets are
 * restored with `ipset restore` in a fresh network namespace, read back with
 * `ipset save`, and `ipset test` (the kernel's own lookup) must agree with
 * setHolds for generated packets. Only that namespace is touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { parseIpsetSave, setHolds } from '../../../src/linux/ipset/ipset-save.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { formatIpv4 } from '../../../src/net/ipv4.js';
import type { Packet } from '../../../src/net/packet.js';
import { node, parse, pkt } from '../iptables/helpers.js';
import { openNetns, oracleUnavailable, type Netns } from '../iptables/netns.js';

const SAVE = [
  'create pools hash:net family inet hashsize 1024 maxelem 65536',
  'add pools 10.244.0.0/16',
  'add pools 10.244.9.0/24 nomatch',
  'create svc hash:ip,port family inet hashsize 1024 maxelem 65536',
  'add svc 10.96.0.10,udp:53',
  'add svc 10.96.0.1,tcp:443',
  'create both list:set size 8',
  'add both svc',
  'create v6 hash:ip family inet6 hashsize 1024 maxelem 65536',
  '',
].join('\n');

describe('parseIpsetSave and setHolds', () => {
  const sets = parseIpsetSave({ text: SAVE, file: 'ipset.save' });

  it('reads create/add lines; hash:net nomatch excludes the more specific prefix; ports need their protocol', () => {
    expect(sets.diagnostics).toEqual([]);
    const p = (src: string, dst: string, proto: 'tcp' | 'udp' = 'tcp', dport = 80) => pkt(src, dst, proto, 40000, dport);
    expect(setHolds(sets.value, 'pools', ['src'], p('10.244.1.5', '8.8.8.8'))).toBe(true);
    expect(setHolds(sets.value, 'pools', ['src'], p('10.244.9.5', '8.8.8.8'))).toBe(false);
    expect(setHolds(sets.value, 'svc', ['dst', 'dst'], p('10.244.1.5', '10.96.0.10', 'udp', 53))).toBe(true);
    expect(setHolds(sets.value, 'svc', ['dst', 'dst'], p('10.244.1.5', '10.96.0.10', 'tcp', 53))).toBe(false);
    expect(setHolds(sets.value, 'svc', ['dst'], p('10.244.1.5', '10.96.0.10', 'udp', 53))).toBe(false); // fewer flags than dimensions
    expect(setHolds(sets.value, 'both', ['dst', 'dst'], p('10.244.1.5', '10.96.0.1', 'tcp', 443))).toBe(true);
    expect(setHolds(sets.value, 'v6', ['src'], p('10.244.1.5', '8.8.8.8'))).toEqual({ unknown: 'set v6 holds IPv6 addresses (podpath traces IPv4 only)' });
    expect(setHolds(sets.value, 'nope', ['src'], p('10.244.1.5', '8.8.8.8'))).toEqual({ unknown: 'set nope is not in the ipset input' });
  });

  it('names the line of what it cannot read', () => {
    const { diagnostics } = parseIpsetSave({ text: 'create a hash:ip\nadd a 10.0.0.300\nadd b 10.0.0.1\nflush a\nadd a 10.0.0.1\nadd a 10.0.0.1\nadd a 10.0.0.1 -exist\n', file: 's' });
    expect(diagnostics.map((d) => [d.line, d.message])).toEqual([
      [2, "set a (hash:ip): '10.0.0.300' is not an IPv4 address or prefix"],
      [3, 'add to set b, which no create line before declares'],
      [4, 'not an ipset save line (expected create NAME TYPE ... or add NAME ENTRY ...)'],
      [6, 'set a: 10.0.0.1 is already added (line 5)'], // as ipset restore refuses it; -exist updates instead
    ]);
  });

  it('decides calico\'s masquerade rule from the sets: pool source to the outside is masqueraded, to another pool it is not', () => {
    const calico = parseIpsetSave({ text: 'create cali40masq-ipam-pools hash:net family inet\nadd cali40masq-ipam-pools 10.244.0.0/16\ncreate cali40all-ipam-pools hash:net family inet\nadd cali40all-ipam-pools 10.244.0.0/16\n', file: 'ipset' }).value;
    const rs = parse(['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
      '-A POSTROUTING -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully', 'COMMIT', ''].join('\n')).value;
    const ctx = node({ outIface: 'eth0', ifaces: { eth0: '172.20.1.10' }, locals: ['172.20.1.10'] });
    const out = (dst: string, withSets = true) => walkHook(rs, 'POSTROUTING', pkt('10.244.1.5', dst), withSets ? { ...ctx, ipsets: calico } : ctx, 0)[0]!;
    expect(formatIpv4(out('8.8.8.8').packet.src)).toBe('172.20.1.10');
    expect(formatIpv4(out('10.244.2.7').packet.src)).toBe('10.244.1.5');
    const without = out('8.8.8.8', false);
    expect(without.verdict).toBe('unknown');
    expect(without.tables[0]!.unknown!.construct).toContain('ipsets are not given');
  });
});

const unavailable = oracleUnavailable() ?? (spawnSync('sh', ['-c', 'command -v ipset']).status !== 0 ? 'ipset is not installed (scripts/install-system-deps.sh)' : undefined);

describe.skipIf(unavailable !== undefined)('ipset: the kernel as oracle (ipset test in a fresh network namespace)', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
  });
  afterAll(() => ns?.close());

  const addr = fc.constantFrom('10.1.2.3', '10.1.2.9', '10.1.3.3', '10.2.0.1', '192.168.1.1');
  const net = fc.tuple(addr, fc.constantFrom(8, 16, 24, 30, 32)).map(([a, l]) => `${a}/${l}`);
  const port = fc.tuple(fc.constantFrom('tcp', 'udp'), fc.constantFrom(53, 80, 443)).map(([p, n]) => `${p}:${n}`);
  const kinds = {
    'hash:ip': addr,
    'hash:net': fc.tuple(net, fc.boolean()).map(([n, no]) => `${n}${no ? ' nomatch' : ''}`),
    'hash:ip,port': fc.tuple(addr, port).map(([a, p]) => `${a},${p}`),
    'hash:net,port': fc.tuple(net, port, fc.boolean()).map(([n, p, no]) => `${n},${p}${no ? ' nomatch' : ''}`),
  } as const;
  const setSpec = fc.constantFrom(...(Object.keys(kinds) as (keyof typeof kinds)[])).chain((type) =>
    fc.tuple(fc.constant(type), fc.array(kinds[type], { maxLength: 6 }), type === 'hash:ip' ? fc.constantFrom(undefined, 24, 30) : fc.constant(undefined)));
  const packet: fc.Arbitrary<Packet> = fc.tuple(addr, fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'), fc.constantFrom(53, 80, 443))
    .map(([a, proto, p]) => pkt('10.9.9.9', a, proto, 40000, p));

  it('ipset test = setHolds on generated sets and packets (fast-check)', () => {
    let n = 0;
    fc.assert(
      fc.property(setSpec, fc.array(packet, { minLength: 3, maxLength: 6 }), ([type, entries, netmask], packets) => {
        const name = `s${n++}`;
        const restore = [`create ${name} ${type} family inet${netmask ? ` netmask ${netmask}` : ''}`, ...entries.map((e) => `add ${name} ${e} -exist`), ''].join('\n');
        try {
          const r = ns.exec('ipset', ['restore'], restore);
          if (r.status !== 0) throw new Error(`ipset restore: ${r.stderr}\n${restore}`);
          const saved = ns.exec('ipset', ['save', name]).stdout;
          const parsed = parseIpsetSave({ text: saved, file: 'kernel-ipset-save' });
          expect(parsed.diagnostics).toEqual([]);
          const dims = type.split(':')[1]!.split(',').length;
          for (const p of packets) {
            const element = dims === 1 ? formatIpv4(p.dst) : `${formatIpv4(p.dst)},${p.proto}:${p.dport}`;
            const kernel = ns.exec('ipset', ['test', name, element]).status === 0;
            expect(setHolds(parsed.value, name, Array(dims).fill('dst'), p), `${saved}ipset test ${name} ${element}`).toBe(kernel);
          }
        } finally {
          ns.exec('ipset', ['destroy', name]);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('parseIpsetSave on mangled input', () => {
  it('never throws, whatever the text; every diagnostic names a line of it; setHolds never throws either (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.tuple(fc.nat(SAVE.length), fc.nat(SAVE.length), fc.string({ maxLength: 8 }))
        .map(([a, b, ins]) => SAVE.slice(0, Math.min(a, b)) + ins + SAVE.slice(Math.max(a, b)))), (text) => {
        const { value, diagnostics } = parseIpsetSave({ text, file: 'f' });
        const lines = text.split('\n').length;
        for (const d of diagnostics) expect(d.line >= 1 && d.line <= lines, `line ${d.line} of ${lines}`).toBe(true);
        for (const name of value.keys()) setHolds(value, name, ['src', 'dst', 'dst'], pkt('10.244.1.5', '10.96.0.10', 'udp', 40000, 53));
      }),
      { numRuns: 300 },
    );
  });
});
