/**
 * Reads `iptables-save` text into a Ruleset.
 *
 * Accepts what iptables-save writes and iptables-restore reads: `# comments`,
 * `*table`, `:CHAIN POLICY [packets:bytes]`, `-A CHAIN ...` (optionally
 * prefixed by `[packets:bytes]`, as `iptables-save -c` writes), `COMMIT`;
 * blank lines (real pastes have them between tables), CRLF line ends, leading
 * and trailing spaces (iptables 1.4.7 ends every rule with one). iptables-save
 * writes no other command, so `-I`, `-D`, `-N`, ... are reported as errors.
 *
 * Errors (the dump would not restore, or cannot be read as the kernel would):
 * a table without COMMIT, a line outside a table, an unknown table, a rule in
 * or a jump to an undeclared chain (see builder.ts), an unparsable value such
 * as `-d x.x.x.x/32` (the match is kept with `unknown` set), an unknown option.
 * Warnings (usable, but look): a CIDR with host bits (masked, as iptables
 * does), an unknown match module or target (kept, `unknown` set), an
 * undeclared built-in chain, an interface alias such as `eth3:1`.
 *
 * Locations: file = src.file ?? '<input>', line = (src.firstLine ?? 1) + index.
 *
 * Guarantees: never throws, whatever the input (fuzzed with truncated dumps);
 * every diagnostic names its line; rules keep their text and location.
 */
import type { TextSource } from '../../model/source.js';
import type { Diagnostic, Ruleset } from './types.js';
import { RulesetBuilder } from './builder.js';
import { tokenize } from './tokenize.js';

/** A parse result: always a value, plus what was wrong with the input. */
export interface ParseResult<T> {
  value: T;
  diagnostics: Diagnostic[];
}

const COUNTERS = /^\[(\d+):(\d+)\]$/;
const CHAIN_DECL = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/;
const OTHER_COMMANDS = new Set(['-I', '--insert', '-D', '--delete', '-R', '--replace', '-N', '--new-chain', '-P', '--policy',
  '-F', '--flush', '-X', '--delete-chain', '-Z', '--zero', '-E', '--rename-chain', '-L', '--list', '-S', '--list-rules']);

/** Splits text into lines (LF or CRLF), without a phantom line after a final newline. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const l = lines[i]!; // followed by \n: drop one \r before it
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Parses iptables-save output. Never throws. */
export function parseIptablesSave(src: TextSource): ParseResult<Ruleset> {
  const b = new RulesetBuilder(src.file ?? '<input>');
  const first = src.firstLine ?? 1;
  const lines = splitLines(src.text);
  let lastLine = first;
  let lastText = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trimEnd();
    const lineNo = first + index;
    const body = line.trimStart();
    if (body === '' || body.charCodeAt(0) === HASH) continue;
    lastLine = lineNo;
    lastText = line;
    readLine(b, body, line, lineNo);
  }
  const value = b.finish(lastLine, lastText);
  return { value, diagnostics: b.diagnostics };
}

const HASH = 35;

/**
 * CHAIN_DECL's groups for the common form `:NAME POLICY [p:b]` (printable
 * ASCII, single spaces), found without a regex; null for anything else, which
 * is then left to CHAIN_DECL (so the answer is always CHAIN_DECL's).
 */
function plainChainLine(body: string): (string | undefined)[] | null {
  const n = body.length;
  const nameEnd = printableEnd(body, 1);
  if (nameEnd === 1 || nameEnd >= n || body.charCodeAt(nameEnd) !== 32) return null;
  const policyEnd = printableEnd(body, nameEnd + 1);
  if (policyEnd === nameEnd + 1) return null;
  const groups = [body, body.slice(1, nameEnd), body.slice(nameEnd + 1, policyEnd), undefined, undefined];
  if (policyEnd === n) return groups;
  // ` [packets:bytes]` and the end of the line
  if (body.charCodeAt(policyEnd) !== 32 || body.charCodeAt(policyEnd + 1) !== 91 || body.charCodeAt(n - 1) !== 93) return null;
  const colon = body.indexOf(':', policyEnd + 2);
  if (colon < 0 || !digitsOnly(body, policyEnd + 2, colon) || !digitsOnly(body, colon + 1, n - 1)) return null;
  groups[3] = body.slice(policyEnd + 2, colon);
  groups[4] = body.slice(colon + 1, n - 1);
  return groups;
}

/** Where the run of printable ASCII (no space) starting at `from` ends. */
function printableEnd(body: string, from: number): number {
  let i = from;
  while (i < body.length && body.charCodeAt(i) > 32 && body.charCodeAt(i) < 127) i++;
  return i;
}

/** True when body[from, to) is one or more ASCII digits. */
function digitsOnly(body: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (body.charCodeAt(i) < 48 || body.charCodeAt(i) > 57) return false;
  return true;
}

/** One non-blank, non-comment line. */
function readLine(b: RulesetBuilder, body: string, line: string, lineNo: number): void {
  if (b.isSkipping && body !== 'COMMIT' && !body.startsWith('*')) return;
  if (body.startsWith('*')) return b.openTable(body.slice(1).trim(), lineNo, line);
  if (body === 'COMMIT') return b.commit(lineNo, line);
  if (body.startsWith(':')) {
    const m = plainChainLine(body) ?? CHAIN_DECL.exec(body);
    if (!m) return b.report('error', lineNo, line, 'a chain line reads `:NAME POLICY [packets:bytes]`');
    const counters = m[3] !== undefined ? { packets: Number(m[3]), bytes: Number(m[4]) } : undefined;
    return b.declareChain(m[1]!, m[2]!, lineNo, line, counters);
  }
  const { tokens, error } = tokenize(line);
  if (error) b.report('error', lineNo, line, error);
  let counters: { packets: number; bytes: number } | undefined;
  let at = 0; // the command word, after an optional [packets:bytes]
  const c = tokens[0] && !tokens[0].quoted && tokens[0].value.charCodeAt(0) === 91 ? COUNTERS.exec(tokens[0].value) : null;
  if (c) {
    counters = { packets: Number(c[1]), bytes: Number(c[2]) };
    at = 1;
  }
  const cmd = tokens[at]?.value ?? '';
  if (cmd === '-A' || cmd === '--append') {
    const chain = tokens[at + 1];
    if (!chain) return b.report('error', lineNo, line, `${cmd} needs a chain name`);
    return b.addRule(chain.value, tokens, lineNo, line, counters, at + 2);
  }
  if (OTHER_COMMANDS.has(cmd)) {
    return b.report('error', lineNo, line, `${cmd}: iptables-save writes only -A rules; podpath does not apply other commands`);
  }
  b.report('error', lineNo, line, 'not an iptables-save line (expected *table, :CHAIN, -A, COMMIT or # comment)');
}

