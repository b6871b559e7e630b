/**
 * Reads one node's nftables ruleset from a file (`nft -j list ruleset` JSON,
 * or `nft list ruleset` / `nft -f` text). All file I/O of `podpath nft` is here.
 * A file that cannot be read is PP_MISSING_INPUT; bad content PP_PARSE with file:line.
 */
import { readFileSync } from 'node:fs';
import { PodpathError } from '../model/errors.js';
import { parseNftAny } from '../linux/nftables/parse.js';
import type { NftRuleset } from '../linux/nftables/types.js';

/** Reads and parses an nft ruleset file. */
export function readNftFile(file: string): NftRuleset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new PodpathError('PP_MISSING_INPUT', `cannot read nft ruleset file (${code})`, { file });
  }
  if (text.includes('\u0000')) throw new PodpathError('PP_PARSE', 'this is a binary file, not nft output', { file, line: 1 });
  return parseNftAny(text, file);
}
