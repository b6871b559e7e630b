/**
 * Loader notes on stderr, in short: a large snapshot derives the same thing
 * for every node or database (`derived: node c1-n1 routes (from no
 * ip-route.txt ...)` 400 times). When there are more than a screenful of
 * notes, notes of one shape (the same words once every name, address or
 * number in them is set aside) print once, with how many there are; --verbose
 * prints every note. Only stderr is summarised: JSON output keeps every note.
 */

/** At most this many notes print one by one. */
const FEW = 10;
/** Notes of one shape are summarised from this many on. */
const REPEATED = 3;

/** The stderr lines for these notes (each line without the `podpath: ` prefix). */
export function summariseNotes(lines: readonly string[], verbose: boolean): string[] {
  if (verbose || lines.length <= FEW) return [...lines];
  const byShape = new Map<string, string[]>();
  for (const line of lines) {
    const shape = shapeOf(line);
    const group = byShape.get(shape);
    if (group) group.push(line);
    else byShape.set(shape, [line]);
  }
  const out: string[] = [];
  for (const group of byShape.values()) {
    if (group.length < REPEATED) out.push(...group);
    else out.push(withCount(group[0]!, group.length));
  }
  return out;
}

/** The line with every word that holds a digit (a name like c1-n1, an address, an id, a count) set aside. */
function shapeOf(line: string): string {
  return line.replace(/[^\s(),;:]*\d[^\s(),;:]*/g, '#');
}

/** The note kinds of src/model/load-note.ts, after which the count goes. */
const KIND = /^((?:[AB]: )?(?:derived|assumed|left-out|warning)):? /;

/** `derived (400 like this; --verbose lists them): node c1-n1 routes (...)`. */
function withCount(line: string, n: number): string {
  const count = `${n} like this; --verbose lists them`;
  const m = KIND.exec(line);
  return m ? `${m[1]} (${count}): ${line.slice(m[0].length)}` : `(${count}) ${line}`;
}
