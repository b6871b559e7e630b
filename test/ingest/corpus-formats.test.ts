import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, parseJsonText } from '../../src/ingest/snapshot/json-file.js';
import { emptyRecords, sortDocument } from '../../src/ingest/snapshot/collect-docs.js';
import { SnapshotNotes } from '../../src/ingest/snapshot/notes.js';
import { PodpathError } from '../../src/model/errors.js';
import { corpus } from '../helpers/estates.js';

const awsDir = join(corpus, 'aws');
const kubectlDir = join(corpus, 'kubectl');

function sortFile(file: string) {
  const records = emptyRecords();
  const notes = new SnapshotNotes();
  return { found: sortDocument(readJsonFile(file), records, notes), records, notes };
}

function errorOf(f: () => unknown): PodpathError {
  try {
    f();
  } catch (e) {
    if (e instanceof PodpathError) return e;
    throw e;
  }
  throw new Error('expected a PodpathError');
}

describe('real AWS CLI and recorded API outputs (corpus/aws)', () => {
  const valid = readdirSync(awsDir).filter((f) => !f.includes('INVALID') && f !== 'awsdocs-describe-instances.json');
  it.each(valid)('recognises and reads %s', (f) => {
    const { found } = sortFile(join(awsDir, f));
    expect(found?.kind).toMatch(/^describe-/);
    expect(found!.items).toBeGreaterThan(0);
  });

  it.each([
    ['awsdocs-describe-security-groups.INVALID-trailing-comma.json', 53],
    ['awsdocs-describe-subnets.INVALID-single-quoted-value.json', 17],
    ['awsdocs-describe-db-instances.INVALID-truncated.json', 14],
  ])('rejects %s with its file and line %i', (f, line) => {
    const e = errorOf(() => readJsonFile(join(awsDir, f)));
    expect(e.code).toBe('PP_PARSE');
    expect(e.file).toBe(join(awsDir, f));
    expect(e.line).toBe(line);
    expect(e.oneLine()).not.toMatch(/\n|at Object|\.ts:/);
  });

  it('rejects a private address that is not an address with the JSON path and the line of the field', () => {
    const file = join(awsDir, 'awsdocs-describe-instances.json');
    const e = errorOf(() => sortFile(file));
    expect(e.code).toBe('PP_SCHEMA');
    expect(e.message).toMatch(/not an IPv4 address at Reservations\[0\]\.Instances\[0\]\.PrivateIpAddress/);
    expect(readJsonFile(file) && e.line).toBeGreaterThan(1);
  });

  it('unwraps recorded {status_code, data} responses and drops ResponseMetadata', () => {
    const doc = readJsonFile(join(awsDir, 'custodian-peer-miss-route.describe-vpc-peering-connections.placebo.json'));
    expect(doc.unwrapped).toBe(true);
    expect(Object.keys(doc.value as object)).toEqual(['VpcPeeringConnections']);
  });

  it('reads NACL entries of both directions and sets IPv6 entries aside', () => {
    const { records } = sortFile(join(awsDir, 'awsdocs-describe-network-acls.json'));
    expect(records.networkAcls.flatMap((a) => a.Entries).some((e) => e.Ipv6CidrBlock)).toBe(true);
  });
});

describe('real kubectl / API lists (corpus/kubectl)', () => {
  it.each([
    ['vm-minikube-nodelist.json', 'Node', 1],
    ['vm-minikube-podlist.json', 'Pod', 1],
    ['vm-minikube-servicelist.json', 'Service', 1],
    ['vm-endpointslicelist.json', 'EndpointSlice', 2],
  ])('reads the typed list %s', (f, kind, n) => {
    const { found } = sortFile(join(kubectlDir, f));
    expect(found?.kind).toContain(`${n} ${kind}`);
  });

  it('lists the legacy Endpoints kind as ignored, not as an error', () => {
    const { notes } = sortFile(join(kubectlDir, 'vm-minikube-endpointslist.json'));
    expect(notes.ignored[0]?.what).toMatch(/^Endpoints default\/kubernetes/);
  });
});

describe('JSON parse errors', () => {
  it('points at the line of the offending character, also for CRLF text', () => {
    const e = errorOf(() => parseJsonText('{\r\n  "a": 1,\r\n  "b": tru\r\n}\r\n', 'x.json'));
    expect(e.line).toBe(3);
  });
  it('points at the last line when the text ends early', () => {
    const e = errorOf(() => parseJsonText('{\n  "a": [1, 2\n', 'x.json'));
    expect(e.line).toBe(3);
  });
});
