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

/**
 * A figure of a module that measures its baseline as a number in the same run
 * (agent, cli, nft): `ratio` is baseline / value, as for every figure of the suite.
 */
export interface MeasuredFigure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  /** What the baseline is: `node -e 0`, `nft -c -f`... */
  baselineName: string;
  ratio: number;
}

/** The suite's figure of a measured one, rounded for printing. */
export const asFigure = (f: MeasuredFigure): Figure => ({
  name: f.name, value: r2(f.value), unit: f.unit, baseline: `${f.baselineName} ${r2(f.baseline)} ${f.unit}`, ratio: r2(f.ratio),
});
