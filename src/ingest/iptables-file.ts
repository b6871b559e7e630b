/**
 * Reads one node's iptables text from a file (`iptables-save`, `iptables -S`
 * or `iptables -L -n -v` output; the format is detected), and its `ipset save`
 * output, for the single-node commands. All file I/O of `podpath iptables` is here.
 *
 * Errors: a file that cannot be read is PP_MISSING_INPUT
 * (`podpath: FILE: cannot read ...: ENOENT`); the parse itself never throws —
 * its diagnostics are returned for the command to report.
 */
import { readFileSync } from 'node:fs';
import { PodpathError } from '../model/errors.js';
import { parseIptablesAny, type AnyParse } from '../linux/iptables/detect.js';
import type { TableName } from '../linux/iptables/types.js';
import { parseIpsetSave, type IpSet } from '../linux/ipset/ipset-save.js';

function readText(file: string, what: string, format: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code;
    throw new PodpathError('PP_MISSING_INPUT', `cannot read ${what} file: ${why} (${code})`, { file });
  }
  if (text.includes('\u0000')) throw new PodpathError('PP_PARSE', `this is a binary file, not ${format} text`, { file, line: 1 });
  return text;
}

/** Reads and parses an iptables dump or listing. Throws PodpathError when the file cannot be read. */
export function readIptablesFile(file: string, opts: { table?: TableName } = {}): AnyParse {
  return parseIptablesAny({ text: readText(file, 'iptables', 'iptables-save or iptables -S/-L'), file }, opts);
}

/** Reads `ipset save` output. Throws PodpathError when the file cannot be read or has an error (naming its line). */
export function readIpsetFile(file: string): Map<string, IpSet> {
  const parsed = parseIpsetSave({ text: readText(file, 'ipset', 'ipset save'), file });
  const err = parsed.diagnostics.find((d) => d.severity === 'error');
  if (err) throw new PodpathError('PP_PARSE', err.message, { file: err.file, line: err.line });
  return parsed.value;
}
