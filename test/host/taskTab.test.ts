/**
 * The task tab inside a real VS Code extension host against the sandbox portal: opened by id,
 * one tab per task, its title and status from the card, a comment posted through it, a
 * completion the portal sends for approval, and messages the tab must refuse. The page itself
 * runs in a webview the host cannot click into: the tests read the view the tab last sent
 * (`TaskTab.lastView`) and send what the page would (`TaskTab.receive`).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Bitrix24TasksApi } from '../../src/extension';
import type { TaskTab } from '../../src/ui/taskTab/taskTabs';
import type { CardView, TaskView } from '../../src/ui/taskTab/protocol';
import { SandboxPortal } from '../sandbox';
import { captureOpenExternal, extensionUnderTest, testHandles, until, waitForState } from './support';

const SECRET = 'sandboxsecret0001';
const TASK = 101;

let api: Bitrix24TasksApi;
let portal: SandboxPortal;
let opened: string[];
let restoreOpenExternal: (() => void) | undefined;

function tab(): TaskTab {
  const open = api.taskTabs.tabs.get(TASK);
  assert.ok(open, `no tab for #${TASK}`);
  return open;
}

/** The card the tab shows, once it satisfies `ready`. */
function shownCard(ready: (card: CardView, view: TaskView) => boolean, what: string): Promise<CardView> {
  return until(() => {
    const view = tab().lastView;
    return view?.body.kind === 'card' && ready(view.body.card, view) ? view.body.card : undefined;
  }, what);
}

describe('The task tab (extension host)', function () {
  before(async () => {
    api = testHandles(await extensionUnderTest().activate());
  });

  beforeEach(async () => {
    portal = await SandboxPortal.start();
    // Every URL the extension opens lands here instead of in a browser.
    ({ opened, restore: restoreOpenExternal } = captureOpenExternal());
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', portal.webhookUrl(1)), true);
    await waitForState(api, (s) => s.counters !== undefined && !s.loading, 'the first counters');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await until(() => api.taskTabs.tabs.size === 0, 'the tabs to close');
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    restoreOpenExternal?.();
    assert.ok(!JSON.stringify(api.state.snapshot).includes(SECRET), 'the secret is in the state');
    assert.ok(!opened.some((url) => url.includes(SECRET)), 'an opened URL holds the secret');
    await portal.close();
  });

  it('opens a task by id in one tab, titled "#ID title", with the status and description from the card', async () => {
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.showTask', TASK), true);
    const card = await shownCard(() => true, 'the card');
    assert.equal(tab().panel.title, `#${TASK} Исправить оплату картой`);
    assert.equal(card.status, 'In progress');
    assert.ok(card.description.length > 0, 'a description');
    assert.ok(card.actions.some((a) => a.action === 'complete'), 'Complete is offered');
    assert.equal(await vscode.commands.executeCommand<boolean>('bitrix24Tasks.showTask', `#${TASK}`), true);
    assert.equal(api.taskTabs.tabs.size, 1, 'the same tab again');
  });

  it('posts a comment through the tab, once, and shows it at the bottom', async () => {
    await vscode.commands.executeCommand('bitrix24Tasks.showTask', TASK);
    const before = await shownCard((c) => c.comments.kind === 'shown', 'the comments');
    const count = before.comments.kind === 'shown' ? before.comments.items.length : 0;
    portal.clearLog();
    const text = 'Posted from the task tab';
    // Two presses while the first is in flight: one write.
    await Promise.all([tab().receive({ type: 'comment', text }), tab().receive({ type: 'comment', text })]);
    assert.equal(tab().lastView?.notice?.kind, 'done', tab().lastView?.notice?.text);
    const after = await shownCard((c) => c.comments.kind === 'shown' && c.comments.items.length > count, 'the new comment');
    assert.ok(after.comments.kind === 'shown');
    assert.equal(after.comments.items.length, count + 1, 'posted once');
    assert.deepEqual(after.comments.items.at(-1)?.body, [{ kind: 'text', text }]);
  });

  it('says "sent for approval" when Complete puts the task in awaiting control', async () => {
    await vscode.commands.executeCommand('bitrix24Tasks.showTask', TASK);
    await shownCard((c) => c.actions.some((a) => a.action === 'complete'), 'Complete offered');
    await tab().receive({ type: 'status', action: 'complete' });
    assert.match(tab().lastView?.notice?.text ?? '', /^Sent for approval/);
    await shownCard((c) => c.status === 'Awaiting review', 'the status the portal answered');
  });

  it('ignores messages that are not the tab\'s, and opens no link that is not http(s)', async () => {
    await vscode.commands.executeCommand('bitrix24Tasks.showTask', TASK);
    await shownCard(() => true, 'the card');
    for (const message of [{ type: 'eval', code: 'x' }, { type: 'status', action: 'delete' }, { type: 'openLink', href: 'javascript:alert(1)' }, { type: 'openLink', href: 'command:workbench.action.terminal.new' }]) {
      await tab().receive(message);
    }
    assert.deepEqual(opened, []);
    await tab().receive({ type: 'openUser', userId: 3 });
    assert.deepEqual(opened, [`${portal.origin}/company/personal/user/3/`]);
  });
});
