/**
 * The podpath agent's configuration: ip-masq-agent's file format and
 * defaults, read as ip-masq-agent reads it, plus podpath's own optional keys.
 *
 * ip-masq-agent (kubernetes-sigs/ip-masq-agent, cmd/ip-masq-agent) reads a
 * YAML or JSON file, converts it to JSON and decodes it with Go's
 * encoding/json over its defaults, so:
 * - only the keys given replace a default; key names match case-insensitively
 *   (Go's decoder); unknown keys are ignored (podpath also warns about them);
 * - an empty file or `null` keeps every default; `nonMasqueradeCIDRs: null`
 *   is an empty list (Go sets the slice to nil);
 * - a value of the wrong type rejects the whole file;
 * - validation: more nonMasqueradeCIDRs than cidrLimit is an error; each CIDR
 *   must parse (`a.b.c.d/len`: a bare address does not, as in Go's
 *   net.ParseCIDR) and be aligned (10.0.0.1/8 is rejected, never masked);
 *   an IPv6 CIDR is an error unless IPv6 is enabled.
 * A rejected file leaves the previous good configuration in force (the
 * daemon's job; this module only answers value or error).
 *
 * Defaults (ip-masq-agent NewMasqConfig): nonMasqueradeCIDRs 10.0.0.0/8,
 * 172.16.0.0/12, 192.168.0.0/16 (plus the RFC-reserved ranges with
 * --nomasq-all-reserved-ranges), cidrLimit 64, masqLinkLocal false,
 * masqLinkLocalIPv6 false, resyncInterval 60s.
 *
 * Guarantees: pure; never throws; every error names the key and, when the
 * text is YAML or JSON that parsed, its line.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { maskOf } from '../../net/prefix.js';
import { formatIpv4, isValidIpv4, parseIpv4 } from '../../net/ipv4.js';
import { readIpv6Prefix } from '../../net/ipv6.js';
import { parseGoDuration } from './duration.js';

/** The agent's settings after defaults. */
export interface AgentConfig {
  /** Destinations not masqueraded. @default 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 */
  nonMasqueradeCIDRs: string[];
  /** Most nonMasqueradeCIDRs (and, podpath, masqueradeCIDRs) accepted. @default 64 */
  cidrLimit: number;
  /** Masquerade traffic to 169.254.0.0/16 too. @default false */
  masqLinkLocal: boolean;
  /** Read for compatibility; podpath's agent writes IPv4 rules only, so it has no effect. @default false */
  masqLinkLocalIPv6: boolean;
  /** How often rules and file are re-checked, in milliseconds. @default 60000 (60s) */
  resyncIntervalMs: number;
  /**
   * podpath: destinations always masqueraded, even inside a non-masquerade
   * range (a peered VPC inside 10.0.0.0/8: a peering carries only the VPCs'
   * own addresses). @default []
   */
  masqueradeCIDRs: string[];
  /**
   * podpath: only traffic from these sources enters the agent's chain (host
   * and forwarded traffic are left alone). @default [] (every source, as ip-masq-agent)
   */
  podCIDRs: string[];
  /**
   * podpath: add the destinations the node's VPC route table sends to a
   * peering connection or transit gateway to masqueradeCIDRs (read-only EC2
   * call). @default false
   */
  discoverRoutedCIDRs: boolean;
}

/** The command-line flags of ip-masq-agent that shape the config and rules. */
export interface AgentFlags {
  /** --masq-chain. @default PODPATH-MASQ-AGENT (ip-masq-agent's is IP-MASQ-AGENT) */
  masqChain: string;
  /** --nomasq-all-reserved-ranges: the RFC-reserved ranges join the default nonMasqueradeCIDRs. @default false */
  nomasqAllReservedRanges: boolean;
  /** --random-fully on the MASQUERADE rules. @default true */
  randomFully: boolean;
  /** --to-ports, parsed (see parseToPorts). @default [] (kernel picks ports) */
  toPorts: PortInterval[];
  /** --enable-ipv6: accepted only as false (IPv4 rules only). @default false */
  enableIpv6: boolean;
}

/** A port range `first-last` (inclusive). */
export interface PortInterval {
  first: number;
  last: number;
}

/** The chain the podpath agent owns in nat by default. */
export const DEFAULT_CHAIN = 'PODPATH-MASQ-AGENT';

/** Flags at their defaults. */
export const DEFAULT_FLAGS: AgentFlags = { masqChain: DEFAULT_CHAIN, nomasqAllReservedRanges: false, randomFully: true, toPorts: [], enableIpv6: false };

/** A rejected configuration: file, key and line where known, one sentence. */
export interface ConfigError {
  file: string;
  line?: number;
  key?: string;
  message: string;
}

/** A configuration read: the value, or the error; warnings either way. */
export type ConfigResult = { value: AgentConfig; warnings: string[] } | { error: ConfigError; warnings: string[] };

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
/** The extra ranges of --nomasq-all-reserved-ranges, with the RFCs ip-masq-agent names. */
const RESERVED = [
  '100.64.0.0/10', // RFC 6598 shared address space
  '192.0.0.0/24', // RFC 6890 IETF protocol assignments
  '192.0.2.0/24', // RFC 5737 TEST-NET-1
  '192.88.99.0/24', // RFC 7526 6to4 relay anycast
  '198.18.0.0/15', // RFC 6815 benchmarking
  '198.51.100.0/24', // RFC 5737 TEST-NET-2
  '203.0.113.0/24', // RFC 5737 TEST-NET-3
  '240.0.0.0/4', // RFC 5735 former class E
];

/** The configuration ip-masq-agent uses with no file. */
export function defaultConfig(flags: Pick<AgentFlags, 'nomasqAllReservedRanges'> = DEFAULT_FLAGS): AgentConfig {
  return {
    nonMasqueradeCIDRs: flags.nomasqAllReservedRanges ? [...RFC1918, ...RESERVED] : [...RFC1918],
    cidrLimit: 64,
    masqLinkLocal: false,
    masqLinkLocalIPv6: false,
    resyncIntervalMs: 60_000,
    masqueradeCIDRs: [],
    podCIDRs: [],
    discoverRoutedCIDRs: false,
  };
}

type Kind = 'cidrs' | 'int' | 'bool' | 'duration';
const KEYS: Readonly<Record<string, { key: keyof AgentConfig; name: string; kind: Kind }>> = Object.fromEntries(
  ([
    ['nonMasqueradeCIDRs', 'cidrs'], ['cidrLimit', 'int'], ['masqLinkLocal', 'bool'], ['masqLinkLocalIPv6', 'bool'],
    ['resyncInterval', 'duration'], ['masqueradeCIDRs', 'cidrs'], ['podCIDRs', 'cidrs'], ['discoverRoutedCIDRs', 'bool'],
  ] as const).map(([name, kind]) => [name.toLowerCase(), { key: (name === 'resyncInterval' ? 'resyncIntervalMs' : name) as keyof AgentConfig, name, kind }]),
);

/**
 * Reads a config file's text (YAML or JSON) over the defaults and validates
 * it as ip-masq-agent does. `file` names the file in errors.
 */
export function parseAgentConfig(text: string, file: string, flags: Pick<AgentFlags, 'nomasqAllReservedRanges' | 'enableIpv6'> = DEFAULT_FLAGS): ConfigResult {
  const warnings: string[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line ?? lines.linePos(syntax.pos[0]).line;
    return { error: { file, line, message: `not YAML or JSON: ${syntax.message.split('\n')[0]}` }, warnings };
  }
  const config = defaultConfig(flags);
  const root = doc.contents;
  if (root === null || (root && 'value' in root && root.value === null && !isMap(root))) return { value: config, warnings };
  if (!isMap(root)) return { error: { file, line: lineAt(doc, lines, []), message: 'the configuration must be a mapping of keys to values' }, warnings };
  const lineOf = (path: (string | number)[]) => lineAt(doc, lines, path);
  for (const pair of root.items) {
    const rawKey = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    const spec = KEYS[rawKey.toLowerCase()];
    if (!spec) {
      warnings.push(`${file}:${lineOf([rawKey])}: unknown key ${JSON.stringify(rawKey)} ignored (as ip-masq-agent ignores it)`);
      continue;
    }
    const value = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
    const err = (message: string, path: (string | number)[] = [rawKey]): ConfigResult => ({ error: { file, line: lineOf(path), key: spec.name, message: `${spec.name}: ${message}` }, warnings });
    if (value === null) {
      if (spec.kind === 'cidrs') (config[spec.key] as string[]) = [];
      continue;
    }
    switch (spec.kind) {
      case 'cidrs': {
        if (!Array.isArray(value) || !isSeq(pair.value)) return err('must be a list of CIDR strings');
        const bad = value.findIndex((x) => typeof x !== 'string');
        if (bad >= 0) return err(`entry ${bad + 1} is not a string`, [rawKey, bad]);
        (config[spec.key] as string[]) = value as string[];
        break;
      }
      case 'int':
        if (typeof value !== 'number' || !Number.isInteger(value)) return err(`must be a whole number, not ${JSON.stringify(value)}`);
        (config[spec.key] as number) = value;
        break;
      case 'bool':
        if (typeof value !== 'boolean') return err(`must be true or false, not ${JSON.stringify(value)}`);
        (config[spec.key] as boolean) = value;
        break;
      case 'duration': {
        if (typeof value !== 'string') return err(`must be a duration string such as "60s", not ${JSON.stringify(value)}`);
        const ms = parseGoDuration(value);
        if (typeof ms === 'string') return err(ms);
        // ip-masq-agent would loop without pause on 0 or less; podpath refuses (an improvement, documented).
        if (ms <= 0) return err(`must be more than 0, not ${JSON.stringify(value)}`);
        config.resyncIntervalMs = ms;
        break;
      }
    }
  }
  for (const key of ['nonMasqueradeCIDRs', 'masqueradeCIDRs', 'podCIDRs'] as const) {
    const list = config[key];
    const path = findKey(root.items, key);
    if (key !== 'podCIDRs' && list.length > config.cidrLimit) {
      return { error: { file, line: path ? lineOf([path]) : undefined, key, message: `${key}: the agent accepts up to ${config.cidrLimit} CIDRs (cidrLimit), but got ${list.length}` }, warnings };
    }
    for (const [i, cidr] of list.entries()) {
      const problem = cidrProblem(cidr, flags.enableIpv6);
      if (problem) return { error: { file, line: path ? lineOf([path, i]) : undefined, key, message: `${key}: ${problem}` }, warnings };
    }
  }
  return { value: config, warnings };
}

function findKey(items: { key: unknown }[], name: string): string | undefined {
  for (const p of items) {
    const k = String((p.key as { value?: unknown } | null)?.value ?? p.key);
    if (k.toLowerCase() === name.toLowerCase()) return k;
  }
  return undefined;
}

function lineAt(doc: Document, lines: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

/**
 * Why a CIDR is rejected, as ip-masq-agent's validateCIDR says it (Go's
 * net.ParseCIDR, then "not aligned" when the address has host bits), or
 * undefined when it is a valid aligned IPv4 block.
 */
export function cidrProblem(cidr: string, enableIpv6 = false): string | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return `CIDR ${JSON.stringify(cidr)} could not be parsed: no prefix length`;
  const addr = cidr.slice(0, slash);
  const lenText = cidr.slice(slash + 1);
  if (addr.includes(':')) {
    const v6 = readIpv6Prefix(cidr);
    if (typeof v6 === 'string') return `CIDR ${JSON.stringify(cidr)} could not be parsed: ${v6}`;
    if (v6.hostBits) return `CIDR ${JSON.stringify(cidr)} is not aligned to a CIDR block (network ${v6.prefix.addr}/${v6.prefix.len})`;
    return enableIpv6
      ? `IPv6 CIDR ${cidr}: the podpath agent writes IPv4 rules only`
      : `ipv6 is not enabled, but ipv6 cidr ${cidr} provided`;
  }
  if (!isValidIpv4(addr) || !/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) return `CIDR ${JSON.stringify(cidr)} could not be parsed`;
  const len = Number(lenText);
  const raw = parseIpv4(addr);
  const net = (raw & maskOf(len)) >>> 0;
  if (net !== raw) return `CIDR ${JSON.stringify(cidr)} is not aligned to a CIDR block (did you mean ${formatIpv4(net)}/${len}?)`;
  return undefined;
}

/**
 * Parses --to-ports as ip-masq-agent does ("1024-29999,32768-65535": comma
 * separated ports or ranges, first <= last); podpath also requires 1..65535,
 * which iptables would otherwise reject at apply time.
 */
export function parseToPorts(text: string): PortInterval[] | string {
  if (text === '') return [];
  const out: PortInterval[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return `invalid interval ${JSON.stringify(part)}`;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first > last) return `first is greater than last in ${JSON.stringify(part)}`;
    if (first < 1 || last > 65535) return `ports must be 1..65535 in ${JSON.stringify(part)}`;
    out.push({ first, last });
  }
  return out;
}
