/** Report kinds of the `lab` commands and their text rendering (placeholder until implemented). */

export interface LabReport {
  kind: 'lab';
  [field: string]: unknown;
}

export function labText(r: LabReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
