/**
 * Browser addresses: a task list matching what the counters count, and one task. Every address
 * the extension opens or copies is a `PortalLink`, which only `portalLink` here makes (ESLint
 * refuses a cast to it anywhere else): on the portal's own origin, its path built from ids
 * that are positive safe integers, so nothing the portal sends can point it elsewhere.
 *
 * The web UI takes temporary filters in the query string (read from the server code; not
 * confirmed on every cloud portal): `apply_filter=Y`, `ROLEID=<role>`, `PROBLEM=<counter code>`.
 * A portal that ignores them still opens the right user's or group's list.
 */
import { knownCounterCode, Role } from './counters';

declare const checked: unique symbol;

/** An address on the connected portal, built from checked ids. */
export type PortalLink = string & { readonly [checked]: true };

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

/** A list's page; no address when an id is not a positive integer. */
export function taskListLink(target: TaskListTarget): PortalLink | undefined {
  const problem = target.counter ? (knownCounterCode(target.counter) ?? target.counterCode) : undefined;
  const query: Array<[string, string]> = [];
  if (target.role !== 'view_all' || problem) query.push(['apply_filter', 'Y']);
  if (target.role !== 'view_all') query.push(['ROLEID', target.role]);
  if (problem) query.push(['PROBLEM', String(problem)]);
  return portalLink(target.portalOrigin, target.userId, target.groupId > 0 ? target.groupId : 0, [], query);
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
export function taskLink(target: TaskTarget): PortalLink | undefined {
  if (!isId(target.taskId)) return undefined;
  return portalLink(target.portalOrigin, target.userId, target.groupId ?? 0, ['task', 'view', target.taskId], []);
}

/**
 * The one builder of addresses: `/workgroups/group/<group>/tasks/…` for a group above 0, else
 * `/company/personal/user/<user>/tasks/…`, on `origin`. Undefined when an id in the path is
 * not a positive safe integer (a group of 0 is none).
 */
function portalLink(
  origin: string,
  userId: number,
  groupId: number,
  rest: ReadonlyArray<string | number>,
  query: ReadonlyArray<[string, string]>,
): PortalLink | undefined {
  if (groupId === 0 ? !isId(userId) : !isId(groupId)) return undefined;
  const owner = groupId === 0 ? ['company', 'personal', 'user', userId] : ['workgroups', 'group', groupId];
  const url = new URL(`/${[...owner, 'tasks', ...rest].join('/')}/`, origin);
  for (const [name, value] of query) url.searchParams.set(name, value);
  return url.toString() as PortalLink;
}

/** Portal ids (tasks, users, groups): positive safe integers. */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** The task id typed into Go to Task's box (`345`, `#345`); undefined for anything else, 0 too. */
export function taskIdTyped(typed: string): number | undefined {
  const digits = /^\s*#?(\d{1,16})\s*$/.exec(typed)?.[1];
  const id = digits === undefined ? undefined : Number(digits);
  return isId(id) ? id : undefined;
}
