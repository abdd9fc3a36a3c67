/**
 * The poller: webhook + filters → client → counters state, on the scheduler's beat.
 * Every request to the portal goes through here; views only read the state.
 */
import { Clock, systemClock } from './clock';
import { CountersClient, RoleCounters, Workgroup } from './countersClient';
import { CountersState, Filters, sameScope, WebhookSource } from './countersState';
import { Failure, fail, isRetryable, Outcome, succeed } from './outcome';
import { PollScheduler, PollStep } from './pollScheduler';
import { FOLLOW_DELAY_MS, SharedPoll } from './sharedPoll';
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
}

/**
 * The first poll after start is not immediate, so the views appear before any network, and
 * not long, so the numbers follow quickly.
 */
export const START_DELAY_MS = 50;

/** When OPERATION_TIME_LIMIT comes without a reset time: the SDK's minimum wait. */
const OPERATION_LIMIT_MIN_WAIT_MS = 10_000;

export class CountersPoller {
  private client: CountersClient | undefined;
  private readonly scheduler: PollScheduler;
  private readonly clock: Clock;
  private operatingResetAt: number | undefined;
  /** The next run asks the portal even if another window's answer is current (Refresh). */
  private fetchNext = false;
  /** A fetched answer to publish to the other windows once its next poll time is known. */
  private toShare: { key: string; fetchedAt: number; outcome: Outcome<RoleCounters> } | undefined;

  constructor(
    private readonly state: CountersState,
    private readonly options: CountersPollerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.scheduler = new PollScheduler(() => this.poll(), {
      intervalMs: options.intervalMs,
      clock: this.clock,
      random: options.random,
      onChange: () => this.scheduleChanged(),
    });
  }

  /** The webhook being polled, if any. */
  get webhook(): WebhookUrl | undefined {
    return this.client?.webhook;
  }

  /**
   * Checks a webhook with one request (the same batch a poll makes, with the user's name),
   * without touching the state. Connect stores the webhook only when this succeeds.
   */
  async verify(webhook: WebhookUrl): Promise<Outcome<RoleCounters>> {
    const client = this.options.createClient(webhook);
    try {
      const answer = await client.getCountersByRole(this.scope(), { withUser: true });
      if (!answer.ok) return answer;
      const current = answer.value.byRole[this.state.snapshot.filters.role];
      return current.ok ? answer : current;
    } finally {
      client.dispose();
    }
  }

  /** Starts polling a webhook; `verified` (from `verify`) stands in for the first request. */
  connect(webhook: WebhookUrl, source: WebhookSource, verified?: RoleCounters): void {
    this.stopClient();
    this.client = this.options.createClient(webhook);
    this.state.update({
      connection: {
        kind: 'connected',
        portal: webhook.origin,
        webhookUserId: webhook.userId,
        redacted: webhook.redacted,
        source,
      },
      ...NO_DATA,
      loading: verified === undefined,
    });
    if (verified) {
      this.apply(verified, this.state.snapshot.filters);
    }
    this.scheduler.start(verified ? this.scheduler.intervalMs : START_DELAY_MS);
  }

  /** Forgets the webhook: no more requests, every surface back to "not connected". */
  disconnect(): void {
    this.stopClient();
    this.state.update({
      connection: { kind: 'disconnected' },
      ...NO_DATA,
      loading: false,
    });
  }

  /**
   * New filters from settings. Another role comes from the last batch, which asked for all
   * five, at once and without a request; another user or group is asked for at once.
   */
  setFilters(filters: Filters): void {
    const previous = this.state.snapshot;
    if (previous.filters.role === filters.role && sameScope(previous.filters, filters)) return;
    if (sameScope(previous.filters, filters)) {
      const role = previous.byRole?.[filters.role];
      this.state.update({ filters, counters: role?.ok ? role.value : undefined });
      if (role?.ok || !this.client) return;
    } else {
      this.state.update({ filters, byRole: undefined, counters: undefined, updatedAt: undefined, groupName: undefined });
    }
    if (this.client) void this.refresh();
  }

  setIntervalMs(intervalMs: number): void {
    this.scheduler.setInterval(intervalMs);
  }

  /** Asks the portal now (also after a halt: Refresh is how a user says "try again"). */
  refresh(): Promise<void> {
    if (!this.client) return Promise.resolve();
    this.fetchNext = true;
    return this.scheduler.refreshNow();
  }

  /** The user's workgroups, for the group picker. */
  async listGroups(): Promise<Outcome<Workgroup[]>> {
    return this.client ? this.client.userGroups() : fail(NOT_CONNECTED);
  }

  /** Holds polling while the window is away; see `PollScheduler.pause`. */
  pause(): void {
    this.scheduler.pause();
  }

  resume(): void {
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
  }

  private scope() {
    const { userId, groupId } = this.state.snapshot.filters;
    return { userId, groupId };
  }

  private async poll(): Promise<PollStep> {
    const client = this.client;
    if (!client) return { kind: 'halt' };
    const asked = this.state.snapshot.filters;
    const key = this.options.shared ? SharedPoll.key(client.webhook, asked) : undefined;
    const fetch = this.fetchNext;
    this.fetchNext = false;
    if (key && !fetch) {
      const follow = await this.followOtherWindow(key).catch((error: unknown) => {
        this.options.onSharingError?.(error);
        return undefined;
      });
      if (client !== this.client) return { kind: 'halt' };
      if (follow) return follow;
    }
    this.state.update({ loading: true });
    const answer = await client
      .getCountersByRole(this.scope(), {
        withUser: this.state.snapshot.user === undefined,
        withGroups: asked.groupId > 0 && this.state.snapshot.groupName === undefined,
      })
      .catch((error: unknown): Outcome<RoleCounters> =>
        // A bug, not the portal: shown as a failure (and retried) rather than left "loading".
        fail({ kind: 'network', networkCause: 'other', detail: client.webhook.redact(`unexpected error: ${String(error)}`) }),
      );
    if (client !== this.client) return { kind: 'halt' }; // disconnected or reconnected meanwhile
    if (!sameScope(asked, this.state.snapshot.filters)) {
      // The filters changed while this request was out; the scheduler runs again for them.
      void this.options.shared?.release(key!);
      return { kind: 'ok' };
    }
    const step = answer.ok ? this.apply(answer.value, asked) : this.failed(answer.error);
    if (key) {
      this.toShare = { key, fetchedAt: this.clock.now(), outcome: answer.ok ? succeed(this.shareable(answer.value)) : answer };
    }
    return step;
  }

  /**
   * Another window's answer, while that window is on schedule: shown here, and this window
   * looks again just after that window's next poll. Undefined when this window should ask.
   */
  private async followOtherWindow(key: string): Promise<PollStep | undefined> {
    const shared = this.options.shared!;
    const snapshot = await shared.current(key);
    const now = this.clock.now();
    if (snapshot && snapshot.writer !== shared.windowId && snapshot.nextPollAt !== undefined) {
      if (snapshot.nextPollAt <= now) {
        return { kind: 'ok', nextAt: now + FOLLOW_DELAY_MS }; // its writer is asking right now
      }
      const asked = this.state.snapshot.filters;
      if (snapshot.outcome.ok) this.apply(snapshot.outcome.value, asked, snapshot.fetchedAt);
      else this.failed(snapshot.outcome.error, snapshot.fetchedAt);
      return { kind: 'ok', nextAt: snapshot.nextPollAt + FOLLOW_DELAY_MS };
    }
    return (await shared.tryLease(key)) ? undefined : { kind: 'ok', nextAt: now + FOLLOW_DELAY_MS };
  }

  /** What the other windows need of an answer: with the names this window already knows. */
  private shareable(answer: RoleCounters): RoleCounters {
    const { user, groupName, filters } = this.state.snapshot;
    return {
      ...answer,
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
    shared
      .write(key, { writer: shared.windowId, fetchedAt, outcome, nextPollAt })
      .finally(() => shared.release(key))
      .catch((error: unknown) => this.options.onSharingError?.(error));
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
    if (!current.ok) {
      this.state.update({ user, groupName });
      return this.failed(current.error, fetchedAt);
    }
    this.state.update({
      user,
      groupName,
      byRole: answer.byRole,
      counters: current.value,
      updatedAt: fetchedAt,
      error: undefined,
      loading: false,
      halted: false,
    });
    return { kind: 'ok' };
  }

  private failed(failure: Failure, at = this.clock.now()): PollStep {
    const retry = isRetryable(failure);
    this.state.update({ error: { failure, at }, loading: false, halted: !retry });
    if (!retry) return { kind: 'halt' };
    if (failure.limit === 'operationTime') {
      return {
        kind: 'retry',
        notBefore: failure.retryAt ?? this.operatingResetAt ?? this.clock.now() + OPERATION_LIMIT_MIN_WAIT_MS,
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
  updatedAt: undefined,
  error: undefined,
  halted: false,
} as const;

const NOT_CONNECTED: Failure = { kind: 'auth', detail: 'not connected' };
