/** `iptables -S` listings: the same rules as iptables-save, one table named by the caller. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesListing } from '../../../src/linux/iptables/listing.js';
import { walkHook } from '../../../src/linux/iptables/walk.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import { listDir, node, pkt, ruleCounts } from './helpers.js';

const listing = (name: string, table: 'nat' | 'filter') =>
  parseIptablesListing({ text: readFileSync(path.join(listDir, name), 'utf8'), file: name }, table);

describe('parseIptablesListing', () => {
  it.each([
    ['eks-vpc-cni-node1.iptables-t-nat-S.txt', 'nat', 43],
    ['eks-vpc-cni-trunk-node.iptables-S.txt', 'filter', 15],
    ['eks-vpc-cni-trunk-node.iptables-t-nat-S.txt', 'nat', 50],
    ['kops-vpc-cni-master.iptables-t-nat-S.txt', 'nat', 41],
    ['moby-usernet-portmap-nat.iptables-t-nat-S.txt', 'nat', 5],
  ] as const)('reads %s (%s) cleanly: %i rules', (name, table, rules) => {
    const { value, diagnostics } = listing(name, table);
    expect(diagnostics).toEqual([]);
    expect(ruleCounts(value)).toEqual({ [table]: rules });
  });

  it('reads -P policies, -N chains and the -A rules, with file lines (CRLF kops listing)', () => {
    const { value } = listing('kops-vpc-cni-master.iptables-t-nat-S.txt', 'nat');
    const nat = value.tables.get('nat')!;
    expect(nat.chains.get('POSTROUTING')).toMatchObject({ policy: 'ACCEPT', loc: { line: 4 } });
    const snat = nat.chains.get('AWS-SNAT-CHAIN-1')!.rules[0]!;
    expect(snat).toMatchObject({ loc: { line: 36 }, target: { name: 'SNAT', args: { randomFully: true, range: { from: parseIpv4('172.30.47.189') } } } });
  });

  it('reports commands a listing does not have', () => {
    const r = parseIptablesListing({ text: '-P INPUT ACCEPT\n-F INPUT\n' }, 'filter');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining("'-F'") })]);
  });
});

describe('EKS node (VPC CNI): pod -> peered VPC', () => {
  const rs = listing('eks-vpc-cni-trunk-node.iptables-t-nat-S.txt', 'nat').value;
  const p = pkt('172.31.9.169', '10.0.18.52', 'tcp', 40000, 5432);

  it('sets connmark 0x80 for a destination outside the VPC and restores it into the packet mark', () => {
    const [h] = walkHook(rs, 'PREROUTING', p, node({ inIface: 'eni1a2b3c' }), 0);
    expect(h).toMatchObject({ verdict: 'ACCEPT', mark: 0x80, connmark: 0x80 });
  });

  it('SNATs it to the node address in AWS-SNAT-CHAIN-0 (unlike the seed\'s ! -d 10.0.0.0/8 rule)', () => {
    const [h] = walkHook(rs, 'POSTROUTING', p, node({ outIface: 'eth0', locals: ['172.31.0.225'] }), 0);
    expect(h!.packet.src).toBe(parseIpv4('172.31.0.225'));
    expect(h!.tables.at(-1)!.nat).toMatchObject({ kind: 'SNAT', rule: { chain: 'AWS-SNAT-CHAIN-0', loc: { line: 37 } } });
  });

  it('leaves traffic inside the VPC CIDR alone', () => {
    const inside = pkt('172.31.9.169', '172.31.12.149', 'tcp', 40000, 80);
    const [h] = walkHook(rs, 'POSTROUTING', inside, node({ outIface: 'eth0', locals: ['172.31.0.225'] }), 0);
    expect(h!.packet).toEqual(inside);
  });
});
