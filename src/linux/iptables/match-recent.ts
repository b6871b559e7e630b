/**
 * `-m recent` (xt_recent): a list of recently seen addresses, runtime state a
 * dump does not carry. podpath traces a first connection, so it assumes the
 * source (or destination, `--rdest`) is not in the list yet, and says so in a
 * note:
 * - `--set` adds the address and always holds (kube-proxy's session affinity
 *   remembers the client this way);
 * - `--rcheck`, `--update`, `--remove` look the address up: not found, so they
 *   do not hold (`!` inverts), whatever `--seconds`/`--hitcount` say.
 * This is xt_recent's answer for an address it has not seen; a client that
 * connected before may be answered otherwise (affinity to its earlier endpoint).
 *
 * iptables-save prints `[!] --MODE [--seconds N] [--reap] [--hitcount N]
 * [--rttl] --name NAME --mask MASK --rsource|--rdest`, with the defaults
 * (DEFAULT, 255.255.255.255, --rsource) filled in; so does podpath.
 */
import type { Match } from './types.js';
import { optionMatch, type BuildContext, type MatchModule, type ModuleUse, type OptionSpec } from './match-types.js';

const MODES = ['--set', '--rcheck', '--update', '--remove'] as const;
type Mode = (typeof MODES)[number];

const a0: OptionSpec = { args: 0, invertible: false };
const a1: OptionSpec = { args: 1, invertible: false };

export const recent: MatchModule = {
  options: {
    '--set': { args: 0 }, '--rcheck': { args: 0 }, '--update': { args: 0 }, '--remove': { args: 0 },
    '--seconds': a1, '--reap': a0, '--hitcount': a1, '--rttl': a0, '--name': a1, '--mask': a1, '--rsource': a0, '--rdest': a0,
  },
  build(use: ModuleUse, cx: BuildContext): Match[] {
    const modes = use.options.filter((o) => (MODES as readonly string[]).includes(o.name));
    if (modes.length !== 1) cx.error(`${use.text} needs exactly one of ${MODES.join(', ')}`);
    const mode = (modes[0]?.name ?? '--set') as Mode;
    const value = (name: string) => use.options.find((o) => o.name === name)?.values[0];
    const has = (name: string) => use.options.some((o) => o.name === name);
    for (const n of ['--seconds', '--hitcount']) {
      const v = value(n);
      if (v !== undefined && !/^\d{1,10}$/.test(v)) cx.error(`${n} '${v}' is not a number`);
    }
    const args = {
      mode, name: value('--name') ?? 'DEFAULT', mask: value('--mask') ?? '255.255.255.255', side: has('--rdest') ? 'rdest' : 'rsource',
      ...(value('--seconds') !== undefined ? { seconds: value('--seconds') } : {}), reap: has('--reap'),
      ...(value('--hitcount') !== undefined ? { hitcount: value('--hitcount') } : {}), rttl: has('--rttl'),
    };
    const first = modes[0] ?? use.options[0];
    const text = [use.text, ...use.options.map((o) => o.text)].join(' ');
    const m = first ? optionMatch(use, first, args) : { kind: 'recent', negated: false, text: use.text, args, instance: use.instance };
    return [{ ...m, negated: modes[0]?.negated ?? false, text }];
  },
  compile(m) {
    const mode = m.args['mode'] as Mode;
    const list = m.args['name'] as string;
    const who = m.args['side'] === 'rdest' ? 'destination' : 'source';
    if (mode === '--set') {
      return { test: () => !m.negated, why: () => `--set always holds (it adds the ${who} to list ${list})` };
    }
    return {
      test: () => m.negated,
      why: () => `the ${who} is not in recent list ${list} (assumed: a first connection)`,
      note: `${m.text}: assumed the ${who} is not in recent list ${list} yet (a first connection)`,
    };
  },
  save(m) {
    const a = m.args;
    return [
      ...(m.negated ? ['!'] : []), a['mode'] as string,
      ...(a['seconds'] !== undefined ? ['--seconds', String(a['seconds'])] : []), ...(a['reap'] ? ['--reap'] : []),
      ...(a['hitcount'] !== undefined ? ['--hitcount', String(a['hitcount'])] : []), ...(a['rttl'] ? ['--rttl'] : []),
      '--name', a['name'] as string, '--mask', a['mask'] as string, a['side'] === 'rdest' ? '--rdest' : '--rsource',
    ];
  },
};
