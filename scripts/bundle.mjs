// Bundles the CLI into dist/ with esbuild so that it starts fast (issue 16):
//
//   dist/podpath.js    the executable: scripts/cli-loader.mjs, which runs
//                      podpath.cjs through a V8 code cache
//   dist/podpath.cjs   every command in one CommonJS file; a command's modules
//                      are evaluated only when it runs (esbuild wraps modules
//                      reached through import() in lazy initialisers)
//   dist/collect.js    `podpath collect` as an ES module: @kubernetes/client-node
//                      is ESM only, which Node 20 before 20.19 cannot require()
//
// CommonJS because Node 20 keeps no code cache for ES modules (see the loader).
// Dependencies that only some commands use stay external and load from
// node_modules when needed. zod is imported as a namespace (`import * as z`)
// so that esbuild drops the parts podpath does not use (locales, JSON Schema):
// `import { z }` keeps all of it. Whitespace and syntax are minified, names are
// kept so that an internal error's stack (--verbose) still reads. No source
// maps: the package does not ship its sources.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const external = ['@aws-sdk/*', '@kubernetes/client-node', 'pino', 'prom-client', 'elkjs/*'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  legalComments: 'none',
  logLevel: 'warning',
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [zodNamespace()],
};

rmSync('dist', { recursive: true, force: true });
const cjs = await build({
  ...common,
  // zod's jitless mode: its JIT builds each schema's parser with new Function on
  // first use, code no cache keeps; one small estate is parsed faster without it.
  stdin: { contents: "import { config } from 'zod'; config({ jitless: true }); export { main as run } from './src/cli/main.ts';", resolveDir: '.', loader: 'ts', sourcefile: 'podpath-entry.ts' },
  outfile: 'dist/podpath.cjs',
  format: 'cjs',
  write: false,
  // src/cli/paths.ts finds the package from import.meta.url.
  define: { 'import.meta.url': '__podpathModuleUrl' },
  plugins: [...common.plugins, collectAsEsm()],
});
mkdirSync('dist');
for (const f of cjs.outputFiles) writeFileSync(f.path, viaLoaderImport(f.text));
await build({
  ...common,
  entryPoints: { collect: 'src/ingest/collect/collect.ts' },
  outdir: 'dist',
  format: 'esm',
});
copyFileSync('scripts/cli-loader.mjs', 'dist/podpath.js');
chmodSync('dist/podpath.js', 0o755);

/**
 * Every `import("X")` of the bundle (external ES modules) becomes
 * `__podpathImport("X")`, the loader's own import(): V8 loses a script's
 * dynamic-import callback when the script comes from a code cache.
 */
function viaLoaderImport(body) {
  const banner = [
    "const __podpathModuleUrl = require('node:url').pathToFileURL(__filename).href;",
    "const __podpathImport = typeof __podpathEsmImport === 'function' ? __podpathEsmImport : (s) => import(s);",
  ].join('\n');
  const found = body.match(/\bimport\("[^"]+"\)/g) ?? [];
  if (found.length < 2) throw new Error(`expected import() of collect.js and @aws-sdk/client-ec2 in the bundle, found ${found.join(', ') || 'none'}`);
  const out = body.replace(/\bimport\("/g, '__podpathImport("');
  if (/\bimport\(/.test(out)) throw new Error('an import() that is not of a string literal is left in the bundle');
  return `${banner}\n${out}`;
}

/** `import { z } from 'zod'` becomes `import * as z from 'zod'`, which esbuild tree-shakes. */
function zodNamespace() {
  return {
    name: 'zod-namespace',
    setup(b) {
      b.onLoad({ filter: /\/src\/.*\.ts$/ }, async (a) => ({
        contents: (await readFile(a.path, 'utf8')).replace(/^import \{ z \} from 'zod';$/gm, "import * as z from 'zod';"),
        loader: 'ts',
      }));
    },
  };
}

/** The CLI's import() of the collect module loads dist/collect.js (an ES module) at run time. */
function collectAsEsm() {
  return {
    name: 'collect-as-esm',
    setup(b) {
      b.onResolve({ filter: /\/ingest\/collect\/collect\.js$/ }, (a) =>
        a.kind === 'dynamic-import' ? { path: './collect.js', external: true } : undefined);
    },
  };
}
