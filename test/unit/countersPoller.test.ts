/**
 * The poller: the scheduler on a fake clock, the client over real HTTP to the sandbox portal.
 */
import assert from 'node:assert/strict';
import { ROLES } from '../../src/core/counters';
import { Filters, isStale } from '../../src/core/countersState';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxPortal } from '../sandbox/portal';
import { counts, failureOf, realDelay, until, usePollerSandbox, waitForSnapshot as waitFor, webhookOf } from './support';

const INTERVAL = 60_000;
/** CountersPoller's START_DELAY_MS; with random 0.5 the jitter adds nothing. */
const START_DELAY = 50;
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };

describe('CountersPoller (fake clock, sandbox portal)', function () {
  this.timeout(10_000);

  let sandbox: SandboxPortal;
  // No snapshot a view ever rendered, and no log entry, may carry a secret (checked after each test).
  const pollers = usePollerSandbox((started) => (sandbox = started));

  function webhook(userId: number): WebhookUrl {
    return webhookOf(sandbox.webhookUrl(userId));
  }

  function setup(filters: Filters = ALL) {
    return pollers.createPoller(filters, INTERVAL);
  }

  /** Connects and lets the first (delayed) poll land. */
  async function connected(userId = 1, filters: Filters = ALL) {
    const env = setup(filters);
    env.poller.connect(webhook(userId), 'stored');
    await env.clock.advance(START_DELAY);
    await waitFor(env.state, (s) => !s.loading, 'the first poll');
    return env;
  }

  describe('connect', () => {
    it('shows loading, then the counters of the first poll', async () => {
      const { clock, state, poller } = setup();
      const t0 = clock.now();
      poller.connect(webhook(1), 'stored');
      const first = state.snapshot;
      assert.deepEqual(first.connection, {
        kind: 'connected',
        portal: sandbox.origin,
        webhookUserId: 1,
        redacted: `${sandbox.origin}/rest/1/•••/`,
        source: 'stored',
      });
      assert.equal(first.loading, true);
      assert.equal(first.counters, undefined);
      assert.equal(first.halted, false);
      assert.equal(first.nextPollAt, t0 + START_DELAY);

      await clock.advance(START_DELAY - 1);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0, 'nothing is sent before the start delay');

      await clock.advance(1);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'counters');
      assert.equal(loaded.loading, false);
      assert.deepEqual(counts(loaded.counters), [['expired', 2], ['new_comments', 5]]);
      assert.deepEqual(loaded.user, { id: 1, name: 'Anna Smirnova' });
      assert.deepEqual(Object.keys(loaded.byRole ?? {}).sort(), [...ROLES].sort());
      assert.equal(loaded.updatedAt, t0 + START_DELAY);
      assert.equal(loaded.error, undefined);
      assert.equal(loaded.halted, false);
      assert.equal(state.snapshot.nextPollAt, clock.now() + INTERVAL);
      assert.equal(sandbox.requests.length, 1);
      assert.equal(sandbox.requests[0].method, 'batch');
    });

    it('polls on the interval; the user is asked for only until known', async () => {
      const { clock, state } = await connected(1);
      const firstCmd = (sandbox.requests[0].params as { cmd: Record<string, string> }).cmd;
      assert.ok('user' in firstCmd);
      await clock.advance(INTERVAL - 1);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 1);
      await clock.advance(1);
      await waitFor(state, (s) => !s.loading && sandbox.requests.length === 2, 'the second poll');
      const secondCmd = (sandbox.requests[1].params as { cmd: Record<string, string> }).cmd;
      assert.ok(!('user' in secondCmd) && !('profile' in secondCmd), 'the user is known by now');
      assert.deepEqual(state.snapshot.user, { id: 1, name: 'Anna Smirnova' });
      assert.equal(state.snapshot.updatedAt, clock.now());
    });

    it('with a verified answer, shows it at once and sends nothing until the interval', async () => {
      const { clock, state, poller } = setup();
      const verified = await poller.verify(webhook(1));
      assert.ok(verified.ok);
      sandbox.clearLog();
      poller.connect(webhook(1), 'environment', verified.value);
      assert.equal(state.snapshot.loading, false);
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 2], ['new_comments', 5]]);
      assert.deepEqual(state.snapshot.user, { id: 1, name: 'Anna Smirnova' });
      assert.equal(state.snapshot.connection.kind === 'connected' && state.snapshot.connection.source, 'environment');
      assert.equal(state.snapshot.nextPollAt, clock.now() + INTERVAL);
      await clock.advance(START_DELAY * 10);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0);
    });

    it('with a group filter, verify asks for the group\'s name too: the tree names the group from the start', async () => {
      const { state, poller } = setup({ ...ALL, groupId: 7 });
      const verified = await poller.verify(webhook(1));
      assert.ok(verified.ok);
      assert.equal((sandbox.requests[0].params as { cmd: Record<string, string> }).cmd.groups, 'sonet_group.user.groups');
      poller.connect(webhook(1), 'stored', verified.value);
      assert.equal(state.snapshot.groupName, 'Website relaunch');
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 1], ['new_comments', 2]]);
    });

    it('a verified answer for filters changed while it was checked is not shown: the first poll asks', async () => {
      const { clock, state, poller } = setup();
      const verified = await poller.verify(webhook(1));
      assert.ok(verified.ok);
      poller.setFilters({ ...ALL, groupId: 7 }); // the settings changed while Connect was checking
      sandbox.clearLog();
      poller.connect(webhook(1), 'stored', verified.value);
      assert.equal(state.snapshot.counters, undefined, 'not the all-groups numbers under group 7');
      assert.equal(state.snapshot.loading, true);
      assert.equal(state.snapshot.nextPollAt, clock.now() + START_DELAY);
      await clock.advance(START_DELAY);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'group 7 counters');
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 2]]);
      assert.equal(loaded.groupName, 'Website relaunch');
    });

    it('a verified answer of another webhook is not shown for this one', async () => {
      const { state, poller } = setup();
      const verified = await poller.verify(webhook(2));
      assert.ok(verified.ok);
      poller.connect(webhook(1), 'stored', verified.value);
      assert.equal(state.snapshot.user, undefined, 'not Boris under Anna\'s webhook');
      assert.equal(state.snapshot.counters, undefined);
      assert.equal(state.snapshot.loading, true);
    });

    it('reconnecting to another webhook while a request is out polls the new one', async () => {
      const { clock, state, poller } = setup();
      sandbox.inject('slow', { delayMs: 2000, times: 1 });
      poller.connect(webhook(1), 'stored');
      await clock.advance(START_DELAY);
      await until(() => sandbox.requests.length === 1, 'the first request to arrive');
      poller.connect(webhook(2), 'stored');
      assert.equal(state.snapshot.counters, undefined);
      await realDelay(30); // the aborted request settles (in real time, well before the start delay)
      await clock.advance(START_DELAY);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'counters of user 2');
      assert.deepEqual(loaded.user, { id: 2, name: 'Boris Ivanov' });
      assert.deepEqual(counts(loaded.counters), [['expired', 0], ['new_comments', 1]]);
      assert.ok(!pollers.snapshots.some((s) => s.user?.id === 1), 'user 1\'s late answer never showed');
      assert.equal(state.snapshot.nextPollAt, clock.now() + INTERVAL, 'and polling goes on');
    });
  });

  describe('setFilters', () => {
    it('a role change shows that role from the last batch at once, before any request', async () => {
      const { state, poller } = await connected(1);
      const batch = state.snapshot.byRole!;
      sandbox.clearLog();
      poller.setFilters({ ...ALL, role: 'view_role_responsible' });
      // synchronously: no request has been answered, yet the numbers are there
      assert.equal(state.snapshot.filters.role, 'view_role_responsible');
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 1], ['new_comments', 3]]);
      const responsible = batch.view_role_responsible;
      assert.ok(responsible.ok);
      assert.equal(state.snapshot.counters, responsible.value, 'taken from the batch already fetched');
      assert.equal(state.snapshot.updatedAt !== undefined, true);
      assert.equal(sandbox.requests.length, 0);
      await waitFor(state, (s) => !s.loading, 'the refresh to settle');
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 1], ['new_comments', 3]]);
    });

    it('a group change clears the numbers until the group\'s are fetched, and names the group', async () => {
      const { state, poller } = await connected(1);
      sandbox.clearLog();
      poller.setFilters({ ...ALL, groupId: 7 });
      assert.equal(state.snapshot.counters, undefined);
      assert.equal(state.snapshot.byRole, undefined);
      assert.equal(state.snapshot.updatedAt, undefined);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'group 7 counters');
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 2]]);
      assert.equal(loaded.groupName, 'Website relaunch');
      assert.equal(sandbox.requests.length, 1, 'counters and group names in one request');
      const cmd = (sandbox.requests[0].params as { cmd: Record<string, string> }).cmd;
      assert.match(cmd.view_all, /groupId=7/);
      assert.equal(cmd.groups, 'sonet_group.user.groups');
    });

    it('a user change is a scope change too', async () => {
      const { state, poller } = await connected(3);
      poller.setFilters({ ...ALL, userId: 1 });
      assert.equal(state.snapshot.counters, undefined);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'user 1 counters seen by the admin');
      assert.deepEqual(counts(loaded.counters), [['expired', 2], ['new_comments', 5]]);
      assert.deepEqual(loaded.user, { id: 3, name: 'Viktor Orlov' }, 'still the webhook\'s own user');
    });

    it('a scope change while a request is out never shows the old scope\'s numbers', async () => {
      const { clock, state, poller } = await connected(1);
      sandbox.inject('slow', { delayMs: 300, times: 1 });
      const inFlight = poller.refresh();
      await until(() => sandbox.requests.length === 2, 'the slow request to arrive');
      assert.equal(state.snapshot.loading, true, 'the request is still out');
      const from = pollers.snapshots.length;
      poller.setFilters({ ...ALL, groupId: 12 });
      await inFlight;
      await clock.advance(0); // the rerun for the new filters
      const loaded = await waitFor(state, (s) => s.counters !== undefined && !s.loading, 'group 12 counters', 5000);
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 1]]);
      assert.equal(loaded.groupName, 'Mobile app');
      const after = pollers.snapshots.slice(from);
      assert.ok(
        after.every((s) => s.counters === undefined || (s.filters.groupId === 12 && counts(s.counters)?.[0][1] === 1)),
        'no snapshot after the change shows the all-groups numbers',
      );
    });

    it('another role clears the old role\'s failure and asks again', async () => {
      const { state, poller } = await connected(1);
      sandbox.inject('operationTimeLimit', { method: 'tasks.task.counters.get', times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.limit, 'operationTime', 'the view_all command failed inside the batch');
      sandbox.clearLog();
      poller.setFilters({ ...ALL, role: 'view_role_responsible' });
      assert.equal(state.snapshot.error, undefined, 'view_all\'s failure is not the responsible role\'s');
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 1], ['new_comments', 3]]);
      await waitFor(state, (s) => !s.loading && sandbox.requests.length === 1, 'the request for the new role');
      assert.equal(state.snapshot.error, undefined);
    });

    it('another group clears the old group\'s failure at once, before its own numbers come', async () => {
      const { clock, state, poller } = await connected(1);
      poller.setFilters({ ...ALL, groupId: 30 });
      await waitFor(state, (s) => s.error !== undefined, 'group 30\'s access error');
      assert.equal(state.snapshot.halted, true);
      poller.setFilters({ ...ALL, groupId: 7 });
      assert.equal(state.snapshot.error, undefined, 'group 30\'s error is not group 7\'s');
      assert.equal(state.snapshot.halted, false);
      await clock.advance(0); // the rerun, if group 30's run had not ended yet
      const loaded = await waitFor(state, (s) => s.counters !== undefined && !s.loading, 'group 7 counters');
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 2]]);
    });

    it('another role while halted on a failure of the whole request asks again (a user action)', async () => {
      const { clock, state, poller } = await connected(1);
      sandbox.inject('invalidCredentials', { times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.halted, true);
      poller.setFilters({ ...ALL, role: 'view_role_responsible' });
      await waitFor(state, (s) => !s.loading && !s.halted && s.error === undefined, 'the answer for the new role');
      await until(() => clock.pendingCount === 1, 'polling again');
    });

    it('a group the user cannot see: access error, halted, no numbers', async () => {
      const { clock, state, poller } = await connected(1);
      poller.setFilters({ ...ALL, groupId: 30 });
      const failed = await waitFor(state, (s) => s.error !== undefined, 'the error');
      assert.equal(failed.error!.failure.kind, 'access');
      assert.equal(failed.halted, true);
      assert.equal(failed.counters, undefined);
      assert.equal(clock.pendingCount, 0);
    });
  });

  describe('failures', () => {
    it('a retryable failure keeps the last good counters (stale) and sets the error', async () => {
      const { clock, state, poller } = await connected(1);
      const good = state.snapshot;
      sandbox.inject('serverError', { times: 1 });
      await poller.refresh();
      const failed = state.snapshot;
      assert.equal(failed.error?.failure.kind, 'server');
      assert.equal(failed.error?.at, clock.now());
      assert.equal(failed.counters, good.counters);
      assert.equal(failed.updatedAt, good.updatedAt);
      assert.equal(failed.loading, false);
      assert.equal(failed.halted, false);
      assert.equal(isStale(failed), true);
      assert.equal(failed.nextPollAt, clock.now() + INTERVAL, 'first retry after one interval');

      await poller.refresh();
      assert.equal(state.snapshot.error, undefined, 'the next success clears it');
      assert.equal(isStale(state.snapshot), false);
    });

    it('backs off while failing', async () => {
      const { clock, state, poller } = await connected(1);
      sandbox.inject('drop');
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.kind, 'network');
      const gaps: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = clock.now();
        const next = state.snapshot.nextPollAt!;
        await clock.advance(next - before);
        await waitFor(state, (s) => !s.loading && s.nextPollAt !== undefined && s.nextPollAt > next, `retry ${i}`);
        gaps.push(next - before);
      }
      assert.deepEqual(gaps, [INTERVAL, 2 * INTERVAL, 4 * INTERVAL]);
    });

    it('OPERATION_TIME_LIMIT: no request before operating_reset_at', async () => {
      const { clock, state, poller } = await connected(1);
      const resetAt = Math.floor(clock.now() / 1000) + 600; // within the 15-minute cap on any wait
      sandbox.inject('operationTimeLimit', { method: 'batch', times: 1, operatingResetAt: resetAt });
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.kind, 'rateLimited');
      assert.equal(state.snapshot.halted, false);
      const next = state.snapshot.nextPollAt!;
      assert.ok(next >= resetAt * 1000 && next <= resetAt * 1000 + 1000, `next poll ${next - resetAt * 1000} ms from the reset`);
      sandbox.clearLog();
      await clock.advance(resetAt * 1000 - clock.now() - 1);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0);
      await clock.advance(next - clock.now());
      await waitFor(state, (s) => s.error === undefined, 'recovery');
      assert.equal(sandbox.requests.length, 1);
    });

    it('OPERATION_TIME_LIMIT on the current role inside the batch also waits', async () => {
      const { clock, state, poller } = await connected(1);
      sandbox.inject('operationTimeLimit', { method: 'tasks.task.counters.get', times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.limit, 'operationTime');
      // a batch command's error has no reset time: the last answer's operating_reset_at
      // (about ten minutes ahead on the sandbox), at least the SDK's 10 s
      const next = state.snapshot.nextPollAt!;
      assert.ok(next >= clock.now() + 10_000, `next poll in ${next - clock.now()} ms`);
      assert.ok(next <= clock.now() + 601_000 + 1000, `next poll in ${next - clock.now()} ms`);
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 2], ['new_comments', 5]], 'last good numbers stay');
    });

    it('an auth failure halts polling until Refresh', async () => {
      const { clock, state, poller } = await connected(1);
      sandbox.inject('invalidCredentials', { times: 1 });
      await poller.refresh();
      const halted = state.snapshot;
      assert.equal(halted.error?.failure.kind, 'auth');
      assert.equal(halted.halted, true);
      assert.equal(halted.nextPollAt, undefined);
      assert.equal(clock.pendingCount, 0);
      assert.deepEqual(counts(halted.counters), [['expired', 2], ['new_comments', 5]]);
      sandbox.clearLog();
      await clock.advance(24 * 3600_000);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0, 'no request while halted');

      await poller.refresh();
      assert.equal(state.snapshot.halted, false);
      assert.equal(state.snapshot.error, undefined);
      assert.equal(clock.pendingCount, 1, 'polling again');
    });

    it('a missing scope (a webhook without task) halts too', async () => {
      const { state, poller } = await connected(1);
      sandbox.inject('insufficientScope', { method: 'tasks.task.counters.get', times: 5 });
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.kind, 'scope');
      assert.equal(state.snapshot.error?.failure.missingScope, 'task');
      assert.equal(state.snapshot.halted, true);
    });
  });

  describe('disconnect', () => {
    it('resets every surface and stops all timers', async () => {
      const { clock, state, poller } = await connected(1);
      poller.disconnect();
      const s = state.snapshot;
      assert.deepEqual(s.connection, { kind: 'disconnected' });
      for (const key of ['user', 'groupName', 'byRole', 'counters', 'updatedAt', 'error', 'nextPollAt'] as const) {
        assert.equal(s[key], undefined, key);
      }
      assert.equal(s.loading, false);
      assert.equal(s.halted, false);
      assert.deepEqual(s.filters, ALL, 'the filters are settings, kept');
      assert.equal(clock.pendingCount, 0);
      assert.equal(poller.webhook, undefined);
      sandbox.clearLog();
      await clock.advance(10 * INTERVAL);
      await poller.refresh();
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0);
      const groups = await poller.listGroups();
      assert.equal(failureOf(groups).kind, 'auth');
    });

    it('during a request: the request is aborted and its answer never shows', async () => {
      const { clock, state, poller } = setup();
      sandbox.inject('slow', { delayMs: 400, times: 1 });
      poller.connect(webhook(1), 'stored');
      await clock.advance(START_DELAY);
      await until(() => sandbox.requests.length === 1, 'the request to arrive');
      poller.disconnect();
      await realDelay(600);
      assert.equal(state.snapshot.connection.kind, 'disconnected');
      assert.equal(state.snapshot.counters, undefined);
      assert.equal(state.snapshot.error, undefined);
      assert.equal(state.snapshot.loading, false);
      assert.equal(clock.pendingCount, 0);
    });
  });

  describe('verify', () => {
    it('checks a webhook with one request without touching the state', async () => {
      const { state, poller } = setup();
      const before = state.snapshot;
      let changes = 0;
      state.subscribe(() => changes++);
      const answer = await poller.verify(webhook(2));
      assert.ok(answer.ok);
      assert.deepEqual(answer.value.user, { ok: true, value: { id: 2, name: 'Boris Ivanov' } });
      assert.ok(answer.value.byRole.view_all.ok);
      assert.equal(sandbox.requests.length, 1);
      assert.equal(state.snapshot, before);
      assert.equal(changes, 0);
    });

    it('returns the failure of a bad webhook, state untouched', async () => {
      const { state, poller } = await connected(1);
      const before = state.snapshot;
      sandbox.inject('invalidCredentials', { times: 1 });
      const answer = await poller.verify(webhook(3));
      assert.equal(failureOf(answer).kind, 'auth');
      assert.equal(state.snapshot, before);
    });

    it('returns the current role\'s failure inside the batch (a group the user cannot see)', async () => {
      const { state, poller } = setup({ ...ALL, groupId: 30 });
      const before = state.snapshot;
      const answer = await poller.verify(webhook(1));
      assert.equal(failureOf(answer).kind, 'access');
      assert.equal(state.snapshot, before);
    });

    it('does not disturb a connection being polled', async () => {
      const { clock, state, poller } = await connected(1);
      const before = state.snapshot;
      const pending = clock.pendingCount;
      assert.ok((await poller.verify(webhook(2))).ok);
      assert.equal(state.snapshot, before);
      assert.equal(clock.pendingCount, pending);
      assert.equal(poller.webhook?.userId, 1);
    });
  });

  describe('pause and resume', () => {
    it('pause holds polling; resume polls at once when the numbers are old', async () => {
      const { clock, state, poller } = await connected(1);
      poller.pause();
      assert.equal(clock.pendingCount, 0);
      assert.equal(state.snapshot.nextPollAt, undefined);
      sandbox.clearLog();
      await clock.advance(5 * INTERVAL);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0);
      poller.resume();
      await clock.advance(0);
      await waitFor(state, (s) => !s.loading && s.updatedAt === clock.now(), 'the poll on resume');
      assert.equal(sandbox.requests.length, 1);
    });

    it('a window paused stays paused when the webhook changes (another window connected)', async () => {
      const { clock, state, poller } = await connected(1);
      poller.pause();
      poller.connect(webhook(2), 'stored');
      sandbox.clearLog();
      await clock.advance(5 * INTERVAL);
      await realDelay(20);
      assert.equal(sandbox.requests.length, 0, 'nothing while away');
      assert.equal(state.snapshot.nextPollAt, undefined);
      poller.resume();
      await clock.advance(0);
      const loaded = await waitFor(state, (s) => s.counters !== undefined && !s.loading, 'the poll on focus');
      assert.deepEqual(loaded.user, { id: 2, name: 'Boris Ivanov' });
    });

    it('resume with fresh numbers waits for the rest of the interval', async () => {
      const { clock, state, poller } = await connected(1);
      const updatedAt = state.snapshot.updatedAt!;
      poller.pause();
      await clock.advance(10_000);
      poller.resume();
      assert.equal(state.snapshot.nextPollAt, updatedAt + INTERVAL);
    });
  });

  describe('listGroups', () => {
    it('lists the connected user\'s groups', async () => {
      const { poller } = await connected(1);
      const groups = await poller.listGroups();
      assert.ok(groups.ok);
      assert.deepEqual(groups.value.map((g) => g.name), ['Mobile app', 'Website relaunch']);
    });
  });

  describe('setIntervalMs', () => {
    it('reschedules the next poll', async () => {
      const { clock, state, poller } = await connected(1);
      poller.setIntervalMs(5 * INTERVAL);
      assert.equal(state.snapshot.nextPollAt, clock.now() + 5 * INTERVAL);
    });
  });
});
