/** Renderers by output format, one file each. */
import type { Report } from './model.js';
import { renderText } from './text.js';
import { renderJson } from './json.js';
import { renderSarif } from './sarif.js';
import { renderJunit } from './junit.js';

export const renderers = { text: renderText, json: renderJson, sarif: renderSarif, junit: renderJunit } satisfies Record<string, (r: Report) => string>;
export type OutputFormat = keyof typeof renderers;
export const FORMATS = Object.keys(renderers) as OutputFormat[];

/** Renders a report in the chosen format. */
export function render(r: Report, format: OutputFormat): string {
  return renderers[format](r);
}
