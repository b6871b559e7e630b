/**
 * A memo of rule-line parses that a caller shares across iptables-save dumps.
 *
 * An estate's nodes carry many dumps that differ in a few lines (each node
 * group's masquerade rule, a node-exporter port): the same `-A` line in the
 * same table reads to the same matches and target in every dump, apart from
 * where it was found. With a ParseCache, parseIptablesSave reads such a line
 * once; later dumps look the line up by its text and build only the Rule
 * itself (chain, number, file:line, text), sharing the parsed matches and
 * target, which nothing changes once read (the matches array is frozen).
 *
 * What a line's parse depends on besides its text, and how that is kept exact:
 * - the table and address family: one memo per (family, table);
 * - which chains exist when the line is read (a `-j NAME` is a jump when NAME
 *   is a chain, an unknown target otherwise, and that decides where options
 *   go): the chain look-ups the parse made are recorded with their answers and
 *   checked on every hit; when one differs the line is parsed afresh;
 * - the diagnostics the parse reported are recorded and reported again, at
 *   the new line.
 * Checks that depend on the chain the rule goes to (undeclared chain, `-i` in
 * OUTPUT) are made per rule, outside the memo. Only plain `-A CHAIN ...` lines
 * (no `[packets:bytes]` prefix, no quoting error) are memoised.
 *
 * Making a hit cheap: hashing and comparing every line of a 5 MB dump costs
 * more than the rest of a hit. So the cache also keeps the lines of a
 * reference dump (per family), and `split` hands out the reference's own
 * string for a line that equals it; a memo look-up of such a line is then an
 * identity hit with a stored hash. Better still, where a table's lines are
 * the reference's lines in order, the parse the reference used for a line is
 * taken without any look-up (see SplitDump), and a stretch of such lines is
 * not read at all: the builder replays what the reference's lines did
 * (replay-log.ts). Chain declarations are memoised too, so a
 * chain's name is one string object in every dump and the chain look-ups of
 * rules find it the same way.
 *
 * The caller owns the cache (pure code keeps no global state): make one per
 * run and pass it to every parseIptablesSave call. It holds the line texts it
 * was given (slices of the dumps' text, which keep those texts alive) and
 * empties itself when it reaches `maxLines` lines.
 */
import type { Diagnostic, TableName } from './types.js';
import type { ParsedRule } from './rule-parse.js';
import { ReplayLog } from './replay-log.js';

/** How a chain look-up made while parsing a line was answered: absent, a user chain, a built-in chain. */
export type ChainAnswer = 0 | 1 | 2;

/** The parse of one rule line, as shared by every dump that has the line in the same table. */
export interface CachedRuleLine {
  /** The chain of `-A CHAIN`. */
  chain: string;
  /** Matches (frozen), target, `-c` counters, and an undeclared jump target. */
  parsed: Readonly<ParsedRule>;
  /** What the parse reported, in order. */
  reports: readonly { severity: Diagnostic['severity']; message: string }[];
  /** The chain look-ups the parse made, with their answers: name, answer, name, answer... */
  lookups: readonly (string | ChainAnswer)[];
  /** The target is a jump (or goto) to a user chain. */
  jump: boolean;
  /** The id of the reference dump in which this line was a jump of a loop-free table (0: none); see builder.ts. */
  loopFreeIn: number;
}

/** Options of a ParseCache. */
export interface ParseCacheOptions {
  /**
   * Lines held before the cache empties itself and starts again.
   * @default 4,000,000 (about 80 kube-proxy dumps of 50k distinct rules)
   */
  maxLines?: number;
}

/** A chain declaration line read: `:NAME POLICY [p:b]` (null: not in that form). */
export type ChainLine = readonly [name: string, policy: string, counters: { packets: number; bytes: number } | undefined] | null;

/** The lines of a dump, in order, where each first occurs, and what its rule lines read to there. */
interface Reference {
  id: number;
  lines: string[];
  at: Map<string, number>;
  /** 0, 1, 2... one per line (copied into a SplitDump's `at` for a stretch of lines). */
  iota: Int32Array;
  entries: (CachedRuleLine | undefined)[];
  /** The dump's text, where each line starts in it (and its length last), and how many lines end with a newline. */
  text: string;
  starts: Int32Array;
  ended: number;
  /** What each line did to the builder (filled in while the dump is parsed). */
  log: ReplayLog;
}

/** A dump cut into lines by ParseCache.split (line `i` is lineOf(split, i)). */
export interface SplitDump {
  /** The number of lines. */
  count: number;
  /** Each line's index in the reference dump (-1: not there). */
  at: Int32Array;
  /** The reference's lines, and the lines that are not there (by index). */
  refLines: readonly string[];
  own: string[];
  /**
   * The parse each rule line of the reference dump used, by its index there.
   * Where a table's lines are, since its `*table` line, the reference's lines
   * in order, the builder holds what it held in the reference at that point,
   * so that parse holds without checking its chain look-ups.
   */
  known: readonly (CachedRuleLine | undefined)[];
  /** When this dump becomes the reference: the parse each rule line used, filled in by the caller. */
  record?: (CachedRuleLine | undefined)[];
  /** When this dump becomes the reference: what each line does, filled in by the caller; otherwise the reference's, to replay. */
  log?: ReplayLog;
  /** The reference's id (0: there is none), and this dump's id when it becomes the reference (0: it does not). */
  refId: number;
  becomes: number;
}

/** A reference is replaced by the dump just split when more than this share of its lines were not in it. */
const REFERENCE_MISS_SHARE = 0.05;

/** Parses of rule lines by family, table and line text; see the file comment. */
export class ParseCache {
  readonly maxLines: number;
  private readonly memos = new Map<string, Map<string, CachedRuleLine>>();
  private readonly chainLines = new Map<string, ChainLine>();
  private readonly references = new Map<string, Reference>();
  private count = 0;
  private nextReference = 1;
  /** Lookups that found a line (for figures and tests). */
  hits = 0;
  /** Lines parsed and stored. */
  misses = 0;
  /** Lines replayed from the reference dump's ReplayLog, not read (for figures and tests). */
  replayed = 0;

  constructor(options: ParseCacheOptions = {}) {
    this.maxLines = options.maxLines ?? 4_000_000;
  }

  /** Lines held now. */
  get size(): number {
    return this.count;
  }

  /** The memo of one table's lines (made on first use). */
  linesOf(table: TableName, family: 'ipv6' | undefined): Map<string, CachedRuleLine> {
    const key = family === 'ipv6' ? `6${table}` : table;
    let memo = this.memos.get(key);
    if (!memo) this.memos.set(key, (memo = new Map()));
    return memo;
  }

  /** Stores a line's parse; empties every memo first when the cache is full. */
  store(memo: Map<string, CachedRuleLine>, text: string, entry: CachedRuleLine): void {
    if (this.count >= this.maxLines) this.clear();
    if (!memo.has(text)) this.count++;
    memo.set(text, entry);
    this.misses++;
  }

  /** Forgets every line (a parse under way keeps the reference it started with). */
  clear(): void {
    for (const m of this.memos.values()) m.clear();
    this.chainLines.clear();
    this.references.clear();
    this.count = 0;
  }

  /** A chain declaration line as `read` reads it, read once per distinct line. */
  chainLine(line: string, read: (line: string) => ChainLine): ChainLine {
    let c = this.chainLines.get(line);
    if (c === undefined) {
      c = read(line);
      if (c?.[2]) Object.freeze(c[2]); // the counters object is shared by every chain declared by this line
      if (this.count >= this.maxLines) this.clear();
      this.chainLines.set(line, c);
      this.count++;
    }
    return c;
  }

  /**
   * The lines of `text` as parse.ts's splitLines cuts them (LF or CRLF, no
   * phantom line after a final newline; an empty text gives none), each line
   * that the reference dump of `family` also has being the reference's string;
   * see SplitDump. The dump becomes the reference when there is none or when
   * more than 5% of its lines are not in it.
   *
   * Stretches of the text that equal the reference's text from the line
   * expected next are found with a few whole-range comparisons (see
   * sameLinesFrom) and take the reference's lines without cutting them out;
   * the lines around them are cut and looked up one by one.
   */
  split(text: string, family: 'ipv6' | undefined): SplitDump {
    const key = family ?? 'ipv4';
    const ref = this.references.get(key);
    const own: string[] = [];
    let at: Int32Array = new Int32Array(ref ? ref.lines.length + 64 : 1024);
    let count = 0;
    const n = text.length;
    let misses = 0;
    let j = 0; // the reference line expected next
    for (let pos = 0; pos < n;) {
      if (ref && j < ref.ended) {
        const k = sameLinesFrom(text, pos, ref, j);
        if (k > j) {
          if (count + k - j > at.length) at = grown(at, count + k - j);
          at.set(ref.iota.subarray(j, k), count);
          count += k - j;
          pos += ref.starts[k]! - ref.starts[j]!;
          j = k;
          continue;
        }
      }
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      const line = text.slice(pos, end < n && end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end);
      if (count === at.length) at = grown(at, count + 1);
      const expected = ref?.lines[j];
      if (expected !== undefined && expected.length === line.length && expected === line) {
        at[count] = j++;
      } else {
        // Out of step with the reference (a line added, changed or removed): find the line there and go on after it.
        const found = ref?.at.get(line);
        if (found !== undefined) {
          at[count] = found;
          j = found + 1;
        } else {
          at[count] = -1;
          own[count] = line;
          misses++;
          j++;
        }
      }
      count++;
      pos = end + 1;
    }
    const out: SplitDump = { count, at: at.subarray(0, count), refLines: ref?.lines ?? [], own, known: ref?.entries ?? [], refId: ref?.id ?? 0, becomes: 0 };
    if (ref) out.log = ref.log;
    if (!ref || misses > count * REFERENCE_MISS_SHARE) {
      const lines = new Array<string>(count);
      for (let i = 0; i < count; i++) lines[i] = lineOf(out, i);
      const firstAt = new Map<string, number>();
      lines.forEach((l, i) => {
        if (!firstAt.has(l)) firstAt.set(l, i);
      });
      out.record = new Array<CachedRuleLine | undefined>(count);
      out.log = new ReplayLog(count);
      out.becomes = this.nextReference++;
      const { starts, ended } = lineStarts(text, count);
      const iota = new Int32Array(count);
      for (let i = 0; i < count; i++) iota[i] = i;
      this.references.set(key, { id: out.becomes, lines, at: firstAt, iota, entries: out.record, text, starts, ended, log: out.log });
    }
    return out;
  }
}

/** Line `index` of a split dump. */
export function lineOf(split: SplitDump, index: number): string {
  const at = split.at[index]!;
  return at >= 0 ? split.refLines[at]! : split.own[index]!;
}

/** `at` copied into an array of at least `size` entries (twice as many). */
function grown(at: Int32Array, size: number): Int32Array {
  const bigger = new Int32Array(Math.max(size, at.length * 2));
  bigger.set(at);
  return bigger;
}

const CR = 13;
/** The most lines compared at once by sameLinesFrom (about 400 kB of kube-proxy rules). */
const MAX_STRETCH = 4096;

/**
 * The end k >= j of the longest run of reference lines j..k-1 that, with
 * their newlines, equal `text` from `pos` on (j when line j differs). Compares
 * growing stretches (1, 2, 4... lines) as whole strings, then halves the
 * stretch that differs until one line is left: a few comparisons of long
 * strings instead of one per line.
 */
function sameLinesFrom(text: string, pos: number, ref: Reference, j: number): number {
  const s = ref.starts;
  const base = pos - s[j]!; // the text offset of the reference offset x is base + x
  const same = (from: number, to: number): boolean =>
    base + s[to]! <= text.length && text.slice(base + s[from]!, base + s[to]!) === ref.text.slice(s[from]!, s[to]!);
  let k = j;
  for (let step = 1; k < ref.ended; step = Math.min(step * 2, MAX_STRETCH)) {
    const next = Math.min(k + step, ref.ended);
    if (!same(k, next)) {
      let hi = next; // lines k..hi-1 hold a difference
      while (hi - k > 1) {
        const mid = (k + hi) >> 1;
        if (same(k, mid)) k = mid;
        else hi = mid;
      }
      return k;
    }
    k = next;
  }
  return k;
}

/** Where each of the `count` lines of `text` starts (and the text's length last), and how many end with a newline. */
function lineStarts(text: string, count: number): { starts: Int32Array; ended: number } {
  const starts = new Int32Array(count + 1);
  let ended = 0;
  for (let i = 0; i < count; i++) {
    const end = text.indexOf('\n', starts[i]!);
    if (end < 0) {
      starts[i + 1] = text.length;
      continue;
    }
    starts[i + 1] = end + 1;
    ended = i + 1;
  }
  return { starts, ended };
}
