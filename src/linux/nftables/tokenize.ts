/**
 * Tokens of nft's text syntax: words, quoted strings, `{ } ; ,` and line ends
 * (a rule ends at a line end or `;` outside braces). `#` starts a comment at a
 * token boundary; a backslash before a line end joins lines.
 */
import { PodpathError } from '../../model/errors.js';

/** One token with its 1-based line. */
export interface Tok {
  t: string;
  line: number;
  /** A quoted string (its text without the quotes). */
  quoted?: true;
}

const SINGLE = new Set(['{', '}', ';', ',']);
// A word ends at whitespace (as \s), a brace, `;`, `,` or a quote: a table for ASCII, the regular expression beyond.
const ENDS = new Uint8Array(128);
for (const ch of ' \t\n\v\f\r{};,"') ENDS[ch.charCodeAt(0)] = 1;
const endsWord = (code: number): boolean => (code < 128 ? ENDS[code] === 1 : /\s/.test(String.fromCharCode(code)));

/** Splits nft text into tokens; `\n` tokens mark line ends. */
export function tokenize(text: string, file: string): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      out.push({ t: '\n', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || (endsWord(text.charCodeAt(i)) && !SINGLE.has(c) && c !== '"')) {
      // Any other whitespace (\v, \f, a no-break space...) separates words too; a word always takes a character.
      i++;
    } else if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      line++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) throw new PodpathError('PP_PARSE', 'unterminated string', { file, line });
      out.push({ t: text.slice(i + 1, end), line, quoted: true });
      i = end + 1;
    } else if (SINGLE.has(c)) {
      out.push({ t: c, line });
      i++;
    } else {
      const start = i;
      while (i < n && !endsWord(text.charCodeAt(i))) i++;
      out.push({ t: text.slice(start, i), line });
    }
  }
  out.push({ t: '\n', line });
  return out;
}
