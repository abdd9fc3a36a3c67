/**
 * The task tabs: one webview panel per task, reused, restored after a window reload (the
 * webview's state names its task). While a tab is visible it holds its task in the poll
 * (`TaskCardSource.showTask`, reading its comments unless read-only); hidden or closed, it
 * lets go. It renders the card from the state, never the portal, and sends the user's writes
 * through the source: one at a time, never again by itself.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Connection, CountersState } from '../../core/countersState';
import { Outcome } from '../../core/outcome';
import { TaskCard, TaskCardSource, TaskWrite } from '../../core/taskCard';
import { diskFileLink, isId, markupLink, PortalLink, taskLink, userLink } from '../../core/taskListLink';
import { copyPortalLink, openPortalLink } from '../portalLinks';
import { CommentDrafts } from './drafts';
import { fromWebview } from './fromWebview';
import { shellHtml } from './html';
import { FromWebview, Notice, TaskView, ToWebview } from './protocol';
import { outcomeNotice, pendingNotice, tabWords } from './tabWords';
import { offered, taskView } from './taskView';

export const TASK_TAB_VIEW_TYPE = 'bitrix24Tasks.task';

export interface TaskTabsDeps {
  readonly source: TaskCardSource;
  readonly state: CountersState;
  readonly drafts: CommentDrafts;
  readonly extensionUri: vscode.Uri;
  readonly readOnly: () => boolean;
  readonly log: vscode.LogOutputChannel;
  readonly now?: () => number;
}

export class TaskTabs implements vscode.Disposable {
  /** The open tabs by task id (the extension-host tests read them). */
  readonly tabs = new Map<number, TaskTab>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly deps: TaskTabsDeps) {
    const unsubscribe = deps.state.subscribe(() => this.forEach((tab) => tab.update()));
    this.subscriptions = [
      vscode.window.registerWebviewPanelSerializer(TASK_TAB_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, saved: unknown) => {
          const taskId = (saved as { taskId?: unknown } | undefined)?.taskId;
          if (!isId(taskId) || this.tabs.has(taskId)) panel.dispose();
          else this.adopt(panel, taskId);
          return Promise.resolve();
        },
      }),
      { dispose: unsubscribe },
    ];
  }

  /** Opens the task's tab, or brings its open tab forward. */
  show(taskId: number): TaskTab {
    const open = this.tabs.get(taskId);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(TASK_TAB_VIEW_TYPE, `#${taskId}`, vscode.ViewColumn.Active, { enableFindWidget: true });
    return this.adopt(panel, taskId);
  }

  /** The read-only setting changed: actions, and whether showing reads the comments. */
  settingsChanged(): void {
    this.forEach((tab) => tab.update(true));
  }

  dispose(): void {
    this.forEach((tab) => {
      tab.panel.dispose();
    });
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private adopt(panel: vscode.WebviewPanel, taskId: number): TaskTab {
    const tab = new TaskTab(panel, taskId, this.deps, () => this.tabs.delete(taskId));
    this.tabs.set(taskId, tab);
    return tab;
  }

  private forEach(each: (tab: TaskTab) => void): void {
    for (const tab of [...this.tabs.values()]) each(tab);
  }
}

export class TaskTab {
  /** The view last sent to the page (the extension-host tests read it). */
  lastView: TaskView | undefined;
  private release: (() => void) | undefined;
  private heldReading: boolean | undefined;
  private pending: TaskWrite | undefined;
  private failed: TaskWrite | undefined;
  private notice: Notice | undefined;
  /** The card a write's answer returned, shown until the state's card for the task changes. */
  private answer: { readonly card: TaskCard; readonly over: Outcome<TaskCard> | undefined } | undefined;
  /** The comment box's text as the page last sent it. */
  private draft = '';
  private readonly subscriptions: vscode.Disposable[];
  /** The panel is disposed: nothing of it may be touched. */
  private closed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly taskId: number,
    private readonly deps: TaskTabsDeps,
    onClosed: () => void,
  ) {
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(deps.extensionUri, 'dist');
    const webview = panel.webview;
    webview.options = { enableScripts: true, enableCommandUris: false, enableForms: false, localResourceRoots: [dist, media] };
    webview.html = shellHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'taskTab.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'taskTab.css')).toString(),
      nonce: randomBytes(18).toString('base64url'),
      language: vscode.env.language,
      title: vscode.l10n.t('Bitrix24 task'),
    });
    panel.iconPath = vscode.Uri.joinPath(media, 'bitrix24-tasks.svg');
    this.subscriptions = [
      webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidChangeViewState(() => this.update()),
    ];
    panel.onDidDispose(() => {
      // Out of the map first: letting go of the card updates the state, whose listeners would
      // otherwise reach this tab's disposed panel (which throws) before it is forgotten.
      this.closed = true;
      onClosed();
      for (const subscription of this.subscriptions) subscription.dispose();
      this.letGo();
    });
    this.update();
  }

  /** A message from the page, checked first (the extension-host tests call it as the page would). */
  async receive(message: unknown): Promise<void> {
    const checked = fromWebview(message);
    if (!checked) {
      this.deps.log.warn(`Task tab #${this.taskId}: ignored a message that is not one of the tab's`);
      return;
    }
    await this.handle(checked);
  }

  /** Follows the state, the tab's visibility and (with `settings`) the read-only setting. */
  update(settings = false): void {
    if (this.closed) return;
    this.hold();
    this.render(settings);
  }

  private async handle(message: FromWebview): Promise<void> {
    const portal = this.connection();
    switch (message.type) {
      case 'ready':
        this.render(true);
        if (portal) this.post({ type: 'draft', text: this.deps.drafts.get(portal.portal, this.taskId) });
        return;
      case 'draft':
        this.draft = message.text;
        if (portal) await this.deps.drafts.set(portal.portal, this.taskId, message.text);
        return;
      case 'status':
        return this.write({ kind: 'status', taskId: this.taskId, action: message.action });
      case 'timer':
        return this.write({ kind: 'timer', taskId: this.taskId, start: message.start });
      case 'checklist':
        return this.write({ kind: 'checklist', taskId: this.taskId, itemId: message.itemId, done: message.done });
      case 'comment':
        this.draft = message.text;
        return this.write({ kind: 'comment', taskId: this.taskId, text: message.text });
      case 'tryAgain':
        // Only on the user's word; a comment goes with the box's text as it is now.
        if (this.failed) return this.write(this.failed.kind === 'comment' && this.draft.trim() ? { ...this.failed, text: this.draft } : this.failed);
        return;
      case 'openLink':
        return this.open(markupLink(message.href), 'a link that is not http(s), or holds credentials');
      case 'openUser':
        return this.open(portal && userLink(portal.portal, message.userId), 'a person');
      case 'openFile':
        return this.open(portal && diskFileLink(portal.portal, message.fileId), 'an attachment');
      case 'openInBitrix24':
        return this.open(this.link(), 'the task');
      case 'copyLink': {
        const link = this.link();
        if (!link) return;
        await copyPortalLink(link);
        vscode.window.setStatusBarMessage(vscode.l10n.t('Task link copied'), 3000);
        return;
      }
    }
  }

  /** One write at a time (two clicks send one), only what the card offers, never in read-only mode, never again by itself. */
  private async write(write: TaskWrite): Promise<void> {
    const card = this.card();
    if (this.pending || this.deps.readOnly() || !card?.ok || !offered(write, card.value)) return;
    this.pending = write;
    this.notice = pendingNotice(write);
    this.render();
    try {
      const outcome = await this.deps.source.write(write);
      this.notice = outcomeNotice(write, outcome);
      this.failed = outcome.ok ? undefined : write;
      if (outcome.ok && outcome.value.card) this.answer = { card: outcome.value.card, over: this.stateCard() };
      if (outcome.ok && write.kind === 'comment') {
        this.draft = '';
        this.post({ type: 'commentSent' }); // the box empties with the notice, not after the stored draft goes
        const portal = this.connection();
        if (portal) await this.deps.drafts.clear(portal.portal, this.taskId);
      }
      if (!outcome.ok) this.deps.log.warn(`Task #${this.taskId}: ${write.kind} failed: ${outcome.error.kind}: ${outcome.error.detail}`);
    } finally {
      this.pending = undefined;
      this.render();
    }
  }

  private hold(): void {
    const reading = !this.deps.readOnly();
    if (this.panel.visible && this.release && this.heldReading === reading) return;
    this.letGo();
    if (!this.panel.visible) return;
    this.heldReading = reading;
    this.release = this.deps.source.showTask(this.taskId, { readComments: reading });
  }

  private letGo(): void {
    this.release?.();
    this.release = undefined;
  }

  private render(force = false): void {
    if (this.closed) return; // a write answered after the tab was closed
    const card = this.card();
    this.panel.title = card?.ok ? `#${this.taskId} ${card.value.title}` : `#${this.taskId}`;
    // A hidden tab's page is gone (no retained context): it asks again ('ready') when shown.
    if (!this.panel.visible) return;
    const view = taskView(
      {
        taskId: this.taskId,
        connected: this.connection() !== undefined,
        card,
        readOnly: this.deps.readOnly(),
        busy: this.pending !== undefined,
        notice: this.notice,
        now: (this.deps.now ?? Date.now)(),
      },
      tabWords(),
    );
    if (!force && this.lastView && JSON.stringify(view) === JSON.stringify(this.lastView)) return;
    this.lastView = view;
    this.post({ type: 'render', view });
  }

  /** The answer's card until the state's card changes, else the state's. */
  private card(): Outcome<TaskCard> | undefined {
    const state = this.stateCard();
    if (this.answer && this.answer.over === state) return { ok: true, value: this.answer.card };
    this.answer = undefined;
    return state;
  }

  private stateCard(): Outcome<TaskCard> | undefined {
    return this.deps.state.snapshot.taskCards?.[this.taskId];
  }

  private connection(): Extract<Connection, { kind: 'connected' }> | undefined {
    const connection = this.deps.state.snapshot.connection;
    return connection.kind === 'connected' ? connection : undefined;
  }

  private link(): PortalLink | undefined {
    const portal = this.connection();
    const card = this.card();
    return portal && taskLink({ portalOrigin: portal.portal, userId: portal.webhookUserId, groupId: card?.ok ? card.value.group?.id : undefined, taskId: this.taskId });
  }

  private async open(link: PortalLink | undefined, what: string): Promise<void> {
    if (link) await openPortalLink(link);
    else this.deps.log.warn(`Task tab #${this.taskId}: refused to open ${what}`);
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }
}
