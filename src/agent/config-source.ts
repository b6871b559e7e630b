/**
 * Where the agent's config comes from: an injected interface, and the file
 * implementation (a ConfigMap mounted as a file, which Kubernetes updates by
 * swapping a symlink in its directory, so the directory is watched).
 */
import { readFile, stat } from 'node:fs/promises';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PodpathError } from '../model/errors.js';

/** The config text, or `missing` (ip-masq-agent then uses its defaults). */
export type ConfigRead = { text: string; file: string } | { missing: string };

/** Reads the config and tells when it may have changed. */
export interface ConfigSource {
  read(): Promise<ConfigRead>;
  /** Calls `onChange` when the file may have changed, until `signal` aborts. */
  watch?(onChange: () => void, signal: AbortSignal): void;
}

/** The config file at `path`. Unreadable (not missing) is PP_MISSING_INPUT with the OS reason. */
export function fileConfigSource(path: string): ConfigSource {
  return {
    async read() {
      try {
        const s = await stat(path);
        if (s.isDirectory()) throw new PodpathError('PP_MISSING_INPUT', 'is a directory, not a config file', { file: path });
        return { text: await readFile(path, 'utf8'), file: path };
      } catch (e) {
        if (e instanceof PodpathError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return { missing: path };
        throw new PodpathError('PP_MISSING_INPUT', `cannot read the config file: ${code ?? (e as Error).message}`, { file: path });
      }
    },
    watch(onChange, signal) {
      try {
        const w = watch(dirname(path), { signal, persistent: false }, (_event, name) => {
          if (!name || name === basename(path) || name.startsWith('..')) onChange();
        });
        w.on('error', () => undefined);
      } catch {
        // No directory to watch yet: the resync interval still picks the file up.
      }
    },
  };
}
