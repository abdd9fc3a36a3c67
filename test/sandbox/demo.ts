/**
 * Sample data that changes over time: a scripted day in user 1's task list, one event every
 * ~20 s (comments arrive and get read, tasks become overdue and get closed), looping forever.
 * The events change tasks, so the counters and the lists behind them move together.
 * Used by `cli.ts --demo` and `npm start` to watch the extension react.
 */
import type { SandboxPortal } from './portal';

/** Whose day it is, and the colleague who assigns and is assigned the demo's tasks. */
const USER = 1;
const COLLEAGUE = 3;

/** The demo's own tasks, one per role, created at the start of each loop and removed at its end. */
interface DemoTasks {
  mine: number;
  audited: number;
  assigned: number;
  helping: number;
}

interface DemoEvent {
  description: string;
  change(portal: SandboxPortal, tasks: DemoTasks): void;
}

const COMMENTS = ['Any news on this?', 'I left two notes in the description.', 'See my last comment, please.'];

/** The colleague comments (real comments in the task's card); each one is unread for the user. */
const comments = (portal: SandboxPortal, id: number, count: number) => {
  for (let n = 0; n < count; n++) portal.cards.post(id, COLLEAGUE, COMMENTS[n % COMMENTS.length], portal.now());
};
/** The user reads all of a task's comments. */
const read = (portal: SandboxPortal, id: number) => portal.cards.read(id, USER, Number.POSITIVE_INFINITY, portal.now());
const overdue = (portal: SandboxPortal, id: number) => portal.updateTask(id, { deadline: portal.now() - 60_000 });
const done = (portal: SandboxPortal, id: number) => portal.updateTask(id, { status: 5 });

const EVENTS: readonly DemoEvent[] = [
  { description: 'a colleague commented on a task you are responsible for', change: (p, t) => comments(p, t.mine, 1) },
  { description: 'two comments on a task you audit', change: (p, t) => comments(p, t.audited, 2) },
  { description: 'a task you are responsible for is now overdue', change: (p, t) => overdue(p, t.mine) },
  { description: 'you read the new comments', change: (p, t) => read(p, t.mine) },
  { description: 'you read the comments on the audited task', change: (p, t) => read(p, t.audited) },
  { description: 'a task you assigned is now overdue', change: (p, t) => overdue(p, t.assigned) },
  { description: 'you closed the overdue task', change: (p, t) => done(p, t.mine) },
  { description: 'a comment on a task you help with', change: (p, t) => comments(p, t.helping, 1) },
  { description: 'the assignee finished the overdue task you assigned', change: (p, t) => done(p, t.assigned) },
  { description: 'you read the comment on the task you help with', change: (p, t) => read(p, t.helping) },
];

export interface DemoOptions {
  /** Default 20 000 ms. */
  intervalMs?: number;
  /** Told what happened after each event, with user 1's view_all counters. */
  onChange?: (description: string, viewAll: Record<string, number>) => void;
}

export interface Demo {
  /** Plays the next event now; returns its description. */
  step(): string;
  stop(): void;
}

/** Starts the loop (the timer does not keep the process alive on its own). */
export function startDemo(portal: SandboxPortal, options: DemoOptions = {}): Demo {
  let tasks: DemoTasks | undefined;
  let next = 0;
  const step = (): string => {
    const index = next++ % EVENTS.length;
    tasks ??= addDemoTasks(portal);
    EVENTS[index].change(portal, tasks);
    if (index === EVENTS.length - 1) {
      // Every change is undone by now: clear the finished tasks away for the next loop.
      Object.values(tasks).forEach((id) => portal.removeTask(id));
      tasks = undefined;
    }
    const { description } = EVENTS[index];
    options.onChange?.(description, portal.countersOf(USER));
    return description;
  };
  const timer = setInterval(step, options.intervalMs ?? 20_000);
  timer.unref();
  return { step, stop: () => clearInterval(timer) };
}

/** Without deadlines or unread comments: they count for nothing until an event says so. */
function addDemoTasks(portal: SandboxPortal): DemoTasks {
  const add = (title: string, fields: { createdBy: number; responsibleId: number; accomplices?: number[]; auditors?: number[] }) =>
    portal.addTask({ title, ...fields }).id;
  return {
    mine: add('Подготовить демо для клиента', { createdBy: COLLEAGUE, responsibleId: USER }),
    audited: add('Security review of the login page', { createdBy: COLLEAGUE, responsibleId: COLLEAGUE, auditors: [USER] }),
    assigned: add('Собрать отзывы пользователей', { createdBy: USER, responsibleId: COLLEAGUE }),
    helping: add('Plan the office move', { createdBy: COLLEAGUE, responsibleId: COLLEAGUE, accomplices: [USER] }),
  };
}
