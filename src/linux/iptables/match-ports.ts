/**
 * Port and ICMP matches: `-m tcp`, `-m udp`, `-m sctp` (`--sport`, `--dport`),
 * `-m multiport` (`--sports`, `--dports`, `--ports`) and `-m icmp --icmp-type`.
 *
 * Kernel semantics: xt_tcpudp and xt_multiport compare the L4 ports, inclusive
 * ranges; `--ports` holds when either port is listed; `!` on multiport inverts
 * the whole list. The kernel refuses these modules unless the rule has a
 * matching, non-negated `-p` (xt_check_match "only valid for protocol"), which
 * is reported as an error here.
 *
 * TCP flags (`--tcp-flags`, `--syn`, `--tcp-option`) are not modelled: podpath
 * follows a connection, not each segment, so they give `unknown`.
 *
 * ICMP: a traced ICMP packet is taken to be an echo-request (type 8, code 0);
 * a rule that holds only because of that says so in a note.
 */
import type { Match } from './types.js';
import type { EvalEnv } from './match-types.js';
import { PROTO_NUMBER } from '../../net/packet.js';
import {
  neg, optionMatch, unknownOptionMatch, type BuildContext, type CompiledMatch, type MatchModule, type ModuleUse, type OptionUse,
} from './match-types.js';
import { formatIcmpType, formatPortRange, parseIcmpType, parsePortRange, type IcmpType, type PortRange } from './values.js';

const inRange = (r: PortRange, p: number): boolean => p >= r.lo && p <= r.hi;

function requireProto(use: ModuleUse, cx: BuildContext, allowed: number[], what: string): void {
  if (cx.proto === undefined || !allowed.includes(cx.proto)) {
    cx.error(`${use.text} needs ${what}: the kernel refuses it for other protocols`);
  }
}

/** Options of each port module that podpath reads but does not model (they depend on each segment or chunk). */
const UNMODELLED: Record<'tcp' | 'udp' | 'sctp', { options: Record<string, { args: number }>; why: string }> = {
  tcp: { options: { '--tcp-flags': { args: 2 }, '--syn': { args: 0 }, '--tcp-option': { args: 1 } }, why: 'TCP flags are not modelled' },
  udp: { options: {}, why: '' },
  // libxt_sctp: `--chunk-types all|any|only TYPE[,...]` looks inside each packet's chunks.
  sctp: { options: { '--chunk-types': { args: 2 } }, why: 'SCTP chunk types are not modelled' },
};

/** `-m tcp`, `-m udp`, `-m sctp` (xt_tcpudp, xt_sctp): the same port options. */
function portModule(name: 'tcp' | 'udp' | 'sctp'): MatchModule {
  const protoNum = PROTO_NUMBER[name];
  const extra = UNMODELLED[name];
  return {
    options: {
      '--sport': { args: 1, aliases: ['--source-port'] },
      '--dport': { args: 1, aliases: ['--destination-port'] },
      ...extra.options,
    },
    build(use, cx) {
      requireProto(use, cx, [protoNum], `-p ${name}`);
      if (use.options.length === 0) return [{ kind: name, negated: false, text: use.text, args: {}, instance: use.instance }];
      return use.options.map((o) => {
        if (Object.hasOwn(extra.options, o.name)) {
          return unknownOptionMatch(use, o, extra.why);
        }
        const r = parsePortRange(o.values[0] ?? '');
        if (!r.ok) {
          cx.error(r.message);
          return unknownOptionMatch(use, o, r.message);
        }
        return optionMatch(use, o, { port: o.name === '--sport' ? 'sport' : 'dport', range: r.value });
      });
    },
    compile(m): CompiledMatch {
      const which = m.args['port'] as 'sport' | 'dport' | undefined;
      if (which === undefined) return { test: (env) => env.packet.proto === name, why: (env) => `protocol is ${env.packet.proto}` };
      const r = m.args['range'] as PortRange;
      return {
        test: (env) => env.packet.proto === name && inRange(r, env.packet[which]) !== m.negated,
        why: (env) =>
          env.packet.proto !== name
            ? `protocol is ${env.packet.proto}`
            : `${which} ${env.packet[which]} is ${inRange(r, env.packet[which]) ? 'in' : 'not in'} ${formatPortRange(r)}`,
      };
    },
    save(m) {
      const which = m.args['port'] as string | undefined;
      if (which === undefined) return [];
      return neg(m, [`--${which}`, formatPortRange(m.args['range'] as PortRange)]);
    },
  };
}

const MULTI_NAMES: Record<string, 'sports' | 'dports' | 'ports'> = { '--sports': 'sports', '--dports': 'dports', '--ports': 'ports' };

function parsePortList(o: OptionUse): { ranges?: PortRange[]; message?: string } {
  const ranges: PortRange[] = [];
  for (const part of (o.values[0] ?? '').split(',')) {
    const r = parsePortRange(part);
    if (!r.ok) return { message: r.message };
    ranges.push(r.value);
  }
  return { ranges };
}

const multiport: MatchModule = {
  options: {
    '--sports': { args: 1, aliases: ['--source-ports'] },
    '--dports': { args: 1, aliases: ['--destination-ports'] },
    '--ports': { args: 1 },
  },
  build(use, cx) {
    requireProto(use, cx, [6, 17, 33, 132, 136], '-p tcp, udp, udplite, sctp or dccp');
    if (use.options.length === 0) cx.error(`${use.text} needs --sports, --dports or --ports`);
    return use.options.map((o): Match => {
      const { ranges, message } = parsePortList(o);
      if (!ranges) {
        cx.error(message!);
        return unknownOptionMatch(use, o, message!);
      }
      return optionMatch(use, o, { which: MULTI_NAMES[o.name], ranges });
    });
  },
  compile(m) {
    const which = m.args['which'] as 'sports' | 'dports' | 'ports';
    const ranges = m.args['ranges'] as PortRange[];
    const any = (p: number): boolean => ranges.some((r) => inRange(r, p));
    const holds = (sp: number, dp: number): boolean =>
      which === 'sports' ? any(sp) : which === 'dports' ? any(dp) : any(sp) || any(dp);
    return {
      test: (env) => env.packet.proto !== 'icmp' && holds(env.packet.sport, env.packet.dport) !== m.negated,
      why: (env) => {
        const { sport, dport } = env.packet;
        const list = ranges.map((r) => formatPortRange(r)).join(',');
        const ports = which === 'sports' ? `sport ${sport}` : which === 'dports' ? `dport ${dport}` : `ports ${sport}, ${dport}`;
        return `${ports} ${holds(sport, dport) ? 'in' : 'not in'} ${list}`;
      },
    };
  },
  save: (m) => neg(m, [`--${m.args['which'] as string}`, (m.args['ranges'] as PortRange[]).map((r) => formatPortRange(r)).join(',')]),
};

/** The types podpath traces ICMP as: a request is an echo-request, its reply an echo-reply (RFC 792). */
const ECHO_REQUEST = 8;
const ECHO_REPLY = 0;

const icmp: MatchModule = {
  options: { '--icmp-type': { args: 1 } },
  build(use, cx) {
    requireProto(use, cx, [1], '-p icmp');
    if (use.options.length === 0) return [{ kind: 'icmp', negated: false, text: use.text, args: {}, instance: use.instance }];
    return use.options.map((o): Match => {
      const t = parseIcmpType(o.values[0] ?? '');
      if (!t.ok) {
        cx.error(t.message);
        return unknownOptionMatch(use, o, t.message);
      }
      return optionMatch(use, o, { icmpType: t.value });
    });
  },
  compile(m) {
    const t = m.args['icmpType'] as IcmpType | undefined;
    const traced = (env: EvalEnv) => (env.ctx.conn?.dir === 'REPLY' ? ECHO_REPLY : ECHO_REQUEST);
    const holds = (env: EvalEnv): boolean => !t || t.type === 255 || (t.type === traced(env) && t.codeMin === 0);
    return {
      test: (env) => env.packet.proto === 'icmp' && holds(env) !== m.negated,
      why: (env) => (env.packet.proto !== 'icmp' ? `protocol is ${env.packet.proto}` : traced(env) === ECHO_REPLY ? 'podpath traces an ICMP reply as echo-reply (type 0)' : 'podpath traces ICMP as echo-request (type 8)'),
      note: t ? `${m.text}: the ICMP packet is taken as an echo-request (type 8), its reply as an echo-reply (type 0)` : undefined,
    };
  },
  save: (m) => {
    const t = m.args['icmpType'] as IcmpType | undefined;
    return t ? neg(m, ['--icmp-type', formatIcmpType(t)]) : [];
  },
};

/** ICMPv6 type names libip6t_icmp6 reads, by number (ip6tables-save prints the number). */
const ICMP6_TYPES: Record<string, number> = {
  'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'ttl-exceeded': 3, 'parameter-problem': 4,
  'echo-request': 128, 'echo-reply': 129, 'router-solicitation': 133, 'router-advertisement': 134,
  'neighbour-solicitation': 135, 'neighbor-solicitation': 135, 'neighbour-advertisement': 136, 'neighbor-advertisement': 136, redirect: 137,
};

/**
 * `-m icmp6 --icmpv6-type TYPE[/CODE]` of ip6tables rules: read and printed
 * back as ip6tables-save does (numbers); it never holds for the IPv4 packets
 * podpath traces.
 */
const icmp6: MatchModule = {
  options: { '--icmpv6-type': { args: 1 } },
  build(use, cx) {
    requireProto(use, cx, [58], '-p ipv6-icmp');
    return use.options.map((o): Match => {
      const v = o.values[0] ?? '';
      const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(v);
      const type = m ? Number(m[1]) : ICMP6_TYPES[v];
      if (type === undefined || type > 255 || (m?.[2] !== undefined && Number(m[2]) > 255)) {
        cx.error(`unknown ICMPv6 type '${v}'`);
        return unknownOptionMatch(use, o, `unknown ICMPv6 type '${v}'`);
      }
      return optionMatch(use, o, { icmp6: m?.[2] !== undefined ? `${type}/${Number(m[2])}` : String(type) });
    });
  },
  compile: () => ({ test: () => false, why: (env) => `an IPv4 ${env.packet.proto} packet is not ICMPv6` }),
  save: (m) => (m.args['icmp6'] !== undefined ? neg(m, ['--icmpv6-type', m.args['icmp6'] as string]) : []),
};

/** Port and ICMP modules, by `-m` name. */
export const PORT_MODULES: Record<string, MatchModule> = { tcp: portModule('tcp'), udp: portModule('udp'), sctp: portModule('sctp'), multiport, icmp, icmp6 };
