/**
 * The poller: webhook + filters → client → counters state, on the scheduler's beat.
 * Every request to the portal goes through here, and each passes the request gate first
 * (`RequestGate`: the portal's wait, 15 s between a window's requests); views only read the
 * state, and what they ask for (`refresh`, `askSoon`, `showTaskLists`, `setFilters`) only
 * tells the scheduler when.
 */
import { Clock, systemClock } from './clock';
import { CardRequest, CountersClient, RoleCounters, Workgroup } from './countersClient';
import { CountersState, Filters, sameScope, TaskLists, WebhookSource } from './countersState';
import { Failure, fail, isRetryable, Outcome, succeed } from './outcome';
import { PollScheduler, PollStep } from './pollScheduler';
import { PortalText, portalText, sentence } from './portalText';
import { RequestGate } from './requestGate';
import { FOLLOW_DELAY_MS, SharedPoll, SharedSnapshot } from './sharedPoll';
import {
  CommentsSource,
  invalidWrite,
  newestUnread,
  readCommand,
  TaskCards,
  TaskCardSource,
  TaskWrite,
  unansweredWrite,
  WriteOutcome,
  writeKey,
} from './taskCard';
import { TASK_LIST_COUNTERS, TaskListCounter } from './taskList';
import { isId } from './taskListLink';
import { WebhookUrl } from './webhookUrl';

export interface CountersPollerOptions {
  readonly intervalMs: number;
  readonly createClient: (webhook: WebhookUrl) => CountersClient;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Share one poll with the other windows (see `SharedPoll`); each window polls alone without. */
  readonly shared?: SharedPoll;
  /** Sharing is best effort: its file errors are reported here and polling goes on. */
  readonly onSharingError?: (error: unknown) => void;
  /** Things worth a line in the log: a wait cut to the cap, a task list the portal refused. */
  readonly onNotice?: (message: PortalText) => void;
  /** The request gate's spacing (`RequestGate.minGapMs`); its 15 s by default. */
  readonly requestGapMs?: number;
}

/**
 * The first poll after start is not immediate, so the views appear before any network, and
 * not long, so the numbers follow quickly.
 */
export const START_DELAY_MS = 50;

/** When OPERATION_TIME_LIMIT comes without a reset time: the SDK's minimum wait. */
const OPERATION_LIMIT_MIN_WAIT_MS = 10_000;

/**
 * How long the lists rest after OPERATION_TIME_LIMIT on `tasks.task.list` without a reset
 * time (inside a batch the portal sends none): the method's budget is counted over ten minutes.
 */
const LIST_REST_MS = 10 * 60_000;

/** A `verify` answer, with what it was asked for: `connect` uses it only for the same question. */
export interface VerifiedCounters extends RoleCounters {
  readonly verifiedFor: { readonly portal: string; readonly webhookUserId: number; readonly filters: Filters };
}

/** Whose turn it is to ask the portal, after a look at the other windows. */
type Turn =
  | { readonly kind: 'ask' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'follow'; readonly snapshot: SharedSnapshot; readonly nextPollAt: number };

/** A write the user asked for: sent at most once, by the explicit poll that takes it. */
interface PendingWrite {
  readonly key: string;
  readonly write: TaskWrite;
  readonly done: Promise<WriteOutcome>;
  readonly resolve: (outcome: WriteOutcome) => void;
}

export class CountersPoller implements TaskCardSource {
  private client: CountersClient | undefined;
  private readonly scheduler: PollScheduler;
  /** The scheduler's: every request of this window passes it. */
  private readonly gate: RequestGate;
  private readonly clock: Clock;
  /** When the counters' method budget frees up, from the last answer that said (`RoleCounters.time`). */
  private operatingResetAt: number | undefined;
  /** A fetched answer to publish to the other windows once its next poll time is known. */
  private toShare: { key: string; fetchedAt: number; outcome: Outcome<RoleCounters> } | undefined;
  /** Between `pause` and `resume` (a scheduler's stop forgets it). */
  private paused = false;
  /** The error shown is the current role's, inside a good batch (not the whole request's). */
  private roleFailed = false;
  /** The key of the shared lease this window holds, if any. */
  private lease: string | undefined;
  /** How many surfaces show each task list (expanded rows, Go to Task): asked for while > 0. */
  private readonly shownLists = new Map<TaskListCounter, number>();
  /** Lists the portal refused for this question: not asked again until it changes. */
  private refusedLists: TaskLists = {};
  /** Monotonic ms until which `tasks.task.list` is over its time budget: lists rest, counters go on. */
  private listsRestUntil: number | undefined;
  /** The keys this window published under the current webhook: removed on disconnect. */
  private readonly published = new Set<string>();
  /** The shared files' writes and removals, one after another, each failure reported. */
  private sharing: Promise<void> = Promise.resolve();
  /** How many surfaces show each task's card, and how many of them read its comments. */
  private readonly shownCards = new Map<number, { shown: number; reading: number }>();
  /** Where each card's comments are (the forum, or the task chat by id), learned from answers: asked there alone. */
  private readonly commentSources = new Map<number, CommentsSource>();
  /**
   * Cards of unknown kind ask the chat by a `$result[…]` reference to their task (one request
   * for either kind) until a batch carrying one fails as a whole with a server error: older
   * cores may choke on a reference to a value the task lacks (a forum card's chatId). Then they
   * are asked as forum cards (a chat card costs one request more).
   */
  private batchReferences = true;
  /** The newest unread comment of each card a read mark was sent for: one mark each, never a loop. */
  private readonly readsSent = new Map<number, number>();
  /** Cards whose answer was over the size cap: each shows that failure, not asked again while shown. */
  private readonly oversizeCards = new Set<number>();
  /** Read-mark methods this portal lacks (ERROR_METHOD_NOT_FOUND): not sent again. */
  private readonly missingReads = new Set<string>();
  /** The user's writes not sent yet, oldest first, and the one in flight: an identical one joins them. */
  private writes: PendingWrite[] = [];
  private sending: PendingWrite | undefined;

  constructor(
    private readonly state: CountersState,
    private readonly options: CountersPollerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.scheduler = new PollScheduler(() => this.poll(), {
      intervalMs: options.intervalMs,
      clock: this.clock,
      gate: new RequestGate(this.clock, options.requestGapMs),
      random: options.random,
      onChange: () => this.scheduleChanged(),
      onClamp: (requestedMs, usedMs) =>
        options.onNotice?.(sentence`A wait of ${Math.round(requestedMs / 1000)} s was cut to ${Math.round(usedMs / 1000)} s, the longest this extension waits`),
    });
    this.gate = this.scheduler.gate;
  }

  /** The webhook being polled, if any. */
  get webhook(): WebhookUrl | undefined {
    return this.client?.webhook;
  }

  /**
   * Checks a webhook with one request (the same batch a poll makes, with the user's name and,
   * for a group, its name), without touching the state. Connect stores the webhook only when
   * this succeeds. An explicit ask: within 15 s of the previous one, it waits for the rest.
   */
  async verify(webhook: WebhookUrl): Promise<Outcome<VerifiedCounters>> {
    await this.gate.passWhenOpen('explicit');
    const client = this.options.createClient(webhook);
    const filters = this.state.snapshot.filters;
    try {
      const answer = await client.getCountersByRole(scopeOf(filters), { withUser: true, withGroups: filters.groupId > 0 });
      if (!answer.ok) return answer;
      const current = answer.value.byRole[this.state.snapshot.filters.role];
      if (!current.ok) return current;
      return succeed({ ...answer.value, verifiedFor: { portal: webhook.origin, webhookUserId: webhook.userId, filters } });
    } finally {
      client.dispose();
    }
  }

  /**
   * Starts polling a webhook. `verified` (from `verify`) stands in for the first request when
   * it answers the same question (portal, webhook user, user and group filters) with the
   * current role's counters; otherwise (the filters changed while it was checked) the first
   * poll asks.
   */
  connect(webhook: WebhookUrl, source: WebhookSource, verified?: VerifiedCounters): void {
    this.stopClient();
    this.published.clear();
    this.client = this.options.createClient(webhook);
    const filters = this.state.snapshot.filters;
    const usable =
      verified !== undefined &&
      verified.verifiedFor.portal === webhook.origin &&
      verified.verifiedFor.webhookUserId === webhook.userId &&
      sameScope(verified.verifiedFor.filters, filters) &&
      verified.byRole[filters.role].ok;
    this.state.update({
      connection: {
        kind: 'connected',
        portal: webhook.origin,
        webhookUserId: webhook.userId,
        redacted: webhook.redacted,
        source,
      },
      ...NO_DATA,
      loading: !usable,
    });
    if (usable) {
      this.apply(verified, verified.verifiedFor.filters);
    }
    this.scheduler.start(usable ? this.scheduler.intervalMs : START_DELAY_MS);
    if (this.paused) this.scheduler.pause(); // a webhook from another window: polled on focus
  }

  /**
   * Forgets the webhook: no more requests, every surface back to "not connected", and this
   * window's shared files of it removed.
   */
  disconnect(): void {
    for (const key of this.published) this.enqueueSharing((shared) => shared.forget(key));
    this.published.clear();
    this.stopClient();
    this.state.update({
      connection: { kind: 'disconnected' },
      ...NO_DATA,
      loading: false,
    });
  }

  /**
   * New filters from settings. Another role comes from the last batch, which asked for all
   * five, at once and without a request; another user or group is asked for as soon as the
   * gate allows, through the other windows' shared poll (a settings change reaches every
   * window at once: one asks, the others follow its answer). An error of the old role or scope
   * is not the new one's: it goes (an error of the whole request stays over a role's numbers
   * from before it, which are then stale).
   */
  setFilters(filters: Filters): void {
    const previous = this.state.snapshot;
    if (previous.filters.role === filters.role && sameScope(previous.filters, filters)) return;
    const cleared = { error: undefined, halted: false };
    // Task lists are of one role, user and group: another question has its own.
    this.refusedLists = {};
    if (sameScope(previous.filters, filters)) {
      const role = previous.byRole?.[filters.role];
      const roleFailed = this.roleFailed;
      this.state.update({ filters, counters: role?.ok ? role.value : undefined, taskLists: undefined, ...(roleFailed ? cleared : {}) });
      // Polling stopped on the old role's failure or on a failure a new question may fix, or
      // the new role's tasks are shown: ask.
      if (!this.client || (role?.ok && !roleFailed && !previous.halted && this.listsToAsk().length === 0)) return;
    } else {
      this.state.update({
        filters, byRole: undefined, counters: undefined, updatedAt: undefined, groupName: undefined, taskLists: undefined, ...cleared,
      });
    }
    this.roleFailed = false;
    // After a halt, the new question is asked: the halt was the old one's. Otherwise as soon as
    // allowed; a run under way answers the new role too (its batch has every role).
    if (previous.halted) this.scheduler.newQuestion();
    else this.scheduler.soon();
  }

  setIntervalMs(intervalMs: number): void {
    this.scheduler.setInterval(intervalMs);
  }

  /**
   * The user's explicit ask for fresh numbers (Refresh, Try Again; also after a halt: that is
   * how a user says "try again"): the portal now, even while it asked to wait, but not twice
   * within 15 s (a second ask waits for the rest). Resolves when it is answered.
   */
  refresh(): Promise<void> {
    if (!this.client) return Promise.resolve();
    return this.scheduler.refresh();
  }

  /**
   * Fresh numbers wanted (a picker opened): the next poll as soon as the gate allows, never
   * before the portal's wait; meanwhile the state shows what it has, `nextPollAt` when it asks.
   */
  askSoon(): void {
    this.scheduler.soon(); // not after a halt: only the user can fix that
  }

  /**
   * Carries these task lists in every poll's batch until the returned release is called (a
   * row collapsed, the picker closed). A list not shown yet is asked for as soon as allowed.
   */
  showTaskLists(counters: readonly TaskListCounter[]): () => void {
    const missing = counters.some((counter) => this.state.snapshot.taskLists?.[counter] === undefined);
    for (const counter of counters) this.shownLists.set(counter, (this.shownLists.get(counter) ?? 0) + 1);
    if (missing) this.askSoon();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const counter of counters) {
        const count = (this.shownLists.get(counter) ?? 1) - 1;
        if (count > 0) this.shownLists.set(counter, count);
        else this.shownLists.delete(counter);
      }
    };
  }

  /**
   * Carries the task's card (task, comments, time) in every poll's batch until released; a card
   * not fetched yet is asked for as soon as allowed. With `readComments`, its unread comments are
   * marked read by a command riding the next poll, once for each newest unread comment.
   */
  showTask(taskId: number, options: { readonly readComments: boolean }): () => void {
    if (!isId(taskId)) return () => undefined;
    const shown = this.shownCards.get(taskId) ?? { shown: 0, reading: 0 };
    this.shownCards.set(taskId, { shown: shown.shown + 1, reading: shown.reading + (options.readComments ? 1 : 0) });
    if (this.state.snapshot.taskCards?.[taskId] === undefined) this.askSoon();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = this.shownCards.get(taskId) ?? { shown: 1, reading: 0 };
      if (now.shown > 1) {
        this.shownCards.set(taskId, { shown: now.shown - 1, reading: now.reading - (options.readComments ? 1 : 0) });
        return;
      }
      this.shownCards.delete(taskId);
      this.readsSent.delete(taskId);
      this.oversizeCards.delete(taskId);
      const cards = this.state.snapshot.taskCards;
      if (cards?.[taskId] !== undefined) {
        this.state.update({ taskCards: Object.fromEntries(Object.entries(cards).filter(([id]) => Number(id) !== taskId)) });
      }
    };
  }

  /**
   * The user's write: it rides the next explicit poll (the refresh path), FIRST in that poll's
   * one request, so counters, lists and cards change with it; never beside a poll, never sent
   * twice (a failed poll is retried without it). An identical write pending or in flight joins it.
   */
  write(write: TaskWrite): Promise<WriteOutcome> {
    const invalid = invalidWrite(write);
    if (invalid) return Promise.resolve({ ok: false, error: invalid });
    if (!this.client) return Promise.resolve({ ok: false, error: NOT_CONNECTED });
    const key = writeKey(write);
    const same = [this.sending, ...this.writes].find((pending) => pending?.key === key);
    if (same) return same.done;
    let resolve!: (outcome: WriteOutcome) => void;
    const done = new Promise<WriteOutcome>((settle) => (resolve = settle));
    this.writes.push({ key, write, done, resolve });
    void this.scheduler.refresh();
    return done;
  }

  /**
   * The user's workgroups, for the group picker: a request of its own, when the gate allows
   * (within 15 s of this window's last request, it waits for the rest). While the portal asked
   * to wait longer, none: the failure that made it wait.
   */
  async listGroups(): Promise<Outcome<Workgroup[]>> {
    const client = this.client;
    if (!client) return fail(NOT_CONNECTED);
    const openAt = this.gate.openAt('whenAllowed');
    if (openAt - this.clock.monotonic() > this.gate.minGapMs) {
      return fail(this.state.snapshot.error?.failure ?? { kind: 'rateLimited', detail: sentence`waiting for the portal before asking again` });
    }
    await this.gate.passWhenOpen('whenAllowed');
    return client.userGroups();
  }

  /** Holds polling while the window is away, across reconnects too; see `PollScheduler.pause`. */
  pause(): void {
    this.paused = true;
    this.scheduler.pause();
  }

  resume(): void {
    this.paused = false;
    this.scheduler.resume();
  }

  dispose(): void {
    this.stopClient();
  }

  private stopClient(): void {
    this.scheduler.stop();
    this.client?.dispose();
    this.client = undefined;
    this.operatingResetAt = undefined;
    this.toShare = undefined;
    this.roleFailed = false;
    this.refusedLists = {};
    this.listsRestUntil = undefined;
    this.commentSources.clear();
    this.batchReferences = true;
    this.readsSent.clear();
    this.oversizeCards.clear();
    this.missingReads.clear();
    // Not sent: never applied. The one in flight is answered by its own run.
    for (const pending of this.writes.splice(0)) pending.resolve({ ok: false, error: NOT_CONNECTED });
    this.releaseLease();
  }

  /** The shown cards, each with where its comments are when known and its read mark when one is due. */
  private cardsToAsk(): Array<CardRequest & { readonly newestUnread?: number }> {
    return [...this.shownCards].filter(([taskId]) => !this.oversizeCards.has(taskId)).map(([taskId, { reading }]) => {
      const shown = this.state.snapshot.taskCards?.[taskId];
      const card = shown?.ok ? shown.value : undefined;
      const newest = card && reading > 0 ? newestUnread(card) : undefined;
      const read = card && newest !== undefined && this.readsSent.get(taskId) !== newest ? readCommand(card) : undefined;
      const due = read && !this.missingReads.has(read.method) ? read : undefined;
      return { taskId, comments: this.commentSources.get(taskId) ?? (this.batchReferences ? undefined : 'forum'), read: due, newestUnread: due && newest };
    });
  }

  /**
   * The cards to show from an answer: each shown task's new card, or its last one while its
   * comments are still to come from where the answer found them (asked as soon as allowed);
   * cards no longer shown go. Where comments were found is remembered; a read mark's refusal is
   * logged, a missing method not asked again.
   */
  private cardsFrom(answer: RoleCounters): TaskCards | undefined {
    const before = this.state.snapshot.taskCards;
    if (this.shownCards.size === 0) return undefined;
    for (const [taskId, source] of Object.entries(answer.commentsFound ?? {})) {
      this.commentSources.set(Number(taskId), source);
      if (answer.taskCards?.[Number(taskId)] === undefined) this.scheduler.soon();
    }
    for (const [taskId, read] of Object.entries(answer.reads ?? {})) {
      if (read.ok) continue;
      if (String(read.error.code).toUpperCase() === 'ERROR_METHOD_NOT_FOUND') {
        const card = before?.[Number(taskId)];
        const method = card?.ok ? readCommand(card.value)?.method : undefined;
        if (method) this.missingReads.add(method);
      }
      this.options.onNotice?.(sentence`Marking the comments of task #${Number(taskId)} read failed: ${read.error.detail}`);
    }
    const cards: Record<number, TaskCards[number]> = {};
    for (const taskId of this.shownCards.keys()) {
      const card = answer.taskCards?.[taskId] ?? before?.[taskId];
      if (card) cards[taskId] = card;
    }
    return cards;
  }

  /** The lists shown somewhere, unless refused or resting. */
  private listsToAsk(): TaskListCounter[] {
    if (this.listsRestUntil !== undefined && this.clock.monotonic() < this.listsRestUntil) return [];
    return TASK_LIST_COUNTERS.filter((counter) => this.shownLists.has(counter) && !this.refusedLists[counter]);
  }

  /**
   * The lists to show from an answer to `asked`: none when the role changed meanwhile (they
   * are the old role's); refused ones kept, so their rows say why; while resting, the last.
   * A refusal is remembered and logged; a time-budget failure makes every list rest.
   */
  private listsFrom(answer: RoleCounters, asked: Filters): TaskLists | undefined {
    if (asked.role !== this.state.snapshot.filters.role) return undefined;
    if (!answer.taskLists) return this.listsToAsk().length === 0 && this.shownLists.size > 0 ? this.state.snapshot.taskLists : undefined;
    for (const [counter, list] of Object.entries(answer.taskLists) as Array<[TaskListCounter, TaskLists[TaskListCounter]]>) {
      if (!list || list.ok) continue;
      if (list.error.limit === 'operationTime') {
        // The portal's reset time is wall time: counted from now, the rest is a monotonic wait.
        const restMs = Math.min(list.error.retryAt === undefined ? LIST_REST_MS : list.error.retryAt - this.clock.now(), LIST_REST_MS);
        this.listsRestUntil = this.clock.monotonic() + restMs;
        this.options.onNotice?.(sentence`The task lists rest for ${Math.round(restMs / 1000)} s: ${list.error.detail}`);
      } else if (!isRetryable(list.error)) {
        this.refusedLists = { ...this.refusedLists, [counter]: list };
        this.options.onNotice?.(sentence`The portal refused the ${counter} task list; its row opens the list in the browser instead: ${list.error.detail}`);
      }
    }
    return { ...answer.taskLists, ...this.refusedLists };
  }

  private async poll(): Promise<PollStep> {
    const client = this.client;
    if (!client) return { kind: 'halt' };
    const asked = this.state.snapshot.filters;
    const lists = this.listsToAsk();
    // A window with cards or a write asks on its own: another window's answer has neither.
    const key = this.options.shared && !this.cardsOrWrites() ? SharedPoll.key(client.webhook, asked, lists) : undefined;
    // The user's explicit ask: the portal itself, not another window's answer.
    const explicit = this.gate.explicitPending && this.gate.pollOpenAt() <= this.clock.monotonic();
    try {
      if (key) {
        const turn = await this.whoseTurn(key, explicit, client.webhook).catch((error: unknown): Turn => {
          this.options.onSharingError?.(error);
          return { kind: 'ask' }; // sharing is best effort: this window asks alone
        });
        if (client !== this.client) return { kind: 'halt' };
        // New filters, or a row collapsed or expanded, while the files were read: the question
        // changed, look again (no request) rather than ask for what nobody shows.
        if (!sameScope(asked, this.state.snapshot.filters) || this.listsToAsk().join() !== lists.join() || this.cardsOrWrites()) {
          return { kind: 'look', at: this.clock.now() };
        }
        if (turn.kind === 'wait') return { kind: 'look', at: this.clock.now() + FOLLOW_DELAY_MS };
        if (turn.kind === 'follow') return this.follow(turn.snapshot, turn.nextPollAt, asked);
      }
      // Passed explicitly (the user's ask): a write may ride it, and only then.
      const explicitPass = this.gate.explicitPending;
      if (!this.gate.passPoll()) return { kind: 'look' }; // not yet: when the gate opens
      const pending = explicitPass ? this.writes.shift() : undefined;
      if (this.writes.length > 0) void this.scheduler.refresh(); // the next write: the next explicit poll
      this.sending = pending;
      this.state.update({ loading: true });
      if (pending?.write.kind === 'comment' && typeof this.commentSources.get(pending.write.taskId) === 'object') {
        return await this.sendChatComment(client, pending, pending.write.text);
      }
      const cards = this.cardsToAsk();
      const before = this.state.snapshot.taskCards ?? {};
      const shownCards = Object.values(before).flatMap((card) => (card?.ok ? [card.value] : []));
      const answer = await client
        .getCountersByRole(scopeOf(asked), {
          withUser: this.state.snapshot.user === undefined,
          withGroups: asked.groupId > 0 && this.state.snapshot.groupName === undefined,
          lists: lists.length ? { role: asked.role, counters: lists } : undefined,
          cards,
          write: pending && {
            write: pending.write,
            before: shownCards.find((card) => card.id === pending.write.taskId),
            others: shownCards.filter((card) => card.id !== pending.write.taskId),
          },
        })
        .catch((error: unknown): Outcome<RoleCounters> =>
          // A bug, not the portal: shown as a failure (and retried) rather than left "loading".
          fail({ kind: 'network', networkCause: 'other', detail: portalText(`unexpected error: ${String(error)}`, client.webhook.redact) }),
        );
      // A read mark is sent once per newest unread comment, once a batch carried it.
      if (answer.ok) for (const card of cards) if (card.newestUnread !== undefined) this.readsSent.set(card.taskId, card.newestUnread);
      if (!answer.ok && answer.error.kind === 'tooLarge' && cards.length > 0) this.oversized(cards.map((card) => card.taskId), answer.error);
      if (!answer.ok && (answer.error.kind === 'server' || answer.error.kind === 'notJson') && this.batchReferences && cards.some((card) => card.comments === undefined)) {
        this.batchReferences = false;
        this.options.onNotice?.(sentence`A batch that found a task's comments by a reference to its chat failed as a whole (${answer.error.detail}); tasks are asked without it from now on`);
      }
      const written: WriteOutcome = answer.ok ? (answer.value.written ?? NO_WRITE_ANSWER) : { ok: false, error: unansweredWrite(answer.error) };
      try {
        if (client !== this.client) return { kind: 'halt' }; // disconnected or reconnected meanwhile: the new schedule decides
        if (!sameScope(asked, this.state.snapshot.filters)) return unshown(answer);
        return this.answered(answer, asked, key);
      } finally {
        // After the state shows the write's effect: the tab that waits on it sees the new card.
        this.sending = undefined;
        pending?.resolve(written);
      }
    } finally {
      // A lease with an answer to publish is released after the publishing; any other now.
      if (!this.toShare) this.releaseLease();
    }
  }

  /**
   * A batch with cards was over the size cap (a description of megabytes): those cards show it
   * and are no longer asked while shown, so the counters are not lost to a card again.
   */
  private oversized(taskIds: readonly number[], failure: Failure): void {
    const cards: Record<number, TaskCards[number]> = { ...this.state.snapshot.taskCards };
    for (const taskId of taskIds) {
      this.oversizeCards.add(taskId);
      cards[taskId] = fail({ ...failure, detail: sentence`task #${taskId} is too large to show here: ${failure.detail}` });
    }
    this.state.update({ taskCards: cards });
  }

  private cardsOrWrites(): boolean {
    return this.shownCards.size > 0 || this.writes.length > 0 || this.sending !== undefined;
  }

  /** Records this window's own answer (and keeps it for the other windows when shared). */
  private answered(answer: Outcome<RoleCounters>, asked: Filters, key: string | undefined): PollStep {
    const step = answer.ok ? this.apply(answer.value, asked) : this.failed(answer.error);
    if (key) {
      this.toShare = { key, fetchedAt: this.clock.now(), outcome: answer.ok ? succeed(this.shareable(answer.value)) : answer };
    }
    return step;
  }

  /**
   * A chat card's comment: REST 3.0, one request of its own in place of the poll's batch (it
   * cannot ride one); the card with the new comment comes with the next poll, as soon as the
   * gate allows. A rate limit or an outage keeps the poll's backoff.
   */
  private async sendChatComment(client: CountersClient, pending: PendingWrite, text: string): Promise<PollStep> {
    const outcome = await client
      .sendChatMessage(pending.write.taskId, text)
      .catch((error: unknown): WriteOutcome => ({
        ok: false,
        error: { kind: 'network', networkCause: 'other', applied: 'unknown', detail: portalText(`unexpected error: ${String(error)}`, client.webhook.redact) },
      }));
    this.sending = undefined;
    if (client === this.client) this.state.update({ loading: false });
    pending.resolve(outcome);
    this.scheduler.soon();
    if (outcome.ok || !isRetryable(outcome.error)) return { kind: 'ok' };
    return { kind: 'retry', notBefore: outcome.error.retryAt, slowDown: outcome.error.kind === 'rateLimited' };
  }

  /**
   * Follow another window while it is on schedule; wait while it is asking (its lease is
   * held, or its poll is just due); else ask, holding the lease. The user's explicit ask asks
   * in any case, taking the lease if it is free.
   */
  private async whoseTurn(key: string, explicit: boolean, webhook: WebhookUrl): Promise<Turn> {
    const shared = this.options.shared!;
    if (!explicit) {
      const snapshot = await shared.current(key, {
        redact: webhook.redact,
        intervalMs: this.scheduler.intervalMs,
        onIgnored: this.options.onSharingError, // then the lease, and this window asks
      });
      const nextPollAt = snapshot?.nextPollAt;
      if (snapshot && nextPollAt !== undefined && snapshot.writer !== shared.windowId) {
        return nextPollAt <= this.clock.now() ? { kind: 'wait' } : { kind: 'follow', snapshot, nextPollAt };
      }
    }
    if (await shared.tryLease(key)) {
      this.lease = key;
      return { kind: 'ask' };
    }
    return explicit ? { kind: 'ask' } : { kind: 'wait' };
  }

  /**
   * Shows another window's answer, and looks again just after that window's next poll (this
   * window asked nothing: its own failure count stays); a failure only the user can fix stops
   * this window too.
   */
  private follow(snapshot: SharedSnapshot, nextPollAt: number, asked: Filters): PollStep {
    const { outcome, fetchedAt } = snapshot;
    this.gate.followed(outcome.ok ? undefined : this.clock.monotonic() + (nextPollAt - this.clock.now()));
    const step = outcome.ok ? this.apply(outcome.value, asked, fetchedAt) : this.failed(outcome.error, fetchedAt);
    return step.kind === 'halt' ? step : { kind: 'look', at: nextPollAt + FOLLOW_DELAY_MS };
  }

  private releaseLease(): void {
    const key = this.lease;
    if (key === undefined) return;
    this.lease = undefined;
    this.enqueueSharing((shared) => shared.release(key));
  }

  /** Runs a file operation after the ones before it; its failure goes to `onSharingError`. */
  private enqueueSharing(operation: (shared: SharedPoll) => Promise<void>): void {
    const shared = this.options.shared;
    if (!shared) return;
    this.sharing = this.sharing
      .then(() => operation(shared))
      .catch((error: unknown) => this.options.onSharingError?.(error));
  }

  /** What the other windows need of an answer: with the names this window already knows. */
  private shareable(answer: RoleCounters): RoleCounters {
    const { user, groupName, filters } = this.state.snapshot;
    return {
      ...answer,
      // This window's own: the other windows do not show its cards.
      taskCards: undefined,
      commentsFound: undefined,
      reads: undefined,
      written: undefined,
      user: user ? succeed(user) : answer.user,
      groups: groupName ? succeed([{ id: filters.groupId, name: groupName }]) : answer.groups,
    };
  }

  /** Publishes a fetched answer once the scheduler has decided when this window asks next. */
  private scheduleChanged(): void {
    if (this.state.snapshot.nextPollAt !== this.scheduler.nextAt) {
      this.state.update({ nextPollAt: this.scheduler.nextAt }); // every update re-renders the views
    }
    const phase = this.scheduler.phase;
    const shared = this.options.shared;
    if (!this.toShare || !shared || (phase !== 'waiting' && phase !== 'halted' && phase !== 'paused')) return;
    const { key, fetchedAt, outcome } = this.toShare;
    this.toShare = undefined;
    const nextPollAt = phase === 'waiting' ? this.scheduler.nextAt : undefined;
    this.published.add(key);
    this.enqueueSharing((s) => s.write(key, { writer: s.windowId, fetchedAt, outcome, nextPollAt }));
    this.releaseLease(); // after the write: no window finds the lease free and the snapshot old
  }

  /** Records a good batch answer; a failure of the current role inside it is still a failure. */
  private apply(answer: RoleCounters, asked: Filters, fetchedAt = this.clock.now()): PollStep {
    const filters = this.state.snapshot.filters;
    const current = answer.byRole[filters.role];
    this.operatingResetAt = answer.time.operatingResetAt ?? this.operatingResetAt;
    const user = answer.user?.ok ? answer.user.value : this.state.snapshot.user;
    const groupName = answer.groups?.ok
      ? answer.groups.value.find((g) => g.id === asked.groupId)?.name
      : this.state.snapshot.groupName;
    const taskCards = this.cardsFrom(answer);
    if (!current.ok) {
      this.state.update({ user, groupName, taskCards });
      const step = this.failed(current.error, fetchedAt, this.operatingResetAt);
      this.roleFailed = true;
      return step;
    }
    this.state.update({
      user,
      groupName,
      byRole: answer.byRole,
      counters: current.value,
      taskLists: this.listsFrom(answer, asked),
      taskCards,
      updatedAt: fetchedAt,
      error: undefined,
      loading: false,
      halted: false,
    });
    return { kind: 'ok' };
  }

  /**
   * `methodResetAt`: when the failed method's time budget frees up, if an earlier answer said
   * (the budget is per method: the counters' for a role's command, none known for the batch).
   */
  private failed(failure: Failure, at = this.clock.now(), methodResetAt?: number): PollStep {
    this.roleFailed = false;
    const retry = isRetryable(failure);
    this.state.update({ error: { failure, at }, loading: false, halted: !retry });
    if (!retry) return { kind: 'halt' };
    if (failure.limit === 'operationTime') {
      return {
        kind: 'retry',
        notBefore: failure.retryAt ?? methodResetAt ?? this.clock.now() + OPERATION_LIMIT_MIN_WAIT_MS,
      };
    }
    return { kind: 'retry', notBefore: failure.retryAt, slowDown: failure.kind === 'rateLimited' };
  }
}

/** A new or no webhook: nothing known yet. */
const NO_DATA = {
  user: undefined,
  groupName: undefined,
  byRole: undefined,
  counters: undefined,
  taskLists: undefined,
  taskCards: undefined,
  updatedAt: undefined,
  error: undefined,
  halted: false,
} as const;

const NOT_CONNECTED: Failure = { kind: 'auth', detail: sentence`not connected` };

/** The client answers every write its batch carried; this stands in should it not. */
const NO_WRITE_ANSWER: WriteOutcome = { ok: false, error: { kind: 'notJson', applied: 'unknown', detail: sentence`the write has no answer` } };

/**
 * The step for an answer to a question no longer asked (new user or group filters meanwhile):
 * not shown, but the portal's wait holds whatever was asked (`setFilters` asked for the new
 * question as soon as the gate allows).
 */
function unshown(answer: Outcome<RoleCounters>): PollStep {
  if (answer.ok || !isRetryable(answer.error)) return { kind: 'ok' };
  return { kind: 'retry', notBefore: answer.error.retryAt, slowDown: answer.error.kind === 'rateLimited' };
}

function scopeOf({ userId, groupId }: Filters) {
  return { userId, groupId };
}
