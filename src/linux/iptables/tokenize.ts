/**
 * Splits one iptables-restore line into words the way iptables-restore does
 * (iptables `xshared.c` add_param_to_argv), not the way a POSIX shell does:
 *
 * - words are separated by spaces and tabs;
 * - `"` opens a quoted part; inside it `\x` stands for `x` (so `\"`, `\\` and
 *   iptables-save's `\'` all work) and spaces are literal;
 * - a closing `"` ends the word (`"a"b` is two words, as in iptables-restore);
 * - outside quotes, `\`, `'`, `$`, `;`, `|`, `#` ... are ordinary characters,
 *   which is why weave's ipset names like `weave-;rGqy...$3]6!N` survive.
 *
 * Guarantees: never throws; every word records its start/end offsets in the
 * line, so callers can quote the text exactly as written; an unterminated
 * quote is reported in `error` (the words read so far are still returned).
 */

/** One word of a rule line. */
export interface Token {
  /** The word with quotes and escapes removed. */
  value: string;
  /** Offset of the word's first character (its opening quote, if quoted). */
  start: number;
  /** Offset just past the word's last character. */
  end: number;
  /** The word was (partly) quoted: it is never an option or `!`. */
  quoted: boolean;
}

/** The words of a line, and a message when the line's quoting is broken. */
export interface Tokenized {
  tokens: Token[];
  error?: string;
}

/** Splits `line` into iptables-restore words. */
export function tokenize(line: string): Tokenized {
  const tokens: Token[] = [];
  const error = tokenizeInto(line, { tokens, count: 0, reuse: false });
  return error === undefined ? { tokens } : { tokens, error };
}

/**
 * Reusable Token objects for `tokenizeReusing`: a reader that keeps no Token
 * past the line it reads saves allocating some 15 per rule line. The words of
 * the last line read are `tokens[0..count)`; the array is never shortened
 * (setting an array's length to 0 frees its storage, which the next line
 * would allocate again), so entries from `count` on are spare Tokens.
 */
export class TokenPool {
  readonly tokens: Token[] = [];
  count = 0;
}

/** The words of `line` in `pool.tokens[0..pool.count)` (valid until the next call with this pool); the quoting error, if any. */
export function tokenizeReusing(line: string, pool: TokenPool): string | undefined {
  const sink: TokenSink = { tokens: pool.tokens, count: 0, reuse: true };
  const error = tokenizeInto(line, sink);
  pool.count = sink.count;
  return error;
}

/** Where tokenizeInto puts words: `tokens[count++]`, overwriting the Token there when `reuse`. */
interface TokenSink {
  tokens: Token[];
  count: number;
  reuse: boolean;
}

/** Puts the words of `line` into `sink`. */
function tokenizeInto(line: string, sink: TokenSink): string | undefined {
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    if (i >= n) return undefined;
    const start = i;
    // Fast path: a bare word is a slice of the line (each character read once; blanks and `"` are all <= 34).
    let c = 0;
    for (; i < n; i++) {
      c = line.charCodeAt(i);
      if (c <= QUOTE && (c === QUOTE || isBlank(c))) break;
    }
    if (i >= n || c !== QUOTE) {
      pushToken(sink, line.slice(start, i), start, i, false);
      continue;
    }
    // A quote: the word so far, then the quoted part with backslash escapes; the closing quote ends the word.
    // Runs between escapes are copied as slices (a char-by-char `+=` would build a long rope per comment).
    let buf = line.slice(start, i);
    i++;
    let closed = false;
    let run = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === BACKSLASH && i + 1 < n) {
        buf += line.slice(run, i) + line[i + 1];
        i += 2;
        run = i;
      } else if (c === QUOTE) {
        buf += line.slice(run, i);
        closed = true;
        i++;
        break;
      } else i++;
    }
    if (!closed) buf += line.slice(run, i);
    pushToken(sink, buf, start, i, true);
    if (!closed) return 'unterminated quoted string';
  }
}

/** Adds a Token to the sink, overwriting the one at its place when reusing. */
function pushToken(sink: TokenSink, value: string, start: number, end: number, quoted: boolean): void {
  const t = sink.reuse ? sink.tokens[sink.count] : undefined;
  if (t) {
    t.value = value;
    t.start = start;
    t.end = end;
    t.quoted = quoted;
  } else sink.tokens[sink.count] = { value, start, end, quoted };
  sink.count++;
}

const QUOTE = 34;
const BACKSLASH = 92;
const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

const SAFE_WORD = /^[_\-0-9A-Za-z]+$/;

/**
 * Quotes a string the way iptables-save's xtables_save_string does: bare when
 * it is only `[_-0-9A-Za-z]`, otherwise in double quotes with `"`, `\` and `'`
 * escaped by a backslash. Used for free text (comments, log prefixes).
 */
export function saveString(value: string): string {
  if (SAFE_WORD.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/**
 * Renders a word so that `tokenize` reads it back unchanged and never as an
 * option, quoting only when needed (whitespace, quotes, empty, `!`, or a
 * leading `-`).
 * Used for identifiers such as ipset and interface names, which iptables-save
 * prints bare.
 */
export function quoteIfNeeded(value: string): string {
  if (value.length > 0 && value !== '!' && !value.startsWith('-') && !/[\s"]/.test(value)) return value;
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
