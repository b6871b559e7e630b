#!/usr/bin/env node
// The `podpath` executable (copied to dist/podpath.js by scripts/bundle.mjs).
//
// It runs the CommonJS bundle dist/podpath.cjs through a V8 code cache, which
// Node 20 does not keep by itself for user code (Node 22's
// module.enableCompileCache does the same job). Most of a short command's
// time is V8 compiling the bundle; with the cache a run starts from bytecode
// compiled by an earlier run.
//
// The cache is bytecode that V8 runs, so it lives only in a folder of the
// current user that nobody else can write (XDG_CACHE_HOME or ~/.cache, then
// podpath/, mode 0700), and its file name carries a hash of the bundle so that
// a new podpath never meets the old one's bytecode. V8 itself rejects a cache
// from another Node version or other flags; a rejected or unreadable cache is
// rewritten. Without such a folder, or with PODPATH_CODE_CACHE=off, the
// bundle is simply required.
//
// V8 drops a script's dynamic-import callback when the script comes from a
// code cache, so the bundle's import() of ES modules (dist/collect.js, the AWS
// SDK) calls the import() passed in here (scripts/bundle.mjs rewrites them).
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = join(dirname(fileURLToPath(import.meta.url)), 'podpath.cjs');
const requireHere = createRequire(bundle);
const folder = cacheFolder(process.env);
/** Set when the cache was missing or rejected; called after the run, so that the bytecode includes every function the run compiled. */
let saveCache;
const { run } = folder ? runCached(folder) : requireHere(bundle);
process.exitCode = await run(process.argv.slice(2));
saveCache?.();

/** The user's own podpath cache folder (created 0700), or undefined when there is none to trust. */
function cacheFolder(env) {
  if (env.PODPATH_CODE_CACHE === 'off') return undefined;
  try {
    const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
    const dir = join(base, 'podpath');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const mine = st.isDirectory() && (typeof process.getuid !== 'function' || st.uid === process.getuid());
    return mine && (st.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Compiles the bundle with the cached bytecode when there is some; returns its exports. */
function runCached(dir) {
  const source = readFileSync(bundle, 'utf8');
  const key = createHash('sha256').update(process.version).update(process.arch).update(source).digest('hex').slice(0, 32);
  // One cache per command: the bytecode holds the functions the first run of that command compiled.
  const command = /^[a-z]{1,20}$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
  const file = join(dir, `cli-${key}-${command}.v8`);
  let cachedData;
  try {
    cachedData = readFileSync(file);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __podpathEsmImport) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  if (!cachedData || script.cachedDataRejected) {
    saveCache = () => {
      try {
        for (const old of readdirSync(dir)) if (/^cli-[0-9a-f]+-[a-z]+\.v8(\.tmp\d+)?$/.test(old) && !old.startsWith(`cli-${key}-`)) rmSync(join(dir, old), { force: true });
        const tmp = `${file}.tmp${process.pid}`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, file);
      } catch {
        // A cache that cannot be written only costs speed.
      }
    };
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, requireHere, module, bundle, dirname(bundle), (specifier) => import(specifier));
  return module.exports;
}
