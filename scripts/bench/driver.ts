/**
 * Virtual time for the real poll path: fake timers (the unit tests' `fakeTime`) move time, while the
 * requests (real HTTP to the sandbox) and the shared-poll files (real fs) take real time.
 *
 * Between two timers the driver waits until nothing is in flight: every transport call and
 * every SharedPoll operation is counted while it runs, so a poll that started at virtual time T
 * ends, files written, before time moves on. In virtual terms, the network and the disk answer
 * instantly.
 */
import { Clock } from '../../src/core/clock';
import { Outcome } from '../../src/core/outcome';
import { SharedPoll, SharedSnapshot, SnapshotReader } from '../../src/core/sharedPoll';
import { HttpResponse, PostOptions, Transport } from '../../src/core/transport';
import { FakeTimers, nextDueAt } from '../../test/unit/fakeTime';

/** The simulation's seeded PRNG (mulberry32), for reproducible jitter here too. */
export { seededRandom } from '../../test/sim/fleet';

/** Counts operations in flight; `idle()` resolves once there are none. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  track<T>(operation: () => Promise<T>): Promise<T> {
    this.count++;
    let promise: Promise<T>;
    try {
      promise = operation();
    } catch (error) {
      promise = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return promise.finally(() => {
      if (--this.count === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        waiters.forEach((wake) => wake());
      }
    });
  }

  /** Nothing in flight for two event-loop turns (promise chains between operations settle). */
  async idle(): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      if (this.count > 0) {
        quiet = 0;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.count === 0) quiet++;
    }
  }
}

export function trackedTransport(inner: Transport, inFlight: InFlight): Transport {
  return {
    post: (url: string, json: string, options: PostOptions): Promise<Outcome<HttpResponse>> =>
      inFlight.track(() => inner.post(url, json, options)),
  };
}

/** The real SharedPoll, each file operation counted while it runs. */
export class TrackedSharedPoll extends SharedPoll {
  constructor(folder: string, clock: Clock, windowId: string, private readonly inFlight: InFlight) {
    super(folder, clock, windowId);
  }

  override current(key: string, reader: SnapshotReader): Promise<SharedSnapshot | undefined> {
    return this.inFlight.track(() => super.current(key, reader));
  }

  override write(key: string, snapshot: SharedSnapshot): Promise<void> {
    return this.inFlight.track(() => super.write(key, snapshot));
  }

  override tryLease(key: string): Promise<boolean> {
    return this.inFlight.track(() => super.tryLease(key));
  }

  override release(key: string): Promise<void> {
    return this.inFlight.track(() => super.release(key));
  }
}

/**
 * Fires every timer due up to virtual time `until`, each at its due time, waiting for the work
 * it starts to finish before the next; then moves the clock to `until`.
 */
export async function runUntil(timers: FakeTimers, until: number, inFlight: InFlight): Promise<number> {
  let fired = 0;
  for (;;) {
    await inFlight.idle();
    const next = nextDueAt(timers);
    if (next === undefined || next > until) break;
    await timers.nextAsync();
    fired++;
  }
  if (timers.now < until) await timers.tickAsync(until - timers.now);
  await inFlight.idle();
  return fired;
}
