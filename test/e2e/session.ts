/**
 * One end-to-end session for a describe block: the sandbox portal over HTTPS, a workbench in
 * a given language connected to it from the environment (BITRIX24_WEBHOOK_URL, never stored),
 * polling every POLL_SECONDS, the stop-at-the-first-failure hooks, and a last step that looks
 * for the webhook's secret in every log file the session wrote.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startWorkbench, type Workbench } from '../launch/headless';
import { type RequestLogEntry, type SandboxOptions, type SandboxPortal } from '../sandbox';
import { startHttpsSandbox, TEST_HOST } from './testHost';
import {
  ExternalOpens, extensionUnderTest, freshResultsDir, stopAtFirstFailure, textFilesUnder, type DriverWords, WorkbenchDriver,
  waitForExtension } from './workbenchDriver';

export const SECRET = 'sandboxsecret0001';
export const POLL_SECONDS = 15;

export interface Session {
  portal: SandboxPortal;
  wb: Workbench;
  ui: WorkbenchDriver;
  opens: ExternalOpens;
}

export interface SessionOptions {
  /** The workbench's display language (default English). */
  readonly locale?: string;
  /** More user settings (the poll interval is POLL_SECONDS). */
  readonly userSettings?: Record<string, unknown>;
  readonly sandbox?: SandboxOptions;
  /** Entries of `resultsDir` another session owns (a subfolder), kept when it is emptied. */
  readonly keep?: readonly string[];
  /** The folder the workbench opens (made before the session starts); default a fresh empty one. */
  readonly workspace?: string;
}

/** Registers the session's hooks in the calling describe block; the result reads it in a test. */
export function useSession(resultsDir: string, words: DriverWords, options: SessionOptions = {}): () => Session {
  let session: Partial<Session> = {};

  before(async function () {
    this.timeout(180_000);
    const target = extensionUnderTest();
    console.log(`    (extension under test: ${target.label})`);
    freshResultsDir(resultsDir, options.keep ?? []);
    const started = Date.now();
    const portal = await startHttpsSandbox(options.sandbox);
    session.portal = portal;
    const wb = await startWorkbench({
      ...target.options,
      locale: options.locale,
      workspace: options.workspace,
      logDir: resultsDir,
      deviceScaleFactor: 2,
      env: { BITRIX24_WEBHOOK_URL: portal.webhookUrl(1) },
      userSettings: { 'bitrix24Tasks.pollIntervalSeconds': POLL_SECONDS, ...options.userSettings },
      startTimeoutMs: 120_000,
    });
    session.wb = wb;
    session.ui = new WorkbenchDriver(wb.page, { words, secrets: [SECRET] });
    session.opens = await ExternalOpens.watch(wb.context, TEST_HOST);
    await waitForExtension(session.ui, wb, target, { started, sandboxOrigin: portal.origin, resultsDir });
  });

  stopAtFirstFailure(() => session.wb, resultsDir);

  after(async function () {
    this.timeout(60_000);
    await session.opens?.dispose();
    await session.wb?.dispose();
    await session.portal?.close();
    if (fs.existsSync(resultsDir)) {
      const leaks = textFilesUnder(resultsDir).filter((file) => fs.readFileSync(file, 'utf8').includes(SECRET));
      assert.deepEqual(leaks, [], 'log files containing the webhook secret');
    }
    session = {};
  });

  return () => session as Session;
}

/** The sandbox's log from `since` (epoch ms) on, for `waitForValue`. */
export function requestsSince(portal: SandboxPortal, since: number): Promise<RequestLogEntry[]> {
  return Promise.resolve(portal.requests.filter((entry) => entry.at >= since));
}
