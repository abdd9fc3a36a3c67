/**
 * End to end through the real workbench UI: code-server (a real VS Code) in headless Chromium,
 * the extension loaded in development mode from this repository, the sandbox portal over HTTPS
 * at https://portal.b24.test:PORT. Everything is done as a user would: the command palette,
 * the password box, quick picks, the status bar item, the activity bar and the tree.
 *
 *   npm run compile && npx tsc -p . && npx mocha out/test/e2e/workbench.test.js
 *
 * The packaged extension instead (installed from the .vsix into the fresh profile, no
 * development path; the same steps):
 *
 *   npm run package && B24_E2E_VSIX=$PWD/bitrix24-task-counters-0.1.0.vsix npx mocha out/test/e2e/workbench.test.js
 *
 * Needs `bash scripts/setup-headless.sh` (as root: code-server, Chromium, the /etc/hosts entry
 * and the throwaway CA). Artifacts (screenshots, code-server/browser/VS Code logs) go to
 * test-results/e2e/. The README screenshots media/screenshots/{status-bar,tree}.png are written
 * when missing or when B24_UPDATE_SCREENSHOTS=1.
 *
 * The steps depend on each other (connect, then switch role, ...): after a failure the rest
 * are skipped, and the failure names a screenshot of the moment.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startWorkbench, type Workbench } from '../launch/headless';
import type { SandboxPortal } from '../sandbox';
import { startHttpsSandbox, TEST_HOST } from './testHost';
import {
  copyToReadme, ExternalOpens, extensionUnderTest, freshResultsDir, RESULTS_ROOT, stopAtFirstFailure,
  SUITE_RESULT_DIRS, textFilesUnder, WorkbenchDriver, type Box, waitForExtension } from './workbenchDriver';

const SECRET = 'sandboxsecret0001';
const RESULTS_DIR = RESULTS_ROOT;

describe('Bitrix24 Task Counters in the VS Code workbench (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);

  let portal: SandboxPortal | undefined;
  let wb: Workbench | undefined;
  let ui: WorkbenchDriver;
  let opens: ExternalOpens | undefined;

  function shot(name: string, boxes?: Box[], padding = 8, within?: Box): Promise<string> {
    const file = path.join(RESULTS_DIR, `${name}.png`);
    return boxes ? ui.screenshotOf(file, boxes, padding, within) : ui.screenshot(file);
  }

  const statusBarShot = (name: string, withHover: boolean): Promise<string> =>
    ui.statusBarShot(path.join(RESULTS_DIR, `${name}.png`), withHover);
  const sidebarShot = (name: string): Promise<string> => ui.sidebarShot(path.join(RESULTS_DIR, `${name}.png`));

  before(async function () {
    this.timeout(180_000);
    const target = extensionUnderTest();
    console.log(`    (extension under test: ${target.label})`);
    // Keeps the other suites' subfolders (a mocha run of all e2e files may have run them first).
    freshResultsDir(RESULTS_DIR, SUITE_RESULT_DIRS);

    const started = Date.now();
    portal = await startHttpsSandbox();
    wb = await startWorkbench({
      ...target.options,
      logDir: RESULTS_DIR,
      deviceScaleFactor: 2,
      // No webhook from the developer's own environment; no background polls mid-step.
      env: { BITRIX24_WEBHOOK_URL: undefined },
      userSettings: { 'bitrix24Tasks.pollIntervalSeconds': 600 },
      startTimeoutMs: 120_000,
    });
    ui = new WorkbenchDriver(wb.page, { secrets: [SECRET] });
    opens = await ExternalOpens.watch(wb.context, TEST_HOST);
    await waitForExtension(ui, wb, target, { started, sandboxOrigin: portal.origin, resultsDir: RESULTS_DIR });
  });

  stopAtFirstFailure(() => wb, RESULTS_DIR);

  after(async function () {
    this.timeout(60_000);
    await opens?.dispose();
    await wb?.dispose();
    await portal?.close();
  });

  it('starts disconnected, with an invitation to connect in the status bar', async () => {
    await ui.waitForStatus(/^Bitrix24: not connected, click to connect$/);
    assert.deepEqual(await ui.statusIcons(), ['plug']);
    assert.equal((await ui.statusItem.innerText()).trim(), 'Bitrix24');
  });

  it('connects with the webhook typed into the password box of "Bitrix24: Connect Webhook…"', async () => {
    await ui.runCommand('Bitrix24: Connect Webhook…');
    const box = ui.quickInput.locator('input[type=password]');
    await box.waitFor({ state: 'visible' });
    assert.match(await ui.quickInput.innerText(), /Connect to Bitrix24/);
    await box.fill(portal!.webhookUrl(1));
    await box.press('Enter');

    await ui.waitForNotification(`Connected to ${portal!.origin} as Anna Smirnova.`);
    await ui.waitForStatus(/^Bitrix24, 2 overdue, 5 new comments$/);
    assert.deepEqual(await ui.statusIcons(), ['flame', 'comment-discussion']);
    assert.equal((await ui.statusItem.innerText()).replace(/\s+/g, ' ').trim(), '2 5');
    assert.match((await ui.statusItem.getAttribute('class')) ?? '', /\bwarning-kind\b/, 'overdue tasks: warning background');
  });

  it('shows the counters in the "Counters" view and a badge on the activity bar', async () => {
    await ui.openCountersView();
    const rows = await ui.waitForTreeStart(['Overdue 2', 'New comments 5', 'Role All my tasks', 'Group All groups'],
      (r) => r.some((row) => row.startsWith('Updated')));
    assert.ok(rows.some((row) => /^Updated \S+/.test(row)), `no "Updated …" row in ${JSON.stringify(rows)}`);
    await ui.waitForValue(() => ui.badgeLabel(), (label) => label === 'Bitrix24 Tasks - 7 need attention (overdue and new comments)',
      'the badge to say 7');

    await ui.clearNotifications();
    await ui.focusEditorArea();
    copyToReadme(await sidebarShot('tree'), 'tree.png');
    await shot('window-connected');
    copyToReadme(await statusBarShot('status-bar', true), 'status-bar.png');
    await statusBarShot('status-bar-plain', false);
  });

  it('switches role with "Bitrix24: Switch Role…" and shows that role\'s counters', async () => {
    await ui.runCommand('Bitrix24: Switch Role…');
    await ui.waitForQuickPickIdle();
    const doing = ui.quickPickRow('Doing');
    await doing.waitFor({ state: 'visible' });
    assert.match((await doing.getAttribute('aria-label')) ?? '', /^Doing, 1 overdue, 3 new comments/);
    await doing.click();

    await ui.waitForStatus(/^Bitrix24, 1 overdue, 3 new comments$/);
    const rows = await ui.waitForTree((r) => r.includes('Role Doing') && r[0] === 'Overdue 1', 'the Doing role');
    assert.deepEqual(rows.slice(0, 4), ['Overdue 1', 'New comments 3', 'Role Doing', 'Group All groups']);
    await ui.waitForValue(() => ui.badgeLabel(), (label) => label === 'Bitrix24 Tasks - 4 need attention (overdue and new comments)', 'the badge to say 4');
  });

  it('opens the task list of that role in the browser (palette, status bar item, tree row)', async () => {
    const list = `${portal!.origin}/company/personal/user/1/tasks/?apply_filter=Y&ROLEID=view_role_responsible`;

    const fromPalette = await opens!.next(async () => {
      await ui.runCommand('Bitrix24: Open Task List in Browser');
      assert.match(await ui.confirmOpenExternal(), /open the external website/);
    });
    assert.equal(fromPalette, list);
    await ui.page.bringToFront();

    const fromStatusBar = await opens!.next(async () => {
      await ui.statusItem.click();
      await ui.confirmOpenExternal();
    });
    assert.equal(fromStatusBar, list);
    await ui.page.bringToFront();

    // "Overdue" expands into its tasks on a click (tasks.test.ts); its inline button opens the list.
    const fromTree = await opens!.next(async () => {
      await ui.clickRowAction('Overdue', 'Open Task List in Browser');
      await ui.confirmOpenExternal();
    });
    assert.equal(fromTree, `${list}&PROBLEM=6291456`);
    await ui.page.bringToFront();
  });

  it('shows a rejected webhook after "Bitrix24: Refresh Counters" (status bar and tree)', async () => {
    portal!.inject('invalidCredentials');
    await ui.runCommand('Bitrix24: Refresh Counters');

    await ui.waitForStatus(/^Bitrix24, 1 overdue, 3 new comments, reconnect$/);
    assert.equal((await ui.statusIcons())[0], 'warning');
    assert.match((await ui.statusItem.getAttribute('class')) ?? '', /\berror-kind\b/, 'auth failure: error background');
    const rows = await ui.waitForTree((r) => r[0] === 'Webhook not accepted Click to reconnect', 'the error row');
    assert.match(rows[1] ?? '', /^Overdue 1 \(as of .+\)$/, 'the last counters stay visible, with their time');
    assert.equal(await ui.treeRows.first().locator('.codicon-error').count(), 1, 'the error row has the error icon');

    await ui.clearNotifications();
    await ui.focusEditorArea();
    await sidebarShot('tree-error');
    await statusBarShot('status-bar-error', false);

    // The item now offers to reconnect: a click opens the password box again.
    await ui.statusItem.click();
    await ui.quickInput.locator('input[type=password]').waitFor({ state: 'visible' });
    await ui.closeQuickInput();
    portal!.clearFaults();
  });

  it('disconnects with "Bitrix24: Disconnect" and shows the welcome view', async () => {
    await ui.runCommand('Bitrix24: Disconnect');
    await ui.waitForNotification('Disconnected from Bitrix24. The webhook was removed from this computer.');
    await ui.waitForStatus(/^Bitrix24: not connected, click to connect$/);
    await ui.welcomeConnectButton.waitFor({ state: 'visible' });
    await ui.waitForValue(() => ui.treeRows.count(), (rows) => rows === 0, 'no tree rows while disconnected');
    await ui.waitForValue(() => ui.badgeLabel(), (label) => label === undefined, 'no badge while disconnected');
    await shot('window-disconnected');

    // The welcome view's button starts the same connect flow.
    await ui.welcomeConnectButton.click();
    await ui.quickInput.locator('input[type=password]').waitFor({ state: 'visible' });
    await ui.closeQuickInput();
  });

  it('never shows the webhook secret: page text, the extension\'s log, VS Code\'s log files', async () => {
    await ui.runCommand('Bitrix24: Show Log');
    const output = ui.page.locator('.part.panel .monaco-editor .view-lines');
    // One string: the Output view wraps a line too long for the panel (VS Code 1.139 does).
    const log = await ui.waitForValue(async () => (await output.innerText()).replace(/\u00a0/g, ' ').replace(/\n/g, ''),
      (text) => /Disconnected/.test(text), 'the log to show the session');
    assert.match(log, new RegExp(`Connected to ${portal!.origin.replace(/[.:]/g, '\\$&')}/rest/1/•••/ as Anna Smirnova`));
    // The workbench re-renders parts of the page at any time: wait for the whole UI, log included.
    const text = await ui.waitForValue(() => ui.visibleText(), (shown) => shown.length > 200 && /Disconnected/.test(shown),
      'the page text to show the workbench and the log');
    assert.ok(!text.includes(SECRET), 'the webhook secret is in the page text');

    // VS Code copies its logs (server, extension host, output channels) into RESULTS_DIR on dispose.
    await opens?.dispose();
    await wb!.dispose();
    const leaks = textFilesUnder(RESULTS_DIR).filter((file) => fs.readFileSync(file, 'utf8').includes(SECRET));
    assert.deepEqual(leaks, [], 'log files containing the webhook secret');
  });
});

