/** Random edits of real dumps, for properties over broken and varied input. */
import fc from 'fast-check';
import { splitLines } from '../../../src/linux/iptables/parse.js';

/** One edit of a dump: delete, duplicate or change a line. */
export const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap-words' as const), at: fc.nat(), k: fc.nat() }),
  fc.record({ op: fc.constant('drop-word' as const), at: fc.nat(), k: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('-m bogus --x 1', '!', '"', 'COMMIT', '*nat', ':X - [0:0]', '-j NOPE', '--dport 99999', 'Chain Y (1 references)') }),
);

/** `text` with the edits applied in order (positions modulo the line count). */
export function mutate(text: string, ms: { op: string; at: number; k?: number; text?: string }[]): string {
  const lines = splitLines(text);
  for (const m of ms) {
    if (lines.length === 0) break;
    const i = m.at % lines.length;
    const words = lines[i]!.split(' ');
    const k = (m.k ?? 0) % Math.max(1, words.length);
    if (m.op === 'delete') lines.splice(i, 1);
    else if (m.op === 'duplicate') lines.splice(i, 0, lines[i]!);
    else if (m.op === 'swap-words' && words.length > 1) {
      [words[k], words[(k + 1) % words.length]] = [words[(k + 1) % words.length]!, words[k]!];
      lines[i] = words.join(' ');
    } else if (m.op === 'drop-word') {
      words.splice(k, 1);
      lines[i] = words.join(' ');
    } else if (m.op === 'insert') lines[i] = `${lines[i]} ${m.text}`;
  }
  return lines.join('\n');
}
