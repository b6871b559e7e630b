import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import AjvDraft04Module from 'ajv-draft-04';
import { run } from '../helpers/run-cli.js';
import { xmlEscape } from '../../src/report/junit.js';
import { sarifUri } from '../../src/report/sarif.js';

// ajv-draft-04 is CommonJS: its class is the default export's default under NodeNext.
const AjvDraft04 = AjvDraft04Module.default;
const require = createRequire(import.meta.url);
const sarifSchemaFile = join(dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json');
const officialSarif = new AjvDraft04({ allErrors: true, strict: false, unicodeRegExp: false }).compile(JSON.parse(readFileSync(sarifSchemaFile, 'utf8')));

const HOSTILE = 'evil\u001b]0;pwned\u0007\u001b[31mRED';
/** Characters XML 1.0 does not allow in a document at all, not even as character references (XML 1.0 section 2.2, Char). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|&#x?0*(?:[0-8]|1[1-2]|1[4-9]|2\d|3[01]|[bcef]|1[0-9a-f]);/i;
/** RFC 3986 URI-reference characters (unreserved, reserved, percent signs). */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/** The seed snapshot in a folder whose name holds controls, URI and XML metacharacters, its pod renamed, plus a stray file with an escape in its name. */
function hostileSnapshot(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'podpath-hostile-')), `snap \u001b[31m<&>"'\u0001 100%`);
  cpSync('examples/seed-2015', dir, { recursive: true });
  const pods = join(dir, 'k8s/pods.json');
  writeFileSync(pods, readFileSync(pods, 'utf8').split('"api-7f9"').join(JSON.stringify(HOSTILE)));
  writeFileSync(join(dir, 'notes\u001b]0;x\u0007 #1?.txt'), 'stray\n');
  return dir;
}
const snap = hostileSnapshot();

describe('JUnit XML: control characters from inputs are shown visibly, never written raw or as references', () => {
  it('is well-formed XML 1.0 a standard parser reads, naming the hostile folder visibly', async () => {
    const r = await run('doctor', '--snapshot', snap, '-o', 'junit');
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(NOT_XML_CHAR);
    expect(XMLValidator.validate(r.out)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true }).parse(r.out);
    const suite = doc.testsuites.testsuite as { '@name': string; testcase: { failure?: { '#text': string } }[] };
    expect(suite['@name']).toBe(`podpath doctor ${snap.replace('\u001b', '\\x1b').replace('\u0001', '\\x01')}`);
    expect(suite.testcase.filter((c) => c.failure).length).toBeGreaterThan(0);
  });

  it.each([
    ['ESC', '\u001b', '\\x1b'],
    ['NUL', '\u0000', '\\x00'],
    ['form feed', '\u000c', '\\x0c'],
    ['DEL', '\u007f', '\\x7f'],
    ['C1 CSI', '\u009b', '\\x9b'],
    ['U+FFFE', '\ufffe', '\\u{fffe}'],
    ['lone surrogate', '\ud800', '\\u{d800}'],
    ['markup', '<a b="c">&\'', '&lt;a b=&quot;c&quot;&gt;&amp;&apos;'],
  ])('escapes %s', (_n, raw, shown) => {
    expect(xmlEscape(`x${raw}y`)).toBe(`x${shown}y`);
  });

  it('keeps newlines and tabs in element text and non-ASCII text as it is', () => {
    expect(xmlEscape('a\tb\nc é ✓ 😀')).toBe('a\tb\nc é ✓ 😀');
  });
});

describe('SARIF: the log stays valid with hostile names; text keeps them exact as JSON escapes; URIs are percent-encoded', () => {
  it('validates against the official schema, with URI references made only of URI characters', async () => {
    const r = await run('doctor', '--snapshot', snap, '-o', 'sarif');
    expect(r.code).toBe(1);
    // JSON escapes every control character: the raw text holds none.
    expect(r.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const doc = JSON.parse(r.out);
    expect(officialSarif(doc), JSON.stringify(officialSarif.errors?.slice(0, 3))).toBe(true);
    const uris = [...r.out.matchAll(/"uri":\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    expect(uris.length).toBeGreaterThan(0);
    for (const uri of uris) expect(uri).toMatch(URI_CHARS);
    // Each points at a file in the hostile folder, decoded exactly.
    for (const uri of uris) expect(decodeURIComponent(uri).startsWith(`${snap}/`), uri).toBe(true);
    // Message text is data: the exact name, as JSON carries it.
    expect(r.out).toContain(JSON.stringify(HOSTILE).slice(1, -1));
  });

  it.each([
    ['examples/seed-2015.estate.yaml', 'examples/seed-2015.estate.yaml'],
    ['/tmp/a b/c#1?.txt', '/tmp/a%20b/c%231%3F.txt'],
    ['nodes/x\u001b[31m/iptables-save.txt', 'nodes/x%1B%5B31m/iptables-save.txt'],
    ['100%/café', '100%25/caf%C3%A9'],
  ])('sarifUri(%j) = %s', (path, uri) => {
    expect(sarifUri(path)).toBe(uri);
    expect(decodeURIComponent(uri)).toBe(path);
  });
});
