/**
 * `-m comment` (always holds), `-m limit` (holds, with a note: podpath assumes
 * the rate is not exceeded), `-m iprange` (inclusive address ranges), and the
 * `-m set` (membership in the node's ipsets, when given), `-m recent`
 * (match-recent.ts: a first connection assumed, with a note), and `-m physdev`,
 * which podpath recognises but does not model (bridge ports): its options are
 * parsed so the line reads correctly, and a walk that depends on it answers `unknown`.
 */
import { formatIpv4, isValidIpv4, parseIpv4 } from '../../net/ipv4.js';
import type { Match } from './types.js';
import {
  compileUnknown, neg, optionMatch, saveRawOptions, unknownModuleMatch, unknownOptionMatch, type EvalEnv, type MatchModule,
  type OptionSpec,
} from './match-types.js';
import { setHolds } from '../ipset/ipset-save.js';
import { recent } from './match-recent.js';
import { saveString } from './tokenize.js';

const comment: MatchModule = {
  options: { '--comment': { args: 1, invertible: false } },
  build: (use) => use.options.map((o) => optionMatch(use, o, { comment: o.values[0] ?? '' })),
  compile: () => ({ test: () => true, why: () => 'a comment always matches', always: true }),
  save: (m) => ['--comment', saveString(m.args['comment'] as string)],
};

const limit: MatchModule = {
  options: { '--limit': { args: 1, invertible: false }, '--limit-burst': { args: 1, invertible: false } },
  build: (use) => {
    const text = [use.text, ...use.options.map((o) => o.text)].join(' ');
    const args = Object.fromEntries(use.options.map((o) => [o.name.slice(2), o.values[0] ?? '']));
    return [{ kind: 'limit', negated: false, text, args, instance: use.instance }];
  },
  compile: (m) => ({ test: () => true, why: () => 'rate assumed not exceeded', note: `${m.text}: rate limit assumed not exceeded` }),
  save: (m) => Object.entries(m.args).flatMap(([k, v]) => [`--${k}`, String(v)]),
};

const iprange: MatchModule = {
  options: { '--src-range': { args: 1 }, '--dst-range': { args: 1 } },
  build(use, cx) {
    return use.options.map((o): Match => {
      const [lo, hi, extra] = (o.values[0] ?? '').split('-');
      if (extra !== undefined || !isValidIpv4(lo ?? '') || !isValidIpv4(hi ?? lo ?? '')) {
        cx.error(`'${o.values[0] ?? ''}' is not an address range a.b.c.d-e.f.g.h`);
        return unknownOptionMatch(use, o, 'bad address range');
      }
      const from = parseIpv4(lo!);
      const to = parseIpv4(hi ?? lo!);
      if (from > to) cx.warn(`address range ${o.values[0] ?? ''} is empty (start after end)`);
      return optionMatch(use, o, { dir: o.name === '--src-range' ? 'src' : 'dst', from, to });
    });
  },
  compile(m) {
    const dir = m.args['dir'] as 'src' | 'dst';
    const from = m.args['from'] as number;
    const to = m.args['to'] as number;
    const holds = (ip: number): boolean => ip >= from && ip <= to;
    return {
      test: (env) => holds(env.packet[dir]) !== m.negated,
      why: (env) => `${formatIpv4(env.packet[dir])} is ${holds(env.packet[dir]) ? 'inside' : 'outside'} ${formatIpv4(from)}-${formatIpv4(to)}`,
    };
  },
  save: (m) => neg(m, [m.args['dir'] === 'src' ? '--src-range' : '--dst-range', `${formatIpv4(m.args['from'] as number)}-${formatIpv4(m.args['to'] as number)}`]),
};

const SET_OPTIONS: Record<string, OptionSpec> = {
  '--match-set': { args: 2 }, '--return-nomatch': { args: 0 }, '--update-counters': { args: 0 }, '--update-subcounters': { args: 0 },
  '--packets-eq': { args: 1 }, '--packets-lt': { args: 1 }, '--packets-gt': { args: 1 }, '--bytes-eq': { args: 1 }, '--bytes-lt': { args: 1 }, '--bytes-gt': { args: 1 },
};

/**
 * `-m set [!] --match-set NAME src|dst[,src|dst...]` against the node's
 * ipsets (linux/ipset). `! --update-counters` / `! --update-subcounters` do
 * not change the answer; `--return-nomatch` and the counter comparisons
 * (runtime state) make the match unknown.
 */
const set: MatchModule = {
  options: SET_OPTIONS,
  build(use, cx) {
    return use.options.flatMap((o) => {
      if (o.name === '--update-counters' || o.name === '--update-subcounters') return o.negated ? [] : [unknownOptionMatch(use, o, 'counter updates are runtime state')];
      if (o.name !== '--match-set') return [unknownOptionMatch(use, o, o.name === '--return-nomatch' ? 'nomatch results are not modelled' : 'set counters are runtime state')];
      const [name = '', dirs = ''] = o.values;
      const flags = dirs.split(',');
      if (!flags.every((f) => f === 'src' || f === 'dst') || flags.length > 6) {
        cx.error(`--match-set ${name} ${dirs}: flags must be src or dst, comma separated`);
        return [unknownOptionMatch(use, o, `flags '${dirs}' are not src/dst`)];
      }
      return [optionMatch(use, o, { set: name, flags })];
    });
  },
  compile(m) {
    const name = m.args['set'] as string;
    const flags = m.args['flags'] as ('src' | 'dst')[];
    const answer = (env: EvalEnv) => (env.ctx.ipsets ? setHolds(env.ctx.ipsets, name, flags, env.packet) : { unknown: 'the node\'s ipsets are not given (ipset save)' });
    return {
      test: (env) => {
        const r = answer(env);
        return typeof r === 'boolean' ? r !== m.negated : 'unknown';
      },
      why: (env) => {
        const r = answer(env);
        return typeof r === 'boolean' ? `the packet's ${flags.join(',')} ${r ? 'is' : 'is not'} in set ${name}` : r.unknown;
      },
    };
  },
  save: (m) => (m.unknown !== undefined ? saveRawOptions(m) : neg(m, ['--match-set', saveString(m.args['set'] as string), (m.args['flags'] as string[]).join(',')])),
};

/** A recognised module whose outcome podpath cannot compute from a dump alone. */
function unmodelled(name: string, why: string, options: Record<string, OptionSpec>): MatchModule {
  return {
    options,
    build: (use) => [unknownModuleMatch(use, `-m ${name}: ${why}`)],
    compile: compileUnknown,
    save: saveRawOptions,
  };
}

const a0: OptionSpec = { args: 0 };
const a1: OptionSpec = { args: 1 };

/** Miscellaneous modules, by `-m` name. */
export const MISC_MODULES: Record<string, MatchModule> = {
  comment,
  limit,
  iprange,
  set,
  recent,
  physdev: unmodelled('physdev', 'bridge ports are not modelled', {
    '--physdev-in': a1, '--physdev-out': a1, '--physdev-is-in': a0, '--physdev-is-out': a0, '--physdev-is-bridged': a0,
  }),
};
