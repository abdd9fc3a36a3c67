/**
 * The poller: the scheduler on a fake clock, the client over real HTTP to the sandbox portal.
 */
import assert from 'node:assert/strict';
import { ROLES } from '../../src/core/counters';
import { Filters, isStale } from '../../src/core/countersState';
import { MIN_REQUEST_GAP_MS as GAP } from '../../src/core/requestGate';
import { nodeFetchTransport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxPortal } from '../sandbox/portal';
import { counts, failureOf, until, usePollerSandbox, waitForSnapshot as waitFor, webhookOf } from './support';

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
    await env.timers.tickAsync(START_DELAY);
    await waitFor(env.state, (s) => !s.loading, 'the first poll');
    return env;
  }

  describe('connect', () => {
    it('shows loading, then the counters of the first poll', async () => {
      const { timers, state, poller, sent } = setup();
      const t0 = timers.now;
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

      await timers.tickAsync(START_DELAY - 1);
      assert.equal(sent(), 0, 'nothing is sent before the start delay');

      await timers.tickAsync(1);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'counters');
      await timers.tickAsync(0); // the scheduler takes the run's end
      assert.equal(loaded.loading, false);
      assert.deepEqual(counts(loaded.counters), [['expired', 2], ['new_comments', 5]]);
      assert.deepEqual(loaded.user, { id: 1, name: 'Anna Smirnova' });
      assert.deepEqual(Object.keys(loaded.byRole ?? {}).sort(), [...ROLES].sort());
      assert.equal(loaded.updatedAt, t0 + START_DELAY);
      assert.equal(loaded.error, undefined);
      assert.equal(loaded.halted, false);
      assert.equal(state.snapshot.nextPollAt, timers.now + INTERVAL);
      assert.equal(sandbox.requests.length, 1);
      assert.equal(sandbox.requests[0].method, 'batch');
    });

    it('polls on the interval; the user is asked for only until known', async () => {
      const { timers, state, sent } = await connected(1);
      const firstCmd = (sandbox.requests[0].params as { cmd: Record<string, string> }).cmd;
      assert.ok('user' in firstCmd);
      await timers.tickAsync(INTERVAL - 1);
      assert.equal(sent(), 1, 'nothing before the interval');
      await timers.tickAsync(1);
      await waitFor(state, (s) => !s.loading && sandbox.requests.length === 2, 'the second poll');
      const secondCmd = (sandbox.requests[1].params as { cmd: Record<string, string> }).cmd;
      assert.ok(!('user' in secondCmd) && !('profile' in secondCmd), 'the user is known by now');
      assert.deepEqual(state.snapshot.user, { id: 1, name: 'Anna Smirnova' });
      assert.equal(state.snapshot.updatedAt, timers.now);
    });

    it('with a verified answer, shows it at once and sends nothing until the interval', async () => {
      const { timers, state, poller, sent } = setup();
      const verified = await poller.verify(webhook(1));
      assert.ok(verified.ok);
      poller.connect(webhook(1), 'environment', verified.value);
      assert.equal(state.snapshot.loading, false);
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 2], ['new_comments', 5]]);
      assert.deepEqual(state.snapshot.user, { id: 1, name: 'Anna Smirnova' });
      assert.equal(state.snapshot.connection.kind === 'connected' && state.snapshot.connection.source, 'environment');
      assert.equal(state.snapshot.nextPollAt, timers.now + INTERVAL);
      await timers.tickAsync(INTERVAL - 1);
      assert.equal(sent(), 1, 'the check\'s request only');
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

    it('a verified answer for filters changed while it was checked is not shown: the first poll asks, 15 s after the check', async () => {
      const { timers, state, poller } = setup();
      const verified = await poller.verify(webhook(1));
      assert.ok(verified.ok);
      poller.setFilters({ ...ALL, groupId: 7 }); // the settings changed while Connect was checking
      sandbox.clearLog();
      poller.connect(webhook(1), 'stored', verified.value);
      assert.equal(state.snapshot.counters, undefined, 'not the all-groups numbers under group 7');
      assert.equal(state.snapshot.loading, true);
      assert.equal(state.snapshot.nextPollAt, timers.now + GAP);
      await timers.tickAsync(GAP);
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
      const { timers, state, poller, inFlight } = setup();
      sandbox.inject('slow', { delayMs: 2000, times: 1 });
      poller.connect(webhook(1), 'stored');
      await timers.tickAsync(START_DELAY);
      await until(() => sandbox.requests.length === 1, 'the first request to arrive');
      poller.connect(webhook(2), 'stored');
      assert.equal(state.snapshot.counters, undefined);
      await until(() => inFlight() === 0, 'the aborted request to come back');
      await timers.tickAsync(GAP); // the window's next request: 15 s after its last, whatever the webhook
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'counters of user 2');
      await timers.tickAsync(0); // the scheduler takes the run's end
      assert.deepEqual(loaded.user, { id: 2, name: 'Boris Ivanov' });
      assert.deepEqual(counts(loaded.counters), [['expired', 0], ['new_comments', 1]]);
      assert.ok(!pollers.snapshots.some((s) => s.user?.id === 1), 'user 1\'s late answer never showed');
      assert.equal(state.snapshot.nextPollAt, timers.now + INTERVAL, 'and polling goes on');
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

    it('a group change clears the numbers until the group\'s are fetched (15 s after the last poll), and names the group', async () => {
      const { timers, state, poller, sent } = await connected(1);
      sandbox.clearLog();
      poller.setFilters({ ...ALL, groupId: 7 });
      assert.equal(state.snapshot.counters, undefined);
      assert.equal(state.snapshot.byRole, undefined);
      assert.equal(state.snapshot.updatedAt, undefined);
      assert.equal(state.snapshot.nextPollAt, timers.now + GAP);
      await timers.tickAsync(GAP - 1);
      assert.equal(sent(), 1);
      await timers.tickAsync(1);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'group 7 counters');
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 2]]);
      assert.equal(loaded.groupName, 'Website relaunch');
      assert.equal(sandbox.requests.length, 1, 'counters and group names in one request');
      const cmd = (sandbox.requests[0].params as { cmd: Record<string, string> }).cmd;
      assert.match(cmd.view_all, /groupId=7/);
      assert.equal(cmd.groups, 'sonet_group.user.groups');
    });

    it('a user change is a scope change too', async () => {
      const { timers, state, poller } = await connected(3);
      poller.setFilters({ ...ALL, userId: 1 });
      assert.equal(state.snapshot.counters, undefined);
      await timers.tickAsync(GAP);
      const loaded = await waitFor(state, (s) => s.counters !== undefined, 'user 1 counters seen by the admin');
      assert.deepEqual(counts(loaded.counters), [['expired', 2], ['new_comments', 5]]);
      assert.deepEqual(loaded.user, { id: 3, name: 'Viktor Orlov' }, 'still the webhook\'s own user');
    });

    it('a scope change while a request is out never shows the old scope\'s numbers', async () => {
      const { timers, state, poller } = await connected(1);
      sandbox.inject('slow', { delayMs: 300, times: 1 });
      const inFlight = poller.refresh();
      await until(() => sandbox.requests.length === 2, 'the slow request to arrive');
      assert.equal(state.snapshot.loading, true, 'the request is still out');
      const from = pollers.snapshots.length;
      poller.setFilters({ ...ALL, groupId: 12 });
      await inFlight;
      await timers.tickAsync(GAP); // the new filters' poll, 15 s after the answer
      const loaded = await waitFor(state, (s) => s.counters !== undefined && !s.loading, 'group 12 counters', 5000);
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 1]]);
      assert.equal(loaded.groupName, 'Mobile app');
      const after = pollers.snapshots.slice(from);
      assert.ok(
        after.every((s) => s.counters === undefined || (s.filters.groupId === 12 && counts(s.counters)?.[0][1] === 1)),
        'no snapshot after the change shows the all-groups numbers',
      );
    });

    it('another role clears the old role\'s failure at once, and asks again when the portal allows', async () => {
      const { timers, state, poller, sent } = await connected(1);
      sandbox.inject('operationTimeLimit', { method: 'tasks.task.counters.get', times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.limit, 'operationTime', 'the view_all command failed inside the batch');
      const retryAt = state.snapshot.nextPollAt!;
      sandbox.clearLog();
      poller.setFilters({ ...ALL, role: 'view_role_responsible' });
      assert.equal(state.snapshot.error, undefined, 'view_all\'s failure is not the responsible role\'s');
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 1], ['new_comments', 3]]);
      assert.equal(state.snapshot.nextPollAt, retryAt, 'the portal\'s wait holds a settings change too');
      await timers.tickAsync(retryAt - timers.now - 1);
      assert.equal(sent(), 2);
      await timers.tickAsync(1);
      await waitFor(state, (s) => !s.loading && sandbox.requests.length === 1, 'the request for the new role');
      assert.equal(state.snapshot.error, undefined);
    });

    it('another group clears the old group\'s failure at once, before its own numbers come', async () => {
      const { timers, state, poller } = await connected(1);
      poller.setFilters({ ...ALL, groupId: 30 });
      await timers.tickAsync(GAP);
      await waitFor(state, (s) => s.error !== undefined, 'group 30\'s access error');
      assert.equal(state.snapshot.halted, true);
      poller.setFilters({ ...ALL, groupId: 7 });
      assert.equal(state.snapshot.error, undefined, 'group 30\'s error is not group 7\'s');
      assert.equal(state.snapshot.halted, false);
      await timers.tickAsync(GAP); // 15 s after group 30's answer
      const loaded = await waitFor(state, (s) => s.counters !== undefined && !s.loading, 'group 7 counters');
      assert.deepEqual(counts(loaded.counters), [['expired', 1], ['new_comments', 2]]);
    });

    it('another role while halted on a failure of the whole request asks again (a user action)', async () => {
      const { timers, state, poller } = await connected(1);
      sandbox.inject('invalidCredentials', { times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.halted, true);
      poller.setFilters({ ...ALL, role: 'view_role_responsible' });
      await timers.tickAsync(GAP);
      await waitFor(state, (s) => !s.loading && !s.halted && s.error === undefined, 'the answer for the new role');
      await until(() => timers.countTimers() === 1, 'polling again');
    });

    it('a group the user cannot see: access error, halted, no numbers', async () => {
      const { timers, state, poller } = await connected(1);
      poller.setFilters({ ...ALL, groupId: 30 });
      await timers.tickAsync(GAP);
      const failed = await waitFor(state, (s) => s.error !== undefined, 'the error');
      assert.equal(failed.error!.failure.kind, 'access');
      assert.equal(failed.halted, true);
      assert.equal(failed.counters, undefined);
      assert.equal(timers.countTimers(), 0);
    });
  });

  // The fault matrix (faultMatrix.test.ts) has one row per failure the portal can give; here, what
  // only the poller can get wrong.
  describe('failures', () => {
    it('OPERATION_TIME_LIMIT on the current role inside the batch also waits', async () => {
      const { timers, state, poller } = await connected(1);
      sandbox.inject('operationTimeLimit', { method: 'tasks.task.counters.get', times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.error?.failure.limit, 'operationTime');
      // a batch command's error has no reset time: the last answer's operating_reset_at
      // (about ten minutes ahead on the sandbox), at least the SDK's 10 s
      const next = state.snapshot.nextPollAt!;
      assert.ok(next >= timers.now + 10_000, `next poll in ${next - timers.now} ms`);
      assert.ok(next <= timers.now + 601_000 + 1000, `next poll in ${next - timers.now} ms`);
      assert.deepEqual(counts(state.snapshot.counters), [['expired', 2], ['new_comments', 5]], 'last good numbers stay');
    });

    it('OPERATION_TIME_LIMIT on the current role waits for the counters method\'s own reset, not another method\'s', async () => {
      // The budget is per method: the batch's other methods (user.current, profile, the batch
      // itself) report their own, later resets, which say nothing about the counters'.
      const seconds = Math.floor(Date.now() / 1000);
      const countersReset = seconds + 120;
      sandbox.setMethodTime('tasks.task.counters.get', { operating: 470, operatingResetAt: countersReset });
      for (const method of ['user.current', 'profile', 'batch']) sandbox.setMethodTime(method, { operating: 3, operatingResetAt: seconds + 540 });
      try {
        const { timers, state, poller } = await connected(1);
        assert.equal((sandbox.requests[0].params as { cmd: Record<string, string> }).cmd.user, 'user.current', 'the first poll asked who');
        sandbox.inject('operationTimeLimit', { method: 'tasks.task.counters.get', times: 1 });
        await poller.refresh();
        assert.equal(state.snapshot.error?.failure.limit, 'operationTime');
        assert.equal(state.snapshot.error?.failure.retryAt, undefined, 'a batch command\'s error has no reset time');
        const next = state.snapshot.nextPollAt!;
        assert.ok(next >= countersReset * 1000 && next <= countersReset * 1000 + 1000, `next poll ${next - countersReset * 1000} ms after the counters' reset`);
        assert.ok(next > timers.now);
      } finally {
        for (const method of ['tasks.task.counters.get', 'user.current', 'profile', 'batch']) sandbox.setMethodTime(method, undefined);
      }
    });

    // A transport must never reject (see `Transport`), and nothing in the client throws today;
    // but if anything in a poll ever threw, the scheduler would retry while the state still said
    // "loading" (and "halted", after a halt), with no error: fresh-looking numbers that age
    // without a word. CountersPoller.poll turns a throw into a failure.
    it('a poll that throws shows an error instead of "loading", and retries', async () => {
      let throws = false;
      const { timers, state, poller } = pollers.createPoller(ALL, INTERVAL, {
        transport: { post: (...args) => (throws ? Promise.reject(new Error('unexpected')) : nodeFetchTransport.post(...args)) },
      });
      poller.connect(webhook(1), 'stored');
      await timers.tickAsync(START_DELAY);
      await waitFor(state, (s) => s.counters !== undefined, 'the first poll');
      await timers.tickAsync(0); // the scheduler takes the run's end
      sandbox.inject('redirect', { redirectTo: 'https://elsewhere.example/rest/', times: 1 });
      await poller.refresh();
      assert.equal(state.snapshot.halted, true);
      throws = true;
      const clicked = poller.refresh(); // the user clicks Refresh again; the poll throws
      await timers.tickAsync(GAP); // not within 15 s of the last explicit one
      await clicked;
      const s = state.snapshot;
      assert.equal(timers.countTimers(), 1, 'the scheduler retries (treats the throw as retryable)');
      assert.equal(s.nextPollAt, timers.now + INTERVAL);
      assert.equal(s.loading, false, 'not stuck in "loading"');
      assert.equal(s.halted, false, 'not "halted" while a retry is scheduled');
      assert.equal(s.error?.failure.kind, 'network', 'the failure is shown, the numbers marked stale');
      assert.ok(s.counters);
      assert.equal(isStale(s), true);
    });
  });

  describe('disconnect', () => {
    it('resets every surface and stops all timers', async () => {
      const { timers, state, poller, sent } = await connected(1);
      poller.disconnect();
      const s = state.snapshot;
      assert.deepEqual(s.connection, { kind: 'disconnected' });
      for (const key of ['user', 'groupName', 'byRole', 'counters', 'updatedAt', 'error', 'nextPollAt'] as const) {
        assert.equal(s[key], undefined, key);
      }
      assert.equal(s.loading, false);
      assert.equal(s.halted, false);
      assert.deepEqual(s.filters, ALL, 'the filters are settings, kept');
      assert.equal(timers.countTimers(), 0);
      assert.equal(poller.webhook, undefined);
      await timers.tickAsync(10 * INTERVAL);
      await poller.refresh();
      assert.equal(sent(), 1, 'nothing after the disconnect, on the clock or on Refresh');
      const groups = await poller.listGroups();
      assert.equal(failureOf(groups).kind, 'auth');
    });

    it('during a request: the request is aborted and its answer never shows', async () => {
      const { timers, state, poller, inFlight } = setup();
      sandbox.inject('slow', { delayMs: 2000, times: 1 });
      poller.connect(webhook(1), 'stored');
      await timers.tickAsync(START_DELAY);
      await until(() => sandbox.requests.length === 1, 'the request to arrive');
      poller.disconnect();
      await until(() => inFlight() === 0, 'the aborted request to come back');
      await timers.tickAsync(0);
      assert.equal(state.snapshot.connection.kind, 'disconnected');
      assert.equal(state.snapshot.counters, undefined);
      assert.equal(state.snapshot.error, undefined);
      assert.equal(state.snapshot.loading, false);
      assert.equal(timers.countTimers(), 0);
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
      const { timers, state, poller } = await connected(1);
      const before = state.snapshot;
      const pending = timers.countTimers();
      assert.ok((await poller.verify(webhook(2))).ok);
      assert.equal(state.snapshot, before);
      assert.equal(timers.countTimers(), pending);
      assert.equal(poller.webhook?.userId, 1);
    });
  });

  describe('pause and resume', () => {
    it('pause holds polling; resume polls at once when the numbers are old', async () => {
      const { timers, state, poller, sent } = await connected(1);
      poller.pause();
      assert.equal(timers.countTimers(), 0);
      assert.equal(state.snapshot.nextPollAt, undefined);
      sandbox.clearLog();
      await timers.tickAsync(5 * INTERVAL);
      assert.equal(sent(), 1, 'nothing while paused');
      poller.resume();
      await timers.tickAsync(0);
      await waitFor(state, (s) => !s.loading && s.updatedAt === timers.now, 'the poll on resume');
      assert.equal(sandbox.requests.length, 1);
    });

    it('a window paused stays paused when the webhook changes (another window connected)', async () => {
      const { timers, state, poller, sent } = await connected(1);
      poller.pause();
      poller.connect(webhook(2), 'stored');
      await timers.tickAsync(5 * INTERVAL);
      assert.equal(sent(), 1, 'nothing while away');
      assert.equal(state.snapshot.nextPollAt, undefined);
      poller.resume();
      await timers.tickAsync(0);
      const loaded = await waitFor(state, (s) => s.counters !== undefined && !s.loading, 'the poll on focus');
      assert.deepEqual(loaded.user, { id: 2, name: 'Boris Ivanov' });
    });

    it('resume with fresh numbers waits for the rest of the interval', async () => {
      const { timers, state, poller } = await connected(1);
      const updatedAt = state.snapshot.updatedAt!;
      poller.pause();
      await timers.tickAsync(10_000);
      poller.resume();
      assert.equal(state.snapshot.nextPollAt, updatedAt + INTERVAL);
    });
  });

  describe('listGroups', () => {
    it('lists the connected user\'s groups, 15 s after the last request', async () => {
      const { timers, poller, sent } = await connected(1);
      const listed = poller.listGroups();
      await timers.tickAsync(GAP - 1);
      assert.equal(sent(), 1);
      await timers.tickAsync(1);
      const groups = await listed;
      assert.ok(groups.ok);
      assert.deepEqual(groups.value.map((g) => g.name), ['Mobile app', 'Website relaunch']);
    });
  });

  describe('requestGapMs: the request gate\'s spacing', () => {
    async function connectedWithGap(requestGapMs: number) {
      const env = pollers.createPoller(ALL, INTERVAL, {}, { requestGapMs });
      env.poller.connect(webhook(1), 'stored');
      await env.timers.tickAsync(START_DELAY);
      await waitFor(env.state, (s) => !s.loading, 'the first poll');
      return env;
    }

    it('the group list goes the given gap after the last request, not 15 s', async () => {
      const { timers, poller, sent } = await connectedWithGap(2000);
      const listed = poller.listGroups();
      await timers.tickAsync(1999);
      assert.equal(sent(), 1, 'not within the gap');
      await timers.tickAsync(1);
      const groups = await listed;
      assert.ok(groups.ok, 'answered after 2 s');
      assert.equal(sent(), 2);
    });

    it('a gap longer than 15 s is waited out for the group list, not refused as the portal\'s wait', async () => {
      const { timers, poller, sent } = await connectedWithGap(120_000);
      const listed = poller.listGroups();
      await timers.tickAsync(120_000 - 1);
      assert.equal(sent(), 1);
      await timers.tickAsync(1);
      const groups = await listed;
      assert.ok(groups.ok, JSON.stringify(groups));
      assert.equal(sent(), 2);
    });

    it('while failing, the group list is refused at once when the backoff has more than the gap left', async () => {
      const { timers, state, poller, sent } = await connectedWithGap(2000);
      sandbox.inject('internalError', { times: 1 });
      await timers.tickAsync(INTERVAL);
      const failed = await waitFor(state, (s) => s.error !== undefined && s.nextPollAt !== undefined, 'the failed poll');
      await timers.tickAsync(failed.nextPollAt! - timers.now - 10_000); // 10 s of the backoff left
      const before = sent();
      const groups = await poller.listGroups();
      assert.equal(failureOf(groups).kind, failed.error!.failure.kind, 'the failure that made it wait');
      assert.equal(sent(), before, 'nothing sent');
    });
  });

  describe('setIntervalMs', () => {
    it('reschedules the next poll', async () => {
      const { timers, state, poller } = await connected(1);
      poller.setIntervalMs(5 * INTERVAL);
      assert.equal(state.snapshot.nextPollAt, timers.now + 5 * INTERVAL);
    });
  });
});
