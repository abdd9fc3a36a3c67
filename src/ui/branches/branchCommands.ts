/**
 * Start Work on Task…, Stop Work, and the timer and Complete links of the branch item's tooltip.
 * Start Work: a task (an argument from a task row or the tooltip, the task tab in front, or the
 * Go to Task picker), a repository (the active editor's, asked when there are several and none
 * is), the branch linked to the task or named by the template (checked out when it exists,
 * else created from the base), the link remembered; then, as the settings say, the task and
 * its timer started through `TaskCardSource.write`, each said in words when it fails.
 */
import * as vscode from 'vscode';
import { branchName, BranchNameProblem, usesVariable } from '../../core/branchName';
import { CountersPoller } from '../../core/countersPoller';
import { CountersState } from '../../core/countersState';
import { Outcome } from '../../core/outcome';
import { inert } from '../../core/portalText';
import { TaskCard, TaskCardSource, TaskWrite } from '../../core/taskCard';
import { isId } from '../../core/taskListLink';
import { COMMANDS } from '../commandIds';
import { pickTask } from '../goToTask';
import { BranchSettings } from '../settings';
import { outcomeNotice } from '../taskTab/tabWords';
import { BranchTaskItem } from './branchTaskItem';
import { BranchTasks } from './branchTasks';
import { Repository } from './git';
import { GitAccess, NoGit } from './gitAccess';

export interface BranchCommandDeps {
  readonly state: CountersState;
  readonly source: TaskCardSource & Pick<CountersPoller, 'showTaskLists'>;
  readonly git: GitAccess;
  readonly tasks: BranchTasks;
  readonly item: BranchTaskItem;
  readonly settings: () => BranchSettings;
  /** The task of the task tab in front, if one is. */
  readonly taskInFront: () => number | undefined;
  readonly log: vscode.LogOutputChannel;
}

/** How long Start Work waits for the task's card: past the request gate's 15 s. */
const CARD_WAIT_MS = 30_000;

/** Where a default base is looked for, in this order. */
const DEFAULT_BRANCHES = ['main', 'master'];

export function registerBranchCommands(deps: BranchCommandDeps): vscode.Disposable[] {
  const write = (taskWrite: TaskWrite) => writeAndSay(deps, taskWrite);
  return [
    vscode.commands.registerCommand(COMMANDS.startWork, (argument?: unknown) => startWork(deps, argument)),
    vscode.commands.registerCommand(COMMANDS.stopWork, (argument?: unknown) => stopWork(deps, argument)),
    vscode.commands.registerCommand(COMMANDS.startTimer, (taskId?: unknown) => isId(taskId) && write({ kind: 'timer', taskId, start: true })),
    vscode.commands.registerCommand(COMMANDS.stopTimer, (taskId?: unknown) => isId(taskId) && write({ kind: 'timer', taskId, start: false })),
    vscode.commands.registerCommand(COMMANDS.completeTask, (taskId?: unknown) => isId(taskId) && write({ kind: 'status', taskId, action: 'complete' })),
  ];
}

/** Resolves with the branch worked on; undefined when nothing was done (each reason said). */
async function startWork(deps: BranchCommandDeps, argument: unknown): Promise<string | undefined> {
  if (deps.state.snapshot.connection.kind !== 'connected') {
    await vscode.commands.executeCommand(COMMANDS.connect);
    return undefined;
  }
  const taskId = await chosenTask(deps, argument);
  if (taskId === undefined) return undefined;
  if (!isId(taskId)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Not a task id: {0}', inert(JSON.stringify(argument))));
    return undefined;
  }
  const repository = await chosenRepository(deps);
  if (!repository) return undefined;
  // Held until the end: the item takes it over after the checkout, so it is never dropped between.
  const release = deps.source.showTask(taskId, { readComments: false });
  const finished = deps.tasks.startingWork(taskId);
  try {
    const card = await cardOf(deps.state, taskId);
    if (!card?.ok) {
      const why = card ? card.error.detail : vscode.l10n.t('Bitrix24 did not answer in time. Try again.');
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot start work on task #{0}: {1}', taskId, inert(why)));
      return undefined;
    }
    const branch = await checkOutTaskBranch(deps, repository, card.value);
    if (branch === undefined) return undefined;
    await deps.tasks.link(repository, branch, taskId);
    deps.log.info(`Working on task #${taskId} in branch ${branch}`);
    await startTaskAndTimer(deps, card.value);
    return branch;
  } finally {
    finished();
    release();
  }
}

/** A task id from a task row (it carries its task), a number (the tooltip, tests), the tab in front, or the picker. */
async function chosenTask(deps: BranchCommandDeps, argument: unknown): Promise<unknown> {
  const fromRow = (argument as { task?: { id?: unknown } } | undefined)?.task?.id;
  if (fromRow !== undefined) return fromRow;
  if (argument !== undefined) return argument;
  return (
    deps.taskInFront() ??
    (await pickTask(deps.state, deps.source, {
      title: vscode.l10n.t('Start Work on Task'),
      typedId: (taskId) => vscode.l10n.t('Start work on task #{0}', taskId),
    }))
  );
}

/** The active editor's repository, the only one, or the one the user picks; undefined (said) when there is none. */
async function chosenRepository(deps: BranchCommandDeps): Promise<Repository | undefined> {
  const open = await deps.git.openRepositories();
  if (typeof open === 'string') {
    void vscode.window.showErrorMessage(noGitSentence(open));
    return undefined;
  }
  const inFront = deps.item.repository();
  if (inFront) return inFront;
  const picked = await vscode.window.showQuickPick(
    open.map((repository) => ({
      label: vscode.workspace.asRelativePath(repository.rootUri, true) || repository.rootUri.fsPath,
      description: repository.state.HEAD?.name,
      repository,
    })),
    { title: vscode.l10n.t('Start Work on Task'), placeHolder: vscode.l10n.t('Which repository to work in') },
  );
  return picked?.repository;
}

/** Checks out the task's branch, creating it when it does not exist; the branch, or undefined (said). */
async function checkOutTaskBranch(deps: BranchCommandDeps, repository: Repository, card: TaskCard): Promise<string | undefined> {
  const linked = deps.tasks.linkedBranch(repository, card.id);
  if (linked !== undefined && (await branchExists(repository, linked))) {
    return (await gitStep(() => repository.checkout(linked), linked)) ? linked : undefined;
  }
  const settings = deps.settings();
  let prefix: string | undefined;
  if (usesVariable(settings.template, 'prefix') && settings.prefixes.length > 0) {
    prefix = await vscode.window.showQuickPick(settings.prefixes, { title: vscode.l10n.t('Start Work on Task'), placeHolder: vscode.l10n.t('Branch prefix') });
    if (prefix === undefined) return undefined;
  }
  const { user, connection } = deps.state.snapshot;
  const webhookUser = connection.kind === 'connected' ? String(connection.webhookUserId) : '';
  const named = branchName(settings.template, { taskId: card.id, title: card.title, user: user?.name ?? webhookUser, prefix });
  if (!named.ok) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The branch template (bitrix24Tasks.branch.template) gives no valid branch name: {0}', problemSentence(named.problem)));
    return undefined;
  }
  const name = named.name;
  if (await branchExists(repository, name)) {
    return (await gitStep(() => repository.checkout(name), name)) ? name : undefined;
  }
  let base: string | undefined;
  if (settings.base === 'default') {
    base = await defaultBranch(repository);
    if (base === undefined) {
      void vscode.window.showErrorMessage(vscode.l10n.t('This repository has no main or master branch to start from. Set bitrix24Tasks.branch.base to "current" to branch from the current one.'));
      return undefined;
    }
  }
  return (await gitStep(() => repository.createBranch(name, true, base), name)) ? name : undefined;
}

/** Runs a checkout or a branch creation; false, said, when git refused it (local changes in the way, a lock). */
async function gitStep(step: () => Promise<void>, branch: string): Promise<boolean> {
  try {
    await step();
    return true;
  } catch (error) {
    const { stderr, message } = error as { stderr?: unknown; message?: unknown };
    const said = (typeof stderr === 'string' && stderr.trim()) || (typeof message === 'string' ? message : String(error));
    void vscode.window.showErrorMessage(vscode.l10n.t('Git could not check out {0}: {1}', branch, inert(said)));
    return false;
  }
}

async function branchExists(repository: Repository, name: string): Promise<boolean> {
  const refs = await repository.getRefs({ pattern: `refs/heads/${name}` });
  return refs.some((ref) => ref.name === name);
}

async function defaultBranch(repository: Repository): Promise<string | undefined> {
  for (const name of DEFAULT_BRANCHES) {
    if (await branchExists(repository, name)) return name;
  }
  return undefined;
}

/** The task's card from the state once the poll brings it; undefined when it does not come in time. */
async function cardOf(state: CountersState, taskId: number): Promise<Outcome<TaskCard> | undefined> {
  const known = state.snapshot.taskCards?.[taskId];
  if (known) return known;
  return await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Getting task #{0} from Bitrix24…', taskId) },
    () =>
      new Promise<Outcome<TaskCard> | undefined>((resolve) => {
        const timer = setTimeout(() => settle(undefined), CARD_WAIT_MS);
        const unsubscribe = state.subscribe((snapshot) => {
          const card = snapshot.taskCards?.[taskId];
          if (card) settle(card);
        });
        function settle(card: Outcome<TaskCard> | undefined) {
          clearTimeout(timer);
          unsubscribe();
          resolve(card);
        }
      }),
  );
}

/** As the settings say: the task started when Bitrix24 allows it and it is not in progress, then its timer. */
async function startTaskAndTimer(deps: BranchCommandDeps, card: TaskCard): Promise<void> {
  const settings = deps.settings();
  if (settings.startTask && card.status !== 3 && card.allowed.status.has('start')) {
    await writeAndSay(deps, { kind: 'status', taskId: card.id, action: 'start' });
  }
  if (settings.startTimer && !card.timerRunning && card.allowed.timer) {
    await writeAndSay(deps, { kind: 'timer', taskId: card.id, start: true });
  }
}

/** Stops the timer of the current branch's task and forgets the link; the branch stays. */
async function stopWork(deps: BranchCommandDeps, argument: unknown): Promise<boolean> {
  const shown = deps.item.shown;
  if (!shown || (argument !== undefined && argument !== shown.taskId)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The current branch has no Bitrix24 task to stop work on.'));
    return false;
  }
  await deps.tasks.workStarted(shown.taskId);
  const card = deps.state.snapshot.taskCards?.[shown.taskId];
  if (card?.ok && card.value.timerRunning) {
    const stopped = await writeAndSay(deps, { kind: 'timer', taskId: shown.taskId, start: false });
    if (!stopped) return false;
  }
  await deps.tasks.link(shown.repository, shown.branch, 'none');
  deps.log.info(`Stopped work on task #${shown.taskId}; branch ${shown.branch} left as it is`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Stopped work on task #{0}. The branch {1} stays as it is.', shown.taskId, shown.branch));
  return true;
}

/** One write; a failure said in a warning, a success in the status bar. True when the portal did it. */
async function writeAndSay(deps: BranchCommandDeps, taskWrite: TaskWrite): Promise<boolean> {
  const outcome = await deps.source.write(taskWrite);
  const notice = outcomeNotice(taskWrite, outcome);
  if (!outcome.ok) {
    deps.log.warn(`Task #${taskWrite.taskId}: ${taskWrite.kind} failed: ${outcome.error.kind}: ${outcome.error.detail}`);
    void vscode.window.showWarningMessage(vscode.l10n.t('Task #{0}: {1}', taskWrite.taskId, inert(notice.text)));
    return false;
  }
  vscode.window.setStatusBarMessage(vscode.l10n.t('Task #{0}: {1}', taskWrite.taskId, notice.text), 5000);
  return true;
}

function noGitSentence(why: NoGit): string {
  switch (why) {
    case 'notInstalled':
      return vscode.l10n.t('Start Work needs the built-in Git extension, which is disabled or missing. Enable it in the Extensions view (search @builtin git).');
    case 'disabled':
      return vscode.l10n.t('Start Work needs Git, which is turned off in this window (the git.enabled setting).');
    case 'unavailable':
      return vscode.l10n.t('Start Work needs Git, and VS Code found no git executable. Install Git, or set git.path.');
    case 'noRepository':
      return vscode.l10n.t('Start Work needs a git repository, and none is open in this workspace. Open a folder with one, or initialize one.');
  }
}

function problemSentence(problem: BranchNameProblem): string {
  switch (problem.kind) {
    case 'empty':
      return vscode.l10n.t('the name is empty.');
    case 'character':
      return vscode.l10n.t('git does not allow the character {0} in branch names.', JSON.stringify(problem.character));
    case 'componentStartsWithDot':
      return vscode.l10n.t('a part between slashes starts with a dot.');
    case 'componentEndsWithLock':
      return vscode.l10n.t('a part between slashes ends with ".lock".');
    case 'doubleDot':
      return vscode.l10n.t('it contains "..".');
    case 'slash':
      return vscode.l10n.t('it starts or ends with a slash, or has two in a row.');
    case 'endsWithDot':
      return vscode.l10n.t('it ends with a dot.');
    case 'atBrace':
      return vscode.l10n.t('it contains "@{".');
    case 'startsWithDash':
      return vscode.l10n.t('it starts with a dash.');
    case 'reserved':
      return vscode.l10n.t('"{0}" is reserved by git.', problem.name);
    case 'componentTooLong':
      return vscode.l10n.t('a part between slashes is longer than 255 bytes.');
    case 'unknownVariable':
      return vscode.l10n.t('{0} is not a variable; use {id}, {title}, {user} and {prefix}.', `{${problem.variable}}`);
    case 'notATaskId':
      return vscode.l10n.t('the task id is not a positive whole number.');
  }
}
