/**
 * Sample data that changes over time: a scripted day in user 1's task list, one event every
 * ~20 s (comments arrive and get read, tasks become overdue and get closed), looping forever.
 * Used by `cli.ts --demo` and `npm start` to watch the extension react.
 */
import { DEFAULT_COUNTERS, Role, SandboxPortal } from './portal';

type OwnRole = Exclude<Role, 'view_all'>;

const OWN_ROLES: readonly OwnRole[] = [
  'view_role_responsible',
  'view_role_accomplice',
  'view_role_auditor',
  'view_role_originator',
];

interface DemoEvent {
  description: string;
  role: OwnRole;
  expired?: number;
  newComments?: number;
}

/** Each change is undone later in the loop, so the counters never drift below the defaults. */
const EVENTS: readonly DemoEvent[] = [
  { description: 'a colleague commented on a task you are responsible for', role: 'view_role_responsible', newComments: 1 },
  { description: 'two comments on a task you audit', role: 'view_role_auditor', newComments: 2 },
  { description: 'a task you are responsible for is now overdue', role: 'view_role_responsible', expired: 1 },
  { description: 'you read the new comments', role: 'view_role_responsible', newComments: -1 },
  { description: 'you read the comments on the audited task', role: 'view_role_auditor', newComments: -2 },
  { description: 'a task you assigned is now overdue', role: 'view_role_originator', expired: 1 },
  { description: 'you closed the overdue task', role: 'view_role_responsible', expired: -1 },
  { description: 'a comment on a task you help with', role: 'view_role_accomplice', newComments: 1 },
  { description: 'the assignee finished the overdue task you assigned', role: 'view_role_originator', expired: -1 },
  { description: 'you read the comment on the task you help with', role: 'view_role_accomplice', newComments: -1 },
];

export interface DemoOptions {
  /** Default 20 000 ms. */
  intervalMs?: number;
  /** Whose counters change; default 1. */
  userId?: number;
  /** Told what happened after each event, with the new view_all counters. */
  onChange?: (description: string, viewAll: Record<string, number>) => void;
}

export interface Demo {
  /** Plays the next event now; returns its description. */
  step(): string;
  stop(): void;
}

interface RoleCounts {
  expired: number;
  new_comments: number;
}

/** Starts the loop (the timer does not keep the process alive on its own). */
export function startDemo(portal: SandboxPortal, options: DemoOptions = {}): Demo {
  const userId = options.userId ?? 1;
  const counts = initialCounts(userId);
  let next = 0;
  const step = (): string => {
    const event = EVENTS[next++ % EVENTS.length];
    apply(counts[event.role], event);
    const viewAll = publish(portal, userId, counts);
    options.onChange?.(event.description, viewAll);
    return event.description;
  };
  const timer = setInterval(step, options.intervalMs ?? 20_000);
  timer.unref();
  return { step, stop: () => clearInterval(timer) };
}

/** The user's default role counters over all groups (zeros for users without defaults). */
function initialCounts(userId: number): Record<OwnRole, RoleCounts> {
  const counts = {} as Record<OwnRole, RoleCounts>;
  for (const role of OWN_ROLES) {
    const preset = DEFAULT_COUNTERS.find((c) => c.userId === userId && c.role === role && c.groupId === 0);
    counts[role] = { expired: preset?.counters.expired ?? 0, new_comments: preset?.counters.new_comments ?? 0 };
  }
  return counts;
}

function apply(counts: RoleCounts, event: DemoEvent): void {
  counts.expired = Math.max(0, counts.expired + (event.expired ?? 0));
  counts.new_comments = Math.max(0, counts.new_comments + (event.newComments ?? 0));
}

/** Sets every role, and view_all as their sum, over all groups. */
function publish(portal: SandboxPortal, userId: number, counts: Record<OwnRole, RoleCounts>): Record<string, number> {
  const viewAll = { expired: 0, new_comments: 0 };
  for (const role of OWN_ROLES) {
    portal.setCounters(userId, { ...counts[role] }, { role });
    viewAll.expired += counts[role].expired;
    viewAll.new_comments += counts[role].new_comments;
  }
  portal.setCounters(userId, viewAll, { role: 'view_all' });
  return viewAll;
}
