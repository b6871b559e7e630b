/**
 * A problem found while reading text input. Parsers return diagnostics
 * instead of throwing; errors make the input unusable, warnings leave it usable.
 */
export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  /** The offending input line. */
  text: string;
  message: string;
}
