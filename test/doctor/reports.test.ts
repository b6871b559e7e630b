import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { XMLParser } from 'fast-xml-parser';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04Module from 'ajv-draft-04';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture, seedFile } from '../helpers/estates.js';
import { run } from '../helpers/run-cli.js';

/**
 * Two checks: the official SARIF 2.1.0 JSON schema (draft-04, shipped by the
 * @microsoft/jest-sarif package; validated with Ajv's draft-04 build), and
 * this stricter zod schema of the subset podpath emits, which also catches
 * properties the official schema would merely allow.
 */
// ajv-draft-04 is CommonJS: its class is the default export's default under NodeNext.
const AjvDraft04 = AjvDraft04Module.default;
const require = createRequire(import.meta.url);
const sarifSchemaFile = join(dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json');
const officialSarif = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(JSON.parse(readFileSync(sarifSchemaFile, 'utf8')));
const message = z.strictObject({ text: z.string().min(1) });
const sarif = z.strictObject({
  $schema: z.string().url(),
  version: z.literal('2.1.0'),
  runs: z.array(z.strictObject({
    tool: z.strictObject({ driver: z.strictObject({
      name: z.string().min(1),
      version: z.string(),
      rules: z.array(z.strictObject({
        id: z.string().min(1), name: z.string(), shortDescription: message, help: message,
        defaultConfiguration: z.strictObject({ level: z.enum(['none', 'note', 'warning', 'error']) }),
      })),
    }) }),
    invocations: z.array(z.strictObject({
      executionSuccessful: z.boolean(),
      toolExecutionNotifications: z.array(z.strictObject({
        level: z.enum(['none', 'note', 'warning', 'error']), message,
        locations: z.array(z.strictObject({ physicalLocation: z.strictObject({ artifactLocation: z.strictObject({ uri: z.string().min(1) }) }) })).optional(),
        properties: z.record(z.string(), z.unknown()),
      })),
    })).length(1),
    results: z.array(z.strictObject({
      ruleId: z.string(),
      ruleIndex: z.number().int().min(-1),
      level: z.enum(['none', 'note', 'warning', 'error']),
      message,
      locations: z.array(z.union([
        z.strictObject({ physicalLocation: z.strictObject({ artifactLocation: z.strictObject({ uri: z.string().min(1) }), region: z.strictObject({ startLine: z.number().int().min(1) }) }) }),
        z.strictObject({ logicalLocations: z.array(z.strictObject({ name: z.string(), kind: z.string() })).min(1) }),
      ])).min(1),
      partialFingerprints: z.record(z.string(), z.string()),
      properties: z.record(z.string(), z.unknown()),
    })),
  })).min(1),
});

describe('podpath doctor output formats and exit codes', () => {
  it('writes SARIF 2.1.0 whose results point at the estate lines and AWS resources', async () => {
    const r = await run('doctor', '--estate', seedFile, '-o', 'sarif');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(officialSarif(doc), JSON.stringify(officialSarif.errors?.slice(0, 3))).toBe(true);
    // The validator is live: a level SARIF does not define is rejected.
    const broken = structuredClone(doc);
    broken.runs[0].results[0].level = 'fatal';
    expect(officialSarif(broken)).toBe(false);
    const log = sarif.parse(doc);
    const results = log.runs[0]!.results;
    expect(results.map((x) => x.ruleId)).toEqual(expect.arrayContaining(['PP101', 'PP102', 'PP104', 'PP105']));
    for (const x of results) expect(log.runs[0]!.tool.driver.rules[x.ruleIndex]!.id).toBe(x.ruleId);
    expect(results.find((x) => x.ruleId === 'PP105')!.locations[0]).toEqual({ logicalLocations: [{ name: 'sg-rds', kind: 'resource' }] });
    // Loader notes travel as tool execution notifications.
    const notes = log.runs[0]!.invocations[0]!.toolExecutionNotifications;
    expect(notes.map((n) => n.message.text)).toEqual([
      expect.stringMatching(/^derived: .*node node-1 routes \(from eth0's subnet/),
      expect.stringMatching(/^derived: .*node node-2 routes \(from eth0's subnet/),
    ]);
    expect(notes[0]).toMatchObject({ level: 'note', locations: [{ physicalLocation: { artifactLocation: { uri: seedFile } } }], properties: { kind: 'derived' } });
  });

  it('writes JUnit XML a standard parser reads: one failure per finding, passing cases for clean checks', async () => {
    const r = await run('doctor', '--estate', seedFile, '-o', 'junit');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(r.out);
    const suite = doc.testsuites.testsuite;
    const cases = suite.testcase as { '@name': string; failure?: { '@type': string; '@message': string } }[];
    const failed = cases.filter((c) => c.failure);
    expect(Number(suite['@failures'])).toBe(failed.length);
    expect(failed.length).toBe(JSON.parse((await run('doctor', '--estate', seedFile, '-o', 'json')).out).findings.length);
    expect(failed.every((c) => c.failure!['@type'] === 'error')).toBe(true);
    expect(cases.some((c) => !c.failure && c['@name'].startsWith('PP107'))).toBe(true);
  });

  it('exits 0 on a clean estate, and honours --fail-on', async () => {
    expect((await run('doctor', '--estate', fixture('peering-clean'))).code).toBe(0);
    expect((await run('doctor', '--estate', seedFile, '--fail-on', 'none')).code).toBe(0);
    expect((await run('doctor', '--estate', seedFile, '--fail-on', 'error')).code).toBe(1);
  });

  it('prints a findings table and the pairs that are not delivered', async () => {
    const r = await run('doctor', '--estate', seedFile);
    expect(r.out).toMatch(/^SEVERITY +ID +FINDING +WHERE$/m);
    expect(r.out).toMatch(/^error +PP101 +pods leave un-masqueraded toward rds prod-db/m);
    expect(r.out).toMatch(/pods:node-1 +-> +rds:prod-db +dropped/);
  });

  it('refuses SARIF and JUnit for other commands with a usage error', async () => {
    const r = await run('plan', '--estate', seedFile, '-o', 'sarif');
    expect(r.code).toBe(2);
    // The option's choices refuse it (sarif and junit are doctor's only), as a one-line usage error.
    expect(r.err).toBe("podpath: option '-o, --output <format>' argument 'sarif' is invalid. Allowed choices are text, json; see podpath plan --help\n");
  });

  it('turns bad input into one line and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-doctor-'));
    const bad = join(dir, 'bad.estate.yaml');
    writeFileSync(bad, 'vpcs:\n  - { id: vpc-a, cidrBlocks: [10.0.0.1/16] }\n');
    for (const argv of [['doctor', '--estate', bad], ['fix', '--estate', join(dir, 'missing.yaml')], ['diff', seedFile, join(dir, 'nope')], ['plan', '--estate', seedFile, '--nodes', 'x']]) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });
});

describe('podpath fix, plan and diff', () => {
  it('fix shows PROVEN candidates with a before/after table', async () => {
    const r = await run('fix', '--estate', seedFile, '--finding', 'PP101|rds:prod-db');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1\. PROVEN +MASQUERADE pod traffic to 10\.0\.18\.52/);
    expect(r.out).toMatch(/pods:node-1 -> rds:prod-db +dropped +delivered/);
  });

  it('plan proposes the Service CIDR re-plan for the seed', async () => {
    const r = await run('plan', '--estate', seedFile, '--nodes', '50', '--pods-per-node', '110');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Service CIDR: 100\.64\.0\.0\/16 \(was 10\.0\.0\.0\/16\)/);
  });

  it('diff lists the flows the band-aid changes, with traces of both sides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-diff-'));
    const a = join(dir, 'a.estate.yaml');
    copyFileSync(fixture('peering-clean'), a);
    const b = join(dir, 'b.estate.yaml');
    writeFileSync(b, (await import('node:fs')).readFileSync(a, 'utf8').replace('! -d 100.96.0.0/16 -o eth0', '! -d 192.168.0.0/16 -o eth0'));
    const same = await run('diff', a, a);
    expect(same.code).toBe(0);
    const r = await run('diff', a, b, '-o', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.changes).toContainEqual(expect.objectContaining({ pair: 'pods:n1 -> rds:orders-db', before: 'delivered', after: 'dropped' }));
    const change = doc.changes.find((c: { pair: string }) => c.pair === 'pods:n1 -> rds:orders-db');
    expect(change.a[0].verdict).toBe('delivered');
    expect(change.b[0].verdict).toBe('dropped');
    expect(doc.findingsOnlyInB).toContain('PP101|rds:orders-db');
  });
});
