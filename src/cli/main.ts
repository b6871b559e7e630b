/**
 * The one place that catches errors, prints them and maps them to exit codes:
 * 0 ok, 1 findings or an undelivered flow (where that is the question),
 * 2 bad input or usage, 3 internal error (a bug: please report it).
 */
import { CommanderError } from 'commander';
import { PodpathError } from '../model/errors.js';
import { buildProgram, type Io } from './program.js';
import { neutraliseControls } from '../report/sanitize.js';
import { useColor } from './color.js';

export const EXIT = { ok: 0, findings: 1, badInput: 2, internal: 3 } as const;

/** Runs the CLI; resolves to the exit code. Output goes to the given streams. */
export async function main(argv: string[], given: Io = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  // stderr carries input text (file names, notes, arguments): neutralised like text output.
  // The progress line's own erase sequence is podpath's, written raw (src/cli/progress.ts neutralises its text).
  const io: Io = { ...given, err: (s) => given.err(neutraliseControls(s)), rawErr: given.rawErr ?? given.err };
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return report(e, io.err, Boolean(program.opts().verbose));
  }
}

function report(e: unknown, err: (s: string) => void, verbose: boolean): number {
  if (e instanceof PodpathError) {
    err(`podpath: ${e.oneLine()}\n`);
    return EXIT.badInput;
  }
  if (e instanceof CommanderError) {
    // commander already printed its message (help, version, usage errors).
    return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  const message = e instanceof Error ? e.message : String(e);
  err(`podpath: internal error: ${message}\n  This is a bug in podpath; please report it with the command you ran.\n`);
  if ((verbose || process.env.PODPATH_DEBUG) && e instanceof Error) err(`${e.stack}\n`);
  return EXIT.internal;
}

function defaultIo(): Io {
  // A reader that stops early (`podpath ... | head`) closes the pipe: stop quietly, as other CLIs do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  return {
    out: (s: string) => void process.stdout.write(s),
    err: (s: string) => void process.stderr.write(s),
    color: useColor(process.stdout.isTTY, process.env),
    errTty: Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb',
    errColumns: process.stderr.columns,
  };
}
