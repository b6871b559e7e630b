/**
 * Loads the estate a command works on: a YAML estate file or a snapshot folder.
 *
 * Guarantees: an input that leaves nothing to check (no VPC to trace through:
 * an empty folder, a folder of unrecognised files, a `{}` estate) is refused
 * with one PodpathError (exit 2), never answered "clean".
 */
import { PodpathError } from '../model/errors.js';
import type { Estate } from '../model/estate.js';
import { loadEstateFile } from './estate-yaml.js';
import { loadSnapshot } from './snapshot/load.js';

/** Where the estate comes from: exactly one of the two. */
export interface InputOptions {
  estate?: string;
  snapshot?: string;
}

export function loadInput(o: InputOptions): Estate {
  if (o.estate && o.snapshot) throw new PodpathError('PP_USAGE', 'give either --estate or --snapshot, not both');
  if (o.snapshot) return checked(loadSnapshot(o.snapshot), o.snapshot, 'snapshot');
  if (o.estate) return checked(loadEstateFile(o.estate), o.estate, 'estate');
  throw new PodpathError('PP_USAGE', 'give --estate FILE or --snapshot DIR');
}

/** The estate, or PP_NOTHING_TO_CHECK when it holds no VPC (every trace runs through one). */
function checked(e: Estate, file: string, what: 'snapshot' | 'estate'): Estate {
  if (e.vpcs.length) return e;
  const leftOut = e.notes.filter((n) => n.kind === 'left-out');
  const why = what === 'estate'
    ? 'the estate has no VPC (vpcs:), so there is nothing to trace through'
    : `no describe-vpcs output was recognised, so there is nothing to trace through${leftOut.length ? `; ${leftOut.length} item(s) left out, first: ${leftOut[0]!.text}` : '; the folder holds no aws/, k8s/ or nodes/ input'}`;
  const hint = what === 'estate' ? 'docs/estate-format.md describes the format' : '`podpath snapshot check DIR` lists what was read; docs/snapshot.md the layout';
  throw new PodpathError('PP_NOTHING_TO_CHECK', `nothing to check: ${why}`, { file, hint });
}
