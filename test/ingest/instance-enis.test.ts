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
