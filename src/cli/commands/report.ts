/**
 * `podpath report --html FILE`: runs doctor and fix (as `podpath fix` does)
 * and writes one self-contained HTML page. Exit 1 when there are findings at
 * or above warning, as doctor's default; bad input throws (exit 2).
 */
import { writeFileSync } from 'node:fs';
import type { InputOptions } from '../../ingest/load.js';
import { PodpathError } from '../../model/errors.js';
import { doctorSession } from '../../doctor/doctor.js';
import { fixAll } from '../../fix/prove.js';
import { SEVERITY_RANK } from '../../doctor/catalog.js';
import { assumed, noteLine } from '../../model/load-note.js';
import { renderHtmlReport } from '../../report/html/index.js';
import { displayPath } from '../paths.js';
import { loadShown, replanOf } from './doctor.js';
import { doctorProgress, fixProgress, NO_PROGRESS, type Progress } from '../progress.js';
import type { CommandResult } from './result.js';

export interface ReportOptions extends InputOptions {
  html: string;
}

export async function runReport(o: ReportOptions, progress: Progress = NO_PROGRESS): Promise<CommandResult> {
  const estate = loadShown(o, progress);
  const session = doctorSession(estate, { progress: doctorProgress(progress) });
  const result = session.result;
  progress.step('fix: proving candidates on copies of the model');
  const fixes = fixAll(estate, result, session.check, { delivers: session.delivers, progress: fixProgress(progress), replan: replanOf(estate) });
  progress.step('report: laying out the picture');
  const notes = [...estate.notes, ...result.assumptions.map(assumed)];
  const name = o.snapshot ?? (o.estate ? displayPath(o.estate) : estate.name);
  const page = await renderHtmlReport(estate, { estate: name, findings: result.findings, fixes, notes: notes.map(noteLine) });
  try {
    writeFileSync(o.html, page);
  } catch (e) {
    throw new PodpathError('PP_USAGE', `cannot write the report: ${unwritable(e)}`, { file: o.html });
  }
  const fails = result.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK.warning);
  return {
    report: { kind: 'html-report', file: o.html, estate: name, findings: result.findings.length, proven: fixes.filter((f) => f.proofs.some((p) => p.proven) || f.combination?.proven).length, bytes: Buffer.byteLength(page) },
    exitCode: fails ? 1 : 0,
    stderr: notes.map(noteLine),
  };
}

/** Why a file could not be written, in words (never a raw errno). */
function unwritable(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'its folder does not exist';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EISDIR': return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    default: return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
