/**
 * Tells when the overdue or the new-comments count went up between two answers to the same
 * question (portal, user, group, role). The first answer after start, reconnect or a filter
 * change is only the baseline: nothing "rose" then.
 */
import { countOf, KnownCounter } from './counters';
import { CountersSnapshot } from './countersState';

/** The counters worth a notification. */
const WATCHED = ['expired', 'new_comments'] as const satisfies readonly KnownCounter[];

export interface Rise {
  readonly name: (typeof WATCHED)[number];
  readonly from: number;
  readonly to: number;
}

export class RiseWatch {
  private baseline: { question: string; updatedAt: number; counts: number[] } | undefined;

  /** The counters that rose since the last answer, or an empty list. */
  observe(snapshot: CountersSnapshot): Rise[] {
    const { connection, counters, filters, updatedAt } = snapshot;
    if (connection.kind !== 'connected' || !counters || updatedAt === undefined) {
      if (connection.kind !== 'connected') this.baseline = undefined;
      return [];
    }
    const question = JSON.stringify([connection.redacted, filters]);
    const counts = WATCHED.map((name) => countOf(counters, name));
    const previous = this.baseline;
    if (previous?.question === question && previous.updatedAt === updatedAt) return []; // the same answer again
    this.baseline = { question, updatedAt, counts };
    if (previous?.question !== question) return [];
    return WATCHED.flatMap((name, i) => (counts[i] > previous.counts[i] ? [{ name, from: previous.counts[i], to: counts[i] }] : []));
  }
}
