/**
 * podpath's side of the iptables parse benchmark, run in its own worker
 * thread (bench/isolate.mjs): its own V8 isolate and heap, as a `podpath`
 * process reading one dump has, and as `iptables-restore --test` (a fresh
 * process each round) has. Timed in the benchmark's process, the parse ran
 * against a heap holding what the earlier figures left (a large estate's), and
 * the collector's work on that heap counted as parsing.
 *
 * Messages: the main thread sends anything; the parser answers with the
 * milliseconds of one parse that reads every chain's rules (so the Rules are
 * built, as iptables-restore builds its blob).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { parseIptablesSave } from '../src/linux/iptables/parse.js';

/** What the main thread gives the parser. */
export interface ParserData {
  module: string;
  text: string;
}

const { text } = workerData as ParserData;
const parse = (): number => {
  const rs = parseIptablesSave({ text, file: 'bench' }).value;
  let rules = 0;
  for (const t of rs.tables.values()) for (const c of t.chains.values()) rules += c.rules.length;
  return rules;
};
parse(); // warm up the JIT, as the in-process bench did
parentPort!.on('message', () => {
  const t0 = performance.now();
  parse();
  parentPort!.postMessage(performance.now() - t0);
});
parentPort!.postMessage('ready');
