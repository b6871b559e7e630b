import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/run-cli.js';
import { seedFile } from '../helpers/estates.js';
import { buildProgram } from '../../src/cli/program.js';
import { EXAMPLES } from '../../src/cli/examples.js';
import { commandPath } from '../../src/cli/usage-error.js';
import { colorize, useColor } from '../../src/cli/color.js';
import type { Command } from 'commander';

function allCommands(): Command[] {
  const out: Command[] = [];
  const visit = (c: Command) => (out.push(c), c.commands.forEach(visit));
  visit(buildProgram({ out: () => {}, err: () => {} }, () => {}));
  return out;
}

describe('usage errors: one line with a hint, exit 2', () => {
  it.each([
    [['trace', '--estaet', 'x', 'a', 'b'], "podpath: unknown option '--estaet' (did you mean --estate?); see podpath trace --help\n"],
    [['tracee'], "podpath: unknown command 'tracee' (did you mean trace?); see podpath --help\n"],
    [['demo', '-o', 'sarif'], "podpath: option '-o, --output <format>' argument 'sarif' is invalid. Allowed choices are text, json; see podpath demo --help\n"],
    [['iptables', 'trace', 'f.txt', '--src', '1.1.1.1'], "podpath: required option '--dst <ip[:port]>' not specified; see podpath iptables trace --help\n"],
    [['trace', '--estate', 'x', 'a'], "podpath: missing required argument 'dst'; see podpath trace --help\n"],
  ])('%j', async (argv, line) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(line);
  });

  it('offers sarif and junit on doctor only', () => {
    const choices = (c: Command) => c.options.find((o) => o.long === '--output')?.argChoices;
    for (const c of allCommands()) {
      const ch = choices(c);
      if (!ch) continue;
      if (commandPath(c) === 'podpath doctor') expect(ch).toEqual(['text', 'json', 'sarif', 'junit']);
      else expect(ch).toEqual(['text', 'json']);
    }
  });

  it('names an unknown key in an estate with file:line', async () => {
    const text = readFileSync(seedFile, 'utf8').replace('  - id: vpc-main\n', '  - id: vpc-main\n    cidrr: 10.9.0.0/16\n');
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-usage-')), 'typo.estate.yaml');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('cidrr')) + 1;
    const r = await run('doctor', '--estate', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^podpath: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}: unknown key 'cidrr' at vpcs\\.\\d+\\.cidrr \\(docs/estate-format\\.md lists the keys\\)\\n$`));
  });

  it('--quiet drops the loader notes, keeps the output', async () => {
    const loud = await run('doctor', '--snapshot', 'examples/seed-2015');
    const quiet = await run('doctor', '--snapshot', 'examples/seed-2015', '--quiet');
    expect(loud.err).not.toBe('');
    expect(quiet.err).toBe('');
    expect(quiet.out).toBe(loud.out);
  });
});

describe('help and completion', () => {
  it('every command has examples in --help, and every example names a real command', async () => {
    for (const c of allCommands()) {
      const path = commandPath(c);
      expect(EXAMPLES[path], path).toBeDefined();
      const r = await run(...path.split(' ').slice(1), '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain('Examples:\n  $ ');
    }
    const paths = new Set(allCommands().map(commandPath));
    for (const list of Object.values(EXAMPLES)) {
      for (const e of list) {
        const words = e.replace(/^.*\| /, '').replace(/^(sudo|\S+=\S+) /, '').split(' ');
        const verb = words.slice(0, 3).join(' ');
        expect(paths.has(verb) || paths.has(words.slice(0, 2).join(' ')), e).toBe(true);
      }
    }
  });

  it.each([
    [['demo'], 0],
    [['trace', '--estate', 'examples/tgw-egress.estate.yaml', 'instance:i-a-1a', '93.184.216.34:443'], 0],
    [['snapshot', 'check', 'examples/seed-2015'], 0],
    [['iptables', 'check', 'examples/seed-2015/nodes/node-1/iptables-save.txt'], 0],
    [['iptables', 'trace', '--node', 'examples/seed-2015/nodes/node-1', '--addr', 'eth0=172.20.0.23/24', '--src', '10.244.1.5', '--dst', '10.0.18.52:5432', '--in', 'cbr0'], 0],
  ])('the example %j runs', async (argv, code) => {
    const r = await run(...argv);
    expect(r.code).toBe(code);
  });

  it('bash completion completes commands and options (bash itself is the judge)', async () => {
    const r = await run('completion', 'bash');
    expect(r.code).toBe(0);
    const complete = (words: string[]) =>
      execFileSync('bash', ['-c', `${r.out}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _podpath; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).trim();
    expect(complete(['podpath', 'tr'])).toBe('trace');
    expect(complete(['podpath', 'trace', '--est'])).toBe('--estate');
    expect(complete(['podpath', 'iptables', 'trace', '--no'])).toBe('--node');
    expect(complete(['podpath', 'doctor', '--fail'])).toBe('--fail-on');
  });

  it.each(['zsh', 'fish'])('%s completion names every top-level command', async (shell) => {
    const r = await run('completion', shell);
    expect(r.code).toBe(0);
    for (const c of ['demo', 'trace', 'doctor', 'report', 'completion']) expect(r.out).toContain(c);
  });

  // scripts/install-system-deps.sh installs zsh and fish; without them these say so as skipped.
  const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

  it.skipIf(!has('fish'))('fish completion completes commands and options (fish itself is the judge; needs fish)', async () => {
    const r = await run('completion', 'fish');
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-fish-')), 'podpath.fish');
    writeFileSync(file, r.out);
    expect(spawnSync('fish', ['-n', file]).status).toBe(0);
    const complete = (line: string) => execFileSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('\t')[0]);
    expect(complete('podpath tr')).toEqual(['trace']);
    expect(complete('podpath trace --est')).toEqual(['--estate']);
    expect(complete('podpath doctor --fail')).toEqual(['--fail-on']);
  });

  it.skipIf(!has('zsh'))('zsh completion registers with compinit and offers the words of each position (zsh filters by prefix itself; needs zsh)', async () => {
    const r = await run('completion', 'zsh');
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-zsh-')), '_podpath');
    writeFileSync(file, r.out);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    const words = (argv: string[]) => execFileSync('zsh', ['-f', '-c', [
      'autoload -U +X compinit && compinit -u -D',
      `source ${file}`,
      'print -r -- "${_comps[podpath]}"',
      'setopt KSH_ARRAYS',
      `COMP_WORDS=(${argv.join(' ')}); COMP_CWORD=${argv.length - 1}; _podpath; print -r -- "\${COMPREPLY[*]}"`,
    ].join('\n')], { encoding: 'utf8' }).trim().split('\n');
    const [registered, top] = words(['podpath', 'tr']);
    expect(registered).toBe('_bash_complete -o filenames -F _podpath');
    expect(top!.split(' ')).toEqual(expect.arrayContaining(['demo', 'trace', 'doctor', 'report', 'completion']));
    expect(words(['podpath', 'trace', '--est'])[1]!.split(' ')).toEqual(expect.arrayContaining(['--estate', '--snapshot', '--proto']));
    expect(words(['podpath', 'doctor', '--fail'])[1]!.split(' ')).toContain('--fail-on');
  });

  it('an unknown shell is a one-line usage error', async () => {
    const r = await run('completion', 'tcsh');
    expect(r.code).toBe(2);
    expect(r.err).toBe("podpath: no completion for shell 'tcsh' (choose one of bash, zsh, fish)\n");
  });
});

describe('colour and pipes', () => {
  it('colours only on a terminal, never with NO_COLOR', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(undefined, {})).toBe(false);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
  });

  it('colours the verdict word only', () => {
    expect(colorize('verdict: DELIVERED   client sees: connected')).toBe('verdict: \u001b[1m\u001b[32mDELIVERED\u001b[0m   client sees: connected');
    expect(colorize('verdict: REPLY-LOST   x')).toBe('verdict: \u001b[1m\u001b[31mREPLY-LOST\u001b[0m   x');
    expect(colorize('why: verdict: DELIVERED')).toBe('why: verdict: DELIVERED');
  });

  it('a reader that stops early (| head) ends podpath quietly, no EPIPE stack', () => {
    const r = spawnSync('bash', ['-c', 'set -o pipefail; node --import tsx bin/podpath.ts demo -o json | head -c 10 >/dev/null; echo "rc=${PIPESTATUS[0]}"'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('rc=0');
  });
});
