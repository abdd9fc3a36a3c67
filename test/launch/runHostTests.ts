/**
 * Runs the extension-host test suite (out/test/host/index.js) inside a real VS Code extension
 * host, headless: code-server + Debian Chromium (see headless.ts). Builds nothing: run
 * `npm run compile` (dist/extension.js) and `tsc -p .` (out/) first, and once
 * `bash scripts/setup-headless.sh`.
 *
 *   node out/test/launch/runHostTests.js [--extension-dev-path DIR] [--tests-path FILE]
 *        [--workspace DIR] [--grep PATTERN] [--timeout MS] [--log-dir DIR]
 *
 * Each option can also come from the environment: B24_EXTENSION_DEV_PATH,
 * B24_EXTENSION_TESTS_PATH, B24_TEST_WORKSPACE, B24_TEST_GREP, B24_HOST_TEST_TIMEOUT_MS,
 * B24_HOST_LOG_DIR. Defaults: the repository root, out/test/host/index.js, a fresh temp folder,
 * all tests, 45 minutes (a test's explicit asks come 15 s apart), test-results/host/.
 *
 * Exit code 0 only if at least one test ran and none failed. The last line of the output is
 * `host-tests: N passed, N failed`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  RESULTS_ENV, readHostResults, repoRoot, reportHostResults, sleep, startWorkbench, tailFile,
  type HostTestResults, type Workbench,
} from './headless';
import { parseCommandLine, parsePositiveInteger } from './args';

interface Options {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  workspace?: string;
  grep?: string;
  timeoutMs: number;
  logDir: string;
}

const USAGE = 'Usage: node out/test/launch/runHostTests.js [--extension-dev-path DIR] [--tests-path FILE] '
  + '[--workspace DIR] [--grep PATTERN] [--timeout MS] [--log-dir DIR]';

function readOptions(): Options {
  const flags = parseCommandLine({
    'extension-dev-path': { type: 'string' },
    'tests-path': { type: 'string' },
    workspace: { type: 'string' },
    grep: { type: 'string' },
    timeout: { type: 'string' },
    'log-dir': { type: 'string' },
  }, USAGE);
  const env = process.env;
  const pick = (flag: keyof typeof flags, envName: string): string | undefined => flags[flag] ?? (env[envName] || undefined);
  const timeout = parsePositiveInteger(pick('timeout', 'B24_HOST_TEST_TIMEOUT_MS') ?? '2700000', 'timeout');
  const workspace = pick('workspace', 'B24_TEST_WORKSPACE');
  return {
    extensionDevelopmentPath: path.resolve(pick('extension-dev-path', 'B24_EXTENSION_DEV_PATH') ?? repoRoot),
    extensionTestsPath: path.resolve(pick('tests-path', 'B24_EXTENSION_TESTS_PATH')
      ?? path.join(repoRoot, 'out', 'test', 'host', 'index.js')),
    workspace: workspace ? path.resolve(workspace) : undefined,
    grep: pick('grep', 'B24_TEST_GREP'),
    timeoutMs: timeout,
    logDir: path.resolve(pick('log-dir', 'B24_HOST_LOG_DIR') ?? path.join(repoRoot, 'test-results', 'host')),
  };
}

function checkInputs(o: Options): void {
  const pkgFile = path.join(o.extensionDevelopmentPath, 'package.json');
  if (!fs.existsSync(pkgFile)) throw new Error(`no package.json in extension path ${o.extensionDevelopmentPath}`);
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { main?: string; publisher?: string; name?: string };
  if (pkg.main && !fs.existsSync(path.resolve(o.extensionDevelopmentPath, pkg.main))) {
    console.warn(`[host-tests] warning: ${pkg.main} does not exist in ${o.extensionDevelopmentPath} `
      + '(run `npm run compile`); the extension will not activate');
  }
  if (!fs.existsSync(o.extensionTestsPath)) {
    throw new Error(`tests module ${o.extensionTestsPath} not found (run \`npx tsc -p .\`)`);
  }
  console.log(`[host-tests] extension ${pkg.publisher}.${pkg.name} from ${o.extensionDevelopmentPath}`);
  console.log(`[host-tests] tests ${o.extensionTestsPath}`);
}

async function main(): Promise<number> {
  const opts = readOptions();
  checkInputs(opts);

  fs.rmSync(opts.logDir, { recursive: true, force: true });
  fs.mkdirSync(opts.logDir, { recursive: true });
  const resultsFile = path.join(opts.logDir, 'results.json');

  const t0 = Date.now();
  let wb: Workbench | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    console.error(`[host-tests] ${sig}: cleaning up`);
    void (wb?.dispose() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    wb = await startWorkbench({
      extensionDevelopmentPath: opts.extensionDevelopmentPath,
      extensionTestsPath: opts.extensionTestsPath,
      workspace: opts.workspace,
      logDir: opts.logDir,
      env: { [RESULTS_ENV]: resultsFile, B24_TEST_GREP: opts.grep },
      // The tests may take long to start on a cold machine; the run timeout below is the limit.
      startTimeoutMs: Math.min(opts.timeoutMs, 180_000),
    });
    const tReady = Date.now();
    console.log(`[host-tests] workbench open after ${((tReady - t0) / 1000).toFixed(1)} s (${wb.serverUrl}); running tests ...`);

    const deadline = t0 + opts.timeoutMs;
    let results: HostTestResults | undefined;
    while (!(results = readHostResults(resultsFile))) {
      if (wb.server.hasExited()) {
        throw new Error(`code-server exited (${await wb.server.exited}) before the tests reported`);
      }
      if (Date.now() > deadline) {
        const shot = await wb.screenshot('timeout').catch(() => undefined);
        throw new Error(`no test results after ${opts.timeoutMs / 1000} s (waited for ${resultsFile}).`
          + ' The extension host may have failed to load the tests module or hung in a test.'
          + (shot ? ` Screenshot: ${shot}.` : ''));
      }
      await sleep(250);
    }
    const tDone = Date.now();
    const code = reportHostResults(results);
    for (const f of results.failureDetails) {
      if (!results.specText.includes(f.message)) console.error(`  ✗ ${f.fullTitle}: ${f.message}`);
    }
    console.log(`[host-tests] tests ${((tDone - tReady) / 1000).toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s; logs in ${opts.logDir}`);
    return code;
  } catch (err) {
    console.error(`[host-tests] ERROR: ${err instanceof Error ? err.message : String(err)}`);
    const log = path.join(opts.logDir, 'code-server.log');
    if (wb && fs.existsSync(log)) {
      console.error(`--- tail of ${log} ---\n${tailFile(log, 40)}`);
    }
    console.error(`[host-tests] logs (code-server, browser console, VS Code's exthost logs) in ${opts.logDir}`);
    return 1;
  } finally {
    await wb?.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[host-tests] ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
