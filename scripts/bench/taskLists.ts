/**
 * The tasks behind the numbers: what carrying the task lists costs a poll. The poll's request
 * and answer bytes with no list shown, with "Overdue" expanded and with both lists; how long
 * from `showTaskLists` (a row expanded) to the tasks in the state; and how many HTTP requests a
 * poll makes with both lists shown.
 *
 * The real CountersPoller, CountersClient and node-fetch transport against the real sandbox
 * over HTTP (its default tasks), the poller on a fake clock moved 15 s before each ask, so the
 * request gate lets it through at once (the figure is the poll's, not the gate's wait); the
 * transport is wrapped to count bytes, and the sandbox's own request log counts the requests.
 * Figures only: nothing is asserted.
 */
import { MIN_REQUEST_GAP_MS } from '../../src/core/requestGate';
import { TASK_LIST_COUNTERS, TaskListCounter } from '../../src/core/taskList';
import { batchCommandsOf } from '../../test/sandbox';
import { waitForSnapshot } from '../../test/unit/support';
import { Exchange, measuredPoller, sum, WAIT_MS } from './measuredPoller';
import { bytes, Measurement, median, ms, Row } from './report';

const TIMING_RUNS = 7;

const HOW = 'one poller against the sandbox over HTTP (bodies, UTF-8)';

export async function measureTaskLists(): Promise<Measurement> {
  const { portal, poller, state, timers, exchanges, close } = await measuredPoller();
  /** The request gate open again: 15 s after the last request (fake time). */
  const gateOpen = () => timers.tickAsync(MIN_REQUEST_GAP_MS);
  try {

    /** One poll: its exchanges and the sandbox's requests. */
    const poll = async (): Promise<{ exchanges: Exchange[]; requests: number; lists: number }> => {
      exchanges.length = 0;
      portal.clearLog();
      const before = state.snapshot.updatedAt;
      await gateOpen();
      await poller.refresh();
      await waitForSnapshot(state, (s) => s.updatedAt !== before && !s.loading && s.error === undefined, 'the poll', WAIT_MS);
      const lists = portal.requests.flatMap(batchCommandsOf).filter((command) => command.method === 'tasks.task.list').length;
      return { exchanges: [...exchanges], requests: portal.requests.length, lists };
    };
    const shown = async (counters: readonly TaskListCounter[]) => {
      const release = poller.showTaskLists(counters);
      await gateOpen();
      await waitForSnapshot(state, (s) => counters.every((c) => s.taskLists?.[c] !== undefined) && !s.loading, 'the lists', WAIT_MS);
      return release;
    };

    const none = await poll();
    let release = await shown(['expired']);
    const overdue = await poll();
    release();
    release = await shown(TASK_LIST_COUNTERS);
    const both = await poll();
    release();
    // Released: the next poll leaves the lists out and clears them from the state.
    await poll();

    // A row expanded: from the poller being told to the tasks in the state (one request).
    const times: number[] = [];
    for (let run = 0; run < TIMING_RUNS; run++) {
      await waitForSnapshot(state, (s) => s.taskLists === undefined && !s.loading, 'no list in the state', WAIT_MS);
      await gateOpen();
      const t0 = performance.now();
      const done = waitForSnapshot(state, (s) => s.taskLists?.expired?.ok === true, 'the overdue tasks', WAIT_MS);
      const releaseRun = poller.showTaskLists(['expired']);
      await timers.tickAsync(0); // the poll it brought forward: due now
      await done;
      times.push(performance.now() - t0);
      releaseRun();
      await poll();
    }

    const row = (figure: string, p: { exchanges: Exchange[] }): Row => ({
      figure,
      measured: `request ${bytes(sum(p.exchanges, 'requestBytes'))}, answer ${bytes(sum(p.exchanges, 'answerBytes'))}`,
      target: '—',
      how: HOW,
    });
    return {
      rows: [
        row('poll bytes, no task list shown', none),
        row('poll bytes, "Overdue" expanded (2 tasks)', overdue),
        row('poll bytes, both lists shown (2 + 4 tasks)', both),
        {
          figure: 'showTaskLists → tasks in the state',
          measured: `median ${ms(median(times), 1)} (${times.map((t) => t.toFixed(1)).join(', ')})`,
          target: '—',
          how: `${TIMING_RUNS} runs, "Overdue", sandbox on 127.0.0.1`,
        },
        {
          figure: 'HTTP requests per poll with both lists',
          measured: `${both.requests} (${both.lists} tasks.task.list commands in its batch)`,
          target: '1',
          how: "the sandbox's request log",
          met: both.requests === 1,
        },
      ],
      notes: [
        `Task lists: a poll with both lists sends ${ratioText(sum(both.exchanges, 'requestBytes'), sum(none.exchanges, 'requestBytes'))} the request bytes and receives ${ratioText(sum(both.exchanges, 'answerBytes'), sum(none.exchanges, 'answerBytes'))} the answer bytes of a poll without; polls without a list shown carry ${none.lists} tasks.task.list commands.`,
      ],
    };
  } finally {
    await close();
  }
}

function ratioText(with_: number, without: number): string {
  return without > 0 ? `${(with_ / without).toFixed(1)} ×` : 'n/a';
}
