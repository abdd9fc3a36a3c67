/**
 * The request gate seen from outside the poller: what a user does while the portal asked to
 * wait, what a jump of the wall clock does to the schedule, and what one settings change costs
 * windows that share a poll. One window against the sandbox portal (real HTTP, fake time), or
 * the property tests' world of windows sharing real files.
 */
import assert from 'node:assert/strict';
import { Filters } from '../../src/core/countersState';
import { TASK_LIST_COUNTERS } from '../../src/core/taskList';
import { SandboxPortal } from '../sandbox/portal';
import { World } from './pollerWorld';
import { usePollerSandbox, waitForSnapshot as waitFor, webhookOf } from './support';

const INTERVAL = 60_000;
const START_DELAY = 50;
const GAP = 15_000;
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };

describe('the request gate, from outside the poller', function () {
  this.timeout(20_000);

  let sandbox: SandboxPortal;
  const pollers = usePollerSandbox((started) => (sandbox = started));

  async function connected() {
    const env = pollers.createPoller(ALL, INTERVAL);
    env.poller.connect(webhookOf(sandbox.webhookUrl(1)), 'stored');
    await env.timers.tickAsync(START_DELAY);
    await waitFor(env.state, (s) => !s.loading && s.counters !== undefined, 'the first poll');
    return env;
  }

  describe('gestures while the portal asks to wait', () => {
    it('after a 503 with Retry-After: 600, expanding Overdue five times and opening Go to Task send nothing; the retry comes when the portal said', async () => {
      const { timers, state, poller, sent } = await connected();
      sandbox.inject('queryLimit', { retryAfterSeconds: 600, times: 1 });
      await timers.tickAsync(INTERVAL);
      const failed = await waitFor(state, (s) => s.error !== undefined && s.nextPollAt !== undefined, 'the 503 and its retry time');
      const retryAt = failed.nextPollAt!;
      assert.ok(retryAt >= timers.now + 600_000, `retry at +${retryAt - timers.now} ms`);
      const before = sent();
      for (let i = 0; i < 5; i++) {
        const collapse = poller.showTaskLists(['expired']);
        await timers.tickAsync(500);
        collapse();
        await timers.tickAsync(500);
      }
      const close = poller.showTaskLists(TASK_LIST_COUNTERS);
      await timers.tickAsync(1000);
      close();
      assert.equal(sent(), before, 'no request before the portal\'s Retry-After');
      assert.equal(state.snapshot.nextPollAt, retryAt, 'and the retry stays where it was');
      // A row expanded again: its list rides in the retry, which comes at its time.
      poller.showTaskLists(['expired']);
      await timers.tickAsync(retryAt - timers.now - 1);
      assert.equal(sent(), before);
      await timers.tickAsync(1);
      const answered = await waitFor(state, (s) => s.error === undefined && s.taskLists?.expired !== undefined, 'the retry with the list');
      assert.equal(sent(), before + 1);
      assert.equal(answered.taskLists?.expired?.ok, true);
    });

    it('a row expanded 5 s after a poll: its list comes 15 s after that poll, not at once', async () => {
      const { timers, state, poller, sent } = await connected();
      await timers.tickAsync(5000);
      poller.showTaskLists(['expired']);
      await timers.tickAsync(GAP - 5000 - 1);
      assert.equal(sent(), 1, 'no second request within 15 s');
      assert.equal(state.snapshot.nextPollAt, timers.now + 1, 'the state says when it asks');
      await timers.tickAsync(1);
      await waitFor(state, (s) => s.taskLists?.expired !== undefined, 'the list');
      assert.equal(sent(), 2);
    });
  });

  describe('a wall clock that jumps (suspend and resume, NTP)', () => {
    it('forward while paused: on resume 6 s after a poll, the next still waits out the interval', async () => {
      const { timers, poller, sent } = await connected();
      await timers.tickAsync(1000);
      poller.pause();
      await timers.tickAsync(1000);
      timers.setSystemTime(timers.now + 3600_000);
      await timers.tickAsync(4000);
      poller.resume();
      await timers.tickAsync(INTERVAL - 6000 - 1);
      assert.equal(sent(), 1, 'not before the interval, counted on the monotonic clock');
      await timers.tickAsync(1);
      assert.equal(sent(), 2);
    });

    it('forward, then a new interval: the next poll is the new interval after the last, not at once', async () => {
      const { timers, poller, sent } = await connected();
      await timers.tickAsync(1000);
      timers.setSystemTime(timers.now + 3600_000);
      await timers.tickAsync(100);
      poller.setIntervalMs(20_000);
      await timers.tickAsync(20_000 - 1100 - 1);
      assert.equal(sent(), 1, 'no request 1.1 s after the last');
      await timers.tickAsync(1);
      assert.equal(sent(), 2);
    });

    it('backward while paused: on resume after the interval, the poll comes at once, not an hour later', async () => {
      const { timers, poller, sent } = await connected();
      await timers.tickAsync(1000);
      poller.pause();
      timers.setSystemTime(timers.now - 3600_000);
      await timers.tickAsync(INTERVAL + 9000);
      poller.resume();
      await timers.tickAsync(0);
      assert.equal(sent(), 2);
    });
  });
});

describe('one settings change, windows sharing a poll', function () {
  this.timeout(60_000);

  for (const windows of [3, 6]) {
    it(`a group change seen by ${windows} windows at once costs one request`, async () => {
      const world = await World.create({ windows, intervalMs: INTERVAL, filters: ALL });
      try {
        world.start({ portal: 0, hookUser: 1 });
        await world.advance(5 * INTERVAL);
        const before = world.sent.length;
        world.setFilters({ groupId: 1 });
        await world.advance(10_000);
        const asked = world.sent.slice(before);
        assert.equal(asked.length, 1, `requests after the change: ${JSON.stringify(asked)}`);
        for (const w of world.windows) assert.equal(w.state.snapshot.groupName, 'Group 0-1', `window ${w.index} shows the new group`);
        assert.deepEqual(world.violations, []);
      } finally {
        await world.close();
        await world.remove();
      }
    });
  }
});
