/**
 * Runs the end-to-end suites (out/test/e2e/*.test.js) on the current VS Code release and then on
 * the floor (the oldest one engines.vscode admits): one mocha process per VS Code, with
 * B24_VSCODE set, so that each starts its own code-server and keeps its artifacts apart
 * (test-results/e2e/current/, test-results/e2e/floor/). The extension under test is the
 * development path, or B24_E2E_VSIX's package (see test/e2e/workbenchDriver.ts).
 *
 *   node out/test/launch/runE2eTests.js [mocha arguments]
 *
 * B24_VSCODE=current (or floor) runs on that one only. Without arguments mocha runs every e2e
 * test file with a 5-minute timeout per test. The output ends with a line per VS Code:
 * `e2e on VS Code 1.139.1 (current): 40 passing, 0 failing in 210.4 s`. Exit code 0 only if
 * every run passed.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describeVSCode, repoRoot, VSCODE_ENV, VSCODE_ROLES, vscodeRoleFromEnv, vscodeUnderTest, type VSCodeUnderTest } from './headless';

const DEFAULT_MOCHA_ARGS = ['--timeout', '300000', 'out/test/e2e/**/*.test.js'];
const MOCHA = path.join(path.dirname(require.resolve('mocha/package.json')), 'bin', 'mocha.js');

/** The number on mocha's last "  N passing" (failing, pending) line; 0 when there is none. */
function summaryCount(output: string, word: string): number {
  const lines = [...output.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'gm'))];
  return Number(lines.at(-1)?.[1] ?? 0);
}

/** mocha on one VS Code; its output goes through, and its closing counts make the summary. */
function runOn(vscode: VSCodeUnderTest, mochaArgs: string[]): Promise<{ code: number; summary: string }> {
  const t0 = Date.now();
  const label = `e2e on ${describeVSCode(vscode)}`;
  console.log(`\n[e2e] ${describeVSCode(vscode)}, code-server ${vscode.codeServerVersion}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MOCHA, ...mochaArgs], {
      cwd: repoRoot,
      env: { ...process.env, [VSCODE_ENV]: vscode.role },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString();
    });
    const finish = (code: number, how: string): void => {
      const counts = ['passing', 'failing', 'pending'].map((word) => `${summaryCount(output, word)} ${word}`).join(', ');
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      resolve({ code, summary: `${label}: ${counts}${how} in ${seconds} s` });
    };
    child.on('error', (error) => finish(1, ` (mocha did not start: ${error.message})`));
    child.on('exit', (code, signal) => finish(code ?? 1, code === 0 ? '' : ` (mocha exited ${code ?? signal})`));
  });
}

async function main(): Promise<number> {
  const roles = process.env[VSCODE_ENV] ? [vscodeRoleFromEnv()] : VSCODE_ROLES;
  const vscodes = roles.map((role) => vscodeUnderTest(role));
  const mochaArgs = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_MOCHA_ARGS;
  const outcomes = [];
  for (const vscode of vscodes) outcomes.push(await runOn(vscode, mochaArgs));
  console.log('');
  for (const { summary } of outcomes) console.log(summary);
  return outcomes.some(({ code }) => code !== 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[e2e] ERROR: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
