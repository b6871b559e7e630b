/**
 * The target registry: what `-j NAME` does. Each built-in target has its
 * options, a builder (options -> Target.args, normalised), a printer (canonical
 * iptables-save words) and an effect on the walk.
 *
 * - ACCEPT / DROP / REJECT end the table (DROP/REJECT end the hook).
 * - RETURN pops to the calling chain (or the built-in chain's policy).
 * - LOG, NFLOG, ULOG, CHECKSUM, TCPMSS, CT, NOTRACK, CONNMARK do not end the
 *   walk; NOTRACK and `CT --notrack` make the packet UNTRACKED (so the nat
 *   table is skipped, nf_nat needs a conntrack entry).
 * - MARK: `mark = (mark & ~mask) ^ value` (xt_MARK); `--set-mark v/m` is
 *   `--set-xmark v/(m|v)`, `--and-mark v` is `0/~v`, `--or-mark v` is `v/v`,
 *   `--xor-mark v` is `v/0` (libxt_MARK), which is why iptables-save prints
 *   every MARK as `--set-xmark`.
 * - CONNMARK (xt_CONNMARK v1): set `ct = (ct & ~ctmask) ^ ctmark`; save
 *   `ct = (ct & ~ctmask) ^ (mark & nfmask)`; restore
 *   `mark = (mark & ~nfmask) ^ (ct & ctmask)`.
 * - NAT targets: see target-nat.ts.
 * Any other name that is not a chain is a Target with `unknown` set.
 *
 * Guarantees: builders never throw; a target whose effect depends on
 * something not known answers `{ kind: 'unknown' }`, never a guess.
 */
import type { TableName, Target } from './types.js';
import type { EvalEnv, OptionSpec, OptionUse } from './match-types.js';
import { applyNat, natEffect, parseNatRange6, formatNatRange, parseNatRange, type NatRange, type TargetEffect } from './target-nat.js';
import { quoteIfNeeded, saveString } from './tokenize.js';
import { formatPortRange, parseMarkMask, parsePortRange, parseUint32, type PortRange } from './values.js';

export type { TargetEffect } from './target-nat.js';

/** The `-j NAME [options]` of a rule as written. */
export interface TargetUse {
  name: string;
  goto: boolean;
  text: string;
  options: OptionUse[];
}

/** Where target builders report problems. */
export interface TargetBuildContext {
  error(message: string): void;
  warn(message: string): void;
  /** `ipv6` when reading ip6tables rules. */
  readonly family?: 'ipv6';
}

interface TargetSpec {
  options: Record<string, OptionSpec>;
  /** Tables the kernel accepts the target in (xt_target.table). @default all */
  tables?: readonly TableName[];
  build?(use: TargetUse, cx: TargetBuildContext): Record<string, unknown>;
  save(t: Target): string[];
  apply(t: Target, env: EvalEnv): TargetEffect;
  /** `apply` with the target's arguments read once (for targets with work worth doing once). */
  prepare?(t: Target): (env: EvalEnv) => TargetEffect;
}

const a0: OptionSpec = { args: 0, invertible: false };
const a1: OptionSpec = { args: 1, invertible: false };
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const ALL = 0xffffffff;

/** Options kept as written (LOG, NFLOG, ...); free-text values quoted as iptables-save does. */
const rawArgs = (use: TargetUse): Record<string, unknown> => ({ options: use.options.map((o) => ({ name: o.name, values: o.values })) });
const FREE_TEXT = new Set(['--log-prefix', '--nflog-prefix', '--ulog-prefix']);
const saveRaw = (t: Target): string[] =>
  ((t.args['options'] ?? []) as { name: string; values: string[] }[]).flatMap((o) => [
    o.name, ...o.values.map((v) => (FREE_TEXT.has(o.name) ? saveString(v) : quoteIfNeeded(v))),
  ]);

const verdict = (v: 'ACCEPT' | 'DROP'): TargetSpec => ({ options: {}, save: () => [], apply: () => ({ kind: 'verdict', verdict: v }) });

const passThrough = (options: Record<string, OptionSpec>, note?: (t: Target) => string, tables?: TableName[]): TargetSpec => ({
  options,
  tables,
  build: rawArgs,
  save: saveRaw,
  apply: (t) => (note ? { kind: 'continue', note: note(t) } : { kind: 'continue' }),
});

/** Each spelling, to the name iptables-save prints: from [printed name, ...other spellings]. */
const spellings = (names: string[][]): Record<string, string> =>
  Object.fromEntries(names.flatMap(([printed, ...others]) => [printed!, ...others].map((n) => [n, printed!])));

/** REJECT --reject-with (libipt_REJECT). */
const REJECT_WITH = spellings([
  ['icmp-net-unreachable', 'net-unreach'], ['icmp-host-unreachable', 'host-unreach'], ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'], ['icmp-net-prohibited', 'net-prohib'], ['icmp-host-prohibited', 'host-prohib'],
  ['icmp-admin-prohibited', 'admin-prohib'], ['tcp-reset', 'tcp-rst'],
]);

/** ip6tables REJECT --reject-with (libip6t_REJECT). */
const REJECT_WITH6 = spellings([
  ['icmp6-no-route', 'no-route'], ['icmp6-adm-prohibited', 'adm-prohibited'], ['icmp6-addr-unreachable', 'addr-unreach'],
  ['icmp6-port-unreachable', 'port-unreach'], ['icmp6-policy-fail', 'policy-fail'], ['icmp6-reject-route', 'reject-route'], ['tcp-reset'],
]);

/** Normalises MARK/CONNMARK value options to xmark {value, mask}. */
function xmark(o: OptionUse, cx: TargetBuildContext): { value: number; mask: number } | undefined {
  const text = o.values[0] ?? '';
  if (o.name === '--set-xmark' || o.name === '--set-mark') {
    const mm = parseMarkMask(text);
    if (!mm.ok) return void cx.error(mm.message);
    return o.name === '--set-xmark' ? mm.value : { value: mm.value.value, mask: (mm.value.mask | mm.value.value) >>> 0 };
  }
  const v = parseUint32(text);
  if (!v.ok) return void cx.error(v.message);
  if (o.name === '--and-mark') return { value: 0, mask: ~v.value >>> 0 };
  if (o.name === '--or-mark') return { value: v.value, mask: v.value };
  return { value: v.value, mask: 0 }; // --xor-mark
}

const MARK_OPTIONS = { '--set-xmark': a1, '--set-mark': a1, '--and-mark': a1, '--or-mark': a1, '--xor-mark': a1 };

const mark: TargetSpec = {
  options: MARK_OPTIONS,
  build(use, cx) {
    const o = use.options.find((x) => x.name in MARK_OPTIONS);
    const mm = o ? xmark(o, cx) : void cx.error('MARK needs --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark');
    return mm ? { value: mm.value, mask: mm.mask } : { invalid: true };
  },
  save: (t) => ['--set-xmark', `${hex(t.args['value'] as number)}/${hex(t.args['mask'] as number)}`],
  apply: (t, env) => ({ kind: 'continue', mark: ((env.mark & ~(t.args['mask'] as number)) ^ (t.args['value'] as number)) >>> 0 }),
};

const connmark: TargetSpec = {
  options: { ...MARK_OPTIONS, '--save-mark': a0, '--restore-mark': a0, '--nfmask': a1, '--ctmask': a1, '--mask': a1 },
  build(use, cx) {
    const masks = { nfmask: ALL, ctmask: ALL };
    for (const o of use.options) {
      if (o.name !== '--nfmask' && o.name !== '--ctmask' && o.name !== '--mask') continue;
      const v = parseUint32(o.values[0] ?? '');
      if (!v.ok) cx.error(v.message);
      else if (o.name === '--mask') masks.nfmask = masks.ctmask = v.value;
      else masks[o.name === '--nfmask' ? 'nfmask' : 'ctmask'] = v.value;
    }
    if (use.options.some((o) => o.name === '--save-mark')) return { mode: 'save', ...masks };
    if (use.options.some((o) => o.name === '--restore-mark')) return { mode: 'restore', ...masks };
    const o = use.options.find((x) => x.name in MARK_OPTIONS);
    const mm = o ? xmark(o, cx) : void cx.error('CONNMARK needs --set-xmark, --save-mark or --restore-mark (or a variant)');
    return mm ? { mode: 'set', ctmark: mm.value, ctmask: mm.mask } : { invalid: true };
  },
  save(t) {
    const a = t.args as { mode: string; ctmark: number; ctmask: number; nfmask: number };
    if (a.mode === 'set') return ['--set-xmark', `${hex(a.ctmark)}/${hex(a.ctmask)}`];
    return [`--${a.mode}-mark`, '--nfmask', hex(a.nfmask), '--ctmask', hex(a.ctmask)];
  },
  apply(t, env) {
    const a = t.args as { mode: string; ctmark: number; ctmask: number; nfmask: number };
    const note = `${t.text}: connection mark ${a.mode === 'restore' ? 'copied to the packet mark' : 'updated'}`;
    const ct = env.connmark;
    if (a.mode === 'restore') {
      if (ct === undefined && a.ctmask !== 0) return { kind: 'unknown', construct: `${t.text}: the connection mark is not known` };
      return { kind: 'continue', mark: ((env.mark & ~a.nfmask) ^ ((ct ?? 0) & a.ctmask)) >>> 0, note };
    }
    const add = a.mode === 'set' ? a.ctmark : (env.mark & a.nfmask) >>> 0;
    const known = ct !== undefined || a.ctmask === ALL;
    return known ? { kind: 'continue', connmark: (((ct ?? 0) & ~a.ctmask) ^ add) >>> 0, note } : { kind: 'continue', note };
  },
};

const hasOption = (use: TargetUse, name: string): boolean => use.options.some((o) => o.name === name);

function natSpec(name: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT'): TargetSpec {
  const rangeOpt = name === 'DNAT' ? '--to-destination' : name === 'SNAT' ? '--to-source' : undefined;
  const options: Record<string, OptionSpec> = { '--random': a0 };
  if (rangeOpt) options[rangeOpt] = a1;
  else options['--to-ports'] = a1;
  if (name !== 'REDIRECT') options['--random-fully'] = a0;
  if (rangeOpt) options['--persistent'] = a0;
  return {
    options,
    tables: ['nat'],
    build(use, cx) {
      const args: Record<string, unknown> = {};
      if (hasOption(use, '--random')) args['random'] = true;
      if (hasOption(use, '--random-fully')) args['randomFully'] = true;
      if (hasOption(use, '--persistent')) args['persistent'] = true;
      if (rangeOpt) {
        const uses = use.options.filter((o) => o.name === rangeOpt);
        if (uses.length === 0) cx.error(`${name} needs ${rangeOpt}`);
        if (uses.length > 1) cx.warn(`several ${rangeOpt}: podpath uses the first`);
        if (cx.family === 'ipv6') {
          const r6 = parseNatRange6(uses[0]?.values[0] ?? '');
          if (r6.ok) args['range6'] = r6.value;
          else {
            if (uses.length > 0) cx.error(r6.message);
            args['invalid'] = true;
          }
          return args;
        }
        const r = parseNatRange(uses[0]?.values[0] ?? '');
        if (r.ok) args['range'] = r.value;
        else if (uses.length > 0) cx.error(r.message);
        if (!r.ok) args['invalid'] = true;
      } else {
        const o = use.options.find((x) => x.name === '--to-ports');
        if (o) {
          const r = parsePortRange(o.values[0] ?? '', '-');
          if (r.ok) args['toPorts'] = r.value;
          else {
            cx.error(r.message);
            args['invalid'] = true;
          }
        }
      }
      return args;
    },
    save(t) {
      const w: string[] = [];
      if (rangeOpt) w.push(rangeOpt, t.args['range6'] !== undefined ? (t.args['range6'] as string) : formatNatRange(t.args['range'] as NatRange));
      else if (t.args['toPorts']) w.push('--to-ports', formatPortRange(t.args['toPorts'] as PortRange, '-'));
      if (t.args['random']) w.push('--random');
      if (t.args['randomFully']) w.push('--random-fully');
      if (t.args['persistent']) w.push('--persistent');
      return w;
    },
    apply: applyNat,
    prepare: natEffect,
  };
}

const LOG_OPTIONS: Record<string, OptionSpec> = {
  '--log-prefix': a1, '--log-level': a1, '--log-tcp-sequence': a0, '--log-tcp-options': a0, '--log-ip-options': a0, '--log-uid': a0, '--log-macdecode': a0,
};
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

/** LOG options in the order libxt_LOG saves them; the default level 4 (warning) is not printed. */
function buildLog(use: TargetUse): Record<string, unknown> {
  const order = Object.keys(LOG_OPTIONS);
  const options = use.options
    .map((o) => {
      if (o.name !== '--log-level') return { name: o.name, values: o.values };
      const v = o.values[0] ?? '';
      const n = LOG_LEVELS.indexOf(v === 'warn' ? 'warning' : v === 'panic' ? 'emerg' : v);
      return { name: o.name, values: [n >= 0 ? String(n) : v] };
    })
    .filter((o) => !(o.name === '--log-level' && o.values[0] === '4'))
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { options };
}

const untrack = (note: string): TargetEffect => ({ kind: 'continue', untracked: true, note });

const TARGETS: Record<string, TargetSpec> = {
  ACCEPT: verdict('ACCEPT'),
  DROP: verdict('DROP'),
  RETURN: { options: {}, save: () => [], apply: () => ({ kind: 'return' }) },
  REJECT: {
    options: { '--reject-with': a1 },
    build(use, cx) {
      const names = cx.family === 'ipv6' ? REJECT_WITH6 : REJECT_WITH;
      const w = use.options.find((o) => o.name === '--reject-with')?.values[0] ?? (cx.family === 'ipv6' ? 'icmp6-port-unreachable' : 'icmp-port-unreachable');
      if (!Object.hasOwn(names, w)) cx.error(`unknown --reject-with '${w}'${cx.family === 'ipv6' ? ' (ip6tables)' : ''}`);
      return { with: names[w] ?? w };
    },
    save: (t) => ['--reject-with', t.args['with'] as string],
    apply: () => ({ kind: 'verdict', verdict: 'REJECT' }),
  },
  LOG: { ...passThrough(LOG_OPTIONS), build: buildLog },
  NFLOG: passThrough({ '--nflog-group': a1, '--nflog-prefix': a1, '--nflog-range': a1, '--nflog-size': a1, '--nflog-threshold': a1 }),
  ULOG: passThrough({ '--ulog-nlgroup': a1, '--ulog-prefix': a1, '--ulog-cprange': a1, '--ulog-qthreshold': a1 }),
  CHECKSUM: passThrough({ '--checksum-fill': a0 }, (t) => `${t.text}: checksum filled in, no effect on the path`, ['mangle']),
  TCPMSS: passThrough({ '--set-mss': a1, '--clamp-mss-to-pmtu': a0 }, (t) => `${t.text}: MSS rewritten, no effect on reachability`),
  NOTRACK: { options: {}, tables: ['raw'], save: () => [], apply: (t) => untrack(`${t.text}: packet is not tracked by conntrack`) },
  CT: {
    ...passThrough({ '--notrack': a0, '--helper': a1, '--ctevents': a1, '--expevents': a1, '--zone': a1, '--zone-orig': a1, '--zone-reply': a1, '--timeout': a1 }, undefined, ['raw']),
    apply: (t) =>
      (t.args['options'] as { name: string }[]).some((o) => o.name === '--notrack')
        ? untrack(`${t.text}: packet is not tracked by conntrack`)
        : { kind: 'continue', note: `${t.text}: conntrack template set (helpers/zones not modelled)` },
  },
  MARK: mark,
  CONNMARK: connmark,
  DNAT: natSpec('DNAT'),
  SNAT: natSpec('SNAT'),
  MASQUERADE: natSpec('MASQUERADE'),
  REDIRECT: natSpec('REDIRECT'),
};

/**
 * TARGETS by name. A keyed look-up in TARGETS (`Object.hasOwn`, `[name]`) first
 * interns `name`, and every `-j KUBE-SEP-...` of a dump names a different
 * chain: a Map hashes the name without adding it to V8's string table.
 */
const TARGET_SPECS: ReadonlyMap<string, TargetSpec> = new Map(Object.entries(TARGETS));
const specOf = (name: string): TargetSpec | undefined => TARGET_SPECS.get(name);

/** Target extensions that exist in iptables but podpath does not model (a rule using one is `unknown`). */
export const UNMODELLED_TARGETS: ReadonlySet<string> = new Set([
  'AUDIT', 'CLASSIFY', 'CLUSTERIP', 'CONNSECMARK', 'DSCP', 'ECN', 'HL', 'HMARK', 'IDLETIMER', 'LED', 'NETMAP',
  'NFQUEUE', 'QUEUE', 'RATEEST', 'SECMARK', 'SET', 'SYNPROXY', 'TEE', 'TOS', 'TPROXY', 'TRACE', 'TTL', 'MIRROR',
  'SAME', 'TARPIT', 'CHAOS', 'DELUDE', 'IPMARK', 'LOGMARK', 'SYSRQ', 'DNPT', 'SNPT', 'JOOL', 'FULLCONENAT',
]);

/** Names of the targets podpath models (for the rule parser to share one string per name). */
export const BUILTIN_TARGET_NAMES: readonly string[] = Object.keys(TARGETS);

/** True when `name` is a target podpath models (not a user chain). */
export function isBuiltinTarget(name: string): boolean {
  return TARGET_SPECS.has(name);
}

/** Option spellings of a target, for the rule parser. */
export function targetOptions(name: string): Record<string, OptionSpec> | undefined {
  return specOf(name)?.options;
}

/** Tables a target is valid in, when restricted. */
export function targetTables(name: string): readonly TableName[] | undefined {
  return specOf(name)?.tables;
}

/** Passes reports on and keeps the first error (a class, so building a target creates no closures). */
class FirstError implements TargetBuildContext {
  first: string | undefined;
  constructor(private readonly cx: TargetBuildContext) {}
  get family(): 'ipv6' | undefined {
    return this.cx.family;
  }
  error(message: string): void {
    this.first ??= message;
    this.cx.error(message);
  }
  warn(message: string): void {
    this.cx.warn(message);
  }
}

/** Builds the Target of a built-in target use; undefined when `name` is not one. */
export function buildTarget(use: TargetUse, cx: TargetBuildContext): Target | undefined {
  const spec = specOf(use.name);
  if (!spec) return undefined;
  let bad: string | undefined;
  let args: Record<string, unknown> = {};
  if (spec.build) {
    const seen = new FirstError(cx);
    args = spec.build(use, seen);
    bad = seen.first;
  }
  const t: Target = { name: use.name, goto: use.goto, text: use.text, args };
  if (use.goto) {
    cx.error(`-g needs a user chain, not the target ${use.name}`);
    bad ??= '-g to a target';
  }
  return bad === undefined ? t : { ...t, args: rawArgs(use), unknown: `${use.text}: ${bad}` };
}

/** A target podpath keeps but does not understand (raw options, prints back unchanged). */
export function unknownTarget(use: TargetUse, reason: string): Target {
  return { name: use.name, goto: use.goto, text: use.text, args: rawArgs(use), unknown: reason };
}

/** The canonical words after `-j NAME`. */
export function saveTarget(t: Target): string[] {
  const spec = specOf(t.name);
  if (!spec || t.unknown !== undefined) return t.args['options'] ? saveRaw(t) : [];
  return spec.save(t);
}

/** What a built-in target does (`unknown` for targets podpath does not model). */
export function applyTarget(t: Target, env: EvalEnv): TargetEffect {
  return targetEffect(t)(env);
}

/**
 * `applyTarget` with the target's spec looked up once, for the compiled walk
 * (the lookup by name costs more than most targets' work).
 */
export function targetEffect(t: Target): (env: EvalEnv) => TargetEffect {
  const spec = specOf(t.name);
  if (!spec || t.unknown !== undefined) {
    const effect: TargetEffect = { kind: 'unknown', construct: t.unknown ?? `${t.text}: target not modelled` };
    return () => effect;
  }
  return spec.prepare ? spec.prepare(t) : (env) => spec.apply(t, env);
}
