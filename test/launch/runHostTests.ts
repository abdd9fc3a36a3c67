/**
 * Runs the extension-host test suite (out/test/host/index.js) inside a real VS Code extension
 * host, headless: code-server + Debian Chromium (see headless.ts), on the current VS Code
 * release and then on the floor (the oldest one engines.vscode admits). Builds nothing: run
 * `npm run compile` (dist/extension.js) and `tsc -p .` (out/) first, and once
 * `bash scripts/setup-headless.sh`.
 *
 *   node out/test/launch/runHostTests.js [--vscode current|floor] [--extension-dev-path DIR]
 *        [--tests-path FILE] [--workspace DIR] [--grep PATTERN] [--timeout MS] [--log-dir DIR]
 *
 * Each option can also come from the environment: B24_VSCODE, B24_EXTENSION_DEV_PATH,
 * B24_EXTENSION_TESTS_PATH, B24_TEST_WORKSPACE, B24_TEST_GREP, B24_HOST_TEST_TIMEOUT_MS,
 * B24_HOST_LOG_DIR. Defaults: both VS Codes, the repository root, out/test/host/index.js, a
 * fresh temp folder, all tests, 30 minutes per VS Code (generous: the suite takes about two),
 * test-results/host/ (a subfolder per VS Code: current/, floor/). The extension's request gate
 * spaces requests 1 s apart instead of 15 s here (B24_TEST_REQUEST_GAP_MS, test mode only).
 *
 * Exit code 0 only if on every VS Code at least one test ran and none failed. The output ends
 * with a line per VS Code: `host-tests on VS Code 1.139.1 (current): N passed, N failed in S s`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  describeVSCode, RESULTS_ENV, readHostResults, repoRoot, reportHostResults, sleep, startWorkbench, tailFile,
  VSCODE_ENV, VSCODE_ROLES, vscodeUnderTest, type HostTestResults, type VSCodeUnderTest, type Workbench,
} from './headless';
import { parseCommandLine, parsePositiveInteger, UsageError } from './args';

interface Options {
  vscodes: VSCodeUnderTest[];
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  workspace?: string;
  grep?: string;
  timeoutMs: number;
  logDir: string;
}

const USAGE = 'Usage: node out/test/launch/runHostTests.js [--vscode current|floor] [--extension-dev-path DIR] '
  + '[--tests-path FILE] [--workspace DIR] [--grep PATTERN] [--timeout MS] [--log-dir DIR]';

function readOptions(): Options {
  const flags = parseCommandLine({
    vscode: { type: 'string' },
    'extension-dev-path': { type: 'string' },
    'tests-path': { type: 'string' },
    workspace: { type: 'string' },
    grep: { type: 'string' },
    timeout: { type: 'string' },
    'log-dir': { type: 'string' },
  }, USAGE);
  const env = process.env;
  const pick = (flag: keyof typeof flags, envName: string): string | undefined => flags[flag] ?? (env[envName] || undefined);
  const timeout = parsePositiveInteger(pick('timeout', 'B24_HOST_TEST_TIMEOUT_MS') ?? '1800000', 'timeout');
  const workspace = pick('workspace', 'B24_TEST_WORKSPACE');
  const role = pick('vscode', VSCODE_ENV);
  const roles = role === undefined ? VSCODE_ROLES : VSCODE_ROLES.filter((r) => r === role);
  if (roles.length === 0) throw new UsageError(`--vscode needs one of ${VSCODE_ROLES.join(', ')}, got "${role}"\n${USAGE}`);
  return {
    vscodes: roles.map((r) => vscodeUnderTest(r)),
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

let running: Workbench | undefined;

/** The suite on one VS Code, its logs in its own subfolder of the log folder. */
async function runOn(vscode: VSCodeUnderTest, opts: Options): Promise<{ code: number; summary: string }> {
  const label = `host-tests on ${describeVSCode(vscode)}`;
  const logDir = path.join(opts.logDir, vscode.role);
  fs.mkdirSync(logDir, { recursive: true });
  const resultsFile = path.join(logDir, 'results.json');
  const t0 = Date.now();
  const seconds = (): string => ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`[host-tests] ${describeVSCode(vscode)}, code-server ${vscode.codeServerVersion}`);
  let wb: Workbench | undefined;
  try {
    wb = running = await startWorkbench({
      vscode,
      extensionDevelopmentPath: opts.extensionDevelopmentPath,
      extensionTestsPath: opts.extensionTestsPath,
      workspace: opts.workspace,
      logDir,
      // The request gate's spacing, 15 s, cut to 1 s: see `requestGapUnderTest` in extension.ts.
      env: { [RESULTS_ENV]: resultsFile, B24_TEST_GREP: opts.grep, B24_TEST_REQUEST_GAP_MS: '1000' },
      // The tests may take long to start on a cold machine; the run timeout below is the limit.
      startTimeoutMs: Math.min(opts.timeoutMs, 180_000),
    });
    const tReady = Date.now();
    console.log(`[host-tests] workbench open after ${seconds()} s (${wb.serverUrl}); running tests ...`);

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
    const code = reportHostResults(results, label);
    for (const f of results.failureDetails) {
      if (!results.specText.includes(f.message)) console.error(`  ✗ ${f.fullTitle}: ${f.message}`);
    }
    console.log(`[host-tests] tests ${((tDone - tReady) / 1000).toFixed(1)} s, total ${seconds()} s; logs in ${logDir}`);
    const skipped = results.pending ? `, ${results.pending} skipped` : '';
    return { code, summary: `${label}: ${results.passes} passed, ${results.failures} failed${skipped} in ${seconds()} s` };
  } catch (err) {
    console.error(`[host-tests] ERROR on ${describeVSCode(vscode)}: ${err instanceof Error ? err.message : String(err)}`);
    const log = path.join(logDir, 'code-server.log');
    if (wb && fs.existsSync(log)) {
      console.error(`--- tail of ${log} ---\n${tailFile(log, 40)}`);
    }
    console.error(`[host-tests] logs (code-server, browser console, VS Code's exthost logs) in ${logDir}`);
    return { code: 1, summary: `${label}: did not finish (after ${seconds()} s)` };
  } finally {
    await wb?.dispose();
    running = undefined;
  }
}

async function main(): Promise<number> {
  const opts = readOptions();
  checkInputs(opts);

  fs.rmSync(opts.logDir, { recursive: true, force: true });
  fs.mkdirSync(opts.logDir, { recursive: true });
  const onSignal = (sig: NodeJS.Signals): void => {
    console.error(`[host-tests] ${sig}: cleaning up`);
    void (running?.dispose() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const outcomes = [];
  for (const vscode of opts.vscodes) outcomes.push(await runOn(vscode, opts));
  console.log('');
  for (const { summary } of outcomes) console.log(summary);
  return outcomes.some(({ code }) => code !== 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[host-tests] ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
