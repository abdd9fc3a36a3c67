/**
 * The tasks behind a counter row of the view: what "Overdue" and "New comments" expand into.
 * Renders the snapshot's task lists; the lists themselves are asked for by the poller while a
 * row is expanded (see `CountersView`).
 */
import * as vscode from 'vscode';
import { CountersSnapshot, retryAt } from '../core/countersState';
import { listAgreement, TaskListCounter, TaskSummary } from '../core/taskList';
import { COMMANDS } from './commandIds';
import { OpenTasksIn } from './settings';
import { counterPhrase, failureShort, overdueBy, taskStatusIcon, taskTooltip, timeOfDay } from './words';

/** A task row; its context menu copies the task's link. */
export class TaskNode extends vscode.TreeItem {
  constructor(readonly task: TaskSummary) {
    super(task.title);
  }
}

/**
 * The children of a counter row: its tasks (each opening where `openTasksIn` says), and a last
 * row when they are not the whole story.
 */
export function taskRows(counter: TaskListCounter, snapshot: CountersSnapshot, now: number, openTasksIn: OpenTasksIn = 'editor'): vscode.TreeItem[] {
  const list = snapshot.taskLists?.[counter];
  const count = snapshot.counters?.counters.find((c) => c.name === counter)?.count ?? 0;
  if (!list) {
    const row = infoRow(`${counter}:loading`, vscode.l10n.t('Loading tasks…'), 'loading~spin');
    // While failing, the tasks come with the retry the portal allows, not sooner.
    const retry = snapshot.error ? retryAt(snapshot) : undefined;
    if (retry !== undefined) row.description = vscode.l10n.t('Retrying at {0}', timeOfDay(retry));
    return [row];
  }
  if (!list.ok) {
    const row = infoRow(`${counter}:failed`, vscode.l10n.t('Tasks could not be listed: {0}', failureShort(list.error)), 'warning');
    row.tooltip = vscode.l10n.t('Open the list in the browser instead. Details: {0}', list.error.detail);
    row.command = openList(counter);
    return [row];
  }
  const rows: vscode.TreeItem[] = list.value.tasks.map((task) => taskRow(counter, task, now, openTasksIn));
  const agreement = listAgreement(counter, list.value, count);
  if (agreement.kind === 'moreThanShown') {
    const row = infoRow(`${counter}:more`, vscode.l10n.t('Open all {0} in the browser', agreement.total), 'link-external');
    row.command = openList(counter);
    rows.push(row);
  } else if (agreement.kind === 'disagrees') {
    // The counter is the portal's stored number, recounted in the background; the list is
    // live. Say so rather than show a list as complete that is not.
    const row = infoRow(`${counter}:partial`, vscode.l10n.t('{0} of {1} listed', agreement.listed, agreement.expected), 'info');
    row.description = vscode.l10n.t('open the list in the browser');
    row.tooltip = vscode.l10n.t(
      'Bitrix24 counts {0}, and its task list gives {1}. The counters are recounted in the background, so the two can differ for a while.',
      agreement.expected,
      agreement.listed,
    );
    row.command = openList(counter);
    rows.push(row);
  }
  return rows;
}

function taskRow(counter: TaskListCounter, task: TaskSummary, now: number, openTasksIn: OpenTasksIn): TaskNode {
  const row = new TaskNode(task);
  row.id = `task:${counter}:${task.id}`;
  row.description =
    counter === 'expired'
      ? overdueBy(task.deadline, now)
      : counterPhrase('new_comments', task.unreadComments ?? 0);
  row.tooltip = taskTooltip(task);
  row.iconPath = new vscode.ThemeIcon(taskStatusIcon(task.status));
  row.contextValue = 'task';
  row.command =
    openTasksIn === 'editor'
      ? { command: COMMANDS.showTask, title: vscode.l10n.t('Open Task'), arguments: [task.id] }
      : { command: COMMANDS.openTask, title: vscode.l10n.t('Open Task in Browser'), arguments: [task.id] };
  return row;
}

function infoRow(id: string, label: string, icon: string): vscode.TreeItem {
  const row = new vscode.TreeItem(label);
  row.id = `tasks:${id}`;
  row.iconPath = new vscode.ThemeIcon(icon);
  return row;
}

function openList(counter: TaskListCounter): vscode.Command {
  return { command: COMMANDS.openTaskList, title: vscode.l10n.t('Open Task List in Browser'), arguments: [counter] };
}
