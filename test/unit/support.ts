/**
 * What the tests against the sandbox portal share: reading outcomes and counter sets, waiting on
 * the real clock, and the per-suite sandbox (started once, a clean slate for every test) with
 * the pollers on a fake clock that run against it.
 *
 * Not a test file (no `.test`): mocha loads it only through the tests that import it.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CounterSet } from '../../src/core/counters';
import { CountersClient, CountersClientOptions, RequestLogEntry } from '../../src/core/countersClient';
import { CountersPoller, CountersPollerOptions } from '../../src/core/countersPoller';
import { CountersSnapshot, CountersState, Filters } from '../../src/core/countersState';
import { Failure, Outcome } from '../../src/core/outcome';
import { nodeFetchTransport, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxPortal } from '../sandbox/portal';
import { fakeTime, FakeTimers } from './fakeTime';

/** Every sandbox secret starts with this; none may appear in a failure, a snapshot or a log entry. */
export const SECRET_PREFIX = 'sandboxsecret';

/** name → count, in display order. */
export function counts(set: CounterSet | undefined): Array<[string, number]> | undefined {
  return set?.counters.map((c) => [c.name, c.count]);
}

export function failureOf<T>(outcome: Outcome<T>): Failure {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome).slice(0, 300)}`);
  return (outcome as { ok: false; error: Failure }).error;
}

/** The parsed webhook of a URL that must be valid (a failed check shows the URL without its secret). */
export function webhookOf(url: string): WebhookUrl {
  const parsed = WebhookUrl.parse(url);
  assert.ok(parsed.ok, url.replace(/\/rest\/.*/, '/rest/…'));
  return parsed.webhook;
}

/** A webhook's redactor, for tests that clean portal text without a portal of their own. */
export const testRedact = webhookOf('https://portal.example/rest/1/supportsecret0/').redact;

function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls a condition on the real clock (for things outside the state, like the sandbox's log). */
export async function until(condition: () => boolean, what = 'a condition', ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realDelay(2);
  }
}

/** Resolves with the first snapshot (current or coming) that matches; real time limit. */
export function waitForSnapshot(state: CountersState, matches: (s: CountersSnapshot) => boolean, what: string, ms = 3000): Promise<CountersSnapshot> {
  return new Promise((resolve, reject) => {
    if (matches(state.snapshot)) {
      resolve(state.snapshot);
      return;
    }
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}; last snapshot ${JSON.stringify(state.snapshot).slice(0, 500)}`));
    }, ms);
    const off = state.subscribe((snapshot) => {
      if (matches(snapshot)) {
        clearTimeout(timer);
        off();
        resolve(snapshot);
      }
    });
  });
}

/**
 * Registers, in the calling describe block, one sandbox portal: started before its tests,
 * closed after them, its faults and request log cleared before each test. `started` receives
 * the portal (to keep it in the block's own variable).
 */
export function useSandboxPortal(started: (sandbox: SandboxPortal) => void): void {
  let sandbox: SandboxPortal | undefined;
  before(async () => {
    sandbox = await SandboxPortal.start();
    started(sandbox);
  });
  after(async () => {
    await sandbox?.close();
  });
  beforeEach(() => {
    sandbox?.clearFaults();
    sandbox?.clearLog();
  });
}

/** A poller made by `PollerSandbox.createPoller`, with its fake timers and state. */
export interface PollerUnderTest {
  readonly timers: FakeTimers;
  readonly state: CountersState;
  readonly poller: CountersPoller;
  /**
   * How many requests its client has handed to the transport so far, counted as they are sent:
   * after a fake-time tick, an unchanged count proves that nothing was sent (no real-time wait
   * for a request that might still be on its way to the sandbox).
   */
  readonly sent: () => number;
  /** How many of them have not come back yet (an aborted one comes back too). */
  readonly inFlight: () => number;
}

/** Pollers against the sandbox portal, with what they showed and sent in the current test. */
export class PollerSandbox {
  /** Every snapshot the pollers' states published in this test. */
  snapshots: CountersSnapshot[] = [];
  /** Every request the pollers' clients logged in this test. */
  log: RequestLogEntry[] = [];
  private pollers: Array<{ poller: CountersPoller; inFlight: () => number }> = [];

  /**
   * A poller on a fake clock that starts at the real time (the sandbox stamps `time` blocks with
   * the real clock), without jitter (random 0.5: delays are exact), its client talking to the
   * portal over real HTTP; disposed after the test.
   */
  createPoller(
    filters: Filters,
    intervalMs: number,
    client: CountersClientOptions = {},
    poller: Pick<CountersPollerOptions, 'onNotice' | 'requestGapMs'> = {},
  ): PollerUnderTest {
    const { clock, timers } = fakeTime(Date.now());
    const state = new CountersState(filters);
    const inner = client.transport ?? nodeFetchTransport;
    let sent = 0;
    let settled = 0;
    const transport: Transport = {
      post: (...args) => {
        sent++;
        return inner.post(...args).finally(() => settled++);
      },
    };
    state.subscribe((snapshot) => this.snapshots.push(snapshot));
    const created = new CountersPoller(state, {
      ...poller,
      intervalMs,
      clock,
      random: () => 0.5,
      createClient: (hook) =>
        new CountersClient(hook, { now: () => clock.now(), ...client, transport, onRequest: (entry) => this.log.push(entry) }),
    });
    this.pollers.push({ poller: created, inFlight: () => sent - settled });
    return { timers, state, poller: created, sent: () => sent, inFlight: () => sent - settled };
  }

  /** Before each test: nothing seen or sent yet. */
  reset(): void {
    this.snapshots = [];
    this.log = [];
  }

  /**
   * After each test: the pollers are disposed, their requests have come back, and no snapshot a
   * view ever rendered, and no log entry, carried a secret.
   */
  async disposeAndCheck(): Promise<void> {
    const pollers = this.pollers;
    this.pollers = [];
    pollers.forEach((p) => p.poller.dispose());
    await until(() => pollers.every((p) => p.inFlight() === 0), 'the aborted requests to come back');
    for (const text of [JSON.stringify(this.snapshots), inspect(this.snapshots, { depth: Infinity }), JSON.stringify(this.log)]) {
      assert.ok(!text.includes(SECRET_PREFIX), 'a secret reached the state or the request log');
    }
  }
}

/**
 * Registers, in the calling describe block, the sandbox portal (see `useSandboxPortal`) and
 * pollers against it: each test starts with no snapshots and an empty log; after it, its pollers
 * are disposed, their aborted requests come back (before the next test clears the sandbox log),
 * and the secret check runs.
 */
export function usePollerSandbox(started: (sandbox: SandboxPortal) => void): PollerSandbox {
  useSandboxPortal(started);
  const pollers = new PollerSandbox();
  beforeEach(() => pollers.reset());
  afterEach(() => pollers.disposeAndCheck());
  return pollers;
}
