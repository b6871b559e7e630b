/**
 * What reading a snapshot found, derived and ignored, and the problems it met.
 * The check report (src/report/kinds/snapshot.ts) renders these records;
 * `loadNotes()` turns them into the model's loader notes, which every command
 * shows (src/model/load-note.ts).
 */
import type { LoadNote } from '../../model/load-note.js';

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
  /** True when it is an inference from indirect evidence rather than a value read from a configuration. @default false */
  inferred?: boolean;
  /** True when it is a default taken for something missing, not a value computed from the input. @default false */
  assumed?: boolean;
  /** Checks this weakens. @default none */
  disables?: string[];
}

/** A file, item or field that was read but not used, and why. */
export interface IgnoredItem {
  what: string;
  why: string;
  file?: string;
  /** Checks this disables. @default none */
  disables?: string[];
}

/** A warning about the snapshot: the rest can still be analysed. */
export interface SnapshotWarning {
  file?: string;
  /** JSON path inside the file, e.g. `RouteTables[2].Routes[0]`. */
  path?: string;
  message: string;
  /** Checks this disables. @default none */
  disables?: string[];
}

/** The notes a snapshot load collects. */
export class SnapshotNotes {
  readonly found: FoundFile[] = [];
  readonly derived: DerivedItem[] = [];
  readonly ignored: IgnoredItem[] = [];
  readonly warnings: SnapshotWarning[] = [];

  derive(what: string, from: string, more: { inferred?: boolean; disables?: string[] } = {}): void {
    this.derived.push({ what, from, ...(more.inferred ? { inferred: true } : {}), ...(more.disables?.length ? { disables: more.disables } : {}) });
  }
  /** A default taken because the snapshot lacks something. */
  assume(what: string, because: string, disables?: string[]): void {
    this.derived.push({ what, from: because, assumed: true, ...(disables?.length ? { disables } : {}) });
  }
  ignore(what: string, why: string, file?: string, disables?: string[]): void {
    this.ignored.push({ what, why, ...(file ? { file } : {}), ...(disables?.length ? { disables } : {}) });
  }
  warn(message: string, file?: string, path?: string, disables?: string[]): void {
    this.warnings.push({ message, ...(file ? { file } : {}), ...(path ? { path } : {}), ...(disables?.length ? { disables } : {}) });
  }

  /** Appends `other`'s notes after this one's, list by list, in their order. */
  append(other: SnapshotNotes): void {
    for (const x of other.found) this.found.push(x);
    for (const x of other.derived) this.derived.push(x);
    for (const x of other.ignored) this.ignored.push(x);
    for (const x of other.warnings) this.warnings.push(x);
  }

  /** The notes every command shows: warnings first, then what was derived (inferences say so), then what was left out. */
  loadNotes(): LoadNote[] {
    const off = (d?: string[]) => (d?.length ? { disables: d } : {});
    return [
      ...this.warnings.map((w): LoadNote => ({ kind: 'warning', text: `${w.path ? `${w.path}: ` : ''}${w.message}`, ...(w.file ? { file: w.file } : {}), ...off(w.disables) })),
      ...this.derived.map((d): LoadNote => ({ kind: d.assumed ? 'assumed' : 'derived', text: `${d.what} (${d.inferred ? 'inferred from' : 'from'} ${d.from})`, ...off(d.disables) })),
      ...this.ignored.map((i): LoadNote => ({ kind: 'left-out', text: `${i.what}: ${i.why}`, ...(i.file ? { file: i.file } : {}), ...off(i.disables) })),
    ];
  }
}

/** `A[0].B` from a zod/JSON path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}
