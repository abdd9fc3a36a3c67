/**
 * The composition root: webhook + settings → client → poller → state → status bar, tree and task tabs.
 */
import * as vscode from 'vscode';
import { systemClock } from './core/clock';
import { CountersClient } from './core/countersClient';
import { CountersPoller } from './core/countersPoller';
import { CountersSnapshot, CountersState } from './core/countersState';
import { SharedPoll } from './core/sharedPoll';
import { registerBranchCommands } from './ui/branches/branchCommands';
import { BranchTaskItem } from './ui/branches/branchTaskItem';
import { BranchTasks } from './ui/branches/branchTasks';
import { CommitPrefix } from './ui/branches/commitPrefix';
import { GitAccess } from './ui/branches/gitAccess';
import { CONNECTED_CONTEXT } from './ui/commandIds';
import { registerCommands } from './ui/commands';
import { CountersView } from './ui/countersTree';
import { logRequest } from './ui/requestLog';
import { onDidChangeSettings, readSettings } from './ui/settings';
import { RiseNotifier } from './ui/notifier';
import { CountersStatusBar } from './ui/statusBar';
import { CommentDrafts } from './ui/taskTab/drafts';
import { registerShowTask } from './ui/taskTab/showTask';
import { TaskTabs } from './ui/taskTab/taskTabs';
import { WebhookStore } from './ui/webhookStore';
import { ViewRenderer } from './ui/viewRenderer';
import { pauseWhileUnfocused } from './ui/windowFocus';

/**
 * What `activate` returns under test (`ExtensionMode.Test`) only: read-only handles for the
 * extension-host tests. Other extensions get nothing, so they cannot reach the secret.
 */
export interface Bitrix24TasksApi {
  readonly state: CountersState;
  readonly statusBar: CountersStatusBar;
  readonly view: CountersView;
  readonly store: WebhookStore;
  /** The open task tabs: each tab's last view (`lastView`) and the page's messages (`receive`). */
  readonly taskTabs: TaskTabs;
  /** The branch's task in the status bar: what it shows (`shown`) and its item. */
  readonly branchTask: BranchTaskItem;
  /** Where the log channel, the shared poll and VS Code's storage for us write files. */
  readonly folders: readonly string[];
}

export function activate(context: vscode.ExtensionContext): Bitrix24TasksApi | undefined {
  const activationStarted = performance.now();
  const log = vscode.window.createOutputChannel('Bitrix24 Tasks', { log: true });
  const settings = readSettings();
  const state = new CountersState(settings.filters);
  const poller = new CountersPoller(state, {
    intervalMs: settings.pollIntervalMs,
    createClient: (webhook) => new CountersClient(webhook, { onRequest: (entry) => logRequest(log, entry) }),
    shared: new SharedPoll(context.globalStorageUri.fsPath, systemClock, vscode.env.sessionId),
    onSharingError: (error) => log.warn(`Sharing the poll with other windows failed: ${String(error)}`),
    onNotice: (message) => log.warn(message),
    requestGapMs: requestGapUnderTest(context),
  });
  const store = new WebhookStore(context.secrets);
  const statusBar = new CountersStatusBar(settings.statusBar);
  let current = settings;
  const view = new CountersView(Date.now, (counters) => poller.showTaskLists(counters), () => current.openTasksIn);
  const taskTabs = new TaskTabs({
    source: poller,
    state,
    drafts: new CommentDrafts(context.globalState),
    extensionUri: context.extensionUri,
    readOnly: () => current.readOnly,
    log,
  });

  const git = new GitAccess(log);
  const branchTasks = new BranchTasks(context.workspaceState, settings.branches.taskIdPattern);
  const branchTask = new BranchTaskItem(git, branchTasks, poller, state, settings.statusBar);
  const commitPrefix = new CommitPrefix(git, branchTasks, () => current.branches.commitTemplate);

  let connected: boolean | undefined;
  let firstNumbersLogged = false;
  const render = (snapshot: CountersSnapshot) => {
    statusBar.render(snapshot);
    if (!firstNumbersLogged && snapshot.counters) {
      firstNumbersLogged = true;
      log.info(`First counters shown ${Math.round(performance.now() - activationStarted)} ms after activation`);
    }
    view.render(snapshot);
    if (connected !== (snapshot.connection.kind === 'connected')) {
      connected = snapshot.connection.kind === 'connected';
      vscode.commands.executeCommand('setContext', CONNECTED_CONTEXT, connected).then(undefined, (error: unknown) =>
        log.warn(`Setting the ${CONNECTED_CONTEXT} context failed: ${String(error)}`),
      );
    }
  };

  /**
   * Follows SecretStorage: at start, and when another window connects or disconnects. When it
   * cannot be read (a locked keyring), the window stays as it is and says so in the log.
   */
  const followStore = () =>
    store
      .load()
      .then((stored) => {
        if (!stored) {
          if (poller.webhook) poller.disconnect();
        } else if (!poller.webhook?.sameAs(stored.webhook)) {
          poller.connect(stored.webhook, stored.source);
        }
      })
      .catch((error: unknown) => log.warn(`Reading the stored webhook failed: ${String(error)}`));

  context.subscriptions.push(
    log,
    statusBar,
    view,
    taskTabs,
    registerShowTask(taskTabs, state),
    git,
    branchTasks,
    branchTask,
    commitPrefix,
    ...registerBranchCommands({
      state,
      source: poller,
      git,
      tasks: branchTasks,
      item: branchTask,
      settings: () => current.branches,
      taskInFront: () => [...taskTabs.tabs.values()].find((tab) => tab.panel.active)?.taskId,
      log,
    }),
    new ViewRenderer(state, render),
    { dispose: () => poller.dispose() },
    ...registerCommands({ state, poller, store, log, openTasksIn: () => current.openTasksIn }),
    onDidChangeSettings((changed) => {
      const rows = changed.openTasksIn !== current.openTasksIn;
      const readOnly = changed.readOnly !== current.readOnly;
      const commitTemplate = changed.branches.commitTemplate !== current.branches.commitTemplate;
      current = changed;
      branchTasks.setPattern(changed.branches.taskIdPattern);
      if (commitTemplate) commitPrefix.updateAll(true);
      if (rows) view.render(state.snapshot);
      if (readOnly) taskTabs.settingsChanged();
      statusBar.configure(changed.statusBar);
      poller.setIntervalMs(changed.pollIntervalMs);
      poller.setFilters(changed.filters);
    }),
    pauseWhileUnfocused(poller, () => current.pauseWhenUnfocusedMs),
    new RiseNotifier(state, () => current.notifyOnIncrease),
    store.onDidChange(() => void followStore()),
  );
  void followStore(); // never rejects
  log.info(`Activated in ${(performance.now() - activationStarted).toFixed(1)} ms`);
  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  const folders = [context.logUri, context.globalStorageUri, context.storageUri].flatMap((u) => (u ? [u.fsPath] : []));
  return { state, statusBar, view, store, taskTabs, branchTask, folders };
}

/**
 * The extension-host tests' request spacing (`B24_TEST_REQUEST_GAP_MS`, test mode only): at
 * the real 15 s their suite took over 20 minutes. The spacing itself is proven by the unit and
 * property tests on a fake clock, and the end-to-end suite runs the real one.
 */
function requestGapUnderTest(context: vscode.ExtensionContext): number | undefined {
  const gap = Number(process.env.B24_TEST_REQUEST_GAP_MS);
  return context.extensionMode === vscode.ExtensionMode.Test && gap > 0 ? gap : undefined;
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
