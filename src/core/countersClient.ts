/**
 * The Bitrix24 REST client: task counters and the few helpers around them, through one
 * inbound webhook. Pure: no `vscode`; the transport and the clock are injected.
 */
import { classifyPortalError, classifyResponse, isPortalError } from './classify';
import { CounterSet, parseCounterSet, Role, ROLES } from './counters';
import { fail, Failure, Outcome, succeed } from './outcome';
import { compareText, PortalText, portalText, Redact, sentence } from './portalText';
import {
  encodeQuery,
  parseTaskPage,
  withUnreadComments,
  QueryParams,
  TASK_LIST_COUNTERS,
  TASK_LIST_METHOD,
  TaskListCounter,
  taskListParams,
  TaskPage,
} from './taskList';
import {
  asksForum,
  CardCommand,
  CardMethod,
  CardReader,
  CHAT_MESSAGE_METHOD,
  chatMessagesCommand,
  CommentsSource,
  commentsSourceOf,
  forumCommentsCommand,
  parseChatMessages,
  parseForumComments,
  parseTaskFields,
  sameCommentsSource,
  TaskCard,
  taskCard,
  taskCommand,
  TaskWrite,
  unansweredWrite,
  writeCommand,
  WriteContext,
  WriteOutcome,
  writeOutcome,
  writeRefused,
} from './taskCard';
import { isId } from './taskListLink';
import { nodeFetchTransport, Transport } from './transport';
import { WebhookUrl } from './webhookUrl';

export interface CountersFilter {
  /** Whose counters; omitted or 0 = the webhook's own user. */
  readonly userId?: number;
  /** One workgroup or project; omitted or 0 = all groups. */
  readonly groupId?: number;
}

interface CountersQuery extends CountersFilter {
  readonly role: Role;
}

/** The method time budget, where the portal reports it (`time.operating*`). */
export interface PortalTime {
  /** Seconds of method run time used in the current ten-minute window. */
  readonly operating?: number;
  /** Epoch ms when the oldest minute of that window drops. */
  readonly operatingResetAt?: number;
}

export interface RoleCounters {
  /** Each role's own outcome: one role can fail inside a batch while the others succeed. */
  readonly byRole: Readonly<Record<Role, Outcome<CounterSet>>>;
  /** The webhook's user, when asked for with `withUser`. */
  readonly user?: Outcome<PortalUser>;
  /** The user's workgroups, when asked for with `withGroups`. */
  readonly groups?: Outcome<Workgroup[]>;
  /** The first page of each listed counter's tasks, when asked for with `lists`. */
  readonly taskLists?: Partial<Record<TaskListCounter, Outcome<TaskPage>>>;
  /** The asked-for cards, each its own outcome; one whose comments were asked elsewhere is not here (see `commentsFound`). */
  readonly taskCards?: Readonly<Record<number, Outcome<TaskCard>>>;
  /**
   * Where this answer found the comments of cards asked without knowing (both sources were
   * asked: the card is in `taskCards`) or asked at the other source (the card is not: its
   * comments come with the next batch): to remember, so later batches ask that source alone.
   */
  readonly commentsFound?: Readonly<Record<number, CommentsSource>>;
  /** Each read mark's own outcome, by task id. */
  readonly reads?: Readonly<Record<number, Outcome<unknown>>>;
  /** The write this batch carried first, when it carried one. */
  readonly written?: WriteOutcome;
  /**
   * The time budget of the counters' method, from its commands' `result_time`: the budget is
   * per method, so the batch's own and its other commands' (user, groups, lists) are not in it.
   */
  readonly time: PortalTime;
}

/** Which counters' tasks to list with the counters, for one role (and the filter's user and group). */
export interface TaskListsRequest {
  readonly role: Role;
  readonly counters: readonly TaskListCounter[];
}

/** One shown card in a batch: its task, comments and time, and perhaps its read mark. */
export interface CardRequest {
  readonly taskId: number;
  /**
   * Where its comments are, once known. Not known: the forum's comments AND the chat's messages
   * by a batch reference to the task's `chatId` (`$result[…]`), so a card of either kind costs
   * one request; the one that does not apply fails in the batch, unread. A chat that refuses the
   * webhook for scope is asked with the forum (its comments from before the chat).
   */
  readonly comments?: CommentsSource;
  /** Marks the comments shown read (`readCommand`), riding this batch. */
  readonly read?: CardCommand;
}

/** The user's write, the batch's first command, with what the poller knew before it. */
export interface WriteRequest extends Omit<WriteContext, 'after' | 'redact'> {
  readonly write: TaskWrite;
}

/**
 * A batch carries this many cards at most (Bitrix24's batch: 50 commands; a card is up to three:
 * the task, its comments at a known source and a read mark, or the task and both sources, which
 * a chat refused for scope keeps: its forum comments are never unread, so it has no read mark).
 */
export const MAX_CARDS_PER_BATCH = 12;

/**
 * What a card may add to a batch's answer: a description has no limit on the portal (the
 * sandbox's hostile one is 1 MiB of BB-code), the comments come on top, JSON escapes grow both.
 */
export const CARD_MAX_BYTES = 4 * 1024 * 1024;

export interface PortalUser {
  readonly id: number;
  readonly name: PortalText;
}

export interface Workgroup {
  readonly id: number;
  readonly name: PortalText;
}

export interface RequestLogEntry {
  readonly method: string;
  readonly durationMs: number;
  readonly status?: number;
  /** Undefined on success. */
  readonly failure?: Failure;
}

export interface CountersClientOptions {
  readonly transport?: Transport;
  readonly now?: () => number;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** Called once per call (same-origin redirects included); entries never contain the secret. */
  readonly onRequest?: (entry: RequestLogEntry) => void;
}

/** The methods a batch carries: the extension's own words, which a failure's detail can name. */
type BatchMethod = typeof COUNTERS_METHOD | typeof TASK_LIST_METHOD | 'user.current' | 'profile' | 'sonet_group.user.groups' | CardMethod;

type BatchCommands = Record<string, { method: BatchMethod; params: QueryParams }>;

export const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BYTES = 1_000_000;
export const MAX_SAME_ORIGIN_REDIRECTS = 3;
const COUNTERS_METHOD = 'tasks.task.counters.get';

export class CountersClient {
  private readonly transport: Transport;
  private readonly now: () => number;
  private readonly cancelAll = new AbortController();
  /** Strips the secret from anything the portal echoes back. */
  private readonly redact: Redact;

  constructor(
    readonly webhook: WebhookUrl,
    private readonly options: CountersClientOptions = {},
  ) {
    this.transport = options.transport ?? nodeFetchTransport;
    this.now = options.now ?? Date.now;
    this.redact = webhook.redact;
  }

  /**
   * Every role's counters in ONE `batch` request, the way Bitrix24's own mobile app does it:
   * it costs one request against the portal's rate limit instead of five. Task lists and the
   * shown cards ride in the same request; a list or card that fails fails alone, never the
   * counters. A write rides FIRST, so the counters, lists and cards after it show its effect.
   */
  async getCountersByRole(
    filter: CountersFilter,
    options: { withUser?: boolean; withGroups?: boolean; lists?: TaskListsRequest; cards?: readonly CardRequest[]; write?: WriteRequest } = {},
  ): Promise<Outcome<RoleCounters>> {
    const commands: BatchCommands = {};
    if (options.write) commands[WRITE_KEY] = writeCommand(options.write.write);
    for (const role of ROLES) {
      commands[role] = { method: COUNTERS_METHOD, params: countersParams({ ...filter, role }) };
    }
    if (options.withUser) {
      Object.assign(commands, USER_COMMANDS);
    }
    if (options.withGroups) {
      commands.groups = GROUPS_COMMAND;
    }
    const taskLists: Partial<Record<TaskListCounter, Outcome<TaskPage>>> = {};
    if (options.lists) {
      // A list needs the user named: 0 means the webhook's own, as for the counters.
      const scope = { role: options.lists.role, userId: filter.userId || this.webhook.userId, groupId: filter.groupId ?? 0, now: this.now() };
      for (const counter of options.lists.counters) {
        const params = taskListParams({ ...scope, counter });
        if (params.ok) {
          commands[taskListKey(counter)] = { method: TASK_LIST_METHOD, params: params.value };
        } else {
          taskLists[counter] = params;
        }
      }
    }
    const cards = options.cards ?? [];
    for (const [index, card] of cards.entries()) {
      if (index >= MAX_CARDS_PER_BATCH) break;
      const taskKey = cardKey('task', card.taskId);
      commands[taskKey] = taskCommand(card.taskId);
      if (card.comments === undefined || asksForum(card.comments)) commands[cardKey('forum', card.taskId)] = forumCommentsCommand(card.taskId);
      if (card.comments !== 'forum') commands[cardKey('chat', card.taskId)] = chatMessagesCommand(card.comments?.chatId ?? { taskCommandKey: taskKey });
      if (card.read) commands[cardKey('read', card.taskId)] = card.read;
    }
    const carried = Math.min(cards.length, MAX_CARDS_PER_BATCH);
    const batch = await this.batch(commands, (this.options.maxBytes ?? DEFAULT_MAX_BYTES) + carried * CARD_MAX_BYTES);
    if (!batch.ok) return batch;
    const shown = options.cards ? this.readCards(batch.value, options.cards) : undefined;
    const byRole = {} as Record<Role, Outcome<CounterSet>>;
    for (const role of ROLES) {
      const result = batch.value.results[role];
      byRole[role] = result.ok ? readCounters(result.value, this.redact) : result;
    }
    return succeed({
      byRole,
      user: options.withUser ? readUser(batch.value.results, this.redact) : undefined,
      groups: options.withGroups ? readGroups(batch.value.results.groups, this.redact) : undefined,
      taskLists: options.lists ? readTaskLists(batch.value, taskLists, this.redact) : undefined,
      ...shown,
      written: options.write && this.readWrite(batch.value, options.write, shown?.taskCards),
      time: batch.value.times[COUNTERS_METHOD] ?? {},
    });
  }

  /**
   * A chat card's new comment: REST 3.0's `tasks.task.chat.message.send`, which cannot ride a
   * batch, so one request of its own. Never retried.
   */
  async sendChatMessage(taskId: number, text: string): Promise<WriteOutcome> {
    const write: TaskWrite = { kind: 'comment', taskId, text };
    const answer = await this.call(CHAT_MESSAGE_METHOD, { fields: { taskId, text } }, this.webhook.apiMethodUrl(CHAT_MESSAGE_METHOD));
    if (!answer.ok) {
      // A portal error (validation, access) was not applied; a lost answer may have been.
      return { ok: false, error: answer.error.code === undefined || answer.error.kind === 'server' ? unansweredWrite(answer.error) : writeRefused(write, answer.error) };
    }
    const sent = typeof answer.value.result === 'object' && answer.value.result !== null && (answer.value.result as { result?: unknown }).result === true;
    return sent
      ? { ok: true, value: { said: 'done' } }
      : { ok: false, error: { kind: 'notJson', applied: 'unknown', detail: sentence`the portal's answer to ${CHAT_MESSAGE_METHOD} has an unexpected shape` } };
  }

  private readCards(batch: BatchAnswer, requests: readonly CardRequest[]): Pick<RoleCounters, 'taskCards' | 'commentsFound' | 'reads'> {
    const reader: CardReader = { userId: this.webhook.userId, redact: this.redact };
    const taskCards: Record<number, Outcome<TaskCard>> = {};
    const commentsFound: Record<number, CommentsSource> = {};
    const reads: Record<number, Outcome<unknown>> = {};
    for (const [index, request] of requests.entries()) {
      const { taskId } = request;
      if (index >= MAX_CARDS_PER_BATCH) {
        taskCards[taskId] = fail({ kind: 'badRequest', detail: sentence`more task tabs are open than one request carries (${MAX_CARDS_PER_BATCH}): close some` });
        continue;
      }
      const read = batch.results[cardKey('read', taskId)];
      if (read) reads[taskId] = read;
      const task = batch.results[cardKey('task', taskId)];
      const fields = task.ok ? parseTaskFields(task.value, taskId, this.redact) : task;
      if (!fields.ok) {
        taskCards[taskId] = fields;
        continue;
      }
      const forum = batch.results[cardKey('forum', taskId)];
      const chat = batch.results[cardKey('chat', taskId)];
      const refusal = chat !== undefined && !chat.ok && chat.error.kind === 'scope' ? chat.error : undefined;
      const source = commentsSourceOf(fields.value, refusal !== undefined);
      if (request.comments === undefined || !sameCommentsSource(request.comments, source)) commentsFound[taskId] = source;
      if (!carries(request.comments, source)) continue;
      // The other source's command, asked when the card's kind was not known, is not read: its error means nothing.
      const { newComments } = fields.value;
      const comments = (answer: Outcome<unknown>, parse: typeof parseForumComments, unread: number) => (answer.ok ? parse(answer.value, unread, reader) : answer);
      taskCards[taskId] = succeed(
        source === 'forum'
          ? taskCard(fields.value, comments(forum, parseForumComments, newComments))
          : refusal === undefined
            ? taskCard(fields.value, comments(chat, parseChatMessages, newComments))
            : // The task's unread count is its chat's: none of the forum's older comments is unread.
              taskCard(fields.value, comments(forum, parseForumComments, 0), refusal),
      );
    }
    return { taskCards, commentsFound, reads };
  }

  private readWrite(batch: BatchAnswer, request: WriteRequest, cards: Readonly<Record<number, Outcome<TaskCard>>> = {}): WriteOutcome {
    const after = cards[request.write.taskId];
    return writeOutcome(request.write, batch.results[WRITE_KEY], {
      ...request,
      after: after?.ok ? after.value : undefined,
      redact: this.redact,
    });
  }

  /** The user's workgroups and projects. Needs the `sonet` scope: a `scope` failure otherwise. */
  async userGroups(): Promise<Outcome<Workgroup[]>> {
    const answer = await this.call(GROUPS_COMMAND.method, GROUPS_COMMAND.params);
    return readGroups(answer.ok ? succeed(answer.value.result) : answer, this.redact);
  }

  /** Aborts every request in flight (on disconnect or shutdown). */
  dispose(): void {
    this.cancelAll.abort();
  }

  private async batch(commands: BatchCommands, maxBytes?: number): Promise<Outcome<BatchAnswer>> {
    const cmd: Record<string, string> = {};
    for (const [key, { method, params }] of Object.entries(commands)) {
      const query = encodeQuery(params);
      cmd[key] = query ? `${method}?${query}` : method;
    }
    const answer = await this.call('batch', { halt: 0, cmd }, this.webhook.methodUrl('batch'), maxBytes);
    if (!answer.ok) return answer;
    return readBatch(answer.value.result, commands, (error, method) =>
      classifyPortalError(error, { now: this.now(), method, redact: this.redact }),
    );
  }

  private async call(
    method: string,
    params: unknown,
    methodUrl = this.webhook.methodUrl(method),
    maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES,
  ): Promise<Outcome<{ result: unknown; time?: unknown }>> {
    const started = this.now();
    let url = methodUrl;
    let status: number | undefined;
    let outcome: Outcome<{ result: unknown; time?: unknown }> | undefined;
    for (let redirects = 0; outcome === undefined; redirects++) {
      const response = await this.transport.post(url, JSON.stringify(params), {
        timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBytes,
        signal: this.cancelAll.signal,
        redact: this.redact,
      });
      if (!response.ok) {
        outcome = response;
        break;
      }
      status = response.value.status;
      const location = isRedirect(status) ? response.value.location : undefined;
      if (location === undefined) {
        outcome = classifyResponse(response.value, {
          now: this.now(),
          method,
          redact: this.redact,
        });
      } else if (!this.webhook.isOwnOrigin(location) || redirects >= MAX_SAME_ORIGIN_REDIRECTS) {
        outcome = fail(refusedRedirect(location, status, this.redact));
      } else {
        url = location;
      }
    }
    this.options.onRequest?.({
      method,
      durationMs: this.now() - started,
      status,
      failure: outcome.ok ? undefined : outcome.error,
    });
    return outcome;
  }
}

const USER_COMMANDS: BatchCommands = {
  user: { method: 'user.current', params: {} },
  profile: { method: 'profile', params: {} },
};

const GROUPS_COMMAND: BatchCommands[string] = { method: 'sonet_group.user.groups', params: {} };

function countersParams(query: CountersQuery): Record<string, string | number> {
  const params: Record<string, string | number> = { type: query.role };
  if (query.userId) params.userId = query.userId;
  if (query.groupId) params.groupId = query.groupId;
  return params;
}

/** The write's key: first in the batch (PHP keeps the order of non-numeric keys). */
const WRITE_KEY = 'write';

/**
 * Whether a batch that asked `asked` (undefined: both sources, the chat by a reference) has the
 * answers the card needs where its comments were `found`; a card without them comes next batch.
 */
function carries(asked: CommentsSource | undefined, found: CommentsSource): boolean {
  if (asked === undefined || sameCommentsSource(asked, found)) return true;
  if (asked === 'forum') return false;
  // The chat asked with the forum: the card is answered when the chat no longer refuses, or the task lost its chat.
  return found === 'forum' ? asked.chatRefused === true : found.chatRefused !== true && found.chatId === asked.chatId;
}

/** `task_101`, `forum_101`, `chat_101`, `read_101`: never numeric, so the batch keeps its order (and the task comes before the chat that refers to it). */
function cardKey(part: 'task' | 'forum' | 'chat' | 'read', taskId: number): string {
  return `${part}_${taskId}`;
}

function taskListKey(counter: TaskListCounter): string {
  return `list_${counter}`;
}

/** Each asked-for list: its page, its command's failure, or why it was not sent. */
function readTaskLists(
  batch: BatchAnswer,
  unsent: Partial<Record<TaskListCounter, Outcome<TaskPage>>>,
  redact: Redact,
): Partial<Record<TaskListCounter, Outcome<TaskPage>>> {
  const lists = { ...unsent };
  for (const counter of TASK_LIST_COUNTERS) {
    const key = taskListKey(counter);
    if (Object.hasOwn(batch.results, key)) {
      const result = batch.results[key];
      const page = result.ok ? parseTaskPage(result.value, batch.totals[key], redact) : result;
      lists[counter] = page.ok && counter === 'new_comments' ? succeed(withUnreadComments(page.value)) : page;
    }
  }
  return lists;
}

function readCounters(result: unknown, redact: Redact): Outcome<CounterSet> {
  const set = parseCounterSet(result, redact);
  return set ? succeed(set) : unexpectedShape(COUNTERS_METHOD);
}

function unexpectedShape<T>(method: BatchMethod): Outcome<T> {
  return fail({ kind: 'notJson', detail: sentence`the portal's answer to ${method} has an unexpected shape` });
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** The host is the portal's text like any other: it can spell the secret (`https://<secret>.evil.example/`). */
function refusedRedirect(location: string, status: number, redact: Redact): Failure {
  let host = sentence`an unknown address`;
  try {
    host = portalText(new URL(location).host, redact);
  } catch {
    // A malformed Location still gets refused; there is no host to name.
  }
  return {
    kind: 'redirected',
    status,
    redirectHost: host,
    detail: sentence`the portal redirected the request to ${host}; it was not followed, as the webhook's secret would go with it`,
  };
}

interface BatchAnswer {
  readonly results: Readonly<Record<string, Outcome<unknown>>>;
  /** Each command's `result_total[KEY]`, as sent: only lists have a meaningful one. */
  readonly totals: Readonly<Record<string, unknown>>;
  /** Each method's time budget, from its commands' `result_time`. */
  readonly times: Readonly<Record<string, PortalTime>>;
}

/**
 * `batch` answers 200 even when commands failed: each command's result is in
 * `result.result[KEY]` or its error in `result.result_error[KEY]`, its total in
 * `result.result_total[KEY]`, its `time` in `result.result_time[KEY]`. PHP sends empty sections
 * as `[]` instead of `{}`.
 *
 * The time budget is per method (OPERATION_TIME_LIMIT blocks one method; the others go on), so
 * the times are kept by method: the wait after a command's OPERATION_TIME_LIMIT is its own
 * method's reset, never a later one of another method in the same batch.
 */
function readBatch(
  result: unknown,
  commands: BatchCommands,
  classify: (error: { error: string; error_description?: string }, method: string) => Failure,
): Outcome<BatchAnswer> {
  const sections = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
  const values = asRecord(sections.result);
  const errors = asRecord(sections.result_error);
  const times = asRecord(sections.result_time);
  const sentTotals = asRecord(sections.result_total);
  const results: Record<string, Outcome<unknown>> = {};
  const totals: Record<string, unknown> = {};
  const timesByMethod: Record<string, unknown[]> = {};
  for (const [key, { method }] of Object.entries(commands)) {
    totals[key] = Object.hasOwn(sentTotals, key) ? sentTotals[key] : undefined;
    if (Object.hasOwn(times, key)) (timesByMethod[method] ??= []).push(times[key]);
    const error = errors[key];
    if (isPortalError(error)) {
      results[key] = fail(classify(error, method));
    } else if (key in values) {
      results[key] = succeed(values[key]);
    } else {
      results[key] = fail({ kind: 'notJson', detail: sentence`the batch answer has no result for ${method}` });
    }
  }
  const methodTimes = Object.fromEntries(Object.entries(timesByMethod).map(([method, blocks]) => [method, latestTime(blocks)]));
  return succeed({ results, totals, times: methodTimes });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function readTime(time: unknown): PortalTime {
  const { operating, operating_reset_at } = asRecord(time);
  return {
    operating: typeof operating === 'number' ? operating : undefined,
    operatingResetAt: typeof operating_reset_at === 'number' ? operating_reset_at * 1000 : undefined,
  };
}

/** Of several `time` blocks of one method (its commands in a batch), the most used and latest reset. */
function latestTime(blocks: unknown[]): PortalTime {
  let operating: number | undefined;
  let operatingResetAt: number | undefined;
  for (const block of blocks.map(readTime)) {
    if (block.operating !== undefined) operating = Math.max(operating ?? 0, block.operating);
    if (block.operatingResetAt !== undefined) operatingResetAt = Math.max(operatingResetAt ?? 0, block.operatingResetAt);
  }
  return { operating, operatingResetAt };
}

/** Names are the portal's text, cleaned (`portalText`) before anything shows or stores them. */
function readUser(results: Readonly<Record<string, Outcome<unknown>>>, redact: Redact): Outcome<PortalUser> {
  for (const key of ['user', 'profile']) {
    const result = results[key];
    if (result?.ok) {
      const { ID, NAME, LAST_NAME } = asRecord(result.value);
      const id = Number(ID);
      if (isId(id)) {
        const parts = [NAME, LAST_NAME].filter((part): part is string => typeof part === 'string');
        return succeed({ id, name: portalText(parts.join(' '), redact) || sentence`#${id}` });
      }
    }
  }
  // user.current's failure first: when both are refused, the scope it names ("user") is the
  // one that fixes it; profile's scope (basic) names nothing a user can add.
  for (const key of ['user', 'profile']) {
    const result = results[key];
    if (result && !result.ok) return result;
  }
  return fail({ kind: 'access', detail: sentence`the portal did not say who the webhook belongs to (inactive user?)` });
}

function readGroups(result: Outcome<unknown>, redact: Redact): Outcome<Workgroup[]> {
  if (!result.ok) return result;
  if (!Array.isArray(result.value)) {
    return unexpectedShape(GROUPS_COMMAND.method);
  }
  const groups: Workgroup[] = [];
  for (const row of result.value as Array<{ GROUP_ID?: unknown; GROUP_NAME?: unknown } | null>) {
    const id = Number(row?.GROUP_ID);
    if (isId(id)) {
      const name = typeof row?.GROUP_NAME === 'string' ? portalText(row.GROUP_NAME, redact) : undefined;
      groups.push({ id, name: name || sentence`#${id}` });
    }
  }
  return succeed(groups.sort((a, b) => compareText(a.name, b.name)));
}
