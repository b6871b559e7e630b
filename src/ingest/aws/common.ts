/**
 * Shared pieces of the AWS describe-* readers: response validation with
 * file + JSON path (+ line) errors, tags, protocols and the items of a Name tag.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PodpathError } from '../../model/errors.js';
import { isValidCidr } from '../../net/prefix.js';
import { jsonPath } from '../snapshot/notes.js';
import type { JsonDoc } from '../snapshot/json-file.js';
import { lineOf, parseLocatedYaml } from '../yaml-locate.js';

/** AWS `Tags`: a list of Key/Value pairs. */
export const Tags = z.array(z.looseObject({ Key: z.string(), Value: z.string().optional() })).optional();

/** The `Name` tag's value, if any. */
export function nameTag(tags: z.infer<typeof Tags>): string | undefined {
  return tags?.find((t) => t.Key === 'Name')?.Value;
}

/** An IPv4 CIDR block as AWS prints it. */
export const AwsCidr = z.string().refine((s) => isValidCidr(s), { message: 'not an IPv4 CIDR block' });

/** Validates a response against its schema; a mismatch is a PP_SCHEMA error naming file, JSON path and line. */
export function parseResponse<S extends z.ZodType>(schema: S, doc: JsonDoc): z.infer<S> {
  return parsePart(schema, doc, doc.value, doc.path);
}

/**
 * Validates `value`, the part of `doc` at JSON path `at` (a list item), as parseResponse does
 * for a whole document; the part's own JsonDoc is never built (thousands of list items).
 */
export function parsePart<S extends z.ZodType>(schema: S, doc: JsonDoc, value: unknown, at: JsonDoc['path']): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const full = [...(at ?? []), ...issue.path];
  const path = jsonPath(full);
  const inFile = doc.unwrapped ? ['data', ...full] : full;
  throw new PodpathError('PP_SCHEMA', `${issue.message}${path ? ` at ${path}` : ''}`, { file: doc.file, line: lineInFile(doc.file, inFile) });
}

/** The line of a JSON path in a file (JSON is YAML); undefined when it cannot be found. */
function lineInFile(file: string, path: readonly PropertyKey[]): number | undefined {
  try {
    const y = parseLocatedYaml(readFileSync(file, 'utf8'), file);
    return lineOf(y, path as (string | number)[]);
  } catch {
    return undefined;
  }
}

/** AWS protocol fields: "-1" (all), names, or IANA numbers as text. */
export function ruleProto(p: string | number): 'tcp' | 'udp' | 'icmp' | 'all' | number {
  const text = String(p).toLowerCase();
  if (text === '-1' || text === 'all') return 'all';
  if (text === 'tcp' || text === '6') return 'tcp';
  if (text === 'udp' || text === '17') return 'udp';
  if (text === 'icmp' || text === '1') return 'icmp';
  const n = Number(text);
  if (Number.isInteger(n) && n >= 0 && n <= 255) return n;
  throw new PodpathError('PP_SCHEMA', `unknown protocol '${p}'`);
}
