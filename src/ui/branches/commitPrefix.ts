/**
 * The commit names the task: the Source Control input box of each repository whose branch
 * belongs to a task gets `bitrix24Tasks.commit.template` (`#123 `) when the branch or its commit
 * changes (a checkout, a commit) or the link does, and only while the box is empty or still
 * holds what was put there: nothing the user typed is overwritten, and a prefix the user
 * deleted stays deleted until the next commit. On a branch without a task the prefix put
 * there goes. An empty template puts nothing.
 */
import * as vscode from 'vscode';
import { commitPrefix } from '../../core/branchName';
import { BranchTasks } from './branchTasks';
import { Repository, repositoryKey } from './git';
import { GitAccess } from './gitAccess';

export class CommitPrefix implements vscode.Disposable {
  /** Each repository's HEAD when its box was last seen to, and what was put in it then. */
  private readonly seen = new Map<string, { readonly head: string; readonly put: string | undefined }>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly git: GitAccess,
    private readonly tasks: BranchTasks,
    private readonly template: () => string,
  ) {
    this.subscriptions = [
      git.onDidChange((repository) => (repository ? this.update(repository, false) : this.updateAll(false))),
      tasks.onDidChange(() => this.updateAll(true)),
    ];
    this.updateAll(true);
  }

  /** Every repository's box; `linksChanged`: even where HEAD did not move (a link, the template). */
  updateAll(linksChanged: boolean): void {
    for (const repository of this.git.repositories) this.update(repository, linksChanged);
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private update(repository: Repository, linksChanged: boolean): void {
    const head = repository.state.HEAD;
    if (!head) return; // not read yet
    const at = `${head.name ?? ''}\n${head.commit ?? ''}`;
    const last = this.seen.get(repositoryKey(repository));
    if (!linksChanged && last?.head === at) return;
    const task = this.tasks.taskOf(repository);
    const template = this.template();
    const prefix = task && template ? commitPrefix(template, task.taskId) : '';
    const box = repository.inputBox;
    const ours = box.value === '' || box.value === last?.put;
    if (ours && box.value !== prefix) box.value = prefix;
    this.seen.set(repositoryKey(repository), { head: at, put: ours ? prefix : last?.put });
  }
}
