/** Report kinds of the `snapshot` commands and their text rendering (placeholder until implemented). */

export interface SnapshotCheckReport {
  kind: 'snapshot-check';
  [field: string]: unknown;
}

export function snapshotCheckText(r: SnapshotCheckReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export interface CollectReport {
  kind: 'collect';
  [field: string]: unknown;
}

export function collectText(r: CollectReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
