/**
 * IPv6 prefixes, only as far as podpath reads them: ip6tables rules name them,
 * traces do not follow IPv6 packets. Parsing and RFC 5952 printing are
 * ipaddr.js's; this adds the masking ip6tables applies.
 */
import ipaddr from 'ipaddr.js';

/** An IPv6 prefix: the address masked to `len` bits, printed as RFC 5952 (as ip6tables-save and inet_ntop do). */
export interface Ipv6Prefix {
  addr: string;
  len: number;
}

/**
 * Reads `ADDR[/LEN]` (LEN 0-128, default 128), masking host bits. Returns a
 * message when the text is not an IPv6 prefix; `hostBits` when masking
 * changed the address. Never throws.
 */
export function readIpv6Prefix(text: string): { prefix: Ipv6Prefix; hostBits: boolean } | string {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  if (!ipaddr.IPv6.isValid(addrText)) return `'${addrText}' is not an IPv6 address`;
  const lenText = slash < 0 ? '128' : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > 128) return `'${text}': bad prefix length '${lenText}'`;
  const len = Number(lenText);
  const given = ipaddr.IPv6.parse(addrText);
  const masked = given.toByteArray().map((b, i) => (i * 8 >= len ? 0 : i * 8 + 8 <= len ? b : b & (0xff << (8 - (len - i * 8))) & 0xff));
  const addr = (ipaddr.fromByteArray(masked) as ipaddr.IPv6).toRFC5952String();
  return { prefix: { addr, len }, hostBits: addr !== given.toRFC5952String() };
}

/** `addr/len`. */
export const formatIpv6Prefix = (p: Ipv6Prefix): string => `${p.addr}/${p.len}`;
