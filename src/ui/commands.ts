/**
 * The palette commands. Each takes an optional argument (a role, a group id, a counter, a
 * task id, a webhook URL) so tree items, tooltip links and tests can skip the pickers.
 */
import * as vscode from 'vscode';
import { isKnownCounter, isRole, ROLES, Role } from '../core/counters';
import { CountersPoller } from '../core/countersPoller';
import { CountersState } from '../core/countersState';
import { iconsAsText, inert, sentence } from '../core/portalText';
import { PortalLink, taskLink, taskListLink } from '../core/taskListLink';
import { WebhookUrl } from '../core/webhookUrl';
import { COMMANDS } from './commandIds';
import { pickTask } from './goToTask';
import { onChoice } from './notifier';
import { copyPortalLink, openPortalLink } from './portalLinks';
import { OpenTasksIn, writeFilter } from './settings';
import { WebhookStore } from './webhookStore';
import { counterLabel, counterList, counterPhrase, failureSentence, roleDescription, roleLabel } from './words';

export interface CommandDeps {
  readonly state: CountersState;
  readonly poller: CountersPoller;
  readonly store: WebhookStore;
  readonly log: vscode.LogOutputChannel;
  /** Where a task chosen in Go to Task opens: the current setting. */
  readonly openTasksIn: () => OpenTasksIn;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.connect, (url?: unknown) => connect(deps, url)),
    vscode.commands.registerCommand(COMMANDS.disconnect, () => disconnect(deps)),
    vscode.commands.registerCommand(COMMANDS.refresh, () => deps.poller.refresh()),
    vscode.commands.registerCommand(COMMANDS.selectRole, (role?: unknown) => selectRole(deps, role)),
    vscode.commands.registerCommand(COMMANDS.selectGroup, (groupId?: unknown) => selectGroup(deps, groupId)),
    vscode.commands.registerCommand(COMMANDS.openTaskList, (counter?: unknown) => openTaskList(deps, counter)),
    vscode.commands.registerCommand(COMMANDS.openTask, (taskId?: unknown) => openTask(deps, taskId)),
    vscode.commands.registerCommand(COMMANDS.copyTaskLink, (task?: unknown) => copyTaskLink(deps, task)),
    vscode.commands.registerCommand(COMMANDS.showLog, () => deps.log.show()),
  ];
}

async function connect(deps: CommandDeps, argument: unknown): Promise<boolean> {
  const text = typeof argument === 'string' ? argument : await askForWebhook();
  if (text === undefined) return false;
  const parsed = WebhookUrl.parse(text);
  if (!parsed.ok) {
    void vscode.window.showErrorMessage(vscode.l10n.t(parsed.message));
    return false;
  }
  const { webhook } = parsed;
  const verified = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking the webhook at {0}…', webhook.origin) },
    () => deps.poller.verify(webhook),
  );
  if (!verified.ok) {
    deps.log.warn(`Connect to ${webhook.redacted} failed: ${verified.error.kind}: ${verified.error.detail}`);
    const message = vscode.l10n.t('Could not connect to {0}: {1}', webhook.origin, inert(failureSentence(verified.error)));
    onChoice(vscode.window.showErrorMessage(message, vscode.l10n.t('Try Again')), () => vscode.commands.executeCommand(COMMANDS.connect));
    return false;
  }
  await deps.store.save(webhook);
  deps.poller.connect(webhook, 'stored', verified.value);
  const name = verified.value.user?.ok ? verified.value.user.value.name : sentence`#${webhook.userId}`;
  deps.log.info(`Connected to ${webhook.redacted} as ${name}`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0} as {1}.', webhook.origin, inert(name)));
  return true;
}

function askForWebhook(): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Connect to Bitrix24'),
    prompt: vscode.l10n.t(
      'Paste an inbound webhook URL. Create one in Bitrix24 under Developer resources → Other → Inbound webhook, with the scopes task (counters, tasks, the task tab), user (your name; optional), sonet (groups; optional) and im (comments of new task cards).',
    ),
    placeHolder: vscode.l10n.t('https://your-portal.bitrix24.com/rest/1/abc123xyz/'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => {
      const parsed = WebhookUrl.parse(value);
      return parsed.ok || parsed.problem === 'empty' ? undefined : vscode.l10n.t(parsed.message);
    },
  });
}

async function disconnect(deps: CommandDeps): Promise<void> {
  const fromEnvironment =
    deps.state.snapshot.connection.kind === 'connected' && deps.state.snapshot.connection.source === 'environment';
  await deps.store.clear();
  deps.poller.disconnect();
  deps.log.info('Disconnected');
  void vscode.window.showInformationMessage(
    fromEnvironment
      ? vscode.l10n.t('Disconnected for this session. The webhook comes from BITRIX24_WEBHOOK_URL; unset it to stay disconnected.')
      : vscode.l10n.t('Disconnected from Bitrix24. The webhook was removed from this computer.'),
  );
}

async function selectRole(deps: CommandDeps, argument: unknown): Promise<void> {
  if (argument !== undefined) {
    if (isRole(argument)) await writeFilter('role', argument);
    else void vscode.window.showErrorMessage(vscode.l10n.t('Unknown role: {0}', inert(JSON.stringify(argument))));
    return;
  }
  const picker = vscode.window.createQuickPick<vscode.QuickPickItem & { role: Role }>();
  picker.title = vscode.l10n.t('Switch Role');
  picker.placeholder = vscode.l10n.t('Whose tasks to count');
  const fill = () => {
    const { filters, byRole, loading } = deps.state.snapshot;
    picker.busy = loading;
    picker.items = ROLES.map((role) => {
      const counts = byRole?.[role];
      const pending = counts?.ok ? counts.value.counters.filter((c) => c.count > 0) : [];
      const details = counts?.ok
        ? iconsAsText(counterList(pending, (c) => counterPhrase(c.name, c.count)).join(', ')) || vscode.l10n.t('nothing pending')
        : roleDescription(role);
      return {
        role,
        label: `${role === filters.role ? '$(check) ' : ''}${roleLabel(role)}`,
        description: details,
        detail: counts?.ok ? roleDescription(role) : undefined,
      };
    });
    picker.activeItems = picker.items.filter((item) => item.role === filters.role);
  };
  fill();
  const unsubscribe = deps.state.subscribe(fill);
  // All five roles come from the poll's single batch request: fresh counts as soon as allowed.
  deps.poller.askSoon();
  const chosen = await new Promise<Role | undefined>((resolve) => {
    picker.onDidAccept(() => resolve(picker.selectedItems[0]?.role));
    picker.onDidHide(() => resolve(undefined));
    picker.show();
  });
  unsubscribe();
  picker.dispose();
  if (chosen) await writeFilter('role', chosen);
}

async function selectGroup(deps: CommandDeps, argument: unknown): Promise<void> {
  if (argument !== undefined) {
    const id = Number(argument);
    if (Number.isInteger(id) && id >= 0) await writeFilter('groupId', id);
    else void vscode.window.showErrorMessage(vscode.l10n.t('Not a group id: {0}', inert(JSON.stringify(argument))));
    return;
  }
  type GroupPick = vscode.QuickPickItem & { groupId?: number };
  const current = deps.state.snapshot.filters.groupId;
  const typeId: GroupPick = { label: `$(edit) ${vscode.l10n.t('Enter a group ID…')}` };
  const items = vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading your groups…') },
    () => deps.poller.listGroups(),
  ).then((groups): GroupPick[] => {
    if (!groups.ok) {
      void vscode.window.showWarningMessage(
        groups.error.kind === 'scope'
          ? vscode.l10n.t('The webhook lacks the "sonet" scope, so your groups cannot be listed. Add it in Bitrix24, or enter a group ID.')
          : inert(failureSentence(groups.error)),
      );
    }
    const all: GroupPick = { label: vscode.l10n.t('All groups'), groupId: 0 };
    const list = groups.ok
      ? groups.value.map((g): GroupPick => ({ label: iconsAsText(g.name), description: `#${g.id}`, groupId: g.id }))
      : [];
    return [all, ...list, typeId].map((item) =>
      item.groupId === current ? { ...item, label: `$(check) ${item.label}` } : item,
    );
  });
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Switch Group'),
    placeHolder: vscode.l10n.t('Count tasks of which workgroup or project'),
  });
  if (!picked) return;
  const groupId = picked === typeId ? await askForGroupId() : picked.groupId;
  if (groupId !== undefined) await writeFilter('groupId', groupId);
}

async function askForGroupId(): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Switch Group'),
    prompt: vscode.l10n.t('The workgroup or project ID, as in its address: /workgroups/group/ID/. 0 for all groups.'),
    validateInput: (value) => (/^\s*\d+\s*$/.test(value) ? undefined : vscode.l10n.t('Enter a whole number.')),
  });
  return text === undefined ? undefined : Number(text.trim());
}

/**
 * The argument is a counter name (tree rows, tests) or a row of the "By role" node (its
 * context menu); without one, the list for the current filters.
 */
async function openTaskList(deps: CommandDeps, argument: unknown): Promise<boolean> {
  const { connection, filters, counters } = deps.state.snapshot;
  if (connection.kind !== 'connected') {
    return (await vscode.commands.executeCommand<boolean>(COMMANDS.connect)) === true;
  }
  const { counter: rowCounter, role } = (argument ?? {}) as { counter?: unknown; role?: unknown };
  const counter = typeof argument === 'string' ? argument : typeof rowCounter === 'string' ? rowCounter : undefined;
  const shown = counters?.counters.find((c) => c.name === counter);
  const url = taskListLink({
    portalOrigin: connection.portal,
    userId: filters.userId || connection.webhookUserId,
    groupId: filters.groupId,
    role: isRole(role) ? role : filters.role,
    counter,
    counterCode: shown?.code,
  });
  if (!url) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The task list cannot be opened: the user or group ID in the settings is not a valid ID.'));
    return false;
  }
  const label = shown ? counterLabel(shown.name) : counter !== undefined && isKnownCounter(counter) ? counterLabel(counter) : undefined;
  deps.log.info(`Opening the task list${label ? ` (${label})` : ''}: ${url}`);
  return openPortalLink(url);
}

/**
 * "Go to Task…": without an argument, the picker, and the chosen task opens where
 * `openTasksIn` says (its tab, or its page); with a task id (tree rows set to the browser,
 * tests), its page. A task in a list opens under its group, any other id under the user, where
 * the portal finds it too.
 */
async function openTask(deps: CommandDeps, argument: unknown): Promise<boolean> {
  if (deps.state.snapshot.connection.kind !== 'connected') {
    return (await vscode.commands.executeCommand<boolean>(COMMANDS.connect)) === true;
  }
  const taskId = argument === undefined ? await pickTask(deps.state, deps.poller) : Number(argument);
  if (taskId === undefined) return false;
  if (argument === undefined && deps.openTasksIn() === 'editor') {
    return (await vscode.commands.executeCommand<boolean>(COMMANDS.showTask, taskId)) === true;
  }
  const url = taskUrl(deps, taskId);
  if (!url) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Not a task id: {0}', inert(JSON.stringify(argument ?? taskId))));
    return false;
  }
  deps.log.info(`Opening task #${taskId}: ${url}`);
  return openPortalLink(url);
}

/** From a task row's context menu (the row carries its task), or with a task id. */
async function copyTaskLink(deps: CommandDeps, argument: unknown): Promise<void> {
  const taskId = Number((argument as { task?: { id?: unknown } } | undefined)?.task?.id ?? argument);
  const url = taskUrl(deps, taskId);
  if (!url) return;
  await copyPortalLink(url);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Task link copied'), 3000);
}

function taskUrl(deps: CommandDeps, taskId: number): PortalLink | undefined {
  const { connection, taskLists } = deps.state.snapshot;
  if (connection.kind !== 'connected') return undefined;
  const listed = Object.values(taskLists ?? {})
    .flatMap((list) => (list.ok ? list.value.tasks : []))
    .find((task) => task.id === taskId);
  return taskLink({ portalOrigin: connection.portal, userId: connection.webhookUserId, groupId: listed?.group?.id, taskId });
}
