/**
 * What each line of a ParseCache's reference dump did to the builder, so that
 * a later dump can replay a stretch of it instead of reading it line by line.
 *
 * Where a dump's lines are, since its table's `*table` line, the reference's
 * lines in order (in step, see parse-cache.ts), the builder is in the state it
 * was in at that point of the reference, up to the line numbers and which
 * objects it made. A line whose whole effect was one of the plain kinds below,
 * with no diagnostic, has the same effect again at its new line:
 * - NOTHING: a blank or comment line;
 * - RULE: a memoised `-A` line added to the RuleLines behind its chain, with no
 *   jump to an undeclared chain (the chain is named by its number in the order
 *   the table made its chains, the parse is the reference's);
 * - CHAIN: the declaration `:NAME - [p:b]` of a new user chain.
 * Every other line is OTHER and is read as usual. Only lines without leading
 * or trailing blanks are plain (the replay takes the line as the rule text).
 *
 * Guarantees: a replayed stretch leaves the builder as reading its lines would
 * (same chains, Rules, diagnostics, loop check); see builder.ts `replay`.
 */
import type { Chain } from './types.js';
import type { RuleLines } from './parsed-chain.js';

/** A line the replay leaves to the reader. */
export const OTHER = 0;
/** A blank or comment line. */
export const NOTHING = 1;
/** A plain memoised `-A` line. */
export const RULE = 2;
/** The declaration of a new user chain. */
export const CHAIN = 3;

/** Per line of the reference dump: its kind, and what a RULE or CHAIN line needs. */
export class ReplayLog {
  /** OTHER, NOTHING, RULE or CHAIN by line index (OTHER until recorded). */
  readonly kinds: Uint8Array;
  /** A RULE line's chain: its number in the order its table made its chains. */
  readonly chains: Int32Array;
  /** A RULE line's index in the reference's RuleLines (`rules`), whose line numbers start at `first`. */
  readonly entries: Int32Array;
  rules: RuleLines | undefined = undefined;
  first = 1;
  /** A CHAIN line's name and counters. */
  readonly names: (string | undefined)[];
  readonly counters: (Chain['counters'] | undefined)[];

  constructor(lineCount: number) {
    this.kinds = new Uint8Array(lineCount);
    this.chains = new Int32Array(lineCount);
    this.names = new Array<string | undefined>(lineCount);
    this.counters = new Array<Chain['counters'] | undefined>(lineCount);
    this.entries = new Int32Array(lineCount);
  }

  /** For the reference `refId`: how many RULE lines before each line are jumps not known to be loop-free (see builder.ts noteJump). */
  private novel: { refId: number; before: Int32Array } | undefined = undefined;

  /** The number of RULE lines among lines j0..j1-1 whose jump the loop check must see (`known`: the lines' CachedRuleLines). */
  novelJumps(known: readonly ({ jump: boolean; loopFreeIn: number } | undefined)[], refId: number, j0: number, j1: number): number {
    if (this.novel?.refId !== refId) {
      const before = new Int32Array(this.kinds.length + 1);
      for (let j = 0; j < this.kinds.length; j++) {
        const e = this.kinds[j] === RULE ? known[j] : undefined;
        before[j + 1] = before[j]! + (e?.jump && e.loopFreeIn !== refId ? 1 : 0);
      }
      this.novel = { refId, before };
    }
    return this.novel.before[j1]! - this.novel.before[j0]!;
  }
}
