/**
 * The soak: the poller and its scheduler on a fake clock for 10,000 poll cycles with
 * random faults and random user actions (seeded, so a failure replays). An in-process transport
 * stands in for HTTP: the soak is of the scheduling, not of the network (the fault matrix runs
 * every fault over real HTTP and checks that no socket or timer outlives it).
 *
 * Checked throughout: no unhandled rejection, never more than one timer (and it is the one the
 * state announces), never two requests at once, no listener left behind; at the end, the heap
 * after 10,000 cycles against after 100 (the figures are printed; the bound is generous).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ROLES } from '../../src/core/counters';
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersSnapshot, CountersState, Filters } from '../../src/core/countersState';
import { MIN_REQUEST_GAP_MS } from '../../src/core/requestGate';
import { fail, NetworkCause, Outcome, succeed } from '../../src/core/outcome';
import { sentence } from '../../src/core/portalText';
import { HttpResponse, PostOptions, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { seededRandom } from '../sim/fleet';
import { Clock } from '../../src/core/clock';
import { FAKE_START, fakeTime, nextDueAt } from './fakeTime';

const CYCLES = 10_000;
const SEED = 20250926;
const MB = 1024 * 1024;
/** Generous: a leak of a few hundred bytes a cycle would show as several MB. */
const HEAP_GROWTH_LIMIT = 5 * MB;
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };

/** A full collection, without `--expose-gc` on the command line. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
}

function heapUsedAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

function listenerCount(state: CountersState): number {
  return (state as unknown as { listeners: Set<unknown> }).listeners.size;
}

type Regime =
  | 'ok'
  | 'queryLimit'
  | 'queryLimitRetryAfter'
  | 'operationTimeLimit'
  | 'auth'
  | 'scope'
  | 'groupNotFound'
  | 'emptyResult'
  | 'html'
  | 'truncated'
  | 'server'
  | 'network'
  | 'slow'
  | 'redirect';

const REGIMES: readonly Regime[] = [
  'ok', 'ok', 'ok', 'ok', 'ok',
  'queryLimit', 'queryLimitRetryAfter', 'operationTimeLimit', 'auth', 'scope', 'groupNotFound',
  'emptyResult', 'html', 'truncated', 'server', 'network', 'slow', 'redirect',
];

function json(status: number, body: unknown, extra: Partial<HttpResponse> = {}): Outcome<HttpResponse> {
  return succeed({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body), ...extra });
}

/** A portal in a box: answers like the sandbox, faults by regime, one call at a time expected. */
class SoakTransport implements Transport {
  calls = 0;
  active = 0;
  maxActive = 0;
  regime: Regime = 'ok';
  /** Real-time delay of 'slow' answers, in event-loop turns. */
  slowTurns = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  async post(url: string, body: string, options: PostOptions): Promise<Outcome<HttpResponse>> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const aborted = () => fail<HttpResponse>({ kind: 'network', networkCause: 'other', detail: sentence`the request failed (cancelled)` });
    const onAbort = () => undefined;
    options.signal?.addEventListener('abort', onAbort);
    try {
      if (this.regime === 'slow') {
        for (let i = 0; i < this.slowTurns && !options.signal?.aborted; i++) {
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } else {
        await Promise.resolve();
      }
      if (options.signal?.aborted) return aborted();
      return this.answer(url, body);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.active--;
    }
  }

  private answer(url: string, body: string): Outcome<HttpResponse> {
    const now = this.clock.now();
    switch (this.regime) {
      case 'queryLimit':
        return json(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
      case 'queryLimitRetryAfter':
        return json(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, {
          retryAfter: String(Math.floor(this.random() * 900)),
        });
      case 'operationTimeLimit':
        return json(429, {
          error: 'OPERATION_TIME_LIMIT',
          error_description: 'Method is blocked due to operation time limit.',
          operating_reset_at: Math.floor(now / 1000) + Math.floor(this.random() * 1800),
        });
      case 'auth':
        return json(401, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
      case 'html':
        return succeed({ status: 200, contentType: 'text/html', body: '<html><form name="form_auth"></form></html>' });
      case 'server':
        return succeed({ status: 500, contentType: 'text/html', body: '<h1>500 Internal Server Error</h1>' });
      case 'network': {
        const causes: NetworkCause[] = ['timeout', 'refused', 'dns', 'reset', 'tls', 'other'];
        const cause = causes[Math.floor(this.random() * causes.length)];
        return fail({ kind: 'network', networkCause: cause, detail: sentence`simulated ${cause}` });
      }
      case 'redirect':
        return succeed({ status: 302, contentType: '', location: 'https://elsewhere.example/rest/1/x/batch', body: '' });
      default:
        break;
    }
    const method = url.slice(url.lastIndexOf('/') + 1);
    if (method === 'sonet_group.user.groups') {
      return json(200, { result: [{ GROUP_ID: '7', GROUP_NAME: 'Website relaunch' }], time: this.time(now) });
    }
    const { cmd } = JSON.parse(body) as { cmd: Record<string, string> };
    const result: Record<string, unknown> = {};
    const errors: Record<string, unknown> = {};
    for (const [key, command] of Object.entries(cmd)) {
      if (command.startsWith('user.current') || command.startsWith('profile')) {
        result[key] = { ID: '1', NAME: 'Anna', LAST_NAME: 'Smirnova' };
      } else if (command.startsWith('sonet_group')) {
        result[key] = [{ GROUP_ID: '7', GROUP_NAME: 'Website relaunch' }];
      } else if (this.regime === 'scope') {
        errors[key] = { error: 'insufficient_scope', error_description: '' };
      } else if (this.regime === 'groupNotFound') {
        errors[key] = { error: '0', error_description: 'Group not found or access denied. (internal error)' };
      } else if (this.regime === 'emptyResult') {
        result[key] = [];
      } else {
        result[key] = {
          expired: { counter: Math.floor(this.random() * 10), code: 6291456 },
          new_comments: { counter: Math.floor(this.random() * 10), code: 12582912 },
        };
      }
    }
    const envelope = JSON.stringify({
      result: { result, result_error: Object.keys(errors).length ? errors : [], result_total: [], result_next: [], result_time: [] },
      time: this.time(now),
    });
    const text = this.regime === 'truncated' ? envelope.slice(0, envelope.length >> 1) : envelope;
    return succeed({ status: 200, contentType: 'application/json', body: text });
  }

  private time(now: number) {
    return { start: now / 1000, finish: now / 1000, duration: 0, operating: 0, operating_reset_at: Math.floor(now / 1000) + 600 };
  }
}

describe('soak: 10,000 poll cycles with random faults and user actions (fake clock)', function () {
  this.timeout(30_000);

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));

  it('stays within one timer, one request at a time, stable listeners, and a flat heap', async () => {
    const random = seededRandom(SEED);
    const { clock, timers } = fakeTime();
    const transport = new SoakTransport(clock, seededRandom(SEED + 1));
    const state = new CountersState(ALL);
    let renders = 0;
    state.subscribe(() => renders++); // the views
    const baseListeners = listenerCount(state);
    const clients: CountersClient[] = [];
    const poller = new CountersPoller(state, {
      intervalMs: 60_000,
      clock,
      random: seededRandom(SEED + 2),
      createClient: (webhook) => {
        const client = new CountersClient(webhook, { transport, now: () => clock.now() });
        clients.push(client);
        if (clients.length > 2) clients.shift(); // only the latest matter for the checks below
        return client;
      },
    });
    const parsed = WebhookUrl.parse('https://portal.example/rest/1/soaksecret0001/');
    assert.ok(parsed.ok);
    const webhook = parsed.webhook;
    poller.connect(webhook, 'stored');

    let paused = false;
    let connected = true;
    let regimeLeft = 0;
    let heapAt100: number | undefined;
    let maxPending = 0;
    const counts = { runNext: 0, refresh: 0, filters: 0, pause: 0, reconnect: 0, interval: 0, idleHours: 0, picker: 0 };
    const checkInvariants = (where: string) => {
      const s: CountersSnapshot = state.snapshot;
      const pending = timers.countTimers();
      maxPending = Math.max(maxPending, pending);
      assert.ok(pending <= 1, `${where}: ${pending} timers pending`);
      assert.equal(nextDueAt(timers), s.nextPollAt, `${where}: the one timer is the poll the state announces`);
      // Halted: no timer, except for a Refresh or new filters meanwhile, as soon as the gate
      // allows (15 s after the last request, or the last Refresh).
      if (s.halted && pending > 0) {
        assert.ok(nextDueAt(timers)! <= timers.now + MIN_REQUEST_GAP_MS, `${where}: halted, yet a poll is scheduled; ${trail.join(' ')}`);
      }
      if (!connected) assert.equal(pending, 0, `${where}: disconnected, yet a timer`);
      assert.equal(listenerCount(state), baseListeners, `${where}: state listeners`);
      assert.ok(transport.maxActive <= 1, `${where}: two requests at once`);
      if (s.counters) assert.equal(s.connection.kind, 'connected', `${where}: numbers while disconnected`);
    };
    /** Lets a request in flight (a 'slow' one) end. */
    const settle = async () => {
      for (let i = 0; i < 200 && transport.active > 0; i++) await new Promise<void>((r) => setImmediate(r));
      await timers.tickAsync(0);
    };

    const trail: string[] = [];
    const mark = (what: string) => {
      trail.push(`${transport.calls}:${what}:${transport.regime}`);
      if (trail.length > 12) trail.shift();
    };
    const givesUpAt = Date.now() + 25_000; // real time: a stuck soak fails instead of spinning on
    while (transport.calls < CYCLES) {
      if (Date.now() > givesUpAt) {
        assert.fail(`no progress: ${transport.calls} cycles; ${trail.join(' ')}; ${JSON.stringify(state.snapshot).slice(0, 400)}`);
      }
      if (regimeLeft-- <= 0) {
        transport.regime = REGIMES[Math.floor(random() * REGIMES.length)];
        transport.slowTurns = 1 + Math.floor(random() * 8);
        regimeLeft = 1 + Math.floor(random() * 30);
      }
      const dice = random();
      if (dice < 0.82) {
        if (timers.countTimers() > 0) {
          counts.runNext++;
          mark('runNext');
          await timers.nextAsync();
        } else if (transport.active > 0) {
          await settle();
        } else if (!connected) {
          counts.reconnect++;
        mark('reconnect');
          poller.connect(webhook, 'stored');
          connected = true;
        } else if (paused) {
          poller.resume();
          paused = false;
        } else {
          // Halted: hours pass, then the user clicks Refresh.
          counts.idleHours++;
        mark('idleHours');
          const calls = transport.calls;
          await timers.tickAsync(Math.floor(random() * 6 * 3_600_000));
          assert.equal(transport.calls, calls, 'no request while halted');
          void poller.refresh();
        }
      } else if (dice < 0.86) {
        counts.refresh++;
        mark('refresh');
        void poller.refresh();
      } else if (dice < 0.9) {
        counts.filters++;
        mark('filters');
        const f = state.snapshot.filters;
        const change = random();
        poller.setFilters(
          change < 0.6
            ? { ...f, role: ROLES[Math.floor(random() * ROLES.length)] }
            : { ...f, groupId: f.groupId === 0 ? 7 : 0 },
        );
      } else if (dice < 0.93) {
        counts.pause++;
        mark('pause');
        if (paused) poller.resume();
        else poller.pause();
        paused = !paused;
      } else if (dice < 0.95) {
        counts.reconnect++;
        mark('reconnect');
        if (random() < 0.5) {
          poller.disconnect();
          connected = false;
          paused = false;
        } else {
          poller.connect(webhook, 'stored');
          connected = true;
          paused = false;
        }
      } else if (dice < 0.97) {
        counts.interval++;
        mark('interval');
        poller.setIntervalMs((15 + Math.floor(random() * 285)) * 1000);
      } else {
        // A picker subscribes while open and unsubscribes when closed (Switch Role).
        counts.picker++;
        mark('picker');
        const off = state.subscribe(() => undefined);
        await timers.tickAsync(0);
        off();
      }
      await timers.tickAsync(0);
      if (transport.active === 0) checkInvariants(`after ${transport.calls} cycles`);
      if (heapAt100 === undefined && transport.calls >= 100) {
        await settle();
        heapAt100 = heapUsedAfterGc();
      }
    }
    await settle();
    checkInvariants('at the end');
    const heapAtEnd = heapUsedAfterGc();
    poller.dispose();
    await settle();
    assert.equal(timers.countTimers(), 0, 'dispose leaves no timer');
    for (const client of clients) {
      const signal = (client as unknown as { cancelAll: AbortController }).cancelAll.signal;
      assert.equal(getEventListeners(signal, 'abort').length, 0, 'no abort listener left on a client');
    }

    const growth = heapAtEnd - heapAt100!;
    console.log(
      `      soak: ${transport.calls} poll cycles, ${counts.runNext} timers fired, ${renders} renders, ` +
        `${Math.round((timers.now - FAKE_START) / 3_600_000)} h of fake time; actions ${JSON.stringify(counts)}\n` +
        `      heap used after gc: ${(heapAt100! / MB).toFixed(2)} MB after 100 cycles, ` +
        `${(heapAtEnd / MB).toFixed(2)} MB after ${transport.calls} (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(0)} KB); ` +
        `max timers pending ${maxPending}, max requests at once ${transport.maxActive}`,
    );
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
    assert.ok(transport.maxActive === 1, 'requests were made, one at a time');
    assert.ok(counts.idleHours > 0 && counts.reconnect > 0 && counts.pause > 0, 'the soak went through halts, reconnects, pauses');
    assert.ok(growth < HEAP_GROWTH_LIMIT, `the heap grew by ${(growth / MB).toFixed(2)} MB`);
  });
});
