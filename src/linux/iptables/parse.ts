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
  const lines = text.split(/\r?\n/);
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
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    const lineNo = first + index;
    const body = line.trimStart();
    if (body === '' || body.startsWith('#')) return;
    lastLine = lineNo;
    lastText = line;
    if (b.isSkipping && body !== 'COMMIT' && !body.startsWith('*')) return;
    if (body.startsWith('*')) return b.openTable(body.slice(1).trim(), lineNo, line);
    if (body === 'COMMIT') return b.commit(lineNo, line);
    if (body.startsWith(':')) {
      const m = CHAIN_DECL.exec(body);
      if (!m) return b.report('error', lineNo, line, 'a chain line reads `:NAME POLICY [packets:bytes]`');
      const counters = m[3] !== undefined ? { packets: Number(m[3]), bytes: Number(m[4]) } : undefined;
      return b.declareChain(m[1]!, m[2]!, lineNo, line, counters);
    }
    const { tokens, error } = tokenize(line);
    if (error) b.report('error', lineNo, line, error);
    let counters: { packets: number; bytes: number } | undefined;
    const c = tokens[0] && !tokens[0].quoted ? COUNTERS.exec(tokens[0].value) : null;
    if (c) {
      counters = { packets: Number(c[1]), bytes: Number(c[2]) };
      tokens.shift();
    }
    const cmd = tokens[0]?.value ?? '';
    if (cmd === '-A' || cmd === '--append') {
      const chain = tokens[1];
      if (!chain) return b.report('error', lineNo, line, `${cmd} needs a chain name`);
      return b.addRule(chain.value, tokens.slice(2), lineNo, line, counters);
    }
    if (OTHER_COMMANDS.has(cmd)) {
      return b.report('error', lineNo, line, `${cmd}: iptables-save writes only -A rules; podpath does not apply other commands`);
    }
    b.report('error', lineNo, line, 'not an iptables-save line (expected *table, :CHAIN, -A, COMMIT or # comment)');
  });
  const value = b.finish(lastLine, lastText);
  return { value, diagnostics: b.diagnostics };
}
