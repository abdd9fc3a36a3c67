/**
 * The one owner of every request to the portal: when to poll next.
 *
 * - One run at a time; the next is scheduled when a run ends, so a slow portal delays the
 *   next request instead of stacking them. A run cut off by `stop` still finishes before the
 *   next one starts, and its result is ignored.
 * - Jitter on every delay, so windows and colleagues behind one office IP do not synchronise
 *   against the portal's shared rate limit.
 * - Exponential backoff on retryable failures, capped, honouring the portal's own
 *   "not before" (Retry-After, operating_reset_at) up to the same cap; reset by the first success.
 * - The portal's rate limit (`slowDown`) also slows this client's normal polling for a while
 *   (below): when a whole office shares the limit, clients that jumped back to full speed
 *   after the backoff would only hit it again.
 * - A failure only the user can fix (auth, scope, access…) halts polling until `refreshNow`.
 * - Every wait is clamped to [0, the cap] in `schedule`: whatever the interval, the portal or
 *   another window says, a timer never overflows (Node runs a delay above 2^31-1 ms after 1 ms,
 *   which would be a tight loop of requests).
 */
import { Clock, systemClock, Timer } from './clock';

/** What one run tells the scheduler. */
export type PollStep =
  | { readonly kind: 'ok'; /** Epoch ms for the next run instead of the interval (a follower). */ readonly nextAt?: number }
  | {
      readonly kind: 'retry';
      /** Epoch ms the portal asked us to wait until. */
      readonly notBefore?: number;
      /** The portal's request rate limit: poll more slowly from now on. */
      readonly slowDown?: boolean;
    }
  | { readonly kind: 'halt' };

export type PollPhase = 'stopped' | 'waiting' | 'running' | 'halted' | 'paused';

export interface PollSchedulerOptions {
  readonly intervalMs: number;
  /** Longest wait between tries while failing. Default 15 minutes. */
  readonly maxBackoffMs?: number;
  /** ± fraction of each delay. Default 0.1. */
  readonly jitter?: number;
  readonly clock?: Clock;
  /** [0, 1), injected for deterministic tests. */
  readonly random?: () => number;
  /** Called when anything about the schedule changes (phase, next time). */
  readonly onChange?: () => void;
  /**
   * Called when a wait asked for was longer than the cap or not a number (a huge Retry-After,
   * a far `nextAt`…) and `usedMs` was waited instead.
   */
  readonly onClamp?: (requestedMs: number, usedMs: number) => void;
}

export const DEFAULT_MAX_BACKOFF_MS = 15 * 60_000;

/** The interval's bounds (the settings' too): below the minimum, an office would hit the rate limit. */
export const MIN_INTERVAL_MS = 15_000;
export const MAX_INTERVAL_MS = 3600_000;
export const DEFAULT_INTERVAL_MS = 60_000;
/** The soonest a `nextAt` is honoured: a past one must not become a tight loop. */
export const MIN_FOLLOW_MS = 1000;

/** Any number into [MIN_INTERVAL_MS, MAX_INTERVAL_MS]; not a number: the default. */
export function clampInterval(ms: number): number {
  return Number.isNaN(ms) ? DEFAULT_INTERVAL_MS : Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.round(ms)));
}

/**
 * The portal's rate limit is shared by a whole office, so a QUERY_LIMIT_EXCEEDED also slows
 * this client's normal polling (its retries keep the plain backoff). Like TCP: an isolated loss
 * recovers fast, sustained congestion backs off longer.
 *
 * - After a success the wait is the interval times the pace, which falls linearly to 1 over the
 *   recovery window counted from the last rate limit; no wait ends later than the window's end
 *   plus one full-speed wait.
 * - An isolated rate limit (none in the recovery window before it) sets the pace to SLOW_FACTOR
 *   and the window to RECOVERY_MS: back at the interval within 10 minutes.
 * - A rate limit while still recovering multiplies the pace it finds by SLOW_FACTOR (at most the
 *   backoff cap over the interval) and the window by WINDOW_GROWTH (at most MAX_RECOVERY_MS).
 * - A whole window without a rate limit ends the episode: the next one is isolated again.
 * - An outage is not congestion: a calm client (at full speed, without a rate limit, for a whole
 *   RECOVERY_MS since its first success and its last rate limit) that meets a rate limit counts
 *   it as an isolated one and absorbs every further one until its next success (its retries
 *   already back off). However long the portal refused, it is back at the interval within 10
 *   minutes of the first refusal, or at once when the refusals lasted longer. A rate limit soon
 *   after that episode is no longer calm: sustained congestion still deepens the pace.
 *
 * The window's growth and cap are what keep an office over the limit slowed (`npm run fleet`:
 * with a doubling window, or a 2 h cap, 500 clients hardly stay under 10% refused); a deeper
 * cut does not help, it only frees the bucket for the clients that were not cut. Only a calm
 * client may absorb: a client refused within its first RECOVERY_MS (a whole office starting at
 * once) deepens as before, or 500 clients would no longer stay under 10% refused. An office over
 * the limit is still slowed for hours by an outage of QUERY_LIMIT_EXCEEDED: its clients are not
 * calm, and no client can tell those refusals from its office's own overload (CONTRIBUTING).
 */
export const RECOVERY_MS = 10 * 60_000;
export const MAX_RECOVERY_MS = 3 * 3600_000;
export const WINDOW_GROWTH = 4;
export const SLOW_FACTOR = 1 / 0.6;

export class PollScheduler {
  private phaseValue: PollPhase = 'stopped';
  private timer: Timer | undefined;
  private nextAtValue: number | undefined;
  private failures = 0;
  /** The last rate limit, the pace it set and the recovery window from it (see RECOVERY_MS). */
  private slowedAt: number | undefined;
  private slowestPace = 1;
  private recoveryMs = RECOVERY_MS;
  /** The latest rate limit, absorbed ones included. */
  private lastLimitedAt: number | undefined;
  /** The first normal (paced) wait: the client's first success. */
  private pacedSince: number | undefined;
  /** An outage met while calm: rate limits are absorbed until the next success. */
  private absorbing = false;
  private interval: number;
  /** Bumped by `stop`: a run from an older generation no longer decides anything. */
  private generation = 0;
  /** The run in flight, of any generation: runs never overlap. */
  private inFlight: Promise<void> | undefined;
  private rerunRequested = false;
  /** Epoch ms when the last run of this generation ended. */
  private lastRunEndedAt: number | undefined;
  /** Between `pause` and `resume`: every run (a refresh too) ends in `paused`. */
  private holding = false;
  /** While paused: when the run would have been due. */
  private dueAt: number | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private readonly run: () => Promise<PollStep>,
    private readonly options: PollSchedulerOptions,
  ) {
    this.interval = clampInterval(options.intervalMs);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  get phase(): PollPhase {
    return this.phaseValue;
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** When the next run is due (epoch ms), if one is scheduled. */
  get nextAt(): number | undefined {
    return this.nextAtValue;
  }

  /** Consecutive retryable failures so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The interval's multiplier after rate limits: 1 at full speed. */
  get pace(): number {
    return this.paceAt(this.clock.now());
  }

  /** Starts polling: the first run after `firstDelayMs`, jittered like every delay. */
  start(firstDelayMs: number): void {
    if (this.phaseValue !== 'stopped') return;
    this.schedule(this.jittered(firstDelayMs));
  }

  /** Runs now; during a run, runs once more right after it (so new filters are seen). */
  refreshNow(): Promise<void> {
    if (this.phaseValue === 'running') {
      this.rerunRequested = true;
      return this.inFlight ?? Promise.resolve();
    }
    this.failures = 0;
    return this.runNow();
  }

  setInterval(intervalMs: number): void {
    const interval = clampInterval(intervalMs);
    if (interval === this.interval) return;
    this.interval = interval;
    if (this.phaseValue === 'waiting' && this.failures === 0) {
      // Counted from the last run, as its own wait was: a new interval never brings the next
      // request closer to the last than the minimum interval.
      const since = this.lastRunEndedAt === undefined ? 0 : this.clock.now() - this.lastRunEndedAt;
      this.schedule(Math.max(MIN_INTERVAL_MS, this.normalWait()) - since);
    }
  }

  /**
   * Holds polling (an unfocused window) until `resume`; a run in progress finishes first, and
   * so does one `refreshNow` asks for meanwhile, then polling holds again.
   */
  pause(): void {
    if (this.phaseValue === 'stopped') return;
    this.holding = true;
    if (this.phaseValue === 'waiting') {
      this.dueAt = this.nextAtValue;
      this.cancelTimer();
      this.setPhase('paused');
    }
  }

  /**
   * Continues after `pause` at the time the schedule had: at once if that has passed (the
   * numbers are older than the interval), never before a backoff or the portal's "not before".
   */
  resume(): void {
    this.holding = false;
    if (this.phaseValue !== 'paused') return;
    const dueAt = this.dueAt ?? this.clock.now();
    this.dueAt = undefined;
    this.schedule(dueAt - this.clock.now());
  }

  stop(): void {
    this.generation++;
    this.cancelTimer();
    this.rerunRequested = false;
    this.holding = false;
    this.dueAt = undefined;
    this.failures = 0;
    this.forgetRateLimits();
    this.lastRunEndedAt = undefined;
    this.setPhase('stopped');
  }

  private runNow(): Promise<void> {
    this.cancelTimer();
    this.setPhase('running');
    const generation = this.generation;
    const previous = this.inFlight;
    const current = (async () => {
      if (previous) await previous; // a stopped run still settling: after it, never beside it
      await this.runOnce(generation);
    })();
    this.inFlight = current;
    void current.finally(() => {
      if (this.inFlight === current) this.inFlight = undefined;
    });
    return current;
  }

  private async runOnce(generation: number): Promise<void> {
    let step: PollStep;
    try {
      step = await this.run();
    } catch {
      // The run reports its own errors; a throw here is a bug, treated as retryable.
      step = { kind: 'retry' };
    }
    if (generation !== this.generation) return; // stopped meanwhile; the new schedule decides
    this.lastRunEndedAt = this.clock.now();
    if (this.rerunRequested) {
      this.rerunRequested = false;
      this.schedule(0);
      return;
    }
    this.afterRun(step);
    if (this.holding) this.pause();
  }

  private afterRun(step: PollStep): void {
    const now = this.clock.now();
    switch (step.kind) {
      case 'ok':
        this.failures = 0;
        if (isNumber(step.nextAt)) {
          // A follower's look at another window's answer, not a request: sooner is fine.
          this.schedule(Math.max(MIN_FOLLOW_MS, step.nextAt - now));
        } else {
          this.scheduleAfterRun(this.normalWait());
        }
        return;
      case 'retry': {
        this.failures++;
        if (step.slowDown) this.rateLimited(now);
        const backoff = this.jittered(this.backoffMs());
        const portalWait = isNumber(step.notBefore) ? step.notBefore - now + this.random() * 1000 : 0;
        this.scheduleAfterRun(Math.max(backoff, portalWait));
        return;
      }
      case 'halt':
        this.failures = 0;
        this.setPhase('halted');
        return;
    }
  }

  /** After a request, the next is never closer than the minimum interval, whatever the step says. */
  private scheduleAfterRun(delayMs: number): void {
    this.schedule(Math.max(MIN_INTERVAL_MS, delayMs));
  }

  private normalWait(): number {
    return this.paced(this.jittered(this.interval));
  }

  private rateLimited(now: number): void {
    const calmSince = Math.max(this.pacedSince ?? now, this.lastLimitedAt ?? -Infinity);
    this.lastLimitedAt = now;
    if (this.absorbing) return;
    const recovering = this.slowedAt !== undefined && now < this.slowedAt + this.recoveryMs;
    this.absorbing = !recovering && now - calmSince >= RECOVERY_MS;
    this.slowestPace = Math.min(this.maxPace(), (recovering ? this.paceAt(now) : 1) * SLOW_FACTOR);
    this.recoveryMs = recovering ? Math.min(MAX_RECOVERY_MS, WINDOW_GROWTH * this.recoveryMs) : RECOVERY_MS;
    this.slowedAt = now;
  }

  private forgetRateLimits(): void {
    this.slowedAt = undefined;
    this.lastLimitedAt = undefined;
    this.pacedSince = undefined;
    this.absorbing = false;
  }

  /**
   * A (jittered) wait times the pace, within the cap, ending by the window's end plus itself.
   * Only a success waits it: an outage absorbed until now is over.
   */
  private paced(ms: number): number {
    const now = this.clock.now();
    this.pacedSince ??= now;
    this.absorbing = false;
    const recoveredIn = this.slowedAt === undefined ? 0 : Math.max(0, this.slowedAt + this.recoveryMs - now);
    return Math.min(this.longestWait(), ms * this.paceAt(now), recoveredIn + ms);
  }

  private paceAt(now: number): number {
    if (this.slowedAt === undefined) return 1;
    const left = Math.min(1, 1 - (now - this.slowedAt) / this.recoveryMs);
    return left <= 0 ? 1 : 1 + (this.slowestPace - 1) * left;
  }

  /** The slowest pace: the interval stretched to the backoff cap. */
  private maxPace(): number {
    return Math.max(1, this.maxBackoff() / this.interval);
  }

  /** interval, 2×, 4×, … up to the cap. */
  private backoffMs(): number {
    return Math.min(this.longestWait(), this.interval * 2 ** Math.min(this.failures - 1, 20));
  }

  private maxBackoff(): number {
    return this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  }

  /** The cap on every wait: the backoff cap, or the interval when that is longer. */
  private longestWait(): number {
    return Math.max(this.maxBackoff(), this.interval);
  }

  private jittered(ms: number): number {
    const jitter = this.options.jitter ?? 0.1;
    return ms * (1 - jitter + 2 * jitter * this.random());
  }

  /** The one place every wait passes: into [0, the cap], whatever was asked. */
  private schedule(delayMs: number): void {
    this.cancelTimer();
    const longest = this.longestWait();
    const tooLong = !(delayMs <= longest); // NaN too
    const delay = tooLong ? longest : Math.max(0, Math.round(delayMs));
    if (tooLong) this.options.onClamp?.(delayMs, delay);
    this.nextAtValue = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, delay);
    this.setPhase('waiting');
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.nextAtValue = undefined;
  }

  private setPhase(phase: PollPhase): void {
    this.phaseValue = phase;
    this.options.onChange?.();
  }
}

/** Undefined and NaN (a missing or unparsable time) mean "none". */
function isNumber(value: number | undefined): value is number {
  return value !== undefined && !Number.isNaN(value);
}
