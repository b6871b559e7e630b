/**
 * The cluster address plan from the evidence a managed cluster's snapshot
 * holds (no kube-apiserver flags, no kubeadm-config, no podpath.yaml
 * cluster:): node podCIDRs, Service ClusterIPs, the DNS VIP.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { parseEstateYaml } from '../../src/ingest/estate-yaml.js';
import { contains, covers, formatPrefix, lastAddress, parseCidr, smallestCovering, type Prefix } from '../../src/net/prefix.js';
import { repoRoot, seedFile } from '../helpers/estates.js';

const seedSnapshot = join(repoRoot, 'examples/seed-2015');

/** A copy of a snapshot folder with some files rewritten; removed afterwards. */
function withCopy<T>(from: string, edit: (dir: string) => void, body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-evidence-'));
  try {
    cpSync(from, dir, { recursive: true });
    edit(dir);
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
/** A kubectl list item, loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test edits of arbitrary JSON
type Item = Record<string, any>;
function editJson(file: string, f: (doc: { items: Item[] }) => void): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { items: Item[] };
  f(doc);
  writeFileSync(file, JSON.stringify(doc));
}
/** The seed snapshot as a managed cluster shows it: no control-plane pods. */
const managed = (dir: string) => editJson(join(dir, 'k8s/pods.json'), (d) => { d.items = d.items.filter((p) => !String(p.metadata.name).startsWith('kube-')); });

describe('a snapshot without control-plane flags keeps what the objects say', () => {
  it('infers the pod CIDR from the nodes\' podCIDRs, keeps the DNS VIP and the ClusterIPs, and says the Service CIDR is unknown', () => withCopy(seedSnapshot, managed, (dir) => {
    const { estate, notes } = inspectSnapshot(dir);
    const c = estate.cluster!;
    expect(c.podCidr).toBe('10.244.0.0/22');
    expect(c.inferred).toEqual([{ field: 'podCidr', reason: expect.stringMatching(/^the smallest block covering the nodes' spec\.podCIDR \(10\.244\.1\.0\/24, 10\.244\.2\.0\/24\)/) }]);
    expect(c.serviceCidr).toBeUndefined();
    expect(c.dnsServiceIp).toBe('10.0.0.10');
    expect(c.clusterIPs).toEqual([{ ip: '10.0.0.10', service: 'kube-system/kube-dns' }]);
    expect(notes.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^the cluster's serviceCidr is not in the snapshot/)]);
    const warning = estate.notes.find((n) => n.kind === 'warning')!;
    expect(warning.disables).toEqual([expect.stringMatching(/^PP102 .*ClusterIPs only/)]);
    expect(estate.notes).toContainEqual(expect.objectContaining({ kind: 'derived', text: expect.stringMatching(/^cluster podCidr 10\.244\.0\.0\/22 \(inferred from the smallest block/) }));
  }));

  it('takes the DNS VIP from a node nameserver that is a ClusterIP when no kube-dns Service exists (inferred)', () => withCopy(seedSnapshot, (dir) => {
    managed(dir);
    editJson(join(dir, 'k8s/services.json'), (d) => { d.items[0]!.metadata = { name: 'resolver', namespace: 'infra' }; });
  }, (dir) => {
    const c = inspectSnapshot(dir).estate.cluster!;
    expect(c.dnsServiceIp).toBe('10.0.0.10');
    expect(c.inferred).toContainEqual({ field: 'dnsServiceIp', reason: expect.stringMatching(/^nameserver 10\.0\.0\.10 in .*node-1\/resolv\.conf is the ClusterIP of Service infra\/resolver$/) });
  }));

  it('keeps the ClusterIP of a Service podpath does not model (SCTP only) and skips headless ones', () => withCopy(seedSnapshot, (dir) => {
    editJson(join(dir, 'k8s/services.json'), (d) => {
      d.items.push({ kind: 'Service', metadata: { name: 'sctp', namespace: 'default' }, spec: { clusterIP: '10.0.3.4', clusterIPs: ['10.0.3.4', 'fd00::4'], ports: [{ port: 9, protocol: 'SCTP' }] } });
      d.items.push({ kind: 'Service', metadata: { name: 'headless', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    });
  }, (dir) => {
    const { estate } = inspectSnapshot(dir);
    expect(estate.services.map((s) => s.name)).toEqual(['kube-system/kube-dns']);
    expect(estate.cluster!.clusterIPs).toEqual([{ ip: '10.0.0.10', service: 'kube-system/kube-dns' }, { ip: '10.0.3.4', service: 'default/sctp' }]);
  }));

  it('reads the plan from the flags when they are there, nothing inferred', () => {
    const c = inspectSnapshot(seedSnapshot).estate.cluster!;
    expect(c).toMatchObject({ podCidr: '10.244.0.0/16', serviceCidr: '10.0.0.0/16', dnsServiceIp: '10.0.0.10', inferred: [] });
  });

  it('VPC CNI without podpath.yaml: no pod CIDR (pods use VPC addresses) is a note, not a warning; the DNS VIP is kept', () => withCopy(join(repoRoot, 'test/fixtures/snapshots/vpc-cni'), (dir) => rmSync(join(dir, 'podpath.yaml')), (dir) => {
    const { estate, notes } = inspectSnapshot(dir);
    expect(estate.cluster).toMatchObject({ dnsServiceIp: '10.100.0.10' });
    expect(estate.cluster!.podCidr).toBeUndefined();
    expect(notes.warnings.map((w) => w.message).join('\n')).not.toMatch(/podCidr/);
    expect(estate.notes).toContainEqual(expect.objectContaining({ kind: 'derived', text: expect.stringMatching(/^no cluster pod CIDR \(from the AWS VPC CNI gives pods addresses/) }));
  }));
});

describe('estate files', () => {
  it('list the Services\' ClusterIPs in cluster.clusterIPs', () => {
    const e = parseEstateYaml(readFileSync(seedFile, 'utf8'), seedFile);
    expect(e.cluster!.clusterIPs).toEqual([{ ip: '10.0.0.10', service: 'kube-system/kube-dns' }]);
    expect(e.cluster!.inferred).toEqual([]);
  });
});

describe('smallestCovering', () => {
  it.each([
    [['10.244.1.0/24', '10.244.2.0/24'], '10.244.0.0/22'],
    [['10.244.3.0/24'], '10.244.3.0/24'],
    [['10.244.0.0/24', '10.244.1.0/24'], '10.244.0.0/23'],
    [['10.0.0.0/8', '192.168.0.0/16'], '0.0.0.0/0'],
  ])('%j -> %s', (list, want) => {
    expect(formatPrefix(smallestCovering(list.map((c) => parseCidr(c)))!)).toBe(want);
  });

  it('covers every input, lies inside any block that covers them all, and no longer prefix covers them', () => {
    const prefix = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([a, len]): Prefix => ({ addr: (len === 0 ? 0 : (a & (0xffffffff << (32 - len)))) >>> 0, len }));
    fc.assert(fc.property(prefix, fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 8 }), (outer, seeds, extra) => {
      const len = Math.min(32, outer.len + extra);
      const size = lastAddress(outer) - outer.addr + 1;
      const inner = seeds.map((s): Prefix => {
        const ip = outer.addr + (s % size);
        return { addr: (len === 0 ? 0 : (ip & (0xffffffff << (32 - len)))) >>> 0, len };
      });
      const c = smallestCovering(inner)!;
      for (const p of inner) expect(covers(c, p)).toBe(true);
      expect(covers(outer, c)).toBe(true);
      if (c.len < 32) {
        const halves = [{ addr: c.addr, len: c.len + 1 }, { addr: (c.addr + 2 ** (31 - c.len)) >>> 0, len: c.len + 1 }];
        expect(halves.some((h) => inner.every((p) => covers(h, p)))).toBe(false);
      }
      expect(inner.every((p) => contains(c, p.addr))).toBe(true);
    }));
  });
});
