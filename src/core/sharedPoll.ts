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
 * Files hold counters, names and failure details, never the webhook: the key is a hash.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Clock } from './clock';
import { RoleCounters } from './countersClient';
import { Filters } from './countersState';
import { Outcome } from './outcome';
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

/** A lease left by a window that died mid-request expires after this. */
const LEASE_TTL_MS = 20_000;

export class SharedPoll {
  constructor(
    private readonly folder: string,
    private readonly clock: Clock,
    /** This window: the writer of its snapshots and the holder of its leases. */
    readonly windowId: string,
  ) {}

  /** The snapshot file's key: a question, not a credential (the webhook is hashed with it). */
  static key(webhook: WebhookUrl, filters: Filters): string {
    return createHash('sha256')
      .update(JSON.stringify([webhook.reveal(), filters.userId, filters.groupId]))
      .digest('hex')
      .slice(0, 24);
  }

  /**
   * The snapshot while its writer is still on schedule. Undefined when there is none, its
   * writer is overdue (closed, hung, paused) or stopped polling: time for this window to lead.
   */
  async current(key: string): Promise<SharedSnapshot | undefined> {
    const snapshot = await this.readJson<SharedSnapshot>(this.file(key, 'snapshot'));
    const valid =
      snapshot !== undefined &&
      typeof snapshot.fetchedAt === 'number' &&
      typeof snapshot.outcome === 'object' &&
      typeof snapshot.nextPollAt === 'number';
    return valid && this.clock.now() <= snapshot.nextPollAt + TAKEOVER_AFTER_MS ? snapshot : undefined;
  }

  async write(key: string, snapshot: SharedSnapshot): Promise<void> {
    const file = this.file(key, 'snapshot');
    const temporary = `${file}.${this.windowId}.tmp`;
    await fs.mkdir(this.folder, { recursive: true });
    await fs.writeFile(temporary, JSON.stringify(snapshot));
    await fs.rename(temporary, file); // readers never see half a file
  }

  /**
   * Claims the right to ask the portal now. False while another window's request is in
   * flight. Two windows may both win only if one of them steals a lease that has just expired:
   * the cost is one extra request, never a missed one.
   */
  async tryLease(key: string): Promise<boolean> {
    const file = this.file(key, 'lease');
    await fs.mkdir(this.folder, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fs.writeFile(file, JSON.stringify({ windowId: this.windowId, expiresAt: this.clock.now() + LEASE_TTL_MS }), {
          flag: 'wx',
        });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const lease = await this.readJson<{ expiresAt?: number }>(file);
        if (lease && typeof lease.expiresAt === 'number' && lease.expiresAt > this.clock.now()) return false;
        await fs.rm(file, { force: true });
      }
    }
    return false;
  }

  async release(key: string): Promise<void> {
    await fs.rm(this.file(key, 'lease'), { force: true });
  }

  private file(key: string, kind: 'snapshot' | 'lease'): string {
    return path.join(this.folder, `${kind}-${key}.json`);
  }

  private async readJson<T>(file: string): Promise<T | undefined> {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as T;
    } catch {
      return undefined; // missing, or being replaced: same as no snapshot
    }
  }
}
