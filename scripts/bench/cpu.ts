/**
 * CPU per poll cycle and heap growth over a soak, in-process.
 *
 * The poll path is the extension's own: CountersPoller → CountersClient (JSON parse and batch
 * reading) → CountersState → the render of extension.ts (status bar text and tooltip, tree
 * items, badge, rise watch, request log line), with `vscode` stubbed (vscodeStub.ts). The
 * transport is a stub that answers with bodies recorded from the sandbox portal, so no socket
 * time is counted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Clock } from '../../src/core/clock';
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersSnapshot, CountersState, Filters } from '../../src/core/countersState';
import { MIN_REQUEST_GAP_MS } from '../../src/core/requestGate';
import { Outcome, succeed } from '../../src/core/outcome';
import { HttpResponse, nodeFetchTransport, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxPortal } from '../../test/sandbox';
import { fakeTime } from '../../test/unit/fakeTime';
import { InFlight, seededRandom, trackedTransport, TrackedSharedPoll } from './driver';
import { kb, Measurement, median } from './report';
import { installVscodeStub, stubLogChannel } from './vscodeStub';

const FILTERS: Filters = { role: 'view_all', groupId: 0, userId: 0 };
const CPU_TARGET_US = 1000;
const HEAP_TARGET_BYTES = 1024 * 1024;

interface Recorded {
  readonly withUser: HttpResponse;
  readonly plain: HttpResponse;
}

/** The sandbox's answers to the poll batch, with and without the user: realistic bodies. */
export async function recordAnswers(): Promise<Recorded> {
  const portal = await SandboxPortal.start();
  try {
    const parsed = WebhookUrl.parse(portal.webhookUrl(1));
    if (!parsed.ok) throw new Error(parsed.message);
    const bodies: HttpResponse[] = [];
    const recorder: Transport = {
      post: async (url, json, options) => {
        const answer = await nodeFetchTransport.post(url, json, options);
        if (answer.ok) bodies.push(answer.value);
        return answer;
      },
    };
    const client = new CountersClient(parsed.webhook, { transport: recorder });
    const first = await client.getCountersByRole({}, { withUser: true });
    const later = await client.getCountersByRole({});
    client.dispose();
    if (!first.ok || !later.ok || bodies.length !== 2) throw new Error('the sandbox did not answer the poll batch');
    return { withUser: bodies[0], plain: bodies[1] };
  } finally {
    await portal.close();
  }
}

/** Answers from the recordings: the poll batch with the user the first time, without after. */
function replayTransport(recorded: Recorded): Transport & { posts: number } {
  const transport = {
    posts: 0,
    post(_url: string, json: string): Promise<Outcome<HttpResponse>> {
      transport.posts++;
      return Promise.resolve(succeed(json.includes('user.current') ? recorded.withUser : recorded.plain));
    },
  };
  return transport;
}

/** The extension's poll path and render, as extension.ts wires them, on an injected clock. */
function buildWindow(clock: Clock, transport: Transport, shared?: { folder: string; inFlight: InFlight }) {
  installVscodeStub();
  // Required after the stub is installed: these modules import 'vscode'.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after installVscodeStub(): the module imports 'vscode'
  const { CountersStatusBar } = require('../../src/ui/statusBar') as typeof import('../../src/ui/statusBar');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after installVscodeStub(): the module imports 'vscode'
  const { CountersView } = require('../../src/ui/countersTree') as typeof import('../../src/ui/countersTree');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after installVscodeStub(): the module imports 'vscode'
  const { RiseNotifier } = require('../../src/ui/notifier') as typeof import('../../src/ui/notifier');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after installVscodeStub(): the module imports 'vscode'
  const { logRequest } = require('../../src/ui/requestLog') as typeof import('../../src/ui/requestLog');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after installVscodeStub(): the module imports 'vscode'
  const { DEFAULT_STATUS_BAR_COUNTERS } = require('../../src/ui/settings') as typeof import('../../src/ui/settings');
  const log = stubLogChannel();
  const state = new CountersState(FILTERS);
  const now = () => clock.now();
  const poller = new CountersPoller(state, {
    intervalMs: 60_000,
    clock,
    random: seededRandom(7),
    createClient: (webhook) =>
      new CountersClient(webhook, {
        transport: shared ? trackedTransport(transport, shared.inFlight) : transport,
        now,
        onRequest: (entry) => logRequest(log as never, entry),
      }),
    shared: shared ? new TrackedSharedPoll(shared.folder, clock, 'window-1', shared.inFlight) : undefined,
    onSharingError: (error) => {
      throw error;
    },
  });
  const statusBar = new CountersStatusBar({ counters: DEFAULT_STATUS_BAR_COUNTERS, hideWhenZero: false, alignment: 'left', priority: 0 }, now);
  const view = new CountersView(now);
  const notifier = new RiseNotifier(state, () => false);
  const render = (snapshot: CountersSnapshot) => {
    statusBar.render(snapshot);
    view.render(snapshot);
  };
  let updates = 0;
  const unsubscribe = state.subscribe((snapshot) => {
    updates++;
    render(snapshot);
  });
  const webhook = WebhookUrl.parse('https://portal.example.test/rest/1/sandboxsecret0001/');
  if (!webhook.ok) throw new Error(webhook.message);
  poller.connect(webhook.webhook, 'environment');
  return {
    state,
    poller,
    statusBar,
    render,
    get updates() {
      return updates;
    },
    dispose: () => {
      unsubscribe();
      notifier.dispose();
      poller.dispose();
    },
  };
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

export interface CpuFigures {
  readonly perCycleUs: number;
  readonly batchUs: readonly number[];
  readonly parseOnlyUs: number;
  readonly renderUs: number;
  readonly rendersPerCycle: number;
  readonly cycles: number;
}

/**
 * µs of user+system CPU per poll cycle: many refreshes through the whole path, 15 s of fake
 * time apart (the request gate defers a second Refresh within 15 s).
 */
export async function cpuPerCycle(recorded: Recorded, cycles = 5_000): Promise<CpuFigures> {
  const { clock, timers } = fakeTime();
  const transport = replayTransport(recorded);
  const window = buildWindow(clock, transport);
  await window.poller.refresh(); // the first, in place of the connection's first poll
  const refresh = async () => {
    timers.tick(MIN_REQUEST_GAP_MS); // nothing else falls due: the next poll is an interval after
    await window.poller.refresh();
  };
  const warmup = Math.ceil(cycles / 10);
  for (let i = 0; i < warmup; i++) await refresh();
  if (!window.state.snapshot.counters || !window.statusBar.item.text.includes('$(flame)')) {
    throw new Error(`the poll path did not render counters (status bar: ${window.statusBar.item.text})`);
  }
  // Batches, and their median: on a busy machine a few batches run slow.
  const batches = 5;
  const perBatch = Math.ceil(cycles / batches);
  const batchUs: number[] = [];
  const updatesBefore = window.updates;
  for (let b = 0; b < batches; b++) {
    const before = process.cpuUsage();
    for (let i = 0; i < perBatch; i++) await refresh();
    batchUs.push(cpuMicros(before) / perBatch);
  }
  const perCycleUs = median(batchUs);
  const rendersPerCycle = (window.updates - updatesBefore) / (perBatch * batches);

  // The breakdown: one render of a snapshot with numbers, and the client alone.
  const snapshot = window.state.snapshot;
  const renderStart = process.cpuUsage();
  for (let i = 0; i < cycles; i++) window.render(snapshot);
  const renderUs = cpuMicros(renderStart) / cycles;
  window.dispose();

  const webhook = WebhookUrl.parse('https://portal.example.test/rest/1/sandboxsecret0001/');
  if (!webhook.ok) throw new Error(webhook.message);
  const client = new CountersClient(webhook.webhook, { transport: replayTransport(recorded), now: () => clock.now() });
  for (let i = 0; i < warmup; i++) await client.getCountersByRole({});
  const parseStart = process.cpuUsage();
  for (let i = 0; i < cycles; i++) await client.getCountersByRole({});
  const parseOnlyUs = cpuMicros(parseStart) / cycles;
  client.dispose();
  return { perCycleUs, batchUs, parseOnlyUs, renderUs, rendersPerCycle, cycles: perBatch * batches };
}

let gcFunction: (() => void) | undefined;

function forceGc(): void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  gcFunction();
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    forceGc();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export interface HeapFigures {
  readonly at100: number;
  readonly atHalf: number;
  readonly atEnd: number;
  readonly cycles: number;
  readonly pendingTimers: { readonly at100: number; readonly atEnd: number };
  readonly virtualDays: number;
}

/**
 * The heap over 10,000 poll cycles on the scheduler's own timers (injected clock), with the
 * shared poll's files and the render. Faults are the soak test's (test/unit/soak.test.ts).
 */
export async function heapSoak(recorded: Recorded, cycles = 10_000, withSharing = true): Promise<HeapFigures> {
  const { clock, timers } = fakeTime();
  const transport = replayTransport(recorded);
  // A RAM disk where there is one: the files' place does not change the heap, only the run time.
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const folder = fs.mkdtempSync(path.join(base, 'b24-bench-soak-'));
  const inFlight = new InFlight();
  const window = buildWindow(clock, transport, withSharing ? { folder, inFlight } : undefined);
  const started = clock.now();
  try {
    let at100 = 0;
    let atHalf = 0;
    let pending100 = 0;
    while (transport.posts < cycles) {
      await inFlight.idle();
      if (transport.posts >= 100 && at100 === 0) {
        at100 = await settledHeap();
        pending100 = timers.countTimers();
      }
      if (transport.posts >= cycles / 2 && atHalf === 0) atHalf = await settledHeap();
      if (timers.countTimers() === 0) throw new Error(`the scheduler went idle after ${transport.posts} cycles`);
      await timers.nextAsync();
    }
    await inFlight.idle();
    const atEnd = await settledHeap();
    return {
      at100,
      atHalf,
      atEnd,
      cycles,
      pendingTimers: { at100: pending100, atEnd: timers.countTimers() },
      virtualDays: (clock.now() - started) / 86_400_000,
    };
  } finally {
    window.dispose();
    await inFlight.idle();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(2)} MB`;
}

export async function measureCpuAndHeap(): Promise<Measurement> {
  const recorded = await recordAnswers();
  const cpu = await cpuPerCycle(recorded);
  const heap = await heapSoak(recorded);
  const growth = heap.atEnd - heap.at100;
  return {
    rows: [
      {
        figure: 'CPU per poll cycle',
        measured: `${cpu.perCycleUs.toFixed(0)} µs median of 5 batches (${Math.min(...cpu.batchUs).toFixed(0)}–${Math.max(...cpu.batchUs).toFixed(0)}); client: request + parse of the ${recorded.plain.body.length} B batch answer ${cpu.parseOnlyUs.toFixed(0)} µs; ${cpu.rendersPerCycle.toFixed(0)} renders per cycle at ${cpu.renderUs.toFixed(0)} µs each`,
        target: '≤ 1 ms',
        how: `process.cpuUsage() (user+system) over ${cpu.cycles.toLocaleString('en-US')} cycles in 5 batches after a warm-up: CountersPoller → CountersClient parsing the sandbox's recorded batch answer (stub transport) → CountersState → status bar, tree, badge, rise watch and log line (vscode stubbed)`,
        met: cpu.perCycleUs <= CPU_TARGET_US,
      },
      {
        figure: 'heap after 10,000 cycles vs. after 100',
        measured: `${growth >= 0 ? '+' : '−'}${kb(Math.abs(growth))} (${mb(heap.at100)} after 100, ${mb(heap.atHalf)} after ${(heap.cycles / 2).toLocaleString('en-US')}, ${mb(heap.atEnd)} after ${heap.cycles.toLocaleString('en-US')}); pending timers ${heap.pendingTimers.at100} → ${heap.pendingTimers.atEnd}`,
        target: 'growth ≤ 1 MB',
        how: `the same path on the scheduler's own timers (fake timers, ${heap.virtualDays.toFixed(1)} virtual days), with the shared-poll files, ${heap.cycles.toLocaleString('en-US')} cycles; heapUsed after forced GC (v8 --expose-gc)`,
        met: growth <= HEAP_TARGET_BYTES,
      },
    ],
  };
}
