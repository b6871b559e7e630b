/**
 * IPv4 addresses as unsigned 32-bit numbers.
 *
 * Parsing is delegated to ipaddr.js: small, dependency-free, strict about
 * dotted-quad syntax (it rejects `10.0.0.256`, accepts only what `inet_pton`
 * would with the `parseIPv4` four-part check), and it also parses IPv6, which
 * the ingest layer needs to recognise and set aside. All arithmetic after parsing
 * is ours, on plain numbers, so the hot paths (trie lookups, rule matching)
 * never allocate.
 *
 * Guarantees: `isValidIpv4` never throws; `parseIpv4` throws a `PodpathError`
 * (code PP_BAD_ADDRESS) on anything that is not a dotted quad;
 * `formatIpv4(parseIpv4(s)) === s` for every canonical dotted quad `s`.
 */
import ipaddr from 'ipaddr.js';
import { PodpathError } from '../model/errors.js';

/** An IPv4 address as an unsigned 32-bit integer (0 .. 2^32-1). */
export type Ipv4 = number;

/** True when `text` is a four-part dotted-quad IPv4 address. Never throws. */
export function isValidIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** Parses a dotted-quad IPv4 address; throws PP_BAD_ADDRESS otherwise. */
export function parseIpv4(text: string): Ipv4 {
  if (!isValidIpv4(text)) {
    throw new PodpathError('PP_BAD_ADDRESS', `not an IPv4 address: '${text}'`);
  }
  const [a, b, c, d] = ipaddr.IPv4.parse(text).octets as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Formats a uint32 as a dotted quad. */
export function formatIpv4(ip: Ipv4): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** True when `text` parses as an IPv6 address (the model records, but does not trace, IPv6). */
export function isIpv6(text: string): boolean {
  return ipaddr.IPv6.isValid(text);
}
