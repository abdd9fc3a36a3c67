/**
 * One task as its tab shows it (`tasks.task.get` with its comments and time), and what the
 * user can do to it. Pure: no `vscode`. Every text is `PortalText`, descriptions and comments
 * are `Markup` (never HTML), ids are positive safe integers.
 */
import { Markup } from './portalMarkup';
import { Failure, Outcome } from './outcome';
import { PortalText } from './portalText';

/** 1 new (legacy), 2 pending, 3 in progress, 4 awaiting control, 5 completed, 6 deferred, 7 declined (legacy). */
export type TaskStatus = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** The status methods `tasks.task.<action>`; each shown only when the answer's `action` map allows it. */
export const STATUS_ACTIONS = ['start', 'pause', 'complete', 'defer', 'renew', 'approve', 'disapprove'] as const;
export type StatusAction = (typeof STATUS_ACTIONS)[number];

export interface CardPerson {
  readonly id: number;
  readonly name: PortalText;
}

export interface ChecklistItem {
  readonly id: number;
  /** 0 for a checklist's heading. */
  readonly parentId: number;
  readonly title: PortalText;
  readonly done: boolean;
  /** The item's own `action.toggle`. */
  readonly canToggle: boolean;
}

export interface TaskComment {
  readonly id: number;
  readonly author: CardPerson;
  /** Epoch ms. */
  readonly postedAt: number;
  readonly body: Markup;
  /** Written by someone else and not read by the webhook's user yet. */
  readonly unread: boolean;
}

/** What the task's `action` map allows, for the actions the tab offers. */
export interface AllowedActions {
  readonly status: ReadonlySet<StatusAction>;
  /** `dayplan.timer.toggle` (and the task tracks time). */
  readonly timer: boolean;
  /** Anyone who can see the task can comment; false when the portal says otherwise. */
  readonly comment: boolean;
}

export interface TaskCard {
  readonly id: number;
  readonly title: PortalText;
  readonly status: TaskStatus;
  /** Epoch ms. */
  readonly deadline?: number;
  readonly creator?: CardPerson;
  readonly responsible?: CardPerson;
  readonly accomplices: readonly CardPerson[];
  readonly auditors: readonly CardPerson[];
  readonly group?: CardPerson;
  /** Seconds; 0 when none. */
  readonly timeEstimate: number;
  /** Seconds logged, the running timer's included when the portal says (`timeElapsed`). */
  readonly timeSpent: number;
  /** The webhook user's timer runs on this task. */
  readonly timerRunning: boolean;
  readonly description: Markup;
  readonly checklist: readonly ChecklistItem[];
  readonly allowed: AllowedActions;
  /** Old card: comments in the forum (`task.commentitem.*`); new card: the task chat (`im.*`, scope `im`). */
  readonly commentsIn: 'forum' | 'chat';
  /** The comments, oldest first; a failure of their own (a chat without the `im` scope) leaves the task shown. */
  readonly comments: Outcome<readonly TaskComment[]>;
  readonly newComments: number;
}

/**
 * A write the user asked for. Never retried automatically: a retried comment posts twice.
 * `read` (the comments shown were read) is the one write that rides a poll.
 */
export type TaskWrite =
  | { readonly kind: 'status'; readonly taskId: number; readonly action: StatusAction }
  | { readonly kind: 'timer'; readonly taskId: number; readonly start: boolean }
  | { readonly kind: 'checklist'; readonly taskId: number; readonly itemId: number; readonly done: boolean }
  | { readonly kind: 'comment'; readonly taskId: number; readonly text: string };

/** What a write did, in the portal's answer's terms (never what the user hoped for). */
export interface WriteResult {
  /** The task as the portal returned it after the write, when it did. */
  readonly card?: TaskCard;
  /**
   * - `done`: the portal did it;
   * - `unchanged`: a status action to the status the task already had (the portal answers 200 and writes nothing);
   * - `awaitingControl`: Complete put the task in "awaiting control" (sent to the creator for approval);
   * - `timerMoved`: starting this timer stopped the one on `stoppedTaskId`.
   */
  readonly said: 'done' | 'unchanged' | 'awaitingControl' | 'timerMoved';
  readonly stoppedTaskId?: number;
}

/**
 * What a write's failure means to the user beyond its kind: `unknown` when the request may
 * have reached the portal (a timeout, a cut answer): it may or may not have been applied.
 */
export interface WriteFailure extends Failure {
  readonly applied?: 'unknown';
}

export type WriteOutcome = { readonly ok: true; readonly value: WriteResult } | { readonly ok: false; readonly error: WriteFailure };

/** The cards the poller keeps for shown tabs, by task id; `undefined` = not fetched yet. */
export type TaskCards = Readonly<Record<number, Outcome<TaskCard>>>;

/**
 * What the task tab needs of the poller (the poller implements it): views show cards from the
 * state and ask through this, never the portal.
 */
export interface TaskCardSource {
  /**
   * Carries the task's card (task, comments, time) in every poll's batch until the returned
   * release is called (the tab hidden or closed); not fetched yet: asked as soon as allowed.
   * With `readComments` (not in read-only mode), unread comments the card shows are marked
   * read (as the web card does when it shows them), by a command riding the next poll.
   */
  showTask(taskId: number, options: { readonly readComments: boolean }): () => void;
  /**
   * One request: the write, then the counters, the shown lists and cards in the same batch.
   * Never retried; a second identical write while one is in flight joins it.
   */
  write(write: TaskWrite): Promise<WriteOutcome>;
}
