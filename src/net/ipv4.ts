/**
 * IPv4 addresses as unsigned 32-bit numbers.
 *
 * Dotted quads are read by a hand-written scanner (`readIpv4`, no allocation:
 * the iptables parser calls it for every `-s`/`-d`) that accepts exactly what
 * ipaddr.js's `IPv4.isValidFourPartDecimal` accepts — four decimal octets
 * 0-255 separated by dots, no leading zeros except a lone `0`, nothing else
 * (it rejects `10.0.0.256`, `010.0.0.1`, `0x0a.0.0.1`, `10.1`); a property test
 * checks the two agree. IPv6 recognition is delegated to ipaddr.js. All
 * arithmetic is ours, on plain numbers, so the hot paths (trie lookups, rule
 * matching) never allocate.
 *
 * Guarantees: `isValidIpv4` never throws; `parseIpv4` throws a `PodpathError`
 * (code PP_BAD_ADDRESS) on anything that is not a dotted quad;
 * `formatIpv4(parseIpv4(s)) === s` for every canonical dotted quad `s`.
 */
import ipaddr from 'ipaddr.js';
import { PodpathError } from '../model/errors.js';

/** An IPv4 address as an unsigned 32-bit integer (0 .. 2^32-1). */
export type Ipv4 = number;

/**
 * The strict dotted quad in `text[start, end)` as a uint32, or -1 when that
 * slice is not one (same acceptance as ipaddr.js `isValidFourPartDecimal`).
 * Never throws, never allocates.
 */
export function readIpv4(text: string, start = 0, end = text.length): Ipv4 | -1 {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else if (c >= ZERO && c <= NINE) {
      if (digits > 0 && octet === 0) return -1; // a leading zero ("01")
      octet = octet * 10 + (c - ZERO);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** True when `text` is a four-part dotted-quad IPv4 address. Never throws. */
export function isValidIpv4(text: string): boolean {
  return readIpv4(text) !== -1;
}

/** Parses a dotted-quad IPv4 address; throws PP_BAD_ADDRESS otherwise. */
export function parseIpv4(text: string): Ipv4 {
  const ip = readIpv4(text);
  if (ip === -1) throw new PodpathError('PP_BAD_ADDRESS', `not an IPv4 address: '${text}'`);
  return ip;
}

/** Formats a uint32 as a dotted quad. */
export function formatIpv4(ip: Ipv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** True when `text` parses as an IPv6 address (the model records, but does not trace, IPv6). */
export function isIpv6(text: string): boolean {
  return ipaddr.IPv6.isValid(text);
}
