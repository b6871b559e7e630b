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
import { buildGeneric, GENERIC_OPTIONS, type GenericKind } from './match-generic.js';
import { matchModule, unknownModule } from './match.js';
import { unknownOptionMatch, type BuildContext, type ModuleUse, type OptionSpec, type OptionUse } from './match-types.js';
import { buildTarget, isBuiltinTarget, targetOptions, targetTables, unknownTarget, UNMODELLED_TARGETS, type TargetUse } from './target.js';

/** What the rule reader needs from its caller. */
export interface RuleContext {
  table: TableName;
  error(message: string): void;
  warn(message: string): void;
  /** 'user' / 'builtin' when a chain of that name exists in the table now. */
  chainKind(name: string): 'user' | 'builtin' | undefined;
}

/** A read rule. `undeclaredJump` names a jump target that is not (yet) a chain. */
export interface ParsedRule {
  matches: Match[];
  target?: Target;
  counters?: { packets: number; bytes: number };
  undeclaredJump?: string;
}

/** Finds `word` among a spec's options and aliases; returns the canonical name. */
function lookup(options: Record<string, OptionSpec> | undefined, word: string): [string, OptionSpec] | undefined {
  if (!options) return undefined;
  if (Object.hasOwn(options, word)) return [word, options[word]!];
  for (const [name, spec] of Object.entries(options)) if (spec.aliases?.includes(word)) return [name, spec];
  return undefined;
}

const isOptionWord = (t: Token): boolean => !t.quoted && t.value.startsWith('-') && t.value.length > 1;
const isBang = (t: Token | undefined): boolean => t !== undefined && !t.quoted && t.value === '!';

/** Reads the words of a rule after `-A CHAIN`. */
export function parseRuleWords(tokens: Token[], line: string, cx: RuleContext): ParsedRule {
  const items: (Match | ModuleUse)[] = [];
  const modules: ModuleUse[] = [];
  const seenGeneric = new Set<GenericKind>();
  let target: TargetUse | undefined;
  let targetStart = 0;
  let targetEnd = 0;
  let counters: ParsedRule['counters'];
  let proto: number | undefined;
  let bang: Token | undefined;
  let instances = 0;
  const bcx: BuildContext = { error: cx.error, warn: cx.warn, get proto() { return proto; } };

  /** Reads an option's values from tokens[i+1..]; returns [values, negatedInside, lastIndex]. */
  const readValues = (i: number, arity: number | undefined): [Token[], boolean, number] => {
    let j = i + 1;
    let inner = false;
    if (arity !== 0 && isBang(tokens[j])) {
      inner = true; // old form `--opt ! value` (iptables: "intrapositioned negation" deprecated)
      j++;
    }
    const vals: Token[] = [];
    while (j < tokens.length && (arity === undefined ? !isOptionWord(tokens[j]!) && !isBang(tokens[j]) : vals.length < arity)) {
      vals.push(tokens[j]!);
      j++;
    }
    return [vals, inner, j - 1];
  };

  for (let i = 0; i < tokens.length; i++) {
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
    const generic = Object.hasOwn(GENERIC_OPTIONS, w) ? GENERIC_OPTIONS[w] : undefined;
    if (generic) {
      const [vals, inner, last] = readValues(i, generic === 'frag' ? 0 : 1);
      const negated = bang !== undefined || inner;
      if (generic !== 'frag' && vals.length === 0) cx.error(`option ${w} needs a value`);
      if (seenGeneric.has(generic)) cx.error(`option ${w} given twice (iptables: multiple flags not allowed)`);
      seenGeneric.add(generic);
      const m = buildGeneric(generic, negated, vals[0]?.value, line.slice(start, tokens[last]!.end), bcx);
      if (generic === 'proto' && !negated && m.unknown === undefined) proto = m.args['proto'] as number;
      items.push(m);
      i = last;
      bang = undefined;
      continue;
    }
    if (w === '-m' || w === '--match' || w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      if (bang) cx.error(`'!' cannot precede ${w}`);
      bang = undefined;
      const name = tokens[i + 1];
      if (!name) {
        cx.error(`${w} needs a name`);
        continue;
      }
      i++;
      const text = line.slice(t.start, name.end);
      if (w === '-m' || w === '--match') {
        const use: ModuleUse = { module: name.value, instance: instances++, text, options: [] };
        modules.push(use);
        items.push(use);
      } else if (target) {
        cx.error(`a rule has one target; ${text} comes after ${target.text}`);
      } else {
        target = { name: name.value, goto: w === '-g' || w === '--goto', text, options: [] };
        targetStart = t.start;
        targetEnd = name.end;
      }
      continue;
    }
    if (w === '-c' || w === '--set-counters') {
      const [p, b] = [tokens[i + 1]?.value ?? '', tokens[i + 2]?.value ?? ''];
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
    // A module or target option: find its owner.
    let owner: { use: ModuleUse | TargetUse; name: string; spec?: OptionSpec } | undefined;
    const tOpt = target ? lookup(targetOptions(target.name), w) : undefined;
    if (target && tOpt) owner = { use: target, name: tOpt[0], spec: tOpt[1] };
    for (let k = modules.length - 1; !owner && k >= 0; k--) {
      const o = lookup(matchModule(modules[k]!.module)?.options, w);
      if (o) owner = { use: modules[k]!, name: o[0], spec: o[1] };
    }
    if (!owner && (proto === 6 || proto === 17 || proto === 1)) {
      const implicit = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : 'icmp';
      const o = lookup(matchModule(implicit)?.options, w);
      if (o) {
        const use: ModuleUse = { module: implicit, instance: instances++, text: `-m ${implicit}`, options: [] };
        modules.push(use);
        items.push(use);
        owner = { use, name: o[0], spec: o[1] };
      }
    }
    if (!owner) {
      const lastModule = modules[modules.length - 1];
      if (target && !isBuiltinTarget(target.name) && cx.chainKind(target.name) === undefined) owner = { use: target, name: w };
      else if (lastModule && !matchModule(lastModule.module)) owner = { use: lastModule, name: w };
    }
    const [vals, inner, last] = readValues(i, owner?.spec?.args);
    const negated = bang !== undefined || inner;
    if (!owner) {
      // Kept as an unknown match (after the module it follows) so the rule never matches more than written.
      cx.error(`unknown option '${w}'`);
      const lastModule = modules[modules.length - 1];
      const opt: OptionUse = { name: w, negated, values: vals.map((v) => v.value), text: line.slice(start, tokens[last]!.end) };
      const host: ModuleUse = lastModule ?? { module: '', instance: -1, text: '', options: [] };
      items.push({ ...unknownOptionMatch(host, opt, `unknown option ${w}`), text: opt.text });
      i = last;
      bang = undefined;
      continue;
    }
    if (negated && owner.spec?.invertible === false) cx.error(`'!' is not allowed with ${w}`);
    if (owner.spec && vals.length < owner.spec.args) cx.error(`option ${w} needs ${owner.spec.args} value(s)`);
    const opt: OptionUse = { name: owner.name, negated, values: vals.map((v) => v.value), text: line.slice(start, tokens[last]!.end) };
    owner.use.options.push(opt);
    if (owner.use === target) targetEnd = Math.max(targetEnd, tokens[last]!.end);
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
    const spec = matchModule(item.module);
    if (spec) matches.push(...spec.build(item, bcx));
    else {
      cx.warn(`unknown match module '${item.module}': walks that reach this rule give unknown`);
      matches.push(unknownModule(item));
    }
  }
  const out: ParsedRule = { matches };
  if (counters) out.counters = counters;
  if (target) {
    target.text = line.slice(targetStart, targetEnd);
    out.target = resolveTarget(target, cx, (name) => (out.undeclaredJump = name));
  }
  return out;
}

function resolveTarget(use: TargetUse, cx: RuleContext, undeclared: (name: string) => void): Target {
  const tables = targetTables(use.name);
  if (tables && !tables.includes(cx.table)) cx.error(`${use.name} is only valid in the ${tables.join('/')} table (the kernel refuses it in ${cx.table})`);
  const builtin = buildTarget(use, cx);
  if (builtin) return builtin;
  const kind = cx.chainKind(use.name);
  if (kind === 'builtin') {
    cx.error(`cannot jump to the built-in chain ${use.name}`);
    return unknownTarget(use, `${use.text}: jump to a built-in chain`);
  }
  if (kind === 'user') {
    if (use.options.length > 0) cx.error(`a jump to chain ${use.name} takes no options`);
    return { name: use.name, goto: use.goto, text: use.text, args: {} };
  }
  if (UNMODELLED_TARGETS.has(use.name)) {
    cx.warn(`target ${use.name} is not modelled: walks that reach this rule give unknown`);
    return unknownTarget(use, `${use.text}: target ${use.name} is not modelled`);
  }
  undeclared(use.name);
  return unknownTarget(use, `${use.text}: chain ${use.name} is not declared`);
}
