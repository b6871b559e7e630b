import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run } from '../helpers/run-cli.js';
import { regionInConfig, resolveRegion } from '../../src/cli/aws-region.js';
import { withoutCredentials } from '../helpers/no-credentials.js';

const CONFIG = `[default]
region = us-east-1
[profile prod]
output = json
region = eu-west-1 ; comment
[profile other]
`;

describe('collect: region from the usual AWS settings', () => {
  it.each([
    [{ region: 'ap-south-1' }, { AWS_REGION: 'us-west-2' }, 'ap-south-1', '--region'],
    [{}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-north-1' }, 'us-west-2', 'AWS_REGION'],
    [{}, { AWS_DEFAULT_REGION: 'eu-north-1' }, 'eu-north-1', 'AWS_DEFAULT_REGION'],
    [{ profile: 'prod' }, {}, 'eu-west-1', 'profile prod'],
    [{}, { AWS_PROFILE: 'prod' }, 'eu-west-1', 'profile prod'],
    [{}, {}, 'us-east-1', 'profile default'],
  ])('%j with %j gives %s', (opts: { region?: string; profile?: string }, env, region, from) => {
    const file = join(mkdtempSync(join(tmpdir(), 'podpath-aws-')), 'config');
    writeFileSync(file, CONFIG);
    const r = resolveRegion(opts.region, opts.profile, { ...env, AWS_CONFIG_FILE: file });
    expect(r.region).toBe(region);
    expect(r.from).toContain(from);
  });

  it('a profile without a region and no variables is a usage error naming the settings', () => {
    expect(regionInConfig(CONFIG, 'other')).toBeUndefined();
    expect(() => resolveRegion(undefined, 'other', { AWS_CONFIG_FILE: '/nonexistent' })).toThrow(/no AWS region: give --region, set AWS_REGION or AWS_DEFAULT_REGION/);
  });
});

describe('collect without credentials: one line per distinct failure, no claim of output', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('groups 16 credential failures into one line with its remedy and writes nothing it claims', async () => {
    const home = withoutCredentials();
    const out = join(home, 'snap');
    const r = await run('collect', '--out', out);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[0]).toBe(`nothing written to ${out} (region eu-west-1): every call failed`);
    expect(r.out).not.toMatch(/collected into/);
    expect(existsSync(out)).toBe(false);
    const credLines = r.out.split('\n').filter((l) => l.includes('CredentialsProviderError'));
    expect(credLines).toHaveLength(1);
    expect(credLines[0]).toMatch(/^ {3}16 calls \(describe-vpcs, \.\.\.\): CredentialsProviderError/);
    expect(r.out).toMatch(/fix: no AWS credentials found/);
    expect(r.out).toMatch(/kubeconfig: .*\n {6}fix: no kubeconfig/);
    expect(r.err.split('\n').filter((l) => l.includes('CredentialsProviderError'))).toHaveLength(1);
    expect(r.err).toMatch(/^podpath: region eu-west-1 \(from AWS_DEFAULT_REGION\)\n/);
  }, 60_000);
});

describe('collect text: partial results kept and listed', () => {
  it('says what was written and that the rest failed', async () => {
    const { collectText } = await import('../../src/report/kinds/snapshot.js');
    const text = collectText({
      kind: 'collect', out: 'snap', region: 'eu-west-1', throttled: 0, nodeDumpCommands: [], extraCommands: [],
      written: [{ file: 'aws/describe-vpcs.json', call: 'describe-vpcs', items: 2, pages: 1 }],
      failures: [{ call: 'describe-instances', error: 'UnauthorizedOperation: You are not authorized to perform this operation.' }],
    });
    expect(text.split('\n')[0]).toBe('wrote 1 file(s) into snap (region eu-west-1); partial: 1 call(s) failed, what was read is kept');
    expect(text).toContain('   aws/describe-vpcs.json: describe-vpcs, 2 items');
    expect(text).toContain('   describe-instances: UnauthorizedOperation: You are not authorized to perform this operation.\n      fix: the identity lacks read permission');
  });
});
