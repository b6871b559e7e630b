/**
 * NAT targets: DNAT, SNAT, MASQUERADE, REDIRECT — their ranges and what they do
 * to the first packet of a connection (the nat table sees only NEW packets;
 * conntrack applies the same mapping to the rest and reverses it for replies).
 *
 * Choices, all deterministic (the kernel's nf_nat_setup_info picks inside the
 * range; with no clash it keeps what it can):
 * - the first address of an address range is used (a note says so when the
 *   range has more than one address);
 * - a port is kept when it lies inside the `--to-ports`/`:p-q` range, otherwise
 *   the range's first port is used (nf_nat_l4proto_unique_tuple keeps an
 *   in-range port when the tuple is free);
 * - MASQUERADE uses the out interface's primary address (ctx.ifaceAddress), or
 *   for an interface without one the first global address of another device
 *   (ctx.fallbackSource; inet_select_addr);
 *   REDIRECT uses the in interface's primary address, or 127.0.0.1 in OUTPUT
 *   (nf_nat_redirect_ipv4); when that address is not known the result is unknown;
 * - `--random`/`--random-fully` randomise the port: the original port is shown
 *   and a note says so.
 */
import { formatIpv4, parseIpv4, readIpv4, type Ipv4 } from '../../net/ipv4.js';
import { readIpv6Prefix } from '../../net/ipv6.js';
import type { Packet } from '../../net/packet.js';
import type { EvalEnv } from './match-types.js';
import type { Target } from './types.js';
import { formatPortRange, parsePortRange, type Parsed, type PortRange } from './values.js';

/** `a[-b][:p[-q]]` as in `--to-destination` / `--to-source`. */
export interface NatRange {
  /** Absent when only ports are given (`:8080`). */
  from?: Ipv4;
  to?: Ipv4;
  ports?: PortRange;
}

/** Parses a NAT range. */
export function parseNatRange(text: string): Parsed<NatRange> {
  const colon = text.indexOf(':');
  const addrEnd = colon < 0 ? text.length : colon;
  const portPart = colon < 0 ? undefined : text.slice(colon + 1);
  const range: NatRange = {};
  if (addrEnd > 0) {
    // `a` or `a-b`, read in place (DNAT rules are a third of a kube-proxy dump).
    const dash = text.indexOf('-');
    const dashInAddr = dash >= 0 && dash < addrEnd;
    const second = dashInAddr ? text.indexOf('-', dash + 1) : -1;
    const from = readIpv4(text, 0, dashInAddr ? dash : addrEnd);
    const to = dashInAddr ? readIpv4(text, dash + 1, addrEnd) : from;
    if ((second >= 0 && second < addrEnd) || from === -1 || to === -1) {
      return { ok: false, message: `'${text}' is not a NAT range a.b.c.d[-e.f.g.h][:port[-port]]` };
    }
    range.from = from;
    range.to = to;
    if (range.to < range.from) return { ok: false, message: `'${text}': address range is empty` };
  }
  if (portPart !== undefined) {
    const p = parsePortRange(portPart, '-');
    if (!p.ok) return p;
    range.ports = p.value;
  }
  if (range.from === undefined && range.ports === undefined) return { ok: false, message: `'${text}' is empty` };
  return { ok: true, value: range };
}

/**
 * An ip6tables NAT range, `ADDR[-ADDR]` or `[ADDR][-[ADDR]]:PORT[-PORT]`,
 * as the text ip6tables-save prints (RFC 5952 addresses, brackets only with
 * ports); a message when it is not one. podpath does not trace IPv6, so the
 * range is kept for printing back only.
 */
export function parseNatRange6(text: string): Parsed<string> {
  const m = /^(?:\[([^\]]+)\](?:-\[([^\]]+)\])?:(\d{1,5}(?:-\d{1,5})?)|([0-9a-fA-F:.]+)(?:-([0-9a-fA-F:.]+))?)$/.exec(text);
  const bad = { ok: false as const, message: `'${text}' is not an IPv6 NAT range ADDR[-ADDR] or [ADDR]:PORT[-PORT]` };
  if (!m) return bad;
  const addrs = [m[1] ?? m[4], m[2] ?? m[5]].filter((a): a is string => a !== undefined).map((a) => readIpv6Prefix(a));
  if (addrs.some((a) => typeof a === 'string' || a.prefix.len !== 128)) return bad;
  const [from, to] = addrs.map((a) => (a as { prefix: { addr: string } }).prefix.addr);
  if (m[3] !== undefined) {
    const ports = parsePortRange(m[3], '-');
    if (!ports.ok) return ports;
    return { ok: true, value: `[${from}]${to !== undefined && to !== from ? `-[${to}]` : ''}:${formatPortRange(ports.value, '-')}` };
  }
  return { ok: true, value: to !== undefined && to !== from ? `${from}-${to}` : from! };
}

/** Prints a NAT range as iptables-save does. */
export function formatNatRange(r: NatRange): string {
  let s = '';
  if (r.from !== undefined) s = r.from === r.to ? formatIpv4(r.from) : `${formatIpv4(r.from)}-${formatIpv4(r.to!)}`;
  if (r.ports) s += `:${formatPortRange(r.ports, '-')}`;
  return s;
}

/** What a target did to the walk. */
export type TargetEffect =
  | { kind: 'verdict'; verdict: 'ACCEPT' | 'DROP' | 'REJECT' }
  | { kind: 'return' }
  | { kind: 'continue'; mark?: number; connmark?: number; untracked?: boolean; note?: string }
  | { kind: 'nat'; nat: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT'; packet: Packet; note?: string }
  | { kind: 'unknown'; construct: string };

function mapPort(port: number, r: PortRange | undefined): number {
  if (!r || (port >= r.lo && port <= r.hi)) return port;
  return r.lo;
}

/** Hooks each NAT target is valid in (the kernel refuses a rule set that uses it elsewhere). */
function validHook(name: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT', hook: string): boolean {
  switch (name) {
    case 'DNAT':
    case 'REDIRECT':
      return hook === 'PREROUTING' || hook === 'OUTPUT';
    case 'SNAT':
      return hook === 'POSTROUTING' || hook === 'INPUT';
    case 'MASQUERADE':
      return hook === 'POSTROUTING';
  }
}

/** Applies a NAT target to the packet. */
export function applyNat(t: Target, env: EvalEnv): TargetEffect {
  return natEffect(t)(env);
}

/** `applyNat` with the target's arguments read once (the compiled walk calls this per rule, then the result per packet). */
export function natEffect(t: Target): (env: EvalEnv) => TargetEffect {
  const name = t.name as 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  const notes: string[] = [];
  if (t.args['random'] || t.args['randomFully']) notes.push(`${t.text}: the port is randomised; the original port is shown`);
  const range = t.args['range'] as NatRange | undefined;
  if (range?.from !== undefined && range.to !== range.from) notes.push(`${t.text}: first address of the range used`);
  const note = notes.length ? notes.join('; ') : undefined;
  const toPorts = t.args['toPorts'] as PortRange | undefined;
  if (t.args['range6'] !== undefined) {
    const effect: TargetEffect = { kind: 'unknown', construct: `${t.text}: an IPv6 NAT range; podpath traces IPv4 packets` };
    return () => effect;
  }
  return (env) => {
    if (!validHook(name, env.hook)) {
      return { kind: 'unknown', construct: `${t.text}: ${name} is not valid in ${env.hook} (the kernel refuses such a rule set)` };
    }
    const p = env.packet;
    const ports = p.proto !== 'icmp';
    switch (name) {
      case 'DNAT': {
        const r = range!;
        const packet = { ...p, dst: r.from ?? p.dst, dport: ports ? mapPort(p.dport, r.ports) : p.dport };
        return { kind: 'nat', nat: name, packet, note };
      }
      case 'SNAT': {
        const r = range!;
        const packet = { ...p, src: r.from ?? p.src, sport: ports ? mapPort(p.sport, r.ports) : p.sport };
        return { kind: 'nat', nat: name, packet, note };
      }
      case 'MASQUERADE': {
        const iface = env.ctx.outIface;
        if (iface === undefined) return { kind: 'unknown', construct: `${t.text}: the out interface is not given` };
        const own = env.ctx.ifaceAddress(iface);
        const addr = own ?? env.ctx.fallbackSource?.(iface);
        if (addr === undefined) return { kind: 'unknown', construct: `${t.text}: the address of ${iface} is not known` };
        const fallback = own === undefined ? `${iface} holds no IPv4 address: the kernel takes ${formatIpv4(addr)}, the first global address of the node's devices (inet_select_addr)` : undefined;
        const withFallback = [note, fallback].filter((x): x is string => x !== undefined).join('; ');
        return { kind: 'nat', nat: name, packet: { ...p, src: addr, sport: ports ? mapPort(p.sport, toPorts) : p.sport }, ...(withFallback ? { note: withFallback } : {}) };
      }
      case 'REDIRECT': {
        let addr: Ipv4 | undefined;
        if (env.hook === 'OUTPUT') addr = LOOPBACK;
        else {
          const iface = env.ctx.inIface;
          if (iface === undefined) return { kind: 'unknown', construct: `${t.text}: the in interface is not given` };
          addr = env.ctx.ifaceAddress(iface);
          if (addr === undefined) return { kind: 'unknown', construct: `${t.text}: the address of ${iface} is not known` };
        }
        return { kind: 'nat', nat: name, packet: { ...p, dst: addr, dport: ports ? mapPort(p.dport, toPorts) : p.dport }, note };
      }
    }
  };
}

/** REDIRECT in OUTPUT sends to the loopback address (nf_nat_redirect_ipv4). */
const LOOPBACK = parseIpv4('127.0.0.1');
