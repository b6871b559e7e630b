/** Test helpers: the shared corpus (read in place, never copied), fixtures, packets, contexts. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIpv4 } from '../../../src/net/ipv4.js';
import type { Packet, Proto } from '../../../src/net/packet.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import type { NetfilterContext, Ruleset } from '../../../src/linux/iptables/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const corpusDir = path.resolve(repoRoot, '../shared/corpus');
export const saveDir = path.join(corpusDir, 'iptables-save');
export const listDir = path.join(corpusDir, 'iptables-list');
export const fixturesDir = path.join(repoRoot, 'test/fixtures/iptables');

/** Names of the iptables-save corpus files. */
export const saveFiles = (): string[] => readdirSync(saveDir).sort();

/** Text of a corpus iptables-save file. */
export const saveText = (name: string): string => readFileSync(path.join(saveDir, name), 'utf8');

/** Parses a corpus iptables-save file, with its name as the file. */
export function corpus(name: string) {
  return parseIptablesSave({ text: saveText(name), file: name });
}

/** Parses a fixture under test/fixtures/iptables. */
export function fixture(name: string) {
  return parseIptablesSave({ text: readFileSync(path.join(fixturesDir, name), 'utf8'), file: name });
}

/** Parses inline text, asserting nothing. */
export const parse = (text: string, file = 't.save') => parseIptablesSave({ text, file });

/** A packet from printable parts. */
export function pkt(src: string, dst: string, proto: Proto = 'tcp', sport = 40000, dport = 80): Packet {
  return { src: parseIpv4(src), dst: parseIpv4(dst), proto, sport, dport };
}

/** A node context: `locals` are its addresses, `ifaces` maps interface -> address. */
export function node(opts: Partial<NetfilterContext> & { locals?: string[]; ifaces?: Record<string, string> } = {}): NetfilterContext {
  const locals = new Set((opts.locals ?? []).map(parseIpv4));
  const ifaces = opts.ifaces ?? {};
  const { locals: _l, ifaces: _i, ...rest } = opts;
  return {
    isLocal: (ip) => locals.has(ip),
    ifaceAddress: (name) => (ifaces[name] ? parseIpv4(ifaces[name]) : undefined),
    ctState: 'NEW',
    ...rest,
  };
}

/** Number of rules per table. */
export function ruleCounts(rs: Ruleset): Record<string, number> {
  return Object.fromEntries([...rs.tables.values()].map((t) => [t.name, [...t.chains.values()].reduce((n, c) => n + c.rules.length, 0)]));
}

/** A minimal iptables-save block for one table. */
export function table(name: string, chains: string[], rules: string[]): string {
  const builtin: Record<string, string[]> = {
    filter: ['INPUT', 'FORWARD', 'OUTPUT'], nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'], raw: ['PREROUTING', 'OUTPUT'],
  };
  return [`*${name}`, ...(builtin[name] ?? []).map((c) => `:${c} ACCEPT [0:0]`), ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n');
}
