import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_BACKOFF_MS,
  MAX_INTERVAL_MS,
  MIN_INTERVAL_MS,
  PollPhase,
  PollScheduler,
  PollSchedulerOptions,
  PollStep,
  RATE_LIMIT_RETRY_MS,
} from '../../src/core/pollScheduler';
import { CALM_MS, DECREASE, LONG_RUN, PROBE_PER_INTERVAL } from '../../src/core/rateLimitPace';
import { Clock } from '../../src/core/clock';
import { MIN_REQUEST_GAP_MS, RequestGate } from '../../src/core/requestGate';
import { fakeTime } from './fakeTime';

const INTERVAL = 60_000;

/**
 * The scheduler's run: each call is recorded and answered by the test (or by a script). Like
 * the poller's, each passes the gate before its request; one the gate refuses looks again.
 */
class Runs {
  readonly startedAt: number[] = [];
  /** Runs whose request the gate refused. */
  refused = 0;
  private readonly waiting: Array<(step: PollStep) => void> = [];
  active = 0;
  maxActive = 0;
  /** When set, each run answers at once with the next step (then the last one again). */
  script: PollStep[] | undefined;
  private scriptIndex = 0;

  constructor(
    private readonly clock: Clock,
    private readonly gate: RequestGate,
  ) {}

  readonly run = (): Promise<PollStep> => {
    this.startedAt.push(this.clock.now());
    if (!this.gate.passPoll()) {
      this.refused++;
      return Promise.resolve({ kind: 'look' });
    }
    if (this.script) {
      const step = this.script[Math.min(this.scriptIndex++, this.script.length - 1)];
      return Promise.resolve(step);
    }
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise<PollStep>((resolve) => {
      this.waiting.push((step) => {
        this.active--;
        resolve(step);
      });
    });
  };

  get count(): number {
    return this.startedAt.length;
  }

  /**
   * Ends the oldest run in flight with `step` and lets the scheduler react: its promise
   * callbacks run, its timers do not (not even one due now: the test fires those).
   */
  async finish(step: PollStep = { kind: 'ok' }): Promise<void> {
    const resolve = this.waiting.shift();
    assert.ok(resolve, 'no run in flight to finish');
    resolve(step);
    await new Promise<void>((resolved) => setImmediate(resolved));
  }
}

function setup(options: Partial<PollSchedulerOptions> = {}, random: () => number = () => 0.5) {
  const { clock, timers } = fakeTime();
  const gate = new RequestGate(clock);
  const runs = new Runs(clock, gate);
  const phases: PollPhase[] = [];
  const nextAts: Array<number | undefined> = [];
  const scheduler: PollScheduler = new PollScheduler(runs.run, {
    intervalMs: INTERVAL,
    clock,
    gate,
    random,
    onChange: () => {
      phases.push(scheduler.phase);
      nextAts.push(scheduler.nextAt);
    },
    ...options,
  });
  return { timers, runs, scheduler, gate, phases, nextAts, t0: timers.now };
}

/** A random source that answers from a list, then repeats its last value. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

describe('PollScheduler', () => {
  describe('start', () => {
    it('first run after the given delay, jittered like every delay', async () => {
      const { timers, runs, scheduler, t0 } = setup({}, () => 0.5);
      scheduler.start(4000);
      assert.equal(scheduler.nextAt, t0 + 4000);
      assert.equal(scheduler.phase, 'waiting');
      await timers.tickAsync(3999);
      assert.equal(runs.count, 0);
      await timers.tickAsync(1);
      assert.equal(runs.count, 1);
      assert.deepEqual(runs.startedAt, [t0 + 4000]);
    });

    it('the first delay is jittered within ±10% by default', () => {
      const low = setup({}, () => 0);
      low.scheduler.start(10_000);
      assert.equal(low.scheduler.nextAt! - low.t0, 9000);
      const high = setup({}, () => 0.99999);
      high.scheduler.start(10_000);
      assert.equal(high.scheduler.nextAt! - high.t0, 11_000);
    });

    it('start while already started does nothing', () => {
      const { timers, scheduler } = setup({}, () => 0);
      scheduler.start(1000);
      const first = scheduler.nextAt;
      scheduler.start(50_000);
      assert.equal(scheduler.nextAt, first);
      assert.equal(timers.countTimers(), 1);
    });
  });

  describe('one run at a time', () => {
    it('a slow run is never overlapped, however long it takes', async () => {
      const { timers, runs, scheduler } = setup();
      void scheduler.refresh();
      assert.equal(runs.count, 1);
      assert.equal(scheduler.phase, 'running');
      assert.equal(timers.countTimers(), 0, 'no timer is armed while a run is out');
      await timers.tickAsync(INTERVAL * 20);
      assert.equal(runs.count, 1);
      assert.equal(runs.maxActive, 1);
      await runs.finish();
      assert.equal(scheduler.phase, 'waiting');
      assert.equal(timers.countTimers(), 1);
    });

    it('the next run is scheduled from the end of the slow run, not its start', async () => {
      const { timers, runs, scheduler, t0 } = setup({}, () => 0.5);
      void scheduler.refresh();
      await timers.tickAsync(45_000);
      await runs.finish();
      assert.equal(scheduler.nextAt, t0 + 45_000 + INTERVAL);
      await timers.tickAsync(INTERVAL - 1);
      assert.equal(runs.count, 1);
      await timers.tickAsync(1);
      assert.deepEqual(runs.startedAt, [t0, t0 + 45_000 + INTERVAL]);
      assert.equal(runs.maxActive, 1);
    });

    it('a refresh during a run whose request went out is answered by one run after it (however often it was called), 15 s after the last explicit one', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      void scheduler.refresh();
      let answered = false;
      const a = scheduler.refresh().then(() => (answered = true));
      void scheduler.refresh();
      void scheduler.refresh();
      await timers.tickAsync(0);
      assert.equal(runs.count, 1, 'not started in parallel');
      await runs.finish();
      assert.equal(answered, false, 'the run in progress asked before the refresh: not its answer');
      assert.equal(scheduler.nextAt, t0 + MIN_REQUEST_GAP_MS, 'the run for it, 15 s after the first explicit one');
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      assert.equal(runs.count, 2, 'exactly one more run');
      assert.equal(runs.maxActive, 1);
      await runs.finish();
      await a;
      assert.equal(answered, true, 'settles when its own run ends');
      // and then back to the normal beat: no third immediate run
      await timers.tickAsync(INTERVAL - 1);
      assert.equal(runs.count, 2);
    });

    it('a refresh during a scheduled run whose request went out: the run for it right after', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.start(1000);
      await timers.tickAsync(1000);
      const answered = scheduler.refresh();
      await runs.finish();
      await timers.tickAsync(0);
      assert.equal(runs.count, 2, 'no explicit ask in the last 15 s: at once');
      await runs.finish();
      await answered;
      await timers.tickAsync(0);
      assert.equal(runs.count, 2, 'one run for the ask, not a second one queued behind it');
      assert.equal(scheduler.phase, 'waiting');
    });

    it('a refresh then a pause during a run: one run for the ask after it, then paused', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.start(1000);
      await timers.tickAsync(1000);
      const answered = scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(0);
      assert.equal(runs.count, 1, 'nothing beside the run');
      await runs.finish();
      await timers.tickAsync(0);
      assert.equal(runs.count, 2, 'the run for the ask');
      await runs.finish();
      await answered;
      await timers.tickAsync(INTERVAL);
      assert.equal(runs.count, 2, 'no other');
      assert.equal(scheduler.phase, 'paused');
    });

    it('a refresh during a run whose request has not gone out yet is answered by that request', async () => {
      const { clock, timers } = fakeTime();
      const gate = new RequestGate(clock);
      let release: (() => void) | undefined;
      let requests = 0;
      const scheduler = new PollScheduler(
        async () => {
          await new Promise<void>((resolve) => (release = resolve)); // reading the shared files
          if (gate.passPoll()) requests++;
          return { kind: 'ok' };
        },
        { intervalMs: INTERVAL, clock, gate, random: () => 0.5 },
      );
      scheduler.start(0);
      await timers.tickAsync(0);
      const answered = scheduler.refresh();
      release!();
      await answered;
      assert.equal(requests, 1);
      assert.equal(gate.explicitPending, false);
      assert.equal(scheduler.nextAt, timers.now + INTERVAL, 'the normal beat: no second run');
    });

    it('a refresh while waiting runs at once and replaces the pending timer', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.start(INTERVAL);
      assert.equal(timers.countTimers(), 1);
      void scheduler.refresh();
      assert.equal(runs.count, 1);
      assert.equal(timers.countTimers(), 0);
      await runs.finish();
      assert.equal(timers.countTimers(), 1);
    });

    it('a run that throws is treated as a retryable failure', async () => {
      const { clock } = fakeTime();
      let calls = 0;
      const scheduler = new PollScheduler(
        () => {
          calls++;
          return Promise.reject(new Error('bug'));
        },
        { intervalMs: INTERVAL, clock, random: () => 0.5 },
      );
      await scheduler.refresh();
      assert.equal(calls, 1);
      assert.equal(scheduler.phase, 'waiting');
      assert.equal(scheduler.consecutiveFailures, 1);
    });
  });

  describe('jitter', () => {
    it('stays within ± the jitter fraction of the interval', async () => {
      const values = [0, 0.1, 0.37, 0.5, 0.81, 0.999999];
      const delays: number[] = [];
      for (const r of values) {
        const { runs, scheduler, timers } = setup({ jitter: 0.2 }, () => r);
        runs.script = [{ kind: 'ok' }];
        await scheduler.refresh();
        delays.push(scheduler.nextAt! - timers.now);
      }
      for (const delay of delays) {
        assert.ok(delay >= INTERVAL * 0.8 && delay <= INTERVAL * 1.2, `delay ${delay}`);
      }
      assert.equal(delays[0], INTERVAL * 0.8, 'random 0 → the low bound');
      assert.equal(delays[3], INTERVAL, 'random 0.5 → the interval itself');
      assert.equal(delays[5], Math.round(INTERVAL * (0.8 + 0.4 * 0.999999)));
      assert.deepEqual([...delays].sort((a, b) => a - b), delays, 'grows with the random value');
    });

    it('defaults to ±10%', async () => {
      const low = setup({}, () => 0);
      low.runs.script = [{ kind: 'ok' }];
      await low.scheduler.refresh();
      assert.equal(low.scheduler.nextAt! - low.timers.now, INTERVAL * 0.9);
      const high = setup({}, () => 0.99999);
      high.runs.script = [{ kind: 'ok' }];
      await high.scheduler.refresh();
      const delay = high.scheduler.nextAt! - high.timers.now;
      assert.ok(delay > INTERVAL * 1.09 && delay <= INTERVAL * 1.1, String(delay));
    });

    it('jitter 0 gives the exact interval whatever the random value', async () => {
      const { runs, scheduler, timers } = setup({ jitter: 0 }, () => 0.93);
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      assert.equal(scheduler.nextAt! - timers.now, INTERVAL);
    });

    it('successive delays differ when the random values differ (no lock-step)', async () => {
      const { timers, runs, scheduler } = setup({}, sequence(0.1, 0.9, 0.3, 0.7));
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      const gaps: number[] = [];
      let last = timers.now;
      for (let i = 0; i < 3; i++) {
        await timers.nextAsync();
        gaps.push(timers.now - last);
        last = timers.now;
      }
      assert.equal(new Set(gaps).size, 3, `gaps ${gaps.join(',')}`);
    });
  });

  describe('backoff', () => {
    it('doubles on each retryable failure up to the cap, and a success resets it', async () => {
      const { timers, runs, scheduler } = setup({ maxBackoffMs: 8 * INTERVAL }, () => 0.5);
      runs.script = [
        { kind: 'retry' },
        { kind: 'retry' },
        { kind: 'retry' },
        { kind: 'retry' },
        { kind: 'retry' },
        { kind: 'retry' },
        { kind: 'ok' },
        { kind: 'ok' },
      ];
      await scheduler.refresh();
      const gaps: number[] = [];
      const failures: number[] = [scheduler.consecutiveFailures];
      for (let i = 0; i < 7; i++) {
        const before = timers.now;
        await timers.nextAsync();
        gaps.push(timers.now - before);
        failures.push(scheduler.consecutiveFailures);
      }
      assert.deepEqual(gaps.map((g) => g / INTERVAL), [1, 2, 4, 8, 8, 8, 1]);
      assert.deepEqual(failures, [1, 2, 3, 4, 5, 6, 0, 0]);
    });

    it('the default cap is 15 minutes', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'retry' }];
      await scheduler.refresh();
      for (let i = 0; i < 12; i++) await timers.nextAsync();
      assert.equal(scheduler.nextAt! - timers.now, DEFAULT_MAX_BACKOFF_MS);
      assert.equal(DEFAULT_MAX_BACKOFF_MS, 15 * 60_000);
    });

    it('a refresh asks at once during a backoff, and only its answer changes the failure count', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'retry' }];
      await scheduler.refresh();
      await timers.nextAsync();
      await timers.nextAsync();
      assert.equal(scheduler.consecutiveFailures, 3);
      assert.equal(scheduler.nextAt! - timers.now, 4 * INTERVAL);
      runs.script = undefined;
      void scheduler.refresh();
      assert.equal(runs.count, 4, 'the backoff does not hold an explicit ask');
      assert.equal(scheduler.consecutiveFailures, 3, 'asking is not an answer');
      await runs.finish({ kind: 'retry' });
      assert.equal(scheduler.consecutiveFailures, 4, 'the answer counts');
      assert.equal(scheduler.nextAt! - timers.now, 8 * INTERVAL);
    });

    it('honours the portal\'s notBefore when it is later than the backoff', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      const notBefore = timers.now + 10 * INTERVAL;
      runs.script = [{ kind: 'retry', notBefore }, { kind: 'ok' }];
      await scheduler.refresh();
      assert.ok(scheduler.nextAt! >= notBefore, `next ${scheduler.nextAt! - notBefore} ms after notBefore`);
      assert.ok(scheduler.nextAt! <= notBefore + 1000, 'plus at most a second of spread');
      assert.equal(scheduler.nextAt, notBefore + 500, 'spread by the random source: half of it, half a second');
      await timers.tickAsync(notBefore - timers.now - 1);
      assert.equal(runs.count, 1, 'not a single request before the portal allows it');
      await timers.nextAsync();
      assert.equal(runs.count, 2);
    });

    it('a notBefore earlier than the backoff does not shorten it', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'retry' }];
      await scheduler.refresh();
      await timers.nextAsync();
      assert.equal(scheduler.consecutiveFailures, 2);
      // the third run fails with the portal saying "one second from now"
      runs.script = [{ kind: 'retry', notBefore: scheduler.nextAt! + 1000 }];
      await timers.nextAsync();
      assert.equal(scheduler.consecutiveFailures, 3);
      assert.equal(scheduler.nextAt! - timers.now, 4 * INTERVAL);
    });
  });

  describe('halt', () => {
    it('stops polling until a refresh', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'halt' }, { kind: 'ok' }];
      await scheduler.refresh();
      assert.equal(scheduler.phase, 'halted');
      assert.equal(scheduler.nextAt, undefined);
      assert.equal(timers.countTimers(), 0);
      await timers.tickAsync(24 * 3600_000);
      assert.equal(runs.count, 1);
      await scheduler.refresh();
      assert.equal(runs.count, 2);
      assert.equal(scheduler.phase, 'waiting');
      assert.equal(timers.countTimers(), 1);
    });

    it('a halt clears the failure count', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'retry' }, { kind: 'halt' }];
      await scheduler.refresh();
      await timers.nextAsync();
      assert.equal(scheduler.phase, 'halted');
      assert.equal(scheduler.consecutiveFailures, 0);
    });

    it('start does not restart a halted scheduler (only a refresh does)', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'halt' }];
      await scheduler.refresh();
      scheduler.start(0);
      assert.equal(timers.countTimers(), 0);
      assert.equal(scheduler.phase, 'halted');
    });
  });

  describe('pause and resume', () => {
    it('a pause while stopped holds nothing: a start after it polls on time (the poller pauses again after starting)', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.pause();
      scheduler.start(1000);
      assert.equal(scheduler.phase, 'waiting');
      await timers.tickAsync(1000);
      assert.equal(runs.count, 1);
    });

    it('pause while waiting cancels the timer; nothing runs while paused', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      assert.equal(scheduler.phase, 'paused');
      assert.equal(scheduler.nextAt, undefined);
      assert.equal(timers.countTimers(), 0);
      await timers.tickAsync(10 * INTERVAL);
      assert.equal(runs.count, 1);
    });

    it('resume with fresh numbers waits out the rest of the interval', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(20_000);
      scheduler.resume();
      assert.equal(scheduler.phase, 'waiting');
      assert.equal(scheduler.nextAt, timers.now + INTERVAL - 20_000);
      await timers.tickAsync(INTERVAL - 20_001);
      assert.equal(runs.count, 1);
      await timers.tickAsync(1);
      assert.equal(runs.count, 2);
    });

    it('resume with stale numbers runs at once', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(5 * INTERVAL);
      scheduler.resume();
      await timers.tickAsync(0);
      assert.equal(runs.count, 2);
      await timers.tickAsync(0);
      assert.equal(scheduler.phase, 'waiting');
      scheduler.pause();
      await timers.tickAsync(2 * INTERVAL);
      scheduler.resume();
      await timers.tickAsync(0);
      assert.equal(runs.count, 3);
    });

    it('resume when not paused does nothing', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      const next = scheduler.nextAt;
      scheduler.resume();
      assert.equal(runs.count, 1);
      assert.equal(scheduler.nextAt, next);
      assert.equal(timers.countTimers(), 1);
    });

    it('pause does not un-halt or un-stop', async () => {
      const { runs, scheduler } = setup();
      runs.script = [{ kind: 'halt' }];
      await scheduler.refresh();
      scheduler.pause();
      assert.equal(scheduler.phase, 'halted');
      scheduler.resume();
      assert.equal(runs.count, 1);
      scheduler.stop();
      scheduler.pause();
      assert.equal(scheduler.phase, 'stopped');
    });

    it('pause during a run takes effect when the run ends', async () => {
      const { timers, runs, scheduler } = setup();
      void scheduler.refresh();
      scheduler.pause();
      await runs.finish();
      assert.equal(scheduler.phase, 'paused');
      assert.equal(timers.countTimers(), 0);
      await timers.tickAsync(10 * INTERVAL);
      assert.equal(runs.count, 1);
    });

    it('resume during a backoff still waits for the portal\'s notBefore', async () => {
      const { timers, runs, scheduler } = setup();
      const notBefore = timers.now + 10 * INTERVAL;
      runs.script = [{ kind: 'retry', notBefore }, { kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(INTERVAL);
      scheduler.resume();
      assert.equal(runs.count, 1, 'no request before notBefore');
      assert.ok((scheduler.nextAt ?? 0) >= notBefore);
    });

    it('resume while an explicit ask waits for its gate: a follower\'s look due sooner comes at its time (found by a surviving mutant)', async () => {
      const { clock, timers } = fakeTime();
      const gate = new RequestGate(clock);
      const startedAt: number[] = [];
      // A follower: each run looks at another window's answer and comes back in a second.
      const scheduler = new PollScheduler(
        () => {
          startedAt.push(clock.monotonic());
          return Promise.resolve({ kind: 'look', at: clock.now() + 1000 });
        },
        { intervalMs: INTERVAL, clock, gate, random: () => 0.5 },
      );
      scheduler.start(3000);
      await timers.tickAsync(1000);
      assert.equal(gate.pass('explicit'), true, 'Connect\'s check: no explicit ask for 15 s');
      await timers.tickAsync(2000);
      assert.equal(startedAt.length, 1);
      const lookAt = clock.monotonic() + 1000;
      scheduler.pause();
      void scheduler.refresh(); // waits for the explicit gate, 13 s on, paused or not
      assert.equal(scheduler.phase, 'waiting');
      scheduler.resume();
      await timers.tickAsync(1000);
      assert.deepEqual(startedAt.slice(1), [lookAt], 'the look before the gate opens, not with it');
    });
  });

  describe('stop', () => {
    it('cancels every timer', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.start(INTERVAL);
      assert.equal(timers.countTimers(), 1);
      scheduler.stop();
      assert.equal(timers.countTimers(), 0);
      assert.equal(scheduler.phase, 'stopped');
      assert.equal(scheduler.nextAt, undefined);
      await timers.tickAsync(10 * INTERVAL);
      assert.equal(runs.count, 0);
    });

    it('a run in flight when stopped schedules nothing when it ends (nor its rerun)', async () => {
      const { timers, runs, scheduler } = setup();
      void scheduler.refresh();
      void scheduler.refresh(); // rerun requested
      scheduler.stop();
      await runs.finish({ kind: 'retry' });
      assert.equal(scheduler.phase, 'stopped');
      assert.equal(timers.countTimers(), 0);
      assert.equal(runs.count, 1);
    });

    it('start after stop polls again, with a fresh failure count', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'retry' }, { kind: 'retry' }, { kind: 'ok' }];
      await scheduler.refresh();
      await timers.nextAsync();
      scheduler.stop();
      assert.equal(scheduler.consecutiveFailures, 0);
      scheduler.start(INTERVAL);
      assert.equal(timers.countTimers(), 1);
      await timers.nextAsync();
      assert.equal(runs.count, 3);
    });

    it('a refresh after stop, while the stopped run is in flight, still runs (15 s after the first)', async () => {
      const { timers, runs, scheduler } = setup();
      void scheduler.refresh();
      scheduler.stop();
      void scheduler.refresh();
      await runs.finish({ kind: 'halt' });
      await timers.tickAsync(MIN_REQUEST_GAP_MS - 1);
      assert.equal(runs.count, 1, 'not twice within 15 s');
      await timers.tickAsync(1);
      assert.equal(runs.count, 2, 'the refresh asked for after the stop ran');
    });
  });

  describe('stop and start with a run still in flight', () => {
    it('never two runs at once, however often the connection changes while one is still reading', async () => {
      const { clock, timers } = fakeTime();
      const releases: Array<() => void> = [];
      let running = 0;
      let most = 0;
      const scheduler = new PollScheduler(
        async () => {
          most = Math.max(most, ++running);
          await new Promise<void>((resolve) => releases.push(resolve)); // reading the shared files
          running--;
          return { kind: 'look' };
        },
        { intervalMs: INTERVAL, clock, random: () => 0.5 },
      );
      scheduler.start(0);
      await timers.tickAsync(0); // A
      for (let i = 0; i < 2; i++) {
        scheduler.stop();
        scheduler.start(0);
        await timers.tickAsync(MIN_REQUEST_GAP_MS); // B, then C: each waits for the run before it
      }
      releases.shift()!(); // A ends: B starts, C still waits for B
      await timers.tickAsync(0);
      scheduler.stop();
      scheduler.start(0);
      await timers.tickAsync(MIN_REQUEST_GAP_MS); // D waits for C
      for (let i = 0; i < 4; i++) {
        releases.shift()?.(); // B, C, D end in turn (each look starts the next run)
        await timers.tickAsync(MIN_REQUEST_GAP_MS);
      }
      assert.equal(most, 1, 'two runs at once');
      scheduler.stop();
      releases.forEach((release) => release());
    });

    it('never overlaps runs, and the stale run does not decide the new schedule', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      void scheduler.refresh();
      scheduler.stop();
      scheduler.start(0);
      assert.equal(scheduler.nextAt, t0 + MIN_REQUEST_GAP_MS, 'a new connection\'s first poll: 15 s after the window\'s last request');
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      await runs.finish({ kind: 'halt' }); // the stopped run ends (its client was replaced)
      await timers.tickAsync(0);
      assert.equal(runs.refused, 1, 'the new run asks nothing within 15 s of the stopped run\'s answer');
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      await runs.finish({ kind: 'ok' });
      assert.equal(runs.maxActive, 1, 'one run at a time');
      assert.equal(runs.count, 3, 'the new schedule ran');
      assert.equal(scheduler.phase, 'waiting', 'and polling goes on');
      assert.equal(timers.countTimers(), 1);
    });
  });

  describe('setInterval', () => {
    it('reschedules a waiting scheduler with the new interval', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.setInterval(20_000);
      assert.equal(scheduler.nextAt, timers.now + 20_000);
      assert.equal(timers.countTimers(), 1);
      await timers.nextAsync();
      assert.equal(scheduler.nextAt - timers.now, 20_000);
    });

    it('the same interval again moves nothing, though a new jitter would', async () => {
      const { runs, scheduler } = setup({}, sequence(0.5, 0.95));
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      const next = scheduler.nextAt;
      scheduler.setInterval(INTERVAL);
      assert.equal(scheduler.nextAt, next);
    });

    it('counts the new interval from the last run, not from the change', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      const ranAt = timers.now;
      await timers.tickAsync(10_000);
      scheduler.setInterval(2 * INTERVAL);
      assert.equal(scheduler.nextAt, ranAt + 2 * INTERVAL);
      scheduler.setInterval(MIN_INTERVAL_MS);
      assert.equal(scheduler.nextAt, ranAt + MIN_INTERVAL_MS, '5 s from now: 15 s after the last run');
    });

    it('before the first run, leaves it where start put it', async () => {
      const { timers, runs, scheduler, t0 } = setup({}, () => 0.5);
      scheduler.start(4000);
      scheduler.setInterval(20_000);
      assert.equal(scheduler.nextAt, t0 + 4000);
      await timers.tickAsync(4000);
      assert.equal(runs.count, 1);
    });

    it('while paused, applies when polling resumes', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      const ranAt = timers.now;
      scheduler.pause();
      scheduler.setInterval(2 * INTERVAL);
      assert.equal(scheduler.phase, 'paused');
      await timers.tickAsync(INTERVAL + 10_000);
      scheduler.resume();
      assert.equal(runs.count, 1, 'not due yet at the new interval');
      assert.equal(scheduler.nextAt, ranAt + 2 * INTERVAL);
    });

    it('after a halt, schedules nothing', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'halt' }];
      await scheduler.refresh();
      scheduler.setInterval(20_000);
      await timers.tickAsync(DEFAULT_MAX_BACKOFF_MS);
      assert.equal(runs.count, 1);
      assert.equal(scheduler.phase, 'halted');
    });

    it('does not cut a backoff short', async () => {
      const { timers, runs, scheduler } = setup({}, () => 0.5);
      runs.script = [{ kind: 'retry' }, { kind: 'retry' }];
      await scheduler.refresh();
      await timers.nextAsync();
      const next = scheduler.nextAt;
      scheduler.setInterval(1000);
      assert.equal(scheduler.nextAt, next);
    });
  });

  describe('every wait within the cap (trust at the edges)', () => {
    const CAP = DEFAULT_MAX_BACKOFF_MS;

    /** The delay the scheduler armed after one run answering `step`, and what onClamp saw. */
    async function delayAfter(step: PollStep, options: Partial<PollSchedulerOptions> = {}) {
      const clamps: Array<[number, number]> = [];
      const { timers, runs, scheduler } = setup({ onClamp: (requested, used) => clamps.push([requested, used]), ...options });
      runs.script = [step];
      await scheduler.refresh();
      return { delay: scheduler.nextAt! - timers.now, clamps };
    }

    it('a Retry-After of 30 days waits the cap, and says so', async () => {
      const { timers } = setup();
      const { delay, clamps } = await delayAfter({ kind: 'retry', notBefore: timers.now + 30 * 86_400_000 });
      assert.equal(delay, CAP);
      assert.equal(clamps.length, 1);
      assert.ok(clamps[0][0] > 30 * 86_400_000 - 1000 && clamps[0][1] === CAP);
    });

    it('an operating_reset_at of 1e400 (Infinity) waits the cap', async () => {
      const { delay, clamps } = await delayAfter({ kind: 'retry', notBefore: Infinity });
      assert.equal(delay, CAP);
      assert.deepEqual(clamps, [[Infinity, CAP]]);
    });

    it('a NaN notBefore is no portal wait: the backoff', async () => {
      const { delay, clamps } = await delayAfter({ kind: 'retry', notBefore: Number.NaN });
      assert.equal(delay, INTERVAL);
      assert.deepEqual(clamps, []);
    });

    it('a look far ahead (another window\'s snapshot) waits the cap; a NaN one waits for the gate', async () => {
      const far = await delayAfter({ kind: 'look', at: Date.now() + 365 * 86_400_000 });
      assert.equal(far.delay, CAP);
      assert.equal(far.clamps.length, 1);
      const nan = await delayAfter({ kind: 'look', at: Number.NaN });
      assert.equal(nan.delay, MIN_REQUEST_GAP_MS, 'the request just made: 15 s');
    });

    it('a look in the past is not a tight loop', async () => {
      const { clock, timers } = fakeTime();
      const startedAt: number[] = [];
      const scheduler = new PollScheduler(
        () => {
          startedAt.push(clock.now());
          return Promise.resolve({ kind: 'look', at: 0 });
        },
        { intervalMs: INTERVAL, clock },
      );
      scheduler.start(0);
      for (let i = 0; i < 3; i++) await timers.nextAsync();
      assert.deepEqual(startedAt.slice(1).map((t, i) => t - startedAt[i]), [1000, 1000]);
    });

    it('an interval of 3000000 s, Infinity or 1e308 polls hourly; -5 or 0 every 15 s; NaN every minute', () => {
      for (const [given, used] of [
        [3_000_000_000, MAX_INTERVAL_MS],
        [Infinity, MAX_INTERVAL_MS],
        [1e308, MAX_INTERVAL_MS],
        [-5000, MIN_INTERVAL_MS],
        [0, MIN_INTERVAL_MS],
        [Number.NaN, INTERVAL],
      ]) {
        assert.equal(setup({ intervalMs: given }).scheduler.intervalMs, used, String(given));
        const { scheduler } = setup();
        scheduler.setInterval(given);
        assert.equal(scheduler.intervalMs, used, `setInterval(${given})`);
      }
    });

    it('an hourly interval is its own cap: polls hourly, without a clamp report', async () => {
      const { delay, clamps } = await delayAfter({ kind: 'ok' }, { intervalMs: MAX_INTERVAL_MS });
      assert.equal(delay, MAX_INTERVAL_MS);
      assert.deepEqual(clamps, []);
    });

    it('start(900001) is clamped to the cap (found by the property test on a mutant without the clamp)', () => {
      const clamps: Array<[number, number]> = [];
      const { timers, scheduler } = setup({ jitter: 0, onClamp: (requested, used) => clamps.push([requested, used]) });
      scheduler.start(900_001);
      assert.equal(scheduler.nextAt! - timers.now, CAP);
      assert.deepEqual(clamps, [[900_001, CAP]]);
    });

    it('a wait armed under a long interval, the interval shrunk: resumed, it is cut to the cap; not paused, resume arms nothing (found by the property test)', async () => {
      for (const paused of [false, true]) {
        const { timers, runs, scheduler } = setup({ intervalMs: CAP + 1, jitter: 0 });
        runs.script = [{ kind: 'retry' }];
        await scheduler.refresh();
        assert.equal(scheduler.nextAt! - timers.now, CAP + 1, 'the interval is its own cap');
        if (paused) scheduler.pause();
        scheduler.setInterval(Number.NaN);
        const timersBefore = timers.countTimers();
        scheduler.resume();
        if (paused) assert.equal(scheduler.nextAt! - timers.now, CAP);
        else assert.deepEqual([scheduler.nextAt! - timers.now, timers.countTimers()], [CAP + 1, timersBefore], 'the timer set under the old cap stands');
      }
    });

    it('a step asking for an immediate retry still waits the minimum interval', async () => {
      const { delay } = await delayAfter({ kind: 'retry', notBefore: 0 }, { intervalMs: MIN_INTERVAL_MS, jitter: 0.5 }, );
      assert.ok(delay >= MIN_INTERVAL_MS, String(delay));
    });
  });

  describe('rate limit pace', () => {
    const LIMIT: PollStep = { kind: 'retry', slowDown: true };
    const OK: PollStep = { kind: 'ok' };
    type Env = ReturnType<typeof setup>;

    /** The pace of a rate cut to `rate` at `cutAt`, climbed until `now` (RateLimitPace's rule, written out). */
    const climbed = (rate: number, cutAt: number, now: number, interval = INTERVAL) =>
      1 / Math.min(1, rate * Math.exp((PROBE_PER_INTERVAL * (now - cutAt)) / interval));

    function near(actual: number, expected: number, what: string, tolerance = 1e-9): void {
      assert.ok(Math.abs(actual - expected) <= tolerance * expected, `${what}: ${actual}, expected ${expected}`);
    }

    /** The next scheduled run answers `step`; returns when it ran. */
    async function next(env: Env, step: PollStep): Promise<number> {
      env.runs.script = [step];
      await env.timers.nextAsync();
      return env.timers.now;
    }

    /** The normal wait just armed: the interval times the pace (no jitter: random 0.5), rounded to the ms. */
    function assertPacedWait(env: Env, interval = INTERVAL): void {
      const wait = env.scheduler.nextAt! - env.timers.now;
      assert.ok(Math.abs(wait - interval * env.scheduler.pace) <= 1, `wait ${wait}, pace ${env.scheduler.pace}`);
    }

    /** A scheduler that has polled at full speed for `minutes` since its first success. */
    async function polledFor(minutes: number): Promise<Env> {
      const env = setup();
      env.runs.script = [OK];
      await env.scheduler.refresh();
      for (let i = 0; i < minutes; i++) await next(env, OK);
      assert.equal(env.timers.now - env.t0, minutes * INTERVAL);
      assert.equal(env.scheduler.pace, 1);
      return env;
    }
    const CALM_MINUTES = CALM_MS / INTERVAL + 2;

    it('a rate limit cuts the rate to DECREASE: right after it the pace is 1/DECREASE, and the wait after the next success the interval times the pace', async () => {
      const env = setup();
      env.runs.script = [LIMIT];
      await env.scheduler.refresh();
      const cutAt = env.timers.now;
      assert.equal(env.scheduler.pace, 1 / DECREASE);
      await next(env, OK);
      near(env.scheduler.pace, climbed(DECREASE, cutAt, env.timers.now), 'the pace at the success');
      assert.ok(env.scheduler.nextAt! - env.timers.now > 1.5 * INTERVAL, 'slowed');
      assertPacedWait(env);
      await next(env, OK);
      assertPacedWait(env);
    });

    it('the pace climbs back with time, polling or not: half the cut regained after ln((1 + DECREASE) / 2 / DECREASE) / PROBE_PER_INTERVAL intervals, all of it after ln(1 / DECREASE) / PROBE_PER_INTERVAL', async () => {
      const paused = setup();
      const polling = setup();
      for (const env of [paused, polling]) {
        env.runs.script = [LIMIT];
        await env.scheduler.refresh();
      }
      paused.scheduler.pause();
      polling.runs.script = [OK];
      const half = Math.round((INTERVAL * Math.log((1 + DECREASE) / 2 / DECREASE)) / PROBE_PER_INTERVAL);
      const all = Math.ceil((INTERVAL * Math.log(1 / DECREASE)) / PROBE_PER_INTERVAL);
      const paces = [paused.scheduler.pace];
      for (let at = 10 * 60_000; at < half; at += 10 * 60_000) {
        await paused.timers.tickAsync(10 * 60_000);
        paces.push(paused.scheduler.pace);
        assert.ok(paces.at(-1)! < paces.at(-2)!, `paces every 10 min: ${paces.join(', ')}`);
      }
      await paused.timers.tickAsync(half - (paused.timers.now - paused.t0));
      await polling.timers.tickAsync(half);
      assert.ok(polling.runs.count > 50 && paused.runs.count === 1, `${polling.runs.count} and ${paused.runs.count} polls`);
      for (const env of [paused, polling]) near(env.scheduler.pace, 2 / (1 + DECREASE), 'half the cut regained', 1e-6); // half: rounded to the ms
      await paused.timers.tickAsync(all - 1000 - half);
      await polling.timers.tickAsync(all - 1000 - half);
      for (const env of [paused, polling]) assert.ok(env.scheduler.pace > 1, `still slowed a second before: ${env.scheduler.pace}`);
      await paused.timers.tickAsync(1000);
      await polling.timers.tickAsync(1000);
      for (const env of [paused, polling]) assert.equal(env.scheduler.pace, 1);
      await polling.timers.nextAsync();
      assert.equal(polling.scheduler.nextAt! - polling.timers.now, INTERVAL, 'back at the interval');
    });

    it('a calm client (CALM_MS since its first success): a run of refusals cuts once', async () => {
      const env = await polledFor(CALM_MINUTES);
      const cutAt = await next(env, LIMIT);
      assert.equal(env.scheduler.pace, 1 / DECREASE);
      assert.equal(LONG_RUN > 2, true, 'two refusals are not an outage');
      await next(env, LIMIT);
      near(env.scheduler.pace, climbed(DECREASE, cutAt, env.timers.now), 'the second refusal did not cut');
      await next(env, OK);
      near(env.scheduler.pace, climbed(DECREASE, cutAt, env.timers.now), 'the cut stays after the success');
      assertPacedWait(env);
    });

    it('before the client was ever calm, every refusal cuts (a whole office starting at once)', async () => {
      const env = await polledFor(CALM_MINUTES - 5);
      const firstAt = await next(env, LIMIT);
      const secondAt = await next(env, LIMIT);
      const rate = DECREASE * DECREASE * Math.exp((PROBE_PER_INTERVAL * (secondAt - firstAt)) / INTERVAL);
      near(env.scheduler.pace, 1 / rate, 'cut twice');
      await next(env, OK);
      near(env.scheduler.pace, climbed(rate, secondAt, env.timers.now), 'both cuts stay after the success');
      assertPacedWait(env);
    });

    it('a calm client\'s run of LONG_RUN refusals is an outage: undone at its success, the pace as if the run never happened; a shorter run stays cut', async () => {
      for (const run of [LONG_RUN - 1, LONG_RUN]) {
        const env = await polledFor(CALM_MINUTES);
        // An earlier cut, so the pace the outage must restore is not simply 1.
        const firstCutAt = await next(env, LIMIT);
        while (env.timers.now - firstCutAt < CALM_MS) await next(env, OK);
        const runAt = await next(env, LIMIT);
        for (let i = 1; i < run; i++) await next(env, LIMIT);
        await next(env, OK);
        const withoutRun = climbed(DECREASE, firstCutAt, env.timers.now);
        assert.ok(withoutRun > 1, 'the earlier cut not yet regained');
        if (run === LONG_RUN) near(env.scheduler.pace, withoutRun, `a run of ${run}: undone`);
        else near(env.scheduler.pace, climbed(DECREASE / climbed(DECREASE, firstCutAt, runAt), runAt, env.timers.now), `a run of ${run}: cut once`);
        assertPacedWait(env);
      }
    });

    it('a client is calm only CALM_MS after its last run: an outage soon after another is congestion, and stays cut', async () => {
      const env = await polledFor(CALM_MINUTES);
      await next(env, LIMIT);
      for (let i = 1; i < LONG_RUN; i++) await next(env, LIMIT);
      await next(env, OK);
      assert.equal(env.scheduler.pace, 1, 'the first outage undone');
      const runAt = await next(env, LIMIT);
      assert.ok(runAt - env.t0 < (CALM_MINUTES + CALM_MS / INTERVAL) * INTERVAL);
      for (let i = 1; i < LONG_RUN; i++) await next(env, LIMIT);
      await next(env, OK);
      near(env.scheduler.pace, climbed(DECREASE, runAt, env.timers.now), 'the second one cut once, and stays');
    });

    it('the retry after a rate limit comes after RATE_LIMIT_RETRY_MS (the interval when shorter) and doubles; a network failure\'s after the interval', async () => {
      const LONG = 5 * 60_000;
      assert.ok(LONG > RATE_LIMIT_RETRY_MS && MIN_INTERVAL_MS < RATE_LIMIT_RETRY_MS);
      for (const [step, interval, first] of [
        [LIMIT, LONG, RATE_LIMIT_RETRY_MS],
        [LIMIT, MIN_INTERVAL_MS, MIN_INTERVAL_MS],
        [{ kind: 'retry' }, LONG, LONG],
      ] as const) {
        const { timers, runs, scheduler } = setup({ intervalMs: interval });
        runs.script = [step];
        await scheduler.refresh();
        const gaps = [scheduler.nextAt! - timers.now];
        for (let i = 0; i < 6; i++) {
          await timers.nextAsync();
          gaps.push(scheduler.nextAt! - timers.now);
        }
        assert.deepEqual(gaps, gaps.map((_, i) => Math.min(DEFAULT_MAX_BACKOFF_MS, first * 2 ** i)), `${JSON.stringify(step)} at ${interval}`);
      }
    });

    it('Retry-After still decides a retry after a rate limit', async () => {
      const { timers, runs, scheduler } = setup();
      const notBefore = timers.now + 5 * INTERVAL;
      runs.script = [{ ...LIMIT, notBefore }];
      await scheduler.refresh();
      assert.ok(scheduler.nextAt! >= notBefore && scheduler.nextAt! <= notBefore + 1000);
    });

    it('a new connection (stop, start) forgets the slow-down: the old webhook\'s rate limit is not the new one\'s', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [LIMIT];
      await scheduler.refresh();
      assert.ok(scheduler.pace > 1);
      scheduler.stop();
      assert.equal(scheduler.pace, 1);
      runs.script = [OK];
      scheduler.start(MIN_REQUEST_GAP_MS);
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      assert.equal(runs.count, 2);
      assert.equal(scheduler.nextAt! - timers.now, INTERVAL, 'the plain interval');
    });

    it('however many refusals, the pace stays within the cap over the interval, and every wait within the cap', async () => {
      for (const maxBackoffMs of [DEFAULT_MAX_BACKOFF_MS, 4 * INTERVAL]) {
        const env = setup({ maxBackoffMs });
        const slowest = maxBackoffMs / INTERVAL;
        env.runs.script = [LIMIT];
        await env.scheduler.refresh();
        const waits: number[] = [];
        // Refused in a row, then every third poll: an office that stays over the limit.
        for (let i = 0; i < 60; i++) {
          await next(env, i < 20 || i % 3 === 2 ? LIMIT : OK);
          waits.push(env.scheduler.nextAt! - env.timers.now);
          assert.ok(env.scheduler.pace <= slowest, `pace ${env.scheduler.pace} over ${slowest}`);
          if (i === 19) assert.equal(env.scheduler.pace, slowest, 'slowed to the cap');
        }
        assert.ok(waits.every((w) => w >= RATE_LIMIT_RETRY_MS && w <= maxBackoffMs), `waits ${waits.join(', ')}`);
        assert.ok(waits.some((w) => w > 2 * INTERVAL), `normal waits slowed: ${waits.join(', ')}`);
      }
    });

    it('a new interval keeps the pace a multiplier within the cap over it, and the slow-down with it', async () => {
      const env = setup();
      env.runs.script = [LIMIT];
      await env.scheduler.refresh();
      let cutAt = 0;
      for (let i = 0; i < 10; i++) cutAt = await next(env, LIMIT);
      await next(env, OK);
      near(env.scheduler.pace, climbed(INTERVAL / DEFAULT_MAX_BACKOFF_MS, cutAt, env.timers.now), 'the slowest pace, climbed since');
      assertPacedWait(env);
      const LONG = 5 * INTERVAL;
      env.scheduler.setInterval(LONG);
      near(env.scheduler.pace, DEFAULT_MAX_BACKOFF_MS / LONG, 'the cap over the longer interval');
      assertPacedWait(env, LONG);
      env.scheduler.setInterval(MIN_INTERVAL_MS);
      assert.ok(env.scheduler.pace > 1 && env.scheduler.pace <= DEFAULT_MAX_BACKOFF_MS / MIN_INTERVAL_MS, `pace ${env.scheduler.pace}`);
      assertPacedWait(env, MIN_INTERVAL_MS);
    });
  });

  describe('a refresh while paused', () => {
    it('runs once and goes back to paused, due an interval after it', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(30_000);
      await scheduler.refresh();
      assert.equal(runs.count, 2);
      assert.equal(scheduler.phase, 'paused');
      assert.equal(timers.countTimers(), 0);
      await timers.tickAsync(10 * INTERVAL);
      assert.equal(runs.count, 2, 'no poll while the window stays unfocused');
      const resumedAt = timers.now;
      scheduler.resume();
      await timers.tickAsync(0);
      assert.equal(runs.count, 3, 'the numbers are old by now: at once on focus');
      assert.equal(runs.startedAt[2], resumedAt);
    });

    it('a retry in pause stays paused too (found by the property test on a mutant)', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.start(0);
      scheduler.pause();
      runs.script = [{ kind: 'retry' }];
      await scheduler.refresh();
      assert.equal(scheduler.phase, 'paused');
      await timers.tickAsync(DEFAULT_MAX_BACKOFF_MS);
      assert.equal(runs.count, 1);
    });

    it('from halted, an unfocused window polls once on Refresh and then holds', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'halt' }, { kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      const answered = scheduler.refresh();
      assert.equal(scheduler.phase, 'waiting', 'the second Refresh within 15 s waits, paused or not');
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      await answered;
      assert.equal(scheduler.phase, 'paused');
      await timers.tickAsync(10 * INTERVAL);
      assert.equal(runs.count, 2);
    });
  });

  describe('explicit asks (refresh) at the gate', () => {
    it('a second refresh within 15 s of the first is deferred to 15 s after it; more clicks join it', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      await timers.tickAsync(4000);
      let answered = 0;
      for (let i = 0; i < 3; i++) {
        void scheduler.refresh().then(() => answered++);
        await timers.tickAsync(1000);
      }
      assert.equal(runs.count, 1);
      assert.equal(scheduler.nextAt, t0 + MIN_REQUEST_GAP_MS, 'the state says when');
      await timers.tickAsync(t0 + MIN_REQUEST_GAP_MS - timers.now);
      assert.equal(runs.count, 2, 'one run for the three clicks');
      assert.equal(answered, 3);
      assert.deepEqual(runs.startedAt, [t0, t0 + MIN_REQUEST_GAP_MS]);
      assert.equal(runs.refused, 0);
    });

    it('a refresh asks before the portal\'s notBefore', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'retry', notBefore: timers.now + 10 * INTERVAL }, { kind: 'ok' }];
      await scheduler.refresh();
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      await scheduler.refresh();
      assert.equal(runs.count, 2);
      assert.equal(scheduler.consecutiveFailures, 0, 'its answer was good');
    });
  });

  describe('soon: a gesture asks as soon as the gate allows', () => {
    it('on a scheduler never started or stopped: nothing', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.soon();
      scheduler.newQuestion();
      await timers.tickAsync(DEFAULT_MAX_BACKOFF_MS);
      assert.equal(runs.count, 0);
      assert.equal(scheduler.phase, 'stopped');
      runs.script = [{ kind: 'ok' }];
      scheduler.start(0);
      await timers.tickAsync(0);
      assert.equal(scheduler.nextAt! - timers.now, INTERVAL, 'the gestures before the start left no mark');
      scheduler.stop();
      scheduler.soon();
      await timers.tickAsync(DEFAULT_MAX_BACKOFF_MS);
      assert.equal(runs.count, 1);
      assert.equal(scheduler.phase, 'stopped');
    });

    it('during a run that halts: halted, even after other filters brought an earlier run forward', async () => {
      const { timers, runs, scheduler } = setup();
      scheduler.start(0);
      await timers.tickAsync(0);
      scheduler.newQuestion();
      await runs.finish({ kind: 'ok' });
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      assert.equal(runs.count, 2, 'the new question asked as soon as allowed');
      scheduler.soon();
      await runs.finish({ kind: 'halt' });
      await timers.tickAsync(DEFAULT_MAX_BACKOFF_MS);
      assert.equal(runs.count, 2, 'a gesture does not undo a halt');
      assert.equal(scheduler.phase, 'halted');
    });

    it('5 s after a request: 15 s after it, and nextAt says so', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      await timers.tickAsync(5000);
      scheduler.soon();
      assert.equal(scheduler.nextAt, t0 + MIN_REQUEST_GAP_MS);
      await timers.tickAsync(MIN_REQUEST_GAP_MS - 5000 - 1);
      assert.equal(runs.count, 1);
      await timers.tickAsync(1);
      assert.equal(runs.count, 2);
      assert.equal(runs.refused, 0);
    });

    it('long after the last request: at once; never later than the run was due', async () => {
      const { timers, runs, scheduler, gate } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      await timers.tickAsync(INTERVAL - 3000);
      scheduler.soon();
      assert.equal(scheduler.nextAt, timers.now, 'at once');
      await timers.tickAsync(0);
      assert.equal(runs.count, 2);
      await timers.tickAsync(INTERVAL - 3000);
      assert.ok(gate.pass('explicit'), 'Connect\'s check, 3 s before the poll is due');
      const due = scheduler.nextAt;
      scheduler.soon();
      assert.equal(scheduler.nextAt, due, 'not moved to 15 s after the check');
    });

    it('while failing: the retry stays where the backoff or the portal put it, and so does the failure count', async () => {
      const { timers, runs, scheduler, phases } = setup();
      const notBefore = timers.now + 10 * INTERVAL;
      runs.script = [{ kind: 'retry', notBefore }, { kind: 'retry' }];
      await scheduler.refresh();
      const retry = scheduler.nextAt;
      const changes = phases.length;
      for (let i = 0; i < 5; i++) {
        scheduler.soon();
        await timers.tickAsync(1000);
      }
      assert.equal(phases.length, changes, 'nothing moved, nothing re-armed (no state update to render)');
      assert.equal(runs.count, 1);
      assert.equal(scheduler.nextAt, retry);
      assert.equal(scheduler.consecutiveFailures, 1);
      await timers.tickAsync(retry! - timers.now);
      assert.equal(runs.count, 2);
      assert.equal(scheduler.consecutiveFailures, 2);
      const backoff = scheduler.nextAt;
      scheduler.soon();
      assert.equal(scheduler.nextAt, backoff, 'the backoff holds a gesture too');
    });

    it('during a run: the next run when the gate allows after it, not at once', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      void scheduler.refresh();
      scheduler.soon();
      await timers.tickAsync(2000);
      await runs.finish();
      assert.equal(scheduler.nextAt, t0 + 2000 + MIN_REQUEST_GAP_MS, '15 s after the answer');
    });

    it('while paused: no run; on resume, as soon as allowed', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(20_000);
      scheduler.soon();
      assert.equal(scheduler.phase, 'paused');
      await timers.tickAsync(INTERVAL);
      assert.equal(runs.count, 1);
      scheduler.resume();
      await timers.tickAsync(0);
      assert.equal(runs.count, 2);
    });

    it('after a halt, nothing: only the user can fix it', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'halt' }];
      await scheduler.refresh();
      scheduler.soon();
      assert.equal(scheduler.phase, 'halted');
      await timers.tickAsync(DEFAULT_MAX_BACKOFF_MS);
      assert.equal(runs.count, 1);
    });

    it('a new question after a halt restarts polling, when the gate allows; stopped, nothing', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      runs.script = [{ kind: 'halt' }, { kind: 'ok' }];
      await scheduler.refresh();
      scheduler.newQuestion();
      assert.equal(scheduler.phase, 'waiting');
      assert.equal(scheduler.nextAt, t0 + MIN_REQUEST_GAP_MS);
      await timers.tickAsync(MIN_REQUEST_GAP_MS);
      assert.equal(runs.count, 2);
      scheduler.stop();
      scheduler.newQuestion();
      scheduler.soon();
      assert.equal(scheduler.phase, 'stopped');
      assert.equal(timers.countTimers(), 0);
    });

    it('a new question during a run that halts on the old one: asked when the gate allows; a gesture then: halted', async () => {
      for (const newQuestion of [true, false]) {
        const { timers, runs, scheduler } = setup();
        void scheduler.refresh();
        if (newQuestion) scheduler.newQuestion();
        else scheduler.soon();
        await runs.finish({ kind: 'halt' });
        assert.equal(scheduler.phase, newQuestion ? 'waiting' : 'halted');
        assert.equal(scheduler.nextAt, newQuestion ? timers.now + MIN_REQUEST_GAP_MS : undefined);
      }
    });

    it('a run the gate refuses (a request of another kind went first) looks again when it opens', async () => {
      const { timers, runs, scheduler, gate } = setup();
      runs.script = [{ kind: 'ok' }];
      scheduler.start(INTERVAL);
      await timers.tickAsync(INTERVAL - 5000);
      assert.equal(gate.pass('explicit'), true, 'Connect\'s check');
      await timers.tickAsync(5000);
      assert.equal(runs.refused, 1);
      assert.equal(scheduler.nextAt, timers.now + MIN_REQUEST_GAP_MS - 5000);
      await timers.tickAsync(MIN_REQUEST_GAP_MS - 5000);
      assert.equal(runs.count, 2);
      assert.equal(runs.refused, 1);
    });
  });

  describe('a wall clock that jumps (monotonic waits)', () => {
    const HOUR = 3600_000;

    it('forward while paused: resume still waits the rest of the interval', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      await timers.tickAsync(2000);
      timers.setSystemTime(timers.now + HOUR);
      await timers.tickAsync(4000);
      scheduler.resume();
      assert.equal(scheduler.nextAt, timers.now + INTERVAL - 6000, 'shown in wall time: now plus the rest');
      await timers.tickAsync(INTERVAL - 6000 - 1);
      assert.equal(runs.count, 1);
      await timers.tickAsync(1);
      assert.equal(runs.count, 2);
    });

    it('forward, then a new interval: counted from the last run', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      await timers.tickAsync(1000);
      timers.setSystemTime(timers.now + HOUR);
      await timers.tickAsync(100);
      scheduler.setInterval(20_000);
      assert.equal(scheduler.nextAt, timers.now + 20_000 - 1100);
    });

    it('backward while paused: resume after the interval runs at once', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      scheduler.pause();
      timers.setSystemTime(timers.now - HOUR);
      await timers.tickAsync(INTERVAL + 1000);
      scheduler.resume();
      await timers.tickAsync(0);
      assert.equal(runs.count, 2);
    });

    it('a gesture after a backward jump still waits only 15 s from the last request', async () => {
      const { timers, runs, scheduler, t0 } = setup();
      runs.script = [{ kind: 'ok' }];
      await scheduler.refresh();
      timers.setSystemTime(timers.now - HOUR);
      await timers.tickAsync(5000);
      scheduler.soon();
      assert.equal(scheduler.nextAt, t0 - HOUR + MIN_REQUEST_GAP_MS);
      await timers.tickAsync(10_000);
      assert.equal(runs.count, 2);
    });

    it('the slow-down after a rate limit decays with monotonic time, not a jump', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'retry', slowDown: true }];
      await scheduler.refresh();
      scheduler.pause();
      timers.setSystemTime(timers.now + HOUR);
      assert.equal(scheduler.pace, 1 / DECREASE);
    });

    it('the portal\'s notBefore is a wall time, turned into a wait when it comes', async () => {
      const { timers, runs, scheduler } = setup();
      runs.script = [{ kind: 'retry', notBefore: timers.now + 10 * INTERVAL }];
      await scheduler.refresh();
      const wait = scheduler.nextAt! - timers.now;
      timers.setSystemTime(timers.now + HOUR);
      scheduler.soon();
      await timers.tickAsync(wait - 1);
      assert.equal(runs.count, 1, 'the jump does not shorten the portal\'s wait');
      await timers.tickAsync(1);
      assert.equal(runs.count, 2);
    });
  });

  describe('onChange', () => {
    it('reports every phase change, with nextAt already updated', async () => {
      const { timers, runs, scheduler, phases, nextAts, t0 } = setup({}, () => 0.5);
      scheduler.start(3000);
      await timers.nextAsync();
      await runs.finish();
      scheduler.pause();
      scheduler.stop();
      assert.deepEqual(phases, ['waiting', 'running', 'waiting', 'paused', 'stopped']);
      assert.deepEqual(nextAts, [t0 + 3000, undefined, t0 + 3000 + INTERVAL, undefined, undefined]);
    });

    it('reports halted', async () => {
      const { runs, scheduler, phases } = setup();
      runs.script = [{ kind: 'halt' }];
      await scheduler.refresh();
      assert.deepEqual(phases, ['running', 'halted']);
    });
  });
});
