/**
 * "Go to Task…": the tasks behind the current counters in a quick pick, overdue first, then
 * those with new comments, searchable by title and ID; a typed number offers that task. While
 * it is open the poller asks for both lists in its one batch request.
 */
import * as vscode from 'vscode';
import { CountersPoller } from '../core/countersPoller';
import { CountersState } from '../core/countersState';
import { iconsAsText } from '../core/portalText';
import { TASK_LIST_COUNTERS, TaskSummary } from '../core/taskList';
import { taskIdTyped } from '../core/taskListLink';
import { counterLabel, counterPhrase, failureShort, overdueBy } from './words';

type TaskPick = vscode.QuickPickItem & { readonly taskId?: number };

/** The picker's title and its offer of a typed id: Go to Task's unless another command says. */
export interface PickerWords {
  readonly title: string;
  readonly typedId: (taskId: number) => string;
}

/** The chosen task's id; undefined when the picker was dismissed. */
export async function pickTask(
  state: CountersState,
  poller: Pick<CountersPoller, 'showTaskLists'>,
  words: PickerWords = { title: vscode.l10n.t('Go to Task'), typedId: (taskId) => vscode.l10n.t('Open task #{0}', taskId) },
  now: () => number = Date.now,
): Promise<number | undefined> {
  const picker = vscode.window.createQuickPick<TaskPick>();
  picker.title = words.title;
  picker.placeholder = vscode.l10n.t('Type part of a title, or a task ID');
  picker.matchOnDescription = true;
  const release = poller.showTaskLists(TASK_LIST_COUNTERS);
  const fill = () => {
    const typed = taskIdTyped(picker.value);
    const byId: TaskPick[] = typed === undefined ? [] : [{ label: words.typedId(typed), taskId: typed, alwaysShow: true }];
    picker.items = [...byId, ...taskPicks(state, now())];
    picker.busy = TASK_LIST_COUNTERS.some((counter) => state.snapshot.taskLists?.[counter] === undefined);
  };
  fill();
  const unsubscribe = state.subscribe(fill);
  const changed = picker.onDidChangeValue(fill);
  try {
    return await new Promise<number | undefined>((resolve) => {
      picker.onDidAccept(() => resolve(picker.selectedItems[0]?.taskId));
      picker.onDidHide(() => resolve(undefined));
      picker.show();
    });
  } finally {
    changed.dispose();
    unsubscribe();
    release();
    picker.dispose();
  }
}

/** Each task once: under "Overdue" when it is, else under "New comments"; both facts in its detail. */
function taskPicks(state: CountersState, now: number): TaskPick[] {
  const lists = state.snapshot.taskLists;
  const seen = new Set<number>();
  const unread = new Map<number, number>();
  const commented = lists?.new_comments;
  if (commented?.ok) {
    for (const task of commented.value.tasks) unread.set(task.id, task.unreadComments ?? 0);
  }
  const picks: TaskPick[] = [];
  for (const counter of TASK_LIST_COUNTERS) {
    const list = lists?.[counter];
    if (!list) continue;
    if (!list.ok) {
      picks.push({ label: `${counterLabel(counter)}: ${failureShort(list.error)}`, kind: vscode.QuickPickItemKind.Separator });
      continue;
    }
    const fresh = list.value.tasks.filter((task) => !seen.has(task.id));
    if (fresh.length === 0) continue;
    picks.push({ label: counterLabel(counter), kind: vscode.QuickPickItemKind.Separator });
    for (const task of fresh) {
      seen.add(task.id);
      picks.push(taskPick(task, counter === 'expired', unread.get(task.id), now));
    }
  }
  return picks;
}

function taskPick(task: TaskSummary, overdue: boolean, unreadComments: number | undefined, now: number): TaskPick {
  const facts = [
    overdue ? overdueBy(task.deadline, now) : undefined,
    unreadComments ? counterPhrase('new_comments', unreadComments) : undefined,
    task.responsible?.name,
    task.group?.name,
  ].filter((fact): fact is string => fact !== undefined);
  return {
    label: iconsAsText(task.title),
    description: `#${task.id}`,
    detail: iconsAsText(facts.join(' · ')),
    taskId: task.id,
  };
}
