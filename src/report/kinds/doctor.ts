/** Report kinds of the `doctor` commands and their text rendering (placeholder until implemented). */

export interface DoctorReport {
  kind: 'doctor';
  [field: string]: unknown;
}

export function doctorText(r: DoctorReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export interface FixReport {
  kind: 'fix';
  [field: string]: unknown;
}

export function fixText(r: FixReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export interface PlanReport {
  kind: 'plan';
  [field: string]: unknown;
}

export function planText(r: PlanReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export interface DiffReport {
  kind: 'diff';
  [field: string]: unknown;
}

export function diffText(r: DiffReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
