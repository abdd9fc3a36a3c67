/**
 * Activation time and time to first numbers, from the extension's own log lines, in fresh
 * headless VS Code launches (code-server + Chromium, test/launch/headless.ts) against the
 * sandbox portal. Each launch has a fresh user-data-dir and extensions dir; the webhook comes
 * from BITRIX24_WEBHOOK_URL, so no UI is driven.
 *
 * The extension writes (src/extension.ts):
 *   "Activated in X ms"                          time spent inside activate()
 *   "First counters shown N ms after activation" from activate() to the first render with numbers
 */
import { START_DELAY_MS } from '../../src/core/countersPoller';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startWorkbench, type Workbench } from '../../test/launch/headless';
import { SandboxPortal } from '../../test/sandbox';
import { median, ms, Measurement } from './report';

const EXTENSION_ID = 'b24tools.bitrix24-task-counters';
const LOG_NAME = 'Bitrix24 Tasks.log';
const ACTIVATION_TARGET_MS = 15;
const FIRST_NUMBERS_TARGET_MS = 500;

export interface Launch {
  readonly activationMs: number;
  readonly firstNumbersMs: number;
  /** Requests the sandbox saw up to the first numbers. */
  readonly requests: number;
  /** Wall time from starting code-server to the first-numbers line. */
  readonly wallMs: number;
  /** The first poll's request, as the extension logged its duration. */
  readonly requestMs?: number;
}

/** The extension's log file: <user-data-dir>/logs/<session>/exthost*\/<extension id>/Bitrix24 Tasks.log */
function findLog(userDataDir: string): string | undefined {
  const logs = path.join(userDataDir, 'logs');
  for (const session of safeList(logs)) {
    for (const host of safeList(path.join(logs, session)).filter((name) => name.startsWith('exthost'))) {
      const file = path.join(logs, session, host, EXTENSION_ID, LOG_NAME);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

async function launchOnce(portal: SandboxPortal, source: { vsix?: string; developmentPath: string }, logDir: string, timeoutMs = 90_000): Promise<Launch> {
  portal.clearLog();
  fs.rmSync(logDir, { recursive: true, force: true });
  const started = Date.now();
  let wb: Workbench | undefined;
  try {
    wb = await startWorkbench({
      ...(source.vsix ? { installVsix: source.vsix } : { extensionDevelopmentPath: source.developmentPath }),
      env: { BITRIX24_WEBHOOK_URL: portal.webhookUrl(1) },
      logDir,
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const file = findLog(wb.userDataDir);
      const text = file ? fs.readFileSync(file, 'utf8') : '';
      const activated = /Activated in ([\d.]+) ms/.exec(text);
      const first = /First counters shown (\d+) ms after activation/.exec(text);
      if (activated && first) {
        return {
          activationMs: Number(activated[1]),
          firstNumbersMs: Number(first[1]),
          requests: portal.requests.length,
          wallMs: Date.now() - started,
          requestMs: /batch (\d+) ms HTTP/.test(text) ? Number(/batch (\d+) ms HTTP/.exec(text)![1]) : undefined,
        };
      }
      if (Date.now() > deadline) {
        throw new Error(`no "First counters shown" line within ${timeoutMs / 1000} s (log: ${file ?? 'not created'}; see ${logDir})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await wb?.dispose();
  }
}

export async function measureLaunches(options: {
  count: number;
  /** Install this .vsix in each launch instead of loading `developmentPath`. */
  vsix?: string;
  developmentPath: string;
  /** Whether `developmentPath` holds the production bundle (for the table's wording). */
  production?: boolean;
  logRoot: string;
}): Promise<Measurement> {
  const portal = await SandboxPortal.start();
  const launches: Launch[] = [];
  try {
    for (let i = 1; i <= options.count; i++) {
      launches.push(await launchOnce(portal, options, path.join(options.logRoot, `launch-${i}`)));
    }
  } finally {
    await portal.close();
  }
  const activation = launches.map((l) => l.activationMs);
  const firstNumbers = launches.map((l) => l.firstNumbersMs);
  const what = options.vsix
    ? 'the packaged .vsix installed into a fresh extensions dir'
    : options.production
      ? 'the production bundle (the .vsix\'s dist/extension.js) loaded as a development extension'
      : 'the development build (dist/ of `npm run compile`) loaded as a development extension';
  const requestTimes = launches.flatMap((l) => (l.requestMs === undefined ? [] : [l.requestMs]));
  const range = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
  return {
    rows: [
      {
        figure: 'activation time',
        measured: `${ms(median(activation), 1)} median (${range(activation, 1)} ms over ${launches.length})`,
        target: '≤ 15 ms',
        how: `"Activated in X ms" from the extension's log (time inside activate()), median of ${launches.length} fresh headless VS Code launches (code-server 4.99 + Chromium, fresh user-data-dir each) with ${what}`,
        met: median(activation) <= ACTIVATION_TARGET_MS,
      },
      {
        figure: 'time to first numbers',
        measured: `${ms(median(firstNumbers))} median (${range(firstNumbers, 0)} ms); of which the first-poll delay ${START_DELAY_MS} ms ± 10% (START_DELAY_MS) and the request ${requestTimes.length ? `${median(requestTimes).toFixed(0)} ms median` : 'time (not logged)'}`,
        target: '≤ 500 ms',
        how: `"First counters shown N ms after activation" from the same launches; webhook from BITRIX24_WEBHOOK_URL, sandbox portal over HTTP on 127.0.0.1 (no network latency)`,
        met: median(firstNumbers) <= FIRST_NUMBERS_TARGET_MS,
      },
    ],
    notes: [
      `Headless launches: requests at the sandbox up to the first numbers: ${launches.map((l) => l.requests).join(', ')}; wall time per launch ${range(launches.map((l) => l.wallMs / 1000), 1)} s; logs in ${path.relative(process.cwd(), options.logRoot) || options.logRoot}/.`,
    ],
  };
}
