/**
 * The tasks behind the counters in the poller: asked for only while shown, in the same one
 * request per poll, never of another role, and a list that fails never stops the counters.
 * The scheduler on a fake clock, the client over real HTTP to the sandbox portal.
 */
import assert from 'node:assert/strict';
import { CountersSnapshot, Filters } from '../../src/core/countersState';
import { MIN_REQUEST_GAP_MS as GAP } from '../../src/core/requestGate';
import { SandboxPortal } from '../sandbox/portal';
import { usePollerSandbox, waitForSnapshot as waitFor, webhookOf } from './support';

const INTERVAL = 60_000;
const START_DELAY = 50;
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };

/** The batch commands of each request so far, by method. */
function listCommands(sandbox: SandboxPortal): string[][] {
  return sandbox.requests.map((request) =>
    Object.values((request.params as { cmd?: Record<string, string> }).cmd ?? {}).filter((c) => c.startsWith('tasks.task.list')),
  );
}

function ids(snapshot: CountersSnapshot, counter: 'expired' | 'new_comments'): number[] | undefined {
  const list = snapshot.taskLists?.[counter];
  return list?.ok ? list.value.tasks.map((t) => t.id).sort((a, b) => a - b) : undefined;
}

describe('CountersPoller: the tasks behind the counters (fake clock, sandbox portal)', function () {
  this.timeout(10_000);

  let sandbox: SandboxPortal;
  const pollers = usePollerSandbox((started) => (sandbox = started));
  let notices: string[] = [];
  beforeEach(() => (notices = []));
  afterEach(() => {
    sandbox.setCommentFilters('supported');
  });

  async function connected(filters: Filters = ALL) {
    const env = pollers.createPoller(filters, INTERVAL, {}, { onNotice: (message) => notices.push(message) });
    env.poller.connect(webhookOf(sandbox.webhookUrl(1)), 'stored');
    await env.timers.tickAsync(START_DELAY);
    await waitFor(env.state, (s) => !s.loading && s.counters !== undefined, 'the first poll');
    return env;
  }

  it('asks for no list while none is shown', async () => {
    const { timers, state } = await connected();
    await timers.tickAsync(INTERVAL);
    await waitFor(state, () => sandbox.requests.length === 2 && !state.snapshot.loading, 'the second poll');
    assert.deepEqual(listCommands(sandbox), [[], []]);
    assert.equal(state.snapshot.taskLists, undefined);
  });

  it('a shown list is asked for as soon as allowed (15 s after the last poll) and then in every poll, one request each; released, no more', async () => {
    const { timers, state, poller } = await connected();
    const release = poller.showTaskLists(['expired', 'new_comments']);
    await timers.tickAsync(GAP);
    const shown = await waitFor(state, (s) => ids(s, 'expired') !== undefined && ids(s, 'new_comments') !== undefined, 'the lists');
    assert.deepEqual(ids(shown, 'expired'), [101, 102]);
    assert.equal(sandbox.requests.length, 2, 'the first poll and the one the lists asked for');
    for (let poll = 1; poll <= 3; poll++) {
      await timers.tickAsync(INTERVAL);
      await waitFor(state, () => sandbox.requests.length === 2 + poll && !state.snapshot.loading, `poll ${poll}`);
    }
    assert.deepEqual(listCommands(sandbox).slice(1).map((c) => c.length), [2, 2, 2, 2], 'both lists ride in each one batch');
    release();
    await timers.tickAsync(INTERVAL);
    const after = await waitFor(state, (s) => s.taskLists === undefined && !s.loading, 'the lists dropped');
    assert.equal(after.counters?.counters.length, 2);
    assert.deepEqual(listCommands(sandbox).at(-1), []);
  });

  it('another role never shows the old role\'s tasks: they go at once and the new role\'s are asked for', async () => {
    const { timers, state, poller } = await connected();
    poller.showTaskLists(['expired']);
    await timers.tickAsync(GAP);
    await waitFor(state, (s) => ids(s, 'expired')?.length === 2, 'view_all overdue');
    poller.setFilters({ ...ALL, role: 'view_role_originator' });
    assert.equal(state.snapshot.taskLists, undefined, 'dropped with the role');
    await timers.tickAsync(GAP); // the new role's, 15 s after the last answer
    const originator = await waitFor(state, (s) => ids(s, 'expired') !== undefined, 'originator overdue');
    assert.deepEqual(ids(originator, 'expired'), [102]);
    assert.equal(originator.filters.role, 'view_role_originator');
  });

  it('another group drops the lists and asks for that group\'s', async () => {
    const { timers, state, poller } = await connected();
    poller.showTaskLists(['expired']);
    await timers.tickAsync(GAP);
    await waitFor(state, (s) => ids(s, 'expired')?.length === 2, 'all groups');
    poller.setFilters({ ...ALL, groupId: 7 });
    assert.equal(state.snapshot.taskLists, undefined);
    await timers.tickAsync(GAP);
    assert.deepEqual(ids(await waitFor(state, (s) => ids(s, 'expired') !== undefined, 'group 7'), 'expired'), [101]);
  });

  it('a list the portal refuses is kept with its reason, logged, and not asked again; the counters go on', async () => {
    sandbox.setCommentFilters('rejected');
    const { timers, state, poller } = await connected();
    poller.showTaskLists(['expired', 'new_comments']);
    await timers.tickAsync(GAP);
    const refused = await waitFor(state, (s) => s.taskLists?.new_comments !== undefined, 'the lists');
    assert.equal(refused.taskLists?.new_comments?.ok, false);
    assert.deepEqual(ids(refused, 'expired'), [101, 102]);
    assert.ok(notices.some((n) => n.includes('refused the new_comments task list')), notices.join('\n'));
    await timers.tickAsync(INTERVAL);
    await waitFor(state, () => sandbox.requests.length === 3 && !state.snapshot.loading, 'the next poll');
    assert.deepEqual(listCommands(sandbox).at(-1)?.map((c) => c.includes('WITH_COMMENT_COUNTERS')), [false]);
    assert.equal(state.snapshot.taskLists?.new_comments?.ok, false, 'the refusal stays shown');
    assert.equal(state.snapshot.error, undefined);
  });

  it('OPERATION_TIME_LIMIT on tasks.task.list rests the lists; the counters keep their schedule', async () => {
    const { timers, state, poller } = await connected();
    sandbox.inject('operationTimeLimit', { method: 'tasks.task.list', times: 2 });
    poller.showTaskLists(['expired', 'new_comments']);
    await timers.tickAsync(GAP);
    const limited = await waitFor(state, (s) => s.taskLists?.expired !== undefined, 'the lists');
    assert.equal(limited.taskLists?.expired?.ok, false);
    assert.equal(limited.error, undefined, 'the counters are fine');
    await timers.tickAsync(INTERVAL);
    await waitFor(state, () => sandbox.requests.length === 3 && !state.snapshot.loading, 'the next poll');
    assert.deepEqual(listCommands(sandbox).at(-1), [], 'no list command while resting');
    assert.equal(state.snapshot.taskLists?.expired?.ok, false, 'the reason stays shown');
  });

  /** Shows the overdue list and has its first answer be OPERATION_TIME_LIMIT: the lists rest. */
  async function resting() {
    const env = await connected();
    sandbox.inject('operationTimeLimit', { method: 'tasks.task.list', times: 1 });
    env.poller.showTaskLists(['expired']);
    await env.timers.tickAsync(GAP);
    await waitFor(env.state, (s) => s.taskLists?.expired?.ok === false && !s.loading, 'the refused list');
    return env;
  }

  /** Runs the next scheduled poll and resolves with the list commands it carried. */
  async function nextPoll({ timers, state }: Awaited<ReturnType<typeof connected>>): Promise<string[] | undefined> {
    const before = sandbox.requests.length;
    await timers.tickAsync(INTERVAL);
    await waitFor(state, () => sandbox.requests.length === before + 1 && !state.snapshot.loading, 'the next poll');
    return listCommands(sandbox).at(-1);
  }

  it('the lists rest ten minutes on the monotonic clock: a wall clock set an hour back does not make it seventy', async () => {
    const env = await resting();
    env.timers.setSystemTime(env.timers.now - 60 * 60_000); // a resume from suspend, NTP
    const polls: number[] = [];
    for (let poll = 1; poll <= 11; poll++) polls.push((await nextPoll(env))?.length ?? -1);
    assert.deepEqual(polls.slice(0, 9), [0, 0, 0, 0, 0, 0, 0, 0, 0], 'resting for nine polls a minute apart');
    assert.equal(polls[10], 1, `asked for again eleven minutes on: ${polls.join(', ')}`);
  });

  it('a wall clock set an hour forward does not end the rest early', async () => {
    const env = await resting();
    env.timers.setSystemTime(env.timers.now + 60 * 60_000);
    assert.deepEqual(await nextPoll(env), [], 'still resting');
  });
});
