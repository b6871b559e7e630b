/**
 * The options every rule may carry without `-m`: `-s`, `-d`, `-i`, `-o`, `-p`,
 * `-f` (kinds 'src', 'dst', 'in', 'out', 'proto', 'frag').
 *
 * Kernel semantics (ip_tables.c ip_packet_match):
 * - addresses compare under the mask; `!` inverts;
 * - interfaces compare by name; a trailing `+` makes the rest a prefix
 *   (`eni+` matches every `eni…`); a hook without an input (OUTPUT,
 *   POSTROUTING) or output (PREROUTING, INPUT) device compares against "";
 * - `-p all` (0) matches every protocol;
 * - `-f` matches non-first fragments; podpath traces whole packets, so `-f`
 *   never holds and `! -f` always does.
 *
 * Guarantees: builders never throw; an unparsable value yields a Match with
 * `unknown` set and an error through the BuildContext.
 */
import { contains, formatPrefix, type Prefix } from '../../net/prefix.js';
import { formatIpv4 } from '../../net/ipv4.js';
import type { HookName, Match } from './types.js';
import { neg, type BuildContext, type CompiledMatch, type EvalEnv, type MatchKind } from './match-types.js';
import { quoteIfNeeded } from './tokenize.js';
import { packetProtoNumber, parseAddress, parseAddress6, parseProto, protoName } from './values.js';
import { formatIpv6Prefix, type Ipv6Prefix } from '../../net/ipv6.js';

export type GenericKind = 'src' | 'dst' | 'in' | 'out' | 'proto' | 'frag';

/** Generic option spellings. */
export const GENERIC_OPTIONS: Record<string, GenericKind> = {
  '-s': 'src', '--source': 'src', '--src': 'src',
  '-d': 'dst', '--destination': 'dst', '--dst': 'dst',
  '-i': 'in', '--in-interface': 'in',
  '-o': 'out', '--out-interface': 'out',
  '-p': 'proto', '--protocol': 'proto',
  '-f': 'frag', '--fragment': 'frag',
};

/**
 * The generic kind an option word spells, if any (same answer as
 * GENERIC_OPTIONS; a switch compares the word in place, where a keyed
 * lookup would first intern every option word of a dump).
 */
export function genericKind(word: string): GenericKind | undefined {
  switch (word) {
    case '-s': case '--source': case '--src': return 'src';
    case '-d': case '--destination': case '--dst': return 'dst';
    case '-i': case '--in-interface': return 'in';
    case '-o': case '--out-interface': return 'out';
    case '-p': case '--protocol': return 'proto';
    case '-f': case '--fragment': return 'frag';
    default: return undefined;
  }
}

/** Builds the Match of a generic option. `value` is absent for `-f`. */
export function buildGeneric(kind: GenericKind, negated: boolean, value: string | undefined, text: string, cx: BuildContext): Match {
  switch (kind) {
    case 'src':
    case 'dst': {
      if (cx.family === 'ipv6') {
        const a6 = parseAddress6(value ?? '');
        if (!a6.ok) return failed(kind, negated, value, text, a6.message, cx);
        if (a6.warning) cx.warn(a6.warning);
        return { kind, negated, text, args: { prefix6: a6.value } };
      }
      const a = parseAddress(value ?? '');
      if (!a.ok) return failed(kind, negated, value, text, a.message, cx);
      if (a.warning) cx.warn(a.warning);
      return { kind, negated, text, args: { prefix: a.value } };
    }
    case 'in':
    case 'out': {
      const name = value ?? '';
      if (name.length === 0 || name.length > 15) return failed(kind, negated, value, text, `interface name '${name}' must be 1 to 15 characters`, cx);
      if (name.includes(':')) {
        // Old iptables warned "weird character in interface (No aliases, :, ! or *)":
        // eth3:1 is an address label, not a device, so the kernel never sees that name.
        cx.warn(`interface '${name}' is an alias label, not a device; the kernel compares device names, so it never matches`);
      }
      return { kind, negated, text, args: { name } };
    }
    case 'proto': {
      const p = parseProto(value ?? '');
      if (!p.ok) return failed(kind, negated, value, text, p.message, cx);
      if (p.value === 0 && negated) return failed(kind, negated, value, text, `! -p ${value ?? ''}: rule would never match protocol (iptables refuses it)`, cx);
      return { kind, negated, text, args: { proto: p.value } };
    }
    case 'frag':
      return { kind, negated, text, args: {} };
  }
}

/** A generic option whose value could not be read: kept raw, `unknown`, reported. */
function failed(kind: GenericKind, negated: boolean, value: string | undefined, text: string, message: string, cx: BuildContext): Match {
  cx.error(message);
  return { kind, negated, text, args: { raw: value ?? '' }, unknown: `${text}: ${message}` };
}

const HAS_IN: ReadonlySet<HookName> = new Set(['PREROUTING', 'INPUT', 'FORWARD']);
const HAS_OUT: ReadonlySet<HookName> = new Set(['FORWARD', 'OUTPUT', 'POSTROUTING']);

function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function compileAddr(m: Match): CompiledMatch {
  if (m.args['prefix6'] !== undefined) {
    const why = 'an IPv6 address; podpath traces IPv4 packets';
    return { test: () => 'unknown', why: () => why };
  }
  const p = m.args['prefix'] as Prefix;
  const field = m.kind === 'src' ? 'src' : 'dst';
  return {
    test: (env) => contains(p, env.packet[field]) !== m.negated,
    why: (env) => `${formatIpv4(env.packet[field])} is ${contains(p, env.packet[field]) ? 'inside' : 'outside'} ${formatPrefix(p)}`,
  };
}

function compileIface(m: Match): CompiledMatch {
  const pattern = m.args['name'] as string;
  const isIn = m.kind === 'in';
  const device = (env: EvalEnv): string | undefined => {
    if (!(isIn ? HAS_IN : HAS_OUT).has(env.hook)) return '';
    return isIn ? env.ctx.inIface : env.ctx.outIface;
  };
  return {
    test: (env) => {
      const d = device(env);
      return d === undefined ? 'unknown' : ifaceMatches(pattern, d) !== m.negated;
    },
    why: (env) => {
      const d = device(env);
      const which = isIn ? 'in' : 'out';
      if (d === undefined) return `the ${which} interface is not given`;
      if (d === '') return `${env.hook} has no ${which} interface`;
      return `${which} interface is ${d}`;
    },
  };
}

function compileProto(m: Match): CompiledMatch {
  const n = m.args['proto'] as number;
  const holds = (env: EvalEnv): boolean => n === 0 || packetProtoNumber(env.packet.proto) === n;
  return { test: (env) => holds(env) !== m.negated, why: (env) => `protocol is ${env.packet.proto}` };
}

const ADDR: MatchKind = {
  compile: compileAddr,
  save: (m) => neg(m, [m.kind === 'src' ? '-s' : '-d', m.args['prefix6'] !== undefined ? formatIpv6Prefix(m.args['prefix6'] as Ipv6Prefix) : formatPrefix(m.args['prefix'] as Prefix)]),
};

const IFACE: MatchKind = {
  compile: compileIface,
  save: (m) => neg(m, [m.kind === 'in' ? '-i' : '-o', quoteIfNeeded(m.args['name'] as string)]),
};

/** Evaluation and printing of the generic kinds. */
export const GENERIC_KINDS: Record<GenericKind, MatchKind> = {
  src: ADDR,
  dst: ADDR,
  in: IFACE,
  out: IFACE,
  proto: { compile: compileProto, save: (m) => neg(m, ['-p', protoName(m.args['proto'] as number)]) },
  frag: {
    compile: (m) => ({ test: () => m.negated, why: () => 'podpath traces unfragmented packets (first fragments)' }),
    save: (m) => neg(m, ['-f']),
  },
};

/** The order iptables-save prints generic options in (print_rule4). */
export const GENERIC_ORDER: readonly GenericKind[] = ['src', 'dst', 'in', 'out', 'proto', 'frag'];
