/**
 * The task tab end to end, through the real workbench (code-server in headless Chromium, the
 * sandbox portal over HTTPS, a poll every 15 s with the real request gate): task 101 opened from
 * its tree row, its description and comments read in the tab, a comment posted with Ctrl+Enter,
 * the timer started and stopped, the task paused and started, then completed with one request that also carries the
 * counters (the status bar follows), a comment that fails keeping its text across a window
 * reload, and a hostile comment shown as text. Then the key steps in a Russian VS Code.
 *
 *   npm run compile && npx tsc -p . && npx mocha --timeout 300000 out/test/e2e/taskTab.test.js
 *
 * Artifacts go to test-results/e2e/task-tab/ (and task-tab/ru/); the README screenshots
 * media/screenshots/task-tab.png and task-tab.ru.png are written when missing or when
 * B24_UPDATE_SCREENSHOTS=1.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { batchCommandsOf, type RequestLogEntry } from '../sandbox';
import { requestsSince, type Session, useSession } from './session';
import { copyToReadme, ENGLISH_WORDS, RESULTS_ROOT, RUSSIAN_WORDS, type WorkbenchDriver } from './workbenchDriver';

const RESULTS_DIR = path.join(RESULTS_ROOT, 'task-tab');
const TASK_TITLE = 'Исправить оплату картой';
/** Long enough for a write that waits for the request gate (15 s) and its poll. */
const WRITE_TIMEOUT_MS = 45_000;

/** The methods of a logged request's batch commands. */
function methodsIn(entry: RequestLogEntry): string[] {
  return batchCommandsOf(entry).map((command) => command.method.toLowerCase());
}

/** Expands "Overdue" (label in the session's language) and opens task 101 from its row. */
async function openFromRow(ui: WorkbenchDriver, overdue: string, status: string): Promise<void> {
  await ui.openCountersView();
  await ui.waitForTree((rows) => rows[0] === `${overdue} 2`, `${overdue} 2`);
  await ui.treeRow(overdue).click();
  await ui.treeRow(TASK_TITLE).waitFor({ state: 'visible' });
  await ui.treeRow(TASK_TITLE).click();
  await ui.editorTab(`#101 ${TASK_TITLE}`).waitFor({ state: 'visible' });
  await ui.waitForTabText('h1', (text) => text === `#101 ${TASK_TITLE}`, 'the tab\'s heading');
  await ui.waitForTabText('header .status', (text) => text.includes(status), `the status "${status}"`);
}

/** The texts of the tab's comments, oldest first. */
function commentTexts(ui: WorkbenchDriver): Promise<string[]> {
  return ui.taskTab.locator('ol.comments > li .markup').allInnerTexts();
}

/** Writes `text` into the comment box and sends it with Ctrl+Enter. */
async function sendComment(ui: WorkbenchDriver, text: string): Promise<void> {
  const box = ui.taskTab.locator('textarea#comment');
  await box.fill(text);
  await box.press('Control+Enter');
}

/** Clicks the tab's button named `name` once it is enabled (a write in flight disables it). */
async function press(ui: WorkbenchDriver, name: string): Promise<void> {
  const button = ui.taskTab.getByRole('button', { name, exact: true });
  await ui.waitForValue(() => button.isEnabled(), (enabled) => enabled, `"${name}" enabled`);
  await button.click();
}

/** The notice line once it satisfies `accept`. */
function notice(ui: WorkbenchDriver, accept: (text: string) => boolean, what: string): Promise<string> {
  return ui.waitForTabText('.notice', accept, what, WRITE_TIMEOUT_MS);
}

describe('The task tab in the VS Code workbench (end to end)', function () {
  this.timeout(90_000);
  this.slow(20_000);
  const session = useSession(RESULTS_DIR, ENGLISH_WORDS, { keep: ['ru'] });
  let s: Session;

  it('opens task 101 from its tree row, with its description and comments, in one request (screenshot)', async () => {
    s = session();
    const { ui, portal } = s;
    const since = Date.now();
    await openFromRow(ui, 'Overdue', 'In progress');
    const description = await ui.waitForTabText('section[aria-labelledby="h-description"] .markup', (text) => text.includes('error 502'), 'the description');
    assert.match(description, /Card payments fail with error 502 since the gateway update\./);
    assert.equal(await ui.taskTab.locator('section[aria-labelledby="h-description"] .markup b', { hasText: 'error 502' }).count(), 1, 'bold text');
    assert.ok(description.includes('Ask Viktor Orlov for the logs.'), 'a mention reads as the name');
    const comments = await ui.waitForValue(() => commentTexts(ui), (texts) => texts.length === 3, 'the three comments');
    assert.equal(comments.at(-1), 'Any news? The client is asking.', 'the newest at the bottom');
    // The one request that opened the tab carried the task and its comments.
    const opening = portal.requests.filter((entry) => entry.at >= since && methodsIn(entry).includes('tasks.task.get'));
    assert.ok(opening.length >= 1, 'a request with the task');
    assert.ok(methodsIn(opening[0]).includes('task.commentitem.getlist'), 'the comments in the same request');
    await ui.assertSecretsHidden('with the task tab open');
    await ui.parkMouse();
    copyToReadme(await ui.screenshot(path.join(RESULTS_DIR, 'task-tab.png')), 'task-tab.png');
  });

  it('posts a comment with Ctrl+Enter, once, and shows it at the bottom', async () => {
    const { ui, portal } = s;
    const since = Date.now();
    const text = 'Fixed the gateway timeout, deploying now.';
    await sendComment(ui, text);
    await notice(ui, (t) => t === 'Comment sent.', '"Comment sent."');
    await ui.waitForValue(() => commentTexts(ui), (texts) => texts.at(-1) === text, 'the new comment at the bottom', WRITE_TIMEOUT_MS);
    await ui.waitForValue(() => ui.taskTab.locator('textarea#comment').inputValue(), (value) => value === '', 'the box emptied');
    const adds = (await requestsSince(portal, since)).flatMap(methodsIn).filter((method) => method === 'task.commentitem.add');
    assert.equal(adds.length, 1, 'one comment posted');
  });

  it('starts and stops the timer', async () => {
    const { ui, portal } = s;
    await press(ui, 'Start Timer');
    await notice(ui, (t) => t.startsWith('Timer started'), '"Timer started"');
    await ui.waitForTabText('section[aria-labelledby="h-time"]', (text) => text.includes('timer running'), 'the timer running');
    assert.equal(portal.cards.timerOf(1)?.taskId, 101, "the sandbox runs user 1's timer on task 101");
    await press(ui, 'Stop Timer');
    await notice(ui, (t) => t === 'Timer stopped.', '"Timer stopped."');
    assert.equal(portal.cards.timerOf(1), undefined, 'no timer runs');
  });

  it('pauses and starts the task, the buttons following what the portal allows', async () => {
    const { ui } = s;
    await press(ui, 'Pause');
    await ui.waitForTabText('header .status', (text) => text.includes('Pending'), 'the status "Pending"');
    await notice(ui, (t) => t === 'Done. Status: Pending.', '"Done. Status: Pending."');
    assert.equal(await ui.taskTab.getByRole('button', { name: 'Pause', exact: true }).count(), 0, 'no Pause on a pending task');
    await press(ui, 'Start');
    await ui.waitForTabText('header .status', (text) => text.includes('In progress'), 'the status "In progress"');
  });

  it('completes the task with one request that carries the counters too, and the status bar follows', async () => {
    const { ui, portal } = s;
    await ui.waitForStatus(/^Bitrix24, 2 overdue, /);
    const since = Date.now();
    await press(ui, 'Complete');
    await notice(ui, (t) => t.startsWith('Sent for approval'), '"Sent for approval"');
    await ui.waitForTabText('header .status', (text) => text.includes('Awaiting review'), 'the status the portal answered');
    await ui.waitForStatus(/^Bitrix24, 1 overdue, /);
    const completing = (await requestsSince(portal, since)).filter((entry) => methodsIn(entry).includes('tasks.task.complete'));
    assert.equal(completing.length, 1, 'one request completed the task');
    const methods = methodsIn(completing[0]);
    assert.equal(methods[0], 'tasks.task.complete', 'the write first');
    assert.ok(methods.includes('tasks.task.counters.get') && methods.includes('tasks.task.get'), `the counters and the card in it: ${methods.join(', ')}`);
  });

  it('keeps the text of a comment that failed, with Try Again, across a window reload', async function () {
    this.timeout(180_000);
    const { ui, portal } = s;
    const text = 'This one must not be lost.';
    portal.inject('queryLimit', { method: 'task.commentitem.add', times: 1 });
    await sendComment(ui, text);
    await notice(ui, (t) => t.startsWith('The comment was not sent'), 'the failure in words');
    assert.ok(await ui.taskTab.getByRole('button', { name: 'Try Again' }).isVisible(), 'Try Again offered');
    assert.equal(await ui.taskTab.locator('textarea#comment').inputValue(), text, 'the text kept in the box');
    await ui.runCommand('Developer: Reload Window');
    await ui.statusItem.waitFor({ state: 'visible', timeout: 120_000 });
    await ui.editorTab(`#101 ${TASK_TITLE}`).click({ timeout: 60_000 });
    await ui.waitForTabText('h1', (t) => t === `#101 ${TASK_TITLE}`, 'the tab restored', 60_000);
    await ui.waitForValue(() => ui.taskTab.locator('textarea#comment').inputValue(), (value) => value === text, 'the draft after the reload');
  });

  it('shows a hostile comment as text: no script, no image, no link', async () => {
    const { ui, portal } = s;
    const hostile = '<script>alert(1)</script> [URL=javascript:alert(2)]click me[/URL] [IMG]https://tracker.example/pixel.gif[/IMG] <img src=x onerror=alert(3)>';
    portal.cards.post(101, 3, hostile, Date.now());
    // The visible tab's card rides every poll: the comment comes with the next one.
    const texts = await ui.waitForValue(() => commentTexts(ui), (t) => t.some((c) => c.includes('<script>alert(1)</script>')), 'the hostile comment', WRITE_TIMEOUT_MS);
    const shown = texts.find((c) => c.includes('<script>'))!;
    assert.ok(shown.includes('click me') && shown.includes('https://tracker.example/pixel.gif') && shown.includes('<img src=x onerror=alert(3)>'), shown);
    // The page's content is its <main>; VS Code's own scripts of the webview are outside it.
    const content = ui.taskTab.locator('main');
    for (const tag of ['script', 'img', 'a', 'iframe', 'object', 'embed', 'style']) {
      assert.equal(await content.locator(tag).count(), 0, `a <${tag}> in the page`);
    }
    assert.equal(await ui.taskTab.locator('img').count(), 0, 'no image anywhere in the frame');
    assert.equal(await ui.taskTab.getByRole('button', { name: 'click me' }).count(), 0, 'a javascript: link is not offered');
  });
});

describe('The task tab in a Russian VS Code (end to end)', function () {
  this.timeout(90_000);
  this.slow(20_000);
  const resultsDir = path.join(RESULTS_DIR, 'ru');
  const session = useSession(resultsDir, RUSSIAN_WORDS, { locale: 'ru' });

  it('opens task 101 from its row and posts a comment (screenshot)', async () => {
    const { ui } = session();
    await openFromRow(ui, 'Просрочено', 'Выполняется');
    await ui.waitForTabText('section[aria-labelledby="h-comments"] h2', (text) => text === 'Комментарии', 'the comments heading');
    await ui.waitForValue(() => commentTexts(ui), (texts) => texts.length === 3, 'the three comments');
    await ui.parkMouse();
    copyToReadme(await ui.screenshot(path.join(resultsDir, 'task-tab.ru.png')), 'task-tab.ru.png');
    const text = 'Исправлено, выкладываю.';
    await sendComment(ui, text);
    await ui.waitForValue(() => commentTexts(ui), (texts) => texts.at(-1) === text, 'the new comment at the bottom', WRITE_TIMEOUT_MS);
  });
});
