/**
 * Requests at the sandbox portal: per poll (one window), per hour with three windows sharing
 * one poll (and without sharing), and per hour with every window unfocused.
 *
 * The real CountersPoller, CountersClient, node-fetch transport and SharedPoll (files in a
 * temporary folder) run against the real sandbox over HTTP; only time is virtual (fake timers,
 * see driver.ts), so a simulated hour takes seconds. The sandbox's clock is the same virtual
 * clock, and its leaky bucket is on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROLES } from '../../src/core/counters';
import { Clock } from '../../src/core/clock';
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersState, Filters } from '../../src/core/countersState';
import { nodeFetchTransport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxPortal } from '../../test/sandbox';
import { fakeTime, FakeTimers } from '../../test/unit/fakeTime';
import { InFlight, runUntil, seededRandom, trackedTransport, TrackedSharedPoll } from './driver';
import { Comparison, Measurement, ratio } from './report';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The defaults of bitrix24Tasks.pollIntervalSeconds and pauseWhenUnfocusedMinutes. */
const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_PAUSE_AFTER_MS = 5 * MINUTE;
const FILTERS: Filters = { role: 'view_all', groupId: 0, userId: 0 };

interface Sim {
  readonly clock: Clock;
  readonly timers: FakeTimers;
  readonly inFlight: InFlight;
  readonly portal: SandboxPortal;
  readonly webhook: WebhookUrl;
  readonly folder: string;
  readonly sharingErrors: unknown[];
}

interface Window {
  readonly state: CountersState;
  readonly poller: CountersPoller;
}

async function withSim<T>(body: (sim: Sim) => Promise<T>): Promise<T> {
  const { clock, timers } = fakeTime();
  const portal = await SandboxPortal.start({ now: () => clock.now(), leakyBucket: true });
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'b24-bench-shared-'));
  const parsed = WebhookUrl.parse(portal.webhookUrl(1));
  try {
    if (!parsed.ok) throw new Error(`sandbox webhook rejected: ${parsed.message}`);
    return await body({ clock, timers, inFlight: new InFlight(), portal, webhook: parsed.webhook, folder, sharingErrors: [] });
  } finally {
    await portal.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** One VS Code window's poller, wired as extension.ts wires it, on the virtual clock. */
function openWindow(sim: Sim, id: number, shared: boolean): Window {
  const state = new CountersState(FILTERS);
  const poller = new CountersPoller(state, {
    intervalMs: DEFAULT_INTERVAL_MS,
    clock: sim.clock,
    random: seededRandom(1000 + id),
    createClient: (webhook) =>
      new CountersClient(webhook, { transport: trackedTransport(nodeFetchTransport, sim.inFlight), now: () => sim.clock.now() }),
    shared: shared ? new TrackedSharedPoll(sim.folder, sim.clock, `window-${id}`, sim.inFlight) : undefined,
    onSharingError: (error) => sim.sharingErrors.push(error),
  });
  poller.connect(sim.webhook, 'environment');
  return { state, poller };
}

function requestsBetween(portal: SandboxPortal, from: number, to: number): number {
  return portal.requests.filter((r) => r.at >= from && r.at < to).length;
}

/** Commands in a batch request, from the sandbox's log of its parameters. */
function batchCommands(params: unknown): number {
  const cmd = (params as { cmd?: unknown } | null)?.cmd;
  return cmd && typeof cmd === 'object' ? Object.keys(cmd).length : 0;
}

export interface RequestFigures {
  readonly perPoll: number;
  readonly polls: number;
  readonly firstPollCommands: number;
  readonly laterPollCommands: number;
  readonly naiveFirstPoll: number;
  readonly naiveLaterPoll: number;
}

/** One window, ten intervals: requests at the sandbox per successful poll. */
async function requestsPerPoll(): Promise<RequestFigures> {
  return withSim(async (sim) => {
    const start = sim.clock.now();
    const window = openWindow(sim, 1, true);
    const polls = new Set<number>();
    window.state.subscribe((s) => s.updatedAt !== undefined && polls.add(s.updatedAt));
    await runUntil(sim.timers, start + 10 * DEFAULT_INTERVAL_MS + 1_000, sim.inFlight);
    window.poller.dispose();
    const requests = sim.portal.requests;
    if (polls.size === 0) throw new Error('no poll succeeded against the sandbox');

    // The naive design asks for each role, and for the user once: one request each.
    const naiveLaterPoll = ROLES.length;
    const naiveFirstPoll = naiveLaterPoll + 1;
    return {
      perPoll: requests.length / polls.size,
      polls: polls.size,
      firstPollCommands: batchCommands(requests[0]?.params),
      laterPollCommands: batchCommands(requests[1]?.params),
      naiveFirstPoll,
      naiveLaterPoll,
    };
  });
}

/** Three windows for one simulated hour; requests counted at the sandbox. */
async function threeWindows(
  shared: boolean,
  pauseAfterMs?: number,
): Promise<{ firstHour: number; beforePause: number; afterPause: number; oldestAgeMs: number }> {
  return withSim(async (sim) => {
    const start = sim.clock.now();
    const windows: Window[] = [];
    // Opened one after another, a few seconds apart, as a user reopens a session.
    for (const [i, at] of [0, 2_000, 5_000].entries()) {
      await runUntil(sim.timers, start + at, sim.inFlight);
      windows.push(openWindow(sim, i + 1, shared));
    }
    if (pauseAfterMs !== undefined) {
      // Every window unfocused from the start: each pauses after the idle delay.
      windows.forEach((w, i) => sim.clock.setTimeout(() => w.poller.pause(), pauseAfterMs + [0, 2_000, 5_000][i]));
    }
    const end = start + (pauseAfterMs ?? 0) + HOUR;
    await runUntil(sim.timers, end, sim.inFlight);
    // Fewer requests only count if every window still shows fresh numbers.
    const oldestAgeMs = Math.max(...windows.map((w) => end - (w.state.snapshot.updatedAt ?? start)));
    if (pauseAfterMs === undefined && oldestAgeMs > 2 * DEFAULT_INTERVAL_MS + 30_000) {
      throw new Error(`a window's numbers were ${Math.round(oldestAgeMs / 1000)} s old after the hour`);
    }
    windows.forEach((w) => w.poller.dispose());
    if (sim.sharingErrors.length) throw new Error(`shared poll failed: ${String(sim.sharingErrors[0])}`);
    const pausedAt = start + (pauseAfterMs ?? 0) + 5_000;
    return {
      firstHour: requestsBetween(sim.portal, start, start + HOUR),
      beforePause: requestsBetween(sim.portal, start, pausedAt),
      afterPause: requestsBetween(sim.portal, pausedAt, end),
      oldestAgeMs,
    };
  });
}

export async function measureRequests(): Promise<Measurement> {
  const perPoll = await requestsPerPoll();
  const sharedHour = await threeWindows(true);
  const independentHour = await threeWindows(false);
  const unfocused = await threeWindows(true, DEFAULT_PAUSE_AFTER_MS);

  const comparisons: Comparison[] = [
    {
      what: 'requests per poll (status bar + tree + per-role counts)',
      naive: `${perPoll.naiveFirstPoll} on the first poll (5 roles + user), ${perPoll.naiveLaterPoll} after`,
      ours: `${perPoll.perPoll.toFixed(2)} (one batch)`,
      ratio: ratio(perPoll.naiveLaterPoll, perPoll.perPoll),
    },
    {
      what: 'requests per hour, 3 windows',
      naive: `${independentHour.firstHour} (every window polls)`,
      ours: `${sharedHour.firstHour} (one shared poll)`,
      ratio: ratio(independentHour.firstHour, sharedHour.firstHour),
    },
    {
      what: 'requests per hour, 3 windows, naive on both counts (per-role requests, no sharing)',
      naive: `${Math.round(independentHour.firstHour * perPoll.naiveLaterPoll)} (= ${independentHour.firstHour} polls × ${perPoll.naiveLaterPoll}, derived)`,
      ours: `${sharedHour.firstHour}`,
      ratio: ratio(independentHour.firstHour * perPoll.naiveLaterPoll, sharedHour.firstHour),
    },
    {
      what: 'requests per hour after the idle delay, all 3 windows unfocused',
      naive: `${sharedHour.firstHour} (no pausing, shared poll)`,
      ours: `${unfocused.afterPause}`,
      ratio: ratio(sharedHour.firstHour, unfocused.afterPause),
    },
  ];

  return {
    comparisons,
    rows: [
      {
        figure: 'requests per poll',
        measured: `${perPoll.perPoll.toFixed(2)} (${Math.round(perPoll.perPoll * perPoll.polls)} requests / ${perPoll.polls} polls; first poll 1 batch of ${perPoll.firstPollCommands} commands = 5 roles + user, then ${perPoll.laterPollCommands})`,
        target: '1',
        how: 'one window (CountersPoller + SharedPoll as in extension.ts) against the sandbox for 10 intervals; HTTP requests at the sandbox ÷ polls that brought numbers. Naive: one request per role + user (counted, not run)',
        met: perPoll.perPoll <= 1,
      },
      {
        figure: 'requests per hour, 3 windows, default settings',
        measured: `${sharedHour.firstHour} (3 independent pollers: ${independentHour.firstHour}; ${(ratio(independentHour.firstHour, sharedHour.firstHour) ?? 0).toFixed(1)}× fewer); every window's numbers ≤ ${Math.round(sharedHour.oldestAgeMs / 1000)} s old at the end`,
        target: '≤ 60 + jitter',
        how: '3 CountersPollers (60 s interval, ±10% jitter) sharing one SharedPoll folder, opened 0/2/5 s apart, all focused (the worst case: none pauses), one simulated hour on an injected clock against the sandbox; requests counted at the sandbox',
        // 60 polls an hour at a 60 s mean interval, plus the first: jitter can add a couple.
        met: sharedHour.firstHour <= 63,
      },
      {
        figure: 'requests per hour, all windows unfocused',
        measured: `${unfocused.afterPause} in the hour after the idle delay (${unfocused.beforePause} during the 5 min before it)`,
        target: '~0 after the idle delay',
        how: 'the same 3 windows, unfocused from the start: each calls poller.pause() after the default 5 min (as windowFocus.ts does); requests at the sandbox in the following hour',
        met: unfocused.afterPause === 0,
      },
    ],
  };
}
