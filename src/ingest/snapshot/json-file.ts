/**
 * Reads one JSON file of a snapshot folder: parse errors become one-line
 * PodpathErrors with the file and line (computed from the parser's
 * position), and the recorded-response wrapper `{"status_code": N, "data": {...}}`
 * (boto3/placebo recordings) is unwrapped.
 *
 * Guarantees: never throws anything but PodpathError; the line of a parse
 * error is the 1-based line holding the offending character (the last line
 * when the input ends early).
 */
import { readFileSync } from 'node:fs';
import { unreadable } from '../unreadable.js';
import { PodpathError } from '../../model/errors.js';
import { firstJsonErrorOffset } from './json-position.js';

/** A parsed JSON document and where it came from. */
export interface JsonDoc {
  file: string;
  value: unknown;
  /** True when the `{status_code, data}` wrapper was removed. */
  unwrapped: boolean;
  /** Where `value` sits inside the file's document, when it is a part of it. @default the whole document */
  path?: (string | number)[];
}

/** Reads and parses a JSON file; throws PodpathError (PP_MISSING_INPUT / PP_PARSE). */
export function readJsonFile(file: string): JsonDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PodpathError('PP_MISSING_INPUT', `cannot read file: ${unreadable(e)}`, { file });
  }
  return parseJsonText(text, file);
}

/** Parses JSON text; `file` is used in messages. */
export function parseJsonText(text: string, file: string): JsonDoc {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new PodpathError('PP_PARSE', `not valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected token '(.)', .*$/, "unexpected '$1'")}`, {
      file,
      line: lineOfError(text, message),
    });
  }
  if (isRecord(value) && typeof value.status_code === 'number' && isRecord(value.data)) {
    const { ResponseMetadata: _meta, ...data } = value.data;
    return { file, value: data, unwrapped: true };
  }
  return { file, value, unwrapped: false };
}

/** The line of a JSON.parse error: from "line L column C" or "position N", else from our own scan. */
function lineOfError(text: string, message: string): number {
  const lc = /line (\d+) column \d+/.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /position (\d+)/.exec(message);
  const offset = pos ? Number(pos[1]) : firstJsonErrorOffset(text);
  return text.slice(0, offset).split('\n').length;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
