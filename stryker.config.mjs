// Mutation testing of the core's promises (`npm run mutate`; slow, not part of `npm test`).
// Stryker copies the repository into a sandbox, instruments the TypeScript it mutates (adding
// `// @ts-nocheck`), builds with tsc into out/ and runs the compiled unit tests there.
//
// Other files: `npm run mutate -- --mutate src/core/webhookUrl.ts` (globs, comma-separated, or
// `file:12-30` for some lines); more workers: `npm run mutate -- --concurrency 2`.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // The files that hold the promises: portal text, the scheduler, the shared poll, the error
  // classification, the REST client, portal markup (renders only allow-listed elements, portal
  // text only as text) and the task card parser (never throws nor leaks; each write sent once).
  mutate: [
    'src/core/portalText.ts',
    'src/core/pollScheduler.ts',
    'src/core/rateLimitPace.ts',
    'src/core/sharedPoll.ts',
    'src/core/classify.ts',
    'src/core/countersClient.ts',
    'src/core/portalMarkup.ts',
    'src/core/taskCard.ts',
  ],
  testRunner: 'mocha',
  buildCommand: 'npm run compile:tests',
  mochaOptions: {
    spec: ['out/test/unit/**/*.test.js'],
    // Left out, as they can kill no mutant the other tests leave alive:
    // - boundaries.test.js lints source text with ESLint (9 s, the slowest file) and imports no
    //   core module: it only added its 9 s to the first run and to every static mutant.
    // - soak.test.js checks the scheduler's invariants (one timer, one request at a time) that
    //   the poller's property tests check with shrinking, plus leaks; over a full run it killed
    //   no mutant first, yet it covers most of the scheduler and client and added its seconds
    //   to every surviving mutant there.
    // l10n.test.js stays: it covers none of these files, so it runs in the first run and for
    // static mutants only (its extractor parses the instrumented sources without trouble).
    ignore: ['out/test/unit/boundaries.test.js', 'out/test/unit/soak.test.js'],
  },
  coverageAnalysis: 'perTest',
  // Two cores, shared: one worker unless told otherwise.
  concurrency: 1,
  // A mutant that times out counts as killed, so the limit must not be reached by a slow
  // machine: many tests use real HTTP and files, and at 3x and 10 s, a run on a busy two-core
  // machine counted six surviving mutants (equivalent ones among them) as timeouts.
  timeoutFactor: 4,
  timeoutMS: 30_000,
  ignorePatterns: ['.vscode-test', 'test-results', 'dist', 'out', '*.vsix', 'reports'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'html'],
  // The score table and each surviving mutant with the tests that ran it, not all 500 tests.
  clearTextReporter: { reportTests: false },
};
