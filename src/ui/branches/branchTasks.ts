/**
 * Which task a repository's current branch belongs to: the one Start Work linked it to
 * (remembered in the workspace's state, as GitHub Pull Requests and Issues does), or the id the
 * task-id pattern finds in its name; none after Stop Work, whatever the name says.
 */
import * as vscode from 'vscode';
import { PatternProblem, TaskIdPattern } from '../../core/branchName';
import { isId } from '../../core/taskListLink';
import { Repository } from './git';

const STATE_KEY = 'bitrix24Tasks.branchTasks';

/** A task id, or 0: work on the branch was stopped. */
type Links = Readonly<Record<string, number>>;

export interface BranchTask {
  readonly branch: string;
  readonly taskId: number;
}

export class BranchTasks implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** A link was made or forgotten, or the pattern changed. */
  readonly onDidChange = this.changed.event;
  private pattern = TaskIdPattern.default();
  /** The setting as last read: a refused pattern is said once, not at every settings change. */
  private requested = this.pattern.source;

  /**
   * Start Work under way, by task: the branch's item can show the task as soon as it is checked
   * out, before the task and its timer are started; Stop Work pressed meanwhile waits for the
   * end, or it would see no running timer and leave the one coming running.
   */
  private readonly starting = new Map<number, Promise<void>>();

  constructor(
    private readonly memento: vscode.Memento,
    patternSource: string,
  ) {
    this.setPattern(patternSource);
  }

  /** Start Work begins on `taskId`: call the function returned when it ends, however it ends. */
  startingWork(taskId: number): () => void {
    let ended = () => {};
    const starting = new Promise<void>((resolve) => (ended = resolve));
    this.starting.set(taskId, starting);
    return () => {
      if (this.starting.get(taskId) === starting) this.starting.delete(taskId);
      ended();
    };
  }

  /** Resolves once no Start Work is under way on `taskId` (at once when none is). */
  async workStarted(taskId: number): Promise<void> {
    await this.starting.get(taskId);
  }

  /** The user's `branch.taskIdPattern`; a pattern refused says why once, and the default is used. */
  setPattern(source: string): void {
    if (source === this.requested) return;
    this.requested = source;
    const parsed = TaskIdPattern.parse(source);
    this.pattern = parsed.pattern;
    if (parsed.problem) void vscode.window.showWarningMessage(patternProblem(parsed.problem));
    this.changed.fire();
  }

  /** The task of the repository's current branch; none on a detached HEAD. */
  taskOf(repository: Repository): BranchTask | undefined {
    const branch = repository.state.HEAD?.name;
    if (!branch) return undefined;
    const linked = this.links()[linkKey(repository, branch)];
    if (linked !== undefined) return linked === 0 ? undefined : { branch, taskId: linked };
    const found = this.pattern.taskIdOf(branch);
    if (found === 'slow') {
      void vscode.window.showWarningMessage(patternProblem({ kind: 'slow' }));
      this.pattern = TaskIdPattern.default();
      return this.taskOf(repository);
    }
    return found === undefined ? undefined : { branch, taskId: found };
  }

  /** The branch Start Work linked to the task in this repository, if any. */
  linkedBranch(repository: Repository, taskId: number): string | undefined {
    const prefix = linkKey(repository, '');
    const links = this.links();
    const key = Object.keys(links).find((k) => k.startsWith(prefix) && links[k] === taskId);
    return key?.slice(prefix.length);
  }

  /** Links the branch to the task (Start Work), or to none (Stop Work). */
  async link(repository: Repository, branch: string, taskId: number | 'none'): Promise<void> {
    await this.memento.update(STATE_KEY, { ...this.links(), [linkKey(repository, branch)]: taskId === 'none' ? 0 : taskId });
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** The workspace's links, each checked: state written by another version can hold anything. */
  private links(): Links {
    const stored: unknown = this.memento.get(STATE_KEY);
    if (typeof stored !== 'object' || stored === null) return {};
    const entries: Array<[string, unknown]> = Object.entries(stored);
    return Object.fromEntries(entries.filter((entry): entry is [string, number] => entry[1] === 0 || isId(entry[1])));
  }
}

/** A branch of one repository: its root and its name (a newline is in neither a URI nor a branch name). */
function linkKey(repository: Repository, branch: string): string {
  return `${repository.rootUri.toString()}\n${branch}`;
}

function patternProblem(problem: PatternProblem): string {
  switch (problem.kind) {
    case 'invalid':
      return vscode.l10n.t('The task ID pattern (bitrix24Tasks.branch.taskIdPattern) is not a valid regular expression: {0}. The default pattern is used.', problem.detail);
    case 'slow':
      return vscode.l10n.t('The task ID pattern (bitrix24Tasks.branch.taskIdPattern) takes too long on some branch names (catastrophic backtracking). The default pattern is used.');
    case 'tooLong':
      return vscode.l10n.t('The task ID pattern (bitrix24Tasks.branch.taskIdPattern) is longer than 500 characters. The default pattern is used.');
  }
}
