/**
 * Chains read from a dump whose Rule objects are made when first read.
 *
 * A kube-proxy dump holds tens of thousands of rules in ten thousand chains,
 * and a trace reads a handful of them (KUBE-SERVICES, a few KUBE-SVC/KUBE-SEP
 * chains, the filter chains). So the builder keeps, per dump, what a Rule
 * needs besides its chain and number (line, text, the shared parse, counters)
 * in a few arrays (RuleLines), and a ParsedChain makes its Rules from them the
 * first time its `rules` is read.
 *
 * Guarantees:
 * - `rules` is an own enumerable property (an accessor), in the place a plain
 *   chain object has it, so spreading, JSON.stringify, structuredClone and
 *   deep equality see what they see for a plain chain; the first read builds
 *   the Rules (same keys, same order, same shared matches and target as the
 *   eager builder made) and every later read returns that same array, which
 *   may be changed like any other; assigning `rules` replaces it.
 * - forEachParsedRule reads every rule's matches and target without building
 *   the Rules, from the same objects the Rules would hold.
 * - ruleAt makes one Rule (a walk visits a few rules of a long chain): the
 *   object `rules` holds at that place once built.
 */
import type { ParsedRule } from './rule-parse.js';
import type { SourceLoc } from '../../model/source.js';
import type { Chain, Match, Rule, Target } from './types.js';

/**
 * The rule lines of one dump, in the order read: what a Rule needs besides its
 * chain and number. Or a view of another dump's (`of`), for the stretches of
 * this dump that equal that dump's lines (see builder.ts `replay`): the same
 * arrays, read at this dump's file and line numbers (`shift` added), to which
 * nothing is appended.
 */
export class RuleLines {
  /** Line numbers (in a view: before `shift` is added). */
  readonly lines: number[];
  /** The rule lines as written. */
  readonly texts: string[];
  /** Each line's parse (shared with other dumps when read through a ParseCache). */
  readonly parsed: Readonly<ParsedRule>[];
  /** `[packets:bytes]` written before a rule, by its index (rare: most rules have the parse's `-c` counters, if any; none in a view). */
  counters: Map<number, NonNullable<Rule['counters']>> | undefined = undefined;
  /** False for a view. */
  readonly own: boolean;

  constructor(readonly file: string, of?: RuleLines, readonly shift = 0) {
    this.own = of === undefined;
    this.lines = of ? of.lines : [];
    this.texts = of ? of.texts : [];
    this.parsed = of ? of.parsed : [];
  }
}

/** A chain of a parsed dump; see the file comment. */
export class ParsedChain implements Chain {
  name: string;
  builtin: boolean;
  loc: SourceLoc;
  declare rules: Rule[];
  declare policy?: 'ACCEPT' | 'DROP';
  declare policyKept?: true;
  declare counters?: { packets: number; bytes: number };

  /** Where the rules are kept until built. */
  #from: RuleLines;
  /** The chain's rules are #from's entries first..first+count-1 (they are consecutive until built). */
  #first = 0;
  #count = 0;
  /** The Rules, once built (or assigned). */
  #rules: Rule[] | undefined = undefined;
  /** Before that, the Rules made one at a time (ruleAt): the array #build fills and keeps, so each Rule is made once. */
  #some: Rule[] | undefined = undefined;
  /** Whether ruleAt made a Rule (#some may be all holes: `slots` makes it for a compiled form to refer to). */
  #madeOne = false;

  /** An own enumerable `rules`, as a plain chain has (one descriptor for every chain, so they share a shape). */
  static readonly #RULES: PropertyDescriptor = {
    get(this: ParsedChain): Rule[] {
      return this.#rules ?? this.#build();
    },
    set(this: ParsedChain, rules: Rule[]): void {
      this.#rules = rules;
    },
    enumerable: true,
    configurable: true,
  };

  constructor(name: string, builtin: boolean, loc: SourceLoc, from: RuleLines, counters?: { packets: number; bytes: number }) {
    this.name = name;
    this.builtin = builtin;
    this.loc = loc;
    Object.defineProperty(this, 'rules', ParsedChain.#RULES);
    if (counters) this.counters = counters;
    this.#from = from;
  }

  /** True once the Rules were built (or assigned). */
  get built(): boolean {
    return this.#rules !== undefined;
  }

  /**
   * Where the rules' parses are while not built: entries first..first+count-1
   * of the array returned (`at` gets first and count), an array that chains
   * replayed from one reference dump share (so equal spans hold the very same
   * parses); undefined once built or once one Rule was made (ruleAt: it may
   * have been changed). Writes into `at` rather than returning an object: it
   * is asked of every chain of every dump.
   */
  parsedSpan(at: { first: number; count: number }): readonly Readonly<ParsedRule>[] | undefined {
    if (this.#rules || this.#madeOne) return undefined;
    at.first = this.#first;
    at.count = this.#count;
    return this.#from.parsed;
  }

  /** Number of rules, without building them. */
  get ruleCount(): number {
    return this.#rules ? this.#rules.length : this.#count;
  }

  /**
   * Appends a rule read from line `line`: into RuleLines while the chain's
   * lines are the last ones there, as a Rule otherwise. Returns the Rule when
   * one was made.
   */
  add(line: number, text: string, parsed: Readonly<ParsedRule>, counters: Rule['counters']): Rule | undefined {
    const from = this.#from;
    const end = from.lines.length;
    if (this.#rules === undefined && this.#some === undefined && from.own && (this.#count === 0 || this.#first + this.#count === end)) {
      if (this.#count === 0) this.#first = end;
      this.#count++;
      from.lines.push(line);
      from.texts.push(text);
      from.parsed.push(parsed);
      if (counters) (from.counters ??= new Map()).set(end, counters);
      return undefined;
    }
    // Interleaved with another chain's rules (hand-written input) or already built: a Rule now.
    const rules = this.rules;
    const rule = makeRule(this.name, rules.length + 1, { file: from.file, line }, text, parsed, counters);
    rules.push(rule);
    return rule;
  }

  /**
   * Appends the rules that `from` holds at `first`..`first + count - 1`: kept
   * there when the chain has no rules yet or they follow its rules there, made
   * into Rules otherwise (as add does).
   */
  addEntries(from: RuleLines, first: number, count: number): void {
    if (this.#rules === undefined && this.#some === undefined && (this.#count === 0 || (this.#from === from && this.#first + this.#count === first))) {
      if (this.#count === 0) {
        this.#from = from;
        this.#first = first;
      }
      this.#count += count;
      return;
    }
    const rules = this.rules;
    for (let i = first; i < first + count; i++) rules.push(entryRule(this.name, rules.length + 1, from, i));
  }

  /**
   * Calls `fn` with each rule's matches, target and index, in order, building
   * nothing. Once built, reads the Rules (which may have been changed).
   * When `fn` builds them, the later calls still get the parses, i.e. the
   * later Rules as they were built (the loop check changes only the Rule at hand).
   */
  forEachParsed(fn: (matches: readonly Match[], target: Target | undefined, index: number) => void): void {
    const built = this.#rules;
    if (built) {
      for (let i = 0; i < built.length; i++) fn(built[i]!.matches, built[i]!.target, i);
      return;
    }
    const parsed = this.#from.parsed;
    // A Rule made on its own (ruleAt) is read as a built one is: it may have been changed.
    const some = this.#some;
    for (let i = 0, first = this.#first, n = this.#count; i < n; i++) {
      const p = some?.[i] ?? parsed[first + i]!;
      fn(p.matches, p.target, i);
    }
  }

  /**
   * Rule `i` (0-based), making only that one while the Rules are not built: a
   * walk visits a few rules of a long chain (its destination's, by the index).
   * The Rule is the one `rules` holds at `i` once built.
   */
  ruleAt(i: number): Rule | undefined {
    if (this.#rules) return this.#rules[i];
    if (i < 0 || i >= this.#count) return undefined;
    const some = (this.#some ??= new Array<Rule>(this.#count));
    let rule = some[i];
    if (rule === undefined) {
      some[i] = rule = entryRule(this.name, i + 1, this.#from, this.#first + i);
      this.#madeOne = true;
    }
    return rule;
  }

  /**
   * The array `rules` is or will be once built (holes for the Rules not made
   * yet), without building it: a compiled form made from it stays valid when
   * the Rules are built later, and not when `rules` is assigned or grows.
   */
  get slots(): readonly (Rule | undefined)[] {
    return this.#rules ?? (this.#some ??= new Array<Rule>(this.#count));
  }

  #build(): Rule[] {
    const from = this.#from;
    const rules = this.#some ?? new Array<Rule>(this.#count);
    for (let n = 0; n < this.#count; n++) rules[n] ??= entryRule(this.name, n + 1, from, this.#first + n);
    this.#rules = rules;
    this.#some = undefined;
    return rules;
  }
}

/** Rule number `num` of chain `chain`, made from entry `i` of `from` (at the line numbers of a view's own dump). */
function entryRule(chain: string, num: number, from: RuleLines, i: number): Rule {
  return makeRule(chain, num, { file: from.file, line: from.lines[i]! + from.shift }, from.texts[i]!, from.parsed[i]!, from.counters?.get(i));
}

/** A Rule: one literal per combination of optional fields, so every Rule keeps its fields in the object itself. */
export function makeRule(chain: string, num: number, loc: SourceLoc, text: string, parsed: Readonly<ParsedRule>, counters: Rule['counters']): Rule {
  const { matches, target } = parsed;
  const c = counters ?? parsed.counters;
  if (target && c) return { chain, num, loc, text, matches, target, counters: c };
  if (target) return { chain, num, loc, text, matches, target };
  if (c) return { chain, num, loc, text, matches, counters: c };
  return { chain, num, loc, text, matches };
}

/**
 * Calls `fn` with each rule's matches and target, in order. For a chain read
 * from a dump whose Rules were not built yet, builds none (the objects passed
 * are the ones its Rules will hold); for any other chain, reads `rules`.
 */
export function forEachParsedRule(chain: Chain, fn: (matches: readonly Match[], target: Target | undefined, index: number) => void): void {
  if (chain instanceof ParsedChain) return chain.forEachParsed(fn);
  const rules = chain.rules;
  for (let i = 0; i < rules.length; i++) fn(rules[i]!.matches, rules[i]!.target, i);
}

/** False for a chain read from a dump whose Rules are not built yet (see ParsedChain); true for any other. */
export function rulesBuilt(chain: Chain): boolean {
  return !(chain instanceof ParsedChain) || chain.built;
}

/** Rule `i` (0-based) of a chain, making only that one of a chain read from a dump (see ParsedChain.ruleAt). */
export function ruleAt(chain: Chain, i: number): Rule | undefined {
  return chain instanceof ParsedChain ? chain.ruleAt(i) : chain.rules[i];
}

/** The array a chain's `rules` is or will be, building nothing (see ParsedChain.slots). */
export function ruleSlots(chain: Chain): readonly (Rule | undefined)[] {
  return chain instanceof ParsedChain ? chain.slots : chain.rules;
}

/** Number of rules of a chain, building none. */
export function ruleCount(chain: Chain): number {
  return chain instanceof ParsedChain ? chain.ruleCount : chain.rules.length;
}
