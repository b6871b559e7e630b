/**
 * Lists longer than a call's argument limit: a spread of ~120,000 items into push() or splice()
 * overflows V8's stack, so the loader appends one by one.
 */
import { describe, expect, it } from 'vitest';
import { emptyRecords, sortDocument } from '../../src/ingest/snapshot/collect-docs.js';
import { keepOnePerId } from '../../src/ingest/snapshot/shared-records.js';
import { SnapshotNotes } from '../../src/ingest/snapshot/notes.js';

const MANY = 150_000;
const subnet = (i: number) => ({ SubnetId: `subnet-${i}`, VpcId: 'vpc-1', CidrBlock: `10.${(i >> 8) & 255}.${i & 255}.0/24` });

describe(`${MANY.toLocaleString('en')} records of one kind`, () => {
  it('a describe-subnets output of that many subnets is read whole', () => {
    const records = emptyRecords();
    const found = sortDocument({ file: 'aws/describe-subnets.json', value: { Subnets: Array.from({ length: MANY }, (_, i) => subnet(i)) }, unwrapped: false }, records, new SnapshotNotes());
    expect(found).toEqual({ kind: 'describe-subnets', items: MANY });
    expect(records.subnets).toHaveLength(MANY);
    expect(records.subnets[MANY - 1]).toMatchObject({ SubnetId: `subnet-${MANY - 1}`, file: 'aws/describe-subnets.json' });
  });

  it('keeping one record per id among that many drops only the repeated one, in order', () => {
    const records = emptyRecords();
    records.subnets.push(...Array.from({ length: 1000 }, (_, i) => ({ ...subnet(i), file: 'a.json' })));
    for (let i = 1000; i < MANY; i++) records.subnets.push({ ...subnet(i), file: 'a.json' });
    records.subnets.push({ ...subnet(7), file: 'b.json' });
    const notes = new SnapshotNotes();
    keepOnePerId(records, notes);
    expect(records.subnets).toHaveLength(MANY);
    expect(records.subnets.map((s) => s.SubnetId).slice(0, 3)).toEqual(['subnet-0', 'subnet-1', 'subnet-2']);
    expect(records.subnets.at(-1)!.SubnetId).toBe(`subnet-${MANY - 1}`);
    expect(notes.derived.map((d) => d.what)).toEqual(['subnet-7 (one object)']);
  });
});
