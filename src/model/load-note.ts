/**
 * Loader notes: what reading an input derived, assumed, left out or warned
 * about, and which checks that disables or weakens. Every command that loads
 * an estate prints them on stderr and returns them in its JSON (`notes`).
 */
import { z } from 'zod';

/** One thing a loader wants the reader of any answer to know. */
export const LoadNoteSchema = z.object({
  /**
   * `derived`: made from other inputs (a pod CIDR from the nodes' podCIDRs);
   * `assumed`: a default taken because the input lacks something;
   * `left-out`: read but not used; `warning`: a problem with the input.
   */
  kind: z.enum(['derived', 'assumed', 'left-out', 'warning']),
  /** One line: what, and from what or why. */
  text: z.string(),
  /** The input file concerned. @default none */
  file: z.string().optional(),
  /** Checks this disables or weakens, each one line: `PP103 (pod CIDR overlaps a routed block): not checked`. @default none */
  disables: z.array(z.string()).optional(),
});
export type LoadNote = z.infer<typeof LoadNoteSchema>;

/** The one-line form printed on stderr (without the `podpath: ` prefix). */
export function noteLine(n: LoadNote): string {
  const off = n.disables?.length ? `; ${n.disables.join('; ')}` : '';
  return `${n.kind}: ${n.file && !n.text.includes(n.file) ? `${n.file}: ` : ''}${n.text}${off}`;
}

/** A note for something podpath assumed while answering (an inferred subnet, a synthetic host). */
export function assumed(text: string): LoadNote {
  return { kind: 'assumed', text };
}
