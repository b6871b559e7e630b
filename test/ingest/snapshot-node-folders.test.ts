/**
 * How a snapshot's node folders are read (src/ingest/snapshot/load.ts): folder listing, text
 * digests, and that reading them before the JSON files changes neither the notes' order nor which
 * error a bad snapshot reports. Also the RDS subnet choice, found through an index since.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { readTextSource, textSourceReader } from '../../src/ingest/snapshot/text-source.js';
import { PodpathError } from '../../src/model/errors.js';
import { repoRoot } from '../helpers/estates.js';

const node = 'ip-192-168-40-12.eu-west-1.compute.internal';
const sha256 = (x: string | Buffer) => createHash('sha256').update(x).digest('hex');

/** Runs `f` on a fresh copy of the vpc-cni snapshot (removed afterwards). */
function withCopy<T>(f: (copy: string) => T): T {
  const copy = mkdtempSync(join(tmpdir(), 'podpath-nodes-'));
  try {
    cpSync(join(repoRoot, 'test/fixtures/snapshots/vpc-cni'), copy, { recursive: true });
    return f(copy);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe('node file texts and their digests', () => {
  it('a valid UTF-8 file (byte order mark, multi-byte characters) keeps its text, and its digest is the sha256 of that text', () => {
    withCopy((copy) => {
      const file = join(copy, 'resolv.conf');
      writeFileSync(file, '\uFEFF# café ☕ 𝄞\nnameserver 10.100.0.10\n');
      const src = readTextSource(file);
      expect(src.text).toBe(readFileSync(file, 'utf8'));
      expect(src.text.startsWith('\uFEFF# café')).toBe(true);
      expect(src.digest).toBe(sha256(src.text));
    });
  });

  it('an all-ASCII file (every byte 0..127) reads as the same text as a UTF-8 read gives', () => {
    withCopy((copy) => {
      const file = join(copy, 'iptables-save.txt');
      writeFileSync(file, Buffer.from(Array.from({ length: 128 }, (_, i) => i)));
      const src = readTextSource(file);
      expect(src.text).toBe(readFileSync(file, 'utf8'));
      expect(src.text.length).toBe(128);
      expect(src.digest).toBe(sha256(src.text));
    });
  });

  it('one reader, whose buffer is reused, reads a large file and then a smaller one exactly', () => {
    withCopy((copy) => {
      const read = textSourceReader();
      const [big, small] = [join(copy, 'big.txt'), join(copy, 'small.txt')];
      writeFileSync(big, '-A KUBE-SERVICES -j ACCEPT\n'.repeat(20_000));
      writeFileSync(small, 'nameserver 10.100.0.10\n');
      const first = read(big);
      const second = read(small);
      expect(first.text).toBe(readFileSync(big, 'utf8'));
      expect(second.text).toBe('nameserver 10.100.0.10\n');
      expect(second.digest).toBe(sha256(second.text));
      expect(read(big).text).toBe(first.text);
    });
  });

  it.runIf(existsSync('/proc/version'))('reads a file whose size the kernel reports as 0 (/proc) whole', () => {
    const src = readTextSource('/proc/version');
    expect(src.text.length).toBeGreaterThan(0);
    expect(src.text).toBe(readFileSync('/proc/version', 'utf8'));
  });

  it('a file with bytes that are not UTF-8 gets the digest of its decoded text (U+FFFD for each bad byte), not of its bytes', () => {
    withCopy((copy) => {
      const file = join(copy, 'resolv.conf');
      const bytes = Buffer.concat([Buffer.from('nameserver 10.0.0.2 # '), Buffer.from([0xff, 0xc3]), Buffer.from('\n')]);
      writeFileSync(file, bytes);
      const src = readTextSource(file);
      expect(src.text).toBe('nameserver 10.0.0.2 # \uFFFD\uFFFD\n');
      expect(src.digest).toBe(sha256(src.text));
      expect(src.digest).not.toBe(sha256(bytes));
    });
  });
});

describe('listing nodes/', () => {
  it('reads a node folder that is a symbolic link, and passes over plain files in nodes/', () => {
    withCopy((copy) => {
      const real = join(copy, 'elsewhere');
      renameSync(join(copy, 'nodes', node), real);
      symlinkSync(real, join(copy, 'nodes', node), 'dir');
      writeFileSync(join(copy, 'nodes', 'README'), 'not a node\n');
      const { estate, notes } = inspectSnapshot(copy);
      expect(notes.found.map((f) => f.file)).toContain(join(copy, 'nodes', node, 'ip-route.txt'));
      expect(estate.nodes.find((n) => n.name === node)?.routes?.file).toBe(join(copy, 'nodes', node, 'ip-route.txt'));
      expect(JSON.stringify(notes)).not.toContain('README');
    });
  });
});

describe('node folders are read before the JSON files, as if after them', () => {
  it('lists what the JSON files held and left out before what the node folders did', () => {
    withCopy((copy) => {
      writeFileSync(join(copy, 'aws', 'zz-unknown.json'), '{"Hello": []}');
      writeFileSync(join(copy, 'nodes', node, 'extra.txt'), 'x\n');
      const { notes } = inspectSnapshot(copy);
      const ignored = notes.ignored.map((i) => i.what);
      const [json, nodeFile] = [ignored.indexOf(join(copy, 'aws', 'zz-unknown.json')), ignored.indexOf(join(copy, 'nodes', node, 'extra.txt'))];
      expect(json).toBeGreaterThanOrEqual(0);
      expect(nodeFile).toBe(json + 1);
      const found = notes.found.map((f) => f.file);
      const lastJson = Math.max(...found.map((f, i) => (f.endsWith('.json') ? i : -1)));
      expect(found.indexOf(join(copy, 'nodes', node, 'ip-route.txt'))).toBe(lastJson + 1);
    });
  });

  it('a broken JSON file is the error reported even when a node file cannot be read either', () => {
    withCopy((copy) => {
      writeFileSync(join(copy, 'aws', 'broken.json'), '{\n  "Vpcs": [\n');
      mkdirSync(join(copy, 'nodes', node, 'resolv.conf'));
      let error: unknown;
      try { inspectSnapshot(copy); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(PodpathError);
      expect((error as PodpathError).file).toBe(join(copy, 'aws', 'broken.json'));
      expect((error as PodpathError).code).toBe('PP_PARSE');
    });
  });

  it('the node file error is still reported when the JSON files are fine: one line naming the file', () => {
    withCopy((copy) => {
      mkdirSync(join(copy, 'nodes', node, 'resolv.conf'));
      let error: unknown;
      try { inspectSnapshot(copy); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(PodpathError);
      expect((error as PodpathError).file).toBe(join(copy, 'nodes', node, 'resolv.conf'));
      expect((error as PodpathError).message).toBe('cannot read node file: it is a folder, not a file');
    });
  });

  it.each([
    ['a node folder', (copy: string) => join(copy, 'nodes', 'ghost-node'), 'cannot read node folder: no such file'],
    ['an entry of aws/', (copy: string) => join(copy, 'aws', 'ghost'), 'cannot read snapshot entry: no such file'],
  ])('%s that is a dangling link is a one-line error naming it', (_what, at, message) => {
    withCopy((copy) => {
      const path = at(copy);
      symlinkSync(join(copy, 'no-such-thing'), path);
      let error: unknown;
      try { inspectSnapshot(copy); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(PodpathError);
      expect((error as PodpathError).file).toBe(path);
      expect((error as PodpathError).message).toBe(message);
    });
  });

  it('a node file that is a dangling link is a one-line error naming it', () => {
    withCopy((copy) => {
      const file = join(copy, 'nodes', node, 'resolv.conf');
      rmSync(file, { force: true });
      symlinkSync(join(copy, 'no-such-file'), file);
      let error: unknown;
      try { inspectSnapshot(copy); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(PodpathError);
      expect((error as PodpathError).file).toBe(file);
      expect((error as PodpathError).message).toBe('cannot read node file: no such file');
    });
  });
});

describe('the subnet of an RDS address', () => {
  /** vpc-cni with a second subnet 10.60.0.0/16 listed first, overlapping the DB's subnet 10.60.3.0/24, and the DB subnet group given. */
  function rdsSubnet(group: string[], override = false): string | undefined {
    return withCopy((copy) => {
      const subnetsFile = join(copy, 'aws', 'subnets.json');
      const subnets = JSON.parse(readFileSync(subnetsFile, 'utf8')) as { Subnets: Record<string, unknown>[] };
      subnets.Subnets.unshift({ ...subnets.Subnets[2], SubnetId: 'subnet-0d1d2d3d4d5d6d7d8', CidrBlock: '10.60.0.0/16' });
      writeFileSync(subnetsFile, JSON.stringify(subnets));
      const rdsFile = join(copy, 'aws', 'rds.json');
      const rds = JSON.parse(readFileSync(rdsFile, 'utf8')) as { DBInstances: { DBSubnetGroup: { Subnets: unknown[] } }[] };
      rds.DBInstances[0]!.DBSubnetGroup.Subnets = group.map((id) => ({ SubnetIdentifier: id, SubnetStatus: 'Active' }));
      writeFileSync(rdsFile, JSON.stringify(rds));
      if (override) writeFileSync(join(copy, 'podpath.yaml'), `${readFileSync(join(copy, 'podpath.yaml'), 'utf8')}rds: { billing-db: 10.60.3.20 }\n`);
      return inspectSnapshot(copy).estate.rdsInstances.find((d) => d.id === 'billing-db')?.subnet;
    });
  }

  it('is a subnet of its DB subnet group that holds it, though an earlier subnet holds it too', () => {
    expect(rdsSubnet(['subnet-0c1c2c3c4c5c6c7c8'])).toBe('subnet-0c1c2c3c4c5c6c7c8');
  });

  it('is the first holding it in describe-subnets order when several of the group do', () => {
    expect(rdsSubnet(['subnet-0c1c2c3c4c5c6c7c8', 'subnet-0d1d2d3d4d5d6d7d8'])).toBe('subnet-0d1d2d3d4d5d6d7d8');
  });

  it('is the first subnet holding it when none of the group does', () => {
    expect(rdsSubnet(['subnet-0a1a2a3a4a5a6a7a8'], true)).toBe('subnet-0d1d2d3d4d5d6d7d8');
  });
});
