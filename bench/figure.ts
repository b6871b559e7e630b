/** One benchmark figure as bench/results.json holds it: `name: value unit (ratio x baseline)`. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** What the value is compared with, measured in the same run (or a stated goal). */
  baseline: string;
  /** baseline / value for times (higher is better), value / baseline for rates; null when the baseline could not run. */
  ratio: number | null;
}

/** The printed line of a figure. */
export function line(f: Figure): string {
  return `${f.name}: ${f.value} ${f.unit} (${f.ratio === null ? 'n/a' : `${f.ratio}x`} ${f.baseline})`;
}

/** The middle value (the upper one of an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rounded to two decimals, for printed figures. */
export const r2 = (x: number): number => Math.round(x * 100) / 100;
