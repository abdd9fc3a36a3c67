/**
 * The one owner of every request to the portal: when to poll next.
 *
 * - One run at a time; the next is scheduled when a run ends, so a slow portal delays the
 *   next request instead of stacking them.
 * - Jitter on every delay, so windows and colleagues behind one office IP do not synchronise
 *   against the portal's shared rate limit.
 * - Exponential backoff on retryable failures, capped, honouring the portal's own
 *   "not before" (Retry-After, operating_reset_at); reset by the first success.
 * - A failure only the user can fix (auth, scope, access…) halts polling until `refreshNow`.
 */
import { Clock, systemClock, Timer } from './clock';

/** What one run tells the scheduler. */
export type PollStep =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; /** Epoch ms the portal asked us to wait until. */ readonly notBefore?: number }
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

export class PollScheduler {
  private phaseValue: PollPhase = 'stopped';
  private timer: Timer | undefined;
  private nextAtValue: number | undefined;
  private failures = 0;
  private running: Promise<void> | undefined;
  private rerunRequested = false;
  private interval: number;
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

  /** Starts polling: the first run after `firstDelayMs`, jittered like every delay. */
  start(firstDelayMs: number): void {
    if (this.phaseValue !== 'stopped') return;
    this.schedule(this.jittered(firstDelayMs));
  }

  /** Runs now (joining a run in progress, then running again so new filters are seen). */
  refreshNow(): Promise<void> {
    if (this.running) {
      this.rerunRequested = true;
      return this.running;
    }
    this.failures = 0;
    return this.runNow();
  }

  setInterval(intervalMs: number): void {
    this.interval = intervalMs;
    if (this.phaseValue === 'waiting' && this.failures === 0) {
      this.schedule(this.jittered(intervalMs));
    }
  }

  /** Holds polling (an unfocused window) until `resume`; a run in progress finishes. */
  pause(): void {
    if (this.phaseValue === 'waiting') {
      this.cancelTimer();
      this.setPhase('paused');
    }
  }

  /** Continues after `pause`: at once when the last run is older than `staleAfterMs`. */
  resume(lastRunAgeMs: number): void {
    if (this.phaseValue !== 'paused') return;
    if (lastRunAgeMs >= this.interval) {
      void this.runNow();
    } else {
      this.schedule(this.interval - lastRunAgeMs);
    }
  }

  stop(): void {
    this.cancelTimer();
    this.rerunRequested = false;
    this.failures = 0;
    this.setPhase('stopped');
  }

  private runNow(): Promise<void> {
    this.cancelTimer();
    this.setPhase('running');
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<void> {
    let step: PollStep;
    try {
      step = await this.run();
    } catch {
      // The run reports its own errors; a throw here is a bug, treated as retryable.
      step = { kind: 'retry' };
    }
    if (this.phaseValue !== 'running') return; // stopped meanwhile
    if (this.rerunRequested) {
      this.rerunRequested = false;
      this.schedule(0);
      return;
    }
    this.afterRun(step);
  }

  private afterRun(step: PollStep): void {
    switch (step.kind) {
      case 'ok':
        this.failures = 0;
        this.schedule(this.jittered(this.interval));
        return;
      case 'retry': {
        this.failures++;
        const backoff = this.jittered(this.backoffMs());
        const portalWait = step.notBefore === undefined ? 0 : step.notBefore - this.clock.now();
        this.schedule(Math.max(backoff, portalWait + this.random() * 1000));
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
    const cap = this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    return Math.min(cap, this.interval * 2 ** Math.min(this.failures - 1, 20));
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
