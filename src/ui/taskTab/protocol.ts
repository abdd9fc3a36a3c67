/**
 * The task tab's messages, both ways, and the view it renders. Pure: no `vscode`, no DOM, so
 * the webview script imports its types and the unit tests its checks.
 *
 * Types and limits only (the webview's bundle takes the limits, not the checks).
 *
 * The extension formats every word, time and date (`TaskView` holds strings and `Markup`,
 * never HTML); the webview only lays them out. What the webview sends is untrusted input:
 * `fromWebview` (fromWebview.ts) checks its shape and bounds, and the extension decides the rest (the task a
 * write goes to is the tab's, never one the message names; a link is opened only after
 * `markupLink`, a person or a file only on the portal's own origin).
 */
import type { Markup } from '../../core/portalMarkup';
import type { StatusAction } from '../../core/taskCard';

/** The longest comment (and draft) the tab sends or keeps, in UTF-16 units. */
export const MAX_COMMENT_LENGTH = 20_000;
/** The longest address a link click may carry back. */
export const MAX_HREF_LENGTH = 8_192;

/** The static words of the tab, in the display language (see `tabLabels`). */
export const LABEL_KEYS = [
  'status', 'deadline', 'creator', 'responsible', 'participants', 'observers', 'group', 'people', 'time', 'estimate', 'spent',
  'timerRunning', 'startTimer', 'stopTimer', 'description', 'noDescription', 'truncated', 'attachment', 'checklist', 'comments',
  'noComments', 'olderComments', 'unread', 'commentBox', 'commentHint', 'send', 'tryAgain', 'openInBitrix24', 'copyLink', 'actions', 'loading',
  'readOnly',
] as const;
export type LabelKey = (typeof LABEL_KEYS)[number];
export type TabLabels = Readonly<Record<LabelKey, string>>;

export interface PersonView {
  readonly id: number;
  readonly name: string;
}

export interface ChecklistItemView {
  readonly id: number;
  readonly title: string;
  readonly done: boolean;
  /** A checklist's heading (no box to tick). */
  readonly heading: boolean;
  /** Shown as a box the user can tick (the item's `action.toggle`, not read-only). */
  readonly canToggle: boolean;
}

export interface CommentView {
  readonly id: number;
  readonly author: PersonView;
  readonly time: string;
  readonly body: Markup;
  readonly unread: boolean;
}

export interface CardView {
  readonly title: string;
  readonly status: string;
  readonly deadline?: { readonly words: string; readonly date: string; readonly overdue: boolean };
  readonly creator?: PersonView;
  readonly responsible?: PersonView;
  readonly participants: readonly PersonView[];
  readonly observers: readonly PersonView[];
  readonly group?: string;
  /** In words ("4 h"); none when the task has no estimate. */
  readonly estimate?: string;
  /** Seconds logged as the card said them; the webview counts on from there while `timerRunning`. */
  readonly spentSeconds: number;
  readonly timerRunning: boolean;
  readonly description: Markup;
  readonly checklist: readonly ChecklistItemView[];
  /** Oldest first, so the newest is at the bottom; or why they cannot be shown. */
  readonly comments: { readonly kind: 'shown'; readonly items: readonly CommentView[] } | { readonly kind: 'unavailable'; readonly sentence: string };
  /** Why the task chat cannot be read (the `im` scope), said above `comments`, which are then the older ones from before the chat. */
  readonly chatRefused?: string;
  /** The status actions the task's `action` map allows (none in read-only mode), with their button labels. */
  readonly actions: ReadonlyArray<{ readonly action: StatusAction; readonly label: string }>;
  /** Offer the timer button (the action map allows it, not read-only). */
  readonly timer: boolean;
  /** Offer the comment box. */
  readonly canComment: boolean;
  /** Why there is no comment box where the tab would offer one (the chat refuses the webhook). */
  readonly commentWithheld?: string;
}

/** What the aria-live line says about the last write: sending, what the portal said, or why it failed. */
export interface Notice {
  readonly kind: 'pending' | 'done' | 'failed';
  readonly text: string;
  /** Offer "Try Again" (a failed write; never retried by itself). */
  readonly tryAgain: boolean;
}

export interface TaskView {
  readonly taskId: number;
  readonly labels: TabLabels;
  readonly body:
    | { readonly kind: 'loading' }
    | { readonly kind: 'failed'; readonly sentence: string; readonly detail?: string }
    | { readonly kind: 'card'; readonly card: CardView };
  readonly notice?: Notice;
  /** A write is in flight: every action button is disabled until it ends. */
  readonly busy: boolean;
  readonly readOnly: boolean;
}

/** Extension → webview. */
export type ToWebview =
  | { readonly type: 'render'; readonly view: TaskView }
  /** The comment draft the extension kept (the webview keeps its own if it has one). */
  | { readonly type: 'draft'; readonly text: string }
  /** The comment was sent: clear the box. */
  | { readonly type: 'commentSent' };

/** Webview → extension, as `fromWebview` accepts it. */
export type FromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'status'; readonly action: StatusAction }
  | { readonly type: 'timer'; readonly start: boolean }
  | { readonly type: 'checklist'; readonly itemId: number; readonly done: boolean }
  | { readonly type: 'comment'; readonly text: string }
  | { readonly type: 'draft'; readonly text: string }
  | { readonly type: 'tryAgain' }
  | { readonly type: 'openLink'; readonly href: string }
  | { readonly type: 'openUser'; readonly userId: number }
  | { readonly type: 'openFile'; readonly fileId: string }
  | { readonly type: 'openInBitrix24' }
  | { readonly type: 'copyLink' };
