/**
 * The tasks behind the counters: the sandbox portal's tasks, the counters Bitrix24 derives from
 * them, and `tasks.task.list`'s filter, order, paging and fields, as the tasks module's server
 * code applies them.
 *
 * Written from the portal's rules, not from src/core: the sandbox plays the portal.
 */
import type { Role, SandboxGroup } from './portal';
import { intParam, isObject, isoSeconds } from './wire';

/** 1 new (legacy), 2 pending, 3 in progress, 4 awaiting control, 5 completed, 6 deferred, 7 declined. */
export type RealStatus = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface SandboxTask {
  id: number;
  title: string;
  /** Epoch ms; null = no deadline. */
  deadline: number | null;
  status: RealStatus;
  createdBy: number;
  responsibleId: number;
  accomplices: number[];
  auditors: number[];
  /** 0 = in no workgroup. */
  groupId: number;
  /** Users who muted the task: it counts for none of their counters. */
  mutedBy: number[];
  /** Unread comments per user id. */
  unread: Record<number, number>;
  /** Epoch ms. */
  changedDate: number;
}

/** What addTask needs; everything else has a default (createdBy = responsibleId). */
export type TaskInput = Partial<SandboxTask> & Pick<SandboxTask, 'title' | 'responsibleId'>;

/**
 * How the portal treats the undocumented comment filters: 'supported' (the tasks module of
 * 24.x), 'rejected' (a portal that refuses them: the list answers ERROR_CORE), 'ignored' (a
 * portal that does not know them: the key is dropped, so the list widens to every task).
 */
export type CommentFilterMode = 'supported' | 'rejected' | 'ignored';

export const COMMENT_FILTER_MODES: readonly CommentFilterMode[] = ['supported', 'rejected', 'ignored'];

export const COMMENT_FILTER_KEYS: readonly string[] = ['WITH_COMMENT_COUNTERS', 'WITH_NEW_COMMENTS'];

/** tasks.task.list answers pages of 50. */
export const TASK_PAGE_SIZE = 50;

/** Only pending and in-progress tasks can be overdue; awaiting control, deferred, done… cannot. */
const ACTIVE_STATUSES: readonly number[] = [2, 3];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The default tasks, deadlines relative to `nowMs`. They reproduce DEFAULT_COUNTERS:
 *
 * - user 1, all groups: responsible 1/3 (101 overdue by hours + 2 unread, 105 own task 1 unread;
 *   106 done and 107 muted count nothing), accomplice 0/1 (104), auditor 0/1 (103), originator
 *   1/0 (102 overdue by days; 105 and 107 are also user 1's own, so not "assigned");
 *   group 7: 101 only; group 12: 102 (originator) and 103 (auditor).
 * - user 2: responsible 0/1 (109).
 * - user 3: view_all expired 3 (101 as originator, 102 and 108 as responsible; 110 awaits
 *   control, so it is not overdue); `mentioned` is not a task counter (DEFAULT_EXTRA_COUNTERS).
 *
 * Tasks that are not overdue have no deadline, so a test clock running ahead for days does not
 * make them overdue behind its back.
 */
export function defaultTasks(nowMs: number): SandboxTask[] {
  const task = (id: number, fields: TaskInput & { createdBy: number }): SandboxTask =>
    normalizeTask({ ...fields, id, changedDate: nowMs - DAY_MS }, id, nowMs);
  return [
    task(101, { title: 'Исправить оплату картой', groupId: 7, createdBy: 3, responsibleId: 1, deadline: nowMs - 3 * HOUR_MS, status: 3, unread: { 1: 2 } }),
    task(102, { title: 'Update the release checklist', groupId: 12, createdBy: 1, responsibleId: 3, deadline: nowMs - 2 * DAY_MS, status: 2 }),
    task(103, { title: 'Review the onboarding screens', groupId: 12, createdBy: 3, responsibleId: 3, auditors: [1], status: 3, unread: { 1: 1 } }),
    task(104, { title: 'Перевести справку на английский', createdBy: 3, responsibleId: 3, accomplices: [1], status: 2, unread: { 1: 1 } }),
    task(105, { title: 'Write the release notes', createdBy: 1, responsibleId: 1, status: 2, unread: { 1: 1 } }),
    task(106, { title: 'Migrate the build server', createdBy: 3, responsibleId: 1, deadline: nowMs - 10 * DAY_MS, status: 5 }),
    task(107, { title: 'Обновить сертификаты', createdBy: 1, responsibleId: 1, deadline: nowMs - DAY_MS, status: 2, mutedBy: [1], unread: { 1: 4 } }),
    task(108, { title: 'Подготовить квартальный отчёт', createdBy: 3, responsibleId: 3, deadline: nowMs - 5 * DAY_MS, status: 2 }),
    task(109, { title: 'Check the German translation', createdBy: 1, responsibleId: 2, status: 2, unread: { 2: 1 } }),
    task(110, { title: 'Approve the new logo', createdBy: 1, responsibleId: 3, deadline: nowMs - 4 * DAY_MS, status: 4 }),
  ];
}

/** A complete, validated copy of a task (RangeError for bad input, e.g. from the control API). */
export function normalizeTask(input: unknown, id: number, nowMs: number): SandboxTask {
  if (!isObject(input)) throw new RangeError('a task must be an object');
  const responsibleId = requireId(input.responsibleId, 'responsibleId');
  const status = input.status ?? 2;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 1 || status > 7) {
    throw new RangeError('status must be a real status 1..7');
  }
  if (typeof input.title !== 'string' || input.title === '') throw new RangeError('title must be a non-empty string');
  return {
    id,
    title: input.title,
    deadline: requireTime(input.deadline ?? null, 'deadline'),
    status: status as RealStatus,
    createdBy: input.createdBy === undefined ? responsibleId : requireId(input.createdBy, 'createdBy'),
    responsibleId,
    accomplices: requireIds(input.accomplices, 'accomplices'),
    auditors: requireIds(input.auditors, 'auditors'),
    groupId: input.groupId === undefined ? 0 : requireId(input.groupId, 'groupId', 0),
    mutedBy: requireIds(input.mutedBy, 'mutedBy'),
    unread: requireUnread(input.unread),
    changedDate: requireTime(input.changedDate ?? nowMs, 'changedDate') ?? nowMs,
  };
}

function requireId(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

function requireIds(value: unknown, name: string): number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RangeError(`${name} must be a list of user ids`);
  return value.map((id) => requireId(id, name));
}

/** Epoch ms, or an ISO 8601 string (handy with curl); null stays null. */
function requireTime(value: unknown, name: string): number | null {
  if (value === null) return null;
  const ms = typeof value === 'string' ? Date.parse(value) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new RangeError(`${name} must be epoch ms, an ISO 8601 date or null`);
  return ms;
}

/** JSON object keys are strings: `{"1": 2}` is two unread comments for user 1. */
function requireUnread(value: unknown): Record<number, number> {
  if (value === undefined) return {};
  if (!isObject(value) || Array.isArray(value)) throw new RangeError('unread must be an object of user id to count');
  const unread: Record<number, number> = {};
  for (const [userId, count] of Object.entries(value)) {
    requireId(Number(userId), 'an unread user id');
    unread[Number(userId)] = requireId(count, `unread[${userId}]`, 0);
  }
  return unread;
}

// ---------------------------------------------------------------------------------------------
// Roles and counters
// ---------------------------------------------------------------------------------------------

/** Creator, responsible, accomplice or auditor: the `view_all` role and the MEMBER filter. */
export function isMember(task: SandboxTask, userId: number): boolean {
  return (
    task.createdBy === userId ||
    task.responsibleId === userId ||
    task.accomplices.includes(userId) ||
    task.auditors.includes(userId)
  );
}

export function inRole(task: SandboxTask, userId: number, role: Role): boolean {
  switch (role) {
    case 'view_all':
      return isMember(task, userId);
    case 'view_role_responsible':
      return task.responsibleId === userId;
    case 'view_role_accomplice':
      return task.accomplices.includes(userId);
    case 'view_role_auditor':
      return task.auditors.includes(userId);
    case 'view_role_originator':
      // A task the user assigned to themself is theirs to do, not one they assigned.
      return task.createdBy === userId && task.responsibleId !== userId;
  }
}

function isOverdue(task: SandboxTask, nowMs: number): boolean {
  return task.deadline !== null && task.deadline < nowMs && ACTIVE_STATUSES.includes(task.status);
}

function unreadOf(task: SandboxTask, userId: number): number {
  return Object.hasOwn(task.unread, userId) ? task.unread[userId] : 0;
}

/**
 * The counters of `tasks.task.counters.get` as the tasks module computes them: over the tasks
 * where the user has that role (in that group), not muted by the user; `expired` counts
 * overdue tasks, `new_comments` sums unread comments whatever the status.
 */
export function deriveCounters(
  tasks: readonly SandboxTask[],
  userId: number,
  role: Role,
  groupId: number,
  nowMs: number,
): { expired: number; new_comments: number } {
  const counted = tasks.filter(
    (task) => inRole(task, userId, role) && (groupId === 0 || task.groupId === groupId) && !task.mutedBy.includes(userId),
  );
  return {
    expired: counted.filter((task) => isOverdue(task, nowMs)).length,
    new_comments: counted.reduce((sum, task) => sum + unreadOf(task, userId), 0),
  };
}

// ---------------------------------------------------------------------------------------------
// tasks.task.list
// ---------------------------------------------------------------------------------------------

export interface ListContext {
  /** The webhook's user: IS_MUTED, the comment filters and `counter` are relative to them. */
  callerId: number;
  nowMs: number;
  userName(id: number): string;
  group(id: number): SandboxGroup | undefined;
}

export interface TaskPage {
  tasks: Array<Record<string, unknown>>;
  /** Undefined with start=-1 (the portal skips counting). */
  total?: number;
  next?: number;
}

type FilterTest = (task: SandboxTask, value: unknown, context: ListContext) => boolean;

/** The filter keys the sandbox knows, exactly as written (operator prefix included). */
const FILTERS: Readonly<Record<string, FilterTest>> = {
  MEMBER: (task, value) => ids(value).some((id) => isMember(task, id)),
  RESPONSIBLE_ID: (task, value) => ids(value).includes(task.responsibleId),
  ACCOMPLICE: (task, value) => ids(value).some((id) => task.accomplices.includes(id)),
  AUDITOR: (task, value) => ids(value).some((id) => task.auditors.includes(id)),
  CREATED_BY: (task, value) => ids(value).includes(task.createdBy),
  // Compares two fields of one task: the originator role's "not assigned to myself".
  // Other references are not modelled and match everything.
  '!REFERENCE:RESPONSIBLE_ID': (task, value) => value !== 'CREATED_BY' || task.responsibleId !== task.createdBy,
  GROUP_ID: (task, value) => ids(value).includes(task.groupId),
  REAL_STATUS: (task, value) => ids(value).includes(task.status),
  // strtotime: an unparsable date is 1970, so nothing is before it. No deadline is never before.
  '<DEADLINE': (task, value) => task.deadline !== null && task.deadline < (Date.parse(String(value)) || 0),
  IS_MUTED: (task, value, { callerId }) => yesNo(value) === undefined || yesNo(value) === task.mutedBy.includes(callerId),
  WITH_COMMENT_COUNTERS: withUnreadComments,
  WITH_NEW_COMMENTS: withUnreadComments,
  ID: (task, value) => ids(value).includes(task.id),
};

/** Both undocumented keys keep the tasks with unread comments for the caller (stored or live). */
function withUnreadComments(task: SandboxTask, value: unknown, { callerId }: ListContext): boolean {
  return yesNo(value) !== true || unreadOf(task, callerId) > 0;
}

/** A scalar or a list (a PHP array comes as an object with keys 0..n). */
function ids(value: unknown): number[] {
  const values = isObject(value) ? Object.values(value) : [value];
  return values.map(intParam).filter((id): id is number => id !== undefined);
}

function yesNo(value: unknown): boolean | undefined {
  const text = typeof value === 'string' ? value.toUpperCase() : value;
  return text === 'Y' ? true : text === 'N' ? false : undefined;
}

type SortKey = (task: SandboxTask) => number | null;

const ORDER_FIELDS: Readonly<Record<string, SortKey>> = {
  ID: (task) => task.id,
  DEADLINE: (task) => task.deadline,
  CHANGED_DATE: (task) => task.changedDate,
};

/** The filter keys a list's `filter` parameter uses, to check them against the comment mode. */
export function filterKeys(params: Record<string, unknown>): string[] {
  return isObject(params.filter) ? Object.keys(params.filter) : [];
}

/**
 * One page of `tasks.task.list` over the tasks the caller may see. Unknown filter keys (and
 * `ignoredKeys`) are skipped, as the portal silently does, so they widen the result.
 */
export function listTasks(
  visible: readonly SandboxTask[],
  params: Record<string, unknown>,
  context: ListContext,
  ignoredKeys: readonly string[] = [],
): TaskPage {
  const filter = isObject(params.filter) ? params.filter : {};
  const tests = Object.entries(filter).filter(([key]) => Object.hasOwn(FILTERS, key) && !ignoredKeys.includes(key));
  const matching = visible.filter((task) => tests.every(([key, value]) => FILTERS[key](task, value, context)));
  const sorted = matching.sort(comparator(params.order));
  const withCounters = selects(params.select, 'COUNTERS');
  const start = intParam(params.start) ?? 0;
  // start=-1: the first page without counting.
  const offset = Math.max(0, start);
  const page = sorted.slice(offset, offset + TASK_PAGE_SIZE).map((task) => taskFields(task, context, withCounters));
  if (start < 0) return { tasks: page };
  const next = offset + TASK_PAGE_SIZE < sorted.length ? offset + TASK_PAGE_SIZE : undefined;
  return { tasks: page, total: sorted.length, next };
}

/**
 * `order[FIELD]=asc|desc` in the given order, then ID ascending (a sandbox choice, for stable
 * pages). Unknown fields are ignored; tasks without a deadline come last either way.
 */
function comparator(order: unknown): (a: SandboxTask, b: SandboxTask) => number {
  const keys = (isObject(order) ? Object.entries(order) : [])
    .filter(([field]) => Object.hasOwn(ORDER_FIELDS, field.toUpperCase()))
    .map(([field, direction]) => ({
      key: ORDER_FIELDS[field.toUpperCase()],
      sign: String(direction).toLowerCase() === 'desc' ? -1 : 1,
    }));
  return (a, b) => {
    for (const { key, sign } of keys) {
      const [x, y] = [key(a), key(b)];
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return sign * (x - y);
    }
    return a.id - b.id;
  };
}

function selects(select: unknown, field: string): boolean {
  const fields = isObject(select) ? Object.values(select) : [select];
  return fields.some((name) => typeof name === 'string' && name.toUpperCase() === field);
}

/** The camelCase fields the REST layer answers, ids as strings like the portal sends them. */
function taskFields(task: SandboxTask, context: ListContext, withCounters: boolean): Record<string, unknown> {
  const group = task.groupId === 0 ? undefined : context.group(task.groupId);
  return {
    id: String(task.id),
    title: task.title,
    deadline: task.deadline === null ? null : isoSeconds(task.deadline),
    status: String(task.status),
    responsibleId: String(task.responsibleId),
    responsible: person(task.responsibleId, context),
    createdBy: String(task.createdBy),
    creator: person(task.createdBy, context),
    groupId: String(task.groupId),
    // PHP's empty array when there is no group.
    group: group ? { id: String(group.id), name: group.name } : [],
    changedDate: isoSeconds(task.changedDate),
    ...(withCounters ? { counter: taskCounter(task, context) } : {}),
  };
}

/** A user as the task methods show one (creator, responsible, tasks.task.get's accomplicesData…). */
export function person(id: number, { userName }: Pick<ListContext, 'userName'>): Record<string, string> {
  return {
    id: String(id),
    name: userName(id),
    link: `/company/personal/user/${id}/`,
    icon: '/bitrix/images/tasks/default_avatar.png',
  };
}

/**
 * The caller's counter on one task: `newComments` is their unread count, `expired` 1 while the
 * task is overdue for a member. The colour is the sandbox's approximation of the web list's
 * badge: gray when muted or nothing is due, red (danger) otherwise.
 */
function taskCounter(task: SandboxTask, { callerId, nowMs }: ListContext): Record<string, unknown> {
  const expired = isMember(task, callerId) && isOverdue(task, nowMs) ? 1 : 0;
  const newComments = unreadOf(task, callerId);
  const value = expired + newComments;
  return {
    counters: { expired, newComments },
    value,
    color: value > 0 && !task.mutedBy.includes(callerId) ? 'danger' : 'gray',
  };
}
