/**
 * A deterministic `Clock` for tests: time moves only when the test says so.
 *
 * Timers fire in due-time order (ties in creation order). Between timers the microtask queue
 * is flushed, so `async` work started by one timer (a scheduler run that awaits a promise the
 * test resolved) settles before the next timer is looked at.
 */
import { Clock, Timer } from '../../src/core/clock';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** Lets every pending promise callback run (and anything they queue in turn). */
export async function flushMicrotasks(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, PendingTimer>();
  /** How many timers have fired so far. */
  fired = 0;

  constructor(start = Date.UTC(2025, 8, 26, 9, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.current + delay, callback });
    return { fakeTimerId: id };
  }

  clearTimeout(timer: Timer): void {
    const id = (timer as { fakeTimerId?: unknown }).fakeTimerId;
    if (typeof id === 'number') {
      this.timers.delete(id);
    }
  }

  /** Timers set and not yet fired or cleared. */
  get pendingCount(): number {
    return this.timers.size;
  }

  /** Due times (epoch ms) of the pending timers, earliest first. */
  pendingTimes(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** The earliest pending timer's due time, if any. */
  get nextDueAt(): number | undefined {
    return this.pendingTimes()[0];
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, each at its own
   * due time, with microtasks flushed after each.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance(${ms}): time only moves forward`);
    const target = this.current + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.at > target) break;
      this.fire(next);
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Jumps to the next pending timer and fires it; false when none is pending. */
  async runNext(): Promise<boolean> {
    await flushMicrotasks();
    const next = this.earliest();
    if (next === undefined) return false;
    this.fire(next);
    await flushMicrotasks();
    return true;
  }

  /**
   * Fires timers (jumping time forward to each) until none is pending. Throws after `maxTimers`
   * so that a schedule that never goes idle fails the test instead of hanging it.
   * Returns how many timers fired.
   */
  async runUntilIdle(maxTimers = 1000): Promise<number> {
    let count = 0;
    while (await this.runNext()) {
      if (++count >= maxTimers) {
        throw new Error(`runUntilIdle: still busy after ${maxTimers} timers`);
      }
    }
    return count;
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.timers.values()) {
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) {
        best = timer;
      }
    }
    return best;
  }

  private fire(timer: PendingTimer): void {
    this.timers.delete(timer.id);
    this.current = Math.max(this.current, timer.at);
    this.fired++;
    timer.callback();
  }
}
