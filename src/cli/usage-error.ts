/**
 * Usage errors as one line: `podpath: unknown option '--estaet' (did you mean
 * --estate?); see podpath trace --help` (docs/errors.md). Commander writes its
 * message as `error: ...` with the suggestion on a second line; this folds it.
 */
import type { Command } from 'commander';

/** The full command path, e.g. `podpath iptables trace`. */
export function commandPath(c: Command): string {
  const names: string[] = [];
  for (let at: Command | null = c; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Commander's error text as one `podpath:` line with a pointer to the command's help. */
export function usageLine(message: string, path: string): string {
  const folded = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\n\s*\(Did you mean /, ' (did you mean ')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\.$/, '');
  return `podpath: ${folded}; see ${path} --help\n`;
}

/** Makes every command in the tree print usage errors as one line. */
export function oneLineUsageErrors(root: Command, write: (s: string) => void): void {
  const visit = (c: Command) => {
    const path = commandPath(c);
    c.configureOutput({ outputError: (str) => write(usageLine(str, path)) });
    c.commands.forEach(visit);
  };
  visit(root);
}
