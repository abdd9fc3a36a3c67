/**
 * A world for the poller's property tests and the examples they found: one to three windows
 * (pollers, each with its own state) sharing one storage folder (real files), on one fake
 * clock, in front of a scripted fake portal reached through the real `CountersClient` over an
 * in-process `Transport`, so classification runs as in production.
 *
 * The fake portal answers from `script` (one answer a request, then healthy answers), and
 * every answer carries its identity: counters, names, error descriptions and redirect hosts
 * are derived from portal, webhook user, user and group filters (and role), so `check` can
 * tell whether what a window shows belongs to what it is connected to and filtering by. An
 * answer that `quote`s puts the webhook URL (its secret) into every string it sends: names,
 * titles, group and counter names, error descriptions, the redirect's host.
 *
 * The user's actions are what they are in VS Code: Refresh and Connect are explicit asks;
 * expanding a row, opening a picker, a settings change (which every window sees at once) and
 * focus are gestures, which ask the portal only when the gate allows. The wall clock may jump
 * either way (`jump`); the monotonic clock does not, and the world counts every gap on it.
 *
 * While it runs, the world records the violations of the properties (see `violations`).
 *
 * Not a test file (no `.test`): mocha loads it only through the tests that import it.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Clock } from '../../src/core/clock';
import { Role, ROLES } from '../../src/core/counters';
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersSnapshot, CountersState, Filters } from '../../src/core/countersState';
import { fail, Outcome, succeed } from '../../src/core/outcome';
import { sentence } from '../../src/core/portalText';
import { FOLLOW_DELAY_MS, LEASE_TTL_MS, SharedPoll, SharedSnapshot, SnapshotReader, TAKEOVER_AFTER_MS } from '../../src/core/sharedPoll';
import { TaskListCounter } from '../../src/core/taskList';
import { HttpResponse, PostOptions, Transport } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { seededRandom } from '../sim/fleet';
import { fakeTime, FakeTime } from './fakeTime';

/** No two requests of one window are closer than this, but for an explicit one. */
export const MIN_GAP_MS = 15_000;

/** The latest time a `Date` can hold. */
const MAX_DATE_MS = 8.64e15;

/** The scheduler's longest wait: a "not before" further ahead is waited only this long. */
const LONGEST_WAIT_MS = 15 * 60_000;

/** The scheduler's jitter: ± this fraction of every wait (its default). */
const JITTER = 0.1;

export const PORTALS = [0, 1] as const;
export const HOOK_USERS = [1, 2] as const;
export const USER_IDS = [0, 1, 2] as const;
/** Group 9 does not exist on the fake portals. */
export const GROUP_IDS = [0, 1, 2, 9] as const;
const SECRET = 'worldsecret';

export type OperatingResetAt = 'past' | 'soon' | 'farFuture' | 'overflow' | 'string';

/** One answer of the fake portal to one request; `quote`: the webhook URL in every string it sends. */
export type Answer =
  | { readonly kind: 'ok'; readonly comments: number; readonly resetAt?: OperatingResetAt; readonly quote?: boolean }
  /** A good batch in which one role's command failed. */
  | { readonly kind: 'roleError'; readonly role: Role; readonly code: string; readonly resetAt?: OperatingResetAt; readonly quote?: boolean }
  /** An error envelope for the whole request. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly code: string;
      readonly retryAfter?: string;
      readonly resetAt?: OperatingResetAt;
      readonly quote?: boolean;
    }
  | { readonly kind: 'garbage'; readonly status: number; readonly body: 'html' | 'truncated' | 'empty' | 'noResult' }
  /** An answer after `ms` of fake time; past the client's timeout, the request times out. */
  | { readonly kind: 'hang'; readonly ms: number }
  | { readonly kind: 'redirect'; readonly status: number; readonly sameOrigin: boolean; readonly quote?: boolean };

export interface Identity {
  readonly portal: number;
  readonly hookUser: number;
}

/** A request a window sent: its poll's, Connect's check, the group picker's list. */
export interface Sent {
  readonly window: number;
  /** Wall time (it may jump), and monotonic time (it does not). */
  readonly at: number;
  readonly monotonic: number;
  readonly purpose: Purpose;
  /** The answer to the user's explicit ask: the first poll request after a Refresh, or Connect's check. */
  readonly explicit: boolean;
}

/** Who sent a request: the poller's schedule, Connect's check, the group picker. */
export type Purpose = 'poll' | 'verify' | 'groups';

export function origin(portal: number): string {
  return `https://p${portal}.example`;
}

export function webhookFor({ portal, hookUser }: Identity): WebhookUrl {
  const parsed = WebhookUrl.parse(`${origin(portal)}/rest/${hookUser}/${SECRET}${portal}${hookUser}/`);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.webhook;
}

/** The `expired` count the fake portal answers for one question: unique to it. */
export function identityCount(portal: number, hookUser: number, userId: number, groupId: number, role: Role): number {
  return 1000 + (((portal * 3 + hookUser) * 3 + userId) * 10 + groupId) * 5 + ROLES.indexOf(role);
}

export function userName(portal: number, hookUser: number): string {
  return `User ${portal}-${hookUser}`;
}

export function groupName(portal: number, groupId: number): string {
  return `Group ${portal}-${groupId}`;
}

/** The role filter keys of `tasks.task.list`, the originator's last: it also names the responsible. */
const LIST_ROLE_KEYS: ReadonlyArray<readonly [string, Role]> = [
  ['MEMBER', 'view_all'],
  ['RESPONSIBLE_ID', 'view_role_responsible'],
  ['ACCOMPLICE', 'view_role_accomplice'],
  ['AUDITOR', 'view_role_auditor'],
  ['CREATED_BY', 'view_role_originator'],
];

/** Portal text without the webhook URL a quoting answer put after it (redacted: `/rest/<user>/•••/`). */
function unquoted(text: string): string {
  return text.replace(/ https:\/\/\S+\/rest\/\d+\/•••\/\S*$/, '');
}

/** ⟨portal|hookUser|userId|groupId[|role]⟩ in error descriptions and task titles. */
function tag(portal: number, hookUser: number, userId: number, groupId: number, role?: Role): string {
  return `⟨${[portal, hookUser, userId, groupId, ...(role ? [role] : [])].join('|')}⟩`;
}

/**
 * Counts the shared poll's file operations in flight, so a test knows when all are done.
 * Once `crashed`, it writes and removes nothing: a window that died leaves its files behind.
 */
export class TrackedSharedPoll extends SharedPoll {
  crashed = false;
  /** Every release fails with this (a folder gone read-only). */
  releaseFailure: Error | undefined;

  constructor(
    folder: string,
    clock: Clock,
    windowId: string,
    private readonly busy: { count: number },
  ) {
    super(folder, clock, windowId);
  }

  private async track<T>(operation: Promise<T>): Promise<T> {
    this.busy.count++;
    try {
      return await operation;
    } finally {
      this.busy.count--;
    }
  }

  override current(key: string, reader: SnapshotReader): Promise<SharedSnapshot | undefined> {
    return this.track(super.current(key, reader));
  }

  override write(key: string, snapshot: SharedSnapshot): Promise<void> {
    return this.crashed ? Promise.resolve() : this.track(super.write(key, snapshot));
  }

  override tryLease(key: string): Promise<boolean> {
    return this.track(super.tryLease(key));
  }

  override release(key: string): Promise<void> {
    if (this.releaseFailure) return Promise.reject(this.releaseFailure);
    return this.crashed ? Promise.resolve() : this.track(super.release(key));
  }

  override forget(key: string): Promise<void> {
    return this.crashed ? Promise.resolve() : this.track(super.forget(key));
  }
}

/** A poll is in progress: connected, focused, not halted, no next poll time (cleared while running). */
function polling(window: WorldWindow): boolean {
  const s = window.state.snapshot;
  return s.connection.kind === 'connected' && window.focused && !s.halted && s.nextPollAt === undefined;
}

/** Real time passes until no file operation counted in `busy` is in flight. */
export async function settleFiles(busy: { count: number }, what = 'file operations'): Promise<void> {
  const deadline = Date.now() + 5000;
  let quiet = 0;
  while (quiet < 3) {
    if (Date.now() > deadline) throw new Error(`still busy (${busy.count} ${what} in flight)`);
    await new Promise<void>((resolve) => setImmediate(resolve));
    quiet = busy.count === 0 ? quiet + 1 : 0;
  }
}

export interface WorldWindow {
  readonly index: number;
  readonly state: CountersState;
  readonly poller: CountersPoller;
  readonly shared: TrackedSharedPoll;
  focused: boolean;
  /** A run was in progress at the last blur: it finishes, its request may still go out. */
  runAtBlur?: boolean;
  /** Poll requests in flight. */
  inFlight: number;
  /** The user asked explicitly (Refresh): the next poll request is the answer to it. */
  explicitAsked: boolean;
  /** Polling stopped on a failure only the user can fix, and no Refresh, Connect or new question since. */
  halted: boolean;
  lastError?: CountersSnapshot['error'];
  /** Monotonic: this window's last request, its last explicit one. */
  lastRequestAt: number | undefined;
  lastExplicitAt: number | undefined;
  /**
   * Monotonic: what the portal's last answer to this window's poll said about the next request
   * (Retry-After, operating_reset_at), up to the longest wait. A new webhook forgets it.
   */
  notBefore?: number;
  /** Bumped by every new webhook (or none): an answer to an older one's request says nothing. */
  connection: number;
  /** When each of its clients was last sent to its own origin: it follows at once, the same request. */
  redirectedAt: Partial<Record<Purpose, number>>;
  /** Whom the next client made is for: `verify`'s own, or the poller's (made by `connect`). */
  nextClient: 'verify' | 'poll';
  /** The releases of the task lists this window shows (expanded rows, Go to Task). */
  shownLists: Array<() => void>;
}

export interface WorldOptions {
  readonly windows: number;
  readonly intervalMs: number;
  readonly filters: Filters;
  /** Timers one `advance` may fire before it counts as a spin. */
  readonly maxTimersPerAdvance?: number;
}

export class World {
  readonly time: FakeTime = fakeTime();
  readonly windows: WorldWindow[] = [];
  readonly busy = { count: 0 };
  /** Answers for the next requests, in order; healthy answers after them. */
  script: Answer[] = [];
  readonly sent: Sent[] = [];
  readonly violations: string[] = [];
  /** The webhook in the (shared) SecretStorage. */
  stored: Identity | undefined;
  private filters: Filters;
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];

  private constructor(
    readonly folder: string,
    private readonly options: WorldOptions,
  ) {
    this.filters = options.filters;
  }

  static async create(options: WorldOptions): Promise<World> {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'b24-world-'));
    const world = new World(folder, options);
    for (let i = 0; i < options.windows; i++) world.open(i);
    return world;
  }

  get now(): number {
    return this.time.clock.now();
  }

  get monotonic(): number {
    return this.time.clock.monotonic();
  }

  // ——— user actions ———

  /** At start, every window connects to the stored webhook (no verify). */
  start(identity: Identity): void {
    this.stored = identity;
    for (const w of this.windows) this.newWebhook(w, () => w.poller.connect(webhookFor(identity), 'stored'));
  }

  /**
   * Connect in one window, as the command does: verify (an explicit ask; its request may hang),
   * then store, connect with the verified answer; the other windows follow the store.
   */
  connect(index: number, identity: Identity): Promise<void> {
    const window = this.windows[index];
    const webhook = webhookFor(identity);
    return window.poller.verify(webhook).then((verified) => {
      if (!verified.ok || this.closed) return;
      this.stored = identity;
      this.newWebhook(window, () => window.poller.connect(webhook, 'stored', verified.value));
      this.followStore(window);
    });
  }

  disconnect(index: number): void {
    this.stored = undefined;
    const window = this.windows[index];
    this.forgetConnection(window);
    window.poller.disconnect();
    this.followStore(window);
  }

  /** Refresh (or Try Again): the explicit ask, while connected. */
  refresh(index: number): Promise<void> {
    const window = this.windows[index];
    if (window.poller.webhook) {
      window.explicitAsked = true;
      window.halted = false;
    }
    return window.poller.refresh();
  }

  /**
   * A settings change (settings sync, user settings.json): every window sees it at once. A
   * gesture: it may ask only when the gate allows, through the shared poll. A new question may
   * fix what halted polling.
   */
  setFilters(change: Partial<Filters>): void {
    this.filters = { ...this.filters, ...change };
    for (const w of this.windows) {
      w.halted = false;
      w.poller.setFilters(this.filters);
    }
  }

  setInterval(ms: number): void {
    for (const w of this.windows) w.poller.setIntervalMs(ms);
  }

  /** A row expanded, or Go to Task opened: a gesture (its list comes as soon as the gate allows). */
  showTasks(index: number, counters: readonly TaskListCounter[]): void {
    const window = this.windows[index];
    window.shownLists.push(window.poller.showTaskLists(counters));
  }

  /** Switch Role opened: a gesture, fresh counts as soon as the gate allows. */
  rolePicker(index: number): void {
    this.windows[index].poller.askSoon();
  }

  /** Switch Group opened: the user's groups, a request of its own when the gate allows. */
  groupPicker(index: number): Promise<unknown> {
    return this.windows[index].poller.listGroups();
  }

  /** The wall clock jumps (suspend and resume, NTP, a user): monotonic time and the timers do not. */
  jump(ms: number): void {
    this.time.timers.setSystemTime(this.now + ms);
  }

  /** Every row collapsed, the picker closed. */
  hideTasks(index: number): void {
    const window = this.windows[index];
    window.shownLists.splice(0).forEach((release) => release());
  }

  blur(index: number): void {
    const window = this.windows[index];
    window.runAtBlur = polling(window);
    window.focused = false;
    window.poller.pause();
  }

  focus(index: number): void {
    this.windows[index].focused = true;
    this.windows[index].poller.resume();
  }

  // ——— time ———

  /**
   * Fake time moves `ms` forward, firing each timer at its time and letting the file
   * operations it starts finish (real time) before the next. More than `maxTimersPerAdvance`
   * timers is a spin: recorded, and the rest of the advance skipped.
   */
  async advance(ms: number): Promise<void> {
    const { timers } = this.time;
    let reached = false;
    timers.setTimeout(() => (reached = true), Math.max(0, ms));
    const limit = this.options.maxTimersPerAdvance ?? 2000;
    await settleFiles(this.busy);
    for (let fired = 0; !reached && this.violations.length === 0; fired++) {
      if (fired > limit) {
        this.violations.push(`spin: more than ${limit} timers within ${ms} ms from ${this.now}`);
        return;
      }
      await timers.nextAsync();
      await settleFiles(this.busy);
    }
  }

  /**
   * Fires the next timer and returns at once, its file operations still in flight: the next
   * action lands in the middle of a poll.
   */
  async fireNext(): Promise<void> {
    await this.time.timers.nextAsync();
  }

  /** Stops every window; the files stay for the caller to look at, then `remove`. */
  async close(): Promise<void> {
    this.closed = true;
    this.windows.forEach((w) => w.poller.dispose());
    this.unsubscribe.forEach((off) => off());
    await settleFiles(this.busy);
    await this.time.timers.runAllAsync().catch(() => undefined);
    await settleFiles(this.busy);
  }

  async remove(): Promise<void> {
    await fs.rm(this.folder, { recursive: true, force: true });
  }

  /** Names and contents of the files in the shared folder. */
  async files(): Promise<Array<{ name: string; text: string }>> {
    const names = await fs.readdir(this.folder).catch(() => [] as string[]);
    return Promise.all(names.map(async (name) => ({ name, text: await fs.readFile(path.join(this.folder, name), 'utf8') })));
  }

  // ——— the windows ———

  private open(index: number): void {
    const state = new CountersState(this.filters);
    const shared = new TrackedSharedPoll(this.folder, this.time.clock, `window-${index}`, this.busy);
    const poller = new CountersPoller(state, {
      intervalMs: this.options.intervalMs,
      clock: this.time.clock,
      random: seededRandom(index + 1),
      shared,
      onSharingError: (error) => this.violations.push(`window ${index}: sharing failed: ${String(error)}`),
      createClient: (hook) => {
        const transport = this.transport(window, window.nextClient);
        window.nextClient = 'verify';
        return new CountersClient(hook, { transport, now: () => this.time.clock.now() });
      },
    });
    const window: WorldWindow = {
      index,
      state,
      poller,
      shared,
      focused: true,
      inFlight: 0,
      explicitAsked: false,
      halted: false,
      lastRequestAt: undefined,
      lastExplicitAt: undefined,
      connection: 0,
      nextClient: 'verify',
      shownLists: [],
      redirectedAt: {},
    };
    this.unsubscribe.push(state.subscribe((snapshot) => this.check(window, snapshot)));
    this.windows.push(window);
  }

  private newWebhook(window: WorldWindow, connect: () => void): void {
    this.forgetConnection(window);
    window.nextClient = 'poll';
    connect();
  }

  private followStore(origin: WorldWindow): void {
    for (const w of this.windows) {
      if (w === origin) continue;
      const stored = this.stored;
      if (!stored) {
        if (w.poller.webhook) {
          this.forgetConnection(w);
          w.poller.disconnect();
        }
      } else if (!w.poller.webhook?.sameAs(webhookFor(stored))) {
        this.newWebhook(w, () => w.poller.connect(webhookFor(stored), 'stored'));
      }
    }
  }

  /** Another webhook, or none: what its portal said and a pending Refresh go with the old one. */
  private forgetConnection(window: WorldWindow): void {
    window.halted = false;
    window.notBefore = undefined;
    window.explicitAsked = false;
    window.connection++;
  }

  /** Property 3 on every state a window publishes; property 2's halt noted. */
  private check(window: WorldWindow, s: CountersSnapshot): void {
    const problem = (what: string) => this.violations.push(`window ${window.index} at ${this.now}: ${what}`);
    // A new failure that halts (an old one carried along a later update is no news).
    if (s.halted && s.error !== window.lastError) window.halted = true;
    window.lastError = s.error;
    if (JSON.stringify(s).includes(SECRET)) problem('the secret reached the state');
    if (s.connection.kind !== 'connected') {
      if (s.counters || s.byRole || s.user || s.groupName || s.error) problem('data shown while disconnected');
      return;
    }
    const portal = PORTALS.findIndex((p) => origin(p) === (s.connection as { portal: string }).portal);
    const hookUser = s.connection.webhookUserId;
    const { userId, groupId, role } = s.filters;
    const expired = (set: { counters: readonly { name: string; count: number }[] }) =>
      set.counters.find((c) => c.name === 'expired')?.count;
    const sets = [s.counters, ...ROLES.map((r) => s.byRole?.[r]).map((o) => (o?.ok ? o.value : undefined))];
    for (const set of sets) {
      const counts = set ? [set.total, ...set.counters.map((c) => c.count)] : [];
      if (counts.some((n) => !Number.isSafeInteger(n) || n < 0)) problem(`a count that is no safe integer: ${counts.join(', ')}`);
    }
    for (const r of ROLES) {
      const outcome = s.byRole?.[r];
      if (outcome?.ok && expired(outcome.value) !== identityCount(portal, hookUser, userId, groupId, r)) {
        problem(`byRole.${r} shows ${expired(outcome.value)}, not ${identityCount(portal, hookUser, userId, groupId, r)}`);
      }
    }
    if (s.counters && expired(s.counters) !== identityCount(portal, hookUser, userId, groupId, role)) {
      problem(`counters show ${expired(s.counters)}, not ${identityCount(portal, hookUser, userId, groupId, role)}`);
    }
    if (s.user && (s.user.id !== hookUser || unquoted(s.user.name) !== userName(portal, hookUser))) {
      problem(`user ${JSON.stringify(s.user)} under portal ${portal}, webhook user ${hookUser}`);
    }
    if (s.groupName !== undefined && unquoted(s.groupName) !== groupName(portal, groupId)) {
      problem(`group name ${s.groupName} under portal ${portal}, group ${groupId}`);
    }
    const failure = s.error?.failure;
    const said = failure && /⟨([^⟩]*)⟩/.exec(failure.detail)?.[1];
    if (said !== undefined) {
      const [p, h, u, g, r] = said.split('|');
      const mismatch = Number(p) !== portal || Number(h) !== hookUser || Number(u) !== userId || Number(g) !== groupId;
      if (mismatch || (r !== undefined && r !== role)) problem(`error ⟨${said}⟩ under ${tag(portal, hookUser, userId, groupId, role)}`);
    }
    for (const [counter, list] of Object.entries(s.taskLists ?? {})) {
      const foreign = list.ok ? list.value.tasks.filter((t) => unquoted(t.title) !== tag(portal, hookUser, userId || hookUser, groupId, role)) : [];
      if (foreign.length > 0) problem(`${counter} list shows ${foreign[0].title} under ${tag(portal, hookUser, userId, groupId, role)}`);
    }
    const host = failure?.redirectHost && /^x-(\d+)-(\d+)-(\d+)-(\d+)\./.exec(failure.redirectHost);
    if (host && host.slice(1).join('|') !== [portal, hookUser, userId, groupId].join('|')) {
      problem(`redirect to ${failure.redirectHost} under ${tag(portal, hookUser, userId, groupId)}`);
    }
  }

  /**
   * Properties 1, 2 and the gate's at every request a window sends. Its poll requests: one at a
   * time; explicit only as the first after a Refresh. Every request but an explicit one: not
   * after a halt, not while away (but a run under way at the blur), not before the portal's
   * "not before", never within MIN_GAP_MS of the window's previous request; explicit ones
   * (Refresh, Connect's check) never within MIN_GAP_MS of each other. Gaps on the monotonic clock.
   */
  private sending(window: WorldWindow, purpose: Purpose): void {
    const now = this.monotonic;
    const problem = (what: string) => this.violations.push(`window ${window.index} at ${this.now} (monotonic ${now}): ${what}`);
    if (purpose === 'poll') {
      window.inFlight++;
      if (window.inFlight > 1) problem(`${window.inFlight} requests in flight`);
    }
    if (window.redirectedAt[purpose] === this.now) return; // following a redirect: the same request
    const explicit = purpose === 'verify' || (purpose === 'poll' && window.explicitAsked);
    if (purpose === 'poll' && explicit) {
      window.explicitAsked = false;
      window.halted = false; // the user asked: a halt before it is answered
    }
    if (!explicit) {
      // A picker is opened in front of its window, and may list groups after a halt.
      if (purpose === 'poll' && window.halted) problem('an automatic request after a failure only the user can fix');
      if (purpose === 'poll' && !window.focused && !window.runAtBlur) problem('an automatic request while the window is away (paused)');
      if (window.notBefore !== undefined && now < window.notBefore) problem(`a request ${window.notBefore - now} ms before the portal's "not before"`);
      if (window.lastRequestAt !== undefined && now - window.lastRequestAt < MIN_GAP_MS) {
        problem(`requests ${now - window.lastRequestAt} ms apart (${purpose}), not explicit`);
      }
    } else if (window.lastExplicitAt !== undefined && now - window.lastExplicitAt < MIN_GAP_MS) {
      problem(`explicit requests ${now - window.lastExplicitAt} ms apart (${purpose})`);
    }
    if (purpose === 'poll') window.runAtBlur = false;
    window.lastRequestAt = now;
    if (explicit) window.lastExplicitAt = now;
    this.sent.push({ window: window.index, at: this.now, monotonic: now, purpose, explicit });
  }

  /**
   * What the portal's answer to a poll says about the next request: QUERY_LIMIT_EXCEEDED's
   * Retry-After, OPERATION_TIME_LIMIT's operating_reset_at (as Bitrix24 means them: seconds or
   * an HTTP date; unix seconds), up to the longest wait; any other answer says nothing.
   */
  private portalWait(response: HttpResponse): number | undefined {
    let error: { error?: unknown; operating_reset_at?: unknown } | undefined;
    try {
      error = JSON.parse(response.body) as typeof error;
    } catch {
      return undefined;
    }
    let at: number | undefined;
    if (error?.error === 'QUERY_LIMIT_EXCEEDED' && response.retryAfter) {
      const seconds = Number(response.retryAfter);
      at = Number.isFinite(seconds) && seconds >= 0 ? this.now + seconds * 1000 : Date.parse(response.retryAfter);
    } else if (error?.error === 'OPERATION_TIME_LIMIT') {
      at = Number(error.operating_reset_at) * 1000;
    }
    // A time no clock can show (1e400, NaN) is no time: the poller waits its own backoff then.
    if (at === undefined || !(at > this.now) || at > MAX_DATE_MS) return undefined;
    return this.monotonic + Math.min(at - this.now, LONGEST_WAIT_MS);
  }

  // ——— the fake portal ———

  private transport(window: WorldWindow, client: 'verify' | 'poll'): Transport {
    return {
      post: async (url: string, json: string, options: PostOptions): Promise<Outcome<HttpResponse>> => {
        const purpose: Purpose = client === 'verify' ? 'verify' : url.includes('sonet_group.user.groups') ? 'groups' : 'poll';
        this.sending(window, purpose);
        const connection = window.connection;
        if (json.includes('tasks.task.list') && window.shownLists.length === 0 && window.redirectedAt.poll !== this.now) {
          this.violations.push(`window ${window.index} at ${this.now}: a task list asked for while none is shown`);
        }
        try {
          const answer = await this.answer(url, json, options);
          if (answer.ok && answer.value.location?.startsWith(new URL(url).origin)) window.redirectedAt[purpose] = this.now;
          if (purpose === 'poll' && connection === window.connection && !(answer.ok && answer.value.location)) {
            window.notBefore = answer.ok ? this.portalWait(answer.value) : undefined;
          }
          return answer;
        } finally {
          if (purpose === 'poll') window.inFlight--;
        }
      },
    };
  }

  private async answer(url: string, json: string, options: PostOptions): Promise<Outcome<HttpResponse>> {
    const answer = this.script.shift() ?? { kind: 'ok', comments: 0 };
    if (answer.kind === 'hang') {
      const answered = await this.wait(Math.min(answer.ms, options.timeoutMs), options.signal);
      if (answered === 'aborted') return fail({ kind: 'network', networkCause: 'other', detail: sentence`the request failed (cancelled)` });
      if (answer.ms >= options.timeoutMs) {
        return fail({ kind: 'network', networkCause: 'timeout', detail: sentence`no answer within ${options.timeoutMs / 1000} s` });
      }
      return this.render({ kind: 'ok', comments: answer.ms % 7 }, url, json);
    }
    return this.render(answer, url, json);
  }

  private wait(ms: number, signal: AbortSignal | undefined): Promise<'time' | 'aborted'> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve('aborted');
      const timer = this.time.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve('time');
      }, ms);
      const onAbort = () => {
        this.time.clock.clearTimeout(timer);
        resolve('aborted');
      };
      signal?.addEventListener('abort', onAbort);
    });
  }

  private render(answer: Exclude<Answer, { kind: 'hang' }>, url: string, json: string): Outcome<HttpResponse> {
    const parsed = new URL(url);
    const portal = PORTALS.findIndex((p) => origin(p) === parsed.origin);
    const hookUser = Number(parsed.pathname.split('/')[2]);
    const commands = (JSON.parse(json) as { cmd?: Record<string, string> }).cmd ?? {};
    const query = new URLSearchParams((commands.view_all ?? '').split('?')[1] ?? '');
    const userId = Number(query.get('userId') ?? 0);
    const groupId = Number(query.get('groupId') ?? 0);
    const respond = (status: number, body: string, extra: Partial<HttpResponse> = {}) =>
      succeed({ status, contentType: 'application/json; charset=utf-8', body, ...extra });
    const quoted = 'quote' in answer && answer.quote ? ` ${url}` : '';
    switch (answer.kind) {
      case 'redirect': {
        const secret = quoted ? `.${parsed.pathname.split('/')[3]}` : '';
        const to = answer.sameOrigin ? url : `https://x-${portal}-${hookUser}-${userId}-${groupId}${secret}.evil.example/rest/`;
        return respond(answer.status, '', { location: to });
      }
      case 'garbage': {
        const bodies = {
          html: '<html><body>Sign in</body></html>',
          truncated: '{"result":{"result":{"view_all":{"expired":{"coun',
          empty: '',
          noResult: '{"total":1}',
        };
        return respond(answer.status, bodies[answer.body], answer.body === 'html' ? { contentType: 'text/html' } : {});
      }
      case 'error': {
        const reset = answer.resetAt ? `,"operating_reset_at":${this.resetAt(answer.resetAt)}` : '';
        const description = `${answer.code} from the fake portal ${tag(portal, hookUser, userId, groupId)}${quoted}`;
        return respond(answer.status, `{"error":${JSON.stringify(answer.code)},"error_description":${JSON.stringify(description)}${reset}}`, {
          retryAfter: answer.retryAfter,
        });
      }
      case 'ok':
      case 'roleError': {
        const results: Record<string, unknown> = {};
        const errors: Record<string, unknown> = {};
        const totals: Record<string, number> = {};
        for (const [key, command] of Object.entries(commands)) {
          const role = ROLES.find((r) => r === key);
          if (command.startsWith('tasks.task.list?')) {
            // One task whose title says whose list it is: the role and user from the role's
            // filter key, the group from GROUP_ID.
            const filter = new URLSearchParams(command.split('?')[1]);
            const [roleKey, listRole] = LIST_ROLE_KEYS.find(([k]) => filter.has(`filter[${k}]`)) ?? ['', 'view_all'];
            const listUser = Number(filter.get(`filter[${roleKey}]`));
            const title = `${tag(portal, hookUser, listUser, Number(filter.get('filter[GROUP_ID]') ?? 0), listRole)}${quoted}`;
            const people = { responsibleId: '1', responsible: { id: '1', name: `R${quoted}` }, groupId: '1', group: { id: '1', name: `G${quoted}` } };
            results[key] = { tasks: [{ id: '1', title, status: '2', deadline: null, ...people, counter: { counters: { newComments: 1 } } }] };
            totals[key] = 1;
            continue;
          }
          if (role && groupId === 9) {
            errors[key] = { error: '0', error_description: `Group not found or access denied. ${tag(portal, hookUser, userId, groupId, role)}` };
          } else if (role && answer.kind === 'roleError' && answer.role === role) {
            errors[key] = { error: answer.code, error_description: `${answer.code} ${tag(portal, hookUser, userId, groupId, role)}${quoted}` };
          } else if (role) {
            results[key] = {
              expired: { counter: identityCount(portal, hookUser, userId, groupId, role), code: 6291456 },
              new_comments: { counter: answer.kind === 'ok' ? answer.comments : 0, code: 12582912 },
              ...(quoted ? { [`leak${quoted}`]: { counter: 1 } } : {}),
            };
          } else if (command.startsWith('user.current') || command.startsWith('profile')) {
            results[key] = { ID: String(hookUser), NAME: 'User', LAST_NAME: `${portal}-${hookUser}${quoted}` };
          } else if (command.startsWith('sonet_group.user.groups')) {
            results[key] = [1, 2].map((id) => ({ GROUP_ID: String(id), GROUP_NAME: `${groupName(portal, id)}${quoted}` }));
          }
        }
        // The counters' time budget is their commands' own (per method), in result_time.
        const time = answer.resetAt ? `{"operating":1,"operating_reset_at":${this.resetAt(answer.resetAt)}}` : undefined;
        const times = time ? Object.keys(results).filter((key) => ROLES.some((r) => r === key)).map((key) => `${JSON.stringify(key)}:${time}`) : [];
        const sections = `"result":${JSON.stringify(results)},"result_error":${JSON.stringify(errors)},"result_total":${JSON.stringify(totals)},"result_time":{${times.join(',')}}`;
        return respond(200, `{"result":{${sections}}}`);
      }
    }
  }

  /** `operating_reset_at` as the raw JSON text: unix seconds, some of them hostile. */
  private resetAt(variant: OperatingResetAt): string {
    const seconds = Math.floor(this.now / 1000);
    switch (variant) {
      case 'past':
        return String(seconds - 600);
      case 'soon':
        return String(seconds + 30);
      case 'farFuture':
        return String(seconds + 10 * 365 * 86400);
      case 'overflow':
        return '1e400';
      case 'string':
        return JSON.stringify(String(seconds + 60));
    }
  }
}

// ——— scenarios: what the property tests generate, and the examples they found replay ———

export type Step =
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'answers'; readonly list: readonly Answer[] }
  | { readonly kind: 'refresh'; readonly window: number }
  | { readonly kind: 'filters'; readonly change: Partial<Filters> }
  | { readonly kind: 'interval'; readonly ms: number }
  | { readonly kind: 'connect'; readonly window: number; readonly identity: Identity }
  | { readonly kind: 'disconnect'; readonly window: number }
  | { readonly kind: 'showTasks'; readonly window: number; readonly counters: readonly TaskListCounter[] }
  | { readonly kind: 'hideTasks'; readonly window: number }
  | { readonly kind: 'rolePicker'; readonly window: number }
  | { readonly kind: 'groupPicker'; readonly window: number }
  /** The wall clock moves by `ms`, either way (suspend and resume, NTP). */
  | { readonly kind: 'jump'; readonly ms: number }
  | { readonly kind: 'blur'; readonly window: number }
  | { readonly kind: 'focus'; readonly window: number }
  /** The next timer fires, and the action comes while the poll it starts reads or asks. */
  | { readonly kind: 'during'; readonly action: Step };

export interface Scenario {
  readonly windows: number;
  readonly intervalMs: number;
  readonly filters: Filters;
  readonly steps: readonly Step[];
  /** The healthy tail's interval. */
  readonly healthyIntervalMs: number;
}

/** What went wrong in one scenario: the violations of the properties, none when they hold. */
export async function runScenario(s: Scenario): Promise<string[]> {
  const world = await World.create({ windows: s.windows, intervalMs: s.intervalMs, filters: s.filters });
  const problems: string[] = [];
  try {
    world.start({ portal: 0, hookUser: 1 });
    await world.advance(0);
    for (const st of s.steps) {
      await apply(world, st, s.windows);
      if (world.violations.length > 0) break;
    }
    if (world.violations.length === 0) problems.push(...(await healthyTail(world, s.healthyIntervalMs)));
  } finally {
    await world.close();
    for (const file of await world.files()) {
      if (file.text.includes('worldsecret') || file.name.includes('worldsecret')) problems.push(`${file.name} holds the secret`);
    }
    await world.remove();
  }
  return [...world.violations, ...problems];
}

async function apply(world: World, st: Step, windows: number): Promise<void> {
  if ('window' in st && st.window >= windows) return apply(world, { ...st, window: st.window % windows }, windows);
  switch (st.kind) {
    case 'during':
      await world.fireNext();
      return apply(world, st.action, windows);
    case 'wait':
      return world.advance(st.ms);
    case 'answers':
      world.script.push(...st.list);
      return;
    default:
      act(world, st);
      return world.advance(0); // what the action starts, before the next step
  }
}

/** A user action; its promise is left running (a verify may wait on fake time). */
function act(world: World, st: Exclude<Step, { kind: 'during' | 'wait' | 'answers' }>): void {
  switch (st.kind) {
    case 'refresh':
      return void world.refresh(st.window);
    case 'filters':
      return world.setFilters(st.change);
    case 'interval':
      return world.setInterval(st.ms);
    case 'connect':
      return void world.connect(st.window, st.identity);
    case 'disconnect':
      return world.disconnect(st.window);
    case 'showTasks':
      return world.showTasks(st.window, st.counters);
    case 'hideTasks':
      return world.hideTasks(st.window);
    case 'rolePicker':
      return world.rolePicker(st.window);
    case 'groupPicker':
      return void world.groupPicker(st.window);
    case 'jump':
      return world.jump(st.ms);
    case 'blur':
      return world.blur(st.window);
    case 'focus':
      return world.focus(st.window);
  }
}

/**
 * Property 5. Healthy from now on: the portal answers well, every window is focused and
 * shows no task list, one webhook (connected anew by window 0, the others following), filters the portal knows, one
 * interval. After the settling time, the windows' requests, all together, are one interval
 * (± jitter) apart.
 */
async function healthyTail(world: World, intervalMs: number): Promise<string[]> {
  world.script = [];
  // Windows share a poll when they ask the same: none shows task lists (one that does polls its lists itself).
  world.windows.forEach((w) => world.hideTasks(w.index));
  world.windows.forEach((w) => world.focus(w.index));
  world.setFilters({ groupId: 1 });
  world.setInterval(intervalMs);
  world.disconnect(0);
  void world.connect(0, { portal: 0, hookUser: 1 });
  await world.advance(0);
  await world.advance(2 * intervalMs + LEASE_TTL_MS + TAKEOVER_AFTER_MS + 2 * FOLLOW_DELAY_MS);
  const from = world.monotonic;
  const intervals = 6;
  await world.advance(intervals * intervalMs);
  const seen = world.sent.filter((s) => s.purpose === 'poll' && s.monotonic >= from);
  const problems: string[] = [];
  const shortest = intervalMs * (1 - JITTER) - 1;
  seen.slice(1).forEach((s, i) => {
    const gap = s.monotonic - seen[i].monotonic;
    if (gap < shortest) problems.push(`healthy windows: requests of ${seen[i].window} and ${s.window} ${gap} ms apart (interval ${intervalMs})`);
  });
  if (seen.length < intervals - 1) problems.push(`healthy windows: only ${seen.length} requests in ${intervals} intervals`);
  return problems;
}

