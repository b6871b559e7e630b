/**
 * Matches on state outside the header: `-m conntrack --ctstate`, `-m state
 * --state`, `-m mark`, `-m connmark`, `-m addrtype`, `-m statistic`.
 *
 * - ctstate/state: the walk's conntrack state (ctx.ctState, or UNTRACKED after
 *   NOTRACK). INVALID never holds (podpath traces valid packets). The virtual
 *   states SNAT/DNAT read conntrack's status bits (ctx.ctStatus or a NAT done
 *   earlier in the walk); when they are not known the result is `unknown`.
 *   The tuple options (--ctorigdst, --ctdir, ...) are in match-conntrack.ts.
 *   A `-m conntrack` without --ctstate is fine.
 * - mark/connmark: `(mark & mask) === value` (xt_mark).
 * - addrtype: LOCAL from ctx.isLocal; MULTICAST is 224.0.0.0/4; UNICAST is a
 *   non-local, non-multicast address other than 255.255.255.255 (a
 *   subnet-directed broadcast would be BROADCAST in the kernel: the caller's
 *   isLocal should know its own subnets); BROADCAST is known only for
 *   255.255.255.255 and for addresses known to be local or multicast (false);
 *   other types give `unknown`; so does LOCAL (and UNICAST) when ctx.isLocal
 *   cannot tell. With `--limit-iface-in` (`-out`) the type is asked of the
 *   packet's input (output) interface, as xt_addrtype's inet_dev_addr_type
 *   does: a local address counts as LOCAL only when its local-table route is on
 *   that interface, and is UNICAST otherwise (ctx.localDevice; unknown without it).
 * - statistic: `--mode random --probability p` holds with probability p (a
 *   fork); `--mode nth --every n` holds for one packet in n, forked as 1/n.
 */
import { formatIpv4 } from '../../net/ipv4.js';
import type { Match } from './types.js';
import {
  neg, optionMatch, type BuildContext, unknownModuleMatch, unknownOptionMatch, type CompiledMatch, type EvalEnv, type MatchModule,
  type MatchResult, type ModuleUse,
} from './match-types.js';
import { formatMarkMask, parseMarkMask, parseUint32, type MarkMask } from './values.js';
import { buildCtTupleOption, compileCtTuple, ctOrder, saveCtTuple } from './match-conntrack.js';

const CT_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;

function ctTest(states: string[], env: EvalEnv): boolean | 'unknown' {
  if (states.includes(env.ct)) return true;
  let r: boolean | 'unknown' = false;
  for (const [name, bit] of [['DNAT', env.dnat], ['SNAT', env.snat]] as const) {
    if (!states.includes(name)) continue;
    if (bit === true) return true;
    if (bit === undefined) r = 'unknown';
  }
  return r;
}

function stateModule(module: 'conntrack' | 'state'): MatchModule {
  const opt = module === 'conntrack' ? '--ctstate' : '--state';
  const allowed: readonly string[] = module === 'conntrack' ? CT_STATES : CT_STATES.slice(0, 5);
  const other = ['--ctproto', '--ctorigsrc', '--ctorigdst', '--ctreplsrc', '--ctrepldst', '--ctorigsrcport',
    '--ctorigdstport', '--ctreplsrcport', '--ctrepldstport', '--ctstatus', '--ctexpire', '--ctdir'];
  return {
    options: {
      [opt]: { args: 1 },
      ...(module === 'conntrack' ? Object.fromEntries(other.map((o) => [o, { args: o === '--ctdir' ? 1 : 1 }])) : {}),
    },
    build(use, cx) {
      if (use.options.length === 0) cx.error(`${use.text} needs ${module === 'conntrack' ? 'an option' : opt}`);
      const matches = use.options.map((o): Match => {
        if (o.name !== opt) return buildCtTupleOption(use, o, cx);
        const states = (o.values[0] ?? '').split(',');
        const badState = states.find((s) => !allowed.includes(s));
        if (badState !== undefined) {
          cx.error(`unknown state '${badState}' (${allowed.join(', ')})`);
          return unknownOptionMatch(use, o, `unknown state '${badState}'`);
        }
        return optionMatch(use, o, { states });
      });
      // iptables-save prints a conntrack match's options in libxt_conntrack's order.
      return module === 'conntrack' ? matches.sort((a, b) => ctOrder(a) - ctOrder(b)) : matches;
    },
    compile(m): CompiledMatch {
      if (m.args['ct'] !== undefined) return compileCtTuple(m);
      const states = m.args['states'] as string[];
      return {
        test: (env) => {
          const r = ctTest(states, env);
          return r === 'unknown' ? r : r !== m.negated;
        },
        why: (env) => {
          if (ctTest(states, env) === 'unknown') return `the connection's ${states.includes('DNAT') ? 'DNAT' : 'SNAT'} status is not known`;
          return `conntrack state is ${env.ct}`;
        },
      };
    },
    save: (m) => (m.args['ct'] !== undefined ? saveCtTuple(m) : neg(m, [opt, (m.args['states'] as string[]).join(',')])),
  };
}

function markModule(module: 'mark' | 'connmark'): MatchModule {
  return {
    options: { '--mark': { args: 1 } },
    build(use, cx) {
      if (use.options.length === 0) cx.error(`${use.text} needs --mark`);
      return use.options.map((o): Match => {
        const mm = parseMarkMask(o.values[0] ?? '');
        if (!mm.ok) {
          cx.error(mm.message);
          return unknownOptionMatch(use, o, mm.message);
        }
        return optionMatch(use, o, { mark: mm.value });
      });
    },
    compile(m) {
      const { value, mask } = m.args['mark'] as MarkMask;
      const get = (env: EvalEnv): number | undefined => (module === 'mark' ? env.mark : env.connmark);
      return {
        test: (env) => {
          const v = get(env);
          return v === undefined ? 'unknown' : (((v & mask) >>> 0) === value) !== m.negated;
        },
        why: (env) => {
          const v = get(env);
          return v === undefined ? 'the connection mark is not known' : `${module} is 0x${v.toString(16)}`;
        },
      };
    },
    save: (m) => neg(m, ['--mark', formatMarkMask(m.args['mark'] as MarkMask)]),
  };
}

const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];

function addrTypeOf(type: string, ip: number, env: EvalEnv, limit?: 'in' | 'out'): boolean | 'unknown' {
  let local = env.ctx.isLocal(ip);
  if (limit && local === true && ip >>> 28 !== 0xe && ip !== 0xffffffff) {
    // inet_dev_addr_type: the local table's route for ip must leave by the limiting device, else the type is UNICAST.
    const dev = limit === 'in' ? env.ctx.inIface : env.ctx.outIface;
    const holder = env.ctx.localDevice?.(ip);
    if (dev === undefined || holder === undefined) return 'unknown';
    if (holder !== dev) return type === 'UNICAST';
    local = true;
  }
  const multicast = ip >>> 28 === 0xe;
  switch (type) {
    case 'LOCAL':
      return local ?? 'unknown';
    case 'MULTICAST':
      return multicast;
    case 'UNICAST':
      if (multicast || ip === 0xffffffff) return false;
      return local === undefined ? 'unknown' : !local;
    case 'BROADCAST':
      return ip === 0xffffffff ? true : local === true || multicast ? false : 'unknown';
    default:
      return 'unknown';
  }
}

const addrtype: MatchModule = {
  options: {
    '--src-type': { args: 1 },
    '--dst-type': { args: 1 },
    '--limit-iface-in': { args: 0, invertible: false },
    '--limit-iface-out': { args: 0, invertible: false },
  },
  build(use, cx) {
    const limited = use.options.find((o) => o.name.startsWith('--limit-iface'));
    const out: Match[] = [];
    for (const o of use.options) {
      if (o.name.startsWith('--limit-iface')) continue;
      const types = (o.values[0] ?? '').split(',');
      const badType = types.find((t) => !ADDR_TYPES.includes(t));
      if (badType !== undefined) {
        cx.error(`unknown address type '${badType}'`);
        out.push(unknownOptionMatch(use, o, `unknown address type '${badType}'`));
      } else {
        out.push(optionMatch(use, o, { dir: o.name === '--src-type' ? 'src' : 'dst', types, ...(limited ? { limit: limited.name === '--limit-iface-in' ? 'in' : 'out' } : {}) }));
      }
    }
    if (out.length === 0) cx.error(`${use.text} needs --src-type or --dst-type`);
    // libxt_addrtype prints the limit once, after the types: the last option carries it.
    const last = out[out.length - 1];
    if (limited && last && last.unknown === undefined) {
      last.args = { ...last.args, printLimit: true };
      last.text = `${last.text} ${limited.text}`;
    }
    return out;
  },
  compile(m) {
    const dir = m.args['dir'] as 'src' | 'dst';
    const types = m.args['types'] as string[];
    const limit = m.args['limit'] as 'in' | 'out' | undefined;
    const holds = (env: EvalEnv): boolean | 'unknown' => {
      let r: boolean | 'unknown' = false;
      for (const t of types) {
        const v = addrTypeOf(t, env.packet[dir], env, limit);
        if (v === true) return true;
        if (v === 'unknown') r = 'unknown';
      }
      return r;
    };
    return {
      test: (env) => {
        const r = holds(env);
        return r === 'unknown' ? r : r !== m.negated;
      },
      why: (env) => {
        const ip = env.packet[dir];
        const dev = limit === 'in' ? env.ctx.inIface : limit === 'out' ? env.ctx.outIface : undefined;
        if (holds(env) === 'unknown') {
          return limit && env.ctx.isLocal(ip) === true
            ? `whether ${formatIpv4(ip)} is ${types.join('/')} on ${dev ?? `the ${limit}put interface`} is not known (which interface holds ${formatIpv4(ip)}, or the ${limit}put interface, is not given)`
            : `whether ${formatIpv4(ip)} is ${types.join('/')} is not known (the node's addresses are not given)`;
        }
        if (limit && env.ctx.isLocal(ip) === true) return `${formatIpv4(ip)} is a local address of ${env.ctx.localDevice?.(ip)}, ${env.ctx.localDevice?.(ip) === dev ? '' : 'not '}the ${limit}put interface ${dev}`;
        return `${formatIpv4(ip)} is ${env.ctx.isLocal(ip) ? '' : 'not '}a local address`;
      },
    };
  },
  save: (m) => [
    ...neg(m, [m.args['dir'] === 'src' ? '--src-type' : '--dst-type', (m.args['types'] as string[]).join(',')]),
    ...(m.args['printLimit'] ? [m.args['limit'] === 'in' ? '--limit-iface-in' : '--limit-iface-out'] : []),
  ],
};

/** The first value of option `name` in a module use. */
const optionValue = (use: ModuleUse, name: string): string | undefined => use.options.find((o) => o.name === name)?.values[0];

/** A statistic match that cannot be read: reported, kept as unknown. */
function statisticFailed(use: ModuleUse, text: string, cx: BuildContext, message: string): Match[] {
  cx.error(message);
  return [unknownModuleMatch(use, `${text}: ${message}`)];
}

const statistic: MatchModule = {
  options: { '--mode': { args: 1, invertible: false }, '--probability': { args: 1 }, '--every': { args: 1 }, '--packet': { args: 1, invertible: false } },
  build(use: ModuleUse, cx) {
    const mode = optionValue(use, '--mode');
    const negated = use.options.some((o) => o.negated);
    const text = [use.text, ...use.options.map((o) => o.text)].join(' ');
    if (mode === 'random') {
      const p = Number(optionValue(use, '--probability'));
      if (!Number.isFinite(p) || p < 0 || p > 1) return statisticFailed(use, text, cx, '--mode random needs --probability between 0 and 1');
      // The kernel keeps lround(p * 2^31) (libxt_statistic), and iptables-save prints that back with 11 decimals.
      const probability = Math.round(p * 0x80000000) / 0x80000000;
      return [{ kind: 'statistic', negated, text, args: { mode, probability }, instance: use.instance }];
    }
    if (mode === 'nth') {
      const every = parseUint32(optionValue(use, '--every') ?? '');
      const packet = parseUint32(optionValue(use, '--packet') ?? '0');
      if (!every.ok || every.value < 1 || !packet.ok || packet.value >= every.value) return statisticFailed(use, text, cx, '--mode nth needs --every n and 0 <= --packet < n');
      return [{ kind: 'statistic', negated, text, args: { mode, every: every.value, packet: packet.value }, instance: use.instance }];
    }
    return statisticFailed(use, text, cx, `--mode must be random or nth`);
  },
  compile(m) {
    const p0 = m.args['mode'] === 'random' ? (m.args['probability'] as number) : 1 / (m.args['every'] as number);
    const p = m.negated ? 1 - p0 : p0;
    const result: MatchResult = p <= 0 ? false : p >= 1 ? true : { p };
    return {
      test: () => result,
      why: () => `holds with probability ${p}`,
      note: m.args['mode'] === 'nth' ? `${m.text}: one packet in ${m.args['every'] as number}, modelled as probability ${p}` : undefined,
    };
  },
  save(m) {
    const bang = m.negated ? ['!'] : [];
    if (m.args['mode'] === 'random') return ['--mode', 'random', ...bang, '--probability', (m.args['probability'] as number).toFixed(11)];
    return ['--mode', 'nth', ...bang, '--every', String(m.args['every']), '--packet', String(m.args['packet'])];
  },
};

/** State modules, by `-m` name. */
export const STATE_MODULES: Record<string, MatchModule> = {
  conntrack: stateModule('conntrack'),
  state: stateModule('state'),
  mark: markModule('mark'),
  connmark: markModule('connmark'),
  addrtype,
  statistic,
};
