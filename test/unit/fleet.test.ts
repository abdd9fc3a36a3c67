/**
 * The fleet simulation (test/sim/fleet.ts): qualitative properties on short runs; on three-hour
 * runs the steady 503 share targets (0 / 5% / 10% at 50 / 200 / 500 clients) and "back to
 * normal" (test/sim/fleet.ts `backToNormal`: every 5 minutes from then on as many requests and
 * as fresh numbers as the worst 5 minutes before the outage, give or take 10%) within 10 minutes
 * of a 5-minute outage's end. The other figures are printed by `scripts/fleet.ts`, not asserted.
 */
import assert from 'node:assert/strict';
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersState } from '../../src/core/countersState';
import { fail, succeed } from '../../src/core/outcome';
import { START_DELAY_MS } from '../../src/core/countersPoller';
import { PollScheduler, PollStep } from '../../src/core/pollScheduler';
import { sentence } from '../../src/core/portalText';
import { HttpResponse, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { FLEET_STEPS, FleetResult, formatMinutes, formatShare, HOUR, MINUTE, simulateFleet, TABLE_HEADER, tableRow, targetFor } from '../sim/fleet';
import { fakeTime } from './fakeTime';

const INTERVAL = 60_000;

describe('fleet simulation (virtual time, one office IP, leaky bucket 50 / 2 per s)', function () {
  this.timeout(20_000);

  const printed: FleetResult[] = [];
  after(() => {
    // Figures for the reader, not assertions.
    if (printed.length) console.log(['', ...TABLE_HEADER, ...printed.map(tableRow)].map((l) => `      ${l}`).join('\n'));
  });

  async function run(clients: number, kind: 'network' | '503', seed = 1): Promise<FleetResult> {
    const result = await simulateFleet({
      clients,
      durationMs: 60 * MINUTE,
      seed,
      outage: { startMs: 30 * MINUTE, durationMs: 5 * MINUTE, kind },
    });
    printed.push(result);
    return result;
  }

  for (const kind of ['network', '503'] as const) {
    describe(`50 clients, a 5-minute ${kind} outage`, () => {
      let result: FleetResult;
      before(async () => {
        result = await run(50, kind);
      });

      it('never gets a 503 from the bucket, start-up included', () => {
        assert.ok(result.requests > 50 * 25, `only ${result.requests} requests reached the portal`);
        assert.equal(result.limited, 0);
        assert.equal(result.share503, 0);
      });

      it('every client gets numbers within the first minutes', () => {
        assert.equal(result.neverOk, 0);
        assert.ok(result.allHaveNumbersMs <= 2 * MINUTE, `last first numbers after ${result.allHaveNumbersMs} ms`);
      });

      it('backs off during the outage instead of hammering', () => {
        // At most ~4 tries per client in 5 minutes: 1, 2, 4 minutes apart (jittered).
        assert.ok(result.outageFailures > 0);
        assert.ok(result.outageFailures <= 4 * 50, `${result.outageFailures} requests during the outage`);
      });

      it('every client is back within 10 minutes after the outage', () => {
        assert.notEqual(result.allFreshAfterOutageMs, undefined, 'some client never succeeded after the outage');
        assert.ok(result.allFreshAfterOutageMs! <= 10 * MINUTE, `back after ${result.allFreshAfterOutageMs} ms`);
      });

      it('keeps at most one timer per client', () => {
        assert.ok(result.maxPendingTimers <= 50 + 1, `${result.maxPendingTimers} timers`);
      });
    });
  }

  describe('200 clients (more than the bucket drains at one poll a minute)', () => {
    let result: FleetResult;
    before(async () => {
      result = await run(200, 'network');
    });

    it('slows down: fewer requests reach the portal than 200 a minute', () => {
      const perMinute = result.requests / 55; // 60 minutes minus the outage
      assert.ok(perMinute < 200, `${perMinute.toFixed(0)} requests a minute`);
      assert.ok(result.limited > 0, 'the bucket does overflow now and then: the slow-down is exercised');
    });

    it('every client still gets numbers', () => {
      assert.equal(result.neverOk, 0);
    });

    it('every client that failed in the outage succeeds again after it', () => {
      assert.notEqual(result.allFreshAfterOutageMs, undefined);
    });
  });

  describe('the steady 503 share targets, 3 hours without an outage', () => {
    for (const clients of [50, 200, 500]) {
      for (const seed of [1, 2]) {
        it(`${clients} clients, seed ${seed}: at most ${formatShare(targetFor(clients).share503)} refused`, async () => {
          const result = await simulateFleet({ clients, durationMs: 3 * HOUR, seed });
          printed.push(result);
          assert.ok(result.share503Steady <= targetFor(clients).share503, `${formatShare(result.share503Steady)} refused`);
        });
      }
    }
  });

  describe('back to normal within 10 minutes of the end of a 5-minute outage (3 hours, the outage at 90 min)', () => {
    async function outage(clients: number, kind: 'network' | '503', seed: number, durationMs = 5 * MINUTE): Promise<FleetResult> {
      const result = await simulateFleet({ clients, durationMs: 3 * HOUR, seed, outage: { startMs: 90 * MINUTE, durationMs, kind } });
      if (durationMs > 0) printed.push(result);
      return result;
    }

    it('the definition holds throughout a run without an outage (no false alarm)', async () => {
      for (const clients of [50, 200, 500]) {
        assert.equal((await outage(clients, '503', 1, 0)).backToNormalAfterOutageMs, 0, `${clients} clients`);
      }
    });

    // Within the limit (50) and over it (200, 500). After 5 minutes of QUERY_LIMIT_EXCEEDED for
    // everyone, a client that was calm forgets that long run of refusals at its next success
    // (RateLimitPace): an outage is not its office's own overload.
    for (const clients of [50, 200, 500]) {
      for (const kind of ['network', '503'] as const) {
        for (const seed of [1, 2]) {
          it(`${clients} clients, a ${kind} outage, seed ${seed}`, async () => {
            const result = await outage(clients, kind, seed);
            assert.ok(result.backToNormalAfterOutageMs! <= 10 * MINUTE, `back after ${formatMinutes(result.backToNormalAfterOutageMs)}`);
          });
        }
      }
    }
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const strip = (r: FleetResult) => JSON.stringify(r);
    const a = await simulateFleet({ clients: 120, durationMs: 20 * MINUTE, seed: 7 });
    const b = await simulateFleet({ clients: 120, durationMs: 20 * MINUTE, seed: 7 });
    const c = await simulateFleet({ clients: 120, durationMs: 20 * MINUTE, seed: 8 });
    assert.equal(strip(a), strip(b));
    assert.notEqual(strip(a), strip(c));
  });

  describe('the simulated client mirrors CountersPoller', () => {
    /** A transport that answers every request the same way. */
    function constantTransport(answer: () => ReturnType<Transport['post']>): Transport {
      return { post: () => answer() };
    }

    const queryLimit: HttpResponse = {
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }),
    };

    /** The gaps between the poller's first `count` polls through `transport`. */
    async function pollerGaps(transport: Transport, count: number): Promise<number[]> {
      const { clock, timers } = fakeTime();
      const state = new CountersState({ role: 'view_all', userId: 0, groupId: 0 });
      const poller = new CountersPoller(state, {
        intervalMs: INTERVAL,
        clock,
        random: () => 0.5,
        createClient: (webhook) => new CountersClient(webhook, { transport, now: () => clock.now() }),
      });
      const parsed = WebhookUrl.parse('https://portal.example/rest/1/abc123/');
      assert.ok(parsed.ok);
      poller.connect(parsed.webhook, 'stored');
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        await timers.nextAsync();
        times.push(clock.now());
      }
      poller.dispose();
      return times.slice(1).map((t, i) => t - times[i]);
    }

    /** The same with a bare scheduler whose run returns the simulation's step. */
    async function schedulerGaps(step: PollStep, count: number): Promise<number[]> {
      const { clock, timers } = fakeTime();
      const times: number[] = [];
      const scheduler = new PollScheduler(
        () => {
          times.push(clock.now());
          return Promise.resolve(step);
        },
        { intervalMs: INTERVAL, clock, random: () => 0.5 },
      );
      scheduler.start(START_DELAY_MS);
      for (let i = 0; i < count; i++) await timers.nextAsync();
      scheduler.stop();
      return times.slice(1).map((t, i) => t - times[i]);
    }

    it('a 503 QUERY_LIMIT_EXCEEDED: the same schedule as the simulation\'s queryLimit step', async () => {
      const fromPoller = await pollerGaps(constantTransport(() => Promise.resolve(succeed(queryLimit))), 6);
      const fromSim = await schedulerGaps(FLEET_STEPS.queryLimit, 6);
      assert.deepEqual(fromPoller, fromSim);
      assert.ok(fromSim[1] > fromSim[0], `the schedule slows down: ${fromSim.join(', ')}`);
    });

    it('a network error: the same schedule as the simulation\'s network step', async () => {
      const network = constantTransport(() => Promise.resolve(fail({ kind: 'network', networkCause: 'refused', detail: sentence`refused` })));
      const fromPoller = await pollerGaps(network, 6);
      const fromSim = await schedulerGaps(FLEET_STEPS.network, 6);
      assert.deepEqual(fromPoller, fromSim);
    });
  });
});
