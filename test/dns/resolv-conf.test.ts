import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseResolvConf, queryPlan, type ResolvConf } from '../../src/dns/resolv-conf.js';
import { parseIpv4 } from '../../src/net/ipv4.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const corpus = (name: string) =>
  parseResolvConf({ text: readFileSync(path.resolve(repoRoot, '../shared/corpus/resolv-conf', name), 'utf8'), file: name });
const parse = (text: string) => parseResolvConf({ text, file: 'resolv.conf' });
const addresses = (c: ResolvConf) => c.nameservers.map((n) => n.address);
const diagLines = (d: { severity: string; line: number }[]) => d.map((x) => [x.severity, x.line]);

/** The seed node's /etc/resolv.conf. */
const SEED = `nameserver 10.0.0.10
nameserver 172.20.0.2
search default.svc.cluster.local svc.cluster.local cluster.local us-west-1.compute.internal
options ndots:5
`;

describe('parseResolvConf on real files (shared corpus)', () => {
  it.each([
    ['aws-pod-kraken-lib-issue-377.resolv.conf', ['10.32.0.2'], ['cassandra.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'us-west-2.compute.internal'], 5],
    ['gke-pod-thockin-k8s-issue-33554.resolv.conf', ['10.0.0.10'], ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'google.internal', 'c.thockin-dev.internal'], 5],
    ['kops-pod-netshoot.resolv.conf', ['100.64.0.10'], ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'ap-northeast-2.compute.internal'], 5],
    ['kubeadm-pod-default-draymonders-issue-9.resolv.conf', ['10.96.0.10'], ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], 5],
    ['moby-rcmodify-overrides.resolv.conf', ['2.3.4.5', 'fdba:acdd:587c::53'], ['com', 'invalid', 'example'], 1],
  ])('reads %s cleanly', (name, servers, search, ndots) => {
    const { value, diagnostics } = corpus(name);
    expect(diagnostics).toEqual([]);
    expect(addresses(value)).toEqual(servers);
    expect(value.search).toEqual(search);
    expect(value.ndots).toBe(ndots);
  });

  it('kops (CRLF): keeps no carriage return in any value and records each directive line', () => {
    const { value } = corpus('kops-pod-netshoot.resolv.conf');
    expect(value.search.at(-1)).toBe('ap-northeast-2.compute.internal');
    expect(value.nameservers[0]).toEqual({ address: '100.64.0.10', ipv4: parseIpv4('100.64.0.10'), loc: { file: 'kops-pod-netshoot.resolv.conf', line: 2 }, implicit: false });
    expect(value.searchFrom).toEqual({ file: 'kops-pod-netshoot.resolv.conf', line: 1, keyword: 'search' });
    expect(value.optionLocs.ndots).toEqual({ file: 'kops-pod-netshoot.resolv.conf', line: 3 });
  });

  it('moby: reads edns0 and trust-ad as flags and ignores the comment block', () => {
    const { value } = corpus('moby-rcmodify-overrides.resolv.conf');
    expect(value.flags).toEqual(['edns0', 'trust-ad']);
    expect(value.nameservers[1]!.ipv4).toBeUndefined();
  });

  it('golang testdata: domain, IPv6 and zoned nameservers, options, and the malformed `options attempts 3`', () => {
    const { value, diagnostics } = corpus('golang-net-testdata.resolv.conf');
    expect(addresses(value)).toEqual(['8.8.8.8', '2001:4860:4860::8888', 'fe80::1%lo0']);
    expect(value.search).toEqual(['localdomain']);
    expect(value.searchFrom).toMatchObject({ line: 3, keyword: 'domain' });
    expect(value).toMatchObject({ ndots: 5, timeout: 10, attempts: 3, rotate: true, flags: ['rotate'] });
    expect(value.optionLocs.attempts).toMatchObject({ line: 7 });
    expect(diagnostics).toEqual([
      { severity: 'error', file: 'golang-net-testdata.resolv.conf', line: 8, text: 'options attempts 3', message: "option 'attempts' needs a value as attempts:N; glibc ignores it (did you mean attempts:3?)" },
    ]);
  });

  it('golang search-single-dot: the later `search .` replaces the domain line', () => {
    const { value, diagnostics } = corpus('golang-search-single-dot.resolv.conf');
    expect(value.search).toEqual(['.']);
    expect(diagLines(diagnostics)).toEqual([['warning', 4]]);
    expect(diagnostics[0]!.message).toBe('search replaces the search list set by domain on line 3 (the last search or domain line wins)');
  });

  it('golang invalid ndots (INVALID): reports line 1 and reads ndots as 0 like glibc and Go', () => {
    const { value, diagnostics } = corpus('golang-invalid-ndots.INVALID.resolv.conf');
    expect(value.ndots).toBe(0);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', line: 1, text: 'options ndots:invalid', message: 'ndots:invalid is not a number; glibc reads it as 0' });
  });

  it('golang large ndots: caps ndots:16 at 15', () => {
    const { value, diagnostics } = corpus('golang-large-ndots.resolv.conf');
    expect(value.ndots).toBe(15);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', line: 1, message: 'ndots:16 is capped at 15' });
  });

  it.each(['golang-large-ndots.resolv.conf', 'golang-invalid-ndots.INVALID.resolv.conf', 'moby-invalid-ns.resolv.conf', 'EDGE-search-trailing-dots-kt-connect-issue-153.resolv.conf'])(
    '%s has no nameserver: falls back to 127.0.0.1 and says so',
    (name) => {
      const { value, diagnostics } = corpus(name);
      expect(value.nameservers).toEqual([{ address: '127.0.0.1', ipv4: parseIpv4('127.0.0.1'), implicit: true }]);
      expect(diagnostics.at(-1)!.message).toBe('no usable nameserver: the resolver queries 127.0.0.1 (resolv.conf(5) default)');
    },
  );

  it('EDGE kt-connect: keeps absolute (dot-terminated) search domains and expands without doubling the dot', () => {
    const { value } = corpus('EDGE-search-trailing-dots-kt-connect-issue-153.resolv.conf');
    expect(value.search).toEqual(['default.svc.cluster.local.', 'svc.cluster.local.', 'cluster.local.']);
    expect(queryPlan(value, 'postgres')).toEqual(['postgres.default.svc.cluster.local.', 'postgres.svc.cluster.local.', 'postgres.cluster.local.', 'postgres.']);
  });
});

describe('parseResolvConf glibc rules', () => {
  it('uses at most three nameservers and warns about the rest', () => {
    const { value, diagnostics } = parse('nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n');
    expect(addresses(value)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(diagnostics).toEqual([
      { severity: 'warning', file: 'resolv.conf', line: 4, text: 'nameserver 10.0.0.4', message: 'nameserver 10.0.0.4 is ignored: glibc uses at most 3 (MAXNS), here 10.0.0.1, 10.0.0.2, 10.0.0.3' },
    ]);
  });

  it('skips an invalid nameserver address without counting it toward the three', () => {
    const { value, diagnostics } = parse('nameserver 1.2.3.4.5\nnameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n');
    expect(addresses(value)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(diagnostics.map((d) => [d.severity, d.line, d.message])).toEqual([['error', 1, "'1.2.3.4.5' is not an IPv4 or IPv6 address; glibc ignores this nameserver"]]);
  });

  it('ends a nameserver address at whitespace, so a glued comment makes the address invalid', () => {
    const { value, diagnostics } = parse('nameserver 10.0.0.10 # cluster DNS\nnameserver 172.20.0.2;vpc\n');
    expect(addresses(value)).toEqual(['10.0.0.10']);
    expect(diagnostics.map((d) => [d.severity, d.line, d.message])).toEqual([['error', 2, "'172.20.0.2;vpc' is not an IPv4 or IPv6 address; glibc ignores this nameserver"]]);
  });

  it('lets the last search or domain line win', () => {
    const { value, diagnostics } = parse('search a.example b.example\ndomain c.example\n');
    expect(value.search).toEqual(['c.example']);
    expect(value.searchFrom).toMatchObject({ line: 2, keyword: 'domain' });
    expect(diagnostics.map((d) => [d.line, d.message])).toContainEqual([2, 'domain replaces the search list set by search on line 1 (the last search or domain line wins)']);
  });

  it('ignores an indented directive, as glibc does, with a warning', () => {
    const { value, diagnostics } = parse('  nameserver 10.0.0.1\nnameserver 10.0.0.2\n');
    expect(addresses(value)).toEqual(['10.0.0.2']);
    expect(diagnostics[0]).toMatchObject({ severity: 'warning', line: 1, message: 'indented line ignored: glibc reads a keyword only at the start of a line' });
  });

  it.each([
    ['options timeout:99', { timeout: 30 }, [['warning', 'timeout:99 is capped at 30']]],
    ['options attempts:9', { attempts: 5 }, [['warning', 'attempts:9 is capped at 5']]],
    ['options ndots:3x', { ndots: 3 }, [['error', 'ndots:3x is not a number; glibc reads it as 3']]],
    ['options ndots:-2', { ndots: 0 }, [['error', 'ndots:-2 is negative; podpath reads it as 0']]],
    ['options timeout:0 attempts:1', { timeout: 0, attempts: 1 }, []],
    ['options rotate single-request-reopen', { rotate: true, flags: ['rotate', 'single-request-reopen'] }, []],
    ['options ndots:2 frobnicate', { ndots: 2 }, [['warning', "unknown option 'frobnicate'; glibc ignores it"]]],
  ])('reads `%s`', (line, expected, diags) => {
    const { value, diagnostics } = parse(`nameserver 10.0.0.1\n${line}\n`);
    expect(value).toMatchObject(expected);
    expect(diagnostics.map((d) => [d.severity, d.message])).toEqual(diags);
    expect(diagnostics.every((d) => d.line === 2)).toBe(true);
  });

  it('keeps defaults glibc uses when nothing is set (ndots 1, timeout 5, attempts 2)', () => {
    expect(parse('nameserver 10.0.0.1\n').value).toMatchObject({ ndots: 1, timeout: 5, attempts: 2, rotate: false, search: [], flags: [] });
  });

  it('warns about keywords glibc does not read and lines that are not directives', () => {
    const { diagnostics } = parse('nameserver 10.0.0.1\nlookup file bind\nnameserver\nwhatever\nsortlist 10.0.0.0/255.0.0.0\n');
    expect(diagnostics.map((d) => [d.line, d.message])).toEqual([
      [2, "'lookup' is not read by glibc; ignored"],
      [3, "'nameserver' has no value; ignored"],
      [4, "'whatever' is not a resolv.conf directive; ignored"],
    ]);
  });

  it('counts lines from firstLine when embedded in an estate file', () => {
    const { value } = parseResolvConf({ text: SEED, file: 'estate.yaml', firstLine: 30 });
    expect(value.nameservers.map((n) => n.loc?.line)).toEqual([30, 31]);
    expect(value.searchFrom?.line).toBe(32);
  });
});

describe('queryPlan (glibc res_search order)', () => {
  const seed = parse(SEED).value;
  it.each([
    ['kubernetes', ['kubernetes.default.svc.cluster.local.', 'kubernetes.svc.cluster.local.', 'kubernetes.cluster.local.', 'kubernetes.us-west-1.compute.internal.', 'kubernetes.'], 'no dot: search domains first, as-is last'],
    ['api.prod', ['api.prod.default.svc.cluster.local.', 'api.prod.svc.cluster.local.', 'api.prod.cluster.local.', 'api.prod.us-west-1.compute.internal.', 'api.prod.'], 'fewer dots than ndots:5: searched first'],
    ['prod-db.c9akciq32.us-west-1.rds.amazonaws.com', ['prod-db.c9akciq32.us-west-1.rds.amazonaws.com.', 'prod-db.c9akciq32.us-west-1.rds.amazonaws.com.default.svc.cluster.local.', 'prod-db.c9akciq32.us-west-1.rds.amazonaws.com.svc.cluster.local.', 'prod-db.c9akciq32.us-west-1.rds.amazonaws.com.cluster.local.', 'prod-db.c9akciq32.us-west-1.rds.amazonaws.com.us-west-1.compute.internal.'], '5 dots >= ndots: as-is first'],
    ['example.com.', ['example.com.'], 'a trailing dot is absolute: only itself'],
  ])('%s -> %j (%s)', (name, plan) => {
    expect(queryPlan(seed, name)).toEqual(plan);
  });

  it('with ndots:0 even a dotless name is tried as-is first', () => {
    const c = parse('nameserver 1.1.1.1\nsearch a.example\noptions ndots:0\n').value;
    expect(queryPlan(c, 'host')).toEqual(['host.', 'host.a.example.']);
  });

  it('with no-tld-query a dotless name is never tried as-is', () => {
    const c = parse('nameserver 1.1.1.1\nsearch a.example\noptions no-tld-query\n').value;
    expect(queryPlan(c, 'host')).toEqual(['host.a.example.']);
    expect(queryPlan(c, 'host.sub')).toEqual(['host.sub.', 'host.sub.a.example.']);
  });

  it('with no search list tries the name as-is once', () => {
    expect(queryPlan(parse('nameserver 1.1.1.1\n').value, 'db')).toEqual(['db.']);
  });

  it('treats a `.` search entry as the root (the name itself), in its place, without a second as-is try', () => {
    const c = corpus('golang-search-single-dot.resolv.conf').value;
    expect(queryPlan(c, 'foo')).toEqual(['foo.']);
    // ndots 1: tried as-is first, then again as "foo.bar" + root by the search loop, as glibc does.
    expect(queryPlan(c, 'foo.bar')).toEqual(['foo.bar.', 'foo.bar.']);
  });

  it('properties: absolute names only; as-is once plus one name per search domain', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    const arbName = fc.array(label, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('.'));
    const arbConf = fc.record({ search: fc.uniqueArray(arbName, { maxLength: 6 }), ndots: fc.integer({ min: 0, max: 15 }) });
    fc.assert(
      fc.property(arbConf, arbName, ({ search, ndots }, name) => {
        const c: ResolvConf = { ...parse('').value, search, ndots };
        const plan = queryPlan(c, name);
        expect(plan.every((n) => n.endsWith('.') && !n.endsWith('..'))).toBe(true);
        expect(plan).toHaveLength(search.length + 1);
        expect(plan.filter((n) => n === `${name}.`)).toHaveLength(1);
        const asIsFirst = name.split('.').length - 1 >= ndots;
        expect(plan.indexOf(`${name}.`)).toBe(asIsFirst ? 0 : search.length);
        expect(queryPlan(c, `${name}.`)).toEqual([`${name}.`]);
      }),
    );
  });
});
