/**
 * Fake time for tests, from `@sinonjs/fake-timers`: the core's `Clock` over a fake-timers
 * clock. Like Node, it runs a delay above 2^31-1 ms after 1 ms, so a test that lets such a
 * delay through sees the tight loop a real window would.
 *
 * Wall time is the fake `Date.now`, monotonic time the fake `performance.now`: `tickAsync`
 * moves both, `timers.setSystemTime` only the wall clock (a suspend and resume, NTP), with the
 * timers still due after the same monotonic time, as Node's are.
 *
 * Not a test file (no `.test`): mocha loads it only through the tests that import it.
 */
import { createClock } from '@sinonjs/fake-timers';
import { Clock, Timer } from '../../src/core/clock';

export type FakeTimers = ReturnType<typeof createClock>;

export interface FakeTime {
  /** What the code under test gets. */
  readonly clock: Clock;
  /** What the test drives: `tickAsync`, `nextAsync`, `runToLastAsync`, `countTimers`… */
  readonly timers: FakeTimers;
}

export const FAKE_START = Date.UTC(2025, 8, 26, 9, 0, 0);

export function fakeTime(start = FAKE_START): FakeTime {
  const timers = createClock(start);
  return {
    timers,
    clock: {
      now: () => timers.now,
      monotonic: () => timers.performance.now() as number,
      setTimeout: (callback, ms) => timers.setTimeout(callback, ms) as Timer,
      clearTimeout: (timer) => timers.clearTimeout(timer as Parameters<FakeTimers['clearTimeout']>[0]),
    },
  };
}

/**
 * When the earliest pending timer falls due (epoch ms), as fake-timers itself dates it (a 0 ms
 * timer set while a timer runs is due 1 ms later); undefined when none is pending. Fake-timers
 * keeps its timers in a heap and removes a cleared one at once, so this is a peek.
 */
export function nextDueAt(timers: FakeTimers): number | undefined {
  return timers.timerHeap?.peek()?.callAt;
}
