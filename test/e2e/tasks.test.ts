/**
 * The tasks behind the numbers, end to end through the real workbench UI (code-server in
 * headless Chromium, the sandbox portal over HTTPS at https://portal.b24.test:PORT, the webhook
 * from BITRIX24_WEBHOOK_URL, a poll every 15 s): "Overdue" expanded in the tree, a task row
 * clicked, "Go to Task…" searched by part of a Cyrillic title, the exact task address opened
 * each time; the sandbox's request log shows one HTTP request per poll with both lists
 * expanded, and no `tasks.task.list` at all while nothing is. Then the key steps in a Russian
 * VS Code.
 *
 *   npm run compile && npx tsc -p . && npx mocha --timeout 300000 out/test/e2e/tasks.test.js
 *   npm run package && B24_E2E_VSIX=$PWD/bitrix24-task-counters-0.1.0.vsix npx mocha --timeout 300000 out/test/e2e/tasks.test.js
 *
 * Artifacts go to test-results/e2e/tasks/ (and tasks/ru/); the README screenshots
 * media/screenshots/tasks.png and tasks.ru.png are written when missing or when
 * B24_UPDATE_SCREENSHOTS=1.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { batchCommandsOf, type RequestLogEntry, type SandboxPortal } from '../sandbox';
import { POLL_SECONDS, requestsSince, type Session, useSession } from './session';
import { copyToReadme, ENGLISH_WORDS, RESULTS_ROOT, RUSSIAN_WORDS } from './workbenchDriver';

const RESULTS_DIR = path.join(RESULTS_ROOT, 'tasks');
/** A task row opens the browser here; the task tab has its own suite (taskTab.test.ts). */
const IN_BROWSER = { 'bitrix24Tasks.openTasksIn': 'browser' };
const LIST_METHOD = 'tasks.task.list';

/** How many `tasks.task.list` commands a logged request carried. */
function listsIn(entry: RequestLogEntry): number {
  return batchCommandsOf(entry).filter((command) => command.method === LIST_METHOD).length;
}

/** The address of task 101, "Исправить оплату картой", in workgroup 7. */
function task101(portal: SandboxPortal): string {
  return `${portal.origin}/workgroups/group/7/tasks/task/view/101/`;
}

/** Clicks a tree row and resolves with the address the browser was asked to open. */
async function openFromRow(s: Session, label: string): Promise<string> {
  const url = await s.opens.next(async () => {
    await s.ui.treeRow(label).click();
    await s.ui.confirmOpenExternal();
  });
  await s.ui.page.bringToFront();
  return url;
}

/** "Go to Task…" from the palette, `typed` into its box, Enter on `title`: the address opened. */
async function goToTask(s: Session, command: string, typed: string, title: string): Promise<string> {
  const url = await s.opens.next(async () => {
    await s.ui.runCommand(command);
    const box = s.ui.quickInput.locator('input.input');
    await box.waitFor({ state: 'visible' });
    await box.fill(typed);
    // The one match, once the lists are in (the picker fills as they come).
    await s.ui.quickPickRow(title).waitFor({ state: 'visible' });
    await s.ui.waitForValue(() => s.ui.quickPickLabels(), (rows) => rows.length === 1 && rows[0].startsWith(title),
      `"${typed}" to leave only "${title}"`);
    await box.press('Enter');
    await s.ui.confirmOpenExternal();
  });
  await s.ui.page.bringToFront();
  return url;
}

describe('The tasks behind the numbers in the VS Code workbench (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);
  const session = useSession(RESULTS_DIR, ENGLISH_WORDS, { userSettings: IN_BROWSER, keep: ['ru'] });

  it('asks for no task list while no row is expanded', async function () {
    this.timeout(90_000);
    const { ui, portal } = session();
    await ui.openCountersView();
    await ui.waitForTree((r) => r[0] === 'Overdue 2' && r[1] === 'New comments 5', 'Overdue 2, New comments 5');
    // The first poll and the one after it.
    const requests = await ui.waitForValue(() => requestsSince(portal, 0), (log) => log.length >= 2,
      'two polls', (POLL_SECONDS + 15) * 1000);
    assert.deepEqual(requests.map(listsIn), requests.map(() => 0), 'no tasks.task.list while nothing shows tasks');
  });

  it('expands "Overdue" into its tasks (screenshot)', async () => {
    const { ui } = session();
    await ui.treeRow('Overdue').click();
    await ui.waitForTreeStart([
      'Overdue 2',
      'Update the release checklist 2 days overdue',
      'Исправить оплату картой 3 hours overdue',
      'New comments 5',
    ]);
    assert.equal(await ui.treeRow('Исправить оплату картой').locator('.codicon-play-circle').count(), 1, 'in progress');
    await ui.widenSidebar(140);
    await ui.focusEditorArea();
    copyToReadme(await ui.sidebarShot(path.join(RESULTS_DIR, 'tasks.png')), 'tasks.png');
  });

  it('opens the exact task address from its row', async () => {
    const s = session();
    assert.equal(await openFromRow(s, 'Исправить оплату картой'), task101(s.portal));
    assert.equal(await openFromRow(s, 'Update the release checklist'), `${s.portal.origin}/workgroups/group/12/tasks/task/view/102/`);
  });

  it('finds a task with "Bitrix24: Go to Task…" by part of its Cyrillic title', async () => {
    const s = session();
    assert.equal(await goToTask(s, 'Bitrix24: Go to Task…', 'оплат', 'Исправить оплату картой'), task101(s.portal));
  });

  it('carries both lists in one HTTP request per poll while both rows are expanded', async function () {
    this.timeout(120_000);
    const { ui, portal } = session();
    await ui.treeRow('New comments').click();
    await ui.waitForTree((r) => r.includes('Write the release notes 1 new comment'), 'the tasks with new comments');
    // From the first poll that carried both lists on: every request is one poll's batch with
    // the counters and both lists, and requests are a poll interval apart (none in between).
    const since = Date.now();
    const polls = await ui.waitForValue(() => requestsSince(portal, since),
      (log) => log.length >= 3, 'three polls with both rows expanded', (3 * POLL_SECONDS + 20) * 1000);
    for (const entry of polls) {
      assert.equal(entry.method, 'batch', 'every request is the batch');
      assert.equal(listsIn(entry), 2, 'both lists ride in it');
      assert.ok(batchCommandsOf(entry).some((command) => command.method === 'tasks.task.counters.get'), 'with the counters');
    }
    const gaps = polls.slice(1).map((entry, i) => entry.at - polls[i].at);
    assert.ok(gaps.every((gap) => gap >= 0.8 * POLL_SECONDS * 1000), `one request per poll: gaps ${JSON.stringify(gaps)} ms`);
  });

  it('asks for no task list once both rows are collapsed', async function () {
    this.timeout(90_000);
    const { ui, portal } = session();
    await ui.treeRow('Overdue').click();
    await ui.treeRow('New comments').click();
    await ui.waitForTree((r) => r[0] === 'Overdue 2' && r[1] === 'New comments 5', 'both rows collapsed');
    const since = Date.now();
    const requests = await ui.waitForValue(() => requestsSince(portal, since),
      (log) => log.length >= 2, 'two polls after collapsing', (2 * POLL_SECONDS + 20) * 1000);
    assert.deepEqual(requests.map(listsIn), requests.map(() => 0), 'no tasks.task.list after collapsing');
  });
});

describe('The tasks behind the numbers in a Russian VS Code (end to end)', function () {
  this.timeout(60_000);
  this.slow(15_000);
  const resultsDir = path.join(RESULTS_DIR, 'ru');
  const session = useSession(resultsDir, RUSSIAN_WORDS, { locale: 'ru', userSettings: IN_BROWSER });

  it('expands "Просрочено" into its tasks and opens one (screenshot)', async () => {
    const s = session();
    await s.ui.openCountersView();
    await s.ui.waitForTree((r) => r[0] === 'Просрочено 2', 'Просрочено 2');
    await s.ui.treeRow('Просрочено').click();
    await s.ui.waitForTreeStart([
      'Просрочено 2',
      'Update the release checklist просрочена на 2 дня',
      'Исправить оплату картой просрочена на 3 часа',
      'Новые комментарии 5',
    ]);
    await s.ui.widenSidebar(140);
    await s.ui.focusEditorArea();
    copyToReadme(await s.ui.sidebarShot(path.join(resultsDir, 'tasks.ru.png')), 'tasks.ru.png');
    assert.equal(await openFromRow(s, 'Исправить оплату картой'), task101(s.portal));
  });

  it('finds a task with "Битрикс24: Перейти к задаче…"', async () => {
    const s = session();
    assert.equal(await goToTask(s, 'Битрикс24: Перейти к задаче…', 'оплат', 'Исправить оплату картой'), task101(s.portal));
  });
});
