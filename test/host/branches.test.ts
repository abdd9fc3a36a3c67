/**
 * Tasks and git branches inside a real VS Code extension host, with real git repositories
 * (made here with the git executable, opened through the built-in git extension) and the
 * sandbox portal: Start Work creates and checks out the task's branch and starts the task,
 * a second Start Work checks the same branch out again, the status bar item and the commit box
 * follow checkouts and the active editor's repository (two repositories), a branch named by
 * the pattern shows its task, a task the user cannot see says so, and Stop Work forgets the
 * link and leaves the branch.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Bitrix24TasksApi } from '../../src/extension';
import type { API, Repository } from '../../src/ui/branches/git';
import { batchCommandsOf, SandboxPortal } from '../sandbox';
import { extensionUnderTest, testHandles, until, waitForState } from './support';

const SECRET = 'sandboxsecret0001';

/** The git extension's API with what only the tests use: opening a repository by its folder. */
type TestGitApi = API & { openRepository(root: vscode.Uri): Promise<Repository | null> };

let api: Bitrix24TasksApi;
let portal: SandboxPortal;
let one: Repository;
let two: Repository;

function git(folder: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: folder, encoding: 'utf8' }).trim();
}

/** A repository with one commit on `main`, in the workspace folder, opened by the git extension. */
async function repository(gitApi: TestGitApi, name: string): Promise<Repository> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the host has a workspace folder');
  const folder = path.join(root, name);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  git(folder, 'init', '--quiet', '--initial-branch=main');
  git(folder, 'config', 'user.email', 'tests@example.com');
  git(folder, 'config', 'user.name', 'Tests');
  fs.writeFileSync(path.join(folder, 'README.md'), `# ${name}\n`);
  git(folder, 'add', 'README.md');
  git(folder, 'commit', '--quiet', '-m', 'First');
  const opened = await gitApi.openRepository(vscode.Uri.file(folder));
  assert.ok(opened, `the git extension opened ${folder}`);
  await until(() => opened.state.HEAD?.name === 'main', `${name} on main`);
  return opened;
}

/** Opens the repository's README in an editor: the repository in front. */
async function inFront(repo: Repository): Promise<void> {
  await vscode.window.showTextDocument(vscode.Uri.joinPath(repo.rootUri, 'README.md'));
}

async function branches(repo: Repository, pattern: string): Promise<string[]> {
  return (await repo.getRefs({ pattern })).map((ref) => ref.name ?? '');
}

function itemText(): string {
  return api.branchTask.item.text;
}

function tooltipOf(): string {
  const tooltip = api.branchTask.item.tooltip;
  return typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '';
}

describe('Tasks and git branches (extension host)', function () {
  before(async () => {
    api = testHandles(await extensionUnderTest().activate());
    const extension = vscode.extensions.getExtension<{ getAPI(version: 1): TestGitApi }>('vscode.git');
    assert.ok(extension, 'the built-in git extension');
    const gitApi = (await extension.activate()).getAPI(1);
    one = await repository(gitApi, 'b24-one');
    two = await repository(gitApi, 'b24-two');
  });

  after(async () => {
    // The suites after this one count what rides the poll: no branch task held from here.
    await one.checkout('main');
    await two.checkout('main');
    await until(() => api.branchTask.shown === undefined, 'the item to hide');
  });

  beforeEach(async () => {
    portal = await SandboxPortal.start();
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', portal.webhookUrl(1)), true);
    await waitForState(api, (s) => s.counters !== undefined && !s.loading, 'the first counters');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    assert.ok(!JSON.stringify(api.state.snapshot).includes(SECRET), 'the secret is in the state');
    await portal.close();
  });

  it('Start Work creates the task\'s branch from main, checks it out, starts the task, shows it and fills the commit box', async () => {
    await inFront(one);
    const branch = await vscode.commands.executeCommand<string | undefined>('bitrix24Tasks.startWork', 105);
    assert.equal(branch, 'task/105-write-the-release-notes');
    await until(() => one.state.HEAD?.name === branch, 'the new branch checked out');
    assert.equal(two.state.HEAD?.name, 'main', 'the other repository is left alone');
    await until(() => api.branchTask.shown?.taskId === 105, 'the item to show task 105');
    assert.equal(api.branchTask.shown?.branch, branch);
    // startWork.startTask is on by default: 105 was pending (2), Bitrix24 allows Start.
    await waitForState(api, (s) => { const card = s.taskCards?.[105]; return card?.ok === true && card.value.status === 3; }, 'task 105 in progress');
    await until(() => itemText().includes('#105 Write the release notes'), `the item's text, now ${itemText()}`);
    assert.match(itemText(), /^\$\(play-circle\) #105 /, 'in progress: its icon');
    assert.match(tooltipOf(), /command:bitrix24Tasks\.showTask\?%5B105%5D/, 'a link that opens the tab');
    assert.deepEqual(api.branchTask.item.command, { command: 'bitrix24Tasks.showTask', title: 'Open Task', arguments: [105] });
    await until(() => one.inputBox.value === '#105 ', `the commit box, now ${JSON.stringify(one.inputBox.value)}`);
  });

  it('back on main the item and the prefix go; Start Work again checks out the same branch, creating none', async () => {
    await inFront(one);
    await one.checkout('main');
    await until(() => api.branchTask.shown === undefined, 'the item to hide on main');
    await until(() => one.inputBox.value === '', 'the prefix to go');
    const branch = await vscode.commands.executeCommand<string | undefined>('bitrix24Tasks.startWork', 105);
    assert.equal(branch, 'task/105-write-the-release-notes');
    await until(() => one.state.HEAD?.name === branch, 'the linked branch checked out again');
    assert.deepEqual(await branches(one, 'refs/heads/task'), ['task/105-write-the-release-notes'], 'no second branch');
    await until(() => api.branchTask.shown?.taskId === 105, 'the item again');
  });

  // After a commit the empty box gets the prefix again: not checked here. The box's value goes
  // to the workbench and back, and a test that sets it twice in a row (its own text, then empty
  // as after a commit) saw the first value come back after the second on some runs, on both
  // VS Codes; a commit through git's API resets the box as it ends, reaching this host later.
  it('the commit box: what the user typed stays', async () => {
    await inFront(one);
    await one.checkout('main');
    await until(() => one.inputBox.value === '', 'no prefix on main');
    one.inputBox.value = 'My own message';
    await one.checkout('task/105-write-the-release-notes');
    await until(() => api.branchTask.shown?.taskId === 105, 'the task branch');
    assert.equal(one.inputBox.value, 'My own message', 'never overwritten');
  });

  it('follows the active editor\'s repository, and Start Work works in that one', async () => {
    await inFront(one);
    await until(() => api.branchTask.shown?.taskId === 105, 'repository one\'s task');
    await inFront(two);
    await until(() => api.branchTask.shown === undefined, 'repository two on main: none');
    const branch = await vscode.commands.executeCommand<string | undefined>('bitrix24Tasks.startWork', 104);
    assert.equal(branch, 'task/104-perevesti-spravku-na-anglijskij');
    await until(() => two.state.HEAD?.name === branch, 'the branch in repository two');
    assert.equal(one.state.HEAD?.name, 'task/105-write-the-release-notes', 'repository one untouched');
    await until(() => api.branchTask.shown?.taskId === 104, 'repository two\'s task');
    await inFront(one);
    await until(() => api.branchTask.shown?.taskId === 105, 'back to repository one\'s task');
  });

  it('a branch named by the pattern shows its task; Stop Work forgets it and leaves the branch', async () => {
    await inFront(two);
    await two.createBranch('feature/T102', true);
    await until(() => api.branchTask.shown?.taskId === 102, 'task 102 found in feature/T102');
    await until(() => itemText().includes('#102 Update the release checklist'), `the item's text, now ${itemText()}`);
    assert.match(itemText(), /^\$\(flame\) /, 'overdue');
    await until(() => two.inputBox.value === '#102 ', `the commit box, now ${JSON.stringify(two.inputBox.value)}`);
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.stopWork'), true);
    await until(() => api.branchTask.shown === undefined, 'the item to hide after Stop Work');
    assert.equal(two.state.HEAD?.name, 'feature/T102', 'the branch stays');
    await until(() => two.inputBox.value === '', 'the prefix to go');
  });

  it('a branch of a task the user cannot see says "not found or not visible"', async () => {
    await inFront(two);
    await two.createBranch('task/999-gone', true);
    await until(() => api.branchTask.shown?.taskId === 999, 'task 999 from the branch name');
    await until(() => itemText() === '$(warning) #999', `the warning, now ${itemText()}`);
    assert.match(tooltipOf(), /not found or not visible/);
  });

  it('Stop Work pressed while Start Work is still starting the task and its timer stops that timer', async () => {
    const settings = vscode.workspace.getConfiguration('bitrix24Tasks');
    await settings.update('startWork.startTimer', true, vscode.ConfigurationTarget.Global);
    try {
      await inFront(one);
      const starting = vscode.commands.executeCommand<string | undefined>('bitrix24Tasks.startWork', 107);
      // The item shows once the branch is checked out, before the task and its timer are started.
      await until(() => api.branchTask.shown?.taskId === 107, 'the item to show task 107');
      assert.equal(portal.cards.timerOf(1), undefined, 'no timer yet');
      assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.stopWork'), true);
      assert.equal(await starting, 'task/107-obnovit-sertifikaty');
      assert.equal(portal.cards.timerOf(1), undefined, 'no timer left running');
      const timer = portal.requests.flatMap(batchCommandsOf).map((command) => command.method.toLowerCase()).filter((method) => method.endsWith('timer'));
      assert.deepEqual(timer, ['tasks.task.starttimer', 'tasks.task.pausetimer'], 'the timer started, then stopped');
    } finally {
      await settings.update('startWork.startTimer', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
