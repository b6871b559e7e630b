/**
 * IPv4 prefixes (CIDR blocks).
 *
 * A prefix is `{ addr, len }` with the host bits of `addr` zero. Sources differ
 * on non-aligned input like `10.0.18.52/16`:
 * - AWS canonicalises it (CreateRoute: "we modify the specified CIDR block to its
 *   canonical form; for example 100.68.0.18/18 becomes 100.68.0.0/18"), so the
 *   `mask` policy masks and reports a warning through `onWarning`.
 * - iptables masks silently too (`-d 10.0.18.52/16` is saved as `10.0.0.0/16`).
 * - ip-masq-agent rejects it; the `reject` policy throws.
 * Never round up.
 *
 * Guarantees: `parseCidr` throws PodpathError PP_BAD_CIDR with a hint on bad
 * input; `isValidCidr` never throws; `contains` and `covers` are exact.
 */
import { PodpathError } from '../model/errors.js';
import { formatIpv4, isValidIpv4, parseIpv4, type Ipv4 } from './ipv4.js';

/** An IPv4 prefix; `addr` has its host bits cleared. */
export interface Prefix {
  readonly addr: Ipv4;
  /** Prefix length, 0..32. */
  readonly len: number;
}

/** What to do with a prefix whose address has host bits set. */
export type NonAlignedPolicy = 'mask' | 'reject';

/** The network mask of a prefix length as uint32 (len 0 gives 0). */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** True when `text` is `a.b.c.d/len` (or a bare address, read as /32) with aligned host bits. Never throws. */
export function isValidCidr(text: string): boolean {
  try {
    parseCidr(text, { nonAligned: 'reject' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `a.b.c.d/len`; a bare address is a /32.
 * @param opts.nonAligned what to do when host bits are set (default `reject`).
 */
const masked = new Map<string, Prefix>();

/**
 * `parseCidr(text, { nonAligned: 'mask' })`, remembered: security group and
 * network ACL rules are matched on every packet of every trace. Prefixes are
 * never changed once parsed.
 */
export function maskedCidr(text: string): Prefix {
  let p = masked.get(text);
  if (!p) {
    if (masked.size > 100_000) masked.clear();
    masked.set(text, (p = parseCidr(text, { nonAligned: 'mask' })));
  }
  return p;
}

export function parseCidr(
  text: string,
  opts: { nonAligned?: NonAlignedPolicy; onWarning?: (message: string) => void } = {},
): Prefix {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? '32' : text.slice(slash + 1);
  if (!isValidIpv4(addrText)) {
    throw new PodpathError('PP_BAD_CIDR', `not an IPv4 CIDR block: '${text}'`);
  }
  if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32) {
    throw new PodpathError('PP_BAD_CIDR', `bad prefix length in '${text}' (0..32)`);
  }
  const len = Number(lenText);
  const raw = parseIpv4(addrText);
  const addr = (raw & maskOf(len)) >>> 0;
  if (addr !== raw) {
    const canonical = `${formatIpv4(addr)}/${len}`;
    if ((opts.nonAligned ?? 'reject') === 'reject') {
      throw new PodpathError('PP_BAD_CIDR', `'${text}' has host bits set`, {
        hint: `did you mean ${canonical}?`,
      });
    }
    opts.onWarning?.(`'${text}' has host bits set; read as ${canonical}`);
  }
  return { addr, len };
}

/**
 * `parseCidr` with host bits masked, as the kernel stores prefixes (ip rule,
 * ipset); undefined when `text` is not an IPv4 address or prefix. Never throws.
 */
export function readPrefix(text: string): Prefix | undefined {
  try {
    return parseCidr(text, { nonAligned: 'mask' });
  } catch {
    return undefined;
  }
}

/** `a.b.c.d/len`. */
export function formatPrefix(p: Prefix): string {
  return `${formatIpv4(p.addr)}/${p.len}`;
}

/** True when `ip` lies inside `p`. */
export function contains(p: Prefix, ip: Ipv4): boolean {
  return ((ip & maskOf(p.len)) >>> 0) === p.addr;
}

/** True when every address of `inner` lies inside `outer`. */
export function covers(outer: Prefix, inner: Prefix): boolean {
  return outer.len <= inner.len && contains(outer, inner.addr);
}

/** True when the two prefixes share at least one address. */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return covers(a, b) || covers(b, a);
}

/** True when the two prefixes are the same block. */
export function samePrefix(a: Prefix, b: Prefix): boolean {
  return a.addr === b.addr && a.len === b.len;
}

/**
 * A number naming a prefix exactly (address and length; below 2^38, so a safe integer even
 * when scaled by a small factor): for Maps and Sets of the tens of thousands of prefixes a
 * large estate mentions, where samePrefix would be a scan.
 */
export const prefixKey = (p: Prefix): number => p.addr * 33 + p.len;

/** The last address of the block. */
export function lastAddress(p: Prefix): Ipv4 {
  return (p.addr | (~maskOf(p.len) >>> 0)) >>> 0;
}

/** The address `offset` places after the block's first address (e.g. VPC base + 2). */
export function nthAddress(p: Prefix, offset: number): Ipv4 {
  return (p.addr + offset) >>> 0;
}

/**
 * The smallest prefix covering every given prefix (their common leading bits).
 * When all come from one aligned block (node pod ranges cut from the cluster
 * CIDR), the result lies inside that block. Undefined for an empty list.
 */
export function smallestCovering(prefixes: readonly Prefix[]): Prefix | undefined {
  if (!prefixes.length) return undefined;
  let len = Math.min(...prefixes.map((p) => p.len));
  const first = prefixes[0]!.addr;
  while (len > 0 && prefixes.some((p) => ((p.addr ^ first) & maskOf(len)) >>> 0 !== 0)) len--;
  return { addr: (first & maskOf(len)) >>> 0, len };
}
