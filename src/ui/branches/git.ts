/**
 * The part of the built-in git extension's API (`vscode.git`, `getAPI(1)`) this extension uses,
 * typed as its `git.d.ts` declares it (extensions/git/src/api/git.d.ts in the VS Code
 * repository). Only what is used here: the rest of the API exists but is not declared.
 */
import type { Event, Uri } from 'vscode';

export interface GitExtension {
  readonly enabled: boolean;
  readonly onDidChangeEnablement: Event<boolean>;
  /** Throws when git is not available (no git executable found). */
  getAPI(version: 1): API;
}

export type APIState = 'uninitialized' | 'initialized';

export interface API {
  readonly state: APIState;
  readonly onDidChangeState: Event<APIState>;
  readonly repositories: Repository[];
  readonly onDidOpenRepository: Event<Repository>;
  readonly onDidCloseRepository: Event<Repository>;
  /** The repository holding `uri`, if one is open. */
  getRepository(uri: Uri): Repository | null;
}

export interface Ref {
  readonly name?: string;
  readonly commit?: string;
}

export type Branch = Ref;

export interface RefQuery {
  readonly pattern?: string | string[];
  readonly count?: number;
}

export interface RepositoryState {
  /** Undefined while the repository is read; `name` undefined for a detached HEAD. */
  readonly HEAD: Branch | undefined;
  readonly onDidChange: Event<void>;
}

export interface InputBox {
  value: string;
}

/**
 * The API wraps a repository in a new object at each access (`repositories`, `getRepository`,
 * the events): compare and key repositories by their root, never by the object.
 */
export function repositoryKey(repository: Repository): string {
  return repository.rootUri.toString();
}

export interface Repository {
  readonly rootUri: Uri;
  readonly inputBox: InputBox;
  readonly state: RepositoryState;
  /** `git for-each-ref` with the query's patterns (`refs/heads/main`, `refs/heads`). */
  getRefs(query: RefQuery): Promise<Ref[]>;
  /** `git branch [--checkout] name [ref]`. */
  createBranch(name: string, checkout: boolean, ref?: string): Promise<void>;
  checkout(treeish: string): Promise<void>;
}
