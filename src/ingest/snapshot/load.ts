/** Snapshot folders (placeholder until implemented). */
import { PodpathError } from '../../model/errors.js';
import type { Estate } from '../../model/estate.js';

export function loadSnapshot(dir: string): Estate {
  throw new PodpathError('PP_USAGE', `snapshot folders are not supported yet (${dir})`);
}
