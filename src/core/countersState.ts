/**
 * What the views render: one immutable snapshot, replaced on every change.
 * The poller writes it; the status bar and the tree only read it.
 */
import { CountersFilter, PortalUser } from './countersClient';
import { CounterSet, Role } from './counters';
import { Failure, Outcome } from './outcome';
import { PortalText } from './portalText';
import { TaskCards } from './taskCard';
import { TaskListCounter, TaskPage } from './taskList';

/** Where the webhook came from: SecretStorage, or `BITRIX24_WEBHOOK_URL` (never stored). */
export type WebhookSource = 'stored' | 'environment';

export interface Filters extends Required<CountersFilter> {
  readonly role: Role;
}

export type Connection =
  | { readonly kind: 'disconnected' }
  | {
      readonly kind: 'connected';
      /** `https://portal.example` */
      readonly portal: string;
      /** The webhook's own user id (for task-list links when the filter has none). */
      readonly webhookUserId: number;
      /** For display and logs: `https://portal.example/rest/12/•••/`. */
      readonly redacted: string;
      readonly source: WebhookSource;
    };

export interface CountersSnapshot {
  readonly connection: Connection;
  readonly filters: Filters;
  readonly user?: PortalUser;
  /** The current group's name, once known. */
  readonly groupName?: PortalText;
  /** Every role's counters from the last good answer for these user and group filters. */
  readonly byRole?: Readonly<Record<Role, Outcome<CounterSet>>>;
  /** The current role's counters from the last good answer; never a number not fetched. */
  readonly counters?: CounterSet;
  /** Epoch ms of the last good answer. */
  readonly updatedAt?: number;
  /**
   * The tasks behind the current role's counters, for the lists someone shows (an expanded
   * row, Go to Task); each its own outcome: a list can fail while the counters stand.
   */
  readonly taskLists?: TaskLists;
  /** The cards of the tasks shown in tabs (`TaskCardSource.showTask`), each its own outcome. */
  readonly taskCards?: TaskCards;
  /** The last run's failure; cleared by the next success. `counters` stay, then stale. */
  readonly error?: { readonly failure: Failure; readonly at: number };
  /** A request is in flight. */
  readonly loading: boolean;
  /** When the next request is due, if one is scheduled. */
  readonly nextPollAt?: number;
  /** Polling stopped on a failure only the user can fix (reconnect, settings, Refresh). */
  readonly halted: boolean;
}

export type TaskLists = Readonly<Partial<Record<TaskListCounter, Outcome<TaskPage>>>>;

export type Listener = (snapshot: CountersSnapshot) => void;

export class CountersState {
  private current: CountersSnapshot;
  private readonly listeners = new Set<Listener>();

  constructor(filters: Filters) {
    this.current = { connection: { kind: 'disconnected' }, filters, loading: false, halted: false };
  }

  get snapshot(): CountersSnapshot {
    return this.current;
  }

  update(change: Partial<CountersSnapshot>): void {
    this.current = { ...this.current, ...change };
    for (const listener of [...this.listeners]) {
      listener(this.current);
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Counters of another user or group are not this filter's numbers: drop them. */
export function sameScope(a: Filters, b: Filters): boolean {
  return a.userId === b.userId && a.groupId === b.groupId;
}

/** When a failed update is retried: undefined while halted (only the user can fix it). */
export function retryAt(snapshot: CountersSnapshot): number | undefined {
  return snapshot.halted ? undefined : snapshot.nextPollAt;
}

/** Whether the numbers on screen are older than the latest attempt. */
export function isStale(snapshot: CountersSnapshot): boolean {
  return snapshot.error !== undefined && snapshot.counters !== undefined;
}
