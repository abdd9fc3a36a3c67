/**
 * "Show Task…": a task's tab by its id (tree rows, Go to Task and tests pass it; the palette
 * asks for it, checked as Go to Task's box checks a typed id).
 */
import * as vscode from 'vscode';
import { CountersState } from '../../core/countersState';
import { isId, taskIdTyped } from '../../core/taskListLink';
import { COMMANDS } from '../commandIds';
import { TaskTabs } from './taskTabs';

export function registerShowTask(tabs: TaskTabs, state: CountersState): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.showTask, async (argument?: unknown): Promise<boolean> => {
    if (state.snapshot.connection.kind !== 'connected') {
      return (await vscode.commands.executeCommand<boolean>(COMMANDS.connect)) === true;
    }
    const taskId = argument === undefined ? await askForTaskId() : taskIdOf(argument);
    if (taskId === undefined) return false;
    tabs.show(taskId);
    return true;
  });
}

/** A number, or a typed id ("345", "#345"); anything else is none. */
function taskIdOf(argument: unknown): number | undefined {
  if (typeof argument === 'number') return isId(argument) ? argument : undefined;
  return typeof argument === 'string' ? taskIdTyped(argument) : undefined;
}

async function askForTaskId(): Promise<number | undefined> {
  const typed = await vscode.window.showInputBox({
    title: vscode.l10n.t('Show Task'),
    prompt: vscode.l10n.t('The task ID, as in its address: /task/view/ID/.'),
    placeHolder: '345',
    validateInput: (value) => (value.trim() === '' || taskIdTyped(value) !== undefined ? undefined : vscode.l10n.t('Enter a task ID: a whole number above 0.')),
  });
  return typed === undefined ? undefined : taskIdTyped(typed);
}
