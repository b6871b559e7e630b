/**
 * Source locations: every decision podpath reports points back to the input
 * that made it, in the style of Batfish's VendorStructureId.
 */
import { z } from 'zod';

/** A place in a text input file (1-based line). */
export const SourceLocSchema = z.object({ file: z.string(), line: z.number().int().positive() });
export type SourceLoc = z.infer<typeof SourceLocSchema>;

/**
 * A block of text (an iptables-save dump, `ip route` output, resolv.conf) and
 * where its first line sits in an input file, so parsed lines keep file:line.
 */
export const TextSourceSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v } : v),
  z.object({
    text: z.string(),
    /** The file the text came from. @default the estate file */
    file: z.string().optional(),
    /** The file line holding the text's first line. @default 1 */
    firstLine: z.number().int().positive().optional(),
    /** Set when podpath derived the text (from a CNI/masquerade profile) instead of reading it: why and from what. */
    derived: z.string().optional(),
    /**
     * A digest of `text` (e.g. sha256 hex) set by a loader: texts with equal
     * digests are taken as equal without comparing them (node dumps of
     * megabytes shared by thousands of nodes). Whoever changes `text` drops it
     * (`withText`).
     */
    digest: z.string().optional(),
  }),
);
export type TextSource = z.infer<typeof TextSourceSchema>;

/** The source with another text: its digest no longer holds, so it is dropped. */
export function withText<T extends TextSource>(src: T, text: string): T {
  const { digest: _stale, ...rest } = src;
  return { ...rest, text } as T;
}

/** A key equal for equal texts: the digest when a loader set one, else the text itself. */
export function textKey(src: Pick<TextSource, 'text' | 'digest'>): string {
  return src.digest !== undefined ? `#${src.digest}` : src.text;
}

/**
 * What decided a hop: a rule with its location. `ref` is the printable form:
 * `examples/seed-2015.estate.yaml:57` for text input, `rtb-0abc#0.0.0.0/0` or
 * `sg-0abc#ingress[0]` for AWS resources.
 */
export interface RuleRef {
  ref: string;
  at: SourceLoc | { awsId: string; index?: number | string };
  /** The rule as written (an iptables line, `0.0.0.0/0 -> igw-1`, ...). */
  text: string;
}

/** The RuleRef of a line of text input. */
export function textRule(at: SourceLoc, text: string): RuleRef {
  return { ref: `${at.file}:${at.line}`, at, text };
}

/** The RuleRef of an AWS resource entry. */
export function awsRule(awsId: string, index: number | string | undefined, text: string): RuleRef {
  return { ref: index === undefined ? awsId : `${awsId}#${index}`, at: { awsId, index }, text };
}

/**
 * Printable ASCII but space: no JavaScript whitespace (what `trim` removes) is
 * among these, so a line whose ends are both printable needs no trim.
 */
export const isPrintableAscii = (c: number): boolean => c > 32 && c < 127;
