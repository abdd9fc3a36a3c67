/**
 * Browser addresses: a task list matching what the counters count, and one task.
 *
 * The web UI takes temporary filters in the query string (read from the server code; not
 * confirmed on every cloud portal): `apply_filter=Y`, `ROLEID=<role>`, `PROBLEM=<counter code>`.
 * A portal that ignores them still opens the right user's or group's list.
 */
import { knownCounterCode, Role } from './counters';

export interface TaskListTarget {
  /** `https://portal.example` */
  readonly portalOrigin: string;
  /** The user whose list to open (the webhook's user when the filter has none). */
  readonly userId: number;
  /** A workgroup's list instead of the user's, when above 0. */
  readonly groupId: number;
  readonly role: Role;
  /** Narrow to one counter: `expired`, `new_comments`, … */
  readonly counter?: string;
  /** The counter's code as the portal sent it, for names this extension does not know. */
  readonly counterCode?: number;
}

export function taskListLink(target: TaskListTarget): string {
  const url = new URL(tasksPath(target.userId, target.groupId), target.portalOrigin);
  const problem = target.counter ? (knownCounterCode(target.counter) ?? target.counterCode) : undefined;
  if (target.role !== 'view_all' || problem) {
    url.searchParams.set('apply_filter', 'Y');
  }
  if (target.role !== 'view_all') {
    url.searchParams.set('ROLEID', target.role);
  }
  if (problem) {
    url.searchParams.set('PROBLEM', String(problem));
  }
  return url.toString();
}

export interface TaskTarget {
  /** `https://portal.example` */
  readonly portalOrigin: string;
  /** The user whose task pages to use: the webhook's own user, who opens the browser. */
  readonly userId: number;
  /** The task's workgroup; undefined or 0 = none. */
  readonly groupId?: number;
  readonly taskId: number;
}

/**
 * One task's page: under its workgroup when it has one, else under the user. Ids that are not
 * positive integers (0, negative, fractions, NaN, from a row the portal sent oddly) give no
 * address rather than a wrong or malformed one.
 */
export function taskLink(target: TaskTarget): string | undefined {
  const groupId = target.groupId ?? 0;
  const owner = groupId === 0 ? target.userId : groupId;
  if (!isId(target.taskId) || !isId(owner)) {
    return undefined;
  }
  return new URL(`${tasksPath(target.userId, groupId)}task/view/${target.taskId}/`, target.portalOrigin).toString();
}

function tasksPath(userId: number, groupId: number): string {
  return groupId > 0 ? `/workgroups/group/${groupId}/tasks/` : `/company/personal/user/${userId}/tasks/`;
}

function isId(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}
