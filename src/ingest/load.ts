/** Loads the estate a command works on: a YAML estate file or a snapshot folder. */
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
  if (o.snapshot) return loadSnapshot(o.snapshot);
  if (o.estate) return loadEstateFile(o.estate);
  throw new PodpathError('PP_USAGE', 'give --estate FILE or --snapshot DIR');
}
