import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process; returns exit code and captured output. */
export async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
