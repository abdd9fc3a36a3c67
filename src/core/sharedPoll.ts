/**
 * One poll for all windows. Every VS Code window of a profile sees the same global storage
 * folder; there, per question asked (portal, webhook user, filters), a snapshot file holds the
 * last answer and when its writer will ask again, and a lease file marks a request in flight.
 *
 * A window due to poll first reads the snapshot: while its writer is on schedule, the window
 * shows that answer and checks again just after the writer's next poll (a follower). When the
 * snapshot is overdue (its writer closed, hung or paused), the window takes the lease, asks the
 * portal itself and writes the snapshot (the new leader). So N windows make one request per
 * interval, and another window takes over within about one interval of the leader leaving.
 *
 * Files hold counters, names and failure details, never the webhook: the key is a hash. They
 * are readable by the user only. Every file appears whole: written aside, then renamed (the
 * snapshot) or hard-linked (the lease, so that its creation fails when one exists).
 *
 * What is read back is parsed, not trusted: another process, or an older version of this
 * extension, may have written it. A snapshot goes through a schema (`snapshotSchema`) that
 * checks every id and count and cleans every string again as portal text, with the reading
 * window's redactor; a file that does not parse is reported and ignored, never shown.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  array, boolean, custom, finite, type GenericSchema, getDotPath, type InferOutput, integer, literal, maxLength, minValue, number,
  object, optional, picklist, pipe, safeInteger, safeParse, string, transform, variant,
} from 'valibot';
import { Clock } from './clock';
import { NO_VISIBLE_COUNTERS, visibleCounters } from './counters';
import { DEFAULT_TIMEOUT_MS, MAX_SAME_ORIGIN_REDIRECTS, RoleCounters } from './countersClient';
import { Filters } from './countersState';
import { Failure, isFailureKind, Outcome } from './outcome';
import { DEFAULT_MAX_BACKOFF_MS } from './pollScheduler';
import { portalText, Redact } from './portalText';
import { taskPage } from './taskList';
import { isId } from './taskListLink';
import { WebhookUrl } from './webhookUrl';

export interface SharedSnapshot {
  /** The window that fetched it. */
  readonly writer: string;
  /** Epoch ms when the answer was fetched. */
  readonly fetchedAt: number;
  readonly outcome: Outcome<RoleCounters>;
  /** When the writer will poll next; undefined when it stopped (a failure only a user can fix). */
  readonly nextPollAt?: number;
}

/** A snapshot stays current this long past its writer's next poll (a request's timeout and some). */
export const TAKEOVER_AFTER_MS = 20_000;

/** Followers look again this long after the writer's next poll was due. */
export const FOLLOW_DELAY_MS = 3_000;

/**
 * A lease outlives the longest call it covers (the client's timeout for the request and for
 * each same-origin redirect it follows), with one more timeout of margin for the file work
 * around it; a lease left by a window that died mid-request expires after this.
 */
export const LEASE_TTL_MS = DEFAULT_TIMEOUT_MS * (1 + MAX_SAME_ORIGIN_REDIRECTS) + DEFAULT_TIMEOUT_MS;

/** How a window reads the snapshot: as its webhook would clean the text, and where it reports a file it ignores. */
export interface SnapshotReader {
  /** The current webhook's redactor (`WebhookUrl.redact`). */
  readonly redact: Redact;
  /** The interval the windows share (see `current`). */
  readonly intervalMs?: number;
  /** A snapshot file that does not parse: ignored, and reported here. */
  readonly onIgnored?: (error: Error) => void;
}

type Kind = 'snapshot' | 'lease';

export class SharedPoll {
  constructor(
    private readonly folder: string,
    private readonly clock: Clock,
    /** This window: the writer of its snapshots and the holder of its leases. */
    readonly windowId: string,
  ) {}

  /** The snapshot file's key: a question, not a credential (the webhook is hashed with it). */
  static key(webhook: WebhookUrl, filters: Filters, lists: readonly string[] = []): string {
    // Task lists are the role's: windows that show the same lists share them; the others
    // share the counters alone.
    const question = lists.length ? [filters.userId, filters.groupId, filters.role, ...lists] : [filters.userId, filters.groupId];
    return createHash('sha256')
      .update(JSON.stringify([webhook.reveal(), ...question]))
      .digest('hex')
      .slice(0, 24);
  }

  /**
   * The snapshot while its writer is still on schedule. Undefined when there is none, it does
   * not parse (reported to `onIgnored`), its writer is overdue (closed, hung, paused) or
   * stopped polling, or it claims a next poll further ahead than any wait of a scheduler
   * (`intervalMs`, the interval the windows share, or the backoff cap when longer): time for
   * this window to lead.
   */
  async current(key: string, { redact, intervalMs = 0, onIgnored }: SnapshotReader): Promise<SharedSnapshot | undefined> {
    const file = this.file(key, 'snapshot');
    const read = await readFile(file, snapshotSchema(redact));
    if (read.kind === 'unparsed') {
      onIgnored?.(new Error(portalText(`ignored the snapshot file ${path.basename(file)}: ${read.problem}`, redact)));
    }
    if (read.kind !== 'parsed') return undefined;
    const snapshot = read.value;
    const { fetchedAt, nextPollAt } = snapshot;
    if (nextPollAt === undefined) return undefined;
    const now = this.clock.now();
    const longestWait = Math.max(DEFAULT_MAX_BACKOFF_MS, Number.isFinite(intervalMs) ? intervalMs : 0);
    const onSchedule = fetchedAt <= now && now <= nextPollAt + TAKEOVER_AFTER_MS && nextPollAt <= now + longestWait;
    return onSchedule ? snapshot : undefined;
  }

  async write(key: string, snapshot: SharedSnapshot): Promise<void> {
    const file = this.file(key, 'snapshot');
    const temporary = await this.writeAside(file, snapshot);
    await fs.rename(temporary, file); // readers never see half a file
  }

  /**
   * Claims the right to ask the portal now. False while another window's lease is current.
   * A lease that cannot be read is current until its file is older than the TTL (it may be
   * a lease being replaced). An expired lease is moved aside before it is removed, so two
   * windows stealing it at once cannot remove each other's new lease.
   */
  async tryLease(key: string): Promise<boolean> {
    const file = this.file(key, 'lease');
    const lease: Lease = { windowId: this.windowId, expiresAt: this.clock.now() + LEASE_TTL_MS };
    const temporary = await this.writeAside(file, lease);
    try {
      if (await linked(temporary, file)) return true; // only one window can create it
      if (!(await this.expired(file))) return false;
      // An expired lease is taken over by one window at a time, under a lock file only one
      // can create: two removing it at once could each remove the other's new lease.
      const lock = `${file}.takeover`;
      if (!(await this.takeoverLock(lock))) return false;
      try {
        if (!(await this.expired(file))) return false; // taken over just before the lock
        await fs.rm(file, { force: true });
        return await linked(temporary, file);
      } finally {
        await fs.rm(lock, { force: true });
      }
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  /** Gives up this window's lease; another window's is left alone. */
  async release(key: string): Promise<void> {
    await this.removeIf(key, 'lease', LEASE, (lease) => lease.windowId === this.windowId);
  }

  /** On disconnect: this window's snapshot and lease of `key` are removed (missing files are fine). */
  async forget(key: string): Promise<void> {
    await this.removeIf(key, 'snapshot', WRITER, (snapshot) => snapshot.writer === this.windowId);
    await this.release(key);
  }

  private file(key: string, kind: Kind): string {
    return path.join(this.folder, `${kind}-${key}.json`);
  }

  /** A new file of this window's own, whole, next to `file` where it goes; returns its path. */
  private async writeAside(file: string, content: unknown): Promise<string> {
    await fs.mkdir(this.folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${this.windowId}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temporary, JSON.stringify(content), { mode: 0o600, flag: 'wx' });
    return temporary;
  }

  /**
   * Creates the takeover lock; false while another window holds it. A lock older than the
   * lease TTL was left by a window that died taking over: removed, and taken next time.
   */
  private async takeoverLock(lock: string): Promise<boolean> {
    try {
      await fs.writeFile(lock, this.windowId, { mode: 0o600, flag: 'wx' });
      return true;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      const stat = await fs.stat(lock).catch(() => undefined);
      if (stat && stat.mtimeMs + LEASE_TTL_MS <= this.clock.now()) await fs.rm(lock, { force: true });
      return false;
    }
  }

  /** Whether a lease file is past its time: by its content, or by its age when it does not parse. */
  private async expired(file: string): Promise<boolean> {
    const read = await readFile(file, LEASE);
    if (read.kind === 'parsed') return read.value.expiresAt <= this.clock.now();
    try {
      return (await fs.stat(file)).mtimeMs + LEASE_TTL_MS <= this.clock.now();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return true; // gone meanwhile: free
      throw error;
    }
  }

  /**
   * Removes a file only if its content passes `check`. Read first, so that a file that fails
   * the check is not touched; then renamed aside and checked again, so what is checked is what
   * gets removed. A file replaced between the two looks (a lease that expired and was taken
   * meanwhile) is linked back, unless another has taken its place meanwhile, which then stays:
   * a race of microseconds against a TTL of a minute, whose cost is one extra request.
   */
  private async removeIf<T>(key: string, kind: Kind, schema: GenericSchema<unknown, T>, check: (content: T) => boolean): Promise<void> {
    const file = this.file(key, kind);
    const passes = async (at: string) => {
      const read = await readFile(at, schema);
      return read.kind === 'parsed' && check(read.value);
    };
    if (!(await passes(file))) return;
    const aside = `${file}.${this.windowId}.${randomBytes(4).toString('hex')}.aside`;
    try {
      await fs.rename(file, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    try {
      if (!(await passes(aside))) await fs.link(aside, file).catch(ignoreCode('EEXIST'));
    } finally {
      await fs.rm(aside, { force: true });
    }
  }
}

/** A file read through a schema: none, one that does not parse (and why), or its value. */
type FileRead<T> =
  | { readonly kind: 'missing' }
  | { readonly kind: 'unparsed'; readonly problem: string }
  | { readonly kind: 'parsed'; readonly value: T };

async function readFile<T>(file: string, schema: GenericSchema<unknown, T>): Promise<FileRead<T>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unparsed', problem: `it cannot be read (${String(errorCode(error))})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unparsed', problem: 'it is not JSON (cut off?)' };
  }
  const parsed = safeParse(schema, json);
  if (parsed.success) return { kind: 'parsed', value: parsed.output };
  const [issue] = parsed.issues;
  return { kind: 'unparsed', problem: `${issue.message} at ${getDotPath(issue) ?? 'the top'}` };
}

/** Links `from` to `to`; false when `to` exists. */
async function linked(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function ignoreCode(code: string): (error: unknown) => void {
  return (error) => {
    if (errorCode(error) !== code) throw error;
  };
}

// ---------------------------------------------------------------------------------------------
// The files' schemas
// ---------------------------------------------------------------------------------------------

const LEASE = object({ windowId: string(), expiresAt: pipe(number(), finite()) });

type Lease = InferOutput<typeof LEASE>;

/** Whose snapshot a file is, whatever else it holds: enough to remove this window's own. */
const WRITER = object({ writer: string() });

const time = pipe(number(), finite());
const id = custom<number>(isId);
const nonNegative = pipe(number(), safeInteger(), minValue(0));
/** Counts saturate at Number.MAX_SAFE_INTEGER, as the client reads them (`countFrom`). */
const count = pipe(number(), integer(), minValue(0), transform((n) => Math.min(n, Number.MAX_SAFE_INTEGER)));

function outcomeOf<T>(value: GenericSchema<unknown, T>, failure: GenericSchema<unknown, Failure>) {
  return variant('ok', [object({ ok: literal(true), value }), object({ ok: literal(false), error: failure })]);
}

/**
 * A snapshot file as this window may show it: every id a positive safe integer, every count
 * saturated, every string cleaned again as portal text with `redact` (names, titles, failure
 * details, a redirect's host), counters merged and ordered and task lists made unique as the
 * client makes them. Anything else, down to one task of one list, and the file does not parse.
 */
function snapshotSchema(redact: Redact): GenericSchema<unknown, SharedSnapshot> {
  const text = pipe(string(), transform((s) => portalText(s, redact)));
  const named = object({ id, name: text });
  const failure = object({
    kind: custom<Failure['kind']>(isFailureKind),
    detail: text,
    code: optional(text),
    status: optional(nonNegative),
    retryAt: optional(time),
    limit: optional(picklist(['queryRate', 'operationTime'])),
    missingScope: optional(text),
    networkCause: optional(picklist(['timeout', 'refused', 'dns', 'reset', 'tls', 'other'])),
    redirectHost: optional(text),
  });
  const counterSet = pipe(
    object({ counters: array(object({ name: text, count, code: nonNegative })), total: count, visible: boolean() }),
    transform((set) => (set.visible ? visibleCounters(set.counters) : NO_VISIBLE_COUNTERS)),
  );
  const task = object({
    id,
    title: text,
    deadline: optional(time),
    status: nonNegative,
    responsible: optional(named),
    group: optional(named),
    unreadComments: optional(count),
    changedAt: optional(time),
  });
  const page = pipe(object({ tasks: array(task), total: count }), transform((p) => taskPage(p.tasks, p.total)));
  const byRole = object({
    view_all: outcomeOf(counterSet, failure),
    view_role_responsible: outcomeOf(counterSet, failure),
    view_role_accomplice: outcomeOf(counterSet, failure),
    view_role_auditor: outcomeOf(counterSet, failure),
    view_role_originator: outcomeOf(counterSet, failure),
  });
  const answer: GenericSchema<unknown, RoleCounters> = object({
    byRole,
    user: optional(outcomeOf(named, failure)),
    groups: optional(outcomeOf(array(named), failure)),
    taskLists: optional(object({ expired: optional(outcomeOf(page, failure)), new_comments: optional(outcomeOf(page, failure)) })),
    time: object({ operating: optional(time), operatingResetAt: optional(time) }),
  });
  return object({
    writer: pipe(string(), maxLength(200)),
    fetchedAt: time,
    nextPollAt: optional(time),
    outcome: outcomeOf(answer, failure),
  });
}
