/**
 * What reading a snapshot found, derived and ignored, and the problems it met.
 * The check report (src/report/kinds/snapshot.ts) renders these records.
 */

/** One input file and what it held. */
export interface FoundFile {
  file: string;
  /** What the content was recognised as: `describe-route-tables`, `k8s PodList`, `iptables-save`... */
  kind: string;
  /** Items read from it (route tables, pods...). */
  items: number;
}

/** Something podpath made up because the snapshot lacked it, and from what. */
export interface DerivedItem {
  what: string;
  from: string;
}

/** A file, item or field that was read but not used, and why. */
export interface IgnoredItem {
  what: string;
  why: string;
  file?: string;
}

/** A warning about the snapshot: the rest can still be analysed. */
export interface SnapshotWarning {
  file?: string;
  /** JSON path inside the file, e.g. `RouteTables[2].Routes[0]`. */
  path?: string;
  message: string;
}

/** The notes a snapshot load collects. */
export class SnapshotNotes {
  readonly found: FoundFile[] = [];
  readonly derived: DerivedItem[] = [];
  readonly ignored: IgnoredItem[] = [];
  readonly warnings: SnapshotWarning[] = [];

  derive(what: string, from: string): void {
    this.derived.push({ what, from });
  }
  ignore(what: string, why: string, file?: string): void {
    this.ignored.push({ what, why, ...(file ? { file } : {}) });
  }
  warn(message: string, file?: string, path?: string): void {
    this.warnings.push({ message, ...(file ? { file } : {}), ...(path ? { path } : {}) });
  }
}

/** `A[0].B` from a zod/JSON path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}
