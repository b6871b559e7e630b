/**
 * The one place that catches errors, prints them and maps them to exit codes:
 * 0 ok, 1 findings or an undelivered flow (where that is the question),
 * 2 bad input or usage, 3 internal error (a bug: please report it).
 */
import { CommanderError } from 'commander';
import { PodpathError } from '../model/errors.js';
import { buildProgram } from './program.js';

export const EXIT = { ok: 0, findings: 1, badInput: 2, internal: 3 } as const;

/** Runs the CLI; resolves to the exit code. Output goes to the given streams. */
export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return report(e, io.err);
  }
}

function report(e: unknown, err: (s: string) => void): number {
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
  if (process.env.PODPATH_DEBUG && e instanceof Error) err(`${e.stack}\n`);
  return EXIT.internal;
}

function defaultIo() {
  return { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
}
