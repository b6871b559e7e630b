/** Shared zod field types: addresses, CIDR blocks, port ranges, protocols. */
import { z } from 'zod';
import { isValidIpv4 } from '../net/ipv4.js';
import { parseCidr } from '../net/prefix.js';
import { PodpathError } from './errors.js';

/** A dotted-quad IPv4 address. */
export const Ipv4Text = z.string().refine(isValidIpv4, { message: 'not an IPv4 address' });

/** An aligned IPv4 CIDR block; a misaligned one is rejected with the canonical form as hint. */
export const CidrText = z.string().superRefine((text, ctx) => {
  try {
    parseCidr(text, { nonAligned: 'reject' });
  } catch (e) {
    if (!(e instanceof PodpathError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.hint ? `${e.message} (${e.hint})` : e.message });
  }
});

/** Protocol of an SG/NACL rule: a name, an IANA number, or `all` (AWS's "-1"). */
export const RuleProto = z.union([z.enum(['tcp', 'udp', 'icmp', 'all']), z.number().int().min(0).max(255)]);
export type RuleProto = z.infer<typeof RuleProto>;

/** A port or inclusive port range: `5432`, `"1024-65535"`. */
export const PortRange = z
  .union([z.number().int().min(0).max(65535), z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'expected PORT or FROM-TO')])
  .transform((v, ctx) => {
    const [from, to] = typeof v === 'number' ? [v, v] : v.split('-').map(Number).concat(Number(v.split('-')[0])).slice(0, 2);
    if (from === undefined || to === undefined || from > to || to > 65535) {
      ctx.addIssue({ code: 'custom', message: `bad port range '${v}'` });
      return z.NEVER;
    }
    return { from, to };
  });
export type PortRange = { from: number; to: number };

/** An AWS-style resource id: prefix, dash, identifier (`vpc-0abc`, `rtb-main`). */
export const AwsId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[A-Za-z0-9-]+$`), `expected an id like ${prefix}-0abc123`);

/**
 * An IPv4 prefix delegated to a network interface: AWS assigns IPv4 prefixes
 * as /28 blocks (EC2 User Guide, "Assign prefixes to Amazon EC2 network
 * interfaces", "Prefix delegation basics").
 */
export const Ipv4PrefixText = CidrText.refine((t) => t.endsWith('/28'), { message: 'AWS delegates IPv4 prefixes as /28 blocks' });

/** A MAC address as `ip link` and EC2 print it (`02:1a:2b:3c:4d:5e`), compared case-insensitively. */
export const MacText = z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'expected a MAC address like 02:1a:2b:3c:4d:5e');
