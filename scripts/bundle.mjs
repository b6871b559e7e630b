// Bundles the CLI into dist/ with esbuild so that it starts fast: one entry
// file plus lazily loaded chunks (each command's module loads only when run).
// Dependencies that only some commands use, or that are large, stay external
// and load from node_modules when needed. No source maps are written: the
// package does not ship its sources.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { podpath: 'bin/podpath.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@aws-sdk/*', '@kubernetes/client-node', 'pino', 'prom-client'],
  // Bundled CommonJS dependencies (commander, elkjs) call require(): give ESM chunks one.
  banner: { js: "import { createRequire as __podpathRequire } from 'node:module'; const require = __podpathRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
