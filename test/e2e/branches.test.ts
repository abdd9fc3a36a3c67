/**
 * Tasks and git branches end to end, through the real workbench (code-server in headless
 * Chromium, the sandbox portal over HTTPS, a poll every 15 s with the real request gate) on a
 * real git repository made here (`main` with one commit): "Bitrix24: Start Work on Task…" from
 * the palette, task 101 picked in its picker; git's current branch is then the task's, the
 * second status bar item shows the task, the Source Control box holds `#101 `, and the sandbox
 * runs the task's timer (startWork.startTimer on); `git checkout main` from outside VS Code hides
 * the item and the prefix (the git API's events) and a checkout back brings them back; Stop Work
 * stops the timer and hides the item. Then Start Work in a Russian VS Code.
 *
 *   npm run compile && npx tsc -p . && npx mocha --timeout 300000 out/test/e2e/branches.test.js
 *
 * Artifacts go to test-results/e2e/<role>/branches/ (and branches/ru/); the README screenshots
 * media/screenshots/branch-item.png and branch-item.ru.png are written when missing or when
 * B24_UPDATE_SCREENSHOTS=1.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Session, useSession } from './session';
import { copyToReadme, ENGLISH_WORDS, RESULTS_ROOT, RUSSIAN_WORDS, type WorkbenchDriver } from './workbenchDriver';

const RESULTS_DIR = path.join(RESULTS_ROOT, 'branches');
const TASK_TITLE = 'Fix payment webhook retries';
const TASK_BRANCH = 'task/101-fix-payment-webhook-retries';
const ITEM_TEXT = `#101 ${TASK_TITLE}`;
/** Start Work waits for the card (the request gate, 15 s, and its poll), then for git and the timer's write. */
const WORK_TIMEOUT_MS = 60_000;

function git(folder: string, ...args: string[]): string {
  return execFileSync('git', ['-C', folder, ...args], { encoding: 'utf8' }).trim();
}

/** A repository on `main` with one commit, made afresh in `folder`. */
function makeRepository(folder: string): void {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  git(folder, 'init', '--quiet', '--initial-branch=main');
  git(folder, 'config', 'user.email', 'tests@example.com');
  git(folder, 'config', 'user.name', 'Tests');
  fs.writeFileSync(path.join(folder, 'README.md'), '# Payments\n');
  git(folder, 'add', 'README.md');
  git(folder, 'commit', '--quiet', '-m', 'First');
}

/**
 * The folder of a repository made before the session starts (call before useSession, whose
 * `before` then runs after this one) and removed after it ends (mocha runs `after` hooks in
 * order too: call removeAfter past useSession).
 */
function useGitWorkspace(name: string): { folder: string; removeAfter: () => void } {
  const folder = path.join(os.tmpdir(), `b24-e2e-${name}-${process.pid}`);
  before(() => makeRepository(folder));
  return { folder, removeAfter: () => after(() => fs.rmSync(folder, { recursive: true, force: true })) };
}

/**
 * The palette's Start Work, "webhook" typed into its picker, Enter on task 101. The palette
 * offers it once connected, and a palette opened before that would not list it: `connected`
 * is the counters' item's aria-label once the first counters are in.
 */
async function startWork(ui: WorkbenchDriver, command: string, connected: RegExp): Promise<void> {
  await ui.waitForStatus(connected);
  await ui.runCommand(command);
  const box = ui.quickInput.locator('input.input');
  await box.waitFor({ state: 'visible' });
  await box.fill('webhook');
  await ui.quickPickRow(TASK_TITLE).waitFor({ state: 'visible' });
  await ui.waitForValue(() => ui.quickPickLabels(), (rows) => rows.length === 1 && rows[0].startsWith(TASK_TITLE),
    `"webhook" to leave only "${TASK_TITLE}"`);
  await box.press('Enter');
}

/** The branch item's text once it satisfies `accept` (its icon is a glyph without text). */
function waitForItem(ui: WorkbenchDriver, accept: (text: string) => boolean, what: string): Promise<string> {
  return ui.waitForValue(async () => (await ui.branchTaskItem.isVisible()) ? (await ui.branchTaskItem.innerText()).trim() : '',
    accept, what, WORK_TIMEOUT_MS);
}

/** The Source Control view's commit box, as text (the editor renders spaces as no-break ones). */
async function commitBoxText(ui: WorkbenchDriver): Promise<string> {
  const lines = ui.page.locator('.scm-editor .view-lines');
  if ((await lines.count()) === 0) return '<no box>';
  return ((await lines.first().textContent()) ?? '').replace(/\u00a0/g, ' ');
}

/** The branch item's tooltip, hovered afresh (a shown hover keeps the text it was opened with). */
async function branchTooltip(ui: WorkbenchDriver): Promise<string> {
  await ui.parkMouse();
  await ui.branchTaskItem.hover();
  const hover = ui.page.locator('.monaco-hover:visible', { hasText: '#101' }).first();
  await hover.waitFor({ state: 'visible', timeout: 10_000 });
  return hover.innerText();
}

describe('Tasks and git branches in the VS Code workbench (end to end)', function () {
  this.timeout(90_000);
  this.slow(20_000);
  const repository = useGitWorkspace('branches');
  const workspace = repository.folder;
  const session = useSession(RESULTS_DIR, ENGLISH_WORDS, {
    keep: ['ru'],
    workspace,
    userSettings: { 'bitrix24Tasks.startWork.startTimer': true },
  });
  repository.removeAfter();
  let s: Session;

  it('Start Work from the palette creates and checks out the task\'s branch, and the status bar shows the task', async () => {
    s = session();
    const { ui, portal } = s;
    portal.updateTask(101, { title: TASK_TITLE });
    assert.equal(git(workspace, 'branch', '--show-current'), 'main');
    const started = Date.now();
    await startWork(ui, 'Bitrix24: Start Work on Task…', /^Bitrix24, 2 overdue, 5 new comments$/);
    await ui.waitForValue(() => Promise.resolve(git(workspace, 'branch', '--show-current')), (branch) => branch === TASK_BRANCH,
      `git's current branch to be ${TASK_BRANCH}`, WORK_TIMEOUT_MS);
    await waitForItem(ui, (text) => text === ITEM_TEXT, `the branch item to show "${ITEM_TEXT}"`);
    console.log(`      (palette pick to the item showing the task: ${((Date.now() - started) / 1000).toFixed(1)} s, the request gate's wait included)`);
    const label = (await ui.branchTaskItem.getAttribute('aria-label')) ?? '';
    assert.match(label, /^Bitrix24 task #101: Fix payment webhook retries, In progress, /, 'the status and how overdue, to a screen reader');
  });

  it('the Source Control commit box holds the task\'s prefix', async () => {
    const { ui } = s;
    // Its palette title differs between releases; its key binding does not.
    await ui.page.keyboard.press('Control+Shift+G');
    await ui.waitForValue(() => commitBoxText(ui), (text) => text === '#101 ', 'the commit box to hold "#101 "');
  });

  it('the sandbox runs the task\'s timer (startWork.startTimer), and the item\'s tooltip says so', async () => {
    const { ui, portal } = s;
    await ui.waitForValue(() => Promise.resolve(portal.cards.timerOf(1)?.taskId), (taskId) => taskId === 101,
      "the sandbox to run user 1's timer on task 101", WORK_TIMEOUT_MS);
    await ui.waitForValue(() => branchTooltip(ui), (text) => text.includes('timer running'), 'the tooltip to say the timer runs', WORK_TIMEOUT_MS);
    await ui.parkMouse();
  });

  it('checking out main outside VS Code hides the item and empties the commit box; back on the branch they return (screenshot)', async () => {
    const { ui } = s;
    git(workspace, 'checkout', '--quiet', 'main');
    await ui.branchTaskItem.waitFor({ state: 'hidden', timeout: WORK_TIMEOUT_MS });
    await ui.waitForValue(() => commitBoxText(ui), (text) => text === '', 'the prefix to leave the commit box');
    git(workspace, 'checkout', '--quiet', TASK_BRANCH);
    await waitForItem(ui, (text) => text === ITEM_TEXT, 'the item back on the task\'s branch');
    await ui.waitForValue(() => commitBoxText(ui), (text) => text === '#101 ', 'the prefix back in the commit box');
    // Here, past Start Work's "Timer started." in the status bar, which moves the item.
    await ui.parkMouse();
    copyToReadme(await ui.statusBarShot(path.join(RESULTS_DIR, 'branch-item.png'), false, ui.branchTaskItem), 'branch-item.png');
  });

  it('Stop Work stops the timer in the sandbox and hides the item; the branch stays', async () => {
    const { ui, portal } = s;
    await ui.runCommand('Bitrix24: Stop Work on Task');
    await ui.waitForValue(() => Promise.resolve(portal.cards.timerOf(1)), (timer) => timer === undefined, 'no timer in the sandbox', WORK_TIMEOUT_MS);
    await ui.branchTaskItem.waitFor({ state: 'hidden', timeout: WORK_TIMEOUT_MS });
    assert.equal(git(workspace, 'branch', '--show-current'), TASK_BRANCH, 'the branch stays');
  });
});

describe('Tasks and git branches in a Russian VS Code (end to end)', function () {
  this.timeout(90_000);
  this.slow(20_000);
  const resultsDir = path.join(RESULTS_DIR, 'ru');
  const repository = useGitWorkspace('branches-ru');
  const workspace = repository.folder;
  const session = useSession(resultsDir, RUSSIAN_WORDS, { locale: 'ru', workspace });
  repository.removeAfter();

  it('Start Work from the palette in Russian shows the task in the status bar (screenshot)', async () => {
    const { ui, portal } = session();
    portal.updateTask(101, { title: TASK_TITLE });
    await startWork(ui, 'Битрикс24: Начать работу над задачей…', /^Битрикс24, 2 задачи просрочены, 5 новых комментариев$/);
    await waitForItem(ui, (text) => text === ITEM_TEXT, `the branch item to show "${ITEM_TEXT}"`);
    assert.equal(git(workspace, 'branch', '--show-current'), TASK_BRANCH);
    const label = (await ui.branchTaskItem.getAttribute('aria-label')) ?? '';
    assert.match(label, /^Задача Битрикс24 #101: Fix payment webhook retries, Выполняется, /, 'the label in Russian');
    await ui.parkMouse();
    copyToReadme(await ui.statusBarShot(path.join(resultsDir, 'branch-item.ru.png'), false, ui.branchTaskItem), 'branch-item.ru.png');
  });
});
