// The layer rules of CONTRIBUTING.md, checked by `npm run depcheck` (dependency-cruiser) in CI.
// `src/` is the library, `streams/` the apps that stand on it; type-only imports count too.
const APPS = '(router|scorer|labeler|aggregator|store|trainer)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'src-not-to-streams',
      comment: 'The library never imports the apps; only the CLI entry point (src/cli) stands above both.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^streams/' },
    },
    {
      name: 'core-is-pure',
      comment: 'src/core is the pure math: nothing outside it (no Kafka, OTel, tfjs, RxJS, node: modules or I/O).',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/' },
    },
    {
      name: 'apps-not-to-sim-or-eval',
      comment: 'Router, labeler, aggregator and store run the same with or without a simulator: no src/sim, no src/eval.',
      severity: 'error',
      from: { path: '^streams/(router|labeler|aggregator|store)/' },
      to: { path: '^src/(sim|eval)/' },
    },
    {
      name: 'runtime-not-to-apps',
      comment: 'streams/runtime is what the apps stand on; it knows none of them.',
      severity: 'error',
      from: { path: '^streams/runtime/' },
      to: { path: `^streams/(${APPS.slice(1, -1)}|loop|replay)/` },
    },
    {
      name: 'apps-not-to-each-other',
      comment: 'An app talks to another only through topics; what two apps share lives in streams/runtime or src.',
      severity: 'error',
      from: { path: `^streams/${APPS}/` },
      to: { path: `^streams/${APPS}/`, pathNot: '^streams/$1/' },
    },
    {
      name: 'no-circular',
      comment: 'No module depends on itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-tests',
      comment: 'Library and apps never import test code.',
      severity: 'error',
      from: { path: '^(src|streams)/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-dev-dependencies',
      comment: 'What runs in production depends only on `dependencies` (an image installs no devDependencies).',
      severity: 'error',
      from: { path: '^(src|streams)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
