/**
 * Finds keys an input holds that its schema does not know. zod's objects
 * strip unknown keys silently, so a typo (`cidrr:`) would be ignored; this
 * compares the raw document with what the schema kept and names the first
 * key it dropped, with its path (for file:line).
 */

/** The path of the first key in `raw` that `parsed` does not have at the same place, or undefined. */
export function firstUnknownKey(raw: unknown, parsed: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    for (let i = 0; i < raw.length && i < parsed.length; i++) {
      const found = firstUnknownKey(raw[i], parsed[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainObject(raw) || !isPlainObject(parsed)) return undefined;
  for (const key of Object.keys(raw)) {
    if (!(key in parsed)) return [...path, key];
    const found = firstUnknownKey(raw[key], parsed[key], [...path, key]);
    if (found) return found;
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}
