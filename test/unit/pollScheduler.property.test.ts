/**
 * PollScheduler against any interval, any step and any user action, in fake time, with a run
 * that passes the request gate before its request as the poller's does (a run the gate refuses
 * makes no request and looks again). After every action (and inside every tick, for what
 * happens between actions) it checks:
 *
 * (a) never two runs at once;
 * (b) every delay the scheduler hands its clock is an integer in [0, the cap] (the backoff cap,
 *     or the interval when that is longer): never NaN or Infinity, never past setTimeout's limit;
 * (c) no request comes within MIN_INTERVAL_MS of the previous request or its answer, but the
 *     one answering the user's explicit ask (refresh); explicit ones never within
 *     MIN_INTERVAL_MS of each other; a run the scheduler starts by itself comes at least
 *     MIN_FOLLOW_MS after a run that asked nothing (a look). All counted on the monotonic
 *     clock: the wall clock jumps both ways (`jump`);
 * (d) after a halt, no run until refresh or newQuestion (or a new start after stop), not on soon;
 * (e) while paused, no run but one for the user's explicit ask; after it, paused (or halted)
 *     again; an explicit ask is answered by a request (or the scheduler stopped), never dropped;
 * (f) back at the interval within the recovery window: a rate limit is isolated when none came in
 *     the window before it, and its window is RECOVERY_MS; one while still recovering multiplies
 *     the window by WINDOW_GROWTH, up to MAX_RECOVERY_MS. A calm client (no rate limit since its
 *     first success, or since its last one, for RECOVERY_MS, and not recovering) that meets one
 *     absorbs the further ones until its next normal wait: an outage, counted as one isolated rate
 *     limit. An ok step decided a window or more after the last counted rate limit waits the plain
 *     jittered interval, one decided earlier ends by the window's end plus one full-speed wait:
 *     after an isolated rate limit with only ok steps after it, back at the interval within 10
 *     minutes;
 * (g) sustained overload stays slowed: after a rate limit while still recovering (and the same
 *     interval since), an ok step decided inside the window waits at least the plain jittered
 *     interval times 1 + (SLOW_FACTOR - 1) × the share of the window still ahead (within the
 *     cap, and SLOW_FACTOR at most the cap over the interval): the pace comes back no faster than
 *     an isolated cut spread over the grown window;
 * (h) the failure count changes only when a run's answer comes (+1 on retry, 0 on ok and halt,
 *     unchanged on a look) or on stop: never on refresh, soon, newQuestion, pause, resume,
 *     setInterval;
 * (i) while failing, soon never brings a request before the retry the answer set (the
 *     backoff, or the portal's notBefore up to the cap);
 * (j) an outage ends fast: after one met while calm (any number of rate limits in a row), an ok
 *     step decided RECOVERY_MS or more after its last rate limit, with none since, waits the plain
 *     jittered interval: back at the interval within 10 minutes of the outage's end, however long
 *     it lasted.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  clampInterval,
  DEFAULT_MAX_BACKOFF_MS,
  MAX_RECOVERY_MS,
  MIN_FOLLOW_MS,
  MIN_INTERVAL_MS,
  PollScheduler,
  PollStep,
  RECOVERY_MS,
  SLOW_FACTOR,
  WINDOW_GROWTH,
} from '../../src/core/pollScheduler';
import { seededRandom } from '../sim/fleet';
import { fakeTime } from './fakeTime';
import { propertyRuns } from './propertyRuns';

type Action =
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'refresh' | 'soon' | 'newQuestion' | 'pause' | 'resume' | 'stop' }
  | { readonly kind: 'setInterval' | 'start'; readonly ms: number }
  /** The wall clock moves by `ms` (either way); the monotonic clock and the timers do not. */
  | { readonly kind: 'jump'; readonly ms: number };

const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e7, max: 1e7 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 3_000_000_000, 2 ** 31, 1e308, 0, 15_000, 60_000),
);
/** A time relative to now: past, near, far future, or not a time at all. */
const anyOffset = fc.oneof(
  fc.integer({ min: -3600_000, max: 3600_000 }),
  fc.constantFrom(30 * 86_400_000, Infinity, Number.NaN, -Infinity, 0),
);
/** A step as data (readable in a counterexample); times relative to the run's end (wall). */
export type StepSpec =
  | { readonly kind: 'ok' }
  | { readonly kind: 'look'; readonly atIn?: number }
  | { readonly kind: 'retry'; readonly notBeforeIn?: number; readonly slowDown: boolean }
  | { readonly kind: 'halt' };

function toStep(spec: StepSpec, now: number): PollStep {
  switch (spec.kind) {
    case 'look':
      return spec.atIn === undefined ? { kind: 'look' } : { kind: 'look', at: now + spec.atIn };
    case 'retry':
      return { kind: 'retry', notBefore: spec.notBeforeIn === undefined ? undefined : now + spec.notBeforeIn, slowDown: spec.slowDown };
    case 'ok':
    case 'halt':
      return spec;
  }
}

const step: fc.Arbitrary<StepSpec> = fc.oneof(
  fc.constant<StepSpec>({ kind: 'ok' }),
  fc.option(anyOffset, { nil: undefined }).map((atIn): StepSpec => ({ kind: 'look', atIn })),
  fc.record({ notBeforeIn: fc.option(anyOffset, { nil: undefined }), slowDown: fc.boolean() }).map((r): StepSpec => ({ kind: 'retry', ...r })),
  fc.constant<StepSpec>({ kind: 'halt' }),
);
const outcome = fc.record({ step, durationMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 120_000 })) });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 * 60_000 }).map((ms): Action => ({ kind: 'tick', ms })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Action>(
      { kind: 'refresh' },
      { kind: 'soon' },
      { kind: 'newQuestion' },
      { kind: 'pause' },
      { kind: 'resume' },
      { kind: 'stop' },
    ),
  },
  { weight: 1, arbitrary: anyNumber.map((ms): Action => ({ kind: 'setInterval', ms })) },
  { weight: 1, arbitrary: anyNumber.map((ms): Action => ({ kind: 'start', ms })) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer({ min: -7 * 86_400_000, max: 7 * 86_400_000 }), fc.constantFrom(3600_000, -3600_000)).map(
      (ms): Action => ({ kind: 'jump', ms }),
    ),
  },
);

export interface Scenario {
  readonly intervalMs: number;
  readonly jitter: number;
  /** The scheduler's random source (jitter). */
  readonly seed: number;
  readonly outcomes: ReadonlyArray<{ readonly step: StepSpec; readonly durationMs: number }>;
  readonly actions: readonly Action[];
}

/** How many ok steps (g) and (j) checked in a scenario. */
export interface Checked {
  readonly sustained: number;
  readonly afterOutage: number;
}

/** Plays a scenario, asserting (a)–(j) as it goes. Exported for the example tests. */
export async function play({ intervalMs, jitter, seed, outcomes, actions }: Scenario): Promise<Checked> {
  const { clock, timers } = fakeTime();
  const mono = () => clock.monotonic();
  const random = seededRandom(seed);
  /** The random value behind the latest delay: an ok step's wait is its only draw. */
  let lastRandom = 0;
  let active = 0;
  let runIndex = 0;
  /** Monotonic: the last request's start and its answer, the last explicit request. */
  let lastRequest: { at: number; answeredAt?: number } | undefined;
  let lastExplicitAt: number | undefined;
  /** The end of the last run that asked nothing (a look), for the MIN_FOLLOW_MS floor. */
  let lastLookEnd: number | undefined;
  /** A run the user caused (refresh, soon, start after stop) is due: exempt from the look floor. */
  let userRunPending = false;
  /** The user's explicit ask waits for a request; refresh promises not settled yet. */
  let askPending = false;
  let unsettled = 0;
  let halted = false;
  let holding = false;
  let refreshedInPause = false;
  let expectedFailures = 0;
  /** Monotonic: the retry a failed answer set; soon must not bring a request before it (i). */
  let retryNotBefore: number | undefined;
  /** The last rate limit, the recovery window from it, and (while recovering) the interval then. */
  let lastSlowAt: number | undefined;
  let window = RECOVERY_MS;
  let chainedAtInterval: number | undefined;
  let sustainedChecks = 0;
  /** The calm-outage state: first normal wait, latest rate limit (absorbed too), absorbing. */
  let pacedSince: number | undefined;
  let lastLimitedAt: number | undefined;
  let absorbing = false;
  /** The last rate limit of an outage met while calm, while no rate limit was counted since. */
  let outageEnd: number | undefined;
  let outageChecks = 0;
  /** The step just handed back, until the scheduler's reaction to it (a timer) is seen. */
  let justEnded: { step: PollStep; at: number; rerun: boolean } | undefined;
  /** A refresh or soon during the run: the timer after it is theirs, not the step's (f). */
  let rerunPending = false;
  /** Bumped by stop: a run from before ends, but the scheduler ignores its step. */
  let generation = 0;
  /**
   * The first failed check. The checks run inside the scheduler's own calls (its run, its
   * timers), where the scheduler catches a throw (a run that throws is a retryable failure) or
   * drops it in a promise nobody awaits: kept here and thrown after the action.
   */
  let failure: { readonly error: unknown } | undefined;
  const checked = <T>(check: () => T): T => {
    try {
      return check();
    } catch (error) {
      failure ??= { error };
      throw error;
    }
  };

  const scheduler: PollScheduler = new PollScheduler(
    () => checked(() => {
      assert.equal(active, 0, '(a) two runs at once');
      const now = mono();
      assert.equal(scheduler.consecutiveFailures, expectedFailures, '(h) the failure count changed without an answer');
      if (userRunPending) {
        userRunPending = false;
      } else {
        assert.ok(!halted, '(d) a run after a halt without refresh or newQuestion');
        assert.ok(!holding || askPending, '(e) a run while paused, not for an explicit ask');
        if (lastLookEnd !== undefined && !askPending) assert.ok(now - lastLookEnd >= MIN_FOLLOW_MS, `(c) run ${now - lastLookEnd} ms after a look`);
      }
      active++;
      const started = generation;
      // Like the poller: a look at another window's answer asks nothing; the user's explicit ask
      // never follows; a request passes the gate first, or the run looks again when it opens.
      const next = outcomes[runIndex++ % outcomes.length];
      const explicitDue = scheduler.gate.explicitPending && scheduler.gate.pollOpenAt() <= now;
      const follows = next.step.kind === 'look' && !explicitDue;
      const request = !follows && scheduler.gate.passPoll();
      const explicit = request && askPending;
      if (request) {
        if (explicit) {
          if (lastExplicitAt !== undefined) assert.ok(now - lastExplicitAt >= MIN_INTERVAL_MS, `(c) explicit requests ${now - lastExplicitAt} ms apart`);
          lastExplicitAt = now;
          askPending = false;
        } else if (lastRequest) {
          const since = now - Math.max(lastRequest.at, lastRequest.answeredAt ?? -Infinity);
          assert.ok(since >= MIN_INTERVAL_MS, `(c) a request ${since} ms after the last request or its answer`);
          if (retryNotBefore !== undefined) assert.ok(now >= retryNotBefore, `(i) a request ${retryNotBefore - now} ms before the retry`);
        }
        lastRequest = { at: now };
      }
      const spec: StepSpec = follows ? next.step : !request ? { kind: 'look' } : next.step.kind === 'look' ? { kind: 'ok' } : next.step;
      const durationMs = request || follows ? next.durationMs : 0;
      const current = lastRequest;
      return new Promise<PollStep>((resolve) => {
        timers.setTimeout(() => {
          active--;
          const s = toStep(spec, clock.now());
          const end = mono();
          if (request && current) current.answeredAt = end;
          if (started === generation) {
            justEnded = { step: s, at: end, rerun: rerunPending };
            lastLookEnd = s.kind === 'look' ? end : undefined;
            if (s.kind === 'retry') expectedFailures++;
            else if (s.kind !== 'look') expectedFailures = 0;
            if (s.kind !== 'look') retryNotBefore = undefined;
            if (s.kind === 'retry' && s.slowDown) {
              const calmSince = Math.max(pacedSince ?? end, lastLimitedAt ?? -Infinity);
              lastLimitedAt = end;
              if (absorbing) {
                outageEnd = end;
              } else {
                const recovering = lastSlowAt !== undefined && end < lastSlowAt + window;
                absorbing = !recovering && end - calmSince >= RECOVERY_MS;
                outageEnd = absorbing ? end : undefined;
                window = recovering ? Math.min(MAX_RECOVERY_MS, WINDOW_GROWTH * window) : RECOVERY_MS;
                chainedAtInterval = recovering ? scheduler.intervalMs : undefined;
                lastSlowAt = end;
              }
            }
            if (s.kind === 'ok') {
              // A normal wait: the client's first success starts its calm, and an outage is over.
              pacedSince ??= end;
              absorbing = false;
            }
          }
          rerunPending = false;
          resolve(s);
        }, durationMs);
      });
    }),
    {
      intervalMs,
      jitter,
      random: () => (lastRandom = random()),
      onChange: () => {
        if (scheduler.phase === 'paused') justEnded = undefined; // no timer: nothing to check
        if (scheduler.phase !== 'halted') return;
        halted = true;
        justEnded = undefined; // no timer follows a halt
      },
      clock: {
        now: () => clock.now(),
        monotonic: mono,
        clearTimeout: (timer) => clock.clearTimeout(timer),
        setTimeout: (callback, ms) =>
          checked(() => {
            const cap = Math.max(DEFAULT_MAX_BACKOFF_MS, scheduler.intervalMs);
            assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= cap, `(b) delay ${ms}, cap ${cap}`);
            if (justEnded) checkReaction(justEnded, ms);
            justEnded = undefined;
            return clock.setTimeout(callback, ms);
          }),
      },
    },
  );

  /** The scheduler's timer right after a run ended: (f), (g), and the retry (i) holds soon to. */
  function checkReaction(ended: { step: PollStep; at: number; rerun: boolean }, ms: number): void {
    if (scheduler.gate.explicitPending) return; // the timer is the explicit ask's
    const { step: s, at } = ended;
    if (s.kind === 'retry') retryNotBefore = at + ms; // a gesture during the run does not move it
    if (ended.rerun) return; // a gesture's: sooner than the step's wait
    if (s.kind === 'ok' && outageEnd !== undefined && at >= outageEnd + RECOVERY_MS) {
      const interval = scheduler.intervalMs;
      const plain = interval * (1 - jitter + 2 * jitter * lastRandom);
      const expected = Math.min(Math.max(DEFAULT_MAX_BACKOFF_MS, interval), Math.max(MIN_INTERVAL_MS, plain));
      assert.ok(Math.abs(ms - expected) <= 1, `(j) ${ms} ms ${at - outageEnd} ms after an outage, not the plain ${plain}`);
      outageChecks++;
    }
    if (s.kind === 'ok' && lastSlowAt !== undefined) {
      const interval = scheduler.intervalMs;
      const cap = Math.max(DEFAULT_MAX_BACKOFF_MS, interval);
      const plain = interval * (1 - jitter + 2 * jitter * lastRandom);
      const high = Math.min(cap, Math.round(interval * (1 + jitter)));
      if (at >= lastSlowAt + window) {
        const low = Math.max(MIN_INTERVAL_MS, Math.round(interval * (1 - jitter)));
        assert.ok(ms >= low - 1 && ms <= high + 1, `(f) ${ms} ms after recovery, interval ${interval}`);
        assert.ok(Math.abs(ms - Math.min(cap, Math.max(MIN_INTERVAL_MS, plain))) <= 1, `(f) ${ms} ms, not the plain ${plain}`);
      } else {
        assert.ok(at + ms <= lastSlowAt + window + high + 1, `(f) waits ${ms} ms, past the recovery window ${window}`);
        if (chainedAtInterval === interval) {
          const ahead = 1 - (at - lastSlowAt) / window;
          const slowest = Math.min(SLOW_FACTOR, Math.max(1, DEFAULT_MAX_BACKOFF_MS / interval));
          const least = Math.min(cap, Math.max(MIN_INTERVAL_MS, plain * (1 + (slowest - 1) * ahead)));
          assert.ok(ms >= least - 1, `(g) ${ms} ms after a sustained rate limit, less than ${least}`);
          sustainedChecks++;
        }
      }
    }
  }

  const afterAction = () => {
    if (failure) throw failure.error;
    if (scheduler.phase !== 'running') assert.equal(scheduler.consecutiveFailures, expectedFailures, '(h) the failure count changed without an answer');
    const settling = scheduler.phase === 'running' || askPending || (scheduler.phase === 'waiting' && scheduler.nextAt === clock.now());
    if (refreshedInPause && !settling) {
      assert.ok(['paused', 'halted'].includes(scheduler.phase), `(e) ${scheduler.phase} after a refresh in pause`);
      refreshedInPause = false;
    }
  };

  scheduler.start(0);
  for (const a of actions) {
    switch (a.kind) {
      case 'tick':
        await timers.tickAsync(a.ms);
        break;
      case 'jump':
        timers.setSystemTime(clock.now() + a.ms);
        break;
      case 'refresh':
        userRunPending = true;
        askPending = true;
        halted = false;
        if (scheduler.phase === 'running') rerunPending = true;
        if (holding) refreshedInPause = true;
        unsettled++;
        void scheduler.refresh().then(() => unsettled--);
        break;
      case 'soon':
      case 'newQuestion':
        if (scheduler.phase !== 'stopped' && (a.kind === 'newQuestion' || scheduler.phase !== 'halted')) {
          userRunPending = true;
          if (a.kind === 'newQuestion') halted = false;
          if (scheduler.phase === 'running') rerunPending = true;
        }
        scheduler[a.kind]();
        break;
      case 'pause':
        scheduler.pause();
        holding = scheduler.phase !== 'stopped';
        break;
      case 'resume':
        scheduler.resume();
        holding = false;
        refreshedInPause = false;
        break;
      case 'stop':
        scheduler.stop();
        ({ halted, holding, refreshedInPause, rerunPending, askPending } = {
          halted: false, holding: false, refreshedInPause: false, rerunPending: false, askPending: false,
        });
        generation++;
        lastLookEnd = undefined;
        lastSlowAt = undefined;
        ({ pacedSince, lastLimitedAt, absorbing, outageEnd } = { pacedSince: undefined, lastLimitedAt: undefined, absorbing: false, outageEnd: undefined });
        justEnded = undefined;
        userRunPending = false;
        expectedFailures = 0;
        retryNotBefore = undefined;
        break;
      case 'setInterval':
        if (scheduler.phase === 'waiting' && scheduler.consecutiveFailures === 0 && clampInterval(a.ms) !== scheduler.intervalMs) {
          // Rescheduled with a normal wait, like the one after a success.
          pacedSince ??= mono();
          absorbing = false;
        }
        scheduler.setInterval(a.ms);
        assert.equal(scheduler.intervalMs, clampInterval(a.ms));
        break;
      case 'start':
        if (scheduler.phase === 'stopped') userRunPending = true;
        scheduler.start(a.ms);
        break;
    }
    afterAction();
  }
  await timers.tickAsync(RECOVERY_MS);
  afterAction();
  assert.equal(unsettled, 0, '(e) an explicit ask never answered');
  scheduler.stop();
  return { sustained: sustainedChecks, afterOutage: outageChecks };
}

describe('PollScheduler properties (fast-check, fake time)', () => {
  const jitter = fc.double({ min: 0, max: 0.5, noNaN: true });

  it('holds (a)–(j) for any interval, steps, user actions and clock jumps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          intervalMs: anyNumber,
          jitter,
          seed: fc.integer(),
          outcomes: fc.array(outcome, { minLength: 1, maxLength: 8 }),
          actions: fc.array(action, { maxLength: 40 }),
        }),
        async (scenario) => {
          await play(scenario);
        },
      ),
      propertyRuns(200),
    );
  });

  it('holds (a)–(j) under a rate limit every k polls, then only ok ones, and (g) is exercised', async () => {
    // Intervals and k small enough that the next rate limit comes inside the first window.
    const sustained = fc
      .record({
        intervalMs: fc.integer({ min: MIN_INTERVAL_MS, max: 90_000 }),
        jitter,
        seed: fc.integer(),
        k: fc.integer({ min: 2, max: 4 }),
        limits: fc.integer({ min: 2, max: 8 }),
        durationMs: fc.integer({ min: 0, max: 20_000 }),
        hours: fc.integer({ min: 1, max: 6 }),
      })
      .map(({ k, limits, durationMs, hours, ...rest }): Scenario => ({
        ...rest,
        outcomes: Array.from({ length: k * limits + 400 }, (_, i) => ({
          step: i < k * limits && i % k === k - 1 ? { kind: 'retry', slowDown: true } : { kind: 'ok' },
          durationMs,
        })),
        actions: Array.from({ length: hours * 6 }, (): Action => ({ kind: 'tick', ms: 10 * 60_000 })),
      }));
    await fc.assert(
      fc.asyncProperty(sustained, async (scenario) => {
        assert.ok((await play(scenario)).sustained > 0, '(g) never checked');
      }),
      propertyRuns(50),
    );
  });

  it('holds (a)–(j) through an outage of any length met while calm, and (j) is exercised', async () => {
    // Polls at full speed for a whole recovery window, then n rate limits in a row (the portal
    // refusing everyone), then only ok steps.
    const outage = fc
      .record({
        intervalMs: fc.integer({ min: MIN_INTERVAL_MS, max: 120_000 }),
        jitter,
        seed: fc.integer(),
        limits: fc.integer({ min: 1, max: 8 }),
        notBeforeIn: fc.option(fc.integer({ min: 0, max: 20 * 60_000 }), { nil: undefined }),
        durationMs: fc.integer({ min: 0, max: 20_000 }),
        hours: fc.integer({ min: 1, max: 4 }),
      })
      .map(({ limits, notBeforeIn, durationMs, hours, ...rest }): Scenario => {
        const calm = Math.ceil((RECOVERY_MS + 60_000) / (rest.intervalMs * (1 - rest.jitter))) + 1;
        return {
          ...rest,
          outcomes: Array.from({ length: calm + limits + 400 }, (_, i) => ({
            step: i >= calm && i < calm + limits ? { kind: 'retry', slowDown: true, notBeforeIn } : { kind: 'ok' },
            durationMs,
          })),
          // Eight refusals in a row back off for about two hours: time enough after them.
          actions: Array.from({ length: (hours + 3) * 6 }, (): Action => ({ kind: 'tick', ms: 10 * 60_000 })),
        };
      });
    await fc.assert(
      fc.asyncProperty(outage, async (scenario) => {
        assert.ok((await play(scenario)).afterOutage > 0, '(j) never checked');
      }),
      propertyRuns(50),
    );
  });
});
