/**
 * The browser address of a task list matching what the counters count.
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
  const path =
    target.groupId > 0
      ? `/workgroups/group/${target.groupId}/tasks/`
      : `/company/personal/user/${target.userId}/tasks/`;
  const url = new URL(path, target.portalOrigin);
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
