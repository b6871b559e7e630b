/**
 * Reads the words of one rule (everything after `-A CHAIN`) into matches, a
 * target and counters, dispatching options the way iptables' getopt does:
 *
 * - an option belongs to the target when it is one of the target's options,
 *   else to the most recent `-m` module that has it (so options may come in
 *   any order, e.g. `-m state --state NEW -m tcp --dport 1:65535`), else to the
 *   protocol's module loaded implicitly by `-p tcp|udp|icmp` (iptables does
 *   this), else to the most recent unknown module or unknown target (their
 *   arguments are read as the words up to the next option);
 * - `! --opt v` and the old intrapositioned `--opt ! v` both negate;
 * - `-c pkts bytes` sets counters; `-4` is ignored.
 *
 * Guarantees: never throws; each problem is reported once through the context
 * and the rule keeps every match it could read (a match it could not read is
 * kept with `unknown` set, so a walk reaching it says `unknown`).
 */
import type { Match, TableName, Target } from './types.js';
import type { Token } from './tokenize.js';
import { buildGeneric, genericKind, type GenericKind } from './match-generic.js';
import { MATCH_MODULES, matchModule, unknownModule } from './match.js';
import { unknownOptionMatch, type BuildContext, type ModuleUse, type OptionSpec, type OptionUse } from './match-types.js';
import { BUILTIN_TARGET_NAMES, buildTarget, isBuiltinTarget, targetOptions, targetTables, unknownTarget, UNMODELLED_TARGETS, type TargetUse } from './target.js';

/** What the rule reader needs from its caller. */
export interface RuleContext {
  table: TableName;
  error(message: string): void;
  warn(message: string): void;
  /** The chain of that name in the table now, if any (its `name` is reused so rules share one string). */
  chain(name: string): { name: string; builtin: boolean } | undefined;
  /** `ipv6` when reading ip6tables rules. */
  family?: 'ipv6';
}

/** A read rule. `undeclaredJump` names a jump target that is not (yet) a chain. */
export interface ParsedRule {
  matches: Match[];
  target?: Target;
  counters?: { packets: number; bytes: number };
  undeclaredJump?: string;
}

/** Spelling (name or alias) -> canonical name, per option table, built on first use. */
const SPELLINGS = new WeakMap<Record<string, OptionSpec>, Map<string, string>>();

/** Finds `word` among a spec's options and aliases; returns the canonical name. */
function lookup(options: Record<string, OptionSpec> | undefined, word: string): string | undefined {
  if (!options) return undefined;
  let spellings = SPELLINGS.get(options);
  if (!spellings) {
    spellings = new Map();
    for (const name of Object.keys(options)) spellings.set(name, name);
    for (const [name, spec] of Object.entries(options)) for (const a of spec.aliases ?? []) if (!spellings.has(a)) spellings.set(a, name);
    SPELLINGS.set(options, spellings);
  }
  return spellings.get(word);
}

/**
 * Module and target names podpath knows, each mapped to one shared string: a
 * dump names the same few modules and targets in every rule, and the Matches
 * and Targets keep the name.
 */
/**
 * The match iptables loads on its own for a protocol option written without
 * `-m` (`-p tcp --dport 80`): the module named after the protocol.
 */
const IMPLICIT_MODULE: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 132: 'sctp' };

const KNOWN_NAMES = new Map([...Object.keys(MATCH_MODULES), ...BUILTIN_TARGET_NAMES].map((n) => [n, n]));
const shared = (name: string): string => KNOWN_NAMES.get(name) ?? name;

const isOptionWord = (t: Token): boolean => !t.quoted && t.value.length > 1 && t.value.charCodeAt(0) === 45; // '-'
const isBang = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.value === '!';

/** Index of the first value of the option at `i`: past an intrapositioned `! ` (old form `--opt ! value`, deprecated). */
function valuesStart(tokens: Token[], count: number, i: number, arity: number | undefined): number {
  return arity !== 0 && i + 1 < count && isBang(tokens[i + 1]) ? i + 2 : i + 1;
}

/** Index just past the option's values: `arity` words, or (arity unknown) the words up to the next option or `!`. */
function valuesEnd(tokens: Token[], count: number, from: number, arity: number | undefined): number {
  let j = from;
  if (arity === undefined) while (j < count && !isOptionWord(tokens[j]!) && !isBang(tokens[j])) j++;
  else j = Math.min(count, from + arity);
  return j;
}

/** The values of tokens[from..to), in an array of that length (an empty array grows to 17 slots on its first push). */
function words(tokens: Token[], from: number, to: number): string[] {
  if (to - from === 1) return [tokens[from]!.value];
  const out: string[] = [];
  for (let k = from; k < to; k++) out.push(tokens[k]!.value);
  return out;
}

/** Bit of each generic kind, to spot one given twice. */
const GENERIC_BIT: Record<GenericKind, number> = { src: 1, dst: 2, in: 4, out: 8, proto: 16, frag: 32 };

/** Reads the words of a rule after `-A CHAIN` (tokens[first..count); later entries, if any, are not words of the line). */
export function parseRuleWords(tokens: Token[], line: string, cx: RuleContext, first = 0, count = tokens.length): ParsedRule {
  const items: (Match | ModuleUse)[] = [];
  const modules: ModuleUse[] = [];
  /** Where each module's `-m name` ends in the line, until an option is attached to it (-1 after, or for a module loaded by `-p`). */
  const moduleEnds: number[] = [];
  let seenGeneric = 0;
  let target: TargetUse | undefined;
  let targetStart = 0;
  let targetEnd = 0;
  let counters: ParsedRule['counters'];
  let proto: number | undefined;
  let bang: Token | undefined;
  let instances = 0;
  const family = cx.family ?? 'ipv4';
  // Two literal shapes rather than a spread: this runs once per rule line.
  const bcx: BuildContext = cx.family ? { error: cx.error, warn: cx.warn, proto: undefined, family: cx.family } : { error: cx.error, warn: cx.warn, proto: undefined };

  for (let i = first; i < count; i++) {
    const t = tokens[i]!;
    const w = t.value;
    if (isBang(t)) {
      if (bang) cx.error(`'!' given twice`);
      bang = t;
      continue;
    }
    if (!isOptionWord(t)) {
      cx.error(`unexpected word '${w}' (expected an option)`);
      continue;
    }
    const start = (bang ?? t).start;
    const generic = genericKind(w);
    if (generic) {
      const arity = generic === 'frag' ? 0 : 1;
      const from = valuesStart(tokens, count, i, arity);
      const last = valuesEnd(tokens, count, from, arity) - 1;
      const negated = bang !== undefined || from === i + 2;
      if (generic !== 'frag' && last < from) cx.error(`option ${w} needs a value`);
      if ((seenGeneric & GENERIC_BIT[generic]) !== 0) cx.error(`option ${w} given twice (iptables: multiple flags not allowed)`);
      seenGeneric |= GENERIC_BIT[generic];
      const m = buildGeneric(generic, negated, last >= from ? tokens[from]!.value : undefined, line.slice(start, tokens[last]!.end), bcx);
      if (generic === 'proto' && !negated && m.unknown === undefined) bcx.proto = proto = m.args['proto'] as number;
      items.push(m);
      i = last;
      bang = undefined;
      continue;
    }
    if (w === '-m' || w === '--match' || w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      if (bang) cx.error(`'!' cannot precede ${w}`);
      bang = undefined;
      const name = i + 1 < count ? tokens[i + 1] : undefined;
      if (!name) {
        cx.error(`${w} needs a name`);
        continue;
      }
      i++;
      const text = line.slice(t.start, name.end);
      if (w === '-m' || w === '--match') {
        const use: ModuleUse = { module: shared(name.value), instance: instances++, text, options: [] };
        modules.push(use);
        moduleEnds.push(name.end);
        items.push(use);
      } else if (target) {
        cx.error(`a rule has one target; ${text} comes after ${target.text}`);
      } else {
        target = { name: shared(name.value), goto: w === '-g' || w === '--goto', text, options: [] };
        targetStart = t.start;
        targetEnd = name.end;
      }
      continue;
    }
    if (w === '-c' || w === '--set-counters') {
      const p = i + 1 < count ? tokens[i + 1]!.value : '';
      const b = i + 2 < count ? tokens[i + 2]!.value : '';
      if (/^\d+$/.test(p) && /^\d+$/.test(b)) counters = { packets: Number(p), bytes: Number(b) };
      else cx.error(`${w} needs two numbers`);
      i += 2;
      continue;
    }
    if (w === '-4') continue;
    if (w === '-6') {
      cx.error('-6 (IPv6 only) in an IPv4 rule set');
      continue;
    }
    // A module or target option: find its owner (the use it goes to, its canonical name and spec).
    let ownerUse: ModuleUse | TargetUse | undefined;
    let ownerName = w;
    let ownerSpec: OptionSpec | undefined;
    let ownerModule = -1; // index in modules
    if (target) {
      const options = targetOptions(target.name);
      const name = lookup(options, w);
      if (name !== undefined) {
        ownerUse = target;
        ownerName = name;
        ownerSpec = options![name];
      }
    }
    for (let k = modules.length - 1; !ownerUse && k >= 0; k--) {
      const options = matchModule(modules[k]!.module, family)?.options;
      const name = lookup(options, w);
      if (name !== undefined) {
        ownerModule = k;
        ownerUse = modules[k]!;
        ownerName = name;
        ownerSpec = options![name];
      }
    }
    const implicit = proto === undefined ? undefined : IMPLICIT_MODULE[proto];
    if (!ownerUse && implicit) {
      const options = matchModule(implicit)?.options;
      const name = lookup(options, w);
      if (name !== undefined) {
        const use: ModuleUse = { module: implicit, instance: instances++, text: `-m ${implicit}`, options: [] };
        modules.push(use);
        moduleEnds.push(-1);
        items.push(use);
        ownerModule = modules.length - 1;
        ownerUse = use;
        ownerName = name;
        ownerSpec = options![name];
      }
    }
    if (!ownerUse) {
      const lastModule = modules[modules.length - 1];
      if (target && !isBuiltinTarget(target.name) && cx.chain(target.name) === undefined) ownerUse = target;
      else if (lastModule && !matchModule(lastModule.module, family)) {
        ownerModule = modules.length - 1;
        ownerUse = lastModule;
      }
    }
    const arity = ownerSpec?.args;
    const from = valuesStart(tokens, count, i, arity);
    const end = valuesEnd(tokens, count, from, arity);
    const last = end - 1;
    const negated = bang !== undefined || from === i + 2;
    if (!ownerUse) {
      // Kept as an unknown match (after the module it follows) so the rule never matches more than written.
      cx.error(`unknown option '${w}'`);
      const lastModule = modules[modules.length - 1];
      const opt: OptionUse = { name: w, negated, values: words(tokens, from, end), text: line.slice(start, tokens[last]!.end) };
      const host: ModuleUse = lastModule ?? { module: '', instance: -1, text: '', options: [] };
      items.push({ ...unknownOptionMatch(host, opt, `unknown option ${w}`), text: opt.text });
      i = last;
      bang = undefined;
      continue;
    }
    if (negated && ownerSpec?.invertible === false) cx.error(`'!' is not allowed with ${w}`);
    if (ownerSpec && end - from < ownerSpec.args) cx.error(`option ${w} needs ${ownerSpec.args} value(s)`);
    const optEnd = tokens[last]!.end;
    const opt: OptionUse = { name: ownerName, negated, values: words(tokens, from, end), text: line.slice(start, optEnd) };
    const moduleEnd = ownerModule >= 0 ? moduleEnds[ownerModule]! : -1;
    if (moduleEnd >= 0 && start === moduleEnd + 1 && line.charCodeAt(moduleEnd) === 32) {
      opt.withModule = line.slice(moduleEnd - ownerUse.text.length, optEnd);
      moduleEnds[ownerModule] = -1; // a second option follows the first, not the -m
    }
    ownerUse.options.push(opt);
    if (ownerUse === target) targetEnd = Math.max(targetEnd, tokens[last]!.end);
    i = last;
    bang = undefined;
  }
  if (bang) cx.error(`'!' at the end of the rule negates nothing`);

  const matches: Match[] = [];
  for (const item of items) {
    if ('kind' in item) {
      matches.push(item);
      continue;
    }
    const spec = matchModule(item.module, family);
    if (spec) for (const m of spec.build(item, bcx)) matches.push(m);
    else {
      cx.warn(`unknown match module '${item.module}': walks that reach this rule give unknown`);
      matches.push(unknownModule(item));
    }
  }
  // Copied to its exact length: a pushed-to array keeps spare capacity, and a dump holds one per rule.
  const out: ParsedRule = { matches: matches.slice() };
  if (counters) out.counters = counters;
  if (target) {
    target.text = line.slice(targetStart, targetEnd);
    out.target = resolveTarget(target, cx, out);
  }
  return out;
}

/** The Target of a `-j`/`-g`; a jump to a name that is not (yet) a chain is recorded in `out.undeclaredJump`. */
function resolveTarget(use: TargetUse, cx: RuleContext, out: ParsedRule): Target {
  const tables = targetTables(use.name);
  if (tables && !tables.includes(cx.table)) cx.error(`${use.name} is only valid in the ${tables.join('/')} table (the kernel refuses it in ${cx.table})`);
  const builtin = buildTarget(use, cx);
  if (builtin) return builtin;
  const chain = cx.chain(use.name);
  if (chain?.builtin) {
    cx.error(`cannot jump to the built-in chain ${use.name}`);
    return unknownTarget(use, `${use.text}: jump to a built-in chain`);
  }
  if (chain) {
    if (use.options.length > 0) cx.error(`a jump to chain ${use.name} takes no options`);
    return { name: chain.name, goto: use.goto, text: use.text, args: {} };
  }
  if (UNMODELLED_TARGETS.has(use.name)) {
    cx.warn(`target ${use.name} is not modelled: walks that reach this rule give unknown`);
    return unknownTarget(use, `${use.text}: target ${use.name} is not modelled`);
  }
  out.undeclaredJump = use.name;
  return unknownTarget(use, `${use.text}: chain ${use.name} is not declared`);
}
