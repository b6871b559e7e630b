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
