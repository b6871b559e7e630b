import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/run-cli.js';

// PATH points at an empty folder for the whole file: these tests can never reach the host's iptables.
const dir = mkdtempSync(join(tmpdir(), 'podpath-agent-cli-'));
const savedPath = process.env.PATH;
beforeAll(() => { process.env.PATH = join(dir, 'empty-bin'); });
afterAll(() => { process.env.PATH = savedPath; rmSync(dir, { recursive: true, force: true }); });

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('podpath agent: one-line errors and exit codes', () => {
  it('invalid config: exit 2, file:line, key, nothing else', async () => {
    const r = await run('agent', '--once', '--config', file('bad.yaml', 'masqLinkLocal: false\nnonMasqueradeCIDRs:\n  - 10.0.0.1/8\n'));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`podpath: ${join(dir, 'bad.yaml')}:3: nonMasqueradeCIDRs: CIDR "10.0.0.1/8" is not aligned to a CIDR block (did you mean 10.0.0.0/8?)\n`);
    expect(r.out).toBe('');
  });

  it('unreadable file: exit 2, one line', async () => {
    // a folder, which nobody (root included) can read as a config file
    const r2 = await run('agent', '--once', '--config', dir);
    expect(r2.code).toBe(2);
    expect(r2.err).toBe(`podpath: ${dir}: is a directory, not a config file\n`);
  });

  it('iptables missing: exit 2, one line naming the program', async () => {
    const r = await run('agent', '--once', '--config', file('good.yaml', 'nonMasqueradeCIDRs: [10.0.0.0/8]\n'));
    expect(r.code).toBe(2);
    expect(r.err).toBe('podpath: iptables-save: not found (the agent needs iptables-save and iptables-restore)\n');
  });

  it('bad flags are usage errors', async () => {
    expect((await run('agent', '--once', '--to-ports', '9-1')).err).toBe('podpath: invalid --to-ports "9-1": first is greater than last in "9-1"\n');
    expect((await run('agent', '--once', '--masq-chain', 'a b')).code).toBe(2);
  });
});
