/**
 * The kernel as oracle for the nft reader: every corpus ruleset loads (nft -c
 * -f accepts it and so does podpath); loaded into a throwaway namespace and
 * read back with `nft list ruleset` and `nft -j list ruleset`, both listings
 * parse to the same model as the original; and rulesets nft refuses, podpath
 * refuses at the line nft names.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from '../../helpers/estates.js';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import { parseNftJson } from '../../../src/linux/nftables/parse-json.js';
import { PodpathError } from '../../../src/model/errors.js';
import { canonical } from './canonical.js';
import { nftUnavailable, openNftNetns, type NftNetns } from './netns-nft.js';

const dir = join(corpus, 'kube-proxy-nft-tests');
const originals = readdirSync(dir).filter((f) => f.endsWith('.nft'));
const skip = nftUnavailable();
const V4 = readFileSync(join(dir, '01-TestTracePacketV4.nft'), 'utf8');

/** Rulesets nft refuses: the V4 original with one mistake each. */
const REFUSED: { name: string; text: string }[] = [
  { name: 'jump to an undefined chain', text: V4.replace('jump firewall-check\n', 'jump firewall-chek\n') },
  { name: 'rule in a chain that does not exist', text: V4.replace('add rule ip kube-proxy reject-chain reject', 'add rule ip kube-proxy reject-chains reject') },
  { name: 'lookup in an undefined map', text: V4.replace('vmap @service-ips', 'vmap @service-ipz') },
  { name: 'unknown priority name', text: V4.replace('hook forward priority 0 ;', 'hook forward priority filtr ;') },
  { name: 'bad address', text: V4.replace('ip saddr 10.180.0.1 jump', 'ip saddr 10.180.0.300 jump') },
  { name: 'table not added', text: V4.replace('add table ip kube-proxy', 'add table ip kube-prox') },
  { name: 'goto a chain added only after the rule', text: 'add table ip t\nadd chain ip t a\nadd rule ip t a goto b\nadd chain ip t b\n' },
];

describe.skipIf(skip)('nft as oracle', () => {
  let ns: NftNetns;
  let tmp: string;
  beforeAll(() => {
    ns = openNftNetns();
    tmp = mkdtempSync(join(tmpdir(), 'ppnft-'));
  });
  afterAll(() => {
    ns?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it.each(originals)('%s: nft -c accepts it, and so does podpath', (f) => {
    expect(ns.load(join(dir, f), true)).toMatchObject({ ok: true });
    expect(() => parseNftText(readFileSync(join(dir, f), 'utf8'), f)).not.toThrow();
  });

  it.each(originals)('%s loaded and listed back (text and JSON) parses to the same model', (f) => {
    ns.flush();
    expect(ns.load(join(dir, f)).ok).toBe(true);
    const original = canonical(parseNftText(readFileSync(join(dir, f), 'utf8'), f));
    const text = canonical(parseNftText(ns.list(), 'listed.nft'));
    const json = canonical(parseNftJson(ns.list(true), 'listed.json'));
    expect(text).toEqual(original);
    expect(json).toEqual(original);
  });

  it.each(REFUSED)('refused like nft: $name', ({ text }) => {
    const file = join(tmp, 'bad.nft');
    writeFileSync(file, text);
    const kernel = ns.load(file, true);
    expect(kernel.ok).toBe(false);
    let err: unknown;
    try {
      parseNftText(text, file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PodpathError);
    expect((err as PodpathError).line).toBe(kernel.line);
  });
});
