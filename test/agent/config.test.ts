import { describe, expect, it } from 'vitest';
import { defaultConfig, parseAgentConfig, parseGoDuration, parseToPorts, DEFAULT_FLAGS } from '../../src/k8s/masq-agent/index.js';

const read = (text: string, flags = DEFAULT_FLAGS) => parseAgentConfig(text, 'config', flags);
const value = (text: string) => {
  const r = read(text);
  if ('error' in r) throw new Error(r.error.message);
  return r.value;
};
const error = (text: string) => {
  const r = read(text);
  if (!('error' in r)) throw new Error('expected an error');
  return r.error;
};

describe('agent config, read as ip-masq-agent reads it', () => {
  it('uses ip-masq-agent defaults for an empty file or null', () => {
    const d = { nonMasqueradeCIDRs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'], cidrLimit: 64, masqLinkLocal: false, masqLinkLocalIPv6: false, resyncIntervalMs: 60_000 };
    expect(value('')).toMatchObject(d);
    expect(value('null')).toMatchObject(d);
    expect(value('{}')).toMatchObject(d);
  });

  it('adds the RFC-reserved ranges with --nomasq-all-reserved-ranges', () => {
    const c = defaultConfig({ nomasqAllReservedRanges: true });
    expect(c.nonMasqueradeCIDRs).toContain('100.64.0.0/10');
    expect(c.nonMasqueradeCIDRs).toContain('240.0.0.0/4');
    expect(c.nonMasqueradeCIDRs).toHaveLength(11);
  });

  it('reads YAML and JSON; keys replace only their own default; key names match case-insensitively (Go json)', () => {
    expect(value('nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true\nresyncInterval: 1m30s\n')).toMatchObject({
      nonMasqueradeCIDRs: ['10.244.0.0/16'], masqLinkLocal: true, resyncIntervalMs: 90_000, cidrLimit: 64,
    });
    expect(value('{"NonMasqueradeCidrs": ["172.20.0.0/16"], "cidrlimit": 3}')).toMatchObject({ nonMasqueradeCIDRs: ['172.20.0.0/16'], cidrLimit: 3 });
    expect(value('nonMasqueradeCIDRs: null')).toMatchObject({ nonMasqueradeCIDRs: [] });
  });

  it('reads podpath keys', () => {
    expect(value('masqueradeCIDRs: [10.0.0.0/16]\npodCIDRs: [10.244.0.0/16]\ndiscoverRoutedCIDRs: true\n')).toMatchObject({
      masqueradeCIDRs: ['10.0.0.0/16'], podCIDRs: ['10.244.0.0/16'], discoverRoutedCIDRs: true,
    });
  });

  it('warns about unknown keys and ignores them', () => {
    const r = read('nonMasqueradeCIDRs: []\nmasqLinkLokal: true\n');
    expect('value' in r && r.value.masqLinkLocal).toBe(false);
    expect(r.warnings).toEqual(['config:2: unknown key "masqLinkLokal" ignored (as ip-masq-agent ignores it)']);
  });

  it.each([
    ['nonMasqueradeCIDRs:\n  - 10.0.0.0/8\n  - 10.0.0.1/8\n', 'nonMasqueradeCIDRs', 3, /not aligned.*did you mean 10\.0\.0\.0\/8/],
    ['nonMasqueradeCIDRs: [10.0.0.0]\n', 'nonMasqueradeCIDRs', 1, /no prefix length/],
    ['nonMasqueradeCIDRs: [10.0.0.0/33]\n', 'nonMasqueradeCIDRs', 1, /could not be parsed/],
    ['nonMasqueradeCIDRs: [fd00::/8]\n', 'nonMasqueradeCIDRs', 1, /ipv6 is not enabled/],
    ['nonMasqueradeCIDRs: 10.0.0.0/8\n', 'nonMasqueradeCIDRs', 1, /must be a list/],
    ['masqLinkLocal: yes please\n', 'masqLinkLocal', 1, /true or false/],
    ['cidrLimit: 1.5\n', 'cidrLimit', 1, /whole number/],
    ['a: 1\nresyncInterval: 60\n', 'resyncInterval', 2, /duration string/],
    ['resyncInterval: "60"\n', 'resyncInterval', 1, /missing unit/],
    ['resyncInterval: 0s\n', 'resyncInterval', 1, /more than 0/],
    ['cidrLimit: 1\nnonMasqueradeCIDRs: [10.0.0.0/8, 192.168.0.0/16]\n', 'nonMasqueradeCIDRs', 2, /up to 1 CIDRs.*got 2/],
    ['masqueradeCIDRs: [10.0.18.52/16]\n', 'masqueradeCIDRs', 1, /not aligned/],
    ['podCIDRs: [x]\n', 'podCIDRs', 1, /could not be parsed/],
  ])('rejects %j naming the key and line', (text, key, line, message) => {
    const e = error(text);
    expect(e).toMatchObject({ file: 'config', key, line });
    expect(e.message).toMatch(message);
  });

  it('rejects text that is neither YAML nor JSON, and a list, with a line', () => {
    expect(error('nonMasqueradeCIDRs: [10.0.0.0/8\n')).toMatchObject({ file: 'config' });
    expect(error('- 10.0.0.0/8\n').message).toMatch(/mapping/);
  });
});

describe('Go durations and --to-ports', () => {
  it.each([['60s', 60_000], ['1m30s', 90_000], ['1.5h', 5_400_000], ['500ms', 500], ['0', 0], ['-2s', -2000]])('%s is %d ms', (t, ms) => {
    expect(parseGoDuration(t)).toBe(ms);
  });
  it.each(['', '60', '1d', 's', '1m 30s'])('%j is not a duration', (t) => expect(typeof parseGoDuration(t)).toBe('string'));
  it('parses intervals as ip-masq-agent does', () => {
    expect(parseToPorts('1024-29999,32768-65535')).toEqual([{ first: 1024, last: 29999 }, { first: 32768, last: 65535 }]);
    expect(parseToPorts('80')).toEqual([{ first: 80, last: 80 }]);
    expect(parseToPorts('9-1')).toMatch(/first is greater/);
    expect(parseToPorts('1-2-3')).toMatch(/invalid interval/);
    expect(parseToPorts('0-10')).toMatch(/1\.\.65535/);
  });
});
