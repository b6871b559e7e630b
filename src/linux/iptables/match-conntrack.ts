/**
 * `-m conntrack` options on the connection's tuples (xt_conntrack):
 * `--ctproto`, `--ctorigsrc`, `--ctorigdst`, `--ctreplsrc`, `--ctrepldst`
 * (address[/mask], compared under the mask), `--ctorigsrcport` ...
 * `--ctrepldstport` (port or `lo:hi`), and `--ctdir ORIGINAL|REPLY`; each
 * may be negated. They read ctx.conn: the original tuple, and the reply tuple
 * conntrack expects with the NAT decided so far (a DNAT or SNAT in this walk
 * updates it). Without ctx.conn they answer `unknown`. `--ctstatus` and
 * `--ctexpire` (runtime state) stay `unknown`.
 *
 * iptables-save prints the options of one `-m conntrack` in a fixed order
 * (libxt_conntrack), protocols as numbers and /32 addresses without a length;
 * the build sorts them so a rule prints back as the kernel prints it.
 */
import { formatIpv4 } from '../../net/ipv4.js';
import { contains, formatPrefix, type Prefix } from '../../net/prefix.js';
import type { Packet } from '../../net/packet.js';
import type { Match } from './types.js';
import { neg, optionMatch, unknownOptionMatch, type BuildContext, type CompiledMatch, type EvalEnv, type ModuleUse, type OptionUse } from './match-types.js';
import { formatPortRange, packetProtoNumber, parseAddress, parsePortRange, parseProto, type PortRange } from './values.js';

/** The order libxt_conntrack prints its options in. */
export const CT_OPTION_ORDER = [
  '--ctstate', '--ctproto', '--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst',
  '--ctorigsrcport', '--ctorigdstport', '--ctreplsrcport', '--ctrepldstport', '--ctstatus', '--ctexpire', '--ctdir',
] as const;

type Side = 'original' | 'reply';
const ADDR: Record<string, [Side, 'src' | 'dst']> = {
  '--ctorigsrc': ['original', 'src'], '--ctorigdst': ['original', 'dst'], '--ctreplsrc': ['reply', 'src'], '--ctrepldst': ['reply', 'dst'],
};
const PORT: Record<string, [Side, 'sport' | 'dport']> = {
  '--ctorigsrcport': ['original', 'sport'], '--ctorigdstport': ['original', 'dport'], '--ctreplsrcport': ['reply', 'sport'], '--ctrepldstport': ['reply', 'dport'],
};

/** The Match of one tuple option of `-m conntrack` (not `--ctstate`). */
export function buildCtTupleOption(use: ModuleUse, o: OptionUse, cx: BuildContext): Match {
  const v = o.values[0] ?? '';
  const fail = (message: string) => {
    cx.error(message);
    return unknownOptionMatch(use, o, message);
  };
  if (o.name === '--ctproto') {
    const p = parseProto(v);
    return p.ok ? optionMatch(use, o, { ct: 'proto', proto: p.value }) : fail(p.message);
  }
  if (ADDR[o.name]) {
    const a = parseAddress(v);
    if (!a.ok) return fail(a.message);
    return optionMatch(use, o, { ct: 'addr', side: ADDR[o.name]![0], field: ADDR[o.name]![1], prefix: a.value });
  }
  if (PORT[o.name]) {
    const r = parsePortRange(v, ':');
    return r.ok ? optionMatch(use, o, { ct: 'port', side: PORT[o.name]![0], field: PORT[o.name]![1], range: r.value }) : fail(r.message);
  }
  if (o.name === '--ctdir') {
    return v === 'ORIGINAL' || v === 'REPLY' ? optionMatch(use, o, { ct: 'dir', dir: v }) : fail(`--ctdir must be ORIGINAL or REPLY, not '${v}'`);
  }
  return unknownOptionMatch(use, o, `${o.name} is runtime state podpath does not model`);
}

function tuple(env: EvalEnv, side: Side): Packet | undefined {
  return env.conn?.[side];
}

const UNKNOWN_WHY = 'the connection\'s tuples are not known here';

/** A test and its reason on one tuple of the connection; undefined (unknown) without the tuples. */
function onTuple(side: Side, test: (t: Packet) => boolean, say: (t: Packet, side: Side) => string) {
  return {
    holds: (env: EvalEnv) => {
      const t = tuple(env, side);
      return t ? test(t) : undefined;
    },
    why: (env: EvalEnv) => {
      const t = tuple(env, side);
      return t ? say(t, side) : UNKNOWN_WHY;
    },
  };
}

/** The closure of a tuple option built by buildCtTupleOption. */
export function compileCtTuple(m: Match): CompiledMatch {
  const a = m.args;
  let holds: (env: EvalEnv) => boolean | undefined;
  let why: (env: EvalEnv) => string;
  switch (a['ct']) {
    case 'proto':
      holds = (env) => (env.conn ? a['proto'] === 0 || packetProtoNumber(env.conn.original.proto) === a['proto'] : undefined);
      why = (env) => (env.conn ? `the connection's protocol is ${env.conn.original.proto}` : UNKNOWN_WHY);
      break;
    case 'addr': {
      const field = a['field'] as 'src' | 'dst';
      const p = a['prefix'] as Prefix;
      ({ holds, why } = onTuple(a['side'] as Side, (t) => contains(p, t[field]),
        (t, side) => `the ${side} ${field === 'src' ? 'source' : 'destination'} is ${formatIpv4(t[field])}`));
      break;
    }
    case 'port': {
      const field = a['field'] as 'sport' | 'dport';
      const r = a['range'] as PortRange;
      ({ holds, why } = onTuple(a['side'] as Side, (t) => t[field] >= r.lo && t[field] <= r.hi,
        (t, side) => `the ${side} ${field === 'sport' ? 'source' : 'destination'} port is ${t[field]}`));
      break;
    }
    default:
      holds = (env) => (env.conn ? env.conn.dir === a['dir'] : undefined);
      why = (env) => (env.conn ? `the packet goes in the ${env.conn.dir} direction` : UNKNOWN_WHY);
  }
  return {
    test: (env) => {
      const h = holds(env);
      return h === undefined ? 'unknown' : h !== m.negated;
    },
    why,
  };
}

/** The words of a tuple option, as iptables-save prints them. */
export function saveCtTuple(m: Match): string[] {
  const a = m.args;
  const name = optionName(m);
  switch (a['ct']) {
    case 'proto':
      return neg(m, [name, String(a['proto'])]);
    case 'addr': {
      const p = a['prefix'] as Prefix;
      return neg(m, [name, p.len === 32 ? formatIpv4(p.addr) : formatPrefix(p)]);
    }
    case 'port':
      return neg(m, [name, formatPortRange(a['range'] as PortRange, ':')]);
    default:
      return neg(m, [name, a['dir'] as string]);
  }
}

function optionName(m: Match): string {
  const a = m.args;
  if (a['ct'] === 'proto') return '--ctproto';
  if (a['ct'] === 'dir') return '--ctdir';
  const table = a['ct'] === 'addr' ? ADDR : PORT;
  return Object.keys(table).find((k) => table[k]![0] === a['side'] && table[k]![1] === a['field'])!;
}

/** Where a Match of `-m conntrack` goes in libxt_conntrack's print order. */
export function ctOrder(m: Match): number {
  const name = m.args['states'] !== undefined ? '--ctstate' : m.args['ct'] !== undefined ? optionName(m) : ((m.args['options'] as { name: string }[] | undefined)?.[0]?.name ?? '');
  const i = (CT_OPTION_ORDER as readonly string[]).indexOf(name);
  return i < 0 ? CT_OPTION_ORDER.length : i;
}
