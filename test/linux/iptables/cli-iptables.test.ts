/** `podpath iptables check` and `podpath iptables trace`, run in-process on real dumps and listings. */
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { run } from '../../helpers/run-cli.js';
import { corpusDir, fixturesDir, listDir, saveDir } from './helpers.js';

const kind = path.join(saveDir, 'kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save');
const iorchard = path.join(saveDir, 'kubeproxy-2017-docker-externalip-iorchard.iptables-save');
const seedNat = path.join(fixturesDir, 'seed-2015-nat.iptables-L-n-v.txt');

describe('podpath iptables check', () => {
  it('lists tables, chains and rule counts of a dump and exits 0', async () => {
    const r = await run('iptables', 'check', kind, '-o', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ kind: 'iptables-check', format: 'iptables-save', ok: true, unknown: [] });
    expect(Object.fromEntries(doc.tables.map((t: { name: string; rules: number }) => [t.name, t.rules]))).toEqual({ mangle: 0, filter: 13, nat: 58 });
    const text = await run('iptables', 'check', kind);
    expect(text.out).toMatch(/^\*nat {2}58 rules$/m);
    expect(text.out).toMatch(/KUBE-SERVICES +\d+ rules/);
  });

  it('exits 2 on a dump with errors and names each line', async () => {
    const r = await run('iptables', 'check', iorchard);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${iorchard}:39: error: 'x.x.x.x' is not an IPv4 address`);
    expect(r.out).toMatch(/NOT OK/);
  });

  it('reads an -L -n -v listing, says the table was inferred, and lists unknown rules', async () => {
    const r = await run('iptables', 'check', path.join(listDir, 'kops-vpc-cni-master.iptables-t-nat-L-n-v.txt'), '-o', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ format: 'iptables -L', table: { name: 'nat', how: 'inferred' }, totals: { rules: 41 } });
    const given = JSON.parse((await run('iptables', 'check', seedNat, '--table', 'nat', '-o', 'json')).out);
    expect(given.table).toEqual({ name: 'nat', how: 'given' });
  });

  it('fails with one line naming the file when it cannot be read', async () => {
    const r = await run('iptables', 'check', '/nonexistent/iptables.txt');
    expect(r.code).toBe(2);
    expect(r.err).toBe('podpath: /nonexistent/iptables.txt: cannot read iptables file: no such file (ENOENT)\n');
  });
});

describe('podpath iptables trace', () => {
  const seedArgs = ['iptables', 'trace', seedNat, '--src', '10.244.1.5', '--in', 'cbr0', '--out', 'eth0', '--addr', 'eth0=172.20.0.23/24'];

  it('shows the seed MASQUERADE rule missing a pod -> RDS packet by its ! -d 10.0.0.0/8, with its line', async () => {
    const r = await run(...seedArgs, '--dst', '10.0.18.52:5432');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/verdict: ACCEPTED/);
    expect(r.out).toContain(`near miss  ${seedNat}:12  -A POSTROUTING -o eth0 ! -d 10.0.0.0/8 -j MASQUERADE  (! -d 10.0.0.0/8: 10.0.18.52 is inside 10.0.0.0/8)`);
    expect(r.out).toMatch(/forwarded out eth0 as 10\.244\.1\.5:40000 > 10\.0\.18\.52:5432/);
  });

  it('masquerades to the out interface address and un-NATs the reply', async () => {
    const r = await run(...seedArgs, '--dst', '8.8.8.8:53', '--proto', 'udp', '-o', 'json');
    const doc = JSON.parse(r.out);
    const [b] = doc.branches;
    expect(b.nat).toEqual([expect.objectContaining({ kind: 'MASQUERADE', hook: 'POSTROUTING', rule: expect.objectContaining({ ref: `${seedNat}:12` }) })]);
    expect(b.packetOut).toMatchObject({ src: '172.20.0.23', sport: 40000 });
    expect(b.reply).toMatchObject({ outcome: 'returned', packetIn: { src: '8.8.8.8', dst: '172.20.0.23' }, packetOut: { src: '8.8.8.8', dst: '10.244.1.5', dport: 40000 } });
  });

  it('answers calico\'s -m set masquerade rule from --ipset, and says unknown without it', async () => {
    const calico = path.join(saveDir, 'calico-vxlan-kubeproxy-ipvs-zhongmingmao.nat.iptables-save');
    const dir = mkdtempSync(path.join(tmpdir(), 'podpath-ipset-'));
    try {
      const ipset = path.join(dir, 'ipset.save');
      // The sets this node's rules name: kube-proxy IPVS mode's and calico's, as `ipset save` prints them.
      writeFileSync(ipset, [
        'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536', 'add KUBE-CLUSTER-IP 10.96.0.1,tcp:443',
        'create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536', 'add KUBE-LOOP-BACK 10.244.1.9,tcp:8080,10.244.1.9',
        'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535', 'add KUBE-NODE-PORT-TCP 30080',
        'create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576', 'add cali40masq-ipam-pools 10.244.0.0/16',
        'create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576', 'add cali40all-ipam-pools 10.244.0.0/16', '',
      ].join('\n'));
      const args = ['iptables', 'trace', calico, '--src', '10.244.1.5', '--dst', '8.8.8.8:443', '--in', 'cali1234', '--out', 'eth0', '--addr', 'eth0=192.168.1.10/24'];
      const doc = JSON.parse((await run(...args, '--ipset', ipset, '-o', 'json')).out);
      expect(doc.branches[0].nat).toEqual([expect.objectContaining({ kind: 'MASQUERADE', rule: expect.objectContaining({ ref: `${calico}:66` }) })]);
      expect(doc.branches[0].packetOut).toMatchObject({ src: '192.168.1.10' });
      const without = await run(...args);
      expect(without.out).toMatch(/verdict: UNKNOWN/);
      expect(without.out).toContain("the node's ipsets are not given (ipset save)");
      writeFileSync(ipset, 'create a hash:ip\nadd a 10.0.0.300\n');
      const bad = await run(...args, '--ipset', ipset);
      expect(bad.code).toBe(2);
      expect(bad.err.trim()).toBe(`podpath: ${ipset}:2: set a (hash:ip): '10.0.0.300' is not an IPv4 address or prefix`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without --addr, MASQUERADE answers unknown and names the missing address', async () => {
    const r = await run('iptables', 'trace', seedNat, '--src', '10.244.1.5', '--dst', '8.8.8.8:53', '--proto', 'udp', '--in', 'cbr0', '--out', 'eth0');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/verdict: UNKNOWN/);
    expect(r.out).toContain('the address of eth0 is not known');
  });

  it('forks a pod -> ClusterIP packet into one DNAT branch per endpoint and un-DNATs each reply', async () => {
    const r = await run('iptables', 'trace', kind, '--src', '10.244.0.7', '--dst', '10.96.0.10:53', '--proto', 'udp', '--in', 'veth1', '--out', 'eth0', '--addr', 'eth0=172.18.0.5/16', '-o', 'json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.verdict).toBe('accepted');
    expect(doc.branches.map((b: { probability: number; packetOut: { dst: string } }) => [b.probability, b.packetOut.dst])).toEqual([[0.5, '10.244.0.3'], [0.5, '10.244.0.4']]);
    for (const b of doc.branches) expect(b.reply.packetOut).toMatchObject({ src: '10.96.0.10', sport: 53, dst: '10.244.0.7' });
  });

  it('stops at a DROP and names the rule (filter FORWARD policy of a docker host)', async () => {
    const docker = path.join(saveDir, 'docker-host-topos-v1.6.0.iptables-save');
    const r = await run('iptables', 'trace', docker, '--src', '10.9.9.9', '--dst', '10.0.0.1:9999', '--in', 'eth9', '--out', 'eth8', '--addr', 'eth0=192.168.1.2/24');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/verdict: DROPPED/);
    expect(r.out).toContain('dropped: dropped in FORWARD by the policy of filter FORWARD');
  });

  it.each([
    [['--in', 'eth0', '--local'], 'give exactly one of --in IFACE'],
    [['--local', '--addr', 'eth0'], '--addr eth0: expected IFACE=IP/LEN'],
  ])('rejects bad usage %j with one line', async (extra, message) => {
    const r = await run('iptables', 'trace', seedNat, '--src', '10.244.1.5', '--dst', '1.2.3.4:80', ...extra);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('refuses a dump with parse errors, naming the first bad line', async () => {
    const r = await run('iptables', 'trace', iorchard, '--src', '10.0.0.1', '--dst', '10.0.0.2:80', '--local');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^podpath: ${iorchard.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:39: 'x\\.x\\.x\\.x' is not an IPv4 address`));
  });
});

describe('podpath iptables trace: the reply through conntrack', () => {
  it('says where conntrack undoes the MASQUERADE: at nat priority in PREROUTING, after mangle', async () => {
    const r = await run('iptables', 'trace', seedNat, '--src', '10.244.1.5', '--dst', '8.8.8.8:53', '--proto', 'udp', '--in', 'cbr0', '--out', 'eth0', '--addr', 'eth0=172.20.0.23/24');
    expect(r.code).toBe(0);
    expect(r.out).toContain('(conntrack at nat priority: destination 172.20.0.23:40000 -> 10.244.1.5:40000 (SNAT undone))');
  });

  it('traces SCTP (--proto sctp) through kube-proxy\'s SCTP Service rules, reply included', async () => {
    // kube-proxy's TestClusterIPEndpointsMore dump, with the built-in chains and the jump kube-proxy installs separately.
    const dump = readFileSync(path.join(corpusDir, 'kube-proxy-tests/03-TestClusterIPEndpointsMore.iptables-save'), 'utf8')
      .replace('*filter\n', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n')
      .replace('*nat\n', '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n')
      .replace(/COMMIT\n$/, '-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'podpath-sctp-'));
    try {
      const file = path.join(dir, 'sctp.iptables-save');
      writeFileSync(file, dump);
      const r = await run('iptables', 'trace', file, '--src', '10.180.0.2', '--dst', '172.30.0.41:80', '--proto', 'sctp', '--in', 'cni0', '--out', 'eth0', '--addr', 'eth0=192.168.0.2/24');
      expect(r.code).toBe(0);
      expect(r.out).toContain('forwarded: forwarded out eth0 as 10.180.0.2:40000 > 10.180.0.1:80');
      expect(r.out).toContain('10.180.0.2:40000 > 172.30.0.41:80 sctp  ->  10.180.0.2:40000 > 10.180.0.1:80 sctp');
      expect(r.out).toMatch(/reply \(returned\): the reply reaches the client as 172\.30\.0\.41:80 > 10\.180\.0\.2:40000/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
