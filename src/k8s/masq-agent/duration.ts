/**
 * Go's time.ParseDuration, which ip-masq-agent's `resyncInterval`
 * (metav1.Duration) goes through: an optional sign, then one or more
 * `<decimal><unit>` groups with units ns, us (µs, μs), ms, s, m, h; "0" alone
 * is allowed. Pure; never throws.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000,
};

/** Milliseconds, or a message saying why `text` is not a Go duration. */
export function parseGoDuration(text: string): number | string {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return `invalid duration ${JSON.stringify(text)}`;
  const group = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = group.exec(s);
    if (!m) return /^(\d+\.?\d*|\.\d+)$/.test(s) ? `missing unit in duration ${JSON.stringify(text)}` : `invalid duration ${JSON.stringify(text)}`;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}
