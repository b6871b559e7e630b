/** JUNIT output of doctor findings (placeholder until implemented). */
import { PodpathError } from '../model/errors.js';
import type { Report } from './model.js';

export function renderJunit(r: Report): string {
  throw new PodpathError('PP_USAGE', `-o junit is not available for ${r.kind}`);
}
