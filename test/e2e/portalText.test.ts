/**
 * Portal text never acts, end to end through the real workbench UI (code-server in headless
 * Chromium, the sandbox portal over HTTPS at https://portal.b24.test:PORT): a portal whose
 * user, group and a counter are named like links, icons and HTML. Connected through the
 * palette; the "Connected" toast, the status bar tooltip, the tree and the group picker must
 * show those names as written, with no link and no icon made from them, and a click where the
 * link would be does nothing. A flood of counters is listed as ten and "and N more".
 *
 *   npm run compile && npx tsc -p . && npx mocha --timeout 300000 out/test/e2e/portalText.test.js
 *
 * Artifacts go to test-results/e2e/portal-text/.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { startWorkbench, type Workbench } from '../launch/headless';
import type { SandboxPortal } from '../sandbox';
import { startHttpsSandbox } from './testHost';
import {
  extensionUnderTest, freshResultsDir, RESULTS_ROOT, stopAtFirstFailure, waitForExtension, WorkbenchDriver,
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
  });

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
    const rows = await ui.waitForTree((r) => r.includes(`Group ${GROUP}`), 'the hostile group');
    assert.deepEqual(rows.slice(0, 12), [
      'Overdue 2', 'New comments 5', `${COUNTER} 1`,
      ...Object.keys(JUNK).slice(0, 7).map((name) => `${name.replace(/_/g, ' ')} 1`),
      `and ${MORE} more counters`, 'Role All my tasks',
    ]);
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
});
