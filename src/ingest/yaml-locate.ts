/**
 * Maps paths inside a parsed YAML document back to file lines, so schema and
 * reference errors can say `estate.yaml:42`.
 */
import { isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { PodpathError } from '../model/errors.js';

/** A YAML document with its line index. */
export interface LocatedYaml {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** Parses YAML text; a syntax error becomes PP_PARSE with file:line. */
export function parseLocatedYaml(text: string, file: string): LocatedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line ?? lines.linePos(err.pos[0]).line;
    throw new PodpathError('PP_PARSE', `YAML: ${err.message.split('\n')[0]}`, { file, line });
  }
  return { file, doc, lines };
}

/** The 1-based line of the node at `path`, or of its closest existing ancestor. */
export function lineOf(y: LocatedYaml, path: readonly (string | number | symbol)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = y.doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return y.lines.linePos(node.range[0]).line;
  }
  return 1;
}

/**
 * The file line holding the first content line of a text scalar at `path`.
 * Only literal block scalars (`|`) keep lines one to one; for other styles the
 * text's lines cannot be mapped and the scalar's own line is returned.
 */
export function firstTextLine(y: LocatedYaml, path: (string | number)[]): number {
  const node = y.doc.getIn(path, true);
  if (!isScalar(node) || !node.range) return lineOf(y, path);
  const line = y.lines.linePos(node.range[0]).line;
  return node.type === 'BLOCK_LITERAL' ? line + 1 : line;
}

