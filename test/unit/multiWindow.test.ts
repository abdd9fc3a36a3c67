/**
 * One poll for all windows: three pollers, each with its own state, sharing one
 * storage folder through `SharedPoll`, with the same webhook, against the sandbox over HTTP.
 * Time is a fake clock shared by the three (one machine); the files are real, so between two
 * timers the test lets every file operation and request finish (`settle`).
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CounterSet, ROLES } from '../../src/core/counters';
import { CountersClient, DEFAULT_TIMEOUT_MS, MAX_SAME_ORIGIN_REDIRECTS, RoleCounters } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersState, Filters } from '../../src/core/countersState';
import { Outcome } from '../../src/core/outcome';
import { MAX_PORTAL_TEXT, sentence } from '../../src/core/portalText';
import { DEFAULT_MAX_BACKOFF_MS } from '../../src/core/pollScheduler';
import { FOLLOW_DELAY_MS, LEASE_TTL_MS, SharedPoll, SharedSnapshot, TAKEOVER_AFTER_MS } from '../../src/core/sharedPoll';
import { HttpResponse, nodeFetchTransport, PostOptions, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { SandboxPortal } from '../sandbox/portal';
import { seededRandom } from '../sim/fleet';
import { Clock } from '../../src/core/clock';
import { FakeTime, fakeTime, FakeTimers, nextDueAt } from './fakeTime';
import { MIN_GAP_MS, runScenario, Scenario, settleFiles, TrackedSharedPoll, World } from './pollerWorld';
import { until, webhookOf } from './support';

const INTERVAL = 60_000;
const JITTER = 0.1;
const SECRET_PREFIX = 'sandboxsecret';
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };

interface Sent {
  readonly window: string;
  /** Fake time the request left. */
  readonly at: number;
  readonly groupId: number;
}

function counts(set: CounterSet | undefined): Array<[string, number]> | undefined {
  return set?.counters.map((c) => [c.name, c.count]);
}

async function filesIn(folder: string): Promise<string[]> {
  try {
    return (await fs.readdir(folder)).map((name) => path.join(folder, name));
  } catch {
    return [];
  }
}

describe('multi-window: three pollers share one poll through the storage folder', function () {
  this.timeout(20_000);

  let sandbox: SandboxPortal;
  let folder: string;
  let clock: Clock;
  let timers: FakeTimers;
  let sent: Sent[];
  let sharingErrors: unknown[];
  const busy = { count: 0 };
  let windows: Window[];

  interface Window {
    readonly id: string;
    readonly state: CountersState;
    readonly poller: CountersPoller;
    readonly shared: TrackedSharedPoll;
    disposed: boolean;
  }

  before(async () => {
    sandbox = await SandboxPortal.start();
  });

  after(async () => {
    await sandbox.close();
  });

  beforeEach(async () => {
    sandbox.clearFaults();
    sandbox.clearLog();
    sandbox.setCounters(1, { expired: 2, new_comments: 5 });
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'b24-shared-'));
    ({ clock, timers } = fakeTime(Date.now()));
    sent = [];
    sharingErrors = [];
    windows = [];
  });

  afterEach(async () => {
    windows.forEach((w) => w.poller.dispose());
    await settle();
    // No file the windows share holds the webhook's secret (nor its user id in a name).
    const files = await filesIn(folder);
    for (const file of files) {
      const text = await fs.readFile(file, 'utf8');
      assert.ok(!text.includes(SECRET_PREFIX), `${path.basename(file)} contains the secret`);
      assert.ok(!path.basename(file).includes(SECRET_PREFIX));
    }
    assert.deepEqual(sharingErrors, [], 'sharing reported errors');
    await fs.rm(folder, { recursive: true, force: true });
  });

  function open(id: string, filters: Filters = ALL, seed = id.charCodeAt(0)): Window {
    const state = new CountersState(filters);
    const shared = new TrackedSharedPoll(folder, clock, `window-${id}`, busy);
    const transport: Transport = {
      post: async (url: string, json: string, options: PostOptions): Promise<Outcome<HttpResponse>> => {
        const cmd = (JSON.parse(json) as { cmd?: Record<string, string> }).cmd ?? {};
        const groupId = Number(/groupId=(\d+)/.exec(cmd.view_all ?? '')?.[1] ?? 0);
        sent.push({ window: id, at: clock.now(), groupId });
        busy.count++;
        try {
          return await nodeFetchTransport.post(url, json, options);
        } finally {
          busy.count--;
        }
      },
    };
    const poller = new CountersPoller(state, {
      intervalMs: INTERVAL,
      clock,
      random: seededRandom(seed),
      shared,
      onSharingError: (error) => sharingErrors.push(error),
      createClient: (hook) => new CountersClient(hook, { transport, now: () => clock.now() }),
    });
    const parsed = WebhookUrl.parse(sandbox.webhookUrl(1));
    assert.ok(parsed.ok);
    poller.connect(parsed.webhook, 'stored');
    const window: Window = { id, state, poller, shared, disposed: false };
    windows.push(window);
    return window;
  }

  /** The window dies: it stops, and its files stay as they were (no release, no cleanup). */
  function kill(window: Window): void {
    window.shared.crashed = true;
    window.poller.dispose();
    window.disposed = true;
  }

  /** Real time passes until no file operation or request of any window is in flight. */
  async function settle(): Promise<void> {
    await settleFiles(busy, 'operations');
  }

  /** Fires every timer due up to `until` (fake ms), each at its time, settling after each. */
  async function runUntil(until: number): Promise<void> {
    await settle();
    for (let due = nextDueAt(timers); due !== undefined && due <= until; due = nextDueAt(timers)) {
      await timers.nextAsync();
      await settle();
    }
    await timers.tickAsync(until - clock.now());
    await settle();
  }

  function gapsOf(list: readonly Sent[]): number[] {
    return list.slice(1).map((s, i) => s.at - list[i].at);
  }

  /** Requests spaced like one window polling alone: one interval ± jitter apart. */
  function assertOnePerInterval(list: readonly Sent[], what: string): void {
    for (const gap of gapsOf(list)) {
      assert.ok(gap >= INTERVAL * (1 - JITTER) - 1, `${what}: two requests ${gap} ms apart`);
      assert.ok(gap <= INTERVAL * (1 + JITTER) + 1, `${what}: a gap of ${gap} ms`);
    }
  }

  it('makes one request per interval for three windows, and all three show the same numbers', async () => {
    const [a, b, c] = [open('A'), open('B'), open('C')];
    const t0 = clock.now();
    const intervals = 10;
    await runUntil(t0 + intervals * INTERVAL);

    const batches = sandbox.requests.filter((r) => r.method === 'batch');
    assert.equal(batches.length, sent.length, 'every request the windows sent reached the sandbox');
    assert.ok(sent.length >= intervals - 1 && sent.length <= intervals + 2, `${sent.length} requests in ${intervals} intervals`);
    assert.equal(new Set(sent.map((s) => s.window)).size, 1, 'one window leads, the others follow');
    assertOnePerInterval(sent, 'steady state');

    // The counters change on the portal: within one interval (and the followers' delay) every
    // window shows the new numbers, still with one request per interval.
    sandbox.setCounters(1, { expired: 3, new_comments: 1 });
    await runUntil(clock.now() + INTERVAL * (1 + JITTER) + FOLLOW_DELAY_MS + 1000);
    for (const w of [a, b, c]) {
      assert.deepEqual(counts(w.state.snapshot.counters), [['expired', 3], ['new_comments', 1]], `window ${w.id}`);
      assert.equal(w.state.snapshot.error, undefined);
      assert.deepEqual(w.state.snapshot.user, { id: 1, name: 'Anna Smirnova' }, `window ${w.id} knows the user`);
    }
    const updated = new Set([a, b, c].map((w) => w.state.snapshot.updatedAt));
    assert.equal(updated.size, 1, 'followers show the leader\'s answer with its time');
    assertOnePerInterval(sent, 'after the change');

    // The shared files: a snapshot with the numbers, named by a hash, without the secret.
    const files = (await filesIn(folder)).map((f) => path.basename(f));
    const snapshots = files.filter((f) => /^snapshot-[0-9a-f]{24}\.json$/.test(f));
    assert.equal(snapshots.length, 1, `files: ${files.join(', ')}`);
    const snapshot = JSON.parse(await fs.readFile(path.join(folder, snapshots[0]), 'utf8')) as SharedSnapshot;
    assert.equal(snapshot.outcome.ok, true);
    assert.match(JSON.stringify(snapshot), /"name":"expired","count":3/);
    assert.equal(files.filter((f) => f.startsWith('lease-')).length, 0, 'no lease left between polls');
  });

  it('a snapshot file that does not parse is ignored and reported; the window asks the portal itself, never stuck loading', async () => {
    const webhook = webhookOf(sandbox.webhookUrl(1));
    const counters = { ok: true, value: { counters: [{ name: 'expired', count: 9, code: 6291456 }], total: 9, visible: true } };
    const byRole = Object.fromEntries(ROLES.map((role) => [role, counters]));
    // On schedule, from another window, with a wrong shape where the task lists go.
    const wrong = { writer: 'window-old', fetchedAt: clock.now(), nextPollAt: clock.now() + INTERVAL, outcome: { ok: true, value: { byRole, time: {}, taskLists: 'x' } } };
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, `snapshot-${SharedPoll.key(webhook, ALL)}.json`), JSON.stringify(wrong));
    const a = open('a');
    await runUntil(clock.now() + 5_000);
    assert.deepEqual(counts(a.state.snapshot.counters), [['expired', 2], ['new_comments', 5]], 'the portal\'s numbers, not the file\'s');
    assert.equal(a.state.snapshot.loading, false);
    assert.equal(sent.length, 1);
    assert.equal(sharingErrors.length, 1, 'the file is reported once');
    assert.match(String(sharingErrors[0]), /snapshot/);
    sharingErrors.length = 0;
  });

  it('three windows due at the same moment race for the lease: one request, the others follow', async () => {
    // The same seed: the same jitter, so all three first polls fall due at the same fake time
    // and run together, their file operations interleaved (no settling between them).
    const all = [open('A', ALL, 42), open('B', ALL, 42), open('C', ALL, 42)];
    const due = new Set(all.map((w) => w.state.snapshot.nextPollAt));
    assert.equal(due.size, 1, 'all due at once');
    await timers.tickAsync([...due][0]! - clock.now());
    await settle();
    assert.equal(sent.length, 1, `${sent.length} requests for three windows starting together`);
    await runUntil(clock.now() + 6 * INTERVAL);
    assert.ok(sent.length >= 6 && sent.length <= 8, `${sent.length} requests in six intervals`);
    assertOnePerInterval(sent, 'after a simultaneous start');
    for (const w of all) assert.deepEqual(counts(w.state.snapshot.counters), [['expired', 2], ['new_comments', 5]], w.id);
  });

  it('when the leader dies, another window takes over within about one interval, at the same rate', async () => {
    const all = [open('A'), open('B'), open('C')];
    const t0 = clock.now();
    await runUntil(t0 + 5 * INTERVAL);
    const leaderId = sent[sent.length - 1].window;
    const leader = all.find((w) => w.id === leaderId)!;
    const lastByLeader = sent[sent.length - 1].at;
    kill(leader);
    const killedAt = clock.now();

    await runUntil(killedAt + 8 * INTERVAL);
    const after = sent.filter((s) => s.at > killedAt);
    assert.ok(after.length >= 5, `${after.length} requests after the leader died`);
    assert.ok(after.every((s) => s.window !== leaderId), 'the dead window sends nothing');
    const takeover = after[0].at - lastByLeader;
    const bound = INTERVAL * (1 + JITTER) + TAKEOVER_AFTER_MS + 2 * FOLLOW_DELAY_MS;
    assert.ok(takeover <= bound, `taken over ${takeover} ms after the leader's last request (bound ${bound})`);
    assert.ok(takeover >= INTERVAL * (1 - JITTER), 'not before the leader was due');
    assert.equal(new Set(after.map((s) => s.window)).size, 1, 'one new leader');
    assertOnePerInterval(after, 'after the takeover');
    const survivors = all.filter((w) => w !== leader);
    for (const w of survivors) {
      assert.ok(w.state.snapshot.updatedAt! >= after[after.length - 1].at, `window ${w.id} shows the latest answer`);
      assert.equal(w.state.snapshot.error, undefined);
    }
    console.log(`      takeover ${(takeover / 1000).toFixed(1)} s after the dead leader's last request (bound ${bound / 1000} s)`);
  });

  it('a leader that dies mid-request leaves a lease that expires; the request rate stays one per interval', async () => {
    const all = [open('A'), open('B'), open('C')];
    await runUntil(clock.now() + 3 * INTERVAL);
    const leaderId = sent[sent.length - 1].window;
    const leader = all.find((w) => w.id === leaderId)!;
    // The leader's next request hangs; it dies while the request is out.
    sandbox.inject('slow', { delayMs: 1000, times: 1 });
    const due = leader.state.snapshot.nextPollAt!;
    await runUntil(due - 1);
    const count = sent.length;
    await timers.tickAsync(1);
    await until(() => sent.length > count, 'the leader\'s request to leave');
    assert.equal(sent[sent.length - 1].window, leaderId, 'the leader\'s request is out');
    const leases = (await filesIn(folder)).filter((f) => path.basename(f).startsWith('lease-'));
    assert.equal(leases.length, 1, 'it holds the lease');
    kill(leader);
    await settle();
    assert.equal((await filesIn(folder)).filter((f) => path.basename(f).startsWith('lease-')).length, 1, 'the lease stays');

    await runUntil(due + 6 * INTERVAL);
    const after = sent.filter((s) => s.at > due);
    assert.ok(after.length >= 4, `${after.length} requests after`);
    const bound = LEASE_TTL_MS + FOLLOW_DELAY_MS;
    assert.ok(after[0].at - due <= bound, `taken over ${after[0].at - due} ms after the dead request (bound ${bound})`);
    assert.ok(after[0].at - due >= LEASE_TTL_MS, 'not before the lease expired');
    assert.equal(new Set(after.map((s) => s.window)).size, 1);
    assertOnePerInterval(after, 'after the takeover');
  });

  it('a window back from a pause follows the new leader instead of polling', async () => {
    const all = [open('A'), open('B'), open('C')];
    await runUntil(clock.now() + 3 * INTERVAL);
    const leaderId = sent[sent.length - 1].window;
    const leader = all.find((w) => w.id === leaderId)!;
    leader.poller.pause(); // its window lost focus for a while
    const pausedAt = clock.now();
    await runUntil(pausedAt + 4 * INTERVAL);
    const during = sent.filter((s) => s.at > pausedAt);
    assert.ok(during.length >= 2 && during.every((s) => s.window !== leaderId), 'another window took over');
    leader.poller.resume();
    const resumedAt = clock.now();
    await runUntil(resumedAt + 4 * INTERVAL);
    const later = sent.filter((s) => s.at >= resumedAt);
    assert.ok(later.every((s) => s.window !== leaderId), 'the resumed window follows');
    assertOnePerInterval(sent.filter((s) => s.at > pausedAt), 'across the pause and resume');
    assert.deepEqual(counts(leader.state.snapshot.counters), [['expired', 2], ['new_comments', 5]]);
    assert.ok(leader.state.snapshot.updatedAt! >= later[later.length - 1].at - 1, 'it shows the new leader\'s answer');
  });

  it('a rate-limited leader backs off for all windows: the followers show its error and do not ask themselves', async () => {
    const all = [open('A'), open('B'), open('C')];
    await runUntil(clock.now() + 3 * INTERVAL);
    const good = all.map((w) => w.state.snapshot.counters);
    sandbox.inject('queryLimit');
    const from = clock.now();
    await runUntil(from + 40 * 60_000);
    const during = sent.filter((s) => s.at > from);
    // One series of retries for the three windows: 1, 2, 4, 8, 15 minutes apart, about.
    assert.ok(during.length >= 4 && during.length <= 7, `${during.length} requests in 40 minutes of 503s`);
    const gaps = gapsOf(during);
    for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] >= gaps[i - 1] * 0.8, `backing off: ${gaps.join(', ')}`);
    all.forEach((w, i) => {
      assert.equal(w.state.snapshot.error?.failure.kind, 'rateLimited', `window ${w.id} shows the rate limit`);
      assert.equal(w.state.snapshot.counters, good[i], `window ${w.id}: the last good numbers, not replaced`);
      assert.deepEqual(counts(w.state.snapshot.counters), [['expired', 2], ['new_comments', 5]], `window ${w.id} keeps its numbers`);
      assert.equal(w.state.snapshot.halted, false);
    });
    sandbox.clearFaults();
    await runUntil(clock.now() + 16 * 60_000 + FOLLOW_DELAY_MS);
    for (const w of all) assert.equal(w.state.snapshot.error, undefined, `window ${w.id} recovered`);
  });

  it('a follower keeps the portal\'s Retry-After its leader was told: its group picker asks nothing until then', async () => {
    open('A');
    open('B');
    await runUntil(clock.now() + 2 * INTERVAL);
    sandbox.inject('queryLimit', { retryAfterSeconds: 600 });
    await runUntil(clock.now() + 2 * INTERVAL);
    const leader = windows.find((w) => w.id === sent.at(-1)?.window);
    const follower = windows.find((w) => w !== leader);
    assert.ok(leader && follower, 'one window asked, the other followed');
    assert.equal(follower.state.snapshot.error?.failure.kind, 'rateLimited', 'the follower shows the leader\'s answer');
    const asked = sent.length;
    const groups = await follower.poller.listGroups();
    await settle();
    assert.equal(groups.ok, false, 'no groups while the portal asked to wait');
    assert.equal(sent.length, asked, `no request: ${JSON.stringify(sent.slice(asked))}`);

    sandbox.clearFaults();
    await runUntil(clock.now() + 10 * 60_000 + FOLLOW_DELAY_MS);
    assert.equal(follower.state.snapshot.error, undefined, 'the leader\'s good answer, followed');
    const listing = follower.poller.listGroups();
    await runUntil(clock.now() + MIN_GAP_MS);
    assert.ok((await listing).ok, 'the picker lists groups again');
  });

  it('different filters are separate polls, each shared by the windows that ask the same', async () => {
    const [a, b] = [open('A'), open('B')];
    const [c, d] = [open('C', { ...ALL, groupId: 7 }), open('D', { ...ALL, groupId: 7 })];
    const t0 = clock.now();
    const intervals = 8;
    await runUntil(t0 + intervals * INTERVAL);
    const all = sent.filter((s) => s.groupId === 0);
    const group7 = sent.filter((s) => s.groupId === 7);
    assert.equal(all.length + group7.length, sent.length);
    for (const [list, what] of [[all, 'all groups'], [group7, 'group 7']] as const) {
      assert.ok(list.length >= intervals - 1 && list.length <= intervals + 2, `${what}: ${list.length} requests`);
      assert.equal(new Set(list.map((s) => s.window)).size, 1, `${what}: one leader`);
      assertOnePerInterval(list, what);
    }
    assert.ok(all.every((s) => s.window === 'A' || s.window === 'B'));
    assert.ok(group7.every((s) => s.window === 'C' || s.window === 'D'));
    await runUntil(clock.now() + INTERVAL * (1 + JITTER) + FOLLOW_DELAY_MS);
    for (const w of [a, b]) assert.deepEqual(counts(w.state.snapshot.counters), [['expired', 2], ['new_comments', 5]], w.id);
    for (const w of [c, d]) {
      assert.deepEqual(counts(w.state.snapshot.counters), [['expired', 1], ['new_comments', 2]], w.id);
      assert.equal(w.state.snapshot.groupName, 'Website relaunch', `${w.id} knows the group's name`);
    }
    const snapshots = (await filesIn(folder)).filter((f) => path.basename(f).startsWith('snapshot-'));
    assert.equal(snapshots.length, 2, 'one snapshot per question asked');
  });
});

describe('SharedPoll: the files between windows', () => {
  const KEY = 'k'.repeat(24);
  let folder: string;
  let time: FakeTime;

  beforeEach(async () => {
    folder = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'b24-files-')), 'storage');
    time = fakeTime();
  });

  afterEach(async () => {
    await fs.rm(path.dirname(folder), { recursive: true, force: true });
  });

  const windowOf = (id: string) => new SharedPoll(folder, time.clock, id);
  const leaseFile = () => path.join(folder, `lease-${KEY}.json`);
  const snapshotFile = () => path.join(folder, `snapshot-${KEY}.json`);
  const lockFile = () => `${leaseFile()}.takeover`;
  const holder = async () => (JSON.parse(await fs.readFile(leaseFile(), 'utf8')) as { windowId: string }).windowId;
  const exists = (file: string) => fs.stat(file).then(() => true, () => false);

  // Another window (or process) acting between two steps of this one's, at the file system:
  // the interleavings that only races produce otherwise.
  type FsStep = 'writeFile' | 'rename' | 'link' | 'stat';
  const restores: Array<() => void> = [];
  afterEach(() => restores.splice(0).reverse().forEach((restore) => restore()));

  function patchFs(step: FsStep, replace: (original: (...args: unknown[]) => Promise<unknown>) => (...args: unknown[]) => Promise<unknown>): void {
    const calls = fs as unknown as Record<FsStep, (...args: unknown[]) => Promise<unknown>>;
    const original = calls[step];
    calls[step] = replace(original);
    restores.push(() => (calls[step] = original));
  }

  /** `act` runs once, just before the first `step` on a path that `matches`; then the step goes on. */
  function before(step: FsStep, matches: (file: string) => boolean, act: () => Promise<unknown>): void {
    let done = false;
    patchFs(step, (original) => async (...args) => {
      if (!done && matches(String(args[0]))) {
        done = true;
        await act();
      }
      return original(...args);
    });
  }

  /** Every `step` on a path that `matches` fails with `code`. */
  function failing(step: FsStep, matches: (file: string) => boolean, code: string): void {
    patchFs(step, (original) => (...args) =>
      matches(String(args[0])) ? Promise.reject(Object.assign(new Error(`${code}: ${step}`), { code })) : original(...args));
  }

  function snapshot(writer: string, nextPollAt: number): SharedSnapshot {
    const counters = { ok: true as const, value: { counters: [{ name: 'expired', count: 1, code: 6291456 }], total: 1, visible: true } };
    const byRole = Object.fromEntries(ROLES.map((role) => [role, counters])) as unknown as RoleCounters['byRole'];
    return { writer, fetchedAt: time.clock.now(), nextPollAt, outcome: { ok: true, value: { byRole, time: {} } } };
  }

  const FILE_SECRET = 'snapshotsecret77';
  const hook = webhookOf(`https://portal.bitrix24.com/rest/3/${FILE_SECRET}/`);
  /** How a window reads: with its webhook's redactor, its interval, and where it reports a file it ignores. */
  const reader = (ignored: unknown[] = [], intervalMs = 60_000) => ({ redact: hook.redact, intervalMs, onIgnored: (error: unknown) => ignored.push(error) });

  /** Every string anywhere inside a value. */
  function stringsIn(value: unknown): string[] {
    if (typeof value === 'string') return [value];
    if (typeof value !== 'object' || value === null) return [];
    return Object.values(value).flatMap(stringsIn);
  }

  it('the key: the counters are shared whatever the role; with task lists, only by windows asking the same role and lists', () => {
    const auditor: Filters = { ...ALL, role: 'view_role_auditor' };
    const key = SharedPoll.key(hook, ALL);
    assert.match(key, /^[0-9a-f]{24}$/);
    assert.equal(SharedPoll.key(hook, auditor), key, 'every role\'s counters are in one answer');
    assert.notEqual(SharedPoll.key(hook, { ...ALL, userId: 2 }), key);
    assert.notEqual(SharedPoll.key(hook, { ...ALL, groupId: 7 }), key);
    assert.notEqual(SharedPoll.key(webhookOf('https://portal.bitrix24.com/rest/4/othersecret99/'), ALL), key);
    const listed = SharedPoll.key(hook, ALL, ['expired']);
    assert.notEqual(listed, key);
    assert.notEqual(SharedPoll.key(hook, auditor, ['expired']), listed, 'the lists are the role\'s');
    assert.notEqual(SharedPoll.key(hook, { ...ALL, groupId: 7 }, ['expired']), listed);
    assert.notEqual(SharedPoll.key(hook, ALL, ['expired', 'new_comments']), listed);
  });

  it('a snapshot is current until TAKEOVER_AFTER_MS past its writer\'s next poll, not a millisecond longer', async () => {
    const a = windowOf('a');
    await a.write(KEY, snapshot('w', time.clock.now() + 60_000));
    time.timers.tick(60_000 + TAKEOVER_AFTER_MS);
    assert.ok(await a.current(KEY, reader()));
    time.timers.tick(1);
    assert.equal(await a.current(KEY, reader()), undefined);
  });

  it('a file that does not parse is reported with what is wrong and where; a reader that takes no reports still gets nothing', async () => {
    const a = windowOf('a');
    const good = snapshot('w', time.clock.now() + 60_000);
    await fs.mkdir(folder, { recursive: true });
    const problems: Array<[string, RegExp]> = [
      ['{"writer":"w","fetch', /: it is not JSON \(cut off\?\)$/],
      [JSON.stringify({ ...good, outcome: { ok: true, value: { ...(good.outcome.ok ? good.outcome.value : {}), taskLists: 'x' } } }), /: .+ at outcome\.value\.taskLists$/],
      ['null', /: .+ at the top$/],
    ];
    for (const [text, problem] of problems) {
      await fs.writeFile(snapshotFile(), text);
      const ignored: unknown[] = [];
      assert.equal(await a.current(KEY, reader(ignored)), undefined);
      assert.equal(ignored.length, 1);
      assert.match(String(ignored[0]), new RegExp(`ignored the snapshot file snapshot-${KEY}\\.json`));
      assert.match(String(ignored[0]), problem);
      assert.equal(await a.current(KEY, { redact: hook.redact }), undefined, 'no onIgnored: nothing to report to, no error');
    }
  });

  it('a snapshot that cannot be read (a folder in its place) is reported, not taken for a missing one', async () => {
    const a = windowOf('a');
    await fs.mkdir(snapshotFile(), { recursive: true });
    const ignored: unknown[] = [];
    assert.equal(await a.current(KEY, reader(ignored)), undefined);
    assert.equal(ignored.length, 1);
    assert.match(String(ignored[0]), /it cannot be read \(EISDIR\)/);
  });

  it('a failure\'s network cause and the time budget come back as written; an unknown cause is no snapshot', async () => {
    const a = windowOf('a');
    const good = snapshot('w', time.clock.now() + 60_000);
    assert.ok(good.outcome.ok);
    for (const networkCause of ['timeout', 'refused', 'dns', 'reset', 'tls', 'other'] as const) {
      const failed: SharedSnapshot = {
        ...good,
        outcome: {
          ok: true,
          value: {
            ...good.outcome.value,
            byRole: { ...good.outcome.value.byRole, view_all: { ok: false, error: { kind: 'network', detail: sentence`no answer`, networkCause } } },
            time: { operating: 12.5, operatingResetAt: time.clock.now() + 600_000 },
          },
        },
      };
      await a.write(KEY, failed);
      assert.deepEqual(await a.current(KEY, reader()), failed, networkCause);
    }
    const unknown = JSON.parse(await fs.readFile(snapshotFile(), 'utf8')) as { outcome: { value: { byRole: { view_all: { error: { networkCause: string } } } } } };
    unknown.outcome.value.byRole.view_all.error.networkCause = 'gremlins';
    await fs.writeFile(snapshotFile(), JSON.stringify(unknown));
    const ignored: unknown[] = [];
    assert.equal(await a.current(KEY, reader(ignored)), undefined);
    assert.equal(ignored.length, 1);
  });

  it('a takeover lock left by a window that died taking over is removed once as old as the TTL, then the lease is taken; a younger one is someone\'s', async () => {
    await windowOf('dead').tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS); // its lease expired
    await fs.writeFile(lockFile(), 'window-dying');
    const aged = async (ms: number) => {
      const at = new Date(time.clock.now() - ms);
      await fs.utimes(lockFile(), at, at);
    };
    const b = windowOf('b');
    await aged(LEASE_TTL_MS - 1);
    assert.equal(await b.tryLease(KEY), false);
    assert.ok(await exists(lockFile()), 'a lock younger than the TTL stays');
    await aged(LEASE_TTL_MS);
    assert.equal(await b.tryLease(KEY), false, 'the old lock is removed, not taken at once');
    assert.equal(await exists(lockFile()), false);
    assert.equal(await b.tryLease(KEY), true);
    assert.equal(await holder(), 'b');
  });

  it('an expired lease another window takes over while this one creates the takeover lock is left to that window', async () => {
    await windowOf('dead').tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS);
    const [b, c] = [windowOf('b'), windowOf('c')];
    let cWon: boolean | undefined;
    before('writeFile', (file) => file === lockFile(), async () => (cWon = await c.tryLease(KEY)));
    assert.equal(await b.tryLease(KEY), false);
    assert.equal(cWon, true);
    assert.equal(await holder(), 'c');
    assert.deepEqual(await fs.readdir(folder), [`lease-${KEY}.json`], 'no lock or temporary file left');
  });

  it('an expired lease its owner releases while this window takes it over is simply taken', async () => {
    const dead = windowOf('dead');
    await dead.tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS); // suspended past its lease; it wakes up and releases it
    const b = windowOf('b');
    before('writeFile', (file) => file === lockFile(), () => dead.release(KEY));
    assert.equal(await b.tryLease(KEY), true);
    assert.equal(await holder(), 'b');
    assert.deepEqual(await fs.readdir(folder), [`lease-${KEY}.json`]);
  });

  it('a release whose lease was taken over and released meanwhile minds no missing file', async () => {
    const [a, c] = [windowOf('a'), windowOf('c')];
    await a.tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS);
    before('rename', (file) => file === leaseFile(), async () => {
      assert.ok(await c.tryLease(KEY));
      await c.release(KEY);
    });
    await a.release(KEY);
    assert.deepEqual(await fs.readdir(folder), []);
  });

  it('a release whose lease was taken over between the look and the removal puts the other window\'s lease back', async () => {
    const [a, c] = [windowOf('a'), windowOf('c')];
    await a.tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS);
    before('rename', (file) => file === leaseFile(), async () => assert.ok(await c.tryLease(KEY)));
    await a.release(KEY);
    assert.equal(await holder(), 'c');
    assert.deepEqual(await fs.readdir(folder), [`lease-${KEY}.json`]);
  });

  it('…unless a third window took the free place meanwhile: its lease stays, no error', async () => {
    const [a, c, d] = [windowOf('a'), windowOf('c'), windowOf('d')];
    await a.tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS);
    before('rename', (file) => file === leaseFile(), async () => assert.ok(await c.tryLease(KEY)));
    before('link', (file) => file.endsWith('.aside'), async () => assert.ok(await d.tryLease(KEY)));
    await a.release(KEY);
    assert.equal(await holder(), 'd');
    assert.deepEqual(await fs.readdir(folder), [`lease-${KEY}.json`]);
  });

  it('a file system that refuses the lease (no hard links, no permission) is an error, never "another window leads"', async () => {
    const a = windowOf('a');
    failing('link', (file) => file.endsWith('.tmp'), 'EPERM');
    await assert.rejects(a.tryLease(KEY), /EPERM/);
    restores.splice(0).forEach((restore) => restore());
    await windowOf('dead').tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS);
    failing('writeFile', (file) => file === lockFile(), 'EACCES');
    await assert.rejects(a.tryLease(KEY), /EACCES/);
    assert.deepEqual(await fs.readdir(folder), [`lease-${KEY}.json`], 'no temporary file left');
  });

  it('a lease that cannot be read and whose age cannot be told is an error, never free to take', async () => {
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(leaseFile(), '{"windowId":"c","expi');
    failing('stat', (file) => file === leaseFile(), 'EACCES');
    await assert.rejects(windowOf('b').tryLease(KEY), /EACCES/);
    assert.equal(await fs.readFile(leaseFile(), 'utf8'), '{"windowId":"c","expi', 'left as it was');
  });

  it('a release that cannot move the lease aside, or put another\'s back, is an error (reported by the poller), not a silent success', async () => {
    const [a, c] = [windowOf('a'), windowOf('c')];
    await a.tryLease(KEY);
    failing('rename', (file) => file === leaseFile(), 'EACCES');
    await assert.rejects(a.release(KEY), /EACCES/);
    restores.splice(0).forEach((restore) => restore());
    time.timers.tick(LEASE_TTL_MS);
    before('rename', (file) => file === leaseFile(), async () => assert.ok(await c.tryLease(KEY)));
    failing('link', (file) => file.endsWith('.aside'), 'EACCES');
    await assert.rejects(a.release(KEY), /EACCES/);
  });

  it('the lease outlives the longest call: the client\'s timeout for the request and every redirect it follows', () => {
    assert.ok(LEASE_TTL_MS > DEFAULT_TIMEOUT_MS * (1 + MAX_SAME_ORIGIN_REDIRECTS), `${LEASE_TTL_MS} ms`);
  });

  it('of windows asking for the lease at once, exactly one gets it, every time', async () => {
    const windows = ['a', 'b', 'c'].map(windowOf);
    for (let round = 0; round < 20; round++) {
      const won = await Promise.all(windows.map((w) => w.tryLease(KEY)));
      assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.join(', ')}`);
      await Promise.all(windows.map((w) => w.release(KEY)));
      assert.deepEqual(await fs.readdir(folder), [], 'released by its owner, no temporary file left');
    }
  });

  it('an expired lease is taken by exactly one of the windows stealing it at once', async () => {
    await windowOf('dead').tryLease(KEY);
    time.timers.tick(LEASE_TTL_MS);
    for (let round = 0; round < 50; round++) {
      const windows = ['a', 'b', 'c', 'd'].map((id) => windowOf(`${id}${round}`));
      const won = await Promise.all(windows.map((w) => w.tryLease(KEY)));
      assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won.join(', ')}`);
      time.timers.tick(LEASE_TTL_MS); // this round's winner dies too
    }
  });

  it('a lease that cannot be read is someone\'s lease until its file is older than the TTL', async () => {
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(leaseFile(), '{"windowId":"a","expi'); // as a reader might have seen it half-written before
    const b = windowOf('b');
    time.timers.tick(LEASE_TTL_MS); // the fake clock moves; the file's age is what counts
    const fresh = new Date(time.clock.now());
    await fs.utimes(leaseFile(), fresh, fresh);
    assert.equal(await b.tryLease(KEY), false);
    assert.ok(await fs.stat(leaseFile()), 'not deleted');
    const old = new Date(time.clock.now() - LEASE_TTL_MS);
    await fs.utimes(leaseFile(), old, old);
    assert.equal(await b.tryLease(KEY), true);
  });

  it('only its owner releases a lease', async () => {
    const [a, b] = [windowOf('a'), windowOf('b')];
    assert.ok(await a.tryLease(KEY));
    await b.release(KEY);
    assert.equal(await b.tryLease(KEY), false, 'still a\'s');
    await a.release(KEY);
    assert.ok(await b.tryLease(KEY));
    await a.release(KEY); // not a's any more, and no file needs to exist for a release
    assert.equal(JSON.parse(await fs.readFile(leaseFile(), 'utf8')).windowId, 'b');
  });

  it('files are the user\'s only: the folder 0700, leases and snapshots 0600', async function () {
    if (process.platform === 'win32') this.skip();
    const a = windowOf('a');
    await a.tryLease(KEY);
    await a.write(KEY, snapshot('a', time.clock.now() + 60_000));
    assert.equal((await fs.stat(folder)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(leaseFile())).mode & 0o777, 0o600);
    assert.equal((await fs.stat(snapshotFile())).mode & 0o777, 0o600);
  });

  it('forget removes this window\'s snapshot and lease, leaves another\'s, and minds no missing file', async () => {
    const [a, b] = [windowOf('a'), windowOf('b')];
    await a.forget(KEY);
    await a.tryLease(KEY);
    await a.write(KEY, snapshot('a', time.clock.now() + 60_000));
    await a.forget(KEY);
    assert.deepEqual(await fs.readdir(folder), []);
    await b.tryLease(KEY);
    await b.write(KEY, snapshot('b', time.clock.now() + 60_000));
    await a.forget(KEY);
    assert.deepEqual((await fs.readdir(folder)).sort(), [`lease-${KEY}.json`, `snapshot-${KEY}.json`]);
  });

  it('a snapshot that says its next poll is further ahead than any wait (the backoff cap, or a longer interval) is overdue', async () => {
    const a = windowOf('a');
    await a.write(KEY, snapshot('w', time.clock.now() + DEFAULT_MAX_BACKOFF_MS));
    assert.ok(await a.current(KEY, reader([], 60_000)));
    await a.write(KEY, snapshot('w', time.clock.now() + DEFAULT_MAX_BACKOFF_MS + 1));
    assert.equal(await a.current(KEY, reader([], 60_000)), undefined);
    await a.write(KEY, snapshot('w', time.clock.now() + 3600_000));
    assert.ok(await a.current(KEY, reader([], 3600_000)), 'an hour ahead with an interval of an hour');
    assert.equal(await a.current(KEY, reader([], Infinity)), undefined, 'not forever');
  });

  it('a snapshot\'s text is cleaned again with this window\'s redactor, its counts saturated', async () => {
    const a = windowOf('a');
    const quoted = `${hook.reveal()} \u202E${'x'.repeat(1_000_000)}`;
    const good = snapshot('w', time.clock.now() + 60_000);
    const value = good.outcome.ok ? good.outcome.value : undefined;
    const huge = { ok: true, value: { counters: [{ name: quoted, count: 1e308, code: 1 }, { name: 'expired', count: 1e308, code: 6291456 }], total: 1e308, visible: true } };
    const task = { id: 7, title: quoted, status: 2, responsible: { id: 3, name: quoted }, group: { id: 5, name: quoted }, unreadComments: 1e308 };
    const failure = { kind: 'redirected', detail: quoted, code: quoted, redirectHost: quoted, status: 302 };
    const hostile = {
      ...good,
      outcome: {
        ok: true,
        value: {
          ...value,
          byRole: { ...value!.byRole, view_all: huge, view_role_auditor: { ok: false, error: failure } },
          user: { ok: true, value: { id: 3, name: quoted } },
          groups: { ok: true, value: [{ id: 5, name: quoted }] },
          taskLists: { expired: { ok: true, value: { tasks: [task], total: 1e308 } }, new_comments: { ok: false, error: failure } },
        },
      },
    };
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(snapshotFile(), JSON.stringify(hostile));
    const ignored: unknown[] = [];
    const read = await a.current(KEY, reader(ignored));
    assert.deepEqual(ignored, []);
    assert.ok(read?.outcome.ok, 'the file parses');
    const text = JSON.stringify(read);
    assert.ok(!text.includes(FILE_SECRET), 'the secret is redacted');
    for (const string of stringsIn(read)) {
      assert.ok(string.length <= MAX_PORTAL_TEXT, `${string.length} characters`);
      assert.doesNotMatch(string, /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u);
    }
    const all = read.outcome.value.byRole.view_all;
    assert.ok(all.ok);
    assert.deepEqual(all.value.counters.map((c) => c.count), [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
    assert.equal(all.value.total, Number.MAX_SAFE_INTEGER);
    const listed = read.outcome.value.taskLists?.expired;
    assert.ok(listed?.ok);
    assert.equal(listed.value.total, Number.MAX_SAFE_INTEGER);
    assert.equal(listed.value.tasks[0].unreadComments, Number.MAX_SAFE_INTEGER);
  });

  it('a snapshot that does not parse is ignored and reported, never returned', async () => {
    const a = windowOf('a');
    const good = snapshot('w', time.clock.now() + 60_000);
    const value = good.outcome.ok ? good.outcome.value : undefined;
    const withList = (list: unknown) => ({ ...good, outcome: { ok: true, value: { ...value, taskLists: { expired: list } } } });
    const task = { id: 7, title: 't', status: 2 };
    const bad: unknown[] = [
      withList({ ok: true, value: { tasks: [{ ...task, id: '//evil.example/x' }], total: 1 } }),
      withList({ ok: true, value: { tasks: [{ ...task, id: 0 }], total: 1 } }),
      withList({ ok: true, value: { tasks: [{ ...task, id: 2 ** 53 }], total: 1 } }),
      withList({ ok: true, value: { tasks: [{ ...task, group: { id: 'x', name: 'g' } }], total: 1 } }),
      withList({ ok: true, value: { tasks: 'x', total: 1 } }),
      withList({ ok: true, value: { tasks: [task], total: null } }),
      withList({ ok: false, error: { kind: 'teapot', detail: 'x' } }),
      withList('x'),
      { ...good, outcome: { ok: true, value: { ...value, taskLists: 'x' } } },
      // Infinity, as an older version wrote it.
      { ...good, outcome: { ok: true, value: { ...value, byRole: { ...value!.byRole, view_all: { ok: true, value: { counters: [], total: null, visible: true } } } } } },
      { ...good, outcome: { ok: true, value: { ...value, byRole: { ...value!.byRole, view_all: { ok: true, value: { counters: [], total: 0 } } } } } },
      { ...good, outcome: { ok: true, value: { ...value, user: { ok: true, value: { id: -1, name: 'u' } } } } },
      { ...good, writer: 'w'.repeat(100_000) },
    ];
    await fs.mkdir(folder, { recursive: true });
    for (const content of bad) {
      const ignored: unknown[] = [];
      await fs.writeFile(snapshotFile(), JSON.stringify(content));
      assert.equal(await a.current(KEY, reader(ignored)), undefined, JSON.stringify(content).slice(0, 300));
      assert.equal(ignored.length, 1, `reported once: ${JSON.stringify(content).slice(0, 300)}`);
      assert.ok(!String(ignored[0]).includes('w'.repeat(1000)), 'the report is short');
    }
    const ignored: unknown[] = [];
    await fs.writeFile(snapshotFile(), '{"writer":"w","fetch');
    assert.equal(await a.current(KEY, reader(ignored)), undefined);
    assert.equal(ignored.length, 1, 'a file cut short is reported too');
    await fs.rm(snapshotFile());
    assert.equal(await a.current(KEY, reader(ignored)), undefined);
    assert.equal(ignored.length, 1, 'no file is nothing to report');
  });

  it('a malformed snapshot is no snapshot', async () => {
    const a = windowOf('a');
    const good = snapshot('w', time.clock.now() + 60_000);
    const value = good.outcome.ok ? good.outcome.value : undefined;
    const bad: unknown[] = [
      { ...good, outcome: { ok: 'yes', value } },
      { ...good, outcome: { ok: true, value: { time: {} } } },
      { ...good, outcome: { ok: true, value: { ...value, byRole: { view_all: value!.byRole.view_all } } } },
      { ...good, outcome: { ok: true, value: { ...value, byRole: { ...value!.byRole, view_all: { ok: true, value: { counters: 'x' } } } } } },
      { ...good, outcome: { ok: false } },
      { ...good, outcome: { ok: true, value: { ...value, user: { ok: true, value: {} } } } },
      { ...good, writer: 7 },
      { ...good, fetchedAt: time.clock.now() + 1 },
      { ...good, nextPollAt: 'soon' },
      [],
      null,
    ];
    await fs.mkdir(folder, { recursive: true });
    for (const content of bad) {
      await fs.writeFile(snapshotFile(), JSON.stringify(content));
      assert.equal(await a.current(KEY, reader()), undefined, JSON.stringify(content).slice(0, 200));
    }
    await a.write(KEY, good);
    assert.deepEqual(await a.current(KEY, reader()), good);
  });
});

describe('multi-window examples the property tests found (fake portal, fake time)', function () {
  this.timeout(20_000);

  async function holds(scenario: Scenario): Promise<void> {
    assert.deepEqual(await runScenario(scenario), []);
  }

  const ALL_OF: Filters = { role: 'view_all', userId: 0, groupId: 0 };

  it('a follower reading the snapshot while the user filter changes never shows the old user\'s numbers', () =>
    // Found with the scope check after the snapshot read left out: window 1 showed user 1's
    // counters under the filter "user 0".
    holds({
      windows: 2,
      intervalMs: 60_000,
      filters: { ...ALL_OF, userId: 1 },
      steps: [
        { kind: 'refresh', window: 0 },
        { kind: 'during', action: { kind: 'filters', change: { userId: 0 } } },
      ],
      healthyIntervalMs: 60_000,
    }));

  it('a group switch while a follower reads, then a disconnect: no numbers of the old group anywhere', () =>
    holds({
      windows: 2,
      intervalMs: 60_000,
      filters: { ...ALL_OF, role: 'view_role_auditor' },
      steps: [
        { kind: 'during', action: { kind: 'filters', change: { role: 'view_role_auditor' } } },
        { kind: 'during', action: { kind: 'filters', change: { groupId: 9 } } },
        { kind: 'disconnect', window: 0 },
      ],
      healthyIntervalMs: 60_000,
    }));

  it('Connect\'s verified answer arriving after a group switch is not shown under the new group', () =>
    // Found with connect applying any verified answer: window 0 showed all groups' numbers
    // under group 1. Window 1 follows the store meanwhile.
    holds({
      windows: 2,
      intervalMs: 60_000,
      filters: ALL_OF,
      steps: [
        { kind: 'answers', list: [{ kind: 'hang', ms: 1000 }] },
        { kind: 'connect', window: 0, identity: { portal: 1, hookUser: 2 } },
        { kind: 'filters', change: { groupId: 1 } },
        { kind: 'wait', ms: 2000 },
      ],
      healthyIntervalMs: 60_000,
    }));

  it('a window away stays paused when another window connects to another portal', () =>
    // Found as a request of the away window: the reconnect restarted its polling.
    holds({
      windows: 2,
      intervalMs: 60_000,
      filters: ALL_OF,
      steps: [
        { kind: 'blur', window: 0 },
        { kind: 'connect', window: 1, identity: { portal: 1, hookUser: 1 } },
        { kind: 'wait', ms: 120_000 },
      ],
      healthyIntervalMs: 60_000,
    }));

  it('disconnect removes the window\'s files; a release that fails is reported, never an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    const world = await World.create({ windows: 1, intervalMs: 60_000, filters: ALL_OF });
    try {
      world.start({ portal: 0, hookUser: 1 });
      await world.advance(1000);
      assert.deepEqual((await world.files()).map((f) => f.name.split('-')[0]), ['snapshot'], 'shared, lease released');
      world.disconnect(0);
      await world.advance(0);
      assert.deepEqual(await world.files(), [], 'nothing left behind');

      world.windows[0].shared.releaseFailure = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      world.start({ portal: 0, hookUser: 1 });
      await world.advance(MIN_GAP_MS); // connected again: its first poll 15 s after its last request
      assert.ok(world.violations.length > 0 && world.violations.every((v) => /sharing failed: .*EACCES/.test(v)), world.violations.join('\n'));
      assert.equal(world.windows[0].state.snapshot.error, undefined, 'polling goes on');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rejections, []);
    } finally {
      process.off('unhandledRejection', onRejection);
      await world.close();
      await world.remove();
    }
  });
});
