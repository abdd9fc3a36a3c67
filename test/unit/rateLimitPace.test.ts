/**
 * RateLimitPace: how a client's office-shared rate limit slows its polling. Examples, then its
 * promises against any history of answers (fast-check):
 *
 * (a) the pace is always in [1, slowest]: never faster than the interval, never past the cap;
 * (b) time alone never slows it; a refusal never speeds it up;
 * (c) one cut per run once the client has been calm: the first refusal of a run divides the
 *     rate by at most 1/DECREASE, the further ones of that run cut nothing;
 * (d) an outage is forgotten: a calm client's run of LONG_RUN or more refusals leaves, at its
 *     success, the pace a twin has that never saw that run.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CALM_MS, DECREASE, LONG_RUN, PROBE_PER_INTERVAL, RateLimitPace } from '../../src/core/rateLimitPace';
import { propertyRuns } from './propertyRuns';

const INTERVAL = 60_000;
const SLOWEST = 15;
const MINUTE = 60_000;

/** An answer at a monotonic time. */
type Answer = { readonly at: number; readonly limited: boolean };

function replay(answers: readonly Answer[], slowest = SLOWEST): RateLimitPace {
  const pace = new RateLimitPace(slowest);
  for (const a of answers) {
    if (a.limited) pace.limited(a.at, INTERVAL);
    else pace.succeeded(a.at);
  }
  return pace;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, a, b);

describe('RateLimitPace', () => {
  it('full speed until the portal refuses', () => {
    const pace = replay([{ at: 0, limited: false }, { at: MINUTE, limited: false }]);
    assert.equal(pace.paceAt(10 * MINUTE, INTERVAL), 1);
  });

  it('a refusal cuts the rate to DECREASE, and it climbs back by PROBE_PER_INTERVAL per interval', () => {
    const pace = replay([{ at: 0, limited: false }, { at: MINUTE, limited: true }, { at: 2 * MINUTE, limited: false }]);
    assert.ok(close(pace.paceAt(MINUTE, INTERVAL), 1 / DECREASE));
    const intervals = 20;
    const expected = 1 / (DECREASE * Math.exp(PROBE_PER_INTERVAL * intervals));
    assert.ok(close(pace.paceAt(MINUTE + intervals * INTERVAL, INTERVAL), expected));
    // The whole cut is regained after ln(1/DECREASE)/PROBE_PER_INTERVAL intervals, not before.
    const regained = MINUTE + (Math.log(1 / DECREASE) / PROBE_PER_INTERVAL) * INTERVAL;
    assert.ok(pace.paceAt(regained - INTERVAL, INTERVAL) > 1);
    assert.equal(pace.paceAt(regained + 1, INTERVAL), 1);
  });

  it('an office starting at once: every refusal cuts until the client has been calm', () => {
    const pace = replay([
      { at: 0, limited: true },
      { at: 30_000, limited: true },
      { at: 90_000, limited: true },
    ]);
    const climbed = Math.exp((PROBE_PER_INTERVAL * 90_000) / INTERVAL);
    assert.ok(close(pace.paceAt(90_000, INTERVAL), 1 / (DECREASE ** 3 * climbed)), `pace ${pace.paceAt(90_000, INTERVAL)}`);
  });

  it('once calm, a short run of refusals cuts once', () => {
    const calm = CALM_MS + MINUTE;
    const pace = replay([{ at: 0, limited: false }, { at: calm, limited: true }, { at: calm + 30_000, limited: true }, { at: calm + 90_000, limited: false }]);
    const expected = 1 / (DECREASE * Math.exp((PROBE_PER_INTERVAL * 90_000) / INTERVAL));
    assert.ok(close(pace.paceAt(calm + 90_000, INTERVAL), expected), `pace ${pace.paceAt(calm + 90_000, INTERVAL)}`);
  });

  it('once calm, a long run of refusals (an outage) is undone at the success', () => {
    const calm = CALM_MS + MINUTE;
    const run = [0, 30_000, 90_000, 210_000].map((t) => ({ at: calm + t, limited: true }));
    const pace = replay([{ at: 0, limited: false }, ...run, { at: calm + 450_000, limited: false }]);
    assert.equal(pace.paceAt(calm + 450_000, INTERVAL), 1);
  });

  it('calm exactly CALM_MS after the first success, not a millisecond before', () => {
    const runFrom = (start: number) => [0, 30_000, 90_000].map((t) => ({ at: start + t, limited: true }));
    const end = (start: number) => ({ at: start + 210_000, limited: false });
    const calm = replay([{ at: 0, limited: false }, ...runFrom(CALM_MS), end(CALM_MS)]);
    assert.equal(calm.paceAt(CALM_MS + 210_000, INTERVAL), 1, 'an outage, forgotten');
    const early = replay([{ at: 0, limited: false }, ...runFrom(CALM_MS - 1), end(CALM_MS - 1)]);
    assert.ok(early.paceAt(CALM_MS - 1 + 210_000, INTERVAL) > 1, 'not calm yet: congestion, its cuts stay');
  });

  it('never calm without a first success, however long ago the client started', () => {
    const pace = replay([0, 30_000, 90_000].map((t) => ({ at: 5 * CALM_MS + t, limited: true })).concat({ at: 5 * CALM_MS + 210_000, limited: false }));
    assert.ok(pace.paceAt(5 * CALM_MS + 210_000, INTERVAL) > 1 / DECREASE, 'every refusal cut, and none is undone');
  });

  it('a long run soon after an earlier one is congestion, not an outage: its cut stays', () => {
    const at = CALM_MS + MINUTE;
    const pace = replay([
      { at: 0, limited: false },
      { at, limited: true },
      { at: at + MINUTE, limited: false },
      ...[2, 2.5, 3.5, 5.5].map((m) => ({ at: at + m * MINUTE, limited: true })),
      { at: at + 10 * MINUTE, limited: false },
    ]);
    assert.ok(pace.paceAt(at + 10 * MINUTE, INTERVAL) > 1 / DECREASE, 'both cuts stay');
  });

  it('never slower than the slowest pace, however many refusals', () => {
    const answers = Array.from({ length: 50 }, (_, i) => ({ at: i * 30_000, limited: true }));
    assert.equal(replay(answers, 4).paceAt(49 * 30_000, INTERVAL), 4);
  });

  it('a lower slowest pace (a longer interval) applies at once', () => {
    const pace = replay(Array.from({ length: 10 }, (_, i) => ({ at: i * 30_000, limited: true })));
    pace.setSlowest(3);
    assert.equal(pace.paceAt(300_000, INTERVAL), 3);
  });

  describe('promises against any history (fast-check)', () => {
    /** Gaps between answers from 1 s to an hour, a fair share of refusals, runs included. */
    const history = fc.array(
      fc.record({ gap: fc.oneof(fc.integer({ min: 1000, max: 120_000 }), fc.integer({ min: 1000, max: 3600_000 })), limited: fc.boolean() }),
      { maxLength: 60 },
    );
    const toAnswers = (steps: ReadonlyArray<{ gap: number; limited: boolean }>, from = 0): Answer[] => {
      let at = from;
      return steps.map((s) => ({ at: (at += s.gap), limited: s.limited }));
    };

    it('(a) (b) the pace stays in [1, slowest]; time never slows it; a refusal never speeds it up', () => {
      fc.assert(
        fc.property(history, fc.double({ min: 1, max: 60, noNaN: true }), (steps, slowest) => {
          const pace = new RateLimitPace(slowest);
          let before = 1;
          let beforeAt = 0;
          for (const a of toAnswers(steps)) {
            const now = pace.paceAt(a.at, INTERVAL);
            assert.ok(now >= 1 && now <= slowest * (1 + 1e-12), `(a) pace ${now}`);
            assert.ok(now <= before * (1 + 1e-12) || a.at === beforeAt, `(b) ${before} → ${now} with time alone`);
            if (a.limited) pace.limited(a.at, INTERVAL);
            else pace.succeeded(a.at);
            const after = pace.paceAt(a.at, INTERVAL);
            if (a.limited) assert.ok(after >= now * (1 - 1e-12), `(b) a refusal sped it up: ${now} → ${after}`);
            [before, beforeAt] = [after, a.at];
          }
        }),
        propertyRuns(200),
      );
    });

    it('(c) (d) once calm: one cut per run, and a long run is forgotten at its success', () => {
      fc.assert(
        fc.property(
          history,
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.integer({ min: 15_000, max: 900_000 }), { minLength: 8, maxLength: 8 }),
          (steps, runLength, gaps) => {
            // Any past, then a success and a calm stretch: the client is calm when the run starts.
            const before = toAnswers(steps);
            const past = [...before, { at: (before.at(-1)?.at ?? 0) + 1000, limited: false }];
            const calmAt = past[past.length - 1].at + CALM_MS;
            let at = calmAt;
            const run = gaps.slice(0, runLength).map((gap) => ({ at: (at += gap), limited: true }));
            const end = { at: at + 60_000, limited: false };

            const pace = replay(past);
            const twin = replay(past);
            const first = pace.paceAt(run[0].at, INTERVAL);
            pace.limited(run[0].at, INTERVAL);
            const cut = pace.paceAt(run[0].at, INTERVAL);
            assert.ok(cut <= Math.min(SLOWEST, first / DECREASE) * (1 + 1e-12), `(c) the first refusal cut ${first} → ${cut}`);
            for (const r of run.slice(1)) {
              const before = pace.paceAt(r.at, INTERVAL);
              pace.limited(r.at, INTERVAL);
              assert.ok(close(pace.paceAt(r.at, INTERVAL), before), '(c) a further refusal of the run cut again');
            }
            pace.succeeded(end.at);
            twin.succeeded(end.at);
            if (runLength >= LONG_RUN) {
              assert.ok(close(pace.paceAt(end.at, INTERVAL), twin.paceAt(end.at, INTERVAL)), `(d) ${pace.paceAt(end.at, INTERVAL)} after an outage, ${twin.paceAt(end.at, INTERVAL)} without`);
            }
          },
        ),
        propertyRuns(200),
      );
    });
  });
});
