/** Instance interfaces from describe-instances and describe-network-interfaces: secondary addresses and delegated prefixes. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld } from '../../src/trace/world.js';
import { repoRoot, traceOne } from '../helpers/estates.js';

/** Parsed describe-* JSON, edited in place by the tests. */
type Json = Record<string, unknown>;

/** The vpc-cni snapshot with its JSON edited by `edit` (file name -> parsed JSON -> changed in place). */
function editedVpcCni(edit: Record<string, (doc: Json) => void>) {
  const copy = mkdtempSync(join(tmpdir(), 'podpath-enis-'));
  cpSync(join(repoRoot, 'test/fixtures/snapshots/vpc-cni'), copy, { recursive: true });
  for (const [file, change] of Object.entries(edit)) {
    const path = join(copy, 'aws', file);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    change(doc);
    writeFileSync(path, JSON.stringify(doc, null, 2));
  }
  return { copy, ...inspectSnapshot(copy) };
}

const nodeEni = (doc: Json): Json => (doc as { Reservations: { Instances: { NetworkInterfaces: Json[] }[] }[] }).Reservations[0]!.Instances[0]!.NetworkInterfaces[0]!;

describe('delegated prefixes read from the snapshot', () => {
  it('reads Ipv4Prefixes of the primary interface from describe-instances, and a pod in one is traced through the ENI check', () => {
    const { copy, estate } = editedVpcCni({ 'instances.json': (d) => { nodeEni(d).Ipv4Prefixes = [{ Ipv4Prefix: '192.168.50.16/28' }]; } });
    try {
      expect(estate.instances[0]!.ipv4Prefixes).toEqual(['192.168.50.16/28']);
      const pod = { ...estate.pods[0]!, name: 'shop/prefix-pod', ip: '192.168.50.20' };
      const routes = estate.nodes[0]!.routes!;
      const node = { ...estate.nodes[0]!, routes: { ...routes, text: `${routes.text}192.168.50.20 dev eni9d8c7b6a5f4 scope link\n` } };
      const w = compileWorld({ ...estate, nodes: [node], pods: [...estate.pods, pod] });
      const t = traceOne(w, { src: 'pod:shop/prefix-pod', dst: '93.184.216.34:443' });
      expect(t.verdict).toBe('delivered');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('takes an attached interface from describe-network-interfaces over describe-instances\' copy, and warns about a prefix that is not an IPv4 /28', () => {
    const { copy, estate, notes } = editedVpcCni({
      'enis.json': (d) => {
        const described = { ...nodeEni(JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/snapshots/vpc-cni/aws/instances.json'), 'utf8'))) };
        described.Attachment = { ...(described.Attachment as Json), InstanceId: 'i-0123456789abcdef1' };
        described.Ipv4Prefixes = [{ Ipv4Prefix: '192.168.50.32/28' }, { Ipv4Prefix: '2001:db8::/80' }];
        (d as { NetworkInterfaces: Json[] }).NetworkInterfaces.push(described);
      },
    });
    try {
      expect(estate.instances[0]!.ipv4Prefixes).toEqual(['192.168.50.32/28']);
      expect(estate.instances[0]!.secondaryIps).toEqual(['192.168.41.7', '192.168.45.3']);
      expect(notes.warnings.map((w) => w.message)).toContain("eni-0a0b0c0d0e0f01020 of i-0123456789abcdef1: delegated prefix '2001:db8::/80' is not an IPv4 /28; left out");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('secondary ENIs read from the snapshot', () => {
  it('keeps each attached interface as its own ENI (device index, subnet, addresses, groups, MAC), and reads the node\'s ip-addr.txt', () => {
    const { copy, estate, notes } = editedVpcCni({
      'instances.json': (d) => {
        const i = (d as { Reservations: { Instances: { NetworkInterfaces: Json[] }[] }[] }).Reservations[0]!.Instances[0]!;
        nodeEni(d).MacAddress = '02:1A:2B:3C:4D:5E';
        i.NetworkInterfaces.push({
          NetworkInterfaceId: 'eni-0ffee0ffee0ffee01', SubnetId: 'subnet-0a1a2a3a4a5a6a7a8', MacAddress: '02:aa:bb:cc:dd:01', SourceDestCheck: true,
          Attachment: { DeviceIndex: 1 }, Groups: [{ GroupId: 'sg-0e1e2e3e4e5e6e7e8' }, { GroupId: 'sg-0notinsnapshot00' }],
          PrivateIpAddress: '192.168.50.9',
          PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '192.168.50.9' }, { Primary: false, PrivateIpAddress: '192.168.50.10' }],
          Ipv4Prefixes: [{ Ipv4Prefix: '192.168.51.0/28' }],
        });
      },
    });
    try {
      const inst = estate.instances[0]!;
      expect(inst.mac).toBe('02:1a:2b:3c:4d:5e');
      expect(inst.secondaryIps).toEqual(['192.168.41.7', '192.168.45.3']);
      expect(inst.secondaryEnis).toEqual([{
        id: 'eni-0ffee0ffee0ffee01', deviceIndex: 1, subnet: 'subnet-0a1a2a3a4a5a6a7a8', privateIp: '192.168.50.9', secondaryIps: ['192.168.50.10'],
        ipv4Prefixes: ['192.168.51.0/28'], securityGroups: ['sg-0e1e2e3e4e5e6e7e8'], sourceDestCheck: true, mac: '02:aa:bb:cc:dd:01',
      }]);
      expect(notes.warnings.map((w) => w.message)).toContain('eni-0ffee0ffee0ffee01 of i-0123456789abcdef1: security group sg-0notinsnapshot00 is not in the snapshot; left out');
      const w = compileWorld(estate);
      expect(w.instanceEnis.get('i-0123456789abcdef1')!.map((e) => e.id)).toEqual(['eni-of-i-0123456789abcdef1', 'eni-0ffee0ffee0ffee01']);
      expect(w.enis.get(w.instanceEnis.get('i-0123456789abcdef1')![1]!.primary)?.id).toBe('eni-0ffee0ffee0ffee01');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('binds the node\'s interfaces by the MACs in nodes/<name>/ip-addr.txt, and leaves an ENI two interfaces claim unbound', () => {
    const { copy } = editedVpcCni({ 'instances.json': (d) => { nodeEni(d).MacAddress = '02:1a:2b:3c:4d:5e'; } });
    try {
      const node = 'ip-192-168-40-12.eu-west-1.compute.internal';
      const ipAddr = (name: string) => `2: ${name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP group default qlen 1000\n    link/ether 02:1a:2b:3c:4d:5e brd ff:ff:ff:ff:ff:ff\n`;
      writeFileSync(join(copy, 'nodes', node, 'ip-addr.txt'), ipAddr('eth0'));
      const snap = inspectSnapshot(copy);
      expect(snap.estate.nodes[0]!.ipAddr?.file).toBe(join(copy, 'nodes', node, 'ip-addr.txt'));
      const n = compileWorld(snap.estate).nodes.get(node)!;
      expect(n.interfaces.map((i) => [i.name, i.eni.id, i.boundBy.split(' (')[0]])).toEqual([['eth0', 'eni-of-i-0123456789abcdef1', 'MAC 02:1a:2b:3c:4d:5e']]);
      // ip-route.txt puts the node address on eth0 (src 192.168.40.12) while ip addr gives the ENI's MAC to ens5.
      writeFileSync(join(copy, 'nodes', node, 'ip-addr.txt'), ipAddr('ens5'));
      const m = compileWorld(inspectSnapshot(copy).estate).nodes.get(node)!;
      expect(m.interfaces).toEqual([]);
      expect(m.ifaceConflicts).toEqual(['eni-of-i-0123456789abcdef1 matches interfaces ens5 and eth0']);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
