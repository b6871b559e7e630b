/**
 * Node routing: `ip route` / `ip route show table all` text, the kernel's route
 * lookup within one table, and the routes a node has when no dump was given.
 *
 * Format (iproute2 ip-route(8)): one route per line,
 * `[TYPE] PREFIX|default [key value | flag]...`, where TYPE defaults to
 * `unicast` and keys include `via`, `dev`, `src`, `proto`, `scope`, `metric`,
 * `table`; multipath routes continue on indented `nexthop` lines. `ip route`
 * prints the main table without a `table` key; `ip route show table all` names
 * every other table (local, 101...) on each line, and lists IPv6 routes too
 * (`fe80::/64`, `local ::1`, `multicast ff00::/8`, `anycast fe80::`): those are
 * set aside with a warning (traces are IPv4), whatever their type.
 *
 * Lookup (kernel FIB, ip-route(8) "ip route get"): within a table the most
 * specific prefix containing the destination wins; among routes with that
 * prefix, the lowest metric (priority). Policy routing (`ip rule`) chooses the
 * table; the caller does that.
 *
 * Guarantees:
 * - `parseIpRoute` never throws. Every route keeps its file:line; a line that is
 *   not a route gives an error diagnostic and no route; anything understood but
 *   not modelled (IPv6 routes, unknown keys) gives a warning, never a silent
 *   change of meaning. CRLF line ends, trailing spaces and the old two-space
 *   style are accepted.
 * - `lookupNodeRoute` returns a route of the requested table whose prefix
 *   contains the destination, with the greatest prefix length and then the
 *   lowest metric (first listed on a tie); undefined when none contains it.
 * - `deriveNodeRoutes` returns exactly what the kernel adds for the given
 *   interfaces plus the default route, each marked `derived`.
 */
import { formatIpv4, isIpv6, isValidIpv4, parseIpv4, type Ipv4 } from '../../net/ipv4.js';
import { contains, formatPrefix, maskOf, parseCidr, type Prefix } from '../../net/prefix.js';
import type { SourceLoc, TextSource } from '../../model/source.js';

export type { Diagnostic } from '../../model/diagnostic.js';
import type { Diagnostic } from '../../model/diagnostic.js';

/**
 * Route types (ip-route(8) TYPE); `unicast` when the line names none. `local`
 * and `broadcast` routes fill the kernel's local table (an address of the node,
 * a subnet's broadcast address); `multicast` and `anycast` are read so a real
 * table parses, and a lookup that selects one answers unknown (ip-rule.ts).
 */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'multicast' | 'anycast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** One next hop of a multipath route. */
export interface NextHop {
  via?: Ipv4;
  dev?: string;
  /** @default 1 */
  weight: number;
}

/** One route of a node's routing tables. */
export interface RouteEntry {
  type: RouteType;
  /** Destination; `default` is 0.0.0.0/0. */
  dst: Prefix;
  /** `main`, `local`, `default` or a number as text (`101`). @default main */
  table: string;
  /** Gateway. Absent for a directly connected route. */
  via?: Ipv4;
  /** Output device. Absent for blackhole/unreachable/prohibit/throw routes and for multipath ones. */
  dev?: string;
  /** Preferred source address for locally generated packets. */
  src?: Ipv4;
  /** Who installed it: `kernel`, `boot`, `static`, `dhcp`, `bird`... @default boot when absent, as the kernel's RTPROT_BOOT */
  proto?: string;
  /** `global`, `link`, `host` (or a number). */
  scope?: string;
  /** Priority; lower wins among equal prefixes. @default 0 */
  metric: number;
  /** Flags as printed: `linkdown`, `onlink`, `dead`... */
  flags: string[];
  /** Next hops of a multipath route (`nexthop via ... dev ... weight N` lines). */
  nexthops?: NextHop[];
  /** The route as written (continuation lines joined with a space), or as `ip route` would print a derived one. */
  text: string;
  /** Where the route was read; for derived routes, where the node was declared, if known. */
  loc?: SourceLoc;
  /** True when podpath computed the route instead of reading a dump. */
  derived: boolean;
}

/** Result of parsing `ip route` output. */
export interface ParsedRoutes {
  value: RouteEntry[];
  diagnostics: Diagnostic[];
}

const TYPES: ReadonlySet<string> = new Set<RouteType>(['unicast', 'local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw']);
/** Keys followed by a value that do not change the forwarding decision podpath models. */
const IGNORED_KEYS: ReadonlySet<string> = new Set([
  'tos', 'dsfield', 'realm', 'realms', 'mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd',
  'initrwnd', 'ssthresh', 'features', 'quickack', 'congctl', 'fastopen_no_cookie', 'rto_min', 'hoplimit', 'expires',
  'pref', 'nhid', 'error', 'encap', 'ttl-propagate', 'protocol', 'priority', 'preference', 'lock', 'cache', 'used', 'age', 'users',
]);
const FLAGS: ReadonlySet<string> = new Set(['linkdown', 'onlink', 'dead', 'pervasive', 'offload', 'trap', 'notify', 'rt_offload', 'rt_trap', 'rt_offload_failed', 'unresolved']);
/** rt_tables(5) names of the reserved table ids. */
const TABLE_NAMES: Record<string, string> = { '253': 'default', '254': 'main', '255': 'local' };

/**
 * Parses `ip route` text.
 * @param opts.table table for lines without a `table` key (`ip route show table 101` omits it). @default main
 */
export function parseIpRoute(src: TextSource, opts: { table?: string } = {}): ParsedRoutes {
  const file = src.file ?? '<input>';
  const first = src.firstLine ?? 1;
  const defaultTable = tableName(opts.table ?? 'main');
  const value: RouteEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = src.text.split('\n');
  /** The route of the last non-indented line; `failed` when that line gave no route. */
  let last: RouteEntry | 'failed' | undefined;

  lines.forEach((raw, i) => {
    const text = raw.replace(/\r$/, '').trimEnd();
    const line = first + i;
    const diag = (severity: Diagnostic['severity'], message: string) => diagnostics.push({ severity, file, line, text, message });
    if (text.trim() === '' || text.trimStart().startsWith('#')) return;

    if (/^\s/.test(text)) {
      // A continuation line: a `nexthop` of the multipath route above.
      const tokens = text.trim().split(/\s+/);
      if (tokens[0] !== 'nexthop' || last === undefined) {
        diag('error', 'indented line is not a nexthop of a route above');
        return;
      }
      if (last === 'failed') return;
      const hop = parseNexthop(tokens.slice(1), diag);
      if (hop) {
        (last.nexthops ??= []).push(hop);
        last.text = `${last.text} ${text.trim()}`;
      }
      return;
    }

    const parsed = parseRouteLine(text, defaultTable, diag);
    last = parsed ?? 'failed';
    if (parsed) {
      parsed.loc = { file, line };
      value.push(parsed);
    }
  });
  // Checked once nexthop continuation lines have been attached.
  for (const r of value) {
    if (r.type === 'unicast' && r.dev === undefined && r.via === undefined && r.nexthops === undefined) {
      const line = r.loc!.line;
      diagnostics.push({ severity: 'warning', file, line, text: lines[line - first]!.replace(/\r$/, '').trimEnd(), message: 'unicast route without dev, via or nexthop: it cannot forward' });
    }
  }
  diagnostics.sort((a, b) => a.line - b.line);
  return { value, diagnostics };
}

/** The name `ip` prints for a table number (253 default, 254 main, 255 local); other names as given. */
export function tableName(t: string): string {
  return TABLE_NAMES[t] ?? t;
}

function parseAddress(text: string | undefined): Ipv4 | undefined {
  return text !== undefined && isValidIpv4(text) ? parseIpv4(text) : undefined;
}

/** `255.255.255.0` and friends: a netmask, which is never a sensible gateway. */
function looksLikeNetmask(ip: Ipv4): boolean {
  if (ip >>> 24 !== 255) return false;
  for (let len = 8; len <= 32; len++) if (maskOf(len) === ip) return true;
  return false;
}

function parseRouteLine(text: string, defaultTable: string, diag: (s: Diagnostic['severity'], m: string) => void): RouteEntry | undefined {
  const tokens = text.trim().split(/\s+/);
  let type: RouteType = 'unicast';
  let k = 0;
  const head = tokens[0]!;
  if (TYPES.has(head)) {
    type = head as RouteType;
    k = 1;
  } else if (head === 'nat') {
    // Route NAT left the kernel in 2.6.9; ip route add nat ... now fails ("Invalid scope").
    diag('error', "route type 'nat' is obsolete: the kernel refuses it");
    return undefined;
  }

  const dstText = tokens[k++];
  if (dstText === undefined) {
    diag('error', 'route has no destination');
    return undefined;
  }
  let dst: Prefix;
  if (dstText === 'default' || dstText === 'all') {
    dst = { addr: 0, len: 0 };
  } else if (isValidIpv4(dstText.split('/')[0] ?? '') && /^[\d.]+(\/\d{1,2})?$/.test(dstText)) {
    // The kernel stores destinations masked; `ip route` always prints them so.
    let warned: string | undefined;
    try {
      dst = parseCidr(dstText, { nonAligned: 'mask', onWarning: (m) => (warned = m) });
    } catch {
      diag('error', `bad destination '${dstText}'`);
      return undefined;
    }
    if (warned) diag('warning', warned);
  } else if (isIpv6(dstText.split('/')[0] ?? '')) {
    diag('warning', 'IPv6 route skipped (podpath traces IPv4 only)');
    return undefined;
  } else {
    diag('error', `'${dstText}' is not a route destination (expected PREFIX or default)`);
    return undefined;
  }

  const entry: RouteEntry = { type, dst, table: defaultTable, metric: 0, flags: [], text: text.trim(), derived: false };
  while (k < tokens.length) {
    const key = tokens[k++]!;
    const arg = tokens[k];
    if (FLAGS.has(key)) {
      entry.flags.push(key);
      continue;
    }
    if (key === 'nexthop') {
      // Single-line multipath form: `nexthop via A dev X weight 1 nexthop via B ...`.
      const rest: string[] = [];
      while (k < tokens.length && tokens[k] !== 'nexthop') rest.push(tokens[k++]!);
      const hop = parseNexthop(rest, diag);
      if (hop) (entry.nexthops ??= []).push(hop);
      continue;
    }
    if (arg === undefined) {
      diag('warning', `'${key}' without a value ignored`);
      continue;
    }
    k++;
    switch (key) {
      case 'via': {
        let gw = arg;
        if (gw === 'inet' && tokens[k] !== undefined) gw = tokens[k++]!;
        const ip = parseAddress(gw);
        if (ip === undefined && isIpv6(gw)) {
          diag('warning', 'IPv6 route skipped (podpath traces IPv4 only)');
          return undefined;
        }
        if (ip === undefined) {
          diag('error', `gateway '${gw}' is not an IPv4 address`);
          return undefined;
        }
        if (looksLikeNetmask(ip)) diag('warning', `gateway ${gw} looks like a netmask, not a router address (a misconfigured route push?)`);
        entry.via = ip;
        break;
      }
      case 'dev':
      case 'oif':
        entry.dev = arg;
        break;
      case 'src': {
        const ip = parseAddress(arg);
        if (ip === undefined) diag('warning', `source '${arg}' is not an IPv4 address; ignored`);
        else entry.src = ip;
        break;
      }
      case 'proto':
        entry.proto = arg;
        break;
      case 'scope':
        entry.scope = arg;
        break;
      case 'metric': {
        if (!/^\d+$/.test(arg)) {
          diag('error', `metric '${arg}' is not a number`);
          return undefined;
        }
        entry.metric = Number(arg);
        break;
      }
      case 'table':
        entry.table = tableName(arg);
        break;
      default:
        if (!IGNORED_KEYS.has(key)) diag('warning', `unrecognised '${key} ${arg}' ignored`);
    }
  }
  return entry;
}

function parseNexthop(tokens: string[], diag: (s: Diagnostic['severity'], m: string) => void): NextHop | undefined {
  const hop: NextHop = { weight: 1 };
  let k = 0;
  while (k < tokens.length) {
    const key = tokens[k++]!;
    if (FLAGS.has(key)) continue;
    let arg = tokens[k++];
    if (arg === undefined) {
      diag('warning', `'${key}' without a value ignored`);
      break;
    }
    if (key === 'via') {
      if (arg === 'inet') arg = tokens[k++] ?? '';
      const ip = parseAddress(arg);
      if (ip === undefined) {
        diag('error', `nexthop gateway '${arg}' is not an IPv4 address`);
        return undefined;
      }
      hop.via = ip;
    } else if (key === 'dev') hop.dev = arg;
    else if (key === 'weight' && /^\d+$/.test(arg)) hop.weight = Number(arg);
    else diag('warning', `unrecognised nexthop '${key} ${arg}' ignored`);
  }
  return hop;
}

/**
 * The route the kernel picks in `table` for `dst`: longest prefix, then lowest
 * metric, then the first listed. The result may be a blackhole, unreachable,
 * prohibit or throw route; interpreting it is the caller's job.
 */
export function lookupNodeRoute(routes: readonly RouteEntry[], dst: Ipv4, table = 'main'): RouteEntry | undefined {
  let best: RouteEntry | undefined;
  for (const r of routes) {
    if (r.table !== table || !contains(r.dst, dst)) continue;
    if (best === undefined || r.dst.len > best.dst.len || (r.dst.len === best.dst.len && r.metric < best.metric)) best = r;
  }
  return best;
}

/**
 * The `local` route of the local table that makes `ip` an address of the node
 * (the kernel's RTN_LOCAL: delivered locally, `-m addrtype --dst-type LOCAL`),
 * if the routes hold one. Broadcast routes of the local table are not local
 * addresses (their addrtype is BROADCAST).
 */
export function localRouteFor(routes: readonly RouteEntry[], ip: Ipv4): RouteEntry | undefined {
  const r = lookupNodeRoute(routes, ip, 'local');
  return r?.type === 'local' ? r : undefined;
}

/** An interface address with its on-link prefix. */
export interface IfaceAddress {
  name: string;
  address: Ipv4;
  /** The connected network (eth0: the subnet; a bridge: the node's pod CIDR). */
  prefix: Prefix;
}

/** What a node's routes are derived from when no `ip route` dump is given. */
export interface DeriveInput {
  eth0: IfaceAddress;
  /** The pod bridge (cbr0, docker0), when pods attach to one. */
  bridge?: IfaceAddress;
  /** The default gateway. @default the VPC router: eth0's subnet base + 1 */
  gateway?: Ipv4;
  /** Where the node is declared, used as the derived routes' location. */
  at?: SourceLoc;
}

/**
 * The routes a node has without any routing configuration of its own: the
 * kernel's connected (`proto kernel scope link`) route and `local` route for
 * each interface address, loopback, and a default route via the VPC router,
 * which is the subnet's base address + 1
 * (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html, reserved addresses).
 * Broadcast routes of the local table are not derived.
 */
export function deriveNodeRoutes(input: DeriveInput): RouteEntry[] {
  const gateway = input.gateway ?? ((input.eth0.prefix.addr + 1) >>> 0);
  const mk = (e: Omit<RouteEntry, 'flags' | 'derived' | 'loc'>): RouteEntry => ({ ...e, flags: [], derived: true, ...(input.at ? { loc: input.at } : {}) });
  const ifaces = [input.eth0, ...(input.bridge ? [input.bridge] : [])];
  const routes: RouteEntry[] = [
    mk({ type: 'unicast', dst: { addr: 0, len: 0 }, table: 'main', via: gateway, dev: input.eth0.name, metric: 0, text: `default via ${formatIpv4(gateway)} dev ${input.eth0.name}` }),
  ];
  for (const i of ifaces) {
    const net = formatPrefix(i.prefix);
    routes.push(
      mk({
        type: 'unicast', dst: i.prefix, table: 'main', dev: i.name, src: i.address, proto: 'kernel', scope: 'link', metric: 0,
        text: `${net} dev ${i.name} proto kernel scope link src ${formatIpv4(i.address)}`,
      }),
    );
  }
  for (const i of ifaces) {
    const a = formatIpv4(i.address);
    routes.push(
      mk({
        type: 'local', dst: { addr: i.address, len: 32 }, table: 'local', dev: i.name, src: i.address, proto: 'kernel', scope: 'host', metric: 0,
        text: `local ${a} dev ${i.name} table local proto kernel scope host src ${a}`,
      }),
    );
  }
  const loopback = parseCidr('127.0.0.0/8');
  routes.push(
    mk({
      type: 'local', dst: loopback, table: 'local', dev: 'lo', src: parseIpv4('127.0.0.1'), proto: 'kernel', scope: 'host', metric: 0,
      text: 'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1',
    }),
  );
  return routes;
}

/** `ip route` form of a route's destination: `default` or `a.b.c.d[/len]` (a /32 prints bare). */
export function formatRouteDst(dst: Prefix): string {
  if (dst.len === 0 && dst.addr === 0) return 'default';
  return dst.len === 32 ? formatIpv4(dst.addr) : formatPrefix(dst);
}
