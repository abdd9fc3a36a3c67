/**
 * Comment drafts that outlive the tab and the window: kept in VS Code's global state (as the
 * webview keeps its own copy in its state), keyed by the portal's origin and the task id, and
 * removed only after the comment was sent. Pure over a `Memento`-like store, for the unit tests.
 *
 * The key holds the origin only, never the webhook's path (its user id and secret).
 */
import { MAX_COMMENT_LENGTH } from './protocol';

/** What the drafts need of `vscode.Memento` (the extension passes `context.globalState`). */
export interface DraftStore {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}

const PREFIX = 'bitrix24Tasks.commentDraft';

/** `bitrix24Tasks.commentDraft:https://portal.example#42`; undefined for an origin that is not http(s) or a task id that is no id. */
export function draftKey(portalOrigin: string, taskId: number): string | undefined {
  if (!URL.canParse(portalOrigin) || !Number.isSafeInteger(taskId) || taskId <= 0) return undefined;
  const { origin, protocol } = new URL(portalOrigin);
  return protocol === 'https:' || protocol === 'http:' ? `${PREFIX}:${origin}#${taskId}` : undefined;
}

export class CommentDrafts {
  constructor(private readonly store: DraftStore) {}

  /** The kept draft, '' when none (or the store holds something else there). */
  get(portalOrigin: string, taskId: number): string {
    const key = draftKey(portalOrigin, taskId);
    const value = key === undefined ? undefined : this.store.get(key);
    return typeof value === 'string' ? value.slice(0, MAX_COMMENT_LENGTH) : '';
  }

  /** Keeps `text` (an empty text removes the draft). */
  set(portalOrigin: string, taskId: number, text: string): Thenable<void> {
    const key = draftKey(portalOrigin, taskId);
    if (key === undefined) return Promise.resolve();
    return this.store.update(key, text === '' ? undefined : text.slice(0, MAX_COMMENT_LENGTH));
  }

  /** After a successful send, and only then. */
  clear(portalOrigin: string, taskId: number): Thenable<void> {
    return this.set(portalOrigin, taskId, '');
  }
}
