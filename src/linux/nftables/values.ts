/**
 * nftables data types as podpath compares them: which type a selector reads,
 * and how a written value (`10.0.0.0/8`, `tcp`, `new`, `0x4000`, `eth*`) becomes an Atom.
 * Symbol tables follow nft(8) "DATA TYPES" (ct state, ct status, inet_proto).
 */
import { readIpv4 } from '../../net/ipv4.js';
import type { Atom } from './types.js';

/** The nft data type a selector yields. */
export function typeOf(key: string): string {
  if (key === 'ip saddr' || key === 'ip daddr') return 'ipv4_addr';
  if (key === 'ip6 saddr' || key === 'ip6 daddr') return 'ipv6_addr';
  if (key === 'meta l4proto' || key === 'ip protocol') return 'inet_proto';
  if (/ (d|s)port$/.test(key)) return 'inet_service';
  if (key === 'meta mark' || key === 'ct mark') return 'mark';
  if (key === 'ct state') return 'ct_state';
  if (key === 'ct status') return 'ct_status';
  if (key === 'meta iifname' || key === 'meta oifname') return 'ifname';
  if (key.startsWith('fib ')) return 'fib_addrtype';
  if (key === 'meta nfproto') return 'nf_proto';
  return 'integer';
}

const PROTOS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, sctp: 132, udplite: 136 };
export const PROTO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(PROTOS).map(([k, v]) => [v, k]));
/** ct state bits (nf_conntrack_common.h: NF_CT_STATE_BIT, IP_CT_* ). */
export const CT_STATE: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
/** ct status bits (IPS_* in nf_conntrack_common.h). */
export const CT_STATUS: Record<string, number> = { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 };
const SERVICES: Record<string, number> = { http: 80, https: 443, domain: 53, ssh: 22, ntp: 123, bootps: 67, bootpc: 68 };
const NFPROTO: Record<string, number> = { ipv4: 2, ipv6: 10 };

/** Flag-like types: a single value matches when its bit is set (`ct state new`). */
export const isFlagType = (t: string): boolean => t === 'ct_state' || t === 'ct_status';

const num = (s: string): number | undefined => (/^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) >>> 0 : undefined);

/** One written value of a type as an Atom, or a reason it is not understood. */
export function atomOf(type: string, text: string): Atom | string {
  if (type === 'ipv4_addr') {
    const dash = text.indexOf('-');
    if (dash > 0) {
      const lo = readIpv4(text, 0, dash);
      const hi = readIpv4(text, dash + 1);
      return lo >= 0 && hi >= 0 && lo <= hi ? { lo, hi } : `bad address range ${text}`;
    }
    const slash = text.indexOf('/');
    const ip = readIpv4(text, 0, slash < 0 ? text.length : slash);
    if (ip < 0) return `bad IPv4 address ${text}`;
    if (slash < 0) return { lo: ip, hi: ip };
    const len = Number(text.slice(slash + 1));
    if (!Number.isInteger(len) || len < 0 || len > 32) return `bad prefix ${text}`;
    const size = 2 ** (32 - len);
    const lo = Math.floor(ip / size) * size;
    return { lo, hi: lo + size - 1 };
  }
  if (type === 'ipv6_addr' || type === 'ifname' || type === 'fib_addrtype') {
    if (type === 'ifname' && text.endsWith('*')) return { str: text.slice(0, -1), wildcard: true };
    return { str: text };
  }
  const table = type === 'inet_proto' ? PROTOS : type === 'ct_state' ? CT_STATE : type === 'ct_status' ? CT_STATUS
    : type === 'inet_service' ? SERVICES : type === 'nf_proto' ? NFPROTO : {};
  const dash = text.indexOf('-');
  if (dash > 0 && type !== 'ct_status') {
    const lo = table[text.slice(0, dash)] ?? num(text.slice(0, dash));
    const hi = table[text.slice(dash + 1)] ?? num(text.slice(dash + 1));
    if (lo !== undefined && hi !== undefined && lo <= hi) return { lo, hi };
  }
  const v = table[text] ?? num(text);
  return v === undefined ? `${text} is not a ${type} podpath knows` : { lo: v, hi: v };
}

/** An Atom printed back (for notes and the text renderer). */
export function showAtom(a: Atom, type?: string): string {
  if ('str' in a) return a.wildcard ? `${a.str}*` : a.str;
  if (type === 'ipv4_addr' && a.lo !== a.hi) {
    const size = a.hi - a.lo + 1;
    const len = 32 - Math.log2(size);
    if (Number.isInteger(len) && a.lo % size === 0) return `${showAtom({ lo: a.lo, hi: a.lo }, type)}/${len}`;
  }
  if (type === 'ct_state' || type === 'ct_status') {
    const names = Object.entries(type === 'ct_state' ? CT_STATE : CT_STATUS).filter(([, b]) => (a.lo & b) !== 0).map(([n]) => n);
    if (names.length) return names.join(',');
  }
  if (type === 'mark') return `0x${a.lo.toString(16)}`;
  const one = (v: number) => (type === 'ipv4_addr' ? `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}` : type === 'inet_proto' ? (PROTO_NAMES[v] ?? String(v)) : String(v));
  return a.lo === a.hi ? one(a.lo) : `${one(a.lo)}-${one(a.hi)}`;
}

/** Named chain priorities for the ip/inet families (nft(8) "Standard priority names"). */
export const NAMED_PRIORITY: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
