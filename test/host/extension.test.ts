/**
 * The extension inside a real VS Code extension host, against the sandbox portal: commands,
 * the status bar item, the tree and its badge, settings and SecretStorage, and error states.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Bitrix24TasksApi } from '../../src/extension';
import type { CountersSnapshot } from '../../src/core/countersState';
import { SandboxPortal } from '../sandbox';
import { extensionUnderTest, testHandles, until, waitForState } from './support';

const SECRET = 'sandboxsecret0001';

let api: Bitrix24TasksApi;
let portal: SandboxPortal;

/** Resolves once the extension's state satisfies `predicate`. */
function waitFor(predicate: (s: CountersSnapshot) => boolean, what: string, timeoutMs?: number): Promise<CountersSnapshot> {
  return waitForState(api, predicate, what, timeoutMs);
}

function treeItems(): vscode.TreeItem[] {
  return api.view.provider.getChildren();
}

function treeItem(id: string): vscode.TreeItem | undefined {
  return treeItems().find((item) => item.id === id);
}

function tooltipText(): string {
  const tooltip = api.statusBar.item.tooltip;
  return typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '';
}

async function connect(): Promise<void> {
  const ok = await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', portal.webhookUrl(1));
  assert.equal(ok, true, 'connect reported failure');
  await waitFor((s) => s.counters !== undefined, 'the first counters');
}

async function resetSettings(): Promise<void> {
  const config = vscode.workspace.getConfiguration('bitrix24Tasks');
  for (const key of ['role', 'groupId', 'userId', 'statusBar.counters', 'statusBar.hideWhenZero']) {
    await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    await config.update(key, undefined, vscode.ConfigurationTarget.Global);
  }
}

/** Everything a user or another extension can see, as text, to search for the secret. */
function visibleText(): string {
  return JSON.stringify({
    state: api.state.snapshot,
    text: api.statusBar.item.text,
    tooltip: tooltipText(),
    label: api.statusBar.item.accessibilityInformation,
    tree: treeItems().map((i) => ({ label: i.label, description: i.description, tooltip: i.tooltip })),
    settings: vscode.workspace.getConfiguration('bitrix24Tasks'),
  });
}

describe('Bitrix24 Task Counters in VS Code', function () {
  before(async () => {
    api = testHandles(await extensionUnderTest().activate());
  });

  // A fresh portal (default counters, no faults) and default settings for every test.
  beforeEach(async () => {
    portal = await SandboxPortal.start();
    await resetSettings();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    assert.ok(!visibleText().includes(SECRET), 'the secret is visible somewhere');
    await resetSettings();
    await portal.close();
  });

  it('invites to connect when no webhook is stored', async () => {
    await waitFor((s) => s.connection.kind === 'disconnected', 'disconnected');
    assert.equal(api.statusBar.item.text, '$(plug) Bitrix24');
    assert.equal((api.statusBar.item.command as string | undefined) ?? '', 'bitrix24Tasks.connect');
    assert.deepEqual(treeItems(), [], 'the tree must be empty so the welcome view shows');
    assert.equal(api.view.treeView.badge, undefined);
    assert.equal(await api.store.load(), undefined);
  });

  it('refuses a malformed webhook and stores nothing', async () => {
    const ok = await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', 'ftp://portal.example/rest/1/x/');
    assert.equal(ok, false);
    assert.equal(api.state.snapshot.connection.kind, 'disconnected');
    assert.equal(await api.store.load(), undefined);
  });

  it('refuses a webhook the portal rejects and stores nothing', async () => {
    const wrong = portal.webhookUrl(1).replace(SECRET, 'wrongsecret');
    const ok = await vscode.commands.executeCommand<boolean>('bitrix24Tasks.connect', wrong);
    assert.equal(ok, false);
    assert.equal(api.state.snapshot.connection.kind, 'disconnected');
    assert.equal(await api.store.load(), undefined);
  });

  it('connects, stores the webhook in SecretStorage only, and shows the counters', async () => {
    portal.clearLog();
    await connect();
    const stored = await api.store.load();
    assert.equal(stored?.source, 'stored');
    assert.equal(stored?.webhook.reveal(), portal.webhookUrl(1));
    assert.equal(portal.requests.filter((r) => r.method === 'batch').length, 1, 'connect checks with one request');

    assert.equal(api.statusBar.item.text, '$(flame) 2 $(comment-discussion) 5');
    assert.match(api.statusBar.item.accessibilityInformation?.label ?? '', /2 overdue, 5 new comments/);
    assert.deepEqual(api.statusBar.item.backgroundColor, new vscode.ThemeColor('statusBarItem.warningBackground'));
    assert.match(tooltipText(), /Anna Smirnova/);
    assert.match(tooltipText(), /command:bitrix24Tasks\.selectRole/);

    assert.equal(treeItem('counter:expired')?.description, '2');
    assert.equal(treeItem('counter:new_comments')?.description, '5');
    assert.equal(treeItem('filter:role')?.description, 'All my tasks');
    assert.equal(treeItem('filter:group')?.description, 'All groups');
    // Counters with tasks behind them expand into their tasks; the inline button opens the list.
    assert.equal(treeItem('counter:expired')?.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.equal(treeItem('counter:expired')?.contextValue, 'counter.expandable');
    assert.equal(treeItem('counter:expired')?.command, undefined);
    assert.equal(api.view.treeView.badge?.value, 7);
  });

  it('switches role through settings and shows that role at once', async () => {
    await connect();
    await vscode.commands.executeCommand('bitrix24Tasks.selectRole', 'view_role_originator');
    const inspected = vscode.workspace.getConfiguration('bitrix24Tasks').inspect('role');
    assert.equal(inspected?.workspaceValue, 'view_role_originator', 'a folder is open: the workspace setting is written');
    await waitFor((s) => s.filters.role === 'view_role_originator', 'the role filter');
    assert.equal(api.statusBar.item.text, '$(flame) 1 $(comment-discussion) 0');
    assert.equal(treeItem('filter:role')?.description, 'Set by me');
    assert.equal(api.view.treeView.badge?.value, 1);
  });

  it('switches group and names it', async () => {
    await connect();
    await vscode.commands.executeCommand('bitrix24Tasks.selectGroup', 7);
    const s = await waitFor((x) => x.filters.groupId === 7 && x.counters !== undefined && !x.loading, 'group 7 counters');
    assert.equal(s.groupName, 'Website relaunch');
    assert.equal(api.statusBar.item.text, '$(flame) 1 $(comment-discussion) 2');
    assert.equal(treeItem('filter:group')?.description, 'Website relaunch');
  });

  it('takes a hand-edited setting at once', async () => {
    await connect();
    await vscode.workspace
      .getConfiguration('bitrix24Tasks')
      .update('role', 'view_role_responsible', vscode.ConfigurationTarget.Workspace);
    await waitFor((s) => s.filters.role === 'view_role_responsible', 'the edited role');
    assert.equal(api.statusBar.item.text, '$(flame) 1 $(comment-discussion) 3');
  });

  it('a hand-edited group id past 2^53 is no id: all groups, and no request names it', async () => {
    await connect();
    const config = vscode.workspace.getConfiguration('bitrix24Tasks');
    await config.update('groupId', 1e20, vscode.ConfigurationTarget.Workspace);
    // A later change seen means the earlier one was handled (events come in order).
    await config.update('role', 'view_role_auditor', vscode.ConfigurationTarget.Workspace);
    const s = await waitFor((x) => x.filters.role === 'view_role_auditor', 'the edited role');
    assert.equal(s.filters.groupId, 0);
    assert.doesNotMatch(JSON.stringify(portal.requests), /1e\+?20|100000000000000000000/);
  });

  it('refreshes on command and shows new numbers and an unknown counter', async () => {
    await connect();
    portal.setCounters(1, { expired: 0, new_comments: 1, mentioned: 4, brand_new_counter: 2 });
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    await waitFor((s) => s.counters?.total === 7, 'the new counters');
    assert.equal(api.statusBar.item.text, '$(flame) 0 $(comment-discussion) 1 $(mention) 4');
    assert.equal(api.statusBar.item.backgroundColor, undefined, 'nothing overdue: no warning');
    assert.equal(treeItem('counter:brand_new_counter')?.description, '2');
    assert.equal(api.view.treeView.badge?.value, 1);
  });

  it('shows an auth error with Reconnect, keeps the last numbers as stale, and stops polling', async () => {
    await connect();
    portal.inject('invalidCredentials');
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    const s = await waitFor((x) => x.error !== undefined, 'the error');
    assert.equal(s.error?.failure.kind, 'auth');
    assert.equal(s.halted, true);
    assert.equal(s.nextPollAt, undefined, 'no retry is scheduled for an auth error');
    assert.equal(api.statusBar.item.text, '$(warning) $(flame) 2 $(comment-discussion) 5');
    assert.deepEqual(api.statusBar.item.backgroundColor, new vscode.ThemeColor('statusBarItem.errorBackground'));
    assert.equal(api.statusBar.item.command, 'bitrix24Tasks.connect');
    assert.match(tooltipText(), /Reconnect/);
    assert.equal(treeItem('error')?.command?.command, 'bitrix24Tasks.connect');
    assert.match(String(treeItem('counter:expired')?.description), /^2 \(as of .+\)$/);
    assert.equal(treeItem('error')?.label, 'Webhook not accepted');
    assert.equal(treeItem('error')?.description, 'Click to reconnect');
  });

  it('backs off on a rate limit and recovers on refresh when the fault clears', async () => {
    await connect();
    portal.inject('queryLimit');
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    const s = await waitFor((x) => x.error?.failure.kind === 'rateLimited', 'the rate limit');
    assert.equal(s.halted, false);
    assert.ok(s.nextPollAt !== undefined && s.nextPollAt > Date.now(), 'a retry is scheduled');
    assert.equal(treeItem('error')?.command?.command, 'bitrix24Tasks.refresh');
    assert.match(String(treeItem('error')?.description), /Retrying at/);
    portal.clearFaults();
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    await waitFor((x) => x.error === undefined, 'recovery');
    assert.equal(api.statusBar.item.text, '$(flame) 2 $(comment-discussion) 5');
  });

  it('explains an HTML login page instead of crashing', async () => {
    await connect();
    portal.inject('htmlLogin');
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    const s = await waitFor((x) => x.error !== undefined, 'the error');
    assert.equal(s.error?.failure.kind, 'notJson');
    assert.equal(treeItem('error')?.label, 'Not a Bitrix24 answer');
    const tooltip = treeItem('error')?.tooltip;
    assert.ok(typeof tooltip === 'string', 'the error item has a plain-text tooltip');
    assert.match(tooltip, /not Bitrix24 REST/);
    assert.match(api.statusBar.item.text, /^\$\(warning\)/);
  });

  it('stops on OVERLOAD_LIMIT and says, in the tree and the status bar, to ask Bitrix24 support', async () => {
    await connect();
    portal.inject('overloadLimit');
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    const s = await waitFor((x) => x.error !== undefined, 'the error');
    assert.equal(s.error?.failure.kind, 'blocked');
    assert.equal(s.halted, true);
    assert.equal(s.nextPollAt, undefined, 'no retry: waiting does not lift the block');
    assert.equal(treeItem('error')?.label, 'Blocked by Bitrix24');
    const rowTooltip = treeItem('error')?.tooltip;
    assert.ok(typeof rowTooltip === 'string', 'the error item has a plain-text tooltip');
    assert.match(rowTooltip, /ask Bitrix24 support/);
    assert.match(tooltipText(), /ask Bitrix24 support/);
    assert.match(api.statusBar.item.text, /^\$\(warning\)/);
  });

  it('says so when the group cannot be seen', async () => {
    await connect();
    await vscode.commands.executeCommand('bitrix24Tasks.selectGroup', 30);
    const s = await waitFor((x) => x.filters.groupId === 30 && x.error !== undefined, 'the access error');
    assert.equal(s.error?.failure.kind, 'access');
    assert.equal(s.counters, undefined, "no other group's numbers are shown");
    assert.equal(api.view.treeView.badge, undefined);
  });

  it('breaks the counters down by role, from the same single request', async () => {
    portal.clearLog();
    await connect();
    const byRole = treeItem('byRole');
    assert.ok(byRole, 'a "By role" node');
    assert.equal(byRole.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const roles = api.view.provider.getChildren(byRole);
    assert.deepEqual(
      roles.map((r) => r.id),
      ['role:view_all', 'role:view_role_responsible', 'role:view_role_accomplice', 'role:view_role_auditor', 'role:view_role_originator'],
    );
    assert.equal(roles[1].description, 'Overdue 1 · New comments 3');
    assert.deepEqual(roles[4].command?.arguments, ['view_role_originator']);
    assert.equal(roles[1].contextValue, 'role', 'has the inline "open task list" action');
    assert.equal(portal.requests.length, 1, 'all roles came with the one batch');
  });

  it('shows only the counters chosen for the status bar', async () => {
    await connect();
    const config = vscode.workspace.getConfiguration('bitrix24Tasks');
    await config.update('statusBar.counters', ['new_comments'], vscode.ConfigurationTarget.Global);
    assert.equal(api.statusBar.item.text, '$(comment-discussion) 5');
    await config.update('statusBar.hideWhenZero', true, vscode.ConfigurationTarget.Global);
    await config.update('statusBar.counters', ['mentioned'], vscode.ConfigurationTarget.Global);
    await until(() => api.statusBar.item.text === '$(tasklist) Bitrix24', 'no chosen counter in the answer');
  });

  it('disconnects: deletes the secret and returns every surface to "not connected"', async () => {
    await connect();
    portal.clearLog();
    await vscode.commands.executeCommand('bitrix24Tasks.disconnect');
    assert.equal(await api.store.load(), undefined);
    assert.equal(api.state.snapshot.connection.kind, 'disconnected');
    assert.equal(api.statusBar.item.text, '$(plug) Bitrix24');
    assert.deepEqual(treeItems(), []);
    assert.equal(api.view.treeView.badge, undefined);
    await vscode.commands.executeCommand('bitrix24Tasks.refresh');
    assert.equal(portal.requests.length, 0, 'no request after disconnect');
  });
});
