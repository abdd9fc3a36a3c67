/**
 * Portal text never acts, end to end through the real workbench UI (code-server in headless
 * Chromium, the sandbox portal over HTTPS at https://portal.b24.test:PORT): a portal whose
 * user, group and a counter are named like links, icons and HTML. Connected through the
 * palette; the "Connected" toast, the status bar tooltip, the tree and the group picker must
 * show those names as written, with no link and no icon made from them, and a click where the
 * link would be does nothing. A flood of counters is listed as ten and "and N more".
 *
 * Nor does it leak the webhook's secret: a task title quoting the webhook URL shows redacted in
 * the tree and in Go to Task, and a redirect to https://<secret>.evil.example/ names the host
 * redacted in the Connect notification and the view's error row (and in no log file). Go to
 * Task with `0` typed offers no task #0 and throws nothing.
 *
 *   npm run compile && npx tsc -p . && npx mocha --timeout 300000 out/test/e2e/portalText.test.js
 *
 * Artifacts go to test-results/e2e/portal-text/.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { startWorkbench, type Workbench } from '../launch/headless';
import type { SandboxPortal } from '../sandbox';
import { startHttpsSandbox } from './testHost';
import {
  extensionUnderTest, freshResultsDir, RESULTS_ROOT, stopAtFirstFailure, textFilesUnder, waitForExtension, WorkbenchDriver,
} from './workbenchDriver';

// Browser globals for the functions that run in the page (see workbenchDriver.ts).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const NodeFilter: any;

const SECRET = 'sandboxsecret0001';
const RESULTS_DIR = path.join(RESULTS_ROOT, 'portal-text');
const FIRST_NAME = '[x](command:bitrix24Tasks.disconnect)';
const LAST_NAME = '$(zap) <img src=x>';
const USER = `${FIRST_NAME} ${LAST_NAME}`;
const GROUP = '[Open](command:bitrix24Tasks.connect) $(zap)';
const GROUP_ID = 5;
const COUNTER = '$(zap) [y](command:bitrix24Tasks.disconnect)';
/** Enough counters that the surfaces list ten and sum up the rest. */
const JUNK = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`junk_${String(i).padStart(2, '0')}`, 1]));
const COUNTERS = { expired: 2, new_comments: 5, [COUNTER]: 1, ...JUNK };
const MORE = Object.keys(COUNTERS).length - 10;

/** Text as shown, without the invisible word joiners that keep it from becoming a link. */
const shown = (text: string): string => text.replace(/\u2060/g, '').replace(/\u00a0/g, ' ');

/**
 * The links with text inside `scope` (icon-only toolbar actions aside; a label's `a.label-name`
 * has no target and is no link), its `$(zap)` icons and its images: none may come from portal text.
 */
async function linksAndIcons(scope: Locator): Promise<{ links: string[]; icons: number; images: number }> {
  const links = await scope.locator('a[href], a[data-href], .monaco-link').allInnerTexts();
  return {
    links: links.map((link) => link.trim()).filter(Boolean),
    icons: await scope.locator('.codicon-zap').count(),
    images: await scope.locator('img').count(),
  };
}

describe('Portal text never acts: hostile names in the VS Code workbench (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);

  let portal: SandboxPortal | undefined;
  let wb: Workbench | undefined;
  let ui: WorkbenchDriver;

  before(async function () {
    this.timeout(180_000);
    const target = extensionUnderTest();
    console.log(`    (extension under test: ${target.label})`);
    freshResultsDir(RESULTS_DIR);
    const started = Date.now();
    portal = await startHttpsSandbox({
      users: [{ id: 1, name: FIRST_NAME, lastName: LAST_NAME, secret: SECRET, scopes: ['task', 'user', 'sonet'] }],
      groups: [{ id: GROUP_ID, name: GROUP, members: [1] }, { id: 6, name: 'Website relaunch', members: [1] }],
    });
    portal.setCounters(1, COUNTERS);
    portal.setCounters(1, COUNTERS, { groupId: GROUP_ID });
    wb = await startWorkbench({
      ...target.options,
      logDir: RESULTS_DIR,
      env: { BITRIX24_WEBHOOK_URL: undefined },
      userSettings: { 'bitrix24Tasks.pollIntervalSeconds': 600 },
      startTimeoutMs: 120_000,
    });
    ui = new WorkbenchDriver(wb.page, { secrets: [SECRET] });
    await waitForExtension(ui, wb, target, { started, sandboxOrigin: portal.origin, resultsDir: RESULTS_DIR });
  });

  stopAtFirstFailure(() => wb, RESULTS_DIR);

  after(async function () {
    this.timeout(60_000);
    await wb?.dispose();
    await portal?.close();
    if (fs.existsSync(RESULTS_DIR)) {
      const leaks = textFilesUnder(RESULTS_DIR).filter((file) => fs.readFileSync(file, 'utf8').includes(SECRET));
      assert.deepEqual(leaks, [], 'files containing the webhook secret');
    }
  });

  /** "Go to Task…" opened with `typed` in its box, once the picker answered what was typed. */
  async function goToTaskWith(typed: string): Promise<string[]> {
    await ui.runCommand('Bitrix24: Go to Task…');
    const box = ui.quickInput.locator('input.input');
    await box.waitFor({ state: 'visible' });
    // A number first: its "Open task #5" row shows the picker follows the box.
    await box.fill('5');
    await ui.waitForValue(() => ui.quickPickLabels(), (rows) => rows.some((row) => row.startsWith('Open task #5')), 'the picker to offer task #5');
    await box.fill(typed);
    return ui.waitForValue(() => ui.quickPickLabels(), (rows) => !rows.some((row) => row.startsWith('Open task #5')), `the picker to follow "${typed}"`);
  }

  it('says "Connected … as" the user\'s name as written: no link, no icon, and a click there does nothing', async () => {
    await ui.waitForStatus(/^Bitrix24: not connected, click to connect$/);
    await ui.runCommand('Bitrix24: Connect Webhook…');
    const box = ui.quickInput.locator('input[type=password]');
    await box.waitFor({ state: 'visible' });
    await box.fill(portal!.webhookUrl(1));
    await box.press('Enter');

    const text = await ui.waitForNotification(/Connected to /);
    assert.equal(shown(text).trim(), `Connected to ${portal!.origin} as ${USER}.`);
    const message = ui.notification(/Connected to /).locator('.notification-list-item-message');
    assert.deepEqual(await linksAndIcons(message), { links: [], icons: 0, images: 0 }, 'a link, icon or image in the toast');
    await ui.waitForStatus(/^Bitrix24, 2 overdue, 5 new comments$/);
    await ui.screenshot(path.join(RESULTS_DIR, 'connected-toast.png'));

    // Where VS Code would have put the link: the "[x]" of the name.
    const where = await message.evaluate((element: any) => {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = String(node.textContent).indexOf('[x]');
        if (at === -1) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + 3);
        const rect = range.getBoundingClientRect();
        return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
      }
      return undefined;
    });
    assert.ok(where, 'the name is in the toast');
    await ui.page.mouse.click(where.x, where.y);
  });

  it('lists the user\'s groups in the picker as written, picks the hostile one, and is still connected', async () => {
    await ui.runCommand('Bitrix24: Switch Group…');
    const row = ui.quickPickRow(GROUP);
    await row.waitFor({ state: 'visible' });
    // The picker came from the extension host after the click above: had the click run
    // "Disconnect", the status bar would say so by now.
    assert.match(await ui.statusLabel(), /^Bitrix24, 2 overdue, 5 new comments$/, 'the click in the toast disconnected');
    assert.deepEqual(await linksAndIcons(ui.quickInput.locator('.quick-input-list')), { links: [], icons: 0, images: 0 });
    const labels = await ui.quickInput.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
    assert.deepEqual(labels.map((label) => shown(label).trim()).sort(), ['All groups', 'Enter a group ID…', GROUP, 'Website relaunch'].sort());
    await ui.screenshot(path.join(RESULTS_DIR, 'group-picker.png'));
    await row.click();
    await ui.waitForStatus(/^Bitrix24, 2 overdue, 5 new comments$/);
  });

  it('shows the names in the tree as written, ten counters and "and N more"', async () => {
    await ui.openCountersView();
    const expected = [
      'Overdue 2', 'New comments 5', `${COUNTER} 1`,
      ...Object.keys(JUNK).slice(0, 7).map((name) => `${name.replace(/_/g, ' ')} 1`),
      `and ${MORE} more counters`, 'Role All my tasks', `Group ${GROUP}`,
    ];
    await ui.waitForTreeStart(expected);
    assert.deepEqual(await linksAndIcons(ui.countersPane.locator('.pane-body')), { links: [], icons: 0, images: 0 });
    await ui.focusEditorArea();
    await ui.sidebarShot(path.join(RESULTS_DIR, 'tree.png'));
  });

  it('shows the names in the status bar tooltip as written, with only its own links', async () => {
    await ui.clearNotifications();
    const hover = await ui.hoverStatusItem();
    const text = shown(await hover.innerText()).split('\n').map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean);
    for (const line of [`User: ${USER}`, `Group: ${GROUP}`, `${COUNTER}: 1`, `and ${MORE} more counters`]) {
      assert.ok(text.includes(line), `no line "${line}" in the tooltip:\n${text.join('\n')}`);
    }
    const found = await linksAndIcons(hover);
    assert.deepEqual(found.links.map((link) => link.trim()), ['Refresh', 'Switch Role', 'Switch Group', 'Open Task List'],
      'the tooltip\'s links are its own actions only');
    assert.deepEqual({ icons: found.icons, images: found.images }, { icons: 0, images: 0 });
    await ui.statusBarShot(path.join(RESULTS_DIR, 'status-bar-tooltip.png'), true);
  });

  it('Go to Task with 0 typed offers no task #0, and Enter there throws nothing', async function () {
    this.timeout(90_000);
    await ui.clearNotifications();
    for (const typed of ['0', '#0']) {
      const rows = await goToTaskWith(typed);
      assert.deepEqual(rows.filter((row) => row.startsWith('Open task')), [], `offered for "${typed}"`);
      await ui.quickInput.locator('input.input').press('Enter');
      await ui.quickInput.waitFor({ state: 'hidden' });
    }
    // One more round trip through the extension host: a failure of the commands before would show by now.
    await goToTaskWith('7');
    await ui.closeQuickInput();
    assert.equal(await ui.notification(/failed|TypeError|Not a task id/).count(), 0, 'an error notification');
  });

  it('shows a task title quoting the webhook URL redacted, in the tree and in Go to Task', async function () {
    this.timeout(120_000);
    const title = `Pasted: ${portal!.origin}/rest/1/•••/`;
    portal!.addTask({ id: 7, title: `Pasted: ${portal!.webhookUrl(1)}`, responsibleId: 1, groupId: GROUP_ID, deadline: Date.now() - 2 * 86_400_000, status: 2 });
    await ui.openCountersView();
    await ui.treeRow('Overdue').click();
    await ui.runCommand('Bitrix24: Refresh Counters'); // the list Go to Task left is the one from before the task
    const rows = await ui.waitForTree((r) => r.some((row) => row.startsWith(title)), 'the task, its title redacted', 60_000);
    assert.deepEqual(rows.filter((row) => row.includes(SECRET)), []);
    await ui.assertSecretsHidden('with the task in the tree');
    await ui.focusEditorArea();
    await ui.sidebarShot(path.join(RESULTS_DIR, 'task-title-redacted.png'));

    await ui.runCommand('Bitrix24: Go to Task…');
    const box = ui.quickInput.locator('input.input');
    await box.waitFor({ state: 'visible' });
    await box.fill('Pasted');
    await ui.quickPickRow(title).waitFor({ state: 'visible' });
    assert.deepEqual((await ui.quickPickLabels()).filter((row) => row.includes(SECRET)), []);
    await ui.screenshot(path.join(RESULTS_DIR, 'go-to-task-redacted.png'));
    await ui.closeQuickInput();
  });

  it('names a redirect to https://<secret>.evil.example/ redacted: in the Connect notification and the error row', async function () {
    this.timeout(120_000);
    await ui.clearNotifications();
    portal!.inject('redirect', { redirectTo: `https://${SECRET}.evil.example/rest/` });
    await ui.runCommand('Bitrix24: Connect Webhook…');
    const box = ui.quickInput.locator('input[type=password]');
    await box.waitFor({ state: 'visible' });
    await box.fill(portal!.webhookUrl(1));
    await box.press('Enter');
    const text = shown(await ui.waitForNotification(/Could not connect to /));
    assert.match(text, /The portal redirected to •••\.evil\.example\./);
    assert.ok(!text.includes(SECRET), text);

    // The poll meets the same redirect: the view's error row names the host.
    await ui.runCommand('Bitrix24: Refresh Counters');
    await ui.openCountersView();
    await ui.waitForTree((r) => r[0] === 'Redirected to •••.evil.example Click to retry', 'the error row', 60_000);
    await ui.assertSecretsHidden('after the redirect');
    await ui.focusEditorArea();
    await ui.sidebarShot(path.join(RESULTS_DIR, 'redirect-redacted.png'));
    portal!.clearFaults();
  });
});
