/**
 * Reads `iptables [-t TABLE] -S` output (one table; the caller names it, the
 * listing does not): `-P CHAIN POLICY` declares a built-in chain's policy,
 * `-N CHAIN` a user chain, `-A CHAIN ...` a rule in the same syntax as
 * iptables-save. `-v` adds `-c packets bytes`, read as counters.
 *
 * iptables -S prints every `-P` and `-N` before the rules, so a jump to a chain
 * is always to a chain declared earlier; the checks of builder.ts apply.
 * `# Warning: ...` lines (iptables-nft) are ignored.
 *
 * Guarantees: as parse.ts — never throws, every diagnostic names its line.
 */
import type { TextSource } from '../../model/source.js';
import type { Ruleset, TableName } from './types.js';
import { RulesetBuilder } from './builder.js';
import { detectFamily, splitLines, type ParseResult } from './parse.js';
import { tokenize } from './tokenize.js';

/** Parses `iptables -t <table> -S` output into a Ruleset holding that one table. */
export function parseIptablesListing(src: TextSource, table: TableName): ParseResult<Ruleset> {
  const b = new RulesetBuilder(src.file ?? '<input>', detectFamily(src.text));
  const first = src.firstLine ?? 1;
  b.openTable(table, first, `(iptables -t ${table} -S)`);
  let lastLine = first;
  splitLines(src.text).forEach((raw, index) => {
    const line = raw.trimEnd();
    const lineNo = first + index;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    lastLine = lineNo;
    const { tokens, error } = tokenize(line);
    if (error) b.report('error', lineNo, line, error);
    const cmd = tokens[0]?.value ?? '';
    const name = tokens[1]?.value;
    if (name === undefined) return b.report('error', lineNo, line, 'expected -P, -N or -A with a chain name');
    if (cmd === '-P' || cmd === '--policy') {
      const c = tokens[3]?.value === '-c' ? { packets: Number(tokens[4]?.value), bytes: Number(tokens[5]?.value) } : undefined;
      return b.declareChain(name, tokens[2]?.value ?? '', lineNo, line, c && Number.isFinite(c.packets + c.bytes) ? c : undefined);
    }
    if (cmd === '-N' || cmd === '--new-chain') return b.declareChain(name, '-', lineNo, line);
    if (cmd === '-A' || cmd === '--append') return b.addRule(name, tokens.slice(2), lineNo, line);
    b.report('error', lineNo, line, `expected -P, -N or -A, not '${cmd}'`);
  });
  b.commit(lastLine, '');
  return { value: b.finish(lastLine, ''), diagnostics: b.diagnostics };
}
