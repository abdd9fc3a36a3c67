/**
 * The sandbox portal: a small Bitrix24-compatible REST server over real HTTP(S) on 127.0.0.1,
 * for unit, extension-host and e2e tests and for `npm start`.
 *
 * It answers the inbound-webhook methods the extension uses (`tasks.task.counters.get`,
 * `tasks.task.list`, `user.current`, `profile`, `sonet_group.user.groups`, `server.time`,
 * `batch`, and the task card's methods: cards.ts) with Bitrix24's envelopes, errors and quirks, as
 * Bitrix24's REST documentation and its server code describe them,
 * and can inject the faults a real portal or the network in front of it produces.
 *
 * The counters are derived from the portal's tasks (tasks.ts), so lists and counters agree
 * unless a test makes them disagree with setCounters.
 *
 * Secrets: nothing here prints or logs a webhook secret; the request log only records whether
 * the path carried one. `webhookUrl()` is the one deliberate way to get it; the hostile card
 * sample quotes one in a comment on purpose, as a colleague might paste it (cardSample.ts).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { resolveBatchReferences } from './batchReferences';
import { CardOptions, REST_V3_PREFIX, TaskCards } from './cards';
import { COMMENT_METHODS } from './comments';
import { BITRIX24_BUCKET, LeakyBucket, LeakyBucketOptions } from './leakyBucket';
import {
  COMMENT_FILTER_KEYS,
  COMMENT_FILTER_MODES,
  CommentFilterMode,
  defaultTasks,
  deriveCounters,
  filterKeys,
  listTasks,
  normalizeTask,
  SandboxTask,
  TaskInput,
} from './tasks';
import { failure, Failure, insufficientScope, methodNotFound, Outcome, Params, succeed } from './outcome';
import { CARD_METHODS } from './taskCard';
import { intParam, isObject, isoSeconds, phpArray } from './wire';

export type { CommentFilterMode, RealStatus, SandboxTask, TaskInput } from './tasks';

// ---------------------------------------------------------------------------------------------
// Public types and default data
// ---------------------------------------------------------------------------------------------

export type Role =
  | 'view_all'
  | 'view_role_responsible'
  | 'view_role_accomplice'
  | 'view_role_auditor'
  | 'view_role_originator';

export const ROLES: readonly Role[] = [
  'view_all',
  'view_role_responsible',
  'view_role_accomplice',
  'view_role_auditor',
  'view_role_originator',
];

export interface SandboxUser {
  id: number;
  name: string;
  lastName: string;
  secret: string;
  scopes: string[];
  admin?: boolean;
}

/** A workgroup or project; the first member is its owner. */
export interface SandboxGroup {
  id: number;
  name: string;
  members: number[];
}

export type FaultKind =
  | 'queryLimit'
  | 'operationTimeLimit'
  | 'overloadLimit'
  | 'internalError'
  | 'unexpectedAnswer'
  | 'invalidCredentials'
  | 'insufficientScope'
  | 'accessDenied'
  | 'groupNotFound'
  | 'emptyResult'
  | 'htmlLogin'
  | 'slow'
  | 'drop'
  | 'redirect'
  | 'truncated'
  | 'serverError';

export const FAULT_KINDS: readonly FaultKind[] = [
  'queryLimit',
  'operationTimeLimit',
  'overloadLimit',
  'internalError',
  'unexpectedAnswer',
  'invalidCredentials',
  'insufficientScope',
  'accessDenied',
  'groupNotFound',
  'emptyResult',
  'htmlLogin',
  'slow',
  'drop',
  'redirect',
  'truncated',
  'serverError',
];

export interface FaultOptions {
  /** How many matching requests it hits; default: until clearFaults(). */
  times?: number;
  /** Only requests to this REST method (e.g. 'batch', 'tasks.task.counters.get'); default all. */
  method?: string;
  /** For 'slow' (default 20000). */
  delayMs?: number;
  /** For 'queryLimit': adds a Retry-After header when set. */
  retryAfterSeconds?: number;
  /** For 'operationTimeLimit': unix seconds (default now + 60). */
  operatingResetAt?: number;
  /** For 'redirect' (default 'https://elsewhere.example/rest/'). */
  redirectTo?: string;
}

export interface RequestLogEntry {
  /** When the request arrived (the portal's `now`, ms). */
  at: number;
  /** The REST method, lower-cased, without `.json`; '' when the path names none. */
  method: string;
  /** The user id in the webhook path, whether or not the secret was right. */
  userId: number | null;
  /** Query and body parameters, parsed; an `auth` token is redacted. */
  params: unknown;
  /** The HTTP status sent (or to be sent, for 'slow'); 0 when the socket was dropped. */
  status: number;
  /** The injected fault that shaped the answer (for a batch: the first one a command hit). */
  fault?: FaultKind;
  remoteAddress: string;
  /** Whether the path carried a secret segment (`/rest/<id>/<secret>/…`); never the secret. */
  hadSecretInPath: boolean;
}

export interface SandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 = ephemeral. */
  port?: number;
  /** Serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Off by default; true = burst 50, 2/s per source IP (Bitrix24's plan limits). */
  leakyBucket?: boolean | LeakyBucketOptions;
  /**
   * Default DEFAULT_USERS. The default tasks (and DEFAULT_EXTRA_COUNTERS) are loaded only with
   * the default users.
   */
  users?: SandboxUser[];
  /** Default: defaultTasks(now()) with the default users, none with custom users. */
  tasks?: TaskInput[];
  /** How tasks.task.list treats WITH_COMMENT_COUNTERS / WITH_NEW_COMMENTS; default 'supported'. */
  commentFilters?: CommentFilterMode;
  /** Default DEFAULT_GROUPS. */
  groups?: SandboxGroup[];
  /** The ms clock for the `time` block, the bucket and overdue tasks; default Date.now. */
  now?: () => number;
  /** The task card: the default tasks' sample and the behaviours the notes are unsure of (cards.ts). */
  card?: CardOptions;
}

/** A counter set for a user, role and group. */
export interface CounterPreset {
  userId: number;
  role: Role;
  groupId: number;
  counters: Record<string, number>;
}

export const DEFAULT_USERS: readonly SandboxUser[] = [
  { id: 1, name: 'Anna', lastName: 'Smirnova', secret: 'sandboxsecret0001', scopes: ['task', 'user', 'sonet'] },
  { id: 2, name: 'Boris', lastName: 'Ivanov', secret: 'sandboxsecret0002', scopes: ['task'] },
  { id: 3, name: 'Viktor', lastName: 'Orlov', secret: 'sandboxsecret0003', scopes: ['task', 'user', 'sonet'], admin: true },
];

export const DEFAULT_GROUPS: readonly SandboxGroup[] = [
  { id: 7, name: 'Website relaunch', members: [1, 2] },
  { id: 12, name: 'Mobile app', members: [1] },
  { id: 30, name: 'Secret project', members: [3] },
];

/**
 * What the default tasks (plus DEFAULT_EXTRA_COUNTERS) answer for these users, roles and groups;
 * every other combination is derived from the same tasks. User 1's roles add up to view_all,
 * per group and over all groups, like on a real portal.
 */
export const DEFAULT_COUNTERS: readonly CounterPreset[] = [
  { userId: 1, role: 'view_all', groupId: 0, counters: { expired: 2, new_comments: 5 } },
  { userId: 1, role: 'view_role_responsible', groupId: 0, counters: { expired: 1, new_comments: 3 } },
  { userId: 1, role: 'view_role_accomplice', groupId: 0, counters: { expired: 0, new_comments: 1 } },
  { userId: 1, role: 'view_role_auditor', groupId: 0, counters: { expired: 0, new_comments: 1 } },
  { userId: 1, role: 'view_role_originator', groupId: 0, counters: { expired: 1, new_comments: 0 } },
  { userId: 1, role: 'view_all', groupId: 7, counters: { expired: 1, new_comments: 2 } },
  { userId: 1, role: 'view_role_responsible', groupId: 7, counters: { expired: 1, new_comments: 2 } },
  { userId: 1, role: 'view_all', groupId: 12, counters: { expired: 1, new_comments: 1 } },
  { userId: 1, role: 'view_role_originator', groupId: 12, counters: { expired: 1, new_comments: 0 } },
  { userId: 1, role: 'view_role_auditor', groupId: 12, counters: { expired: 0, new_comments: 1 } },
  { userId: 2, role: 'view_all', groupId: 0, counters: { expired: 0, new_comments: 1 } },
  { userId: 2, role: 'view_role_responsible', groupId: 0, counters: { expired: 0, new_comments: 1 } },
  { userId: 3, role: 'view_all', groupId: 0, counters: { expired: 3, new_comments: 0, mentioned: 1 } },
];

/** Counters no task produces (user 3's mention), answered beside the derived ones. */
export const DEFAULT_EXTRA_COUNTERS: readonly CounterPreset[] = [
  { userId: 3, role: 'view_all', groupId: 0, counters: { mentioned: 1 } },
];

/**
 * The `code` of each counter name (bit patterns from the tasks module); unknown names get 0.
 * Written out again on purpose rather than imported from src/core: the sandbox plays the
 * portal, and tests must not take their expected values from the code under test.
 */
export const COUNTER_CODES: Readonly<Record<string, number>> = {
  not_viewed: 1048576,
  expired: 6291456,
  wait_ctrl: 8388608,
  expired_soon: 9437184,
  wo_deadline: 10485760,
  new_comments: 12582912,
  mentioned: 15728640,
};

const MAX_BATCH_COMMANDS = 50;
const DEFAULT_SLOW_MS = 20_000;
const DEFAULT_REDIRECT = 'https://elsewhere.example/rest/';
const CONTROL_PREFIX = '/_sandbox/';

// ---------------------------------------------------------------------------------------------
// Outcomes of a REST method, and Bitrix24's errors
// ---------------------------------------------------------------------------------------------

const noAuthFound = () => failure(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
const invalidCredentials = () => failure(401, 'INVALID_CREDENTIALS', 'Invalid request credentials');
/** A webhook (not an app) gets this wording when REST is off for the plan. */
const accessDenied = () => failure(401, 'ACCESS_DENIED', 'REST is available only by subscription');
/** The tasks module throws; the REST layer reports it as error "0" with "(internal error)". */
const groupNotFound = () => failure(400, '0', 'Group not found or access denied. (internal error)');
const batchTooLong = () => failure(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
const batchNotAllowed = () => failure(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage');
/** Sandbox choice: how the real portal answers a malformed JSON body is not documented. */
const invalidJsonBody = () => failure(400, 'INVALID_REQUEST', 'The request body is not valid JSON');

/**
 * A portal that refuses the undocumented comment filters. Sandbox choice: what such a portal
 * answers is not documented; ERROR_CORE is the REST server's code for an error of the module.
 */
const unknownFilterField = (key: string) => failure(400, 'ERROR_CORE', `Unknown filter field: ${key}`);

/** The engine's parameter binder, when an integer parameter gets something else. */
function notAnInteger(name: string, value: unknown): Failure {
  const shown =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined
      ? String(value)
      : JSON.stringify(value);
  return failure(400, '0', `Invalid value ${shown} to match with parameter ${name}. Should be a value of type int.`);
}

function queryLimitExceeded(retryAfterSeconds?: number): Failure {
  const headers = retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(retryAfterSeconds) };
  return failure(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests', { headers });
}

function operationTimeLimit(operatingResetAt: number): Failure {
  return failure(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.', {
    extra: { operating_reset_at: operatingResetAt },
  });
}

/** A manual block of the portal's REST API: only Bitrix24 support lifts it. */
const overloadLimit = () => failure(503, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload.');
/** The REST server's own errors, as JSON (the nginx page of 'serverError' is the transport's). */
const internalError = () => failure(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
const unexpectedAnswer = () => failure(500, 'ERROR_UNEXPECTED_ANSWER', 'Server returned an unexpected response');

// ---------------------------------------------------------------------------------------------
// Wire helpers: PHP-style parameters, PHP-style JSON arrays, the `time` block
// ---------------------------------------------------------------------------------------------

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses a query string the way PHP fills its request arrays: `a=1&filter[ROLE]=x&ids[]=2`
 * gives `{a:'1', filter:{ROLE:'x'}, ids:{'0':'2'}}`. Values stay strings, as in PHP.
 */
export function parsePhpQuery(query: string): Params {
  const params: Params = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeFormComponent(pair.slice(eq + 1));
    const path = phpKeyPath(key);
    if (path.length > 0 && !path.some((segment) => UNSAFE_KEYS.has(segment))) {
      assignPath(params, path, value);
    }
  }
  return params;
}

function decodeFormComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** `filter[ROLE][]` → ['filter', 'ROLE', '']; an empty segment appends. */
function phpKeyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return key === '' ? [] : [key];
  const nested = [...key.slice(open).matchAll(/\[([^\]]*)\]/g)].map((match) => match[1]);
  return [key.slice(0, open), ...nested];
}

function assignPath(target: Params, path: string[], value: string): void {
  let node = target;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] === '' ? String(nextPhpIndex(node)) : path[i];
    if (i === path.length - 1) {
      node[key] = value;
    } else {
      const child = node[key];
      node = isObject(child) ? child : (node[key] = {});
    }
  }
}

/** PHP appends at the highest integer key + 1. */
function nextPhpIndex(node: Params): number {
  const indices = Object.keys(node).map(Number).filter(Number.isInteger);
  return indices.length === 0 ? 0 : Math.max(...indices) + 1;
}

interface TimeBlock {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at: number;
  operating: number;
}

/** A method's time budget as `time` reports it: seconds used, and when the oldest minute drops (unix seconds). */
export interface MethodTime {
  operating: number;
  operatingResetAt: number;
}

/**
 * A call's `time` (the envelope's, or a batch command's in `result_time`), with its method's
 * budget: the one set by setMethodTime, else unused (operating 0, the oldest of ten one-minute
 * buckets dropping ten minutes after the call).
 */
function timeBlock(startMs: number, finishMs: number, budget: MethodTime | undefined): TimeBlock {
  const seconds = (finishMs - startMs) / 1000;
  return {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: seconds,
    processing: seconds,
    date_start: isoSeconds(startMs),
    date_finish: isoSeconds(finishMs),
    operating_reset_at: budget?.operatingResetAt ?? Math.floor(startMs / 1000) + 600,
    operating: budget?.operating ?? 0,
  };
}



function isFlagSet(value: unknown): boolean {
  return value === true || value === 1 || (typeof value === 'string' && /^(1|y|true)$/i.test(value));
}

/** Method names are case-insensitive; `.json` selects the (only) transport. */
function normalizeMethod(method: string): string {
  return method.trim().toLowerCase().replace(/\.json$/, '');
}

// ---------------------------------------------------------------------------------------------
// The portal's data: users, webhooks, groups, tasks, counters
// ---------------------------------------------------------------------------------------------

class PortalData {
  private readonly users = new Map<number, SandboxUser>();
  private readonly groups = new Map<number, SandboxGroup>();
  private readonly tasks = new Map<number, SandboxTask>();
  /** setCounters: answered instead of the derived counters. */
  private readonly overrides = new Map<string, Record<string, number>>();
  /** Answered beside the derived counters. */
  private readonly extras = new Map<string, Record<string, number>>();
  private readonly revoked = new Set<number>();
  commentFilters: CommentFilterMode = 'supported';
  /** Descriptions, checklists, comments, time and timers of the tasks (cards.ts). */
  readonly cards: TaskCards = new TaskCards(this);

  constructor(users: readonly SandboxUser[], groups: readonly SandboxGroup[]) {
    users.forEach((user) => this.addUser(user));
    groups.forEach((group) => this.groups.set(group.id, structuredClone(group)));
  }

  user(id: number): SandboxUser | undefined {
    return this.users.get(id);
  }

  allUsers(): SandboxUser[] {
    return [...this.users.values()];
  }

  addUser(user: SandboxUser): void {
    this.users.set(user.id, structuredClone(user));
    this.revoked.delete(user.id);
  }

  setScopes(userId: number, scopes: string[]): void {
    this.requireUser(userId).scopes = [...scopes];
  }

  revokeWebhook(userId: number): void {
    this.requireUser(userId);
    this.revoked.add(userId);
  }

  /** The webhook's user, if that user has an active webhook with this secret. */
  webhookUser(userId: number, secret: string): SandboxUser | undefined {
    const user = this.users.get(userId);
    return user && !this.revoked.has(userId) && user.secret === secret ? user : undefined;
  }

  /** Members see their groups; an admin sees every existing group. */
  canSeeGroup(caller: SandboxUser, groupId: number): boolean {
    const group = this.groups.get(groupId);
    return group !== undefined && (caller.admin === true || group.members.includes(caller.id));
  }

  /** Own counters, or anyone's for an admin (managers are not modelled). */
  canSeeCountersOf(caller: SandboxUser, userId: number): boolean {
    return userId === caller.id || (caller.admin === true && this.users.has(userId));
  }

  groupsOf(userId: number): SandboxGroup[] {
    return [...this.groups.values()].filter((group) => group.members.includes(userId));
  }

  group(id: number): SandboxGroup | undefined {
    return this.groups.get(id);
  }

  /** What counters.get answers: a set test's counters, else the derived ones and the extras. */
  countersOf(userId: number, role: Role, groupId: number, nowMs: number): Record<string, number> {
    const key = counterKey(userId, role, groupId);
    return (
      this.overrides.get(key) ?? {
        ...deriveCounters([...this.tasks.values()], userId, role, groupId, nowMs),
        ...this.extras.get(key),
      }
    );
  }

  /** Replaces the whole set for that user, role and group: exactly these names are answered. */
  setCounters(userId: number, counters: Record<string, number>, role: Role, groupId: number): void {
    this.overrides.set(counterKey(userId, role, groupId), { ...counters });
  }

  setExtraCounters(preset: CounterPreset): void {
    this.extras.set(counterKey(preset.userId, preset.role, preset.groupId), { ...preset.counters });
  }

  resetCounters(): void {
    this.overrides.clear();
  }

  allTasks(): SandboxTask[] {
    return [...this.tasks.values()].map((task) => structuredClone(task));
  }

  /**
   * The tasks a user's list can show: an admin sees all, others the tasks they are a member of
   * and those of their workgroups (the default group permissions).
   */
  tasksVisibleTo(caller: SandboxUser): SandboxTask[] {
    const groupIds = new Set(this.groupsOf(caller.id).map((group) => group.id));
    return [...this.tasks.values()].filter(
      (task) =>
        caller.admin === true ||
        groupIds.has(task.groupId) ||
        [task.createdBy, task.responsibleId, ...task.accomplices, ...task.auditors].includes(caller.id),
    );
  }

  /** A new id after the highest one unless the input names one (then it replaces that task). */
  putTask(input: unknown, nowMs: number): SandboxTask {
    const given = isObject(input) ? input.id : undefined;
    const id = given === undefined ? Math.max(100, ...this.tasks.keys()) + 1 : given;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) throw new RangeError('id must be a positive integer');
    const task = normalizeTask(input, id, nowMs);
    this.tasks.set(id, task);
    return structuredClone(task);
  }

  /** Changes some fields; changedDate becomes now unless given. */
  updateTask(id: number, changes: unknown, nowMs: number): SandboxTask {
    if (!isObject(changes)) throw new RangeError('the changes must be an object');
    const task = this.requireTask(id);
    return this.putTask({ ...task, changedDate: nowMs, ...changes, id }, nowMs);
  }

  removeTask(id: number): void {
    this.requireTask(id);
    this.tasks.delete(id);
    this.cards.forget(id);
  }

  private requireTask(id: number): SandboxTask {
    const task = this.tasks.get(id);
    if (!task) throw new RangeError(`The sandbox portal has no task ${id}`);
    return task;
  }

  private requireUser(userId: number): SandboxUser {
    const user = this.users.get(userId);
    if (!user) throw new RangeError(`The sandbox portal has no user ${userId}`);
    return user;
  }
}

function counterKey(userId: number, role: Role, groupId: number): string {
  return `${userId}/${role}/${groupId}`;
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// REST methods
// ---------------------------------------------------------------------------------------------

interface MethodCall {
  caller: SandboxUser;
  params: Params;
  data: PortalData;
  nowMs: number;
}

interface RestMethod {
  /** Any one of these scopes grants the method; none listed = scope `basic`, always granted. */
  scopes: readonly string[];
  run(call: MethodCall): Outcome;
}

const METHODS: Readonly<Record<string, RestMethod>> = {
  'tasks.task.counters.get': { scopes: ['task'], run: tasksCountersGet },
  'tasks.task.list': { scopes: ['task'], run: tasksTaskList },
  'user.current': { scopes: ['user', 'user_brief', 'user_basic'], run: userCurrent },
  'profile': { scopes: [], run: profile },
  'server.time': { scopes: [], run: serverTime },
  'sonet_group.user.groups': { scopes: ['sonet'], run: sonetUserGroups },
  ...CARD_METHODS,
  ...COMMENT_METHODS,
};

function findMethod(name: string): RestMethod | undefined {
  return Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
}

function tasksCountersGet({ caller, params, data, nowMs }: MethodCall): Outcome {
  const userId = intParam(params.userId);
  if (userId === undefined) return notAnInteger('userId', params.userId);
  const groupId = intParam(params.groupId);
  if (groupId === undefined) return notAnInteger('groupId', params.groupId);
  // The server lower-cases the role; one it does not know is a normal, empty answer.
  const type = params.type ?? 'view_all';
  const role = (typeof type === 'string' ? type : JSON.stringify(type)).toLowerCase();
  if (!isRole(role)) return succeed([]);
  if (groupId !== 0 && !data.canSeeGroup(caller, groupId)) return groupNotFound();
  const target = userId === 0 ? caller.id : userId;
  // Someone else's counters (or a user that does not exist): `[]`, not an error.
  if (!data.canSeeCountersOf(caller, target)) return succeed([]);
  // Quirk: the envelope `total` is intval() of the computed total array, so always 1.
  return succeed(counterResult(data.countersOf(target, role, groupId, nowMs)), { total: 1 });
}

/** `{"tasks":[...]}` with the list's total and next as envelope fields (per command in a batch). */
function tasksTaskList({ caller, params, data, nowMs }: MethodCall): Outcome {
  const commentKeys = filterKeys(params).filter((key) => COMMENT_FILTER_KEYS.includes(key));
  if (data.commentFilters === 'rejected' && commentKeys.length > 0) return unknownFilterField(commentKeys[0]);
  const context = {
    callerId: caller.id,
    nowMs,
    userName: (id: number) => {
      const user = data.user(id);
      return user ? `${user.name} ${user.lastName}` : '';
    },
    group: (id: number) => data.group(id),
  };
  const ignored = data.commentFilters === 'ignored' ? commentKeys : [];
  const page = listTasks(data.tasksVisibleTo(caller), params, context, ignored);
  return succeed({ tasks: page.tasks }, { total: page.total, next: page.next });
}

function counterResult(counters: Record<string, number>): unknown {
  return phpArray(
    Object.entries(counters).map(([name, counter]) => [
      name,
      { counter, code: Object.hasOwn(COUNTER_CODES, name) ? COUNTER_CODES[name] : 0 },
    ]),
  );
}

function userCurrent({ caller }: MethodCall): Outcome {
  return succeed({
    ID: String(caller.id),
    XML_ID: '',
    ACTIVE: true,
    NAME: caller.name,
    LAST_NAME: caller.lastName,
    SECOND_NAME: '',
    EMAIL: `user${caller.id}@sandbox.invalid`,
    TIME_ZONE: '',
    IS_ONLINE: 'Y',
    PERSONAL_GENDER: '',
    PERSONAL_BIRTHDAY: '',
    WORK_POSITION: '',
    UF_EMPLOYMENT_DATE: '',
    UF_DEPARTMENT: [1],
    USER_TYPE: 'employee',
  });
}

function profile({ caller }: MethodCall): Outcome {
  return succeed({
    ID: String(caller.id),
    ADMIN: caller.admin === true,
    NAME: caller.name,
    LAST_NAME: caller.lastName,
    PERSONAL_GENDER: '',
    TIME_ZONE: '',
  });
}

function serverTime({ nowMs }: MethodCall): Outcome {
  return succeed(isoSeconds(nowMs));
}

/** ROLE: A owner, E moderator, K member. */
function sonetUserGroups({ caller, data }: MethodCall): Outcome {
  return succeed(
    data.groupsOf(caller.id).map((group) => ({
      GROUP_ID: String(group.id),
      GROUP_NAME: group.name,
      ROLE: group.members[0] === caller.id ? 'A' : 'K',
    })),
  );
}

function hasScope(user: SandboxUser, scopes: readonly string[]): boolean {
  return scopes.length === 0 || scopes.some((scope) => user.scopes.includes(scope));
}

// ---------------------------------------------------------------------------------------------
// batch
// ---------------------------------------------------------------------------------------------

export interface BatchCommand {
  key: string;
  /** Lower-cased, without `.json`, e.g. 'tasks.task.list'. */
  method: string;
  params: Params;
}

/** The commands a logged `batch` request carried, parsed as the portal read them; [] for any other request. */
export function batchCommandsOf(entry: RequestLogEntry): BatchCommand[] {
  return entry.method === 'batch' && isObject(entry.params) ? batchCommands(entry.params.cmd) : [];
}

/** `cmd` as an object `{KEY: "method?query"}` or a list (numeric keys). */
function batchCommands(cmd: unknown): BatchCommand[] {
  if (!isObject(cmd)) return [];
  return Object.entries(cmd).map(([key, command]) => ({ key, ...parseBatchCommand(String(command)) }));
}

/** `tasks.task.counters.get?type=view_role_auditor&groupId=7`: a PHP-style query string. */
function parseBatchCommand(command: string): { method: string; params: Params } {
  const question = command.indexOf('?');
  const method = question < 0 ? command : command.slice(0, question);
  return {
    method: normalizeMethod(method),
    params: question < 0 ? {} : parsePhpQuery(command.slice(question + 1)),
  };
}

/** Inside a batch, the documented example shows insufficient_scope with an empty description. */
function batchError(outcome: Failure): { error: string; error_description: string } {
  return {
    error: outcome.error,
    error_description: outcome.error === 'insufficient_scope' ? '' : outcome.description,
  };
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/** Faults of the transport: they shape the whole HTTP answer, never one batch command. */
type TransportFault = 'htmlLogin' | 'slow' | 'drop' | 'redirect' | 'truncated' | 'serverError';
type PortalFault = Exclude<FaultKind, TransportFault>;

const TRANSPORT_FAULTS: ReadonlySet<FaultKind> = new Set<TransportFault>([
  'htmlLogin',
  'slow',
  'drop',
  'redirect',
  'truncated',
  'serverError',
]);

function isTransportFault(kind: FaultKind): kind is TransportFault {
  return TRANSPORT_FAULTS.has(kind);
}

interface ArmedFault {
  kind: FaultKind;
  options: FaultOptions;
  /** Normalized method name; undefined = every request. */
  method?: string;
  remaining: number;
}

/** The queue of injected faults; the first armed fault that matches a request hits it. */
class FaultBook {
  private armed: ArmedFault[] = [];

  arm(kind: FaultKind, options: FaultOptions): void {
    if (!FAULT_KINDS.includes(kind)) throw new RangeError(`Unknown fault kind: ${String(kind)}`);
    const remaining = options.times ?? Number.POSITIVE_INFINITY;
    if (!(remaining > 0)) return;
    const method = options.method === undefined ? undefined : normalizeMethod(options.method);
    this.armed.push({ kind, options: { ...options }, method, remaining });
  }

  clear(): void {
    this.armed = [];
  }

  /**
   * The fault for a whole HTTP request: one for every method or for this one; for a batch,
   * also a transport fault aimed at a method one of its commands calls.
   */
  takeForRequest(method: string, commandMethods: readonly string[]): ArmedFault | undefined {
    return (
      this.take((fault) => fault.method === undefined || fault.method === method) ??
      this.take((fault) => isTransportFault(fault.kind) && commandMethods.includes(fault.method ?? ''))
    );
  }

  /** A portal fault aimed at the method of one batch command (it becomes that command's answer). */
  takeForBatchCommand(method: string): ArmedFault | undefined {
    return this.take((fault) => fault.method === method && !isTransportFault(fault.kind));
  }

  private take(matches: (fault: ArmedFault) => boolean): ArmedFault | undefined {
    const index = this.armed.findIndex(matches);
    if (index < 0) return undefined;
    const fault = this.armed[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.armed.splice(index, 1);
    return fault;
  }
}

/** What the portal answers for a portal fault (the same for a request or a batch command). */
function portalFaultOutcome(kind: PortalFault, options: FaultOptions, nowMs: number): Outcome {
  switch (kind) {
    case 'queryLimit':
      return queryLimitExceeded(options.retryAfterSeconds);
    case 'operationTimeLimit':
      return operationTimeLimit(options.operatingResetAt ?? Math.floor(nowMs / 1000) + 60);
    case 'overloadLimit':
      return overloadLimit();
    case 'internalError':
      return internalError();
    case 'unexpectedAnswer':
      return unexpectedAnswer();
    case 'invalidCredentials':
      return invalidCredentials();
    case 'insufficientScope':
      return insufficientScope();
    case 'accessDenied':
      return accessDenied();
    case 'groupNotFound':
      return groupNotFound();
    case 'emptyResult':
      return succeed([], { total: 0 });
  }
}

// ---------------------------------------------------------------------------------------------
// Replies on the wire
// ---------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Answer only after this long. */
  delayMs?: number;
}

const DROPPED: Reply = { status: 0, headers: {}, body: Buffer.alloc(0), drop: true };

function bodyReply(status: number, contentType: string, text: string, headers: Record<string, string> = {}): Reply {
  const body = Buffer.from(text, 'utf8');
  return {
    status,
    headers: { 'Content-Type': contentType, 'Content-Length': String(body.length), ...headers },
    body,
  };
}

function jsonReply(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return bodyReply(status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

function htmlReply(status: number, html: string): Reply {
  return bodyReply(status, 'text/html; charset=UTF-8', html);
}

/** The first half of the body, with headers that match what is sent: JSON cut mid-way. */
function truncated(reply: Reply): Reply {
  const body = reply.body.subarray(0, Math.floor(reply.body.length / 2));
  return { ...reply, body, headers: { ...reply.headers, 'Content-Length': String(body.length) } };
}

/** Elsewhere, with the rest of the path: the Location carries the webhook secret along. */
function redirectReply(redirectTo: string, pathAfterRest: string): Reply {
  const location = redirectTo.replace(/\/?$/, '/') + pathAfterRest;
  return { status: 302, headers: { Location: location, 'Content-Length': '0' }, body: Buffer.alloc(0) };
}

/** What a portal behind SSO or a misconfigured proxy answers instead of JSON. */
const LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>Authorization</title></head>
<body>
<form name="form_auth" method="post" action="/auth/?login=yes">
<input type="hidden" name="AUTH_FORM" value="Y">
<input type="hidden" name="TYPE" value="AUTH">
<label>Login <input type="text" name="USER_LOGIN"></label>
<label>Password <input type="password" name="USER_PASSWORD"></label>
<input type="submit" name="Login" value="Log In">
</form>
</body>
</html>
`;

const SERVER_ERROR_PAGE = `<html>
<head><title>500 Internal Server Error</title></head>
<body>
<center><h1>500 Internal Server Error</h1></center>
<hr><center>nginx</center>
</body>
</html>
`;

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** `/rest/<userId>/<secret>/<method>`, or `/rest/<method>` without credentials. */
interface RestPath {
  userId: number | null;
  secret: string | null;
  method: string;
  /** The raw path after `/rest/`, with the query string: what a redirect carries along. */
  afterRest: string;
}

interface RestCall {
  path: RestPath;
  params: Params;
  paramsFailure?: Failure;
  startMs: number;
}

/** What answering a call produced: the outcome, and a fault a batch command hit. */
interface Answer {
  outcome: Outcome;
  fault?: FaultKind;
}

function splitTarget(target: string): { pathname: string; query: string } {
  const question = target.indexOf('?');
  return question < 0
    ? { pathname: target, query: '' }
    : { pathname: target.slice(0, question), query: target.slice(question + 1) };
}

function parseRestPath(pathname: string, query: string): RestPath | undefined {
  if (!pathname.startsWith('/rest/')) return undefined;
  const afterRest = pathname.slice('/rest/'.length) + (query ? `?${query}` : '');
  const segments = pathname.slice('/rest/'.length).split('/').map(decodeFormComponent);
  // REST 3.0, `/rest/api/<id>/<secret>/<method>`: its methods are registered under their own prefix.
  const api = segments.length > 1 && segments[0] === 'api' ? (segments.shift(), REST_V3_PREFIX) : '';
  if (segments.length >= 2 && /^\d+$/.test(segments[0])) {
    const method = api + normalizeMethod(segments.slice(2).join('/'));
    return { userId: Number(segments[0]), secret: segments[1], method, afterRest };
  }
  return { userId: null, secret: null, method: api + normalizeMethod(segments.join('/')), afterRest };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Query string, then the body (JSON or form-encoded) on top, as Bitrix24 merges them. */
async function readParams(req: http.IncomingMessage, query: string): Promise<{ params: Params; failure?: Failure }> {
  const fromQuery = parsePhpQuery(query);
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') return { params: fromQuery };
  const type = String(req.headers['content-type'] ?? '');
  const looksJson = type.includes('json') || (!type.includes('form') && /^\s*[{[]/.test(text));
  if (!looksJson) return { params: { ...fromQuery, ...parsePhpQuery(text) } };
  try {
    const body: unknown = JSON.parse(text);
    if (!isObject(body)) return { params: fromQuery, failure: invalidJsonBody() };
    return { params: { ...fromQuery, ...body } };
  } catch {
    return { params: fromQuery, failure: invalidJsonBody() };
  }
}

/** The request log never holds an OAuth `auth` token either. */
function loggedParams(params: Params): Params {
  return Object.hasOwn(params, 'auth') ? { ...params, auth: '[redacted]' } : params;
}

class ControlInputError extends Error {}

function requireInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ControlInputError(`${name} must be an integer`);
  return value;
}

function requireCounters(value: unknown): Record<string, number> {
  if (!isObject(value) || Array.isArray(value)) throw new ControlInputError('counters must be an object');
  for (const [name, count] of Object.entries(value)) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new ControlInputError(`counter ${name} must be a non-negative integer`);
    }
  }
  return value as Record<string, number>;
}

interface CounterFilter {
  role?: Role;
  groupId?: number;
}

function counterFilter(filter: CounterFilter): { role: Role; groupId: number } {
  const role = filter.role ?? 'view_all';
  if (!isRole(role)) throw new RangeError(`Unknown role: ${String(role)}`);
  return { role, groupId: filter.groupId ?? 0 };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export class SandboxPortal {
  private readonly server: http.Server;
  private readonly data: PortalData;
  private readonly faults = new FaultBook();
  /** Budgets set by setMethodTime, by normalized method. */
  private readonly methodTimes = new Map<string, MethodTime>();
  private readonly log: RequestLogEntry[] = [];
  private readonly bucketOptions: LeakyBucketOptions | undefined;
  private readonly buckets = new Map<string, LeakyBucket>();
  private readonly sockets = new Set<Socket>();
  private readonly delayedReplies = new Set<NodeJS.Timeout>();
  /** The portal's clock (ms): the `time` block, the bucket, and which tasks are overdue. */
  readonly now: () => number;
  private originValue = '';

  private constructor(private readonly options: SandboxOptions) {
    this.now = options.now ?? Date.now;
    this.data = new PortalData(options.users ?? DEFAULT_USERS, options.groups ?? DEFAULT_GROUPS);
    const defaults = !options.users;
    (options.tasks ?? (defaults ? defaultTasks(this.now()) : [])).forEach((task) => this.data.putTask(task, this.now()));
    if (defaults) DEFAULT_EXTRA_COUNTERS.forEach((preset) => this.data.setExtraCounters(preset));
    this.setCommentFilters(options.commentFilters ?? 'supported');
    this.data.cards.configure(options.card ?? {}, defaults && !options.tasks);
    this.bucketOptions = options.leakyBucket === true ? BITRIX24_BUCKET : options.leakyBucket || undefined;
    this.server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }) : http.createServer();
    this.server.on('connection', (socket: Socket) => this.track(socket));
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: SandboxOptions = {}): Promise<SandboxPortal> {
    const portal = new SandboxPortal(options);
    await portal.listen();
    try {
      // The default tasks' cards quote a webhook URL, known once listening.
      portal.cards.loadSample((userId) => portal.webhookUrl(userId), portal.now());
    } catch (error) {
      await portal.close();
      throw error;
    }
    return portal;
  }

  /** E.g. 'http://127.0.0.1:43123' (https://… with tls). */
  get origin(): string {
    return this.originValue;
  }

  /** The user's inbound webhook: origin + '/rest/<id>/<secret>/'. */
  webhookUrl(userId: number): string {
    const user = this.data.user(userId);
    if (!user) throw new RangeError(`The sandbox portal has no user ${userId}`);
    return `${this.origin}/rest/${user.id}/${user.secret}/`;
  }

  /**
   * Replaces the counters one user sees for a role (default view_all) and group (default 0 =
   * all): exactly these are answered, whatever the tasks say, until resetCounters().
   */
  setCounters(userId: number, counters: Record<string, number>, filter: CounterFilter = {}): void {
    const { role, groupId } = counterFilter(filter);
    this.data.setCounters(userId, requireCounters(counters), role, groupId);
  }

  /** Drops every setCounters: the counters follow the tasks again. */
  resetCounters(): void {
    this.data.resetCounters();
  }

  /** What tasks.task.counters.get answers the user for that role and group, now. */
  countersOf(userId: number, filter: CounterFilter = {}): Record<string, number> {
    const { role, groupId } = counterFilter(filter);
    return { ...this.data.countersOf(userId, role, groupId, this.now()) };
  }

  /** The tasks' cards: descriptions, checklists, comments, time, timers, quirks (cards.ts). */
  get cards(): TaskCards {
    return this.data.cards;
  }

  /** Every task, in the order added; copies. */
  get tasks(): SandboxTask[] {
    return this.data.allTasks();
  }

  /** Adds a task (the next free id unless `id` is given, which replaces that task). */
  addTask(task: TaskInput): SandboxTask {
    return this.data.putTask(task, this.now());
  }

  /** Changes some fields of a task; its changedDate becomes now unless given. */
  updateTask(id: number, changes: Partial<TaskInput>): SandboxTask {
    return this.data.updateTask(id, changes, this.now());
  }

  removeTask(id: number): void {
    this.data.removeTask(id);
  }

  /** How tasks.task.list treats WITH_COMMENT_COUNTERS / WITH_NEW_COMMENTS (see CommentFilterMode). */
  setCommentFilters(mode: CommentFilterMode): void {
    if (!COMMENT_FILTER_MODES.includes(mode)) throw new RangeError(`Unknown comment filter mode: ${String(mode)}`);
    this.data.commentFilters = mode;
  }

  /**
   * The time budget one method reports from now on, in its own `time` (a call's envelope, a
   * batch command's `result_time`): Bitrix24 counts it per method. Undefined: unused again.
   */
  setMethodTime(method: string, time: MethodTime | undefined): void {
    const key = normalizeMethod(method);
    if (time) this.methodTimes.set(key, { ...time });
    else this.methodTimes.delete(key);
  }

  inject(kind: FaultKind, options: FaultOptions = {}): void {
    this.faults.arm(kind, options);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Every REST request so far (control calls excluded), oldest first; a snapshot. */
  get requests(): readonly RequestLogEntry[] {
    return [...this.log];
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Adds or replaces a user (and re-activates a revoked webhook). */
  addUser(user: SandboxUser): void {
    this.data.addUser(user);
  }

  setScopes(userId: number, scopes: string[]): void {
    this.data.setScopes(userId, scopes);
  }

  /** Deletes the user's webhook: its calls answer INVALID_CREDENTIALS from now on. */
  revokeWebhook(userId: number): void {
    this.data.revokeWebhook(userId);
  }

  /** Stops listening, cancels delayed ('slow') answers and destroys every open socket. */
  async close(): Promise<void> {
    this.delayedReplies.forEach((timer) => clearTimeout(timer));
    this.delayedReplies.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.sockets.forEach((socket) => socket.destroy());
    await closed;
  }

  private listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        const { port } = this.server.address() as AddressInfo;
        this.originValue = `${this.options.tls ? 'https' : 'http'}://${hostForUrl(host)}:${port}`;
        resolve();
      });
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const { pathname, query } = splitTarget(req.url ?? '/');
      if (pathname.startsWith(CONTROL_PREFIX)) {
        await this.handleControl(req, res, pathname.slice(CONTROL_PREFIX.length));
      } else {
        await this.handleRest(req, res, pathname, query);
      }
    } catch (error) {
      if (!res.headersSent && !res.destroyed) {
        this.send(res, jsonReply(500, { error: 'SANDBOX_ERROR', error_description: String(error) }));
      }
    }
  }

  // --- REST ----------------------------------------------------------------------------------

  private async handleRest(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
    query: string,
  ): Promise<void> {
    const startMs = this.now();
    const { params, failure: paramsFailure } = await readParams(req, query);
    const path = parseRestPath(pathname, query);
    const remoteAddress = req.socket.remoteAddress ?? '';
    const { reply, fault } = path
      ? this.replyToRest({ path, params, paramsFailure, startMs }, remoteAddress)
      : { reply: htmlReply(404, '<h1>404 Not Found</h1>'), fault: undefined };
    this.log.push({
      at: startMs,
      method: path?.method ?? '',
      userId: path?.userId ?? null,
      params: loggedParams(params),
      status: reply.drop ? 0 : reply.status,
      ...(fault ? { fault } : {}),
      remoteAddress,
      hadSecretInPath: Boolean(path?.secret),
    });
    this.send(res, reply);
  }

  /** The rate limit first (as at the portal's edge), then injected faults, then the method. */
  private replyToRest(call: RestCall, remoteAddress: string): { reply: Reply; fault?: FaultKind } {
    if (!this.bucketAdmits(remoteAddress, call.startMs)) {
      return { reply: this.outcomeReply(queryLimitExceeded(), call) };
    }
    const commandMethods = call.path.method === 'batch' ? batchCommands(call.params.cmd).map((c) => c.method) : [];
    const fault = this.faults.takeForRequest(call.path.method, commandMethods);
    if (fault) {
      return { reply: this.faultReply(fault, call), fault: fault.kind };
    }
    const answer = this.answer(call);
    return { reply: this.outcomeReply(answer.outcome, call), fault: answer.fault };
  }

  private bucketAdmits(remoteAddress: string, nowMs: number): boolean {
    if (!this.bucketOptions) return true;
    let bucket = this.buckets.get(remoteAddress);
    if (!bucket) {
      bucket = new LeakyBucket(this.bucketOptions);
      this.buckets.set(remoteAddress, bucket);
    }
    return bucket.tryTake(nowMs);
  }

  private faultReply(fault: ArmedFault, call: RestCall): Reply {
    const kind = fault.kind;
    if (!isTransportFault(kind)) {
      return this.outcomeReply(portalFaultOutcome(kind, fault.options, call.startMs), call);
    }
    switch (kind) {
      case 'slow':
        return { ...this.normalReply(call), delayMs: fault.options.delayMs ?? DEFAULT_SLOW_MS };
      case 'truncated':
        return truncated(this.normalReply(call));
      case 'drop':
        return DROPPED;
      case 'redirect':
        return redirectReply(fault.options.redirectTo ?? DEFAULT_REDIRECT, call.path.afterRest);
      case 'htmlLogin':
        return htmlReply(200, LOGIN_PAGE);
      case 'serverError':
        return htmlReply(500, SERVER_ERROR_PAGE);
    }
  }

  private normalReply(call: RestCall): Reply {
    return this.outcomeReply(this.answer(call).outcome, call);
  }

  /** Credentials, then the method, then its scope: the order the REST server checks them. */
  private answer(call: RestCall): Answer {
    if (call.paramsFailure) return { outcome: call.paramsFailure };
    const { userId, secret } = call.path;
    if (userId === null || secret === null) return { outcome: noAuthFound() };
    const caller = this.data.webhookUser(userId, secret);
    if (!caller) return { outcome: invalidCredentials() };
    if (call.path.method === 'batch') return this.runBatch(caller, call.params);
    return { outcome: this.runMethod(call.path.method, caller, call.params) };
  }

  private runMethod(method: string, caller: SandboxUser, params: Params): Outcome {
    const restMethod = findMethod(method);
    if (!restMethod) return methodNotFound();
    if (!hasScope(caller, restMethod.scopes)) return insufficientScope();
    this.data.cards.settle(this.now());
    return restMethod.run({ caller, params, data: this.data, nowMs: this.now() });
  }

  /**
   * Runs each command with the batch's credentials, in order, its `$result[KEY]…` references to
   * earlier commands resolved (batchReferences.ts); the batch answers 200 even if some fail.
   */
  private runBatch(caller: SandboxUser, params: Params): Answer {
    const commands = batchCommands(params.cmd);
    if (commands.length > MAX_BATCH_COMMANDS) return { outcome: batchTooLong() };
    const halt = isFlagSet(params.halt);
    const sections = { result: [], result_error: [], result_total: [], result_next: [], result_time: [] } as Record<
      'result' | 'result_error' | 'result_total' | 'result_next' | 'result_time',
      Array<[string, unknown]>
    >;
    // What later commands' `$result[KEY]…` references read, in the server's order of sections.
    const earlier: Record<string, Record<string, unknown>> = { result: {}, next: {}, total: {}, time: {}, error: {} };
    let firstFault: FaultKind | undefined;
    for (const command of commands) {
      const startMs = this.now();
      const fault = this.faults.takeForBatchCommand(command.method);
      firstFault ??= fault?.kind;
      const outcome = this.runBatchCommand({ ...command, params: resolveBatchReferences(command.params, earlier) }, caller, fault, startMs);
      if (!outcome.ok) {
        const error = batchError(outcome);
        sections.result_error.push([command.key, error]);
        (earlier.error_description ??= {})[command.key] = error.error_description;
        earlier.error[command.key] = error;
        if (halt) break;
        continue;
      }
      const time = timeBlock(startMs, this.now(), this.methodTimes.get(command.method));
      sections.result.push([command.key, outcome.result]);
      earlier.result[command.key] = outcome.result;
      if (outcome.total !== undefined) sections.result_total.push([command.key, (earlier.total[command.key] = outcome.total)]);
      if (outcome.next !== undefined) sections.result_next.push([command.key, (earlier.next[command.key] = outcome.next)]);
      sections.result_time.push([command.key, (earlier.time[command.key] = time)]);
    }
    const result = Object.fromEntries(Object.entries(sections).map(([name, entries]) => [name, phpArray(entries)]));
    return { outcome: succeed(result), fault: firstFault };
  }

  private runBatchCommand(command: BatchCommand, caller: SandboxUser, fault: ArmedFault | undefined, nowMs: number): Outcome {
    if (fault && !isTransportFault(fault.kind)) return portalFaultOutcome(fault.kind, fault.options, nowMs);
    if (command.method === 'batch') return batchNotAllowed();
    return this.runMethod(command.method, caller, command.params);
  }

  /** Success: `{result, total?, next?, time}`; failure: `{error, error_description}`, no time. */
  private outcomeReply(outcome: Outcome, { startMs, path }: RestCall): Reply {
    if (!outcome.ok) {
      const body = { error: outcome.error, error_description: outcome.description, ...outcome.extra };
      return jsonReply(outcome.status, body, outcome.headers);
    }
    return jsonReply(200, {
      result: outcome.result,
      ...(outcome.total === undefined ? {} : { total: outcome.total }),
      ...(outcome.next === undefined ? {} : { next: outcome.next }),
      time: timeBlock(startMs, this.now(), this.methodTimes.get(path.method)),
    });
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    if (reply.drop) {
      res.socket?.destroy();
      return;
    }
    const write = () => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    };
    if (!reply.delayMs) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      this.delayedReplies.delete(timer);
      write();
    }, reply.delayMs);
    timer.unref();
    this.delayedReplies.add(timer);
  }

  // --- Control interface (/_sandbox/…), for people and other processes ------------------------

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse, route: string): Promise<void> {
    try {
      const text = (await readBody(req)).toString('utf8');
      const body: unknown = text.trim() === '' ? {} : JSON.parse(text);
      if (!isObject(body)) throw new ControlInputError('the body must be a JSON object');
      const answer = this.control(`${req.method ?? 'GET'} ${route}`, body);
      this.send(res, answer === undefined ? jsonReply(404, { error: `no control endpoint ${route}` }) : jsonReply(200, answer));
    } catch (error) {
      // Bad input from the caller (JSON, kind, role, counters): 400 with the reason.
      if (!(error instanceof ControlInputError || error instanceof SyntaxError || error instanceof RangeError)) throw error;
      this.send(res, jsonReply(400, { error: error.message }));
    }
  }

  /** The answer to a control call; undefined for an unknown route. */
  private control(route: string, body: Record<string, unknown>): unknown {
    const onTask = /^(PATCH|DELETE) tasks\/(\d+)$/.exec(route);
    if (onTask?.[1] === 'PATCH') return this.updateTask(Number(onTask[2]), body);
    if (onTask?.[1] === 'DELETE') {
      this.removeTask(Number(onTask[2]));
      return { ok: true };
    }
    switch (route) {
      case 'POST counters': {
        const groupId = body.groupId === undefined ? undefined : requireInteger(body.groupId, 'groupId');
        const role = body.role as Role | undefined;
        this.setCounters(requireInteger(body.userId, 'userId'), requireCounters(body.counters), { role, groupId });
        return { ok: true };
      }
      case 'POST fault': {
        const { kind, ...options } = body;
        this.inject(kind as FaultKind, options);
        return { ok: true };
      }
      case 'POST clear':
        this.clearFaults();
        return { ok: true };
      case 'POST reset-counters':
        this.resetCounters();
        return { ok: true };
      case 'GET tasks':
        return this.tasks;
      case 'POST tasks':
        return this.addTask(body as unknown as TaskInput);
      case 'POST comment-filters':
        this.setCommentFilters(body.mode as CommentFilterMode);
        return { ok: true };
      case 'GET requests':
        return this.requests;
      case 'POST reset-log':
        this.clearLog();
        return { ok: true };
      default:
        return this.data.cards.control(route, body, this.now());
    }
  }
}
