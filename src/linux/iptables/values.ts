/**
 * Argument values of iptables options: addresses, ports, protocols, marks,
 * ICMP types. Each parser returns a value or a message; none throws.
 *
 * Semantics follow the iptables userspace parsers: addresses may carry a prefix
 * length or a dotted mask and are masked (`-d 10.0.18.52/16` is stored as
 * 10.0.0.0/16, iptables-save prints the masked form); port ranges are `a:b`,
 * `:b` or `a:` (libxt_tcp parse_ports); marks are `value[/mask]` in any C base.
 */
import { readIpv4, type Ipv4 } from '../../net/ipv4.js';
import { maskOf, type Prefix } from '../../net/prefix.js';
import { readIpv6Prefix, type Ipv6Prefix } from '../../net/ipv6.js';
import { PROTO_NUMBER, type Proto } from '../../net/packet.js';

export type Parsed<T> = { ok: true; value: T; warning?: string } | { ok: false; message: string };

const ok = <T>(value: T, warning?: string): Parsed<T> => (warning ? { ok: true, value, warning } : { ok: true, value });
const bad = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** Parses `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d/m.m.m.m` (contiguous masks only). */
export function parseAddress(text: string): Parsed<Prefix> {
  if (text.includes(',')) {
    return bad(`'${text}': address lists are expanded by iptables into one rule per address and never appear in a dump`);
  }
  const slash = text.indexOf('/');
  const addrEnd = slash < 0 ? text.length : slash;
  const raw = readIpv4(text, 0, addrEnd); // read in place: this runs for every -s/-d of a dump
  if (raw === -1) return bad(`'${text.slice(0, addrEnd)}' is not an IPv4 address`);
  let len = slash < 0 ? 32 : prefixLength(text, slash + 1);
  if (len < 0) {
    const maskText = text.slice(slash + 1);
    const m = readIpv4(maskText);
    if (m === -1) return bad(`'${text}': bad mask '${maskText}'`);
    let l = 0;
    while (l < 32 && ((m >>> (31 - l)) & 1) === 1) l++;
    if (maskOf(l) !== m) return bad(`'${text}': non-contiguous mask ${maskText} is not supported`);
    len = l;
  }
  const addr = (raw & maskOf(len)) >>> 0;
  if (addr !== raw) {
    return ok({ addr, len }, `'${text}' has host bits set; iptables masks it to ${fmt(addr)}/${len}`);
  }
  return ok({ addr, len });
}

/** Reads an ip6tables `-s`/`-d` value: `ADDR[/LEN]`, host bits masked as ip6tables does. */
export function parseAddress6(text: string): Parsed<Ipv6Prefix> {
  const r = readIpv6Prefix(text);
  if (typeof r === 'string') return bad(r);
  const { addr, len } = r.prefix;
  return r.hostBits ? ok(r.prefix, `'${text}' has host bits set; ip6tables masks it to ${addr}/${len}`) : ok(r.prefix);
}

/** A prefix length of one or two digits, at most 32, filling text[from..]; -1 otherwise. */
function prefixLength(text: string, from: number): number {
  const digits = text.length - from;
  if (digits < 1 || digits > 2) return -1;
  let n = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n <= 32 ? n : -1;
}

function fmt(ip: Ipv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** An inclusive port range. */
export interface PortRange {
  lo: number;
  hi: number;
}

/** Parses one port (numbers only: iptables-save never prints service names). */
export function parsePort(text: string): Parsed<number> {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) return bad(`'${text}' is not a port number (service names are not resolved)`);
  return ok(Number(text));
}

/** Parses `a`, `a:b`, `:b`, `a:` (libxt_tcp). `sep` is `:` for tcp/udp, `-` for NAT targets. */
export function parsePortRange(text: string, sep: ':' | '-' = ':'): Parsed<PortRange> {
  const i = text.indexOf(sep);
  if (i < 0) {
    const p = parsePort(text);
    return p.ok ? ok({ lo: p.value, hi: p.value }) : p;
  }
  const lo = i === 0 ? ok(0) : parsePort(text.slice(0, i));
  const hi = i === text.length - 1 ? ok(65535) : parsePort(text.slice(i + 1));
  if (!lo.ok) return lo;
  if (!hi.ok) return hi;
  if (lo.value > hi.value) return bad(`invalid port range '${text}' (min > max)`);
  return ok({ lo: lo.value, hi: hi.value });
}

/** `53` or `1:65535`, as iptables-save prints a range. */
export function formatPortRange(r: PortRange, sep: ':' | '-' = ':'): string {
  return r.lo === r.hi ? String(r.lo) : `${r.lo}${sep}${r.hi}`;
}

/** Protocol names iptables knows without /etc/protocols (xtables_chain_protos) plus common ones. */
const PROTO_NAMES: Record<string, number> = {
  all: 0, icmp: 1, igmp: 2, ipip: 4, ipencap: 4, tcp: 6, egp: 8, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51,
  icmpv6: 58, 'ipv6-icmp': 58, ospf: 89, ospfigp: 89, pim: 103, vrrp: 112, l2tp: 115, sctp: 132, mh: 135, udplite: 136,
};

/** Parses `-p` (name or number); 0 means all. */
export function parseProto(text: string): Parsed<number> {
  const lower = text.toLowerCase();
  if (Object.hasOwn(PROTO_NAMES, lower)) return ok(PROTO_NAMES[lower]!);
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return ok(Number(text));
  return bad(`unknown protocol '${text}'`);
}

const PROTO_CANON: Record<number, string> = { 0: 'all', 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp', 136: 'udplite' };

/** The name iptables-save prints for a protocol number. */
export function protoName(n: number): string {
  return PROTO_CANON[n] ?? String(n);
}

/** The IP protocol number of a traced packet. */
export function packetProtoNumber(p: Proto): number {
  return PROTO_NUMBER[p];
}

/** A mark with mask: matches when `(mark & mask) === value`. */
export interface MarkMask {
  value: number;
  mask: number;
}

/** Parses a number the way strtoul(…, 0) does (0x hex, leading-0 octal, decimal). */
export function parseUint32(text: string): Parsed<number> {
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) n = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) n = Number(text);
  else return bad(`'${text}' is not a number`);
  if (!Number.isFinite(n) || n > 0xffffffff) return bad(`'${text}' does not fit in 32 bits`);
  return ok(n >>> 0);
}

/** Parses `value[/mask]`; the mask defaults to 0xffffffff. */
export function parseMarkMask(text: string): Parsed<MarkMask> {
  const [v, m, extra] = text.split('/');
  if (extra !== undefined) return bad(`'${text}' is not value[/mask]`);
  const value = parseUint32(v ?? '');
  if (!value.ok) return value;
  const mask = m === undefined ? ok(0xffffffff) : parseUint32(m);
  if (!mask.ok) return mask;
  return ok({ value: value.value, mask: mask.value });
}

/** `0x4000/0x4000` (iptables-save's form; the mask is omitted when it is 0xffffffff). */
export function formatMarkMask(mm: MarkMask, alwaysMask = false): string {
  const v = `0x${mm.value.toString(16)}`;
  return mm.mask === 0xffffffff && !alwaysMask ? v : `${v}/0x${mm.mask.toString(16)}`;
}

/** ICMP type names iptables accepts (libxt_icmp), as [type, codeMin, codeMax]. */
const ICMP_NAMES: Record<string, [number, number, number]> = {
  any: [255, 0, 255],
  'echo-reply': [0, 0, 255], pong: [0, 0, 255],
  'destination-unreachable': [3, 0, 255],
  'network-unreachable': [3, 0, 0], 'host-unreachable': [3, 1, 1], 'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3], 'fragmentation-needed': [3, 4, 4], 'source-route-failed': [3, 5, 5],
  'network-unknown': [3, 6, 6], 'host-unknown': [3, 7, 7], 'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10], 'TOS-network-unreachable': [3, 11, 11], 'TOS-host-unreachable': [3, 12, 12],
  'communication-prohibited': [3, 13, 13], 'host-precedence-violation': [3, 14, 14], 'precedence-cutoff': [3, 15, 15],
  'source-quench': [4, 0, 255], redirect: [5, 0, 255], 'echo-request': [8, 0, 255], ping: [8, 0, 255],
  'router-advertisement': [9, 0, 255], 'router-solicitation': [10, 0, 255], 'time-exceeded': [11, 0, 255],
  'ttl-exceeded': [11, 0, 255], 'parameter-problem': [12, 0, 255], 'timestamp-request': [13, 0, 255],
  'timestamp-reply': [14, 0, 255], 'address-mask-request': [17, 0, 255], 'address-mask-reply': [18, 0, 255],
};

/** An ICMP type with a code range (type 255 = any). */
export interface IcmpType {
  type: number;
  codeMin: number;
  codeMax: number;
}

/** Parses `--icmp-type` (name, `type` or `type/code`). */
export function parseIcmpType(text: string): Parsed<IcmpType> {
  const named = ICMP_NAMES[text];
  if (named) return ok({ type: named[0], codeMin: named[1], codeMax: named[2] });
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(text);
  if (!m || Number(m[1]) > 255 || Number(m[2] ?? 0) > 255) return bad(`unknown ICMP type '${text}'`);
  const type = Number(m[1]);
  return m[2] === undefined ? ok({ type, codeMin: 0, codeMax: 255 }) : ok({ type, codeMin: Number(m[2]), codeMax: Number(m[2]) });
}

/** iptables-save's form: `8`, `3/4`, `any`. */
export function formatIcmpType(t: IcmpType): string {
  if (t.type === 255) return 'any';
  if (t.codeMin === 0 && t.codeMax === 255) return String(t.type);
  return `${t.type}/${t.codeMin}`;
}
