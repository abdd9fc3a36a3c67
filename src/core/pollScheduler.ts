/**
 * The one owner of every request to the portal: when to poll next.
 *
 * - One run at a time; the next is scheduled when a run ends, so a slow portal delays the
 *   next request instead of stacking them. A run cut off by `stop` still finishes before the
 *   next one starts, and its result is ignored.
 * - Jitter on every delay, so windows and colleagues behind one office IP do not synchronise
 *   against the portal's shared rate limit.
 * - Exponential backoff on retryable failures, capped, honouring the portal's own
 *   "not before" (Retry-After, operating_reset_at); reset by the first success.
 * - The portal's rate limit (`slowDown`) also slows this client's normal polling, which
 *   speeds up again slowly (AIMD, below): when a whole office shares the limit, clients that
 *   jumped back to full speed after the backoff would only hit it again.
 * - A failure only the user can fix (auth, scope, access…) halts polling until `refreshNow`.
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
}

export const DEFAULT_MAX_BACKOFF_MS = 15 * 60_000;

/**
 * The portal's rate limit is shared by a whole office, so polling speed adapts like TCP's
 * congestion control (AIMD), which is what makes clients share fairly: the first
 * QUERY_LIMIT_EXCEEDED after a success multiplies this client's speed (1 = once an interval)
 * by SPEED_CUT; each success adds SPEED_STEP back.
 */
const SPEED_CUT = 0.6;
const SPEED_STEP = 0.005;

export class PollScheduler {
  private phaseValue: PollPhase = 'stopped';
  private timer: Timer | undefined;
  private nextAtValue: number | undefined;
  private failures = 0;
  private speed = 1;
  private interval: number;
  /** Bumped by `stop`: a run from an older generation no longer decides anything. */
  private generation = 0;
  /** The run in flight, of any generation: runs never overlap. */
  private inFlight: Promise<void> | undefined;
  private rerunRequested = false;
  private pauseRequested = false;
  /** While paused: when the run would have been due. */
  private dueAt: number | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private readonly run: () => Promise<PollStep>,
    private readonly options: PollSchedulerOptions,
  ) {
    this.interval = options.intervalMs;
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
    return 1 / this.speed;
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
    if (intervalMs === this.interval) return;
    this.interval = intervalMs;
    if (this.phaseValue === 'waiting' && this.failures === 0) {
      this.schedule(this.jittered(intervalMs * this.pace));
    }
  }

  /** Holds polling (an unfocused window) until `resume`; a run in progress finishes first. */
  pause(): void {
    if (this.phaseValue === 'running') {
      this.pauseRequested = true;
    } else if (this.phaseValue === 'waiting') {
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
    this.pauseRequested = false;
    if (this.phaseValue !== 'paused') return;
    const dueAt = this.dueAt ?? this.clock.now();
    this.dueAt = undefined;
    this.schedule(dueAt - this.clock.now());
  }

  stop(): void {
    this.generation++;
    this.cancelTimer();
    this.rerunRequested = false;
    this.pauseRequested = false;
    this.dueAt = undefined;
    this.failures = 0;
    this.speed = 1;
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
    if (this.rerunRequested) {
      this.rerunRequested = false;
      this.schedule(0);
      return;
    }
    this.afterRun(step);
    if (this.pauseRequested) {
      this.pauseRequested = false;
      this.pause();
    }
  }

  private afterRun(step: PollStep): void {
    const now = this.clock.now();
    switch (step.kind) {
      case 'ok':
        this.failures = 0;
        if (step.nextAt !== undefined) {
          this.schedule(step.nextAt - now);
        } else {
          this.speed = Math.min(1, this.speed + SPEED_STEP);
          this.schedule(this.jittered(this.interval * this.pace));
        }
        return;
      case 'retry': {
        this.failures++;
        if (step.slowDown && this.failures === 1) {
          this.speed = Math.max(this.interval / this.maxBackoff(), this.speed * SPEED_CUT);
        }
        const backoff = this.jittered(this.backoffMs());
        const portalWait = step.notBefore === undefined ? 0 : step.notBefore - now + this.random() * 1000;
        this.schedule(Math.max(backoff, portalWait));
        return;
      }
      case 'halt':
        this.failures = 0;
        this.setPhase('halted');
        return;
    }
  }

  /** interval, 2×, 4×, … up to the cap. */
  private backoffMs(): number {
    return Math.min(this.maxBackoff(), this.interval * 2 ** Math.min(this.failures - 1, 20));
  }

  private maxBackoff(): number {
    return this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  }

  private jittered(ms: number): number {
    const jitter = this.options.jitter ?? 0.1;
    return ms * (1 - jitter + 2 * jitter * this.random());
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    const delay = Math.max(0, Math.round(delayMs));
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
