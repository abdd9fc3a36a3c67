/**
 * One task as its tab shows it (`tasks.task.get` with its comments and time), and what the
 * user can do to it. Pure: no `vscode`. Every text is `PortalText`, descriptions and comments
 * are `Markup` (never HTML), ids are positive safe integers.
 */
import { fail, Failure, Outcome, succeed } from './outcome';
import { Markup, portalMarkup } from './portalMarkup';
import { PortalText, portalText, Redact, sentence, showableTime } from './portalText';
import { QueryParams } from './taskList';
import { isId } from './taskListLink';

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
  /** The task chat's id (`chatId`), on the new card. */
  readonly chatId?: number;
  /**
   * The comments, oldest first; a failure of their own leaves the task shown. While
   * `chatRefused`: the forum's, written before the task got its chat.
   */
  readonly comments: Outcome<readonly TaskComment[]>;
  /** The task chat refused the webhook for scope (no `im`): its messages cannot be read, nor a comment sent. */
  readonly chatRefused?: Failure;
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

// ---------------------------------------------------------------------------------------------
// Reading the portal's answers (the notes' A1, A3, A7): any JSON in, a card or a failure out
// ---------------------------------------------------------------------------------------------

/** `tasks.task.get`'s `select` for a card (unknown keys are dropped by the portal, so CHAT_ID is safe on old cores). */
export const CARD_SELECT = [
  'ID', 'TITLE', 'DESCRIPTION', 'STATUS', 'CREATED_BY', 'RESPONSIBLE_ID', 'ACCOMPLICES', 'AUDITORS', 'DEADLINE', 'GROUP_ID',
  'TIME_ESTIMATE', 'TIME_SPENT_IN_LOGS', 'ALLOW_TIME_TRACKING', 'TASK_CONTROL', 'CHECKLIST', 'NEW_COMMENTS_COUNT',
  'COMMENTS_COUNT', 'CHAT_ID', 'DESCRIPTION_IN_BBCODE',
] as const;

/** The newest comments a card shows (a chat page's most, `im.dialog.messages.get` LIMIT). */
export const MAX_CARD_COMMENTS = 50;

/** A card's fields from `tasks.task.get`, before its comments are read. */
export type TaskFields = Omit<TaskCard, 'comments'>;

/** Who reads: the webhook's user (unread comments are theirs), and the secret to strip. */
export interface CardReader {
  readonly userId: number;
  readonly redact: Redact;
}

/** `{"task": {...}}` of tasks.task.get or of a status or timer action; `[]` (or anything else without a task): not found. */
export function parseTaskFields(result: unknown, taskId: number, redact: Redact): Outcome<TaskFields> {
  const task = record(record(result).task);
  const id = idOf(task.id);
  const status = idOf(task.status);
  if (id === undefined || !isTaskStatus(status)) {
    return Array.isArray(result) || !Object.hasOwn(record(result), 'task')
      ? fail(notFound(taskId))
      : fail({ kind: 'notJson', detail: sentence`the portal's answer for task #${taskId} has an unexpected shape` });
  }
  const chatId = idOf(task.chatId);
  const tracksTime = task.allowTimeTracking !== 'N';
  const action = record(task.action);
  const allowed = (name: string) => action[name] === true || action[name] === 'Y';
  const estimate = count(task.timeEstimate);
  const accomplices = people(task.accomplices, record(task.accomplicesData), redact);
  const auditors = people(task.auditors, record(task.auditorsData), redact);
  const deadline = typeof task.deadline === 'string' ? showableTime(Date.parse(task.deadline)) : undefined;
  return succeed({
    id,
    title: text(task.title, redact) || sentence`#${id}`,
    status,
    ...optional('deadline', deadline),
    ...optional('creator', person(task.creator, redact)),
    ...optional('responsible', person(task.responsible, redact)),
    accomplices,
    auditors,
    ...optional('group', person(task.group, redact)),
    timeEstimate: estimate,
    // timeElapsed (WITH_TIMER_INFO) includes the running timer; without it, the log.
    timeSpent: task.timeElapsed !== undefined ? count(task.timeElapsed) : count(task.timeSpentInLogs),
    timerRunning: task.timerIsRunningForCurrentUser === 'Y',
    description: typeof task.description === 'string' ? portalMarkup(task.description, redact) : [],
    checklist: checklist(task.checklist, redact),
    allowed: {
      status: new Set(STATUS_ACTIONS.filter(allowed)),
      timer: tracksTime && allowed('dayplan.timer.toggle'),
      comment: true,
    },
    commentsIn: chatId === undefined ? 'forum' : 'chat',
    ...optional('chatId', chatId),
    newComments: count(task.newCommentsCount),
  });
}

/** The card: its fields and its comments' own outcome; a refused chat takes no comment either (it would go there). */
export function taskCard(fields: TaskFields, comments: Outcome<readonly TaskComment[]>, chatRefused?: Failure): TaskCard {
  return chatRefused === undefined ? { ...fields, comments } : { ...fields, allowed: { ...fields.allowed, comment: false }, comments, chatRefused };
}

/** "task #N not found or not visible": tasks.task.get's `{"result":[]}`. */
export function notFound(taskId: number): Failure {
  return { kind: 'access', detail: sentence`task #${taskId} not found or not visible to the webhook's user` };
}

/**
 * `task.commentitem.getlist`'s rows (`ID, AUTHOR_ID, AUTHOR_NAME, POST_DATE, POST_MESSAGE`), oldest
 * first; `unreadCount`: the task's `newCommentsCount` (the newest that many by others are unread).
 */
export function parseForumComments(result: unknown, unreadCount: number, reader: CardReader): Outcome<readonly TaskComment[]> {
  if (!Array.isArray(result)) return unexpected('task.commentitem.getlist');
  const rows = result.map((value) => {
    const row = record(value);
    return comment(row.ID, row.AUTHOR_ID, row.AUTHOR_NAME, row.POST_DATE, row.POST_MESSAGE, undefined, reader.redact);
  });
  return succeed(markUnread(rows, unreadCount, reader.userId));
}

/**
 * `im.dialog.messages.get`'s `{messages: [{id, author_id, date, text, unread?}], users: [{id, name}]}`
 * (newest first): the chat's messages by people, oldest first. Unread: a message's own `unread`
 * flag where the portal sends one, else the newest `unreadCount` by others.
 */
export function parseChatMessages(result: unknown, unreadCount: number, reader: CardReader): Outcome<readonly TaskComment[]> {
  const { messages, users } = record(result);
  if (!Array.isArray(messages)) return unexpected('im.dialog.messages.get');
  const names = new Map<number, unknown>();
  for (const user of Array.isArray(users) ? users : []) {
    const id = idOf(record(user).id);
    if (id !== undefined) names.set(id, record(user).name);
  }
  const rows = messages.map((value) => {
    const message = record(value);
    const authorId = idOf(message.author_id);
    const flag = typeof message.unread === 'boolean' ? message.unread : undefined;
    return comment(message.id, authorId, authorId === undefined ? undefined : names.get(authorId), message.date, message.text, flag, reader.redact);
  });
  return succeed(markUnread(rows, unreadCount, reader.userId));
}

interface ReadComment extends TaskComment {
  /** The portal's own unread flag, when it sent one. */
  readonly flag?: boolean;
}

function comment(id: unknown, authorId: unknown, authorName: unknown, date: unknown, body: unknown, flag: boolean | undefined, redact: Redact): ReadComment | undefined {
  const commentId = idOf(id);
  const author = idOf(authorId);
  // A message without a person behind it (a chat's system message, author 0) is not a comment.
  if (commentId === undefined || author === undefined) return undefined;
  const postedAt = typeof date === 'string' ? showableTime(Date.parse(date)) : undefined;
  return {
    id: commentId,
    author: { id: author, name: text(authorName, redact) || sentence`#${author}` },
    postedAt: postedAt ?? 0,
    body: typeof body === 'string' ? portalMarkup(body, redact) : [],
    unread: false,
    flag,
  };
}

/** Oldest first, the newest MAX_CARD_COMMENTS; the newest `unreadCount` by others unread unless flagged. */
function markUnread(rows: ReadonlyArray<ReadComment | undefined>, unreadCount: number, userId: number): TaskComment[] {
  const seen = new Set<number>();
  const comments = rows
    .filter((row): row is ReadComment => row !== undefined && !seen.has(row.id) && Boolean(seen.add(row.id)))
    .sort((a, b) => a.id - b.id)
    .slice(-MAX_CARD_COMMENTS);
  const flagged = comments.some((c) => c.flag !== undefined);
  let left = unreadCount;
  const unread = new Set<number>();
  for (const c of [...comments].reverse()) {
    if (c.author.id === userId) continue;
    if (flagged ? c.flag === true : left-- > 0) unread.add(c.id);
  }
  return comments.map(({ flag: _flag, ...c }) => ({ ...c, unread: c.author.id !== userId && unread.has(c.id) }));
}

function unexpected<T>(method: CardMethod): Outcome<T> {
  return fail({ kind: 'notJson', detail: sentence`the portal's answer to ${method} has an unexpected shape` });
}

/** The checklist map `{itemId: {id, parentId, title, isComplete, sortIndex, action: {toggle}}}` (or a list), by sort index. */
function checklist(value: unknown, redact: Redact): ChecklistItem[] {
  const items: Array<ChecklistItem & { sort: number }> = [];
  for (const entry of Object.values(record(value, true))) {
    const item = record(entry);
    const id = idOf(item.id);
    if (id === undefined) continue;
    items.push({
      id,
      parentId: idOf(item.parentId) ?? 0,
      title: text(item.title, redact),
      done: item.isComplete === 'Y' || item.isComplete === true,
      canToggle: record(item.action).toggle === true,
      sort: count(item.sortIndex),
    });
  }
  return items.sort((a, b) => a.sort - b.sort || a.id - b.id).map(({ sort: _sort, ...item }) => item);
}

/** Ids from `accomplices` (`["3","11"]`), names from `accomplicesData` (`{"3": {id, name}}`). */
function people(ids: unknown, data: Record<string, unknown>, redact: Redact): CardPerson[] {
  const list: CardPerson[] = [];
  for (const value of Array.isArray(ids) ? ids : []) {
    const id = idOf(value);
    if (id === undefined || list.some((p) => p.id === id)) continue;
    list.push({ id, name: text(Object.hasOwn(data, String(id)) ? record(data[String(id)]).name : undefined, redact) || sentence`#${id}` });
  }
  return list;
}

function person(value: unknown, redact: Redact): CardPerson | undefined {
  const { id, name } = record(value);
  const personId = idOf(id);
  return personId === undefined ? undefined : { id: personId, name: text(name, redact) || sentence`#${personId}` };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** An object's own fields; arrays too when `lists` (PHP sends an empty map as `[]`). */
function record(value: unknown, lists = false): Record<string, unknown> {
  return typeof value === 'object' && value !== null && (lists || !Array.isArray(value)) ? (value as Record<string, unknown>) : {};
}

/** A portal id, as a number or a digit string. */
function idOf(value: unknown): number | undefined {
  const id = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return isId(id) ? id : undefined;
}

/** A count or seconds, as a number or a digit string: 0 for anything else, at most MAX_SAFE_INTEGER. */
function count(value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && n > 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;
}

function text(value: unknown, redact: Redact): PortalText {
  return portalText(typeof value === 'string' || typeof value === 'number' ? String(value) : '', redact);
}

function isTaskStatus(value: number | undefined): value is TaskStatus {
  return value !== undefined && value >= 1 && value <= 7;
}

// ---------------------------------------------------------------------------------------------
// The commands: reading a card, marking it read, and the user's writes (A1-A6)
// ---------------------------------------------------------------------------------------------

/** The card's methods a batch carries (the extension's words, which a failure's detail can name). */
export type CardMethod =
  | 'tasks.task.get'
  | 'task.commentitem.getlist'
  | 'im.dialog.messages.get'
  | `tasks.task.${StatusAction}`
  | 'tasks.task.startTimer'
  | 'tasks.task.pauseTimer'
  | 'task.checklistitem.complete'
  | 'task.checklistitem.renew'
  | 'task.commentitem.add'
  | 'tasks.task.view.update'
  | 'im.dialog.read';

/** REST 3.0 (`/rest/api/…`): a chat card's new comment. It cannot ride a batch. */
export const CHAT_MESSAGE_METHOD = 'tasks.task.chat.message.send';

export interface CardCommand {
  readonly method: CardMethod;
  readonly params: QueryParams;
}

/** The task with its time (`WITH_TIMER_INFO`). */
export function taskCommand(taskId: number): CardCommand {
  return { method: 'tasks.task.get', params: { taskId, select: [...CARD_SELECT], params: { WITH_TIMER_INFO: 'Y' } } };
}

/**
 * Where a card's comments are, once an answer said: the forum (the old card), or the task chat
 * with this id; `chatRefused`: the chat refused the webhook for scope, so the forum's comments
 * from before the chat are asked with it while it does.
 */
export type CommentsSource = 'forum' | { readonly chatId: number; readonly chatRefused?: true };

/** The source a card's fields name, and whether its chat refused the webhook for scope. */
export function commentsSourceOf(fields: TaskFields, chatRefused: boolean): CommentsSource {
  if (fields.chatId === undefined) return 'forum';
  return chatRefused ? { chatId: fields.chatId, chatRefused: true } : { chatId: fields.chatId };
}

export function sameCommentsSource(a: CommentsSource, b: CommentsSource): boolean {
  return a === 'forum' || b === 'forum' ? a === b : a.chatId === b.chatId && a.chatRefused === b.chatRefused;
}

/** Whether the source asks the forum: a forum card, or a chat card whose chat refused the webhook. */
export function asksForum(source: CommentsSource): boolean {
  return source === 'forum' || source.chatRefused === true;
}

/** The forum's comments. The method binds its parameters by position: TASKID, ORDER, FILTER, in this order. */
export function forumCommentsCommand(taskId: number): CardCommand {
  return { method: 'task.commentitem.getlist', params: { TASKID: taskId, ORDER: { ID: 'asc' } } };
}

/**
 * The chat's newest page: `chat<id>`, or `chat$result[KEY][task][chatId]`, a batch reference
 * to the task command KEY's answer before it. A task without a chat leaves that reference as
 * written (the portal replaces it only by a number or a string), which names no dialog: an error.
 */
export function chatMessagesCommand(chat: number | { readonly taskCommandKey: string }): CardCommand {
  const dialog = typeof chat === 'number' ? `chat${chat}` : `chat$result[${chat.taskCommandKey}][task][chatId]`;
  return { method: 'im.dialog.messages.get', params: { DIALOG_ID: dialog, LIMIT: MAX_CARD_COMMENTS } };
}

/** The newest unread comment a card shows, if any: what a read mark reads up to. */
export function newestUnread(card: TaskCard): number | undefined {
  return card.comments.ok ? card.comments.value.filter((c) => c.unread).at(-1)?.id : undefined;
}

/**
 * Marks a card's comments read, as the web card does when it shows them: the forum's task
 * viewed now (`tasks.task.view.update`, M), or the chat read up to the newest message shown
 * (`im.dialog.read` with MESSAGE_ID, which both readings of the docs accept).
 */
export function readCommand(card: TaskCard): CardCommand | undefined {
  const newest = card.comments.ok ? card.comments.value.at(-1)?.id : undefined;
  if (newestUnread(card) === undefined || newest === undefined) return undefined;
  return card.chatId === undefined
    ? { method: 'tasks.task.view.update', params: { taskId: card.id } }
    : { method: 'im.dialog.read', params: { DIALOG_ID: `chat${card.chatId}`, MESSAGE_ID: newest } };
}

/** A write's batch command (a chat card's comment is not one: see CHAT_MESSAGE_METHOD). Never AUTHOR_ID. */
export function writeCommand(write: TaskWrite): CardCommand {
  switch (write.kind) {
    case 'status':
      return { method: `tasks.task.${write.action}`, params: { taskId: write.taskId } };
    case 'timer':
      return write.start
        ? { method: 'tasks.task.startTimer', params: { taskId: write.taskId, params: { STOP_PREVIOUS: 'Y' } } }
        : { method: 'tasks.task.pauseTimer', params: { taskId: write.taskId } };
    case 'checklist':
      // Positional: TASKID, ITEMID.
      return { method: write.done ? 'task.checklistitem.complete' : 'task.checklistitem.renew', params: { TASKID: write.taskId, ITEMID: write.itemId } };
    case 'comment':
      return { method: 'task.commentitem.add', params: { TASKID: write.taskId, FIELDS: { POST_MESSAGE: write.text } } };
  }
}

/** The same write, whatever order its fields came in: a double click joins the first. */
export function writeKey(write: TaskWrite): string {
  switch (write.kind) {
    case 'status':
      return JSON.stringify([write.kind, write.taskId, write.action]);
    case 'timer':
      return JSON.stringify([write.kind, write.taskId, write.start]);
    case 'checklist':
      return JSON.stringify([write.kind, write.taskId, write.itemId, write.done]);
    case 'comment':
      return JSON.stringify([write.kind, write.taskId, write.text]);
  }
}

/** The most a comment's text may be: the portal's forum keeps far more, but a tab's box is not a document. */
export const MAX_COMMENT_LENGTH = 20_000;

/** Why a write cannot be sent at all (nothing went to the portal), if it cannot. */
export function invalidWrite(write: TaskWrite): WriteFailure | undefined {
  if (!isId(write.taskId) || (write.kind === 'checklist' && !isId(write.itemId))) {
    return { kind: 'badRequest', detail: sentence`not a task or checklist item id` };
  }
  if (write.kind === 'status' && !(STATUS_ACTIONS as readonly string[]).includes(write.action)) {
    return { kind: 'badRequest', detail: sentence`not a status action` };
  }
  if (write.kind === 'comment' && (write.text.trim() === '' || write.text.length > MAX_COMMENT_LENGTH)) {
    return { kind: 'badRequest', detail: sentence`a comment must have text, at most ${MAX_COMMENT_LENGTH} characters` };
  }
  return undefined;
}

/**
 * A write whose request failed as a whole. Refused before it ran (a rate limit, the webhook
 * refused, a redirect not followed, a connection never made): not applied. Cut off or lost on
 * the way back (a timeout, a reset, a cut or non-JSON answer, a 5xx): it may have been applied.
 */
export function unansweredWrite(failure: Failure): WriteFailure {
  return mayHaveReached(failure) ? { ...failure, applied: 'unknown' } : failure;
}

function mayHaveReached(failure: Failure): boolean {
  switch (failure.kind) {
    case 'network':
      return failure.networkCause !== 'refused' && failure.networkCause !== 'dns' && failure.networkCause !== 'tls';
    case 'notJson':
    case 'server':
    case 'tooLarge':
      return true;
    default:
      return false;
  }
}

/** What the poller knew before the write, to tell what it did. */
export interface WriteContext {
  /** The task's card before the write, when it was shown. */
  readonly before?: TaskCard;
  /** The task's card fetched after the write in the same batch, when it is shown. */
  readonly after?: TaskCard;
  /** The other shown cards before the write: where the webhook user's timer ran. */
  readonly others: readonly TaskCard[];
  readonly redact: Redact;
}

/**
 * What a batch write's own command answered. A status action answers the task: its status
 * against the one before tells done, unchanged, or awaiting control. "Action on the task is not
 * allowed" (400, "1048582" or "0" on older cores) is a failure saying so.
 */
export function writeOutcome(write: TaskWrite, result: Outcome<unknown>, context: WriteContext): WriteOutcome {
  if (!result.ok) return { ok: false, error: writeRefused(write, result.error) };
  const done = (said: WriteResult['said'] = 'done', stoppedTaskId?: number): WriteOutcome => ({
    ok: true,
    value: { ...optional('card', context.after), said, ...optional('stoppedTaskId', stoppedTaskId) },
  });
  switch (write.kind) {
    case 'status': {
      const task = parseTaskFields(result.value, write.taskId, context.redact);
      if (!task.ok) return done();
      if (context.before?.status === task.value.status) return done('unchanged');
      return done(write.action === 'complete' && task.value.status === 4 ? 'awaitingControl' : 'done');
    }
    case 'timer': {
      // allowTimeTracking N: `null`, no error (M).
      if (result.value === null || (Array.isArray(result.value) && result.value.length === 0)) {
        return { ok: false, error: { kind: 'access', detail: sentence`the portal did not ${write.start ? 'start' : 'stop'} the timer of task #${write.taskId}: the task does not track time` } };
      }
      // STOP_PREVIOUS stopped the timer on another task, if one ran on a task shown in a tab.
      const moved = write.start ? context.others.find((card) => card.id !== write.taskId && card.timerRunning) : undefined;
      return moved ? done('timerMoved', moved.id) : done();
    }
    case 'checklist':
      return result.value === true || result.value === 'true'
        ? done()
        : { ok: false, error: { kind: 'badRequest', detail: sentence`task #${write.taskId} has no checklist item #${write.itemId}` } };
    case 'comment':
      return done();
  }
}

/** A write's command failure in the user's words where the portal's are a code. */
export function writeRefused(write: TaskWrite, failure: Failure): WriteFailure {
  const code = String(failure.code ?? '');
  if (code === '1048582' || (code === '0' && /not allowed/i.test(failure.detail))) {
    return { ...failure, kind: 'access', detail: sentence`the action is not allowed on task #${write.taskId} (${failure.detail})` };
  }
  if (code.toUpperCase() === 'ERROR_METHOD_NOT_FOUND') {
    return { ...failure, detail: sentence`this portal does not have ${writeCommand(write).method}: ${failure.detail}` };
  }
  // A batch command's answer missing from the batch: it may have run.
  return failure.kind === 'notJson' ? { ...failure, applied: 'unknown' } : failure;
}
