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
  let buf = '';
  let start = -1;
  let quoted = false;
  let inQuote = false;
  let escaped = false;
  const flush = (end: number): void => {
    if (start >= 0 && (buf.length > 0 || quoted)) tokens.push({ value: buf, start, end, quoted });
    buf = '';
    start = -1;
    quoted = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQuote) {
      if (escaped) {
        buf += c;
        escaped = false;
      } else if (c === '\\') {
        escaped = true;
      } else if (c === '"') {
        inQuote = false;
        flush(i + 1); // iptables-restore: the closing quote ends the word
      } else {
        buf += c;
      }
      continue;
    }
    if (c === '"') {
      if (start < 0) start = i;
      inQuote = true;
      quoted = true;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      flush(i);
    } else {
      if (start < 0) start = i;
      buf += c;
    }
  }
  if (inQuote) {
    flush(line.length);
    return { tokens, error: 'unterminated quoted string' };
  }
  flush(line.length);
  return { tokens };
}

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
