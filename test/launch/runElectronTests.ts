/**
 * Runs the extension-host test suite (out/test/host/index.js) in desktop VS Code (Electron)
 * through @vscode/test-electron. This needs the internet (it downloads VS Code from
 * Microsoft's update servers into .vscode-test/) and a display (on a headless Linux box use
 * `xvfb-run -a`). On machines that reach only the npm registry use runHostTests (code-server).
 *
 *   node out/test/launch/runElectronTests.js [--extension-dev-path DIR] [--tests-path FILE]
 *        [--vscode-version VERSION] [--grep PATTERN]
 *
 * Environment equivalents: B24_EXTENSION_DEV_PATH, B24_EXTENSION_TESTS_PATH, B24_VSCODE_VERSION
 * (default 1.99.3, the VS Code inside code-server 4.99.3, so both launchers test the same API;
 * 'stable' or 'insiders' work too), B24_TEST_GREP. Builds nothing: `npm run compile` and
 * `tsc -p .` first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { parseCommandLine } from './args';
import { RESULTS_ENV, readHostResults, repoRoot, reportHostResults } from './headless';

const DEFAULT_VSCODE_VERSION = '1.99.3';

const USAGE = 'Usage: node out/test/launch/runElectronTests.js [--extension-dev-path DIR] [--tests-path FILE] '
  + '[--vscode-version VERSION] [--grep PATTERN]';

async function main(): Promise<number> {
  const flags = parseCommandLine({
    'extension-dev-path': { type: 'string' },
    'tests-path': { type: 'string' },
    'vscode-version': { type: 'string' },
    grep: { type: 'string' },
  }, USAGE);
  const env = process.env;
  const extensionDevelopmentPath = path.resolve(flags['extension-dev-path'] ?? (env.B24_EXTENSION_DEV_PATH || repoRoot));
  const extensionTestsPath = path.resolve(flags['tests-path']
    ?? (env.B24_EXTENSION_TESTS_PATH || path.join(repoRoot, 'out', 'test', 'host', 'index.js')));
  const version = flags['vscode-version'] ?? (env.B24_VSCODE_VERSION || DEFAULT_VSCODE_VERSION);
  const grep = flags.grep ?? (env.B24_TEST_GREP || undefined);

  if (!fs.existsSync(extensionTestsPath)) {
    throw new Error(`tests module ${extensionTestsPath} not found (run \`npx tsc -p .\`)`);
  }
  const logDir = path.join(repoRoot, 'test-results', 'electron');
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  const resultsFile = path.join(logDir, 'results.json');

  // Fresh user data and an empty workspace each run; the download cache stays in .vscode-test/.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24-electron-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  const launchArgs = [
    workspace,
    '--user-data-dir', path.join(tmp, 'user-data'),
    '--extensions-dir', path.join(tmp, 'extensions'),
    '--disable-extensions', // other installed extensions; the one under development still loads
    '--disable-workspace-trust',
    '--skip-welcome',
    '--skip-release-notes',
    '--disable-telemetry',
    '--disable-updates',
  ];
  if (process.platform === 'linux' && process.getuid?.() === 0) launchArgs.push('--no-sandbox');

  const t0 = Date.now();
  let runError: unknown;
  try {
    await runTests({
      version,
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs,
      extensionTestsEnv: { [RESULTS_ENV]: resultsFile, B24_TEST_GREP: grep },
    });
  } catch (err) {
    runError = err; // non-zero exit of VS Code: tests failed, or VS Code could not start
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const results = readHostResults(resultsFile);
  if (!results) {
    console.error(`[electron-tests] ERROR: no results in ${resultsFile}: `
      + (runError instanceof Error ? runError.message
        : runError === undefined || runError === null ? 'VS Code exited without running the tests'
          : typeof runError === 'string' ? runError : JSON.stringify(runError))
      + '\n  (@vscode/test-electron downloads VS Code from the internet and needs a display;'
      + ' without them use out/test/launch/runHostTests.js)');
    return 1;
  }
  const code = reportHostResults(results, 'electron-tests');
  console.log(`[electron-tests] VS Code ${version}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return code !== 0 || runError ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[electron-tests] ERROR: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
