/**
 * The tasks behind the numbers: what `tasks.task.list` is asked for "Overdue" and "New
 * comments", how a batch command carries those nested parameters, and how the answer is read
 * and compared with the counter. Pure: no `vscode`, no clock of its own.
 */
import { countFrom, Role, sumOfCounts } from './counters';
import { fail, Outcome, succeed } from './outcome';
import { PortalText, portalText, Redact, sentence } from './portalText';
import { isId } from './taskListLink';

export const TASK_LIST_METHOD = 'tasks.task.list';

/** The counters whose tasks can be listed. */
export const TASK_LIST_COUNTERS = ['expired', 'new_comments'] as const;

export type TaskListCounter = (typeof TASK_LIST_COUNTERS)[number];

export function isTaskListCounter(value: unknown): value is TaskListCounter {
  return typeof value === 'string' && (TASK_LIST_COUNTERS as readonly string[]).includes(value);
}

/** The portal's page size: only the first page is ever asked for. */
export const TASK_PAGE_SIZE = 50;

export interface TaskSummary {
  readonly id: number;
  readonly title: PortalText;
  /** Epoch ms. */
  readonly deadline?: number;
  /** The real status: 2 pending, 3 in progress, 4 awaiting control, 5 completed, … */
  readonly status: number;
  readonly responsible?: TaskPerson;
  readonly group?: TaskGroup;
  /** Unread comments in this task; only asked for in the new-comments list. */
  readonly unreadComments?: number;
  /** Epoch ms. */
  readonly changedAt?: number;
}

export interface TaskPerson {
  readonly id: number;
  readonly name: PortalText;
}

export interface TaskGroup {
  readonly id: number;
  readonly name: PortalText;
}

export interface TaskPage {
  /**
   * At most the first `TASK_PAGE_SIZE`, each task once; rows the portal sent in a shape not
   * understood left out.
   */
  readonly tasks: readonly TaskSummary[];
  /** How many tasks match, listed or not. */
  readonly total: number;
}

// ---------------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------------

/** Parameters as PHP arrays: nested records, and lists sent with explicit indices. */
export type QueryValue = string | number | readonly QueryValue[] | QueryParams;

export interface QueryParams {
  readonly [key: string]: QueryValue;
}

export interface TaskListQuery {
  readonly counter: TaskListCounter;
  readonly role: Role;
  /** The effective user: never 0 (the webhook's own user must be named). */
  readonly userId: number;
  /** 0 = all groups. */
  readonly groupId: number;
  /** Epoch ms: overdue means a deadline before it. */
  readonly now: number;
}

/**
 * The same task sets the web UI and the mobile app list for the counters. An unknown filter key
 * is silently ignored by the portal and widens the list, so every key here is one the tasks
 * module reads.
 */
const ROLE_FILTERS: Readonly<Record<Role, (userId: number) => QueryParams>> = {
  view_all: (userId) => ({ MEMBER: userId }),
  view_role_responsible: (userId) => ({ RESPONSIBLE_ID: userId }),
  view_role_accomplice: (userId) => ({ ACCOMPLICE: userId }),
  view_role_auditor: (userId) => ({ AUDITOR: userId }),
  // The originator counters leave out tasks the user created for themselves.
  view_role_originator: (userId) => ({ CREATED_BY: userId, '!REFERENCE:RESPONSIBLE_ID': 'CREATED_BY' }),
};

const SELECT = ['ID', 'TITLE', 'DEADLINE', 'STATUS', 'RESPONSIBLE_ID', 'GROUP_ID', 'CHANGED_DATE'];

const COUNTER_LISTS: Readonly<Record<TaskListCounter, (now: number) => { filter: QueryParams; select: string[]; order: QueryParams }>> = {
  // The same set as the `expired` counter: pending or in progress, deadline passed, not muted.
  // Filter on REAL_STATUS: STATUS is computed (-1 overdue, …) and matches other sets.
  expired: (now) => ({
    filter: { REAL_STATUS: [2, 3], '<DEADLINE': utcSeconds(now), IS_MUTED: 'N' },
    select: SELECT,
    order: { DEADLINE: 'asc' },
  }),
  // WITH_COMMENT_COUNTERS (undocumented; read from the tasks module's code) joins the stored
  // comment counters that the `new_comments` counter itself reads, so both are recounted at
  // the same time. WITH_NEW_COMMENTS would count live and disagree with the counter until the
  // background recount. `COUNTERS` brings each task's `counter.counters.newComments`.
  new_comments: () => ({
    filter: { WITH_COMMENT_COUNTERS: 'Y', IS_MUTED: 'N' },
    select: [...SELECT, 'COUNTERS'],
    order: { CHANGED_DATE: 'desc' },
  }),
};

/** The `tasks.task.list` parameters for one counter's tasks: the first page only. */
export function taskListParams(query: TaskListQuery): Outcome<QueryParams> {
  if (!isId(query.userId)) {
    return fail({ kind: 'badRequest', detail: sentence`the task list needs a user id, not ${query.userId}` });
  }
  if (!isId(query.groupId) && query.groupId !== 0) {
    return fail({ kind: 'badRequest', detail: sentence`the task list needs a group id or 0, not ${query.groupId}` });
  }
  const { filter, select, order } = COUNTER_LISTS[query.counter](query.now);
  return succeed({
    filter: {
      ...ROLE_FILTERS[query.role](query.userId),
      ...(query.groupId > 0 ? { GROUP_ID: query.groupId } : {}),
      ...filter,
    },
    select,
    order,
    start: 0,
  });
}

/** Top-level dates go through PHP's strtotime: UTC with `Z`, whole seconds. */
function utcSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------
// Batch command encoding
// ---------------------------------------------------------------------------------------------

/** Left as they are: letters, digits and marks that mean nothing to a query string or to PHP. */
const PLAIN = /^[A-Za-z0-9\-_.~!:@]$/;
const UTF8 = new TextEncoder();

/**
 * A batch command's query string, as PHP's `parse_str` reads it: `filter[REAL_STATUS][0]=2&
 * filter[%3CDEADLINE]=…`. Every character of a name or a value that is not plain is
 * percent-encoded (`&`, `=`, `+`, `%`, `#`, `<`, brackets, spaces, Unicode), so neither can
 * end its pair or start another; only the brackets of the path stay raw. A lone surrogate is
 * sent as U+FFFD (it has no UTF-8).
 *
 * Names PHP cannot carry are a programming error and throw: PHP decodes a name before it
 * splits the path, so `[` and `]` inside a name always split it (encoded or not), NUL ends it,
 * an empty nested name appends, and a top-level name has its spaces and dots made `_`.
 */
export function encodeQuery(params: QueryParams): string {
  const pairs: string[] = [];
  const add = (path: string, value: QueryValue): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      pairs.push(`${path}=${percentEncode(String(value))}`);
      return;
    }
    for (const [name, child] of Object.entries(value)) {
      add(`${path}[${encodeName(name, /[[\]\0]/)}]`, child);
    }
  };
  for (const [name, value] of Object.entries(params)) {
    add(encodeName(name, /[[\]\0 .]/), value);
  }
  return pairs.join('&');
}

function encodeName(name: string, unsendable: RegExp): string {
  if (name === '' || unsendable.test(name)) {
    throw new RangeError(`PHP's parse_str cannot carry the parameter name ${JSON.stringify(name)}`);
  }
  return percentEncode(name);
}

function percentEncode(text: string): string {
  let encoded = '';
  for (const char of text) {
    encoded += PLAIN.test(char)
      ? char
      : Array.from(UTF8.encode(char), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return encoded;
}

// ---------------------------------------------------------------------------------------------
// The answer
// ---------------------------------------------------------------------------------------------

/**
 * One command's answer: `result` is `{"tasks":[...]}` with camelCase fields; `total` is the
 * batch's `result_total[KEY]`. Unlike the counters envelope's `total` (always 1), a list's
 * total is real: how many tasks match. A row not understood is left out; an answer not
 * understood fails this list only. Text is cleaned with `redact`, the webhook's redactor.
 */
export function parseTaskPage(result: unknown, total: unknown, redact: Redact): Outcome<TaskPage> {
  const rows = isRecord(result) ? result.tasks : undefined;
  const count = countFrom(total);
  if (!Array.isArray(rows) || count === undefined) {
    return fail({ kind: 'notJson', detail: sentence`the portal's answer to ${TASK_LIST_METHOD} has an unexpected shape` });
  }
  const tasks = rows
    .slice(0, TASK_PAGE_SIZE)
    .map((row) => readTask(row, redact))
    .filter((task): task is TaskSummary => task !== undefined);
  return succeed(taskPage(tasks, Math.max(count, rows.length)));
}

/**
 * A page as the surfaces need it: each task once (a tree row per task id), at most
 * TASK_PAGE_SIZE of them, the total saturated like any count.
 */
export function taskPage(tasks: readonly TaskSummary[], total: number): TaskPage {
  const byId = new Map<number, TaskSummary>();
  for (const task of tasks) if (!byId.has(task.id)) byId.set(task.id, task);
  return { tasks: [...byId.values()].slice(0, TASK_PAGE_SIZE), total: Math.min(total, Number.MAX_SAFE_INTEGER) };
}

/**
 * The new-comments list without the tasks the portal says have nothing unread. A portal that
 * does not know the undocumented WITH_COMMENT_COUNTERS ignores it (unknown keys widen the
 * list) and sends every task in the role: their own counters still tell which belong. A task
 * without counters stays, so a portal that sends none shows up as a disagreement instead.
 */
export function withUnreadComments(page: TaskPage): TaskPage {
  const tasks = page.tasks.filter((task) => task.unreadComments !== 0);
  return { tasks, total: page.total - (page.tasks.length - tasks.length) };
}

function readTask(row: unknown, redact: Redact): TaskSummary | undefined {
  if (!isRecord(row)) return undefined;
  const id = integerOf(row.id);
  const status = integerOf(row.status);
  if (!isId(id) || status === undefined) return undefined;
  const responsibleId = integerOf(row.responsibleId);
  const groupId = integerOf(row.groupId);
  const counters = isRecord(row.counter) && isRecord(row.counter.counters) ? row.counter.counters : {};
  return {
    id,
    title: textOf(row.title, redact) ?? sentence`#${id}`,
    deadline: dateOf(row.deadline),
    status,
    responsible: isId(responsibleId) ? namedById(responsibleId, row.responsible, redact) : undefined,
    // groupId 0 is "no group"; `group` is then PHP's empty array `[]`.
    group: isId(groupId) ? namedById(groupId, row.group, redact) : undefined,
    unreadComments: countFrom(counters.newComments),
    changedAt: dateOf(row.changedDate),
  };
}

/** `responsible{id,name}` or `group{id,name}`: the name when it belongs to that id. */
function namedById(id: number, entry: unknown, redact: Redact): { id: number; name: PortalText } {
  const name = isRecord(entry) && integerOf(entry.id) === id ? textOf(entry.name, redact) : undefined;
  return { id, name: name ?? sentence`#${id}` };
}

/** Portal text as `portalText` cleans it; undefined when not a string or nothing is left. */
function textOf(value: unknown, redact: Redact): PortalText | undefined {
  return typeof value === 'string' ? portalText(value, redact) || undefined : undefined;
}

/** An exact non-negative integer (an id, a status); PHP sends most numbers as decimal strings. */
function integerOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** ISO 8601 with the user's offset; null or anything unparsable is no date. */
function dateOf(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Agreement with the counter
// ---------------------------------------------------------------------------------------------

/**
 * What the list says beside the counter:
 * - `complete`: what is listed is all the counter counts;
 * - `disagrees`: "3 of 5 listed" (tasks for overdue, unread comments for new comments). The
 *   counters are stored and recounted in the background, so `listed` can also exceed
 *   `expected` for a while;
 * - `moreThanShown`: more tasks match than the first page holds: "Open all N in the browser".
 */
export type ListAgreement =
  | { readonly kind: 'complete' }
  | { readonly kind: 'disagrees'; readonly listed: number; readonly expected: number }
  | { readonly kind: 'moreThanShown'; readonly shown: number; readonly total: number };

export function listAgreement(counter: TaskListCounter, page: TaskPage, count: number): ListAgreement {
  if (page.total > TASK_PAGE_SIZE) {
    return { kind: 'moreThanShown', shown: page.tasks.length, total: page.total };
  }
  // All matching tasks came: overdue counts tasks (a row not understood is one short), new
  // comments counts unread comments summed over the tasks.
  const listed = counter === 'expired' ? page.tasks.length : sumOfCounts(page.tasks.map((task) => task.unreadComments ?? 0));
  return listed === count ? { kind: 'complete' } : { kind: 'disagrees', listed, expected: count };
}
