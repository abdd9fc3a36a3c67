/**
 * The tasks behind the numbers, inside a real VS Code extension host against the sandbox
 * portal: "Overdue" and "New comments" expanded through the workbench (`TreeView.reveal`),
 * their task rows, the lists riding in the counters' one batch request while a row is
 * expanded and never after it collapsed, and the task links the rows open and copy.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Bitrix24TasksApi } from '../../src/extension';
import type { CountersSnapshot } from '../../src/core/countersState';
import { batchCommandsOf, SandboxPortal, type BatchCommand, type RequestLogEntry } from '../sandbox';
import { captureOpenExternal, extensionUnderTest, testHandles, until, waitForState } from './support';

const SECRET = 'sandboxsecret0001';
const LIST_METHOD = 'tasks.task.list';

let api: Bitrix24TasksApi;
let portal: SandboxPortal;
let opened: string[];
let restoreOpenExternal: (() => void) | undefined;

function waitFor(predicate: (s: CountersSnapshot) => boolean, what: string): Promise<CountersSnapshot> {
  return waitForState(api, predicate, what);
}

function counterRow(counter: string): vscode.TreeItem {
  const row = api.view.provider.getChildren().find((item) => item.id === `counter:${counter}`);
  assert.ok(row, `no counter:${counter} row`);
  return row;
}

/**
 * Expands or collapses one counter row as the workbench does: `reveal` (with a focus and
 * `list.collapse` to collapse, as a click on the twistie). VS Code drops a reveal that meets a
 * refresh of the tree ("the extension could have changed the tree during the reveal"), so it
 * is tried again until the tree view reports the row expanded or collapsed: for 30 s, past the
 * poll an expanded row asks for (the request gate may hold it 15 s).
 */
async function toggle(counter: string, to: 'expand' | 'collapse'): Promise<void> {
  const id = `counter:${counter}`;
  const seen: string[] = [];
  const event = to === 'expand' ? api.view.treeView.onDidExpandElement : api.view.treeView.onDidCollapseElement;
  const listening = event(({ element }) => seen.push(String(element.id)));
  // Expanded, the workbench asks for the row's children, whether or not it also reports the
  // expansion (it does not for a row a dropped reveal already expanded).
  const provider = api.view.provider;
  if (to === 'expand') {
    provider.getChildren = (parent) => {
      if (parent?.id === id) seen.push(id);
      return Object.getPrototypeOf(provider).getChildren.call(provider, parent) as vscode.TreeItem[];
    };
  }
  try {
    for (let attempt = 1; ; attempt++) {
      if (to === 'expand') {
        await api.view.treeView.reveal(counterRow(counter), { expand: true, focus: false, select: false });
      } else {
        await api.view.treeView.reveal(counterRow(counter), { focus: true, select: true });
        await vscode.commands.executeCommand('list.collapse');
      }
      try {
        await until(() => seen.includes(id), `the ${counter} row to ${to}`, 2000);
        return;
      } catch (error) {
        if (attempt === 15) throw error;
      }
    }
  } finally {
    listening.dispose();
    delete (provider as Partial<typeof provider>).getChildren; // the prototype's again
  }
}

const expand = (counter: string): Promise<void> => toggle(counter, 'expand');
const collapse = (counter: string): Promise<void> => toggle(counter, 'collapse');

/** Opens a picker command and closes its quick pick (as Escape does) once it shows. */
async function openAndClose(command: string): Promise<void> {
  let closed = false;
  const picking = vscode.commands.executeCommand(command).then(() => (closed = true));
  const deadline = Date.now() + 8000;
  while (!closed) {
    if (Date.now() > deadline) throw new Error(`${command}: its picker did not close`);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await picking;
}

/** The rows under a counter row, once its tasks (not "Loading tasks…") are there. */
async function taskRowsOf(counter: 'expired' | 'new_comments'): Promise<vscode.TreeItem[]> {
  await waitFor((s) => s.taskLists?.[counter] !== undefined, `the ${counter} tasks`);
  return api.view.provider.getChildren(counterRow(counter));
}

/** The `tasks.task.list` commands one logged request carried in its batch. */
function listCommands(entry: RequestLogEntry): BatchCommand[] {
  return batchCommandsOf(entry).filter((command) => command.method === LIST_METHOD);
}

/** A list command's `filter` keys: which list it is. */
function filterKeys(command: BatchCommand): string[] {
  const filter = command.params.filter;
  return typeof filter === 'object' && filter !== null ? Object.keys(filter) : [];
}

/** Runs a refresh and resolves with every request it made (the poll's, and only it). */
async function requestsOfOnePoll(): Promise<readonly RequestLogEntry[]> {
  portal.clearLog();
  const before = api.state.snapshot.updatedAt;
  // A refresh while a run ends comes right after it: wait for its own answer.
  await vscode.commands.executeCommand('bitrix24Tasks.refresh');
  await waitFor((s) => s.updatedAt !== before && !s.loading, 'the poll to end');
  return portal.requests;
}

function tooltipOf(item: vscode.TreeItem): string {
  const tooltip = item.tooltip;
  return typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '';
}

function iconOf(item: vscode.TreeItem): string | undefined {
  return item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
}

describe('The tasks behind the numbers (extension host)', function () {
  before(async () => {
    api = testHandles(await extensionUnderTest().activate());
  });

  beforeEach(async () => {
    portal = await SandboxPortal.start();
    // Every URL the extension opens lands here instead of in a browser.
    ({ opened, restore: restoreOpenExternal } = captureOpenExternal());
    const ok = await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', portal.webhookUrl(1));
    assert.equal(ok, true, 'connect reported failure');
    await waitFor((s) => s.counters !== undefined && !s.loading, 'the first counters');
    // A row asks for its tasks only while the view is visible.
    await vscode.commands.executeCommand('bitrix24Tasks.counters.focus');
    await until(() => api.view.treeView.visible, 'the Counters view to be visible');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.actions.treeView.bitrix24Tasks.counters.collapseAll');
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    restoreOpenExternal?.();
    assert.ok(!JSON.stringify(api.state.snapshot).includes(SECRET), 'the secret is in the state');
    assert.ok(!opened.some((url) => url.includes(SECRET)), 'an opened URL holds the secret');
    await portal.close();
  });

  it('asks for no task list while no row is expanded', async () => {
    const requests = await requestsOfOnePoll();
    assert.equal(requests.length, 1, 'one request per poll');
    assert.deepEqual(listCommands(requests[0]), [], 'no tasks.task.list while nothing shows tasks');
  });

  it('expands "Overdue" into its tasks, carried in the one batch of the poll', async () => {
    portal.clearLog();
    await expand('expired');
    const rows = await taskRowsOf('expired');
    assert.deepEqual(rows.map((row) => row.id), ['task:expired:102', 'task:expired:101'], 'the most overdue first');
    assert.deepEqual(rows.map((row) => row.label), ['Update the release checklist', 'Исправить оплату картой']);
    assert.deepEqual(rows.map((row) => row.description), ['2 days overdue', '3 hours overdue']);
    assert.deepEqual(rows.map(iconOf), ['circle-large-outline', 'play-circle'], 'pending, in progress');
    assert.deepEqual(rows.map((row) => row.contextValue), ['task', 'task'], 'Copy Task Link in the context menu');
    assert.deepEqual(rows[1].command, { command: 'bitrix24Tasks.showTask', title: 'Open Task', arguments: [101] }, 'its tab (openTasksIn: editor)');
    assert.ok(rows[1].tooltip instanceof vscode.MarkdownString, 'a markdown tooltip');
    const tooltip = tooltipOf(rows[1]);
    assert.match(tooltip, /^\*\*Исправить оплату картой\*\* #101\n\n/);
    assert.match(tooltip, /^Responsible: Anna Smirnova {2}$/m);
    assert.match(tooltip, /^Group: Website relaunch {2}$/m);
    assert.match(tooltip, /^Deadline: .*\d.* {2}$/m);
    assert.match(tooltip, /^Status: In progress {2}$/m);
    assert.match(tooltipOf(rows[0]), /^Responsible: Viktor Orlov {2}$/m);

    // Expanding asked for the list at once, in a batch with the counters: one request.
    const expanded = portal.requests.filter((entry) => listCommands(entry).length > 0);
    assert.equal(expanded.length, 1, `one request carried the list: ${JSON.stringify(portal.requests.map((r) => r.method))}`);
    assert.equal(expanded[0].method, 'batch');
    assert.ok(filterKeys(listCommands(expanded[0])[0]).includes('<DEADLINE'), 'the overdue list');

    const poll = await requestsOfOnePoll();
    assert.equal(poll.length, 1, 'still one request per poll');
    assert.equal(poll[0].method, 'batch');
    assert.equal(listCommands(poll[0]).length, 1, 'the overdue list rides in the batch');
    assert.ok(batchCommandsOf(poll[0]).some((command) => command.method === 'tasks.task.counters.get'), 'with the counters');
  });

  it('carries both lists in the one batch while both rows are expanded, and none after they collapse', async () => {
    await expand('expired');
    await expand('new_comments');
    const comments = await taskRowsOf('new_comments');
    assert.deepEqual(comments.map((row) => row.id).sort(),
      ['task:new_comments:101', 'task:new_comments:103', 'task:new_comments:104', 'task:new_comments:105']);
    const card = comments.find((row) => row.id === 'task:new_comments:101');
    assert.equal(card?.description, '2 new comments');
    assert.equal(comments.find((row) => row.id === 'task:new_comments:103')?.description, '1 new comment');

    for (let poll = 0; poll < 3; poll++) {
      const requests = await requestsOfOnePoll();
      assert.equal(requests.length, 1, `poll ${poll + 1}: one request`);
      assert.equal(listCommands(requests[0]).length, 2, `poll ${poll + 1}: both lists in the batch`);
    }

    // Collapse All from the keyboard (the view shows no such button): the command returns
    // before the extension hears of the collapse, so wait for both rows' collapse events.
    const collapsed = new Set<string>();
    const listening = api.view.treeView.onDidCollapseElement(({ element }) => collapsed.add(String(element.id)));
    try {
      await api.view.treeView.reveal(counterRow('expired'), { focus: true, select: true });
      await vscode.commands.executeCommand('list.collapseAll');
      await until(() => collapsed.has('counter:expired') && collapsed.has('counter:new_comments'), 'both rows to collapse');
    } finally {
      listening.dispose();
    }
    for (let poll = 0; poll < 2; poll++) {
      const requests = await requestsOfOnePoll();
      assert.equal(requests.length, 1, `after collapsing, poll ${poll + 1}: one request`);
      assert.deepEqual(listCommands(requests[0]), [], `after collapsing, poll ${poll + 1}: no task list`);
    }
  });

  it('stops asking for a list when its row collapses, and asks for the other one still shown', async () => {
    await expand('expired');
    await expand('new_comments');
    await taskRowsOf('new_comments');
    await taskRowsOf('expired');
    await collapse('expired');
    const requests = await requestsOfOnePoll();
    assert.equal(requests.length, 1);
    const lists = listCommands(requests[0]);
    assert.equal(lists.length, 1, 'only the list still shown');
    assert.ok(filterKeys(lists[0]).includes('WITH_COMMENT_COUNTERS'), 'the new-comments list');
  });

  it('asks for a list again when its row is expanded again, at once or after a poll', async () => {
    await expand('expired');
    await taskRowsOf('expired');
    // Expanded again before the tree refreshed: the workbench shows the rows it kept and
    // does not ask for them; the list must still ride in the next poll.
    await collapse('expired');
    await expand('expired');
    let requests = await requestsOfOnePoll();
    assert.equal(requests.length, 1);
    assert.equal(listCommands(requests[0]).length, 1, 'expanded again at once: the list is in the batch');

    await collapse('expired');
    assert.deepEqual(listCommands((await requestsOfOnePoll())[0]), [], 'collapsed: no list');
    await expand('expired');
    requests = await requestsOfOnePoll();
    assert.equal(requests.length, 1);
    assert.equal(listCommands(requests[0]).length, 1, 'expanded again after a poll: the list is back in the batch');
  });

  it('after a 503 with Retry-After: 600, expanding Overdue and opening the pickers ask nothing; only Refresh does', async function () {
    this.timeout(90_000); // two explicit asks, a gate spacing apart (generous: the real 15 s)
    portal.inject('queryLimit', { retryAfterSeconds: 600, times: 1 });
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    const failed = await waitFor((s) => s.error?.failure.kind === 'rateLimited' && s.nextPollAt !== undefined, 'the 503');
    const retryAt = failed.nextPollAt!;
    assert.ok(retryAt >= Date.now() + 590_000, `the retry in ${retryAt - Date.now()} ms`);
    portal.clearLog();
    // Any run started would clear the next poll time at once (and a request follows a run).
    const seen: Array<number | undefined> = [];
    const off = api.state.subscribe((s) => seen.push(s.nextPollAt));
    try {
      for (let i = 0; i < 3; i++) {
        await expand('expired');
        await collapse('expired');
      }
      await expand('expired');
      const [loading] = api.view.provider.getChildren(counterRow('expired'));
      assert.equal(loading.label, 'Loading tasks…');
      assert.match(String(loading.description), /^Retrying at /, 'the row says when its tasks come');
      for (const picker of ['bitrix24Tasks.selectRole', 'bitrix24Tasks.openTask', 'bitrix24Tasks.selectGroup']) await openAndClose(picker);
      assert.deepEqual(seen.filter((at) => at !== retryAt), [], 'the poll stayed where the portal put it');
      assert.deepEqual(portal.requests.map((r) => r.method), [], 'no request');
    } finally {
      off();
    }
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    assert.equal(portal.requests.length, 1, 'Refresh asks before the portal\'s time');
    await waitFor((s) => s.error === undefined && s.taskLists?.expired !== undefined, 'the answer, with the list');
  });

  it('opens a task from its row (openTasksIn: browser) at its group\'s address, and any other id at the user\'s', async () => {
    const config = vscode.workspace.getConfiguration('bitrix24Tasks');
    await config.update('openTasksIn', 'browser', vscode.ConfigurationTarget.Global);
    try {
      await expand('expired');
      const row = (await taskRowsOf('expired')).find((item) => item.id === 'task:expired:101');
      assert.deepEqual(row?.command, { command: 'bitrix24Tasks.openTask', title: 'Open Task in Browser', arguments: [101] });
      const ok = await vscode.commands.executeCommand<boolean>(row.command.command, ...(row.command.arguments ?? []));
      assert.equal(ok, true);
    } finally {
      await config.update('openTasksIn', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.deepEqual(opened, [`${portal.origin}/workgroups/group/7/tasks/task/view/101/`]);

    // Not in a list: the portal finds any task under the user's own path.
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.openTask', 4242), true);
    assert.equal(opened[1], `${portal.origin}/company/personal/user/1/tasks/task/view/4242/`);
    assert.equal(opened.length, 2);
  });

  it('copies the exact task link from the row\'s context menu', async () => {
    await expand('expired');
    const rows = await taskRowsOf('expired');
    // The context menu passes the row itself.
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('bitrix24Tasks.copyTaskLink', rows.find((item) => item.id === 'task:expired:102'));
    assert.equal(await vscode.env.clipboard.readText(), `${portal.origin}/workgroups/group/12/tasks/task/view/102/`);
    await vscode.commands.executeCommand('bitrix24Tasks.copyTaskLink', rows.find((item) => item.id === 'task:expired:101'));
    assert.equal(await vscode.env.clipboard.readText(), `${portal.origin}/workgroups/group/7/tasks/task/view/101/`);
    assert.deepEqual(opened, [], 'copying opens nothing');
  });
});
