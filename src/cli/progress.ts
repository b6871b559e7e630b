/**
 * The progress line of long work (doctor, fix, report, collect) on stderr,
 * never on stdout. On a terminal it is one line redrawn in place and erased
 * before the answer prints; when stderr is not a terminal it prints only with
 * --verbose, as plain lines at coarser steps; never with --quiet. Its text
 * can name inputs (a snapshot folder): control characters in it are
 * neutralised; only the erase sequence is podpath's own.
 */
import { neutraliseControls } from '../report/sanitize.js';

/** Where progress goes. */
export interface Progress {
  /** A stage begins or moves on: `reading snapshot gen/`, `describe-vpcs`... */
  step(text: string): void;
  /** `done` of `total` items of a stage; drawn when the percentage moves (every 10% as plain lines). */
  count(text: string, done: number, total: number): void;
  /** Erases the line (call before printing anything else). */
  clear(): void;
}

/** How progress shows: redrawn in place, plain lines, or not at all. */
export type ProgressMode = 'tty' | 'lines' | 'off';

/** The mode the flags and stderr give. */
export function progressMode(o: { quiet?: boolean; verbose?: boolean; errTty?: boolean }): ProgressMode {
  if (o.quiet) return 'off';
  if (o.errTty) return 'tty';
  return o.verbose ? 'lines' : 'off';
}

/** Erase the terminal line and return to its start (ECMA-48 EL 2). */
const ERASE = '\r\u001b[2K';

/**
 * A progress writer on `err` (raw stderr: the text is neutralised here);
 * `width` cuts the redrawn line so that it never wraps (a wrapped line cannot
 * be redrawn).
 */
export function progressWriter(err: (s: string) => void, mode: ProgressMode, width = 80): Progress {
  let last = '';
  let lastCount = '';
  let shown = false;
  // A terminal that reports no width (a pty without a size says 0) is taken as 80 columns.
  const columns = width >= 20 ? width : 80;
  const draw = (text: string) => {
    const full = `podpath: ${neutraliseControls(text).replace(/\n/g, '\\n')}`;
    const line = mode === 'tty' && full.length >= columns ? `${full.slice(0, columns - 2)}…` : full;
    if (line === last) return;
    last = line;
    if (mode === 'lines') return err(`${line}\n`);
    err(`${ERASE}${line}`);
    shown = true;
  };
  if (mode === 'off') return { step: () => undefined, count: () => undefined, clear: () => undefined };
  return {
    step: draw,
    count(text, done, total) {
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      const at = `${text}\u0000${mode === 'lines' ? pct - (pct % 10) : pct}`;
      if (at === lastCount) return;
      lastCount = at;
      draw(`${text}: ${done}/${total} (${pct}%)`);
    },
    clear() {
      if (shown) err(ERASE);
      shown = false;
      last = '';
      lastCount = '';
    },
  };
}

/** Doctor's phases (src/doctor/doctor.ts DoctorOptions.progress) as progress lines. */
export function doctorProgress(p: Progress, label = 'doctor'): (phase: 'classes' | 'tracing' | 'checks', done: number, total: number) => void {
  return (phase, done, total) => {
    if (phase === 'classes') p.step(`${label}: grouping sources and destinations into classes`);
    else if (phase === 'tracing') p.count(`${label}: tracing source classes`, done, total);
    else p.step(`${label}: checking the traces for findings`);
  };
}

/** fix's proofs (src/fix/prove.ts FixProgress) as progress lines. */
export function fixProgress(p: Progress): (what: 'candidates' | 'combinations', done: number, total: number) => void {
  return (what, done, total) => {
    if (what === 'candidates') p.count('fix: proving candidates on copies of the model', done, total);
    else p.count('fix: proving pairs of candidates (at most)', done, total);
  };
}

/** A progress writer that shows nothing (commands called without one). */
export const NO_PROGRESS: Progress = { step: () => undefined, count: () => undefined, clear: () => undefined };
