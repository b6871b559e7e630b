import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { runGen } from '../../src/cli/commands/gen.js';
import { progressMode, progressWriter } from '../../src/cli/progress.js';
import { summariseNotes } from '../../src/cli/note-summary.js';
import { withoutCredentials } from '../helpers/no-credentials.js';

const ERASE = '\r\u001b[2K';

/** Runs the CLI in-process with stderr taken as a terminal or not. */
async function cli(errTty: boolean, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), errTty, errColumns: 100 });
  return { code, out, err };
}

// A small clean generated estate: 3 node groups of 4 nodes, none with ip-route.txt, so every node's routes are derived.
const dir = mkdtempSync(join(tmpdir(), 'podpath-progress-'));
const snapshot = join(dir, 'gen');
runGen({ out: snapshot, vpcs: 6, clusters: 3, nodesPerCluster: 4, services: 5, endpointsPerService: 2, seed: 2, faults: false });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('progress on stderr', () => {
  it.each([
    [{ errTty: true }, 'tty'],
    [{ errTty: true, verbose: true }, 'tty'],
    [{ errTty: true, quiet: true }, 'off'],
    [{ errTty: false }, 'off'],
    [{ errTty: false, verbose: true }, 'lines'],
    [{ errTty: false, verbose: true, quiet: true }, 'off'],
  ])('%j shows progress as %s', (o, mode) => expect(progressMode(o)).toBe(mode));

  it('on a terminal: one line redrawn when the percentage moves, cut to the width, erased by clear', () => {
    let err = '';
    const p = progressWriter((s) => (err += s), 'tty', 40);
    p.step('reading snap');
    p.step('reading snap');
    for (let i = 0; i <= 400; i++) p.count('tracing', i, 400);
    p.step(`reading ${'x'.repeat(60)}`);
    p.clear();
    const draws = err.split(ERASE).slice(1);
    expect(draws[0]).toBe('podpath: reading snap');
    expect(draws.filter((d) => d.startsWith('podpath: tracing'))).toHaveLength(101);
    expect(draws).toContain('podpath: tracing: 200/400 (50%)');
    expect(draws.at(-2)).toBe(`podpath: reading ${'x'.repeat(21)}…`);
    expect(draws.at(-1)).toBe('');
    expect(err).not.toContain('\n');
  });

  it('a terminal that reports no width (0 columns) is taken as 80', () => {
    let err = '';
    progressWriter((s) => (err += s), 'tty', 0).step('x'.repeat(100));
    expect(err).toBe(`${ERASE}podpath: ${'x'.repeat(69)}…`);
  });

  it('as lines (--verbose, stderr not a terminal): every 10%, no control characters; an input\'s escape is neutralised', () => {
    let err = '';
    const p = progressWriter((s) => (err += s), 'lines');
    p.step('reading evil\u001b]0;pwned\u0007');
    for (let i = 0; i <= 50; i++) p.count('tracing', i, 50);
    p.clear();
    const lines = err.trimEnd().split('\n');
    expect(lines[0]).toBe('podpath: reading evil\\x1b]0;pwned\\x07');
    expect(lines.slice(1)).toEqual(Array.from({ length: 11 }, (_, i) => `podpath: tracing: ${i * 5}/50 (${i * 10}%)`));
    expect(err).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('doctor on a terminal: reading, classes, tracing and checks on stderr, erased before the answer; stdout untouched', async () => {
    const r = await cli(true, 'doctor', '--snapshot', snapshot);
    expect(r.err).toContain(`${ERASE}podpath: reading ${snapshot}`);
    expect(r.err).toContain(`${ERASE}podpath: doctor: grouping sources and destinations into classes`);
    expect(r.err).toMatch(/\r\u001b\[2Kpodpath: doctor: tracing source classes: \d+\/\d+ \(100%\)/);
    expect(r.err).toContain(`${ERASE}podpath: doctor: checking the traces for findings`);
    // Erased before the notes and the report print.
    expect(r.err).toMatch(/\r\u001b\[2Kpodpath: derived/);
    expect(r.out).not.toMatch(/podpath: (reading|doctor:)|\u001b/);
    expect(r.out).toMatch(/^podpath doctor/);
  });

  it('doctor with stderr not a terminal: no progress unless --verbose; never with --quiet', async () => {
    const plain = await cli(false, 'doctor', '--snapshot', snapshot);
    expect(plain.err).not.toMatch(/reading|tracing source classes/);
    const verbose = await cli(false, '-v', 'doctor', '--snapshot', snapshot);
    expect(verbose.err).toMatch(/^podpath: reading .*\npodpath: doctor: grouping/m);
    expect(verbose.err).toMatch(/^podpath: doctor: tracing source classes: \d+\/\d+ \(100%\)$/m);
    expect(verbose.err).not.toContain('\r');
    expect(verbose.out).toBe(plain.out);
    const quiet = await cli(true, '-q', 'doctor', '--snapshot', snapshot);
    expect(quiet.err).toBe('');
    expect(quiet.out).toBe(plain.out);
  });

  describe('collect', () => {
    afterEach(() => vi.unstubAllEnvs());
    it('steps (call n of m) are the progress line; a failure prints as a line of its own', async () => {
      const home = withoutCredentials();
      const tty = await cli(true, 'collect', '--out', join(home, 'snap'));
      expect(tty.err).toContain(`${ERASE}podpath: [1/`);
      expect(tty.err).toMatch(/\r\u001b\[2Kpodpath: describe-vpcs: failed \(CredentialsProviderError/);
      expect(tty.out).not.toContain('\u001b');
      const plain = await cli(false, 'collect', '--out', join(home, 'snap'));
      expect(plain.err).not.toMatch(/\[1\/\d+\]/);
      expect(plain.err).toMatch(/^podpath: describe-vpcs: failed \(CredentialsProviderError/m);
    });
  });

  it('fix and report say what they do after doctor', async () => {
    const fix = await cli(false, '-v', 'fix', '--snapshot', snapshot);
    expect(fix.err).toMatch(/^podpath: fix: proving candidates on copies of the model$/m);
    // Each candidate proven is counted, up to all of them (the seed has findings; the clean snapshot none).
    const seed = await cli(false, '-v', 'fix', '--estate', 'examples/seed-2015.estate.yaml');
    const counts = [...seed.err.matchAll(/^podpath: fix: proving candidates on copies of the model: (\d+)\/(\d+) \(\d+%\)$/gm)];
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.at(-1)![1]).toBe(counts.at(-1)![2]);
    const html = join(dir, 'r.html');
    const report = await cli(false, '-v', 'report', '--snapshot', snapshot, '--html', html);
    expect(report.err).toMatch(/^podpath: report: laying out the picture$/m);
  });
});

describe('loader notes on stderr: a summary of repeated notes, all with --verbose, all in JSON', () => {
  it('groups notes of one shape once there are more than ten; keeps the rest in order', () => {
    const lines = [
      'derived: CNI profile kubenet (from podpath.yaml cni)',
      ...Array.from({ length: 12 }, (_, i) => `derived: node c1-n${i} routes (from no ip-route.txt: eth0 subnet, pod bridge and default via the VPC router)`),
      'warning: aws/x.json: RouteTables[0]: odd',
      'derived: RDS db1 address 10.0.4.10 (from its network interface eni-d1)',
      'derived: RDS db2 address 10.0.8.10 (from its network interface eni-d2)',
    ];
    expect(summariseNotes(lines, false)).toEqual([
      'derived: CNI profile kubenet (from podpath.yaml cni)',
      'derived (12 like this; --verbose lists them): node c1-n0 routes (from no ip-route.txt: eth0 subnet, pod bridge and default via the VPC router)',
      'warning: aws/x.json: RouteTables[0]: odd',
      'derived: RDS db1 address 10.0.4.10 (from its network interface eni-d1)',
      'derived: RDS db2 address 10.0.8.10 (from its network interface eni-d2)',
    ]);
    expect(summariseNotes(lines, true)).toEqual(lines);
    expect(summariseNotes(lines.slice(0, 10), false)).toEqual(lines.slice(0, 10));
    expect(summariseNotes(Array.from({ length: 11 }, (_, i) => `A: derived: node n${i} routes (from x)`), false)).toEqual(['A: derived (11 like this; --verbose lists them): node n0 routes (from x)']);
  });

  it('doctor on a generated snapshot prints a short summary; --verbose and -o json keep every note', async () => {
    const short = await cli(false, 'doctor', '--snapshot', snapshot);
    const all = await cli(false, '-v', 'doctor', '--snapshot', snapshot);
    const json = await cli(false, 'doctor', '--snapshot', snapshot, '-o', 'json');
    const notes = (JSON.parse(json.out) as { notes: { kind: string; text: string }[] }).notes;
    const routeNotes = notes.filter((n) => /^node \S+ routes \(from no ip-route\.txt/.test(n.text));
    expect(routeNotes).toHaveLength(12);
    const noteLines = (s: string) => s.split('\n').filter((l) => /^podpath: (derived|assumed|left-out|warning)\b/.test(l));
    expect(noteLines(all.err)).toHaveLength(notes.length);
    expect(noteLines(short.err).length).toBeLessThan(notes.length / 2);
    expect(short.err).toMatch(/^podpath: derived \(12 like this; --verbose lists them\): node c\d-n\d routes \(from no ip-route\.txt/m);
  });
});
