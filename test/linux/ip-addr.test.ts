import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpAddr, selectSourceWithoutAddress } from '../../src/linux/ip-addr.js';
import { formatIpv4 } from '../../src/net/ipv4.js';
import { formatPrefix } from '../../src/net/prefix.js';
import { openNetns, oracleUnavailable, type Netns } from './iptables/netns.js';

/** An AL2023 node's `ip addr` with two ENIs and a VPC CNI pod veth, in iproute2's layout. */
const AL2023 = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000
    link/ether 02:1A:2b:3c:4d:5e brd ff:ff:ff:ff:ff:ff
    altname enp0s5
    inet 10.0.1.10/19 metric 512 brd 10.0.31.255 scope global dynamic ens5
       valid_lft 3311sec preferred_lft 3311sec
    inet6 fe80::1a:2bff:fe3c:4d5e/64 scope link proto kernel_ll
       valid_lft forever preferred_lft forever
3: eni1a2b3c4d5e6@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc noqueue state UP group default
    link/ether 6e:0a:1b:2c:3d:4e brd ff:ff:ff:ff:ff:ff link-netns cni-1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718
4: ens6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000
    link/ether 02:aa:bb:cc:dd:01 brd ff:ff:ff:ff:ff:ff
    altname enp0s6
    inet 10.0.2.77/19 brd 10.0.31.255 scope global ens6
       valid_lft forever preferred_lft forever
`;

describe('ip addr', () => {
  it('reads names (without @peer), MACs (lower case) and IPv4 addresses, each interface at its header line', () => {
    const { value, diagnostics } = parseIpAddr({ text: AL2023, file: 'ip-addr.txt' });
    expect(diagnostics).toEqual([]);
    expect(value.map((i) => [i.name, i.index, i.mac, i.addresses.map((a) => `${formatIpv4(a.address)} in ${formatPrefix(a.prefix)}`), i.loc.line])).toEqual([
      ['lo', 1, undefined, ['127.0.0.1 in 127.0.0.0/8'], 1],
      ['ens5', 2, '02:1a:2b:3c:4d:5e', ['10.0.1.10 in 10.0.0.0/19'], 5],
      ['eni1a2b3c4d5e6', 3, '6e:0a:1b:2c:3d:4e', [], 12],
      ['ens6', 4, '02:aa:bb:cc:dd:01', ['10.0.2.77 in 10.0.0.0/19'], 14],
    ]);
  });

  it('reads the one-line forms (ip -o link, ip -o addr) into the same interfaces', () => {
    const text = [
      '2: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP mode DEFAULT group default qlen 1000\\    link/ether 02:1a:2b:3c:4d:5e brd ff:ff:ff:ff:ff:ff',
      '2: ens5    inet 10.0.1.10/19 metric 512 brd 10.0.31.255 scope global dynamic ens5\\       valid_lft 3311sec preferred_lft 3311sec',
    ].join('\n');
    const { value } = parseIpAddr({ text });
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ name: 'ens5', mac: '02:1a:2b:3c:4d:5e' });
    expect(value[0]!.addresses.map((a) => formatIpv4(a.address))).toEqual(['10.0.1.10']);
  });

  it('reports a line that is neither a header nor an indented detail, with its line', () => {
    const { diagnostics } = parseIpAddr({ text: `${AL2023}garbage here\n`, file: 'x.txt' });
    expect(diagnostics).toEqual([expect.objectContaining({ severity: 'error', file: 'x.txt', line: 19, text: 'garbage here' })]);
  });
});

describe('the source address for an interface without one (inet_select_addr)', () => {
  const ifaces = parseIpAddr({ text: AL2023 }).value;
  it('is the first primary global address in device order for a pod veth, and nothing for an interface that has its own', () => {
    expect(formatIpv4(selectSourceWithoutAddress(ifaces, 'eni1a2b3c4d5e6')!)).toBe('10.0.1.10');
    expect(selectSourceWithoutAddress(ifaces, 'ens6')).toBeUndefined();
    expect(selectSourceWithoutAddress(ifaces, 'eni-not-listed')).toBeUndefined();
  });

  it('skips host-scope and secondary addresses', () => {
    const text = AL2023.replace('inet 10.0.1.10/19 metric 512 brd 10.0.31.255 scope global dynamic ens5', 'inet 10.0.1.10/19 brd 10.0.31.255 scope global secondary ens5');
    expect(formatIpv4(selectSourceWithoutAddress(parseIpAddr({ text }).value, 'eni1a2b3c4d5e6')!)).toBe('10.0.2.77');
  });
});

const unavailable = oracleUnavailable();

describe.skipIf(unavailable !== undefined)('ip addr, as the kernel prints it', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
    const ip = (...args: string[]) => {
      const r = ns.exec('ip', args);
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    // veth pairs named and addressed like an AL2023 node's ENIs; both ends stay in the namespace.
    ip('link', 'add', 'ens5', 'address', '02:1a:2b:3c:4d:5e', 'type', 'veth', 'peer', 'name', 'peer5');
    ip('link', 'add', 'ens6', 'address', '02:aa:bb:cc:dd:01', 'type', 'veth', 'peer', 'name', 'peer6');
    ip('addr', 'add', '10.0.1.10/19', 'dev', 'ens5');
    ip('addr', 'add', '10.0.2.77/19', 'dev', 'ens6');
    ip('addr', 'add', '10.0.2.78/32', 'dev', 'ens6');
    ip('link', 'set', 'ens5', 'up');
  });
  afterAll(() => ns?.close());

  it.each([['ip addr', ['addr']], ['ip -o addr', ['-o', 'addr']]])('%s', (_name, args) => {
    const out = ns.exec('ip', args);
    expect(out.status).toBe(0);
    const { value, diagnostics } = parseIpAddr({ text: out.stdout });
    expect(diagnostics).toEqual([]);
    const seen = Object.fromEntries(value.map((i) => [i.name, i.addresses.map((a) => `${formatIpv4(a.address)}/${a.prefix.len}`)]));
    expect(seen).toMatchObject({ ens5: ['10.0.1.10/19'], ens6: ['10.0.2.77/19', '10.0.2.78/32'] });
    if (args[0] === 'addr') expect(value.find((i) => i.name === 'ens6')?.mac).toBe('02:aa:bb:cc:dd:01');
  });
});
