/**
 * When to poll next: the poll's alarm, set by its request gate (`gate`, see `RequestGate`).
 *
 * - One run at a time; the next is scheduled when a run ends, so a slow portal delays the
 *   next request instead of stacking them. A run cut off by `stop` still finishes before the
 *   next one starts, and its result is ignored.
 * - Three kinds of trigger: the schedule itself; `refresh`, the user's explicit ask, which the
 *   gate may defer but never drops; and `soon` (an expanded row, a picker) or `newQuestion`
 *   (other filters), which only bring the next run forward to when the gate allows one.
 *   Nothing but an answer (a step of a run that asked) changes the failure count.
 * - Every time is monotonic: a jump of the wall clock moves neither a wait nor the interval.
 *   Wall time is only what `nextAt` shows and what a step brings from the portal or another
 *   window (their epoch times are turned into waits when the step comes).
 * - Jitter on every delay, so windows and colleagues behind one office IP do not synchronise
 *   against the portal's shared rate limit.
 * - Exponential backoff on retryable failures, capped, honouring the portal's own
 *   "not before" (Retry-After, operating_reset_at) up to the same cap; reset by the first success.
 * - The portal's rate limit (`slowDown`) also slows this client's normal polling
 *   (`RateLimitPace`): when a whole office shares the limit, clients that jumped back to full
 *   speed after the backoff would only hit it again. Its retries start at RATE_LIMIT_RETRY_MS.
 * - A failure only the user can fix (auth, scope, access…) halts polling until `refresh` or
 *   `newQuestion`.
 * - Every wait is clamped to [0, the cap] in `dueIn` (and `arm`): whatever the interval, the portal or
 *   another window says, a timer never overflows (Node runs a delay above 2^31-1 ms after 1 ms,
 *   which would be a tight loop of requests).
 */
import { Clock, systemClock, Timer } from './clock';
import { RateLimitPace } from './rateLimitPace';
import { MIN_REQUEST_GAP_MS, RequestGate } from './requestGate';

/** What one run tells the scheduler: an answer to its request (ok, retry, halt), or none (look). */
export type PollStep =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'retry';
      /** Epoch ms the portal asked us to wait until. */
      readonly notBefore?: number;
      /** The portal's request rate limit: poll more slowly from now on. */
      readonly slowDown?: boolean;
    }
  | { readonly kind: 'halt' }
  /**
   * No request: another window answers (or is asking), or the gate said not yet. Look again at
   * `at` (epoch ms: another window's next poll), or without it when the gate opens; never
   * sooner than MIN_FOLLOW_MS.
   */
  | { readonly kind: 'look'; readonly at?: number };

export type PollPhase = 'stopped' | 'waiting' | 'running' | 'halted' | 'paused';

export interface PollSchedulerOptions {
  readonly intervalMs: number;
  /** Longest wait between tries while failing. Default 15 minutes. */
  readonly maxBackoffMs?: number;
  /** ± fraction of each delay. Default 0.1. */
  readonly jitter?: number;
  readonly clock?: Clock;
  /** This window's request gate: one is made on `clock` without it. */
  readonly gate?: RequestGate;
  /** [0, 1), injected for deterministic tests. */
  readonly random?: () => number;
  /** Called when anything about the schedule changes (phase, next time). */
  readonly onChange?: () => void;
  /**
   * Called when a wait asked for was longer than the cap or not a number (a huge Retry-After,
   * a far look…) and `usedMs` was waited instead.
   */
  readonly onClamp?: (requestedMs: number, usedMs: number) => void;
}

export const DEFAULT_MAX_BACKOFF_MS = 15 * 60_000;

/**
 * The interval's bounds (the settings' too): below the minimum, an office would hit the rate
 * limit. The minimum is the gate's: no two requests of a window closer.
 */
export const MIN_INTERVAL_MS = MIN_REQUEST_GAP_MS;
export const MAX_INTERVAL_MS = 3600_000;
export const DEFAULT_INTERVAL_MS = 60_000;
/** The soonest a look comes again: a past `at` must not become a tight loop. */
export const MIN_FOLLOW_MS = 1000;

/** Any number into [MIN_INTERVAL_MS, MAX_INTERVAL_MS]; not a number: the default. */
export function clampInterval(ms: number): number {
  return Number.isNaN(ms) ? DEFAULT_INTERVAL_MS : Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.round(ms)));
}

/**
 * The first retry after a rate limit (doubling after it, like every backoff): the bucket
 * drains 2 requests a second, so a refused request may well pass half a minute later, and a
 * client back within the portal's bad minutes is back with numbers (`npm run fleet`).
 */
export const RATE_LIMIT_RETRY_MS = 30_000;

export class PollScheduler {
  /** This window's request gate: every request of the poll passes it; the schedule follows it. */
  readonly gate: RequestGate;
  private phaseValue: PollPhase = 'stopped';
  private timer: Timer | undefined;
  private nextAtValue: number | undefined;
  /** Monotonic ms when the next scheduled run is due; undefined when stopped or halted. */
  private dueAt: number | undefined;
  private failures = 0;
  /** How much the office's shared rate limit slows normal polling. */
  private rateLimitPace: RateLimitPace;
  private interval: number;
  /** Bumped by `stop`: a run from an older generation no longer decides anything. */
  private generation = 0;
  /** The run in flight, of any generation: runs never overlap. */
  private inFlight: Promise<void> | undefined;
  /** `soon` during a run: the run after it comes as soon as the gate allows. */
  private soonAfterRun = false;
  /** `newQuestion` during a run: so even if the run halts (on the old question). */
  private questionChanged = false;
  /** Those waiting for the user's explicit ask to be answered (`refresh`). */
  private explicitWaiters: Array<() => void> = [];
  /** Monotonic ms when the last run of this generation ended. */
  private lastRunEndedAt: number | undefined;
  /** Between `pause` and `resume`: no scheduled run (an explicit one still runs). */
  private holding = false;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private readonly run: () => Promise<PollStep>,
    private readonly options: PollSchedulerOptions,
  ) {
    this.interval = clampInterval(options.intervalMs);
    this.clock = options.clock ?? systemClock;
    this.gate = options.gate ?? new RequestGate(this.clock);
    this.random = options.random ?? Math.random;
    this.rateLimitPace = new RateLimitPace(this.maxPace());
  }

  get phase(): PollPhase {
    return this.phaseValue;
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** When the next run is due (epoch ms, for display and the other windows), if one is scheduled. */
  get nextAt(): number | undefined {
    return this.nextAtValue;
  }

  /** Consecutive retryable failures so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The interval's multiplier after rate limits: 1 at full speed. */
  get pace(): number {
    return this.rateLimitPace.paceAt(this.clock.monotonic(), this.interval);
  }

  /**
   * Starts polling: the first run after `firstDelayMs`, jittered like every delay, and not
   * before the gate allows a request (Connect's check was one).
   */
  start(firstDelayMs: number): void {
    if (this.phaseValue !== 'stopped') return;
    this.dueIn(Math.max(this.jittered(firstDelayMs), this.gate.openAt('whenAllowed') - this.clock.monotonic()));
    this.arm();
  }

  /**
   * The user's explicit ask (Refresh, Try Again), also after a halt and while paused: runs now,
   * or when the gate allows (15 s after the previous explicit one). During a run, the run after
   * it, unless that run's request goes out after this call (it is then the answer). Resolves
   * when the ask is answered (or the scheduler stopped).
   */
  refresh(): Promise<void> {
    this.gate.askExplicitly();
    const answered = new Promise<void>((resolve) => this.explicitWaiters.push(resolve));
    if (this.phaseValue === 'running') return answered;
    if (this.gate.pollOpenAt() <= this.clock.monotonic()) void this.runNow();
    else this.arm();
    return answered;
  }

  /**
   * A gesture (a row expanded, a picker opened): the next run as soon as the gate allows, never
   * later than it was due. While failing that is when it was due anyway; while paused, when the
   * window comes back; after a halt, never (only the user can fix it).
   */
  soon(): void {
    this.bringForward(false);
  }

  /**
   * Other filters (a settings change): as `soon`, and after a halt too, which was the old
   * question's (also when the run under way halts on it).
   */
  newQuestion(): void {
    this.bringForward(true);
  }

  private bringForward(newQuestion: boolean): void {
    switch (this.phaseValue) {
      case 'stopped':
        return;
      case 'running':
        this.soonAfterRun = true;
        this.questionChanged ||= newQuestion;
        return;
      case 'halted':
        if (!newQuestion) return;
    }
    const at = this.gate.openAt('whenAllowed');
    if (this.dueAt !== undefined && this.dueAt <= at) return; // due by then anyway: nothing moves
    this.dueAt = at;
    this.arm();
  }

  setInterval(intervalMs: number): void {
    const interval = clampInterval(intervalMs);
    if (interval === this.interval) return;
    this.interval = interval;
    this.rateLimitPace.setSlowest(this.maxPace());
    // Only a normal wait after a run moves (waiting or paused): not a backoff, a halt, a run
    // under way, nor the first run's start delay.
    if (this.failures === 0 && this.dueAt !== undefined && this.lastRunEndedAt !== undefined) {
      // Counted from the last run, as its own wait was: a new interval never brings the next
      // request closer to the last than the minimum interval.
      this.dueIn(Math.max(MIN_INTERVAL_MS, this.normalWait()) - (this.clock.monotonic() - this.lastRunEndedAt));
      this.arm();
    }
  }

  /**
   * Holds polling (an unfocused window) until `resume`; a run in progress finishes first, and
   * so does an explicit ask meanwhile, then polling holds again.
   */
  pause(): void {
    if (this.phaseValue === 'stopped') return;
    this.holding = true;
    if (this.phaseValue === 'waiting') this.arm();
  }

  /**
   * Continues after `pause` at the time the schedule had: at once if that has passed (the
   * numbers are older than the interval), never before a backoff or the portal's "not before".
   */
  resume(): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.phaseValue === 'paused' || this.phaseValue === 'waiting') this.arm();
  }

  /** A new connection (or none): its failures, waits and pending explicit ask go with it. */
  stop(): void {
    this.generation++;
    this.cancelTimer();
    this.soonAfterRun = false;
    this.questionChanged = false;
    this.holding = false;
    this.dueAt = undefined;
    this.failures = 0;
    this.rateLimitPace = new RateLimitPace(this.maxPace());
    this.lastRunEndedAt = undefined;
    this.gate.newConnection();
    this.answerExplicit();
    this.setPhase('stopped');
  }

  private runNow(): Promise<void> {
    this.cancelTimer();
    this.dueAt = undefined;
    this.setPhase('running');
    const generation = this.generation;
    const explicitAsk = this.gate.explicitPending ? this.gate.latestExplicitAsk : undefined;
    const previous = this.inFlight;
    const current = (async () => {
      if (previous) await previous; // a stopped run still settling: after it, never beside it
      await this.runOnce(generation, explicitAsk);
    })();
    this.inFlight = current;
    void current.finally(() => {
      if (this.inFlight === current) this.inFlight = undefined;
    });
    return current;
  }

  /** `explicitAsk`: the user's explicit asks pending when the run started; an answer answers them. */
  private async runOnce(generation: number, explicitAsk: number | undefined): Promise<void> {
    let step: PollStep;
    try {
      step = await this.run();
    } catch {
      // The run reports its own errors; a throw here is a bug, treated as retryable.
      step = { kind: 'retry' };
    }
    if (generation !== this.generation) {
      // Stopped meanwhile: the new schedule decides, but an answer spaces the next request.
      if (step.kind !== 'look') this.gate.answered();
      return;
    }
    this.lastRunEndedAt = this.clock.monotonic();
    if (explicitAsk !== undefined && step.kind !== 'look') this.gate.explicitAnswered(explicitAsk);
    this.afterRun(step);
    if (this.soonAfterRun && (this.dueAt !== undefined || this.questionChanged)) {
      this.dueAt = Math.min(this.dueAt ?? Infinity, this.gate.openAt('whenAllowed'));
    }
    this.soonAfterRun = false;
    this.questionChanged = false;
    if (!this.gate.explicitPending) this.answerExplicit();
    this.arm();
  }

  private afterRun(step: PollStep): void {
    const now = this.clock.monotonic();
    switch (step.kind) {
      case 'look':
        // A follower's look at another window's answer, not a request: sooner is fine.
        this.dueIn(Math.max(MIN_FOLLOW_MS, isNumber(step.at) ? step.at - this.clock.now() : this.gate.openAt('whenAllowed') - now));
        return;
      case 'ok':
        this.failures = 0;
        this.rateLimitPace.succeeded(now);
        this.dueIn(Math.max(MIN_INTERVAL_MS, this.normalWait()));
        this.gate.answered();
        return;
      case 'retry': {
        this.failures++;
        if (step.slowDown) this.rateLimitPace.limited(now, this.interval);
        const backoff = this.jittered(this.backoffMs(step.slowDown ? Math.min(RATE_LIMIT_RETRY_MS, this.interval) : this.interval));
        const portalWait = isNumber(step.notBefore) ? step.notBefore - this.clock.now() + this.random() * 1000 : 0;
        // After a request, the next is never closer than the minimum interval, whatever the step says.
        this.dueIn(Math.max(MIN_INTERVAL_MS, backoff, portalWait));
        this.gate.answered(this.dueAt);
        return;
      }
      case 'halt':
        this.failures = 0;
        this.dueAt = undefined;
        this.gate.answered();
        return;
    }
  }

  private normalWait(): number {
    return this.paced(this.jittered(this.interval));
  }

  /** A (jittered) wait times the pace, within the cap. */
  private paced(ms: number): number {
    return Math.min(this.longestWait(), ms * this.pace);
  }

  /** The slowest pace: the interval stretched to the backoff cap. */
  private maxPace(): number {
    return Math.max(1, this.maxBackoff() / this.interval);
  }

  /** first, 2×, 4×, … up to the cap. */
  private backoffMs(firstMs: number): number {
    return Math.min(this.longestWait(), firstMs * 2 ** Math.min(this.failures - 1, 20));
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

  /** The one place every wait passes: due in [0, the cap] from now, whatever was asked. */
  private dueIn(delayMs: number): void {
    const longest = this.longestWait();
    const tooLong = !(delayMs <= longest); // NaN too
    const delay = tooLong ? longest : Math.max(0, Math.round(delayMs));
    if (tooLong) this.options.onClamp?.(delayMs, delay);
    this.dueAt = this.clock.monotonic() + delay;
  }

  /**
   * Sets the timer for what comes first: the user's explicit ask when the gate allows it, or
   * the scheduled run unless paused. Without either: paused, or halted.
   */
  private arm(): void {
    this.cancelTimer();
    // A run due further ahead than the cap (the interval shrank meanwhile) is due at the cap.
    if (this.dueAt !== undefined) this.dueAt = Math.min(this.dueAt, this.clock.monotonic() + this.longestWait());
    const explicitAt = this.gate.explicitPending ? this.gate.pollOpenAt() : Infinity;
    const at = Math.min(explicitAt, this.holding ? Infinity : (this.dueAt ?? Infinity));
    if (at === Infinity) {
      this.setPhase(this.dueAt === undefined ? 'halted' : 'paused');
      return;
    }
    const delay = Math.max(0, Math.ceil(at - this.clock.monotonic()));
    this.nextAtValue = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      // Node may fire a timer a little early: the rest is waited, not run through.
      if (this.clock.monotonic() < at) this.arm();
      else void this.runNow();
    }, delay);
    this.setPhase('waiting');
  }

  private answerExplicit(): void {
    for (const resolve of this.explicitWaiters.splice(0)) resolve();
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
