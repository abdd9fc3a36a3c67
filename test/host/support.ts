/**
 * What the extension-host tests share: the extension under test and waiting on its state.
 *
 * Not a test file (no `.test`): index.ts runs only `*.test.js`; this loads through the tests.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CountersSnapshot } from '../../src/core/countersState';
import type { Bitrix24TasksApi } from '../../src/extension';
import { waitForSnapshot } from '../unit/support';

export const EXTENSION_ID = 'b24tools.bitrix24-task-counters';

/** The extension under test; fails the calling hook or test when it is not installed. */
export function extensionUnderTest(): vscode.Extension<Bitrix24TasksApi> {
  const extension = vscode.extensions.getExtension<Bitrix24TasksApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  return extension;
}

/**
 * Resolves with the extension's first state (current or coming) that satisfies `predicate`.
 * The default outlasts the request gate's 15 s: what a gesture asks for may come that late.
 */
export function waitForState(api: Bitrix24TasksApi, predicate: (s: CountersSnapshot) => boolean, what: string, timeoutMs = 25_000): Promise<CountersSnapshot> {
  return waitForSnapshot(api.state, predicate, what, timeoutMs);
}

/**
 * Resolves with `read()`'s first value that is neither undefined nor false, read every 25 ms (a
 * settings event, a webview's message or git's state comes a moment after what caused it).
 */
export async function until<T>(read: () => T | undefined | false, what: string, timeoutMs = 25_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The handles `activate` returns in test mode (and only then: the host must run in test mode). */
export function testHandles(api: Bitrix24TasksApi | undefined): Bitrix24TasksApi {
  assert.ok(api, 'activate() returned no handles: is the extension host in test mode?');
  return api;
}

/**
 * Keeps the URLs the extension opens instead of opening them: the tests run in the extension's
 * own host, so the extension calls this same `vscode.env` (not frozen under test).
 */
export function captureOpenExternal(): { readonly opened: string[]; readonly restore: () => void } {
  const env = vscode.env as { openExternal: (uri: vscode.Uri) => Thenable<boolean> };
  const original = env.openExternal;
  const opened: string[] = [];
  env.openExternal = (uri) => {
    opened.push(uri.toString(true));
    return Promise.resolve(true);
  };
  return {
    opened,
    restore: () => {
      env.openExternal = original;
    },
  };
}
