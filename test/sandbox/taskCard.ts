/**
 * The task card's REST methods of the sandbox portal, as the notes (bitrix24-task-actions.md)
 * describe them: tasks.task.get with `select` and the `action` map (A1, A7), the status actions
 * with their transition and rights table (A2), tasks.task.getaccess (A7), the timer (A5), the
 * time spent (A5) and the checklist items (A6). Comments are in comments.ts.
 *
 * Rights are modelled for admins, creators, responsibles, accomplices and auditors; group
 * permissions (`edit_tasks`) and bosses are not (the sandbox has no departments).
 */
import {
  actionFailed,
  CardCall,
  CardMethod,
  chatIdOf,
  controllerError,
  coreError,
  isExecutor,
  method,
  notAllowed,
  positional,
  Standing,
  standing,
  TaskCard,
  TaskCards,
  taskIdParam,
  unlessMissing,
} from './cards';
import { failure, Failure, Outcome, Params, succeed } from './outcome';
import type { SandboxUser } from './portal';
import { person, RealStatus, SandboxTask } from './tasks';
import { intParam, isObject, isoSeconds, phpArray } from './wire';

// ---------------------------------------------------------------------------------------------
// A2: the status actions, their transitions and who may
// ---------------------------------------------------------------------------------------------

export type StatusAction = 'start' | 'pause' | 'defer' | 'complete' | 'renew' | 'approve' | 'disapprove';

export const STATUS_ACTIONS: readonly StatusAction[] = ['start', 'pause', 'defer', 'complete', 'renew', 'approve', 'disapprove'];

interface StatusRule {
  /** The statuses the action leaves from, for this caller. */
  from(s: Standing): readonly RealStatus[];
  who(s: Standing, task: SandboxTask): boolean;
  to(s: Standing, task: SandboxTask, card: TaskCard): RealStatus;
}

/** Approve, disapprove, and complete a task awaiting control: its creator (or an admin). */
const controller = (s: Standing) => s.creator || s.admin;

const STATUS_RULES: Readonly<Record<StatusAction, StatusRule>> = {
  start: { from: () => [1, 2], who: isExecutor, to: () => 3 },
  pause: { from: () => [3], who: isExecutor, to: () => 2 },
  // Not from 3: pause first.
  defer: { from: () => [1, 2], who: isExecutor, to: () => 6 },
  complete: {
    from: () => [1, 2, 3, 4, 6, 7],
    who: (s, task) => (task.status === 4 ? controller(s) : isExecutor(s)),
    // Straight to completed, or to 4 "awaiting control" when someone else must check it.
    to: (s, task, card) =>
      s.creator || task.createdBy === task.responsibleId || !card.taskControl || (s.admin && task.status === 4) ? 5 : 4,
  },
  approve: { from: () => [4], who: controller, to: () => 5 },
  disapprove: { from: () => [4], who: controller, to: () => 2 },
  // A responsible or accomplice who is not the creator may take back a task awaiting control.
  renew: { from: (s) => ((s.responsible || s.accomplice) && !s.creator ? [4, 5, 6] : [5, 6]), who: isExecutor, to: () => 2 },
};

export function mayChangeStatus(action: StatusAction, task: SandboxTask, s: Standing): boolean {
  const rule = STATUS_RULES[action];
  return rule.from(s).includes(task.status) && rule.who(s, task);
}

/** Statuses that stop the timer of the responsible or accomplice who moves the task there. */
const CLOSED_STATUSES: readonly number[] = [4, 5, 6];

// ---------------------------------------------------------------------------------------------
// A7: the action map
// ---------------------------------------------------------------------------------------------

/**
 * `allowedActions` as tasks.task.getaccess answers it (tasks.task.get camel-cases the keys).
 * The status actions follow STATUS_RULES; the others are a sandbox approximation of the access
 * rules: editing is the creator's (or an admin's), working on it the executors', the timer the
 * responsible's and accomplices' when the task tracks time; favourites are not modelled.
 */
export function allowedActions(task: SandboxTask, card: TaskCard, s: Standing): Record<string, boolean> {
  const status = (action: StatusAction) => mayChangeStatus(action, task, s);
  const editor = s.creator || s.admin;
  const executor = isExecutor(s);
  return {
    ACCEPT: false,
    DECLINE: false,
    COMPLETE: status('complete'),
    APPROVE: status('approve'),
    DISAPPROVE: status('disapprove'),
    START: status('start'),
    PAUSE: status('pause'),
    DELEGATE: (s.responsible || editor) && task.status !== 5,
    REMOVE: editor,
    EDIT: editor,
    DEFER: status('defer'),
    RENEW: status('renew'),
    CREATE: true,
    CHANGE_DEADLINE: editor,
    CHECKLIST_ADD_ITEMS: executor,
    ADD_FAVORITE: true,
    DELETE_FAVORITE: false,
    RATE: editor,
    TAKE: false,
    'EDIT.ORIGINATOR': editor,
    'CHECKLIST.REORDER': executor,
    'ELAPSEDTIME.ADD': card.allowTimeTracking && executor,
    'DAYPLAN.TIMER.TOGGLE': card.allowTimeTracking && (s.responsible || s.accomplice),
    'EDIT.PLAN': editor,
    'CHECKLIST.ADD': executor,
    'FAVORITE.ADD': true,
    'FAVORITE.DELETE': false,
  };
}

// ---------------------------------------------------------------------------------------------
// A1: the task as tasks.task.get answers it
// ---------------------------------------------------------------------------------------------

interface View {
  task: SandboxTask;
  card: TaskCard;
  cards: TaskCards;
  caller: SandboxUser;
  nowMs: number;
}

const yn = (flag: boolean) => (flag ? 'Y' : 'N');

/** The fields the sandbox knows (CTasks::getFieldsInfo's, in part), as the row holds them: mostly strings. */
const FIELDS: Readonly<Record<string, (v: View) => unknown>> = {
  ID: ({ task }) => String(task.id),
  TITLE: ({ task }) => task.title,
  DESCRIPTION: ({ card }) => card.description,
  DESCRIPTION_IN_BBCODE: () => 'Y',
  STATUS: ({ task }) => String(task.status),
  GROUP_ID: ({ task }) => String(task.groupId),
  CREATED_BY: ({ task }) => String(task.createdBy),
  RESPONSIBLE_ID: ({ task }) => String(task.responsibleId),
  ACCOMPLICES: ({ task }) => task.accomplices.map(String),
  AUDITORS: ({ task }) => task.auditors.map(String),
  DEADLINE: ({ task }) => (task.deadline === null ? null : isoSeconds(task.deadline)),
  CHANGED_DATE: ({ task }) => isoSeconds(task.changedDate),
  TIME_ESTIMATE: ({ card }) => String(card.timeEstimate),
  TIME_SPENT_IN_LOGS: ({ task, cards }) => String(cards.timeSpent(task.id)),
  ALLOW_TIME_TRACKING: ({ card }) => yn(card.allowTimeTracking),
  TASK_CONTROL: ({ card }) => yn(card.taskControl),
  COMMENTS_COUNT: ({ card }) => String(card.comments.length),
  NEW_COMMENTS_COUNT: ({ task, caller }) => task.unread[caller.id] ?? 0,
  CHECKLIST: (v) => checklist(v),
  FAVORITE: () => 'N',
  // Only on a portal with the new card (see validFields).
  CHAT_ID: ({ task }) => chatIdOf(task.id),
};

function validFields(cards: TaskCards): string[] {
  return Object.keys(FIELDS).filter((name) => name !== 'CHAT_ID' || cards.quirks.comments === 'chat');
}

/** `select`: a list (JSON array or PHP-style object); unknown keys are dropped, `*` or none is every field. */
function selectParam(value: unknown, cards: TaskCards): string[] | Failure {
  if (value !== undefined && !isObject(value)) {
    return failure(400, '100', `Invalid value ${JSON.stringify(value)} to match with parameter {select}. Should be value of type array.`);
  }
  const asked = value === undefined ? [] : Object.values(value).filter((name): name is string => typeof name === 'string');
  const valid = validFields(cards);
  if (asked.length === 0 || asked.includes('*')) return valid;
  // Case-sensitive, like PHP's array_intersect; FAVORITE is added to any non-empty select.
  return valid.filter((name) => asked.includes(name) || name === 'FAVORITE');
}

/** Bitrix24's convertKeysToCamelCase, recursively: DESCRIPTION_IN_BBCODE → descriptionInBbcode. */
function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      /^\d+$/.test(key) ? key : key.toLowerCase().replace(/_([a-z0-9])/g, (_, next: string) => next.toUpperCase()),
      camelKeys(inner),
    ]),
  );
}

function userCard(id: number, cards: TaskCards): Record<string, string> {
  return { ...person(id, { userName: (userId) => cards.userName(userId) }), WORK_POSITION: '' };
}

function checklist({ task, card, caller }: View): unknown {
  const s = standing(task, caller);
  const executor = isExecutor(s);
  const editor = s.creator || s.admin;
  return phpArray(
    card.checklist.map((item) => [
      String(item.id),
      {
        ID: String(item.id),
        PARENT_ID: String(item.parentId),
        TITLE: item.title,
        IS_COMPLETE: yn(item.isComplete),
        SORT_INDEX: String(item.sortIndex),
        MEMBERS: [],
        ATTACHMENTS: [],
        ACTION: { MODIFY: editor, REMOVE: editor, TOGGLE: executor, ADD: executor, ADD_ACCOMPLICE: editor },
      },
    ]),
  );
}

/**
 * The checklist as a tree (headings, their items), with completed counts. A sandbox
 * approximation of CheckList::toTreeArray: nodeId, fields, descendants.
 */
function checklistTree(card: TaskCard): unknown {
  const node = (nodeId: number, fields: Record<string, unknown>, children: TaskCard['checklist']): unknown => ({
    NODE_ID: nodeId,
    FIELDS: { ...fields, COMPLETED_COUNT: children.filter((item) => item.isComplete).length },
    DESCENDANTS: children.map((item, index) =>
      node(nodeId + index + 1, { ID: item.id, TITLE: item.title, IS_COMPLETE: item.isComplete }, card.checklist.filter((c) => c.parentId === item.id)),
    ),
  });
  const roots = card.checklist.filter((item) => item.parentId === 0 || !card.checklist.some((c) => c.id === item.parentId));
  return node(0, {}, roots);
}

/** `{task}` for tasks.task.get and the actions; `withTimer`: params.WITH_TIMER_INFO. */
export function taskView(cards: TaskCards, task: SandboxTask, caller: SandboxUser, nowMs: number, select: string[], withTimer: boolean): unknown {
  const card = cards.card(task.id);
  const view: View = { task, card, cards, caller, nowMs };
  const row: Record<string, unknown> = { ID: String(task.id) };
  for (const name of select) row[name] = FIELDS[name](view);
  const group = cards.portal.group(task.groupId);
  row.GROUP = select.includes('GROUP_ID') && group
    ? { ID: String(group.id), NAME: group.name, OPENED: false, MEMBERS_COUNT: group.members.length, IMAGE: '', ADDITIONAL_DATA: [] }
    : [];
  if (select.includes('CREATED_BY')) row.CREATOR = userCard(task.createdBy, cards);
  if (select.includes('RESPONSIBLE_ID')) row.RESPONSIBLE = userCard(task.responsibleId, cards);
  if (select.includes('ACCOMPLICES')) row.ACCOMPLICES_DATA = phpArray(task.accomplices.map((id) => [String(id), userCard(id, cards)]));
  if (select.includes('AUDITORS')) row.AUDITORS_DATA = phpArray(task.auditors.map((id) => [String(id), userCard(id, cards)]));
  if (withTimer && cards.quirks.timerInfo) {
    const timer = cards.timerOf(caller.id);
    const running = timer?.taskId === task.id && card.allowTimeTracking;
    // The log, plus the running timer's whole seconds.
    const elapsed = cards.timeSpent(task.id) + (running ? Math.floor((nowMs - timer.startedAt) / 1000) : 0);
    row.TIME_ELAPSED = String(elapsed);
    row.TIMER_IS_RUNNING_FOR_CURRENT_USER = yn(running);
  }
  if (select.includes('CHECKLIST')) {
    row.CHECK_LIST_TREE = checklistTree(card);
    row.CHECK_LIST_CAN_ADD = isExecutor(standing(task, caller));
  }
  row.ACTION = allowedActions(task, card, standing(task, caller));
  return { task: camelKeys(row) };
}

/** What every action answers: the whole task, as tasks.task.get without `select`. */
function fullView(cards: TaskCards, task: SandboxTask, caller: SandboxUser, nowMs: number, withTimer = false): Outcome {
  return succeed(taskView(cards, task, caller, nowMs, validFields(cards), withTimer));
}

function paramsOf(params: Params): Record<string, unknown> {
  return isObject(params.params) ? params.params : {};
}

function tasksTaskGet({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const id = taskIdParam(params);
  if (typeof id !== 'number') return id;
  const select = selectParam(params.select, cards);
  if (!Array.isArray(select)) return select;
  const task = cards.visibleTask(caller, id);
  // Not found or no access: an empty result, not an error.
  if (!task) return succeed([]);
  return succeed(taskView(cards, task, caller, nowMs, select, Object.hasOwn(paramsOf(params), 'WITH_TIMER_INFO')));
}

function changeStatus(action: StatusAction, { caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const id = taskIdParam(params);
  if (typeof id !== 'number') return id;
  const task = cards.visibleTask(caller, id);
  if (!task) return notAllowed(cards.quirks);
  const s = standing(task, caller);
  const card = cards.card(id);
  const target = STATUS_RULES[action].to(s, task, card);
  // Nothing to write, and no access check: 200 with the task as it is.
  if (target === task.status && cards.quirks.sameStatus === 'unchanged') return fullView(cards, task, caller, nowMs);
  if (!mayChangeStatus(action, task, s)) return notAllowed(cards.quirks);
  const platform = paramsOf(params).PLATFORM;
  if (action === 'complete' && card.requireResult && (cards.quirks.resultCheck === 'always' || platform === 'web' || platform === 'mobile')) {
    // TASKS_FAILED_RESULT_REQUIRED (its English wording is a sandbox guess: the lang files are not in the mirrors).
    return controllerError('The task requires a result summary before it can be completed');
  }
  const changed = cards.setStatus(task, target, nowMs);
  // A responsible or accomplice who finishes or defers their timed task stops their timer.
  if (CLOSED_STATUSES.includes(target) && !CLOSED_STATUSES.includes(task.status) && (s.responsible || s.accomplice)) {
    if (cards.timerOf(caller.id)?.taskId === id) cards.stopTimer(caller.id, nowMs);
  }
  return fullView(cards, changed, caller, nowMs);
}

function getAccess({ caller, params, data: { cards } }: CardCall): Outcome {
  const id = taskIdParam(params);
  if (typeof id !== 'number') return id;
  const asked = isObject(params.users) ? Object.values(params.users).map(intParam) : [];
  const userIds = asked.length === 0 ? [caller.id] : asked.filter((userId): userId is number => userId !== undefined);
  const entries: Array<[string, unknown]> = [];
  for (const userId of userIds) {
    const user = cards.portal.user(userId);
    const task = user && cards.visibleTask(user, id);
    if (user && task) entries.push([String(userId), allowedActions(task, cards.card(id), standing(task, user))]);
  }
  return succeed({ allowedActions: phpArray(entries) });
}

// ---------------------------------------------------------------------------------------------
// A5: the timer (one per user) and the time spent
// ---------------------------------------------------------------------------------------------

function startTimer({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const id = taskIdParam(params);
  if (typeof id !== 'number') return id;
  const task = cards.visibleTask(caller, id);
  if (!task) return notAllowed(cards.quirks);
  const card = cards.card(id);
  if (!card.allowTimeTracking) return succeed(null);
  const running = cards.timerOf(caller.id);
  if (paramsOf(params).STOP_PREVIOUS !== 'Y' && running && running.taskId !== id) {
    const other = cards.visibleTask(caller, running.taskId);
    // TASKS_OTHER_TASK_ON_TIMER names that task (sandbox wording); unseen, the portal answers null.
    return other ? controllerError(`The timer is already running for the task "${other.title}" (#${other.id})`) : succeed(null);
  }
  const s = standing(task, caller);
  // TASKS_FAILED_START_TASK_TIMER (sandbox wording).
  if (!allowedActions(task, card, s)['DAYPLAN.TIMER.TOGGLE']) return controllerError('Could not start the task timer');
  cards.startTimer(caller.id, id, nowMs);
  let current = task;
  if (task.status !== 3) {
    if (mayChangeStatus('start', task, s)) current = cards.setStatus(task, 3, nowMs);
    else if (mayChangeStatus('renew', task, s)) current = cards.setStatus(task, 2, nowMs);
  }
  return fullView(cards, current, caller, nowMs, true);
}

function pauseTimer({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const id = taskIdParam(params);
  if (typeof id !== 'number') return id;
  const task = cards.visibleTask(caller, id);
  if (!task) return notAllowed(cards.quirks);
  if (!cards.card(id).allowTimeTracking) return succeed(null);
  // Nothing running on this task: TASKS_FAILED_STOP_TASK_TIMER (sandbox wording).
  if (cards.timerOf(caller.id)?.taskId !== id) return controllerError('Could not stop the task timer');
  cards.stopTimer(caller.id, nowMs);
  return fullView(cards, task, caller, nowMs, true);
}

/** task.elapseditem.getlist (TASKID, ORDER, FILTER): the task's records, FILTER by USER_ID, ORDER by ID. */
function elapsedList({ caller, params, data: { cards } }: CardCall): Outcome {
  const { taskId, order, filter } = positional(params, ['taskId', 'order', 'filter']);
  const id = intParam(taskId);
  const task = id && cards.visibleTask(caller, id);
  if (!task) return actionFailed();
  const userId = isObject(filter) ? intParam(filter.USER_ID) : 0;
  const desc = isObject(order) && typeof order.ID === 'string' && order.ID.toLowerCase() === 'desc';
  const records = cards
    .card(task.id)
    .elapsed.filter((record) => !userId || record.userId === userId)
    .sort((a, b) => (desc ? b.id - a.id : a.id - b.id))
    .map((record) => ({
      ID: String(record.id),
      TASK_ID: String(task.id),
      USER_ID: String(record.userId),
      COMMENT_TEXT: record.commentText,
      SECONDS: String(record.seconds),
      MINUTES: String(Math.round(record.seconds / 60)),
      SOURCE: String(record.source),
      CREATED_DATE: isoSeconds(record.createdAt),
      DATE_START: isoSeconds(record.startedAt),
      DATE_STOP: isoSeconds(record.stoppedAt),
    }));
  return succeed(records, { total: records.length });
}

/** task.elapseditem.add (TASKID, ARFIELDS {SECONDS, COMMENT_TEXT}): a manual record (SOURCE 2); its id. */
function elapsedAdd({ caller, params, data: { cards }, nowMs }: CardCall): Outcome {
  const { taskId, fields } = positional(params, ['taskId', 'fields']);
  const id = intParam(taskId);
  const task = id ? cards.visibleTask(caller, id) : undefined;
  // The codes the notes give (0x000001 not found, 0x100002 access denied); the texts are the sandbox's.
  if (!task) return coreError(1, 'Task not found or not accessible', 'TASK_NOT_FOUND_OR_NOT_ACCESSIBLE');
  const card = cards.card(task.id);
  if (!allowedActions(task, card, standing(task, caller))['ELAPSEDTIME.ADD']) return coreError(0x100002, 'Access denied', 'ACCESS_DENIED');
  const seconds = isObject(fields) ? intParam(fields.SECONDS) : undefined;
  if (!isObject(fields) || !seconds || seconds < 1 || typeof fields.COMMENT_TEXT !== 'string') {
    const text = 'Param #1 (arFields) for method ctaskelapseditem::add() must contain keys "SECONDS" and "COMMENT_TEXT".';
    return coreError(256, text, 'WRONG_ARGUMENTS');
  }
  const recordId = cards.newId();
  const startedAt = nowMs - seconds * 1000;
  card.elapsed.push({ id: recordId, userId: caller.id, seconds, commentText: fields.COMMENT_TEXT, source: 2, createdAt: nowMs, startedAt, stoppedAt: nowMs });
  return succeed(recordId);
}

// ---------------------------------------------------------------------------------------------
// A6: checklist items
// ---------------------------------------------------------------------------------------------

/** task.checklistitem.getlist (TASKID, ORDER): the flat list, by SORT_INDEX unless ORDER says ID. */
function checklistList({ caller, params, data: { cards } }: CardCall): Outcome {
  const { taskId, order } = positional(params, ['taskId', 'order']);
  const id = intParam(taskId);
  const task = id && cards.visibleTask(caller, id);
  if (!task) return actionFailed();
  const [field, direction] = isObject(order) ? (Object.entries(order)[0] ?? []) : [];
  const key = String(field).toUpperCase() === 'ID' ? 'id' : 'sortIndex';
  const sign = String(direction).toLowerCase() === 'desc' ? -1 : 1;
  const items = [...cards.card(task.id).checklist].sort((a, b) => sign * (a[key] - b[key]) || a.id - b.id);
  return succeed(
    items.map((item) => ({
      ID: String(item.id),
      TASK_ID: String(task.id),
      PARENT_ID: String(item.parentId),
      TITLE: item.title,
      SORT_INDEX: String(item.sortIndex),
      IS_COMPLETE: yn(item.isComplete),
      IS_IMPORTANT: 'N',
      MEMBERS: [],
      ATTACHMENTS: [],
    })),
  );
}

/** task.checklistitem.complete / renew (TASKID, ITEMID): found by ITEMID only; `false` for no such item. */
function toggleChecklistItem(isComplete: boolean): CardMethod {
  return method('task', ({ caller, params, data: { cards } }) => {
    const { itemId } = positional(params, ['taskId', 'itemId']);
    const wanted = intParam(itemId);
    const task = cards.portal.allTasks().find((t) => cards.card(t.id).checklist.some((item) => item.id === wanted));
    const item = task && cards.card(task.id).checklist.find((i) => i.id === wanted);
    if (!task || !item) return succeed(false);
    const seen = cards.visibleTask(caller, task.id);
    if (!seen || !isExecutor(standing(seen, caller))) return actionFailed();
    item.isComplete = isComplete;
    return succeed(true);
  });
}

// ---------------------------------------------------------------------------------------------
// The methods
// ---------------------------------------------------------------------------------------------

export const CARD_METHODS: Readonly<Record<string, CardMethod>> = {
  'tasks.task.get': method('task', tasksTaskGet),
  'tasks.task.getaccess': method('task', getAccess),
  ...Object.fromEntries(STATUS_ACTIONS.map((action) => [`tasks.task.${action}`, method('task', (call) => changeStatus(action, call))])),
  'tasks.task.starttimer': unlessMissing('tasks.task.starttimer', method('task', startTimer)),
  'tasks.task.pausetimer': unlessMissing('tasks.task.pausetimer', method('task', pauseTimer)),
  'task.elapseditem.getlist': method('task', elapsedList),
  'task.elapseditem.add': method('task', elapsedAdd),
  'task.checklistitem.getlist': method('task', checklistList),
  'task.checklistitem.complete': toggleChecklistItem(true),
  'task.checklistitem.renew': toggleChecklistItem(false),
};
