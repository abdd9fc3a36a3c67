/**
 * The branch's task in the status bar: `#123 Fix payment retries` with its status's icon and a
 * warning when overdue, for the repository of the active editor (the last one used when no
 * editor holds a repository's file), shown only while its current branch belongs to a task.
 * It follows checkouts through the git API's events, never by polling git. While it shows a
 * task it holds that task's card in the poll (`showTask`, comments left unread), and lets go
 * when the branch changes; it renders the card from the state and never calls the portal.
 */
import * as vscode from 'vscode';
import { Connection, CountersState } from '../../core/countersState';
import { Outcome } from '../../core/outcome';
import { iconsAsText, markdownText, truncate } from '../../core/portalText';
import { TaskCard, TaskCardSource } from '../../core/taskCard';
import { COMMANDS } from '../commandIds';
import { StatusBarSettings } from '../settings';
import { counterPhrase, dateAndTime, duration, failureSentence, overdueBy, taskStatusIcon, taskStatusLabel } from '../words';
import { BranchTask, BranchTasks } from './branchTasks';
import { Repository, repositoryKey } from './git';
import { GitAccess } from './gitAccess';

export const BRANCH_TASK_ITEM_ID = 'bitrix24Tasks.branchTask';

/** A context key for `when` clauses: the current branch has a task (Stop Work in the palette). */
export const BRANCH_TASK_CONTEXT = 'bitrix24Tasks.branchTask';

/** The title's length in the status bar; the tooltip has all of it. */
const SHOWN_TITLE = 40;

/** The commands a tooltip link may run: the extension's own, each with a task id only. */
const TOOLTIP_COMMANDS = [COMMANDS.showTask, COMMANDS.startTimer, COMMANDS.stopTimer, COMMANDS.completeTask, COMMANDS.stopWork];

export interface ShownBranchTask extends BranchTask {
  readonly repository: Repository;
}

export class BranchTaskItem implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  /** The repository, branch and task the item shows; undefined while hidden (the extension-host tests read it). */
  shown: ShownBranchTask | undefined;
  private lastRepository: Repository | undefined;
  private release: (() => void) | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly git: GitAccess,
    private readonly tasks: BranchTasks,
    private readonly source: TaskCardSource,
    private readonly state: CountersState,
    placement: Pick<StatusBarSettings, 'alignment' | 'priority'>,
    private readonly now: () => number = Date.now,
  ) {
    const alignment = placement.alignment === 'right' ? vscode.StatusBarAlignment.Right : vscode.StatusBarAlignment.Left;
    // Just after the counters' item on the same side.
    this.item = vscode.window.createStatusBarItem(BRANCH_TASK_ITEM_ID, alignment, placement.priority - 0.5);
    this.item.name = vscode.l10n.t('Bitrix24 Task of the Branch');
    const unsubscribe = state.subscribe(() => this.render());
    this.subscriptions = [
      git.onDidChange(() => this.update()),
      tasks.onDidChange(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      { dispose: unsubscribe },
    ];
    this.update();
  }

  /** The repository whose branch the item follows: the active editor's, else the last one, else the only one. */
  repository(): Repository | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const active = uri ? this.git.repositoryOf(uri) : undefined;
    if (active) this.lastRepository = active;
    const open = this.git.repositories;
    const last = this.lastRepository && repositoryKey(this.lastRepository);
    return open.find((repository) => repositoryKey(repository) === last) ?? (open.length === 1 ? open[0] : undefined);
  }

  dispose(): void {
    this.release?.();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }

  private update(): void {
    const repository = this.repository();
    const task = repository ? this.tasks.taskOf(repository) : undefined;
    const next = repository && task ? { repository, ...task } : undefined;
    if (next?.taskId !== this.shown?.taskId) {
      this.release?.();
      this.release = next ? this.source.showTask(next.taskId, { readComments: false }) : undefined;
    }
    if ((next === undefined) !== (this.shown === undefined)) {
      void vscode.commands.executeCommand('setContext', BRANCH_TASK_CONTEXT, next !== undefined);
    }
    this.shown = next;
    this.render();
  }

  private render(): void {
    const shown = this.shown;
    if (!shown) {
      this.item.hide();
      return;
    }
    const { connection, taskCards } = this.state.snapshot;
    const view = itemView(shown, connection, taskCards?.[shown.taskId], this.now());
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.label };
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = { command: COMMANDS.showTask, title: vscode.l10n.t('Open Task'), arguments: [shown.taskId] };
    this.item.show();
  }
}

interface ItemView {
  readonly text: string;
  readonly label: string;
  readonly tooltip: vscode.MarkdownString;
  readonly warning: boolean;
}

function itemView(shown: ShownBranchTask, connection: Connection, card: Outcome<TaskCard> | undefined, now: number): ItemView {
  const id = shown.taskId;
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
  md.supportThemeIcons = true;
  const branchLine = `$(git-branch) ${markdownText(vscode.l10n.t('Branch {0}', shown.branch))}`;
  const stopWork = commandLink('debug-stop', vscode.l10n.t('Stop Work'), COMMANDS.stopWork, id);
  if (connection.kind !== 'connected' || !card) {
    const waiting = connection.kind === 'connected';
    md.appendMarkdown(`**#${id}**\n\n`);
    md.appendMarkdown(`${markdownText(waiting ? vscode.l10n.t('Loading the task…') : vscode.l10n.t('Not connected to Bitrix24. Connect a webhook to see the task.'))}\n\n`);
    md.appendMarkdown(`${branchLine}\n\n---\n\n${stopWork}`);
    return { text: `$(${waiting ? 'loading~spin' : 'tasklist'}) #${id}`, label: vscode.l10n.t('Bitrix24 task #{0}', id), tooltip: md, warning: false };
  }
  if (!card.ok) {
    md.appendMarkdown(`$(warning) **#${id}**: ${markdownText(failureSentence(card.error))}\n\n`);
    md.appendMarkdown(`_${markdownText(vscode.l10n.t('Details: {0}', card.error.detail))}_\n\n`);
    md.appendMarkdown(`${branchLine}\n\n---\n\n${stopWork}`);
    return { text: `$(warning) #${id}`, label: vscode.l10n.t('Bitrix24 task #{0}: {1}', id, card.error.detail), tooltip: md, warning: false };
  }
  const task = card.value;
  const overdue = task.deadline !== undefined && task.deadline < now && task.status !== 5;
  md.appendMarkdown(`$(${taskStatusIcon(task.status)}) **${markdownText(task.title)}** #${id}\n\n`);
  const fact = (label: string, value: string) => md.appendMarkdown(`${markdownText(label)}: ${markdownText(value)}  \n`);
  fact(vscode.l10n.t('Status'), taskStatusLabel(task.status));
  if (task.deadline !== undefined) {
    fact(vscode.l10n.t('Deadline'), overdue ? `${dateAndTime(task.deadline)} (${overdueBy(task.deadline, now)})` : dateAndTime(task.deadline));
  }
  fact(vscode.l10n.t('Time spent'), task.timerRunning ? vscode.l10n.t('{0}, timer running', duration(task.timeSpent)) : duration(task.timeSpent));
  if (task.newComments > 0) fact(vscode.l10n.t('Comments'), counterPhrase('new_comments', task.newComments));
  md.appendMarkdown(`\n${branchLine}\n\n---\n\n`);
  const links = [commandLink('go-to-file', vscode.l10n.t('Open Task'), COMMANDS.showTask, id)];
  if (task.allowed.timer) {
    links.push(task.timerRunning
      ? commandLink('debug-pause', vscode.l10n.t('Stop Timer'), COMMANDS.stopTimer, id)
      : commandLink('play', vscode.l10n.t('Start Timer'), COMMANDS.startTimer, id));
  }
  if (task.allowed.status.has('complete')) links.push(commandLink('pass', vscode.l10n.t('Complete'), COMMANDS.completeTask, id));
  links.push(stopWork);
  md.appendMarkdown(links.join(' · '));
  const title = iconsAsText(truncate(task.title, SHOWN_TITLE));
  const status = taskStatusLabel(task.status);
  return {
    text: `$(${overdue ? 'flame' : taskStatusIcon(task.status)}) #${id} ${title}`,
    label: overdue
      ? vscode.l10n.t('Bitrix24 task #{0}: {1}, {2}, {3}', id, task.title, status, overdueBy(task.deadline, now))
      : vscode.l10n.t('Bitrix24 task #{0}: {1}, {2}', id, task.title, status),
    tooltip: md,
    warning: overdue,
  };
}

/** A tooltip link to one of the extension's own commands with the task's id, its only argument. */
function commandLink(icon: string, label: string, command: string, taskId: number): string {
  return `[$(${icon}) ${markdownText(label)}](command:${command}?${encodeURIComponent(JSON.stringify([taskId]))})`;
}
