/**
 * Comments on the sandbox portal's tasks, as the notes (bitrix24-task-actions.md) describe them:
 * the old card's forum (task.commentitem.*, A3), the new card's task chat (im.dialog.messages.get,
 * tasks.task.chat.message.send on REST 3.0, A3), and reading them (tasks.task.view.update,
 * tasks.viewedGroup.user.markAsRead, tasks.task.comment.readAll, im.dialog.read, A4).
 *
 * Which card the portal has is CardQuirks.comments. Posting raises the other readers' unread
 * counts and reading lowers the reader's (cards.ts), which is what the counters are derived from.
 */
import {
  actionFailed,
  CardCall,
  CardComment,
  CardMethod,
  chatIdOf,
  coreError,
  method,
  notAllowed,
  positional,
  REST_V3_PREFIX,
  TaskCards,
  taskIdOfChat,
  taskIdParam,
  unlessMissing,
} from './cards';
import { failure, Failure, insufficientScope, methodNotFound, Outcome, succeed } from './outcome';
import type { Role, SandboxUser } from './portal';
import { inRole, SandboxTask } from './tasks';
import { intParam, isObject, isoSeconds } from './wire';

// ---------------------------------------------------------------------------------------------
// The old card: task.commentitem.* (deprecated; parameters bound by position)
// ---------------------------------------------------------------------------------------------

/** getlist's ORDER and FILTER fields (the docs' lists); FILTER keys may carry ! <= < >= >. */
const ORDER_FIELDS = ['ID', 'AUTHOR_ID', 'AUTHOR_NAME', 'AUTHOR_EMAIL', 'POST_DATE'];
const FILTER_FIELDS = ['ID', 'AUTHOR_ID', 'AUTHOR_NAME', 'POST_DATE'];
const FILTER_KEY = /^(!|<=|<|>=|>)?([A-Z_]+)$/;

const wrongArgument = (index: number, name: string, text: string) =>
  coreError(256, `Param #${index} (${name}) for method ctaskcommentitem::getlist() ${text}`, 'WRONG_ARGUMENTS');

/** A comment's field as the filter and the order compare it. */
function commentField(comment: CardComment, field: string, cards: TaskCards): number | string {
  switch (field) {
    case 'ID':
      return comment.id;
    case 'AUTHOR_ID':
      return comment.authorId;
    case 'POST_DATE':
      return comment.postedAt;
    case 'AUTHOR_NAME':
      return cards.userName(comment.authorId);
    default:
      return '';
  }
}

function matches(comment: CardComment, key: string, value: unknown, cards: TaskCards): boolean {
  const [, operator = '', field] = FILTER_KEY.exec(key) ?? [];
  const actual = commentField(comment, field, cards);
  const expectedOf = (v: unknown) => (field === 'POST_DATE' ? Date.parse(String(v)) : typeof actual === 'number' ? Number(v) : String(v));
  const values = (Array.isArray(value) ? value : [value]).map(expectedOf);
  const compare = (expected: number | string) => {
    switch (operator) {
      case '!':
        return actual !== expected;
      case '<=':
        return actual <= expected;
      case '<':
        return actual < expected;
      case '>=':
        return actual >= expected;
      case '>':
        return actual > expected;
      default:
        return actual === expected;
    }
  };
  return operator === '!' ? values.every(compare) : values.some(compare);
}

/**
 * task.commentitem.getlist (TASKID, ORDER, FILTER), newest first by default. On the new card
 * ("does not work" for the chat) only the comments from before the task got its chat.
 */
function commentList({ caller, params, data: { cards } }: CardCall): Outcome {
  const { taskId, order = {}, filter = {} } = positional(params, ['taskId', 'order', 'filter']);
  const id = intParam(taskId);
  if (!id) return wrongArgument(0, 'taskId', 'expected to be of type "integer", but given something else.');
  const badOrder = isObject(order) ? Object.keys(order).find((key) => !ORDER_FIELDS.includes(key.toUpperCase())) : '';
  if (badOrder !== undefined) return wrongArgument(1, 'arOrder', `must not contain key "${badOrder}".`);
  const badFilter = isObject(filter) ? Object.keys(filter).find((key) => !FILTER_FIELDS.includes(FILTER_KEY.exec(key)?.[2] ?? '')) : '';
  if (badFilter !== undefined) return wrongArgument(2, 'arFilter', `must not contain key "${badFilter}".`);
  const task = cards.visibleTask(caller, id);
  if (!task) return actionFailed();
  const card = cards.card(id);
  const forum = cards.quirks.comments === 'chat' ? card.forumComments : [...card.forumComments, ...card.comments];
  const orderBy = Object.entries(order as Record<string, unknown>).map(([field, direction]) => ({
    field: field.toUpperCase(),
    sign: String(direction).toLowerCase() === 'asc' ? 1 : -1,
  }));
  if (orderBy.length === 0) orderBy.push({ field: 'ID', sign: -1 });
  const rows = forum
    .filter((comment) => Object.entries(filter as Record<string, unknown>).every(([key, value]) => matches(comment, key, value, cards)))
    .sort((a, b) => {
      for (const { field, sign } of orderBy) {
        const [x, y] = [commentField(a, field, cards), commentField(b, field, cards)];
        if (x !== y) return x < y ? -sign : sign;
      }
      return 0;
    })
    .map((comment) => ({
      // The docs' example: null (the HTML rendering is not sent).
      POST_MESSAGE_HTML: null,
      ID: String(comment.id),
      AUTHOR_ID: String(comment.authorId),
      AUTHOR_NAME: cards.userName(comment.authorId),
      AUTHOR_EMAIL: '',
      POST_DATE: isoSeconds(comment.postedAt),
      POST_MESSAGE: comment.text,
      ATTACHED_OBJECTS: {},
    }));
  return succeed(rows);
}

/**
 * task.commentitem.add (TASKID, FIELDS {POST_MESSAGE}): the new comment's id. Works on both
 * cards (on the new one it is a chat message). FIELDS.AUTHOR_ID posts as that user, as the
 * portal does: a client must never send it.
 */
function commentAdd({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const { taskId, fields } = positional(params, ['taskId', 'fields']);
  const id = intParam(taskId);
  const task = id ? cards.visibleTask(caller, id) : undefined;
  const text = isObject(fields) ? fields.POST_MESSAGE : undefined;
  const authorId = isObject(fields) && fields.AUTHOR_ID !== undefined ? intParam(fields.AUTHOR_ID) : caller.id;
  if (!task || typeof text !== 'string' || text.trim() === '' || !authorId || !cards.portal.user(authorId)) return actionFailed();
  return succeed(cards.post(task.id, authorId, text, nowMs).id);
}

// ---------------------------------------------------------------------------------------------
// The new card: the task chat
// ---------------------------------------------------------------------------------------------

/** The messenger's own errors: 400 with a code. */
const imError = (code: string, description: string) => failure(400, code, description);

/** The task behind `chat<chatId>` if the portal has the new card and the caller is in that chat. */
function chatTask(cards: TaskCards, caller: SandboxUser, dialogId: unknown): SandboxTask | Failure {
  if (typeof dialogId !== 'string' || dialogId === '') return imError('DIALOG_ID_EMPTY', "Dialog ID can't be empty");
  const chatId = /^chat(\d+)$/.exec(dialogId);
  const task = chatId && cards.quirks.comments === 'chat' ? cards.task(taskIdOfChat(Number(chatId[1]))) : undefined;
  if (!task || !cards.readers(task).includes(caller.id)) {
    return imError('ACCESS_ERROR', 'You do not have access to the specified dialog');
  }
  return task;
}

/** The page asked for: the LIMIT newest before LAST_ID, or the LIMIT oldest after FIRST_ID, or the LIMIT newest. */
function messagePage(comments: readonly CardComment[], params: CardCall['params']): CardComment[] {
  const limit = Math.max(1, Math.min(50, intParam(params.LIMIT) || 20));
  const lastId = params.LAST_ID === undefined ? undefined : intParam(params.LAST_ID);
  const firstId = params.FIRST_ID === undefined ? undefined : intParam(params.FIRST_ID);
  if (firstId !== undefined) return comments.filter((c) => c.id > firstId).slice(0, limit);
  const older = lastId === undefined ? comments : comments.filter((c) => c.id < lastId);
  return older.slice(-limit);
}

/** im.dialog.messages.get {DIALOG_ID: chat<chatId>, LIMIT, LAST_ID | FIRST_ID}: newest first; reads nothing. */
function dialogMessages({ caller, params, data: { cards } }: CardCall): Outcome {
  const task = chatTask(cards, caller, params.DIALOG_ID);
  if (!('id' in task)) return task;
  const chatId = chatIdOf(task.id);
  const page = messagePage(cards.card(task.id).comments, params).reverse();
  const authors = [...new Set(page.map((message) => message.authorId))];
  return succeed({
    messages: page.map((message) => ({
      id: message.id,
      chat_id: chatId,
      author_id: message.authorId,
      date: isoSeconds(message.postedAt),
      text: message.text,
      params: null,
    })),
    users: authors.map((id) => {
      const user = cards.portal.user(id);
      return { id, name: cards.userName(id), first_name: user?.name ?? '', last_name: user?.lastName ?? '', work_position: '', avatar: '', bot: false };
    }),
    files: [],
    chat_id: chatId,
  });
}

/**
 * im.dialog.read {DIALOG_ID, MESSAGE_ID}: reads up to that message (without MESSAGE_ID: all,
 * per the notes, or refused, per the chat docs: CardQuirks.chatReadNeedsMessageId).
 */
function dialogRead({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const task = chatTask(cards, caller, params.DIALOG_ID);
  if (!('id' in task)) return task;
  const messageId = params.MESSAGE_ID === undefined ? undefined : intParam(params.MESSAGE_ID);
  if (messageId === undefined && (cards.quirks.chatReadNeedsMessageId || params.MESSAGE_ID !== undefined)) {
    return imError('MESSAGE_ID_ERROR', "Message ID can't be empty");
  }
  const upToId = messageId ?? Number.POSITIVE_INFINITY;
  const counter = cards.unreadAfter(task.id, caller.id, upToId);
  cards.read(task.id, caller.id, upToId, nowMs);
  const comments = cards.card(task.id).comments.filter((comment) => comment.id <= upToId);
  return succeed({ dialogId: `chat${chatIdOf(task.id)}`, chatId: chatIdOf(task.id), counter, lastId: comments.at(-1)?.id ?? 0 });
}

/** A REST 3.0 error: `{"error": {"code", "message", "validation"?}}` (outcomeReply lets extra replace the usual fields). */
function v3Error(status: number, code: string, message: string, validation?: Array<{ field: string; message: string }>): Failure {
  return failure(status, code, message, { extra: { error: { code, message, ...(validation ? { validation } : {}) }, error_description: undefined } });
}

/**
 * tasks.task.chat.message.send on /rest/api/ {fields: {taskId, text}} → {result: true}. Only
 * on a portal with the new card; its scope is `task` or `tasks` (CardQuirks.restV3Scope).
 */
function chatMessageSend({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  if (cards.quirks.comments !== 'chat') return methodNotFound();
  if (!caller.scopes.includes(cards.quirks.restV3Scope)) return insufficientScope();
  const fields = isObject(params.fields) ? params.fields : undefined;
  const missing = !fields ? 'fields' : fields.taskId === undefined ? 'taskId' : typeof fields.text !== 'string' || fields.text === '' ? 'text' : undefined;
  if (!fields || missing) {
    return v3Error(400, 'BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION', 'Request object validation error', [
      { field: missing ?? 'fields', message: `Required field \`${missing ?? 'fields'}\` is not specified` },
    ]);
  }
  const id = intParam(fields.taskId);
  const task = id ? cards.visibleTask(caller, id) : undefined;
  // The method page's table gives 403 for no access to the task.
  if (!task) return v3Error(403, 'BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION', 'Access denied');
  cards.post(task.id, caller.id, String(fields.text), nowMs);
  return succeed({ result: true });
}

// ---------------------------------------------------------------------------------------------
// Reading (A4)
// ---------------------------------------------------------------------------------------------

/** tasks.task.view.update {taskId}: the task viewed now: its forum comments read (a chat's too if viewReadsChat). */
function viewUpdate({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const id = taskIdParam(params);
  if (typeof id !== 'number') return id;
  const task = cards.visibleTask(caller, id);
  if (!task) return notAllowed(cards.quirks);
  if (cards.quirks.comments === 'forum' || cards.quirks.viewReadsChat) cards.read(id, caller.id, Number.POSITIVE_INFINITY, nowMs);
  return succeed(null);
}

/**
 * "Read all" for the caller in a group (0 = all) and role (default view_all): every such task's
 * comments, chats included (26.x). `fields` for tasks.viewedGroup.user.markAsRead, the top level
 * for tasks.task.comment.readAll. Another user's reads are not the caller's to do.
 */
function readAll(fieldsOf: (params: CardCall['params']) => unknown): CardMethod {
  return method('task', ({ caller, params, data: { cards }, nowMs }) => {
    const fields = fieldsOf(params);
    const given = isObject(fields) ? fields : {};
    const groupId = intParam(given.groupId) ?? 0;
    const userId = intParam(given.userId) || caller.id;
    // A role the sandbox does not know reads nothing (a sandbox choice).
    const role = (typeof given.role === 'string' && given.role !== '' ? given.role : 'view_all') as Role;
    if (userId !== caller.id) return notAllowed(cards.quirks);
    for (const task of cards.portal.allTasks()) {
      if (inRole(task, caller.id, role) && (groupId === 0 || task.groupId === groupId)) {
        cards.read(task.id, caller.id, Number.POSITIVE_INFINITY, nowMs);
      }
    }
    return succeed(true);
  });
}

export const COMMENT_METHODS: Readonly<Record<string, CardMethod>> = {
  'task.commentitem.getlist': method('task', commentList),
  'task.commentitem.add': method('task', commentAdd),
  'im.dialog.messages.get': method('im', dialogMessages),
  'im.dialog.read': method('im', dialogRead),
  // Its scope depends on the portal (restV3Scope): checked inside.
  [`${REST_V3_PREFIX}tasks.task.chat.message.send`]: { scopes: [], run: chatMessageSend },
  'tasks.task.view.update': unlessMissing('tasks.task.view.update', method('task', viewUpdate)),
  'tasks.viewedgroup.user.markasread': unlessMissing('tasks.viewedgroup.user.markasread', readAll((params) => params.fields)),
  'tasks.task.comment.readall': unlessMissing('tasks.task.comment.readall', readAll((params) => params)),
};
