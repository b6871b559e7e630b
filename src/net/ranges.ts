/**
 * Named address ranges, as data. The internet does not route these, so a
 * packet addressed to one of them that reaches an internet gateway is lost.
 */
import { parseCidr, contains, type Prefix } from './prefix.js';
import type { Ipv4 } from './ipv4.js';

/** Ranges that are never routed on the public internet. */
export const NON_INTERNET_RANGES: readonly { name: string; prefix: Prefix }[] = [
  { name: 'RFC 1918 private', prefix: parseCidr('10.0.0.0/8') },
  { name: 'RFC 1918 private', prefix: parseCidr('172.16.0.0/12') },
  { name: 'RFC 1918 private', prefix: parseCidr('192.168.0.0/16') },
  { name: 'RFC 6598 shared (carrier-grade NAT)', prefix: parseCidr('100.64.0.0/10') },
  { name: 'RFC 3927 link-local', prefix: parseCidr('169.254.0.0/16') },
  { name: 'RFC 1122 loopback', prefix: parseCidr('127.0.0.0/8') },
  { name: 'RFC 1122 "this network"', prefix: parseCidr('0.0.0.0/8') },
];

/** The name of the non-internet range holding `ip`, or undefined for a public address. */
export function nonInternetRange(ip: Ipv4): string | undefined {
  return NON_INTERNET_RANGES.find((r) => contains(r.prefix, ip))?.name;
}
