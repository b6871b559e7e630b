/**
 * ipset: `ipset save` output and set membership, for `-m set --match-set`.
 *
 * Format (ipset(8) save/restore): `create NAME TYPE [options]` then
 * `add NAME ENTRY [options]` lines; an entry's dimensions are joined by `,`
 * (`10.1.2.3,tcp:80`). Types read: hash:ip (with `netmask`), hash:net,
 * hash:ip,port, hash:net,port, hash:ip,port,ip, hash:ip,port,net, bitmap:ip,
 * bitmap:port, list:set. Other types, and `family inet6` sets, are kept with
 * `unknown` set: a rule that asks them answers unknown.
 *
 * Membership (kernel ip_set_hash_gen.h / ip_set_bitmap_port.c / list:set):
 * - an ip dimension holds when the address (masked by `netmask` for hash:ip)
 *   equals the entry's; a net dimension when the entry's prefix contains it;
 * - among matching hash:net* entries the most specific prefix decides, and a
 *   `nomatch` entry there means no match (the kernel tries prefixes from the
 *   longest down);
 * - a port dimension needs the entry's protocol (a bare port is tcp) and the
 *   packet's port; ICMP entries hold for an echo request (podpath's ICMP packet,
 *   type 8 code 0). bitmap:port ignores the protocol but needs a TCP/UDP port;
 * - list:set holds when one of its member sets holds, in order;
 * - the flags of `--match-set NAME src,dst` pick the packet's source or
 *   destination per dimension; fewer flags than dimensions never match.
 *
 * Guarantees: `parseIpsetSave` never throws: an unreadable line is an error
 * diagnostic with its line. `setHolds` answers `unknown` (with the reason),
 * never a guess, for a set it cannot evaluate.
 */
import { contains, maskOf, readPrefix, type Prefix } from '../../net/prefix.js';
import type { Packet } from '../../net/packet.js';
import type { SourceLoc, TextSource } from '../../model/source.js';
import type { Diagnostic } from '../../model/diagnostic.js';

type Dim = 'ip' | 'net' | 'port';

const TYPES: Record<string, Dim[]> = {
  'hash:ip': ['ip'], 'hash:net': ['net'], 'hash:ip,port': ['ip', 'port'], 'hash:net,port': ['net', 'port'],
  'hash:ip,port,ip': ['ip', 'port', 'ip'], 'hash:ip,port,net': ['ip', 'port', 'net'], 'bitmap:ip': ['ip'], 'bitmap:port': ['port'],
};

/** One dimension of an entry. */
type Part = { kind: 'addr'; prefix: Prefix } | { kind: 'port'; proto: string; lo: number; hi: number };

export interface IpsetEntry {
  parts: Part[];
  nomatch: boolean;
  text: string;
  loc: SourceLoc;
}

export interface IpSet {
  name: string;
  type: string;
  /** Members of a list:set, by name. */
  members?: string[];
  entries: IpsetEntry[];
  /** hash:ip `netmask N`: addresses are stored and tested masked. */
  netmask?: number;
  /** Why podpath cannot evaluate this set, when it cannot. */
  unknown?: string;
  loc: SourceLoc;
}

export interface ParsedIpsets {
  value: Map<string, IpSet>;
  diagnostics: Diagnostic[];
}

/** Parses `ipset save` (or `ipset list -o save`) text. */
export function parseIpsetSave(src: TextSource): ParsedIpsets {
  const file = src.file ?? '<input>';
  const first = src.firstLine ?? 1;
  const value = new Map<string, IpSet>();
  const diagnostics: Diagnostic[] = [];
  src.text.split('\n').forEach((raw, i) => {
    const text = raw.replace(/\r$/, '').trim();
    if (text === '' || text.startsWith('#')) return;
    const loc = { file, line: first + i };
    const diag = (severity: Diagnostic['severity'], message: string) => diagnostics.push({ severity, file, line: loc.line, text, message });
    const words = text.split(/\s+/);
    const [verb, name, arg] = words;
    if (verb === 'create' && name && arg) {
      const set: IpSet = { name, type: arg, entries: [], loc };
      const opt = (k: string) => {
        const at = words.indexOf(k, 3);
        return at >= 0 ? words[at + 1] : undefined;
      };
      if (opt('family') === 'inet6') set.unknown = `set ${name} holds IPv6 addresses (podpath traces IPv4 only)`;
      else if (arg === 'list:set') set.members = [];
      else if (!TYPES[arg]) set.unknown = `set ${name} is of type ${arg}, which podpath does not model`;
      const nm = opt('netmask');
      if (nm !== undefined) set.netmask = Number(nm);
      if (value.has(name)) diag('error', `set ${name} is created twice`);
      value.set(name, set);
      return;
    }
    if (verb === 'add' && name && arg) {
      const set = value.get(name);
      if (!set) return diag('error', `add to set ${name}, which no create line before declares`);
      if (set.unknown) return;
      if (set.members) return void set.members.push(arg);
      const entry = parseEntry(arg, TYPES[set.type]!, set.netmask);
      if (typeof entry === 'string') return diag('error', `set ${name} (${set.type}): ${entry}`);
      const key = entryKey(entry);
      const twice = set.entries.findIndex((e) => entryKey(e.parts) === key);
      if (twice >= 0) {
        // ipset restore refuses a second add of an element unless -exist, which then updates it.
        if (!words.includes('-exist')) return diag('error', `set ${name}: ${arg} is already added (line ${set.entries[twice]!.loc.line})`);
        set.entries.splice(twice, 1);
      }
      set.entries.push({ parts: entry, nomatch: words.includes('nomatch'), text: arg, loc });
      return;
    }
    diag('error', 'not an ipset save line (expected create NAME TYPE ... or add NAME ENTRY ...)');
  });
  return { value, diagnostics };
}

function parseEntry(text: string, dims: Dim[], netmask: number | undefined): Part[] | string {
  const pieces = text.split(',');
  if (pieces.length !== dims.length) return `entry '${text}' has ${pieces.length} part(s), the type has ${dims.length}`;
  const parts: Part[] = [];
  for (let d = 0; d < dims.length; d++) {
    const piece = pieces[d]!;
    if (dims[d] === 'port') {
      const m = /^(?:(tcp|udp|icmp|sctp|udplite):)?(\d{1,5})(?:-(\d{1,5}))?$|^icmp:(8\/0|echo-request)$/.exec(piece);
      if (!m) return `'${piece}' is not a port (PROTO:PORT[-PORT])`;
      if (m[4]) parts.push({ kind: 'port', proto: 'icmp', lo: 8, hi: 8 });
      else parts.push({ kind: 'port', proto: m[1] ?? 'tcp', lo: Number(m[2]), hi: Number(m[3] ?? m[2]) });
      continue;
    }
    let prefix = readPrefix(piece);
    if (!prefix) return `'${piece}' is not an IPv4 address or prefix`;
    if (dims[d] === 'ip' && netmask !== undefined) prefix = { addr: (prefix.addr & maskOf(netmask)) >>> 0, len: netmask };
    parts.push({ kind: 'addr', prefix });
  }
  return parts;
}

/** The element an entry is, as the kernel keys it (addresses masked). */
const entryKey = (parts: Part[]): string =>
  parts.map((p) => (p.kind === 'addr' ? `${p.prefix.addr}/${p.prefix.len}` : `${p.proto}:${p.lo}-${p.hi}`)).join(',');

type Answer = boolean | { unknown: string };

/** The value of one dimension for a packet: an address, or a protocol and port. */
function partHolds(part: Part, p: Packet, side: 'src' | 'dst'): boolean {
  if (part.kind === 'addr') return contains(part.prefix, side === 'src' ? p.src : p.dst);
  if (part.proto === 'icmp') return p.proto === 'icmp';
  const port = side === 'src' ? p.sport : p.dport;
  return p.proto === part.proto && port >= part.lo && port <= part.hi;
}

/**
 * Whether packet `p` is in set `name` for `--match-set name flags`
 * (`flags`: src/dst per dimension). See the file comment for the rules.
 */
export function setHolds(sets: ReadonlyMap<string, IpSet>, name: string, flags: readonly ('src' | 'dst')[], p: Packet, depth = 0): Answer {
  const set = sets.get(name);
  if (!set) return { unknown: `set ${name} is not in the ipset input` };
  if (set.unknown) return { unknown: set.unknown };
  if (set.members) {
    if (depth > 0) return { unknown: `list:set ${name} inside another list:set` };
    for (const m of set.members) {
      const r = setHolds(sets, m, flags, p, depth + 1);
      if (r !== false) return r;
    }
    return false;
  }
  const dims = TYPES[set.type]!;
  if (flags.length < dims.length) return false;
  if (set.type === 'bitmap:port') {
    const port = flags[0] === 'src' ? p.sport : p.dport;
    if (p.proto === 'icmp') return false;
    return set.entries.some((e) => e.parts[0]!.kind === 'port' && port >= e.parts[0]!.lo && port <= e.parts[0]!.hi);
  }
  const hits = set.entries.filter((e) => e.parts.every((part, d) => partHolds(part, p, flags[d]!)));
  if (hits.length === 0) return false;
  // hash:net*: the most specific prefix decides; a nomatch entry there means no match.
  const specificity = (e: IpsetEntry) => e.parts.reduce((n, part) => n + (part.kind === 'addr' ? part.prefix.len : 0), 0);
  const best = Math.max(...hits.map(specificity));
  return !hits.some((e) => specificity(e) === best && e.nomatch);
}
