/**
 * The poller: webhook + filters → client → counters state, on the scheduler's beat.
 * Every request to the portal goes through here; views only read the state.
 */
import { Clock, systemClock } from './clock';
import { CountersClient, RoleCounters, Workgroup } from './countersClient';
import { CountersState, Filters, sameScope, WebhookSource } from './countersState';
import { Failure, fail, isRetryable, Outcome } from './outcome';
import { PollScheduler, PollStep } from './pollScheduler';
import { WebhookUrl } from './webhookUrl';

export interface CountersPollerOptions {
  readonly intervalMs: number;
  readonly createClient: (webhook: WebhookUrl) => CountersClient;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/**
 * The first poll after start is not immediate, so the views appear before any network, and
 * not long, so the numbers follow quickly.
 */
const START_DELAY_MS = 250;

/** When OPERATION_TIME_LIMIT comes without a reset time: the SDK's minimum wait. */
const OPERATION_LIMIT_MIN_WAIT_MS = 10_000;

export class CountersPoller {
  private client: CountersClient | undefined;
  private readonly scheduler: PollScheduler;
  private readonly clock: Clock;
  private operatingResetAt: number | undefined;

  constructor(
    private readonly state: CountersState,
    private readonly options: CountersPollerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.scheduler = new PollScheduler(() => this.poll(), {
      intervalMs: options.intervalMs,
      clock: this.clock,
      random: options.random,
      onChange: () => this.state.update({ nextPollAt: this.scheduler.nextAt }),
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
      user: undefined,
      groupName: undefined,
      byRole: undefined,
      counters: undefined,
      updatedAt: undefined,
      error: undefined,
      halted: false,
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
      user: undefined,
      groupName: undefined,
      byRole: undefined,
      counters: undefined,
      updatedAt: undefined,
      error: undefined,
      loading: false,
      halted: false,
    });
  }

  /** New filters from settings. A role the last batch already answered shows at once. */
  setFilters(filters: Filters): void {
    const previous = this.state.snapshot;
    if (sameScope(previous.filters, filters)) {
      const role = previous.byRole?.[filters.role];
      this.state.update({ filters, counters: role?.ok ? role.value : undefined });
    } else {
      this.state.update({ filters, byRole: undefined, counters: undefined, updatedAt: undefined, groupName: undefined });
    }
    if (this.client) void this.refresh();
  }

  setIntervalMs(intervalMs: number): void {
    this.scheduler.setInterval(intervalMs);
  }

  /** Polls now (also after a halt: Refresh is how a user says "try again"). */
  refresh(): Promise<void> {
    return this.client ? this.scheduler.refreshNow() : Promise.resolve();
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
    const { updatedAt } = this.state.snapshot;
    this.scheduler.resume(updatedAt === undefined ? Infinity : this.clock.now() - updatedAt);
  }

  dispose(): void {
    this.stopClient();
  }

  private stopClient(): void {
    this.scheduler.stop();
    this.client?.dispose();
    this.client = undefined;
    this.operatingResetAt = undefined;
  }

  private scope() {
    const { userId, groupId } = this.state.snapshot.filters;
    return { userId, groupId };
  }

  private async poll(): Promise<PollStep> {
    const client = this.client;
    if (!client) return { kind: 'halt' };
    const asked = this.state.snapshot.filters;
    this.state.update({ loading: true });
    const answer = await client.getCountersByRole(this.scope(), {
      withUser: this.state.snapshot.user === undefined,
      withGroups: asked.groupId > 0 && this.state.snapshot.groupName === undefined,
    });
    if (client !== this.client) return { kind: 'halt' }; // disconnected or reconnected meanwhile
    if (!sameScope(asked, this.state.snapshot.filters)) {
      // The filters changed while this request was out; the scheduler runs again for them.
      return { kind: 'ok' };
    }
    return answer.ok ? this.apply(answer.value, asked) : this.failed(answer.error);
  }

  /** Records a good batch answer; a failure of the current role inside it is still a failure. */
  private apply(answer: RoleCounters, asked: Filters): PollStep {
    const filters = this.state.snapshot.filters;
    const current = answer.byRole[filters.role];
    this.operatingResetAt = answer.time.operatingResetAt ?? this.operatingResetAt;
    const user = answer.user?.ok ? answer.user.value : this.state.snapshot.user;
    const groupName = answer.groups?.ok
      ? answer.groups.value.find((g) => g.id === asked.groupId)?.name
      : this.state.snapshot.groupName;
    if (!current.ok) {
      this.state.update({ user, groupName });
      return this.failed(current.error);
    }
    this.state.update({
      user,
      groupName,
      byRole: answer.byRole,
      counters: current.value,
      updatedAt: this.clock.now(),
      error: undefined,
      loading: false,
      halted: false,
    });
    return { kind: 'ok' };
  }

  private failed(failure: Failure): PollStep {
    const retry = isRetryable(failure);
    this.state.update({ error: { failure, at: this.clock.now() }, loading: false, halted: !retry });
    if (!retry) return { kind: 'halt' };
    if (failure.limit === 'operationTime') {
      return {
        kind: 'retry',
        notBefore: failure.retryAt ?? this.operatingResetAt ?? this.clock.now() + OPERATION_LIMIT_MIN_WAIT_MS,
      };
    }
    return { kind: 'retry', notBefore: failure.retryAt };
  }
}

const NOT_CONNECTED: Failure = { kind: 'auth', detail: 'not connected' };
