import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/run-cli.js';
import { neutraliseControls } from '../../src/report/sanitize.js';

const HOSTILE = 'evil\u001b]0;pwned\u0007\u001b[31mRED';
const VISIBLE = 'evil\\x1b]0;pwned\\x07\\x1b[31mRED';

/** The shipped seed snapshot with its pod renamed to HOSTILE and the main VPC's Name tag set to `<script>`. */
function hostileSnapshot(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'podpath-hostile-')), 'snap');
  cpSync('examples/seed-2015', dir, { recursive: true });
  const edit = (file: string, from: string, to: string) => {
    const text = readFileSync(join(dir, file), 'utf8');
    if (!text.includes(from)) throw new Error(`${file}: ${from} not found`);
    writeFileSync(join(dir, file), text.split(from).join(to));
  };
  edit('k8s/pods.json', '"api-7f9"', JSON.stringify(HOSTILE));
  edit('aws/describe-vpcs.json', '"Value": "main"', '"Value": "<script>alert(1)</script>\\u001b[2J"');
  return dir;
}

const snap = hostileSnapshot();
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('terminal escape injection: control characters from inputs are shown, not obeyed', () => {
  it.each([
    ['doctor', ['doctor', '--snapshot', snap], true],
    ['trace', ['trace', '--snapshot', snap, `pod:${HOSTILE}`, 'rds:prod-db'], true],
    ['demo', ['demo', '--snapshot', snap], true],
    ['fix', ['fix', '--snapshot', snap], false],
    ['snapshot check', ['snapshot', 'check', snap], false],
  ])('%s text output holds no raw control character', async (_name, argv, namesThePod) => {
    const r = await run(...(argv as string[]));
    expect(r.out.length).toBeGreaterThan(0);
    expect(r.out + r.err).not.toMatch(RAW_CONTROL);
    if (namesThePod) expect(r.out + r.err).toContain(VISIBLE);
  });

  it('JSON keeps the name exact', async () => {
    const r = await run('trace', '--snapshot', snap, `pod:${HOSTILE}`, 'rds:prod-db', '-o', 'json');
    expect(JSON.stringify(JSON.parse(r.out))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
    expect(JSON.parse(r.out).traces[0].flow.src).toBe(`pod:default/${HOSTILE}`);
  });

  it('an error naming a hostile argument is neutralised too', async () => {
    const r = await run('trace', '--snapshot', snap, 'pod:x\u001b[2J', 'rds:prod-db');
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(RAW_CONTROL);
    expect(r.err).toContain('x\\x1b[2J');
  });

  it.each([
    ['ESC', '\u001b', '\\x1b'],
    ['BEL', '\u0007', '\\x07'],
    ['DEL', '\u007f', '\\x7f'],
    ['C1 CSI', '\u009b', '\\x9b'],
    ['bidi override', '\u202e', '\\u{202e}'],
  ])('neutralises %s', (_n, raw, shown) => {
    expect(neutraliseControls(`a${raw}b`)).toBe(`a${shown}b`);
  });

  it('keeps newlines, tabs and ordinary text (including non-ASCII) unchanged', () => {
    const text = 'pod\tnode\n10.0.0.1 -> café ✓\n';
    expect(neutraliseControls(text)).toBe(text);
  });
});
