/**
 * Browser addresses: a task list matching what the counters count, one task, a person, a disk
 * file, and the links of a task's description and comments. Every address the extension opens
 * or copies is a `PortalLink`, which only this module makes (ESLint refuses a cast to it
 * anywhere else): on the portal's own origin, its path built from checked ids, so nothing the
 * portal sends can point it elsewhere; or, for a link someone wrote into a description or a
 * comment (`markupLink`), an http(s) address without credentials, which VS Code asks about
 * before opening an untrusted domain.
 *
 * The web UI takes temporary filters in the query string (read from the server code; not
 * confirmed on every cloud portal): `apply_filter=Y`, `ROLEID=<role>`, `PROBLEM=<counter code>`.
 * A portal that ignores them still opens the right user's or group's list.
 */
import { knownCounterCode, Role } from './counters';

declare const checked: unique symbol;

/** An address on the connected portal built from checked ids, or a checked http(s) link from markup. */
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

/** A person's profile page (a mention, a task's member): `/company/personal/user/<id>/`. */
export function userLink(portalOrigin: string, userId: number): PortalLink | undefined {
  return isId(userId) ? onPortal(portalOrigin, `/company/personal/user/${userId}/`) : undefined;
}

/** `[DISK FILE ID=n123]`: `n` and a disk object's id, or an attached file's id alone (as portalMarkup keeps it). */
const DISK_FILE_ID = /^(n?)([0-9]{1,18})$/;

/**
 * An attachment, opened in the portal's viewer as its web pages link it (M: read from the
 * portal's code): a disk object (`n123`) at `/disk/showFile/123/`, an attached file (`123`)
 * through `/bitrix/tools/disk/uf.php?attachedId=123&action=show`. No address for anything else.
 */
export function diskFileLink(portalOrigin: string, fileId: string): PortalLink | undefined {
  const [, object, digits] = DISK_FILE_ID.exec(fileId) ?? [];
  if (digits === undefined || BigInt(digits) === 0n) return undefined;
  const id = BigInt(digits).toString();
  return object
    ? onPortal(portalOrigin, `/disk/showFile/${id}/`)
    : onPortal(portalOrigin, `/bitrix/tools/disk/uf.php?attachedId=${id}&action=show`);
}

/**
 * A link from a description or a comment (portalMarkup keeps only absolute http(s) addresses,
 * but the address comes back from the webview, which is not trusted): http: or https: only,
 * never with a user name or password in it. On any host: VS Code asks before opening a domain
 * the user has not trusted.
 */
export function markupLink(href: string): PortalLink | undefined {
  if (!URL.canParse(href)) return undefined;
  const url = new URL(href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '' || url.hostname === '') return undefined;
  return url.href as PortalLink;
}

/** `path` (with its query) on the portal's own origin; none when the origin is not http(s). */
function onPortal(portalOrigin: string, path: string): PortalLink | undefined {
  if (!URL.canParse(portalOrigin)) return undefined;
  const origin = new URL(portalOrigin);
  if (origin.protocol !== 'https:' && origin.protocol !== 'http:') return undefined;
  return new URL(path, origin.origin).href as PortalLink;
}

/**
 * The one builder of task addresses: `/workgroups/group/<group>/tasks/…` for a group above 0, else
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
