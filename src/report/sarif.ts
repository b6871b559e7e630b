/** SARIF output of doctor findings (placeholder until implemented). */
import { PodpathError } from '../model/errors.js';
import type { Report } from './model.js';

export function renderSarif(r: Report): string {
  throw new PodpathError('PP_USAGE', `-o sarif is not available for ${r.kind}`);
}
