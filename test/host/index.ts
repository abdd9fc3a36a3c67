/**
 * Mocha runner for the extension-host test suite. VS Code's extension host (Electron through
 * @vscode/test-electron, or code-server headless) requires this module as `extensionTestsPath`
 * and calls `run()`; the host exits when the returned promise settles.
 *
 * Runs every `*.test.js` below this folder (out/test/host/**) with the bdd UI.
 *
 * Environment (inherited from the launcher through code-server / Electron):
 *   B24_TEST_RESULTS  file to write the results JSON to (see HostTestResults); the launchers
 *                     read it, since the extension host's stdout is not theirs to see
 *   B24_TEST_GREP     optional mocha --grep pattern
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';
import type { HostTestResults } from '../launch/headless';

const RESULTS_ENV = 'B24_TEST_RESULTS';
/** Generous: a slow machine, and a test that waits out the portal's Retry-After. */
const TEST_TIMEOUT_MS = 120_000;

/** All `*.test.js` files below `dir`, sorted. */
function findTestFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.join(dir, file))
    .sort();
}

function writeResults(file: string | undefined, results: HostTestResults): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2));
  fs.renameSync(tmp, file); // atomic: the launcher never reads a half-written file
}

export async function run(): Promise<void> {
  const resultsFile = process.env[RESULTS_ENV];
  const started = Date.now();

  // Capture the spec reporter's output (it prints through Base.consoleLog) while still echoing
  // it to the extension host's console.
  const Base = Mocha.reporters.Base;
  const originalLog = Base.consoleLog;
  let specText = '';
  Base.consoleLog = (...args: unknown[]): void => {
    specText += util.format(...args) + '\n';
    originalLog(...args);
  };

  const failureDetails: HostTestResults['failureDetails'] = [];
  try {
    const files = findTestFiles(__dirname);
    if (files.length === 0) throw new Error(`no *.test.js files below ${__dirname} (did tsc run?)`);

    const mocha = new Mocha({
      ui: 'bdd',
      reporter: Mocha.reporters.Spec,
      color: false,
      timeout: TEST_TIMEOUT_MS,
      slow: 2_000,
      grep: process.env.B24_TEST_GREP || undefined,
    });
    for (const file of files) mocha.addFile(file);

    const stats = await new Promise<Mocha.Stats>((resolve, reject) => {
      try {
        const runner = mocha.run(() => resolve(runner.stats ?? emptyStats()));
        runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test: Mocha.Runnable, err: Error) => {
          failureDetails.push({ fullTitle: test.fullTitle(), message: err?.message ?? String(err), stack: err?.stack });
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err))); // e.g. a test file that throws while loading
      }
    });

    const results: HostTestResults = {
      passes: stats.passes,
      failures: stats.failures,
      pending: stats.pending,
      tests: stats.tests,
      durationMs: Date.now() - started,
      specText,
      failureDetails,
    };
    writeResults(resultsFile, results);
    if (stats.failures > 0) throw new Error(`${stats.failures} of ${stats.tests} extension-host tests failed`);
    if (stats.tests === 0) throw new Error('no extension-host test ran');
  } catch (err) {
    const error = err instanceof Error ? err.stack ?? err.message : String(err);
    if (resultsFile && !fs.existsSync(resultsFile)) {
      writeResults(resultsFile, {
        passes: 0, failures: 0, pending: 0, tests: 0, durationMs: Date.now() - started,
        specText, failureDetails, error,
      });
    }
    throw err;
  } finally {
    Base.consoleLog = originalLog;
  }
}

function emptyStats(): Mocha.Stats {
  return { suites: 0, tests: 0, passes: 0, pending: 0, failures: 0 };
}
