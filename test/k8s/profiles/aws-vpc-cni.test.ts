/**
 * The VPC CNI profile as aws-node reads its env and writes AWS-SNAT-CHAIN-0
 * (amazon-vpc-cni-k8s pkg/networkutils/network.go): Go bools, the SNAT port
 * randomisation, exclusions including 0.0.0.0/0, and the chain's exact lines,
 * compared with real EKS dumps and, where it can run, with the kernel's
 * iptables-save of the derived rules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsVpcCniFromEnv, deriveNatRules, type MasqProfile } from '../../../src/k8s/profiles/index.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { walkNodePath } from '../../../src/linux/iptables/node-path.js';
import { formatIpv4, parseIpv4 } from '../../../src/net/ipv4.js';
import { corpus } from '../../helpers/estates.js';
import { openNetns, oracleUnavailable, type Netns } from '../../linux/iptables/netns.js';
import { fixturesDir } from '../../linux/iptables/helpers.js';

const env = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));
const EXT = 'AWS_VPC_K8S_CNI_EXTERNALSNAT';

describe('aws-node env, read as aws-node reads it', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('EXTERNALSNAT=%s is true (strconv.ParseBool)', (v) => {
    expect(awsVpcCniFromEnv(env({ [EXT]: v }))).toMatchObject({ externalSnat: true, problems: [] });
  });

  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False', ''])('EXTERNALSNAT=%j is false', (v) => {
    expect(awsVpcCniFromEnv(env({ [EXT]: v }))).toMatchObject({ externalSnat: false, problems: [] });
  });

  it.each(['yes', 'on', 'TRue', ' true', 'enabled'])('EXTERNALSNAT=%j is not a Go bool: a problem, and the false aws-node falls back to', (v) => {
    const s = awsVpcCniFromEnv(env({ [EXT]: v }));
    expect(s.externalSnat).toBe(false);
    expect(s.problems).toEqual([expect.stringContaining(`${EXT}=${JSON.stringify(v)} is not a Go bool`)]);
  });

  it.each([['', 'prng'], ['prng', 'prng'], ['hashrandom', 'hashrandom'], ['none', 'none']] as const)('RANDOMIZESNAT=%j reads as %s', (v, want) => {
    expect(awsVpcCniFromEnv(env({ AWS_VPC_K8S_CNI_RANDOMIZESNAT: v }))).toMatchObject({ randomizeSnat: want, problems: [] });
  });

  it('RANDOMIZESNAT with another value is a problem, read as prng', () => {
    expect(awsVpcCniFromEnv(env({ AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'PRNG' }))).toMatchObject({ randomizeSnat: 'prng', problems: [expect.stringContaining('"PRNG" is not prng, hashrandom or none')] });
  });

  it('EXCLUDE_SNAT_CIDRS: entries trimmed and masked, 0.0.0.0/0 kept, IPv6 and bad entries skipped with a problem', () => {
    const s = awsVpcCniFromEnv(env({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: ' 10.0.0.5/16,0.0.0.0/0, fd00::/8,bogus,10.9.0.0' }));
    expect(s.excludeSnatCidrs).toEqual(['10.0.0.0/16', '0.0.0.0/0']);
    expect(s.problems).toEqual([
      expect.stringContaining('"fd00::/8" is IPv6'),
      expect.stringContaining('"bogus" is not a CIDR'),
      expect.stringContaining('"10.9.0.0" is not a CIDR'),
    ]);
  });
});

const NODE = '172.31.23.106';
const base: MasqProfile = { kind: 'aws-vpc-cni', vpcCidrs: ['172.31.0.0/16'], nodeIp: NODE };
/** The lines of `table` in iptables-save text that name an AWS chain or carry an AWS comment. */
const awsLines = (text: string, table: string) => {
  const start = text.indexOf(`*${table}\n`);
  if (start < 0) return [];
  return text.slice(start, text.indexOf('COMMIT', start)).split('\n').filter((l) => l.includes('AWS')).map((l) => l.trim());
};
const chainLines = (text: string) => text.split('\n').filter((l) => l.includes('AWS-SNAT-CHAIN-0')).map((l) => l.trim());

/** The source a forwarded pod packet leaves eth0 with. */
function leavesAs(profile: MasqProfile, dst: string, out = 'eth0'): string {
  const rs = parseIptablesSave({ text: deriveNatRules(profile).text, file: 'derived' }).value;
  const [h] = walkHook(rs, 'POSTROUTING', { src: parseIpv4('172.31.20.89'), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport: 443 }, {
    inIface: 'eni8ca2e41546c', outIface: out, ctState: 'NEW', isLocal: (ip) => ip === parseIpv4(NODE), ifaceAddress: () => parseIpv4(NODE),
  }, 0);
  return formatIpv4(h!.packet.src);
}

describe('AWS-SNAT-CHAIN-0 as aws-node writes it', () => {
  it('is, line for line, the chain of a real EKS node (corpus eks-vpc-cni-node1, iptables -t nat -S)', () => {
    const dump = readFileSync(join(corpus, 'iptables-list/eks-vpc-cni-node1.iptables-t-nat-S.txt'), 'utf8');
    const real = chainLines(dump).filter((l) => l.startsWith('-A'));
    expect(chainLines(deriveNatRules(base).text).filter((l) => l.startsWith('-A'))).toEqual(real);
  });

  it.each([['prng', ' --random-fully'], ['hashrandom', ' --random'], ['none', '']] as const)('RANDOMIZESNAT=%s ends the SNAT rule with %j', (r, flag) => {
    const last = chainLines(deriveNatRules({ ...base, randomizeSnat: r }).text).at(-1)!;
    expect(last).toBe(`-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${NODE}${flag}`);
  });

  it('an exclusion of 0.0.0.0/0 is a RETURN without -d: nothing is SNATed', () => {
    const p: MasqProfile = { ...base, excludeSnatCidrs: ['10.0.0.0/16', '0.0.0.0/0'] };
    expect(chainLines(deriveNatRules(p).text).slice(2, 5)).toEqual([
      '-A AWS-SNAT-CHAIN-0 -m comment --comment "AWS SNAT CHAIN EXCLUSION" -j RETURN',
      '-A AWS-SNAT-CHAIN-0 -d 10.0.0.0/16 -m comment --comment "AWS SNAT CHAIN EXCLUSION" -j RETURN',
      '-A AWS-SNAT-CHAIN-0 -d 172.31.0.0/16 -m comment --comment "AWS SNAT CHAIN" -j RETURN',
    ]);
    expect(leavesAs(p, '8.8.8.8')).toBe('172.31.20.89');
    expect(leavesAs(base, '8.8.8.8')).toBe(NODE);
  });

  it('SNATs neither VPC destinations nor traffic leaving on a branch ENI (vlan+)', () => {
    expect(leavesAs(base, '172.31.40.1')).toBe('172.31.20.89');
    expect(leavesAs(base, '8.8.8.8', 'vlan.eth.1')).toBe('172.31.20.89');
  });
});

describe('the VPC CNI connmark rules in the derived profile', () => {
  const mangleFixture = readFileSync(join(fixturesDir, 'eks-vpc-cni-mangle.iptables-save'), 'utf8');

  it('mangle PREROUTING is what aws-node writes (the fixture the kernel printed), nat PREROUTING and AWS-CONNMARK-CHAIN-0 as in iptables_connmark.go', () => {
    const text = deriveNatRules(base).text;
    expect(awsLines(text, 'mangle')).toEqual(awsLines(mangleFixture, 'mangle'));
    expect(awsLines(text, 'nat').filter((l) => l.includes('CONNMARK'))).toEqual([
      ':AWS-CONNMARK-CHAIN-0 - [0:0]',
      '-A PREROUTING -i eni+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0',
      '-A PREROUTING -m comment --comment "AWS, CONNMARK" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
      '-A AWS-CONNMARK-CHAIN-0 -d 172.31.0.0/16 -m comment --comment "AWS CONNMARK CHAIN" -j RETURN',
      '-A AWS-CONNMARK-CHAIN-0 -m comment --comment "AWS, CONNMARK" -j CONNMARK --set-xmark 0x80/0x80',
    ]);
  });

  it('a derived node marks a pod\'s connection to the internet (for rule 1024) and not one inside the VPC or an exclusion', () => {
    const p: MasqProfile = { ...base, excludeSnatCidrs: ['10.0.0.0/16'] };
    const rs = parseIptablesSave({ text: deriveNatRules(p).text, file: 'derived' }).value;
    const mark = (dst: string) => {
      const [path] = walkNodePath(rs, { packet: { src: parseIpv4('172.31.20.89'), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport: 443 }, start: { kind: 'arrives', inIface: 'eni8ca2e41546c' }, outIface: 'eth0', addresses: [{ iface: 'eth0', addr: parseIpv4(NODE), len: 20 }] });
      expect(path!.end.kind).toBe('forwarded');
      return path!.steps[0]!.outcome.mark;
    };
    expect([mark('8.8.8.8'), mark('172.31.40.1'), mark('10.0.3.3')]).toEqual([0x80, 0, 0]);
  });

  it('with EXTERNALSNAT the nat table has no AWS rules; the NodePort connmark rules stay', () => {
    const text = deriveNatRules({ ...base, externalSnat: true }).text;
    expect(awsLines(text, 'nat')).toEqual([]);
    expect(awsLines(text, 'mangle')).toHaveLength(3);
    expect(awsLines(deriveNatRules({ ...base, externalSnat: true, nodePortSupport: false }).text, 'mangle')).toEqual([]);
  });
});

const unavailable = oracleUnavailable();

describe.skipIf(unavailable !== undefined)('the derived chain, restored by the kernel (fresh network namespace)', () => {
  let ns: Netns;
  beforeAll(() => {
    ns = openNetns();
  });
  afterAll(() => ns?.close());

  it.each<[string, MasqProfile]>([
    ['defaults', base],
    ['hashrandom and exclusions incl. 0.0.0.0/0', { ...base, vpcCidrs: ['172.31.0.0/16', '100.64.0.0/16'], randomizeSnat: 'hashrandom', excludeSnatCidrs: ['10.0.0.0/16', '0.0.0.0/0'] }],
    ['none', { ...base, randomizeSnat: 'none' }],
    ['external SNAT (mangle connmark rules only)', { ...base, externalSnat: true }],
    ['no NodePort support', { ...base, nodePortSupport: false, primaryIface: 'ens5' }],
  ])('iptables-save prints the AWS lines byte for byte as derived (%s)', (_name, p) => {
    const text = deriveNatRules(p).text;
    expect(ns.restore(text)).toEqual({ ok: true, stderr: '' });
    for (const t of ['nat', 'mangle']) {
      const saved = ns.exec('iptables-save', ['-t', t]).stdout;
      expect(awsLines(saved, t)).toEqual(awsLines(text, t));
    }
  });
});
