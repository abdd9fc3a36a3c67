/**
 * The fault matrix: for each fault the sandbox portal can inject, the poller (real
 * client over HTTP, real scheduler on a fake clock) must show the right state, keep the last good
 * numbers, back off or halt as specified, and recover by itself when the fault clears (or on
 * Refresh after a halt). Table-driven: one row per fault, the same checks for every row of a kind.
 * After the whole matrix, no socket or timer of the real transport is left behind.
 */
import assert from 'node:assert/strict';
import { CountersSnapshot, CountersState, Filters, isStale } from '../../src/core/countersState';
import { Failure, FailureKind } from '../../src/core/outcome';
import { DEFAULT_MAX_BACKOFF_MS, RATE_LIMIT_RETRY_MS } from '../../src/core/pollScheduler';
import { PROBE_PER_INTERVAL } from '../../src/core/rateLimitPace';
import { FaultKind, FaultOptions, SandboxPortal } from '../sandbox/portal';
import { counts, SECRET_PREFIX, until, usePollerSandbox, webhookOf } from './support';

const INTERVAL = 60_000;
const START_DELAY = 250;
const CAP = DEFAULT_MAX_BACKOFF_MS;
const HOUR = 3_600_000;
/** Small, so that 'slow' becomes a timeout in a fraction of a second. */
const CLIENT_TIMEOUT_MS = 250;
const SLOW_MS = 2_000;
/** Small enough for the oversized answer below, large enough for every normal one. */
const MAX_BYTES = 20_000;
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };
/** How many failing polls each backoff row follows. */
const FAILING_POLLS = 5;

type Policy =
  /** Retry later and later (exponential, capped), the last numbers stay. */
  | 'backoff'
  /** Wait until the portal's reset time, then resume. */
  | 'waitForReset'
  /** Stop: no timer and no request until Refresh. */
  | 'halt'
  /** A normal answer: nothing visible, no error, polling goes on at the interval. */
  | 'nothingVisible';

interface Row {
  readonly title: string;
  readonly fault: FaultKind | 'oversized';
  /** Arms the fault at fake time `now` (ms); returns the portal's reset time (epoch ms), if any. */
  readonly arm: (sandbox: SandboxPortal, now: number) => number | undefined;
  readonly disarm?: (sandbox: SandboxPortal) => void;
  readonly kind?: FailureKind;
  readonly policy: Policy;
  /** For backoff: every wait is at least this (the portal's Retry-After). */
  readonly minGapMs?: number;
  /** Further checks of the failure. */
  readonly check?: (failure: Failure, now: number) => void;
}

function inject(kind: FaultKind, options: FaultOptions = {}): Row['arm'] {
  return (sandbox) => {
    sandbox.inject(kind, options);
    return undefined;
  };
}

const COUNTERS_METHOD = 'tasks.task.counters.get';

const MATRIX: readonly Row[] = [
  {
    title: '503 QUERY_LIMIT_EXCEEDED, no Retry-After',
    fault: 'queryLimit',
    arm: inject('queryLimit'),
    kind: 'rateLimited',
    policy: 'backoff',
    check: (f) => {
      assert.equal(f.limit, 'queryRate');
      assert.equal(f.status, 503);
      assert.equal(f.retryAt, undefined);
    },
  },
  {
    title: '503 QUERY_LIMIT_EXCEEDED with Retry-After: 600',
    fault: 'queryLimit',
    arm: inject('queryLimit', { retryAfterSeconds: 600 }),
    kind: 'rateLimited',
    policy: 'backoff',
    minGapMs: 600_000,
    check: (f, now) => {
      assert.equal(f.limit, 'queryRate');
      assert.equal(f.retryAt, now + 600_000);
    },
  },
  {
    title: 'QUERY_LIMIT_EXCEEDED inside the batch (the current role\'s command)',
    fault: 'queryLimit',
    arm: inject('queryLimit', { method: COUNTERS_METHOD }),
    kind: 'rateLimited',
    policy: 'backoff',
    check: (f) => assert.equal(f.limit, 'queryRate'),
  },
  {
    title: '429 OPERATION_TIME_LIMIT with operating_reset_at',
    fault: 'operationTimeLimit',
    arm: (sandbox, now) => {
      const resetAt = Math.floor(now / 1000) + 600; // 10 min (a portal's budget window): longer than the first backoffs
      sandbox.inject('operationTimeLimit', { method: 'batch', operatingResetAt: resetAt });
      return resetAt * 1000;
    },
    kind: 'rateLimited',
    policy: 'waitForReset',
    check: (f) => {
      assert.equal(f.limit, 'operationTime');
      assert.equal(f.status, 429);
    },
  },
  {
    title: '503 OVERLOAD_LIMIT (a manual block: only Bitrix24 support lifts it)',
    fault: 'overloadLimit',
    arm: inject('overloadLimit'),
    kind: 'blocked',
    policy: 'halt',
    check: (f) => {
      assert.equal(f.code, 'OVERLOAD_LIMIT');
      assert.equal(f.status, 503);
    },
  },
  {
    title: '500 INTERNAL_SERVER_ERROR for the whole request',
    fault: 'internalError',
    arm: inject('internalError'),
    kind: 'server',
    policy: 'backoff',
    check: (f) => assert.equal(f.status, 500),
  },
  {
    // The same error inside the batch has no status of its own: the code alone decides.
    title: 'INTERNAL_SERVER_ERROR inside the batch (the current role\'s command)',
    fault: 'internalError',
    arm: inject('internalError', { method: COUNTERS_METHOD }),
    kind: 'server',
    policy: 'backoff',
    check: (f) => assert.equal(f.code, 'INTERNAL_SERVER_ERROR'),
  },
  {
    title: 'ERROR_UNEXPECTED_ANSWER inside the batch (the current role\'s command)',
    fault: 'unexpectedAnswer',
    arm: inject('unexpectedAnswer', { method: COUNTERS_METHOD }),
    kind: 'server',
    policy: 'backoff',
    check: (f) => assert.equal(f.code, 'ERROR_UNEXPECTED_ANSWER'),
  },
  {
    title: '401 INVALID_CREDENTIALS',
    fault: 'invalidCredentials',
    arm: inject('invalidCredentials'),
    kind: 'auth',
    policy: 'halt',
    check: (f) => assert.equal(f.code, 'INVALID_CREDENTIALS'),
  },
  {
    title: 'insufficient_scope (a webhook without "task")',
    fault: 'insufficientScope',
    arm: inject('insufficientScope', { method: COUNTERS_METHOD }),
    kind: 'scope',
    policy: 'halt',
    check: (f) => assert.equal(f.missingScope, 'task'),
  },
  {
    title: 'ACCESS_DENIED (REST not on this plan)',
    fault: 'accessDenied',
    arm: inject('accessDenied'),
    kind: 'access',
    policy: 'halt',
    check: (f) => assert.equal(f.code, 'ACCESS_DENIED'),
  },
  {
    title: 'group not found or access denied',
    fault: 'groupNotFound',
    arm: inject('groupNotFound', { method: COUNTERS_METHOD }),
    kind: 'access',
    policy: 'halt',
    check: (f) => assert.match(f.detail, /group not found/i),
  },
  {
    title: '"result": [] (nothing visible)',
    fault: 'emptyResult',
    arm: inject('emptyResult', { method: COUNTERS_METHOD }),
    policy: 'nothingVisible',
  },
  {
    title: 'an HTML login page with HTTP 200',
    fault: 'htmlLogin',
    arm: inject('htmlLogin'),
    kind: 'notJson',
    policy: 'backoff',
    check: (f) => assert.match(f.detail, /HTML/),
  },
  {
    title: `slow past the client's timeout (${SLOW_MS} ms > ${CLIENT_TIMEOUT_MS} ms)`,
    fault: 'slow',
    arm: inject('slow', { delayMs: SLOW_MS }),
    kind: 'network',
    policy: 'backoff',
    check: (f) => assert.equal(f.networkCause, 'timeout'),
  },
  {
    title: 'dropped connection',
    fault: 'drop',
    arm: inject('drop'),
    kind: 'network',
    policy: 'backoff',
    check: (f) => assert.equal(f.networkCause, 'reset'),
  },
  {
    title: 'redirect to another origin',
    fault: 'redirect',
    arm: inject('redirect', { redirectTo: 'https://elsewhere.example/rest/' }),
    kind: 'redirected',
    policy: 'halt',
    check: (f) => assert.equal(f.redirectHost, 'elsewhere.example'),
  },
  {
    title: 'truncated JSON',
    fault: 'truncated',
    arm: inject('truncated'),
    kind: 'notJson',
    policy: 'backoff',
  },
  {
    title: '500 with an nginx error page',
    fault: 'serverError',
    arm: inject('serverError'),
    kind: 'server',
    policy: 'backoff',
    check: (f) => assert.equal(f.status, 500),
  },
  {
    title: `an answer over the size cap (${MAX_BYTES} bytes)`,
    fault: 'oversized',
    arm: (sandbox) => {
      const many: Record<string, number> = {};
      for (let i = 0; i < 1000; i++) many[`counter_number_${i}`] = i;
      sandbox.setCounters(1, many);
      return undefined;
    },
    disarm: (sandbox) => sandbox.setCounters(1, { expired: 2, new_comments: 5 }),
    kind: 'tooLarge',
    policy: 'backoff',
    check: (f) => assert.match(f.detail, new RegExp(`${MAX_BYTES} bytes`)),
  },
];

describe('fault matrix: the poller against every sandbox fault (fake clock, real HTTP)', function () {
  this.timeout(10_000);

  let sandbox: SandboxPortal;
  // After each test: the pollers disposed, no secret in any snapshot or request log entry.
  const pollers = usePollerSandbox((started) => (sandbox = started));

  beforeEach(() => {
    sandbox.setCounters(1, { expired: 2, new_comments: 5 });
  });

  afterEach(() => {
    sandbox.clearFaults();
  });

  /** Sockets and timers of this process before the first row. */
  const resourceCount = (type: string) => process.getActiveResourcesInfo().filter((t) => t === type).length;
  let socketsBefore = 0;
  let timersBefore = 0;
  before(() => {
    socketsBefore = resourceCount('TCPSocketWrap');
    timersBefore = resourceCount('Timeout');
  });

  /** A connected poller after its first good poll, and a counter of finished polls. */
  async function connected() {
    // no jitter: delays are exact
    const { timers, state, poller, sent } = pollers.createPoller(ALL, INTERVAL, { timeoutMs: CLIENT_TIMEOUT_MS, maxBytes: MAX_BYTES });
    let finished = 0;
    let wasLoading = false;
    state.subscribe((snapshot) => {
      if (wasLoading && !snapshot.loading) finished++;
      wasLoading = snapshot.loading;
    });
    poller.connect(webhookOf(sandbox.webhookUrl(1)), 'stored');
    await timers.tickAsync(START_DELAY);
    await until(() => finished === 1, 'the first poll');
    await timers.tickAsync(0); // the scheduler takes the run's end
    assert.deepEqual(counts(state.snapshot.counters), [['expired', 2], ['new_comments', 5]]);
    assert.equal(state.snapshot.error, undefined);

    /**
     * Moves the fake clock to the next scheduled poll, checking that nothing is sent a millisecond
     * before it, and waits for that poll to end. Returns the gap waited.
     */
    const nextPoll = async (): Promise<number> => {
      const due = state.snapshot.nextPollAt;
      assert.notEqual(due, undefined, 'a poll is scheduled');
      const gap = due! - timers.now;
      const requests = sandbox.requests.length;
      const sentBefore = sent();
      const before = finished;
      if (gap > 1) {
        await timers.tickAsync(gap - 1);
        assert.equal(sent(), sentBefore, 'no request before the scheduled time');
      }
      await timers.tickAsync(due! - timers.now);
      await until(() => finished > before, 'the scheduled poll');
      await timers.tickAsync(0); // the scheduler takes the run's end
      await until(() => sandbox.requests.length > requests, 'the request to be logged');
      assert.equal(sandbox.requests.length, requests + 1, 'exactly one request per poll');
      return gap;
    };
    return { timers, state, poller, sent, nextPoll };
  }

  /** Everything that must hold after a failed poll: the error shown, the last numbers kept. */
  function assertFailedKeepingNumbers(row: Row, state: CountersState, good: CountersSnapshot, now: number): Failure {
    const s = state.snapshot;
    assert.ok(s.error, `an error is shown (${row.title})`);
    assert.equal(s.error.failure.kind, row.kind);
    assert.equal(s.error.at, now, 'the error is dated by the failed poll');
    assert.equal(s.counters, good.counters, 'the last good counters stay, the very same object');
    assert.equal(s.byRole, good.byRole);
    assert.equal(s.updatedAt, good.updatedAt, 'their age keeps counting from the last good answer');
    assert.equal(s.loading, false);
    assert.equal(isStale(s), true, 'shown as stale');
    assert.ok(!JSON.stringify(s.error).includes(SECRET_PREFIX));
    row.check?.(s.error.failure, now);
    return s.error.failure;
  }

  /** The fault is gone: new numbers from the next poll, the error cleared. */
  async function assertRecovers(env: Awaited<ReturnType<typeof connected>>, row: Row): Promise<void> {
    sandbox.clearFaults();
    row.disarm?.(sandbox);
    sandbox.setCounters(1, { expired: 4, new_comments: 1 });
    await env.nextPoll();
    const s = env.state.snapshot;
    assert.equal(s.error, undefined, 'the error is cleared');
    assert.equal(s.halted, false);
    assert.equal(isStale(s), false);
    assert.deepEqual(counts(s.counters), [['expired', 4], ['new_comments', 1]], 'the new numbers are shown');
    assert.equal(s.updatedAt, env.timers.now);
  }

  for (const row of MATRIX) {
    describe(`${row.title} → ${row.kind ?? 'no error'}, ${row.policy}`, () => {
      switch (row.policy) {
        case 'backoff':
          it('shows the error with the last numbers, backs off, and recovers by itself', async () => {
            const env = await connected();
            const good = env.state.snapshot;
            row.arm(sandbox, env.timers.now);
            const minGap = row.minGapMs;
            await env.poller.refresh();
            assertFailedKeepingNumbers(row, env.state, good, env.timers.now);
            assert.equal(env.state.snapshot.halted, false, 'retryable: not halted');
            assert.equal(env.timers.countTimers(), 1, 'one retry timer');

            const gaps: number[] = [];
            for (let i = 0; i < FAILING_POLLS; i++) {
              const gap = await env.nextPoll();
              gaps.push(gap);
              assertFailedKeepingNumbers(row, env.state, good, env.timers.now);
              if (minGap !== undefined) assert.ok(gap >= minGap, `gap ${gap} honours the portal's Retry-After`);
            }
            const last = env.state.snapshot.nextPollAt! - env.timers.now;
            gaps.push(last);
            // A rate limit's retries start sooner: the bucket may well take a request half a minute later.
            const firstRetry = row.kind === 'rateLimited' ? Math.min(RATE_LIMIT_RETRY_MS, INTERVAL) : INTERVAL;
            assert.ok(gaps[0] >= firstRetry, `the first retry waits at least ${firstRetry} ms: ${gaps.join(', ')}`);
            if (minGap === undefined) {
              // The plain backoff, the slowed pace is for the polls after a success.
              const doubling = gaps.map((_, i) => Math.min(firstRetry * 2 ** i, CAP));
              assert.deepEqual(gaps, doubling, 'first, 2×, 4×… up to the cap');
            }
            for (let i = 1; i < gaps.length; i++) {
              assert.ok(gaps[i] >= gaps[i - 1], `the waits never shrink while failing: ${gaps.join(', ')}`);
            }
            assert.ok(gaps[gaps.length - 1] > gaps[0], `the waits grow: ${gaps.join(', ')}`);
            assert.ok(Math.max(...gaps) <= Math.max(CAP, minGap ?? 0) + 1000, `never beyond the cap: ${gaps.join(', ')}`);

            await assertRecovers(env, row);
            const afterRecovery = env.state.snapshot.nextPollAt! - env.timers.now;
            if (row.kind === 'rateLimited') {
              // The refusals slowed the normal pace too: slowed after the success, within the cap,
              // and speeding up poll by poll back to the interval. Each wait of a pace p lets the
              // rate 1/p climb by a factor e^(PROBE_PER_INTERVAL·p), so by at least
              // PROBE_PER_INTERVAL: the climb from the slowest pace takes fewer polls than this.
              assert.ok(afterRecovery > INTERVAL && afterRecovery <= CAP, `next poll in ${afterRecovery} ms`);
              const maxPolls = Math.ceil(1 / PROBE_PER_INTERVAL);
              const paces = [afterRecovery];
              while (paces[paces.length - 1] > INTERVAL) {
                assert.ok(paces.length <= maxPolls, `still slowed after ${maxPolls} polls: ${paces.slice(-5).join(', ')}`);
                await env.nextPoll();
                assert.equal(env.state.snapshot.error, undefined);
                paces.push(env.state.snapshot.nextPollAt! - env.timers.now);
              }
              assert.equal(paces[paces.length - 1], INTERVAL, 'back at the interval');
              for (let i = 1; i < paces.length; i++) assert.ok(paces[i] <= paces[i - 1], 'the pace only speeds up');
            } else {
              assert.equal(afterRecovery, INTERVAL, 'the first success resets the backoff');
            }
          });
          break;

        case 'waitForReset':
          it('waits for operating_reset_at (beyond the backoff), keeps the numbers, resumes after it', async () => {
            const env = await connected();
            const good = env.state.snapshot;
            const resetAt = row.arm(sandbox, env.timers.now)!;
            await env.poller.refresh();
            const failure = assertFailedKeepingNumbers(row, env.state, good, env.timers.now);
            assert.equal(failure.retryAt, resetAt);
            assert.equal(env.state.snapshot.halted, false);
            const next = env.state.snapshot.nextPollAt!;
            assert.ok(next >= resetAt && next <= resetAt + 1000, `next poll ${next - resetAt} ms after the reset`);

            // Still over the budget at the reset: a new reset time, and the wait starts over.
            sandbox.clearFaults();
            const resetAt2 = resetAt + 10 * 60_000;
            sandbox.inject('operationTimeLimit', { method: 'batch', operatingResetAt: resetAt2 / 1000 });
            const gap = await env.nextPoll(); // checks that nothing is sent before
            assert.ok(env.timers.now >= resetAt, `polled ${gap} ms after the failure, at the reset`);
            assertFailedKeepingNumbers(row, env.state, good, env.timers.now);
            const next2 = env.state.snapshot.nextPollAt!;
            assert.ok(next2 >= resetAt2 && next2 <= resetAt2 + 1000, `then waits for the new reset: ${next2 - resetAt2}`);

            await assertRecovers(env, row);
            assert.ok(env.timers.now >= resetAt2);
            assert.equal(env.state.snapshot.nextPollAt! - env.timers.now, INTERVAL);
          });
          break;

        case 'halt':
          it('shows the error with the last numbers and stops: no timer, no request for hours, until Refresh', async () => {
            const env = await connected();
            const good = env.state.snapshot;
            row.arm(sandbox, env.timers.now);
            await env.poller.refresh();
            assertFailedKeepingNumbers(row, env.state, good, env.timers.now);
            assert.equal(env.state.snapshot.halted, true);
            assert.equal(env.state.snapshot.nextPollAt, undefined, 'nothing scheduled');
            assert.equal(env.timers.countTimers(), 0, 'no timer');

            const requests = sandbox.requests.length;
            const sent = env.sent();
            await env.timers.tickAsync(6 * HOUR);
            assert.equal(env.sent(), sent, 'no request while halted');
            // Clearing the fault does not restart polling on its own: retrying cannot fix these.
            sandbox.clearFaults();
            await env.timers.tickAsync(6 * HOUR);
            assert.equal(env.sent(), sent, 'still none: only the user restarts it');
            assert.equal(env.state.snapshot.halted, true);
            assert.equal(env.state.snapshot.counters, good.counters);

            sandbox.setCounters(1, { expired: 4, new_comments: 1 });
            await env.poller.refresh();
            const s = env.state.snapshot;
            assert.equal(s.error, undefined);
            assert.equal(s.halted, false);
            assert.deepEqual(counts(s.counters), [['expired', 4], ['new_comments', 1]]);
            assert.equal(s.nextPollAt, env.timers.now + INTERVAL, 'polling again');
            assert.equal(env.timers.countTimers(), 1);
            assert.equal(sandbox.requests.length, requests + 1);
          });
          break;

        case 'nothingVisible':
          it('shows "nothing visible" without an error and keeps polling at the interval', async () => {
            const env = await connected();
            row.arm(sandbox, env.timers.now);
            await env.poller.refresh();
            for (let i = 0; i < 3; i++) {
              const s = env.state.snapshot;
              assert.equal(s.error, undefined, 'a normal answer, not an error');
              assert.equal(s.halted, false);
              assert.equal(s.counters?.visible, false);
              assert.equal(s.counters?.total, 0);
              assert.deepEqual(s.counters?.counters, [], 'no number that was never fetched');
              assert.equal(s.updatedAt, env.timers.now);
              assert.equal(isStale(s), false);
              assert.equal(await env.nextPoll(), INTERVAL, 'the normal interval');
            }
            await assertRecovers(env, row);
            assert.equal(env.state.snapshot.counters?.visible, true);
          });
          break;
      }
    });
  }

  it('covers every fault kind the sandbox can inject', async () => {
    const { FAULT_KINDS } = await import('../sandbox/portal');
    const covered = new Set(MATRIX.map((r) => r.fault));
    assert.deepEqual(FAULT_KINDS.filter((k) => !covered.has(k)), []);
  });

  describe('after every row', () => {
    it('leaves no socket or timer of the transport behind', async () => {
      // Node 20's global agent keeps one idle connection alive for reuse: its two ends (client
      // and sandbox, both in this process) may remain; anything more is a leak. The sandbox's own
      // delayed answers to 'slow' are its timers, cleared as their requests end.
      await until(() => resourceCount('TCPSocketWrap') <= socketsBefore + 2, 'the sockets to close');
      assert.ok(resourceCount('Timeout') <= timersBefore + 2, `${resourceCount('Timeout') - timersBefore} timers left`);
    });
  });
});
