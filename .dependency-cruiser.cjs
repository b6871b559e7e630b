/**
 * Enforces the layering of DESIGN.md: dependencies point downward only, and
 * the model layers are pure (no Node built-ins: no fs, network or clock).
 */
const pure = '^src/(net|model|linux|aws|k8s|dns|trace|doctor|fix|plan|gen)/';
const allowed = {
  net: ['net'],
  model: ['net', 'model'],
  linux: ['net', 'model', 'linux'],
  aws: ['net', 'model', 'aws'],
  dns: ['net', 'model', 'dns'],
  k8s: ['net', 'model', 'linux', 'dns', 'k8s'],
  trace: ['net', 'model', 'linux', 'aws', 'dns', 'k8s', 'trace'],
  doctor: ['net', 'model', 'linux', 'aws', 'dns', 'k8s', 'trace', 'fix', 'doctor'],
  fix: ['net', 'model', 'linux', 'aws', 'dns', 'k8s', 'trace', 'fix'],
  plan: ['net', 'model', 'aws', 'k8s', 'trace', 'plan'],
  gen: ['net', 'model', 'linux', 'k8s', 'gen'],
  report: ['net', 'model', 'trace', 'doctor', 'fix', 'plan', 'report'],
  ingest: ['net', 'model', 'linux', 'aws', 'dns', 'k8s', 'ingest'],
  lab: ['net', 'model', 'linux', 'aws', 'dns', 'k8s', 'trace', 'ingest', 'lab'],
  agent: ['net', 'model', 'linux', 'k8s', 'ingest', 'agent'],
};
const layers = Object.keys(allowed).concat(['cli']);

module.exports = {
  forbidden: [
    ...Object.entries(allowed).map(([layer, ok]) => ({
      name: `layer-${layer}`,
      comment: `src/${layer} may depend only on ${ok.join(', ')} (DESIGN.md layers); model/errors is shared by all`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: {
        path: `^src/(${layers.join('|')})/`,
        pathNot: [`^src/(${ok.join('|')})/`, '^src/model/errors\\.ts$'],
      },
    })),
    {
      name: 'pure-model-no-io',
      comment: 'model code is pure: no fs, network, processes or clock (DESIGN.md)',
      severity: 'error',
      from: { path: pure },
      to: { dependencyTypes: ['core'] },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
