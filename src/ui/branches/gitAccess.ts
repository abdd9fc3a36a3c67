/**
 * The built-in git extension, reached through its API (never a git process of our own): which
 * repositories are open, which one holds a file, and when any of them changes (a checkout, a
 * commit). Without git (the extension disabled, `git.enabled` off, no git executable) or
 * without a repository, the commands that need it say why in words and nothing else changes.
 */
import * as vscode from 'vscode';
import { API, GitExtension, Repository, repositoryKey } from './git';

/** Why there is no repository to work in. */
export type NoGit = 'notInstalled' | 'disabled' | 'unavailable' | 'noRepository';

/** How long a command waits for git's first scan of the workspace before saying there is no repository. */
const FIRST_SCAN_MS = 10_000;

export class GitAccess implements vscode.Disposable {
  private api: API | undefined;
  private why: NoGit = 'notInstalled';
  private readonly changed = new vscode.EventEmitter<Repository | undefined>();
  /** Fires with the repository whose state changed (HEAD, the commit box), or undefined when repositories came or went. */
  readonly onDidChange = this.changed.event;
  private apiSubscriptions: vscode.Disposable[] = [];
  private readonly repositorySubscriptions = new Map<string, vscode.Disposable>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private readonly ready: Promise<void>;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.ready = this.connect();
  }

  /** The open repositories (none while git is unavailable). */
  get repositories(): readonly Repository[] {
    return this.api?.repositories ?? [];
  }

  /** The repository holding `uri`, if one is open. */
  repositoryOf(uri: vscode.Uri): Repository | undefined {
    return this.api?.getRepository(uri) ?? undefined;
  }

  /** The open repositories once git has scanned the workspace, or why there are none. */
  async openRepositories(): Promise<readonly Repository[] | NoGit> {
    await this.ready;
    const api = this.api;
    if (!api) return this.why;
    if (api.state === 'uninitialized') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, FIRST_SCAN_MS);
        const listening = api.onDidChangeState(done);
        function done() {
          clearTimeout(timer);
          listening.dispose();
          resolve();
        }
      });
    }
    return api.repositories.length > 0 ? api.repositories : 'noRepository';
  }

  dispose(): void {
    this.forgetApi();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private async connect(): Promise<void> {
    const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
    if (!extension) return;
    let git: GitExtension;
    try {
      git = extension.isActive ? extension.exports : await extension.activate();
    } catch (error) {
      this.why = 'unavailable';
      this.log.warn(`The git extension did not start: ${String(error)}`);
      return;
    }
    this.subscriptions.push(git.onDidChangeEnablement(() => this.take(git)));
    this.take(git);
  }

  /** Takes the API when git is enabled, and lets it go when it is turned off. */
  private take(git: GitExtension): void {
    this.forgetApi();
    if (!git.enabled) {
      this.why = 'disabled';
    } else {
      try {
        const api = git.getAPI(1);
        this.api = api;
        this.apiSubscriptions = [
          api.onDidOpenRepository((repository) => this.follow(repository)),
          api.onDidCloseRepository((repository) => {
            this.repositorySubscriptions.get(repositoryKey(repository))?.dispose();
            this.repositorySubscriptions.delete(repositoryKey(repository));
            this.changed.fire(undefined);
          }),
        ];
        for (const repository of api.repositories) this.follow(repository);
      } catch (error) {
        // getAPI throws when the git extension found no git executable.
        this.why = 'unavailable';
        this.log.warn(`The git extension's API is not available: ${String(error)}`);
      }
    }
    this.changed.fire(undefined);
  }

  private follow(repository: Repository): void {
    const key = repositoryKey(repository);
    if (!this.repositorySubscriptions.has(key)) {
      this.repositorySubscriptions.set(key, repository.state.onDidChange(() => this.changed.fire(repository)));
    }
    this.changed.fire(undefined);
  }

  private forgetApi(): void {
    for (const subscription of [...this.apiSubscriptions, ...this.repositorySubscriptions.values()]) subscription.dispose();
    this.apiSubscriptions = [];
    this.repositorySubscriptions.clear();
    this.api = undefined;
  }
}
