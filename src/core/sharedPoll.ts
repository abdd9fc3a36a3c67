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
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Clock } from './clock';
import { ROLES } from './counters';
import { DEFAULT_TIMEOUT_MS, MAX_SAME_ORIGIN_REDIRECTS, RoleCounters } from './countersClient';
import { Filters } from './countersState';
import { Outcome } from './outcome';
import { DEFAULT_MAX_BACKOFF_MS } from './pollScheduler';
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

interface Lease {
  readonly windowId: string;
  readonly expiresAt: number;
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
   * The snapshot while its writer is still on schedule. Undefined when there is none, it is
   * malformed, its writer is overdue (closed, hung, paused) or stopped polling, or it claims a
   * next poll further ahead than any wait of a scheduler (`intervalMs`, the interval the
   * windows share, or the backoff cap when longer): time for this window to lead.
   */
  async current(key: string, intervalMs = 0): Promise<SharedSnapshot | undefined> {
    const snapshot = await this.readJson(this.file(key, 'snapshot'));
    if (!isSnapshot(snapshot)) return undefined;
    const now = this.clock.now();
    const { fetchedAt, nextPollAt } = snapshot;
    const longestWait = Math.max(DEFAULT_MAX_BACKOFF_MS, Number.isFinite(intervalMs) ? intervalMs : 0);
    const onSchedule = fetchedAt <= now && now <= nextPollAt + TAKEOVER_AFTER_MS && nextPollAt <= now + longestWait;
    return onSchedule ? snapshot : undefined;
  }

  async write(key: string, snapshot: SharedSnapshot): Promise<void> {
    const temporary = await this.writeAside(key, 'snapshot', snapshot);
    await fs.rename(temporary, this.file(key, 'snapshot')); // readers never see half a file
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
    const temporary = await this.writeAside(key, 'lease', lease);
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
    await this.removeIf(key, 'lease', (content) => isLease(content) && content.windowId === this.windowId);
  }

  /** On disconnect: this window's snapshot and lease of `key` are removed (missing files are fine). */
  async forget(key: string): Promise<void> {
    await this.removeIf(key, 'snapshot', (content) => isObject(content) && content.writer === this.windowId);
    await this.release(key);
  }

  private file(key: string, kind: Kind): string {
    return path.join(this.folder, `${kind}-${key}.json`);
  }

  /** A new file of this window's own, whole, next to where it goes; returns its path. */
  private async writeAside(key: string, kind: Kind, content: unknown): Promise<string> {
    await fs.mkdir(this.folder, { recursive: true, mode: 0o700 });
    const temporary = `${this.file(key, kind)}.${this.windowId}.${randomBytes(4).toString('hex')}.tmp`;
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

  /** Whether a lease file is past its time: by its content, or by its age when unreadable. */
  private async expired(file: string): Promise<boolean> {
    const content = await this.readJson(file);
    if (isLease(content)) return content.expiresAt <= this.clock.now();
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
  private async removeIf(key: string, kind: Kind, check: (content: unknown) => boolean): Promise<void> {
    const file = this.file(key, kind);
    if (!check(await this.readJson(file))) return;
    const aside = `${file}.${this.windowId}.${randomBytes(4).toString('hex')}.aside`;
    try {
      await fs.rename(file, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    try {
      if (!check(await this.readJson(aside))) await fs.link(aside, file).catch(ignoreCode('EEXIST'));
    } finally {
      await fs.rm(aside, { force: true });
    }
  }

  private async readJson(file: string): Promise<unknown> {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    } catch {
      return undefined; // missing or malformed: the callers decide what that means
    }
  }
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isLease(value: unknown): value is Lease {
  return isObject(value) && typeof value.windowId === 'string' && Number.isFinite(value.expiresAt);
}

function isOutcome(value: unknown, isValue: (v: unknown) => boolean): boolean {
  if (!isObject(value) || typeof value.ok !== 'boolean') return false;
  if (value.ok) return isValue(value.value);
  return isObject(value.error) && typeof value.error.kind === 'string' && typeof value.error.detail === 'string';
}

function isCounterSet(value: unknown): boolean {
  return (
    isObject(value) &&
    Array.isArray(value.counters) &&
    value.counters.every((c) => isObject(c) && typeof c.name === 'string' && Number.isFinite(c.count)) &&
    Number.isFinite(value.total)
  );
}

function isRoleCounters(value: unknown): boolean {
  if (!isObject(value) || !isObject(value.byRole) || !isObject(value.time)) return false;
  const byRole = value.byRole;
  const named = (v: unknown) => isObject(v) && typeof v.name === 'string';
  return (
    ROLES.every((role) => isOutcome(byRole[role], isCounterSet)) &&
    (value.user === undefined || isOutcome(value.user, named)) &&
    (value.groups === undefined || isOutcome(value.groups, (v) => Array.isArray(v) && v.every(named)))
  );
}

/** A snapshot with a next poll time (one without is a stopped writer: no one to follow). */
function isSnapshot(value: unknown): value is SharedSnapshot & { nextPollAt: number } {
  return (
    isObject(value) &&
    typeof value.writer === 'string' &&
    Number.isFinite(value.fetchedAt) &&
    Number.isFinite(value.nextPollAt) &&
    isOutcome(value.outcome, isRoleCounters)
  );
}
