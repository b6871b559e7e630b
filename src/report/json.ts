/** JSON output: the report with `schemaVersion: 1` at the top (docs/trace-json.md). */
import type { Report } from './model.js';

export function renderJson(r: Report): string {
  return `${JSON.stringify({ schemaVersion: 1, ...r }, null, 2)}\n`;
}
