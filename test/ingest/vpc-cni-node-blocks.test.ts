/**
 * A VPC CNI node without an iptables-save.txt gets SNAT rules derived with its VPC's CIDR blocks
 * (the VPC of its instance's subnet). The blocks come from an index built once per snapshot
 * (vpcCidrsBySubnet in k8s-convert.ts): these cases pin which subnet and VPC win when an id is
 * listed twice (the first, as the former scans in input order answered) and the empty answer.
 */
import { describe, expect, it } from 'vitest';
import { emptyRecords, sortDocument } from '../../src/ingest/snapshot/collect-docs.js';
import { convertK8s } from '../../src/ingest/snapshot/k8s-convert.js';
import { SnapshotNotes } from '../../src/ingest/snapshot/notes.js';
import type { ClusterProfile } from '../../src/ingest/snapshot/k8s-profile.js';

type Aws = Parameters<typeof convertK8s>[1];
const PROFILE: ClusterProfile = { kind: 'aws-vpc-cni', externalSnat: false, excludeSnatCidrs: [] };

/** The VPC blocks each node's derived rules were written with, read from their `derived` text. */
function nodeVpcBlocks(subnets: [string, string][], vpcs: [string, string[]][], instances: [string, string][]): Record<string, string> {
  const r = emptyRecords();
  const notes = new SnapshotNotes();
  const items = instances.map(([id], n) => ({ metadata: { name: `n${n}` }, spec: { providerID: `aws:///us-east-1a/${id}` } }));
  sortDocument({ file: 'k8s/nodes.json', value: { kind: 'NodeList', items }, unwrapped: false }, r, notes);
  const aws = {
    instances: instances.map(([id, subnet], n) => ({ id, subnet, privateIp: `10.0.0.${n + 10}` })),
    subnets: subnets.map(([id, vpc]) => ({ id, vpc, cidr: '10.0.0.0/24' })),
    vpcs: vpcs.map(([id, cidrBlocks]) => ({ id, cidrBlocks })),
  } as unknown as Aws;
  const { nodes } = convertK8s(r, aws, new Map(), PROFILE, undefined, notes);
  return Object.fromEntries(nodes.map((n) => [n.name, /; VPC ([^);]*)[);]/.exec((n.iptables as { derived: string }).derived)?.[1] ?? '(no settings)']));
}

describe('VPC CNI node rules: the VPC blocks of the node\'s subnet', () => {
  const vpcs: [string, string[]][] = [['vpc-1', ['10.1.0.0/16']], ['vpc-2', ['10.2.0.0/16', '100.64.0.0/16']], ['vpc-3', ['10.3.0.0/16']]];

  it('each node gets its own subnet\'s VPC blocks', () => {
    const subnets: [string, string][] = [['subnet-a', 'vpc-1'], ['subnet-b', 'vpc-2'], ['subnet-c', 'vpc-3']];
    expect(nodeVpcBlocks(subnets, vpcs, [['i-1', 'subnet-b'], ['i-2', 'subnet-a'], ['i-3', 'subnet-b']]))
      .toEqual({ n0: '10.2.0.0/16, 100.64.0.0/16', n1: '10.1.0.0/16', n2: '10.2.0.0/16, 100.64.0.0/16' });
  });

  it('a subnet id listed twice answers with the first listing\'s VPC', () => {
    expect(nodeVpcBlocks([['subnet-a', 'vpc-1'], ['subnet-a', 'vpc-3']], vpcs, [['i-1', 'subnet-a']])).toEqual({ n0: '10.1.0.0/16' });
    expect(nodeVpcBlocks([['subnet-a', 'vpc-3'], ['subnet-a', 'vpc-1']], vpcs, [['i-1', 'subnet-a']])).toEqual({ n0: '10.3.0.0/16' });
  });

  it('a VPC id listed twice answers with the first listing\'s blocks', () => {
    const twice: [string, string[]][] = [['vpc-1', ['10.1.0.0/16']], ['vpc-1', ['10.9.0.0/16']]];
    expect(nodeVpcBlocks([['subnet-a', 'vpc-1']], twice, [['i-1', 'subnet-a']])).toEqual({ n0: '10.1.0.0/16' });
    expect(nodeVpcBlocks([['subnet-a', 'vpc-1']], [...twice].reverse(), [['i-1', 'subnet-a']])).toEqual({ n0: '10.9.0.0/16' });
  });

  it('a subnet or VPC the snapshot does not hold gives no blocks', () => {
    expect(nodeVpcBlocks([['subnet-a', 'vpc-8']], vpcs, [['i-1', 'subnet-a'], ['i-2', 'subnet-z']])).toEqual({ n0: '', n1: '' });
  });
});
