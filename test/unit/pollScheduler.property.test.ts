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
 * (f) an ok step waits the plain jittered interval times the scheduler's pace (within
 *     [MIN_INTERVAL_MS, the cap]), and the pace is in [1, the cap over the interval];
 * (g) a rate limit slows: at the ok step ending a run of rate limits that was not an outage
 *     (see j), with the same interval since the run began, the pace is at least the first cut,
 *     min(slowest, 1/DECREASE), less only the climb since (PROBE_PER_INTERVAL per interval);
 * (h) the failure count changes only when a run's answer comes (+1 on retry, 0 on ok and halt,
 *     unchanged on a look) or on stop: never on refresh, soon, newQuestion, pause, resume,
 *     setInterval;
 * (i) while failing, soon never brings a request before the retry the answer set (the
 *     backoff, or the portal's notBefore up to the cap);
 * (j) an outage is forgotten: a run of LONG_RUN or more rate limits that began while the client
 *     was calm (CALM_MS since its first success and since the last run began) ends, at its ok
 *     step, with a pace no slower than just before the run's first rate limit, however long the
 *     run lasted.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  clampInterval,
  DEFAULT_MAX_BACKOFF_MS,
  MIN_FOLLOW_MS,
  MIN_INTERVAL_MS,
  PollScheduler,
  PollStep,
} from '../../src/core/pollScheduler';
import { CALM_MS, DECREASE, LONG_RUN, PROBE_PER_INTERVAL } from '../../src/core/rateLimitPace';
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

/** A run of rate limits as the world saw it: when it began, the interval and pace then. */
interface LimitRun {
  readonly at: number;
  readonly interval: number;
  readonly paceBefore: number;
  readonly calm: boolean;
  length: number;
}

/** A run that just ended: its step, when, whether a gesture came meanwhile, the run of rate limits it ended. */
interface Ended {
  readonly step: PollStep;
  readonly at: number;
  readonly rerun: boolean;
  readonly ran?: LimitRun;
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
  /** The client's first success and the last run of rate limits, as the world saw them (g, j). */
  let firstOkAt: number | undefined;
  let lastRunAt: number | undefined;
  let run: LimitRun | undefined;
  let sustainedChecks = 0;
  let outageChecks = 0;
  /** The step just handed back, until the scheduler's reaction to it (a timer) is seen. */
  let justEnded: Ended | undefined;
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
            const ran = s.kind === 'ok' ? run : undefined;
            if (s.kind === 'ok') {
              firstOkAt ??= end;
              run = undefined;
            }
            justEnded = { step: s, at: end, rerun: rerunPending, ran };
            lastLookEnd = s.kind === 'look' ? end : undefined;
            if (s.kind === 'retry') expectedFailures++;
            else if (s.kind !== 'look') expectedFailures = 0;
            if (s.kind !== 'look') retryNotBefore = undefined;
            if (s.kind === 'retry' && s.slowDown) {
              if (run) run.length++;
              else {
                const calm = firstOkAt !== undefined && end - Math.max(firstOkAt, lastRunAt ?? -Infinity) >= CALM_MS;
                run = { at: end, interval: scheduler.intervalMs, paceBefore: scheduler.pace, calm, length: 1 };
                lastRunAt = end;
              }
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
  function checkReaction(ended: Ended, ms: number): void {
    const { step: s, at, ran } = ended;
    if (s.kind === 'ok') {
      const pace = scheduler.pace;
      assert.ok(pace >= 1 && pace <= Math.max(1, DEFAULT_MAX_BACKOFF_MS / scheduler.intervalMs) * (1 + 1e-9), `(f) pace ${pace}`);
      if (ran && ran.calm && ran.length >= LONG_RUN) {
        assert.ok(pace <= ran.paceBefore * (1 + 1e-9), `(j) pace ${pace} after an outage, ${ran.paceBefore} before it`);
        outageChecks++;
      } else if (ran && ran.interval === scheduler.intervalMs) {
        const slowest = Math.max(1, DEFAULT_MAX_BACKOFF_MS / ran.interval);
        const least = Math.max(1, Math.min(slowest, 1 / DECREASE) * Math.exp((-PROBE_PER_INTERVAL * (at - ran.at)) / ran.interval));
        assert.ok(pace >= least * (1 - 1e-9), `(g) pace ${pace} after a rate limit, less than ${least}`);
        sustainedChecks++;
      }
    }
    if (scheduler.gate.explicitPending) return; // the timer is the explicit ask's
    if (s.kind === 'retry') retryNotBefore = at + ms; // a gesture during the run does not move it
    if (ended.rerun) return; // a gesture's: sooner than the step's wait
    if (s.kind === 'ok') {
      const interval = scheduler.intervalMs;
      const plain = interval * (1 - jitter + 2 * jitter * lastRandom);
      const expected = Math.min(Math.max(DEFAULT_MAX_BACKOFF_MS, interval), Math.max(MIN_INTERVAL_MS, plain * scheduler.pace));
      assert.ok(Math.abs(ms - expected) <= 1, `(f) ${ms} ms after a success, not ${expected} (pace ${scheduler.pace})`);
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
        ({ firstOkAt, lastRunAt, run } = { firstOkAt: undefined, lastRunAt: undefined, run: undefined });
        justEnded = undefined;
        userRunPending = false;
        expectedFailures = 0;
        retryNotBefore = undefined;
        break;
      case 'setInterval':
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
  await timers.tickAsync(CALM_MS);
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
    // Polls at full speed for a whole calm stretch, then n rate limits in a row (the portal
    // refusing everyone), then only ok steps.
    const outage = fc
      .record({
        intervalMs: fc.integer({ min: MIN_INTERVAL_MS, max: 120_000 }),
        jitter,
        seed: fc.integer(),
        limits: fc.integer({ min: LONG_RUN, max: 8 }),
        notBeforeIn: fc.option(fc.integer({ min: 0, max: 20 * 60_000 }), { nil: undefined }),
        durationMs: fc.integer({ min: 0, max: 20_000 }),
        hours: fc.integer({ min: 1, max: 4 }),
      })
      .map(({ limits, notBeforeIn, durationMs, hours, ...rest }): Scenario => {
        const calm = Math.ceil((CALM_MS + 60_000) / (rest.intervalMs * (1 - rest.jitter))) + 1;
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
