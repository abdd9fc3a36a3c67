/**
 * Talking to a started sandbox portal over real HTTP with Node's fetch, for the sandbox's own
 * tests; and the list queries the portal's notes give for each counter.
 *
 * Not a test file (no `.test`): mocha loads it only through the tests that import it.
 */
import { Role, SandboxOptions, SandboxPortal } from '../sandbox/portal';

export interface Wire {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, inspected loosely; undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON under test, read field by field without a schema
  json: any;
}

export async function request(url: string, init: RequestInit = {}): Promise<Wire> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let json: Wire['json'];
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function postJson(url: string, body: unknown = {}, method = 'POST'): Promise<Wire> {
  return request(url, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

export function call(portal: SandboxPortal, userId: number, method: string, params: unknown = {}): Promise<Wire> {
  return postJson(portal.webhookUrl(userId) + method, params);
}

export async function withPortal<T>(options: SandboxOptions, run: (portal: SandboxPortal) => Promise<T>): Promise<T> {
  const portal = await SandboxPortal.start(options);
  try {
    return await run(portal);
  } finally {
    await portal.close();
  }
}

/** The role filters the web UI and the mobile app use for the same counters (the notes). */
export function roleFilter(role: Role, userId: number): string {
  switch (role) {
    case 'view_all':
      return `filter[MEMBER]=${userId}`;
    case 'view_role_responsible':
      return `filter[RESPONSIBLE_ID]=${userId}`;
    case 'view_role_accomplice':
      return `filter[ACCOMPLICE]=${userId}`;
    case 'view_role_auditor':
      return `filter[AUDITOR]=${userId}`;
    case 'view_role_originator':
      return `filter[CREATED_BY]=${userId}&filter[!REFERENCE:RESPONSIBLE_ID]=CREATED_BY`;
  }
}

/** Role and group, as a batch command's filter. */
export function scopeFilter(role: Role, userId: number, groupId: number): string {
  return roleFilter(role, userId) + (groupId === 0 ? '' : `&filter[GROUP_ID]=${groupId}`);
}

/** Overdue, the same set as `expired`: status 2 or 3, deadline before now, not muted. */
export function overdueFilter(nowMs: number): string {
  const deadline = encodeURIComponent(new Date(nowMs).toISOString());
  return `filter[REAL_STATUS][0]=2&filter[REAL_STATUS][1]=3&filter[%3CDEADLINE]=${deadline}&filter[IS_MUTED]=N&order[DEADLINE]=asc`;
}

/** With unread comments for the caller, not muted, each with its counter. */
export function commentsFilter(key: 'WITH_COMMENT_COUNTERS' | 'WITH_NEW_COMMENTS' = 'WITH_COMMENT_COUNTERS'): string {
  return `filter[${key}]=Y&filter[IS_MUTED]=N&select[0]=ID&select[1]=TITLE&select[2]=COUNTERS`;
}

export interface CountersAndLists {
  expired: number;
  newComments: number;
  overdue: number;
  /** newComments summed over the list of each comment filter. */
  storedComments: number;
  liveComments: number;
}

/**
 * For one user (as the caller) and group, every role's counters and the lists behind them, in
 * one batch: what the task-list feature asks the portal.
 */
export async function countersAndLists(
  portal: SandboxPortal,
  userId: number,
  groupId: number,
  roles: readonly Role[],
): Promise<Record<string, CountersAndLists>> {
  const cmd: Record<string, string> = {};
  for (const role of roles) {
    const scope = scopeFilter(role, userId, groupId);
    cmd[`${role}.counters`] = `tasks.task.counters.get?type=${role}&groupId=${groupId}`;
    cmd[`${role}.overdue`] = `tasks.task.list?${scope}&${overdueFilter(portal.now())}`;
    cmd[`${role}.stored`] = `tasks.task.list?${scope}&${commentsFilter('WITH_COMMENT_COUNTERS')}`;
    cmd[`${role}.live`] = `tasks.task.list?${scope}&${commentsFilter('WITH_NEW_COMMENTS')}`;
  }
  const wire = await call(portal, userId, 'batch', { halt: 0, cmd });
  const { result, result_error: errors } = wire.json.result;
  if (!Array.isArray(errors)) throw new Error(`batch errors: ${JSON.stringify(errors)}`);
  const sum = (tasks: Array<{ counter: { counters: { newComments: number } } }>) =>
    tasks.reduce((total, task) => total + task.counter.counters.newComments, 0);
  return Object.fromEntries(
    roles.map((role) => [
      role,
      {
        expired: result[`${role}.counters`].expired.counter,
        newComments: result[`${role}.counters`].new_comments.counter,
        overdue: result[`${role}.overdue`].tasks.length,
        storedComments: sum(result[`${role}.stored`].tasks),
        liveComments: sum(result[`${role}.live`].tasks),
      },
    ]),
  );
}
