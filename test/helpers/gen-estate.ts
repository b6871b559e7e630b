/** A `podpath gen` estate loaded as the snapshot loader reads it, from a temporary folder removed afterwards. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGen } from '../../src/cli/commands/gen.js';
import type { GenOptions } from '../../src/gen/plan.js';
import { loadSnapshot } from '../../src/ingest/snapshot/load.js';
import type { Estate } from '../../src/model/estate.js';

export function generatedEstate(o: GenOptions): Estate {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-gen-estate-'));
  try {
    runGen({ ...o, out: join(dir, 'e') });
    return loadSnapshot(join(dir, 'e'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
