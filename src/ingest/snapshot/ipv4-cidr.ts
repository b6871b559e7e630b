/** Reading AWS CIDR text for the model: IPv4 only, canonical, problems noted. */
import { formatPrefix, parseCidr } from '../../net/prefix.js';
import { isIpv6 } from '../../net/ipv4.js';
import type { SnapshotNotes } from './notes.js';

/** A canonical IPv4 CIDR, or undefined (with a note) for IPv6 or malformed text. */
export function ipv4Cidr(text: string | undefined, what: string, notes: SnapshotNotes, file?: string): string | undefined {
  if (text === undefined) return undefined;
  if (isIpv6(text.split('/')[0] ?? '')) {
    notes.ignore(`${what}: IPv6 ${text}`, 'IPv6 is parsed and set aside: IPv6 traces are unknown for now', file);
    return undefined;
  }
  try {
    return formatPrefix(parseCidr(text, { nonAligned: 'mask', onWarning: (m) => notes.warn(`${what}: ${m}`, file) }));
  } catch {
    notes.warn(`${what}: '${text}' is not an IPv4 CIDR block; ignored`, file);
    return undefined;
  }
}
