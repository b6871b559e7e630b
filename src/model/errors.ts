/**
 * The one error class podpath raises for bad input or usage. It carries a
 * stable code, and where known the file and line that caused it and a hint.
 * Only src/cli/main.ts prints errors and maps them to exit codes.
 */

/** Stable error codes (documented in docs/errors.md). */
export type ErrorCode =
  | 'PP_PARSE'
  | 'PP_SCHEMA'
  | 'PP_BAD_ADDRESS'
  | 'PP_BAD_CIDR'
  | 'PP_DANGLING_REF'
  | 'PP_MISSING_INPUT'
  | 'PP_NOTHING_TO_CHECK'
  | 'PP_UNKNOWN_ENDPOINT'
  | 'PP_IPTABLES'
  | 'PP_USAGE';

/** Where an input error was found. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  hint?: string;
}

/** A user-facing error: bad input or bad usage. Exit code 2. */
export class PodpathError extends Error {
  readonly code: ErrorCode;
  file?: string;
  line?: number;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, where: ErrorLocation = {}) {
    super(message);
    this.name = 'PodpathError';
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.hint = where.hint;
  }

  /** Returns this error with a location filled in where it had none. */
  at(where: ErrorLocation): this {
    this.file ??= where.file;
    this.line ??= where.line;
    return this;
  }

  /** `file:line: message (hint)` — the one line the CLI prints. */
  oneLine(): string {
    const place = this.file ? `${this.file}${this.line ? `:${this.line}` : ''}: ` : '';
    return `${place}${this.message}${this.hint ? ` (${this.hint})` : ''}`;
  }
}
