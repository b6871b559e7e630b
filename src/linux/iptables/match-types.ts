/**
 * The contract every iptables match kind fulfils: build `Match` records from
 * the options of a rule line, compile them into closures for the walk, explain
 * a failure in words, and print them back in canonical iptables-save form.
 *
 * Results are three-valued plus a fork: `true`/`false` when podpath knows,
 * `'unknown'` when it cannot tell (never guessed), and a `Fork` when the match
 * holds only with some probability (`-m statistic`).
 */
import type { Packet } from '../../net/packet.js';
import type { ConnTuples, HookName, Match, NetfilterContext, TableName } from './types.js';
import { quoteIfNeeded } from './tokenize.js';

/** conntrack states a walk can be in (UNTRACKED after NOTRACK / CT --notrack in raw). */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'UNTRACKED';

/** What a match looks at: the packet and the walk's state at this rule. */
export interface EvalEnv {
  packet: Packet;
  ctx: NetfilterContext;
  hook: HookName;
  table: TableName;
  mark: number;
  /** ctmark, when known. */
  connmark: number | undefined;
  ct: CtState;
  /** conntrack's DNAT/SNAT status bits, when known. */
  dnat: boolean | undefined;
  snat: boolean | undefined;
  /** The connection's tuples (ctx.conn, with the reply tuple updated by NAT in this walk). */
  conn: ConnTuples | undefined;
}

/** A match that holds with probability `p` (0 < p < 1). */
export interface Fork {
  readonly p: number;
}

export type MatchResult = boolean | 'unknown' | Fork;

/** A match ready for the walk. */
export interface CompiledMatch {
  test(env: EvalEnv): MatchResult;
  /** Why the match did not hold (or is unknown) for `env`, e.g. "10.0.18.52 is inside 10.0.0.0/8". */
  why(env: EvalEnv): string;
  /** Recorded in the table outcome when the match held (assumptions such as `-m limit`). */
  note?: string;
  /** Holds for every packet and has no note (`-m comment`): the compiled walk leaves it out. */
  always?: true;
}

/** How an option is written. */
export interface OptionSpec {
  /** Number of argument words. */
  args: number;
  /** `!` allowed before it. @default true */
  invertible?: boolean;
  /** Other spellings (`--destination-port` for `--dport`). */
  aliases?: string[];
}

/** One option as written in a rule. */
export interface OptionUse {
  /** Canonical name, e.g. `--dport`. */
  name: string;
  negated: boolean;
  values: string[];
  /** As written, e.g. `! --dport 53`. */
  text: string;
  /**
   * `${module text} ${text}` when the option directly follows its `-m` in the
   * line (`-m tcp --dport 53`): a slice of the line, so the Match text costs
   * one string instead of two.
   */
  withModule?: string;
}

/** One `-m module` of a rule with the options that went to it. */
export interface ModuleUse {
  module: string;
  /** Ordinal of this `-m` within the rule. */
  instance: number;
  /** `-m tcp` as written. */
  text: string;
  options: OptionUse[];
}

/** Where builders report problems and read the rest of the rule. */
export interface BuildContext {
  error(message: string): void;
  warn(message: string): void;
  /** The rule's `-p` protocol number when given without `!` (0 = all). */
  proto: number | undefined;
  /** `ipv6` when reading ip6tables rules: addresses are IPv6. */
  family?: 'ipv6';
}

/** A kind of match: how to evaluate and print it. */
export interface MatchKind {
  compile(m: Match): CompiledMatch;
  /** Canonical words after `-m module` (or the whole option for generic kinds), already quoted. */
  save(m: Match): string[];
}

/** A match module (`-m name`). */
export interface MatchModule extends MatchKind {
  options: Record<string, OptionSpec>;
  build(use: ModuleUse, cx: BuildContext): Match[];
}

/** The Match of one module option: text `-m tcp --dport 53`. */
export function optionMatch(use: ModuleUse, opt: OptionUse, args: Record<string, unknown>): Match {
  return { kind: use.module, negated: opt.negated, text: opt.withModule ?? `${use.text} ${opt.text}`, args, instance: use.instance };
}

/** A match podpath does not model: kept in place, every walk reaching it says `unknown`. */
export function unknownModuleMatch(use: ModuleUse, reason: string): Match {
  const text = [use.text, ...use.options.map((o) => o.text)].join(' ');
  const options = use.options.map((o) => ({ name: o.name, negated: o.negated, values: o.values }));
  return { kind: use.module, negated: false, text, args: { options }, unknown: reason, instance: use.instance };
}

/** One option podpath cannot use (unmodelled or unparsable), kept raw so it prints back unchanged. */
export function unknownOptionMatch(use: ModuleUse, opt: OptionUse, reason: string): Match {
  const options = [{ name: opt.name, negated: opt.negated, values: opt.values }];
  return { ...optionMatch(use, opt, { options }), unknown: `${use.text} ${opt.text}: ${reason}` };
}

/** Compiles a match that always answers `unknown`. */
export function compileUnknown(m: Match): CompiledMatch {
  const reason = m.unknown ?? `${m.text}: not modelled`;
  return { test: () => 'unknown', why: () => reason };
}

/** Saves the raw options of an unknown match. */
export function saveRawOptions(m: Match): string[] {
  const options = (m.args['options'] ?? []) as { name: string; negated: boolean; values: string[] }[];
  return options.flatMap((o) => [...(o.negated ? ['!'] : []), o.name, ...o.values.map(quoteIfNeeded)]);
}

/** `!`-prefixed words when negated. */
export function neg(m: { negated: boolean }, words: string[]): string[] {
  return m.negated ? ['!', ...words] : words;
}

/** Applies negation to a three-valued result (forks flip to 1 - p). */
export function invert(r: MatchResult, negated: boolean): MatchResult {
  if (!negated) return r;
  if (r === 'unknown') return r;
  if (typeof r === 'boolean') return !r;
  return { p: 1 - r.p };
}
