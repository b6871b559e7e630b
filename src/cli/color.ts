/**
 * Colour for text output: only when stdout is a terminal and NO_COLOR
 * (https://no-color.org) is unset or empty. Colour is added to podpath's own
 * words after input text has been neutralised, never to input text itself.
 */

/** Whether to colour: a TTY and no NO_COLOR. */
export function useColor(isTty: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  return Boolean(isTty) && !env.NO_COLOR && env.TERM !== 'dumb';
}

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

/** Colours the verdict words of rendered (already neutralised) text output. */
export function colorize(text: string): string {
  return text
    .replace(/^(verdict: )(DELIVERED)\b/gm, `$1${BOLD}${GREEN}$2${RESET}`)
    .replace(/^(verdict: )(UNKNOWN)\b/gm, `$1${BOLD}${YELLOW}$2${RESET}`)
    .replace(/^(verdict: )([A-Z-]+)\b/gm, (all, head: string, word: string) => (word === 'DELIVERED' || word === 'UNKNOWN' ? all : `${head}${BOLD}${RED}${word}${RESET}`));
}
