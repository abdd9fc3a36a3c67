/**
 * The counter model: what `tasks.task.counters.get` answers, in the problem's words.
 */
import { compareText, portalText } from './portalText';

export const ROLES = [
  'view_all',
  'view_role_responsible',
  'view_role_accomplice',
  'view_role_auditor',
  'view_role_originator',
] as const;

/** Whose tasks: all of them, or those where the user has one role. */
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * The portal's internal counter codes (bit patterns), also the web UI's `PROBLEM` filter.
 * Used when a counter arrives without a code and to build task-list links.
 */
export const COUNTER_CODES: Readonly<Record<string, number>> = {
  not_viewed: 1048576,
  expired: 6291456,
  wait_ctrl: 8388608,
  expired_soon: 9437184,
  wo_deadline: 10485760,
  new_comments: 12582912,
  project_expired: 13631488,
  project_new_comments: 14680064,
  mentioned: 15728640,
};

/**
 * Shown first, in this order; then the other names this extension knows, then any name the
 * portal sends, each group alphabetically.
 */
const DISPLAY_ORDER = ['expired', 'new_comments', 'mentioned'];

/**
 * The most counters a surface lists one by one (tree rows, tooltip lines, picker text); a 1 MB
 * answer can name 40,000. The rest are summed up as "and N more".
 */
export const MAX_SHOWN_COUNTERS = 10;

/** The counters whose sum needs the user's attention (the badge). */
const ATTENTION = ['expired', 'new_comments'];

export interface Counter {
  readonly name: string;
  readonly count: number;
  readonly code: number;
}

export interface CounterSet {
  /** Known counters first, then unknown names: kept, never dropped (surfaces show the first few). */
  readonly counters: readonly Counter[];
  /** The sum of all counters (the envelope's `total` means nothing, see `parseCounterSet`). */
  readonly total: number;
  /**
   * False when the portal answered `"result": []`: the user does not exist, may not be
   * seen, or the role is unknown to this portal. A normal answer, not an error.
   */
  readonly visible: boolean;
}

export const NO_VISIBLE_COUNTERS: CounterSet = { counters: [], total: 0, visible: false };

/**
 * Reads the `result` of `tasks.task.counters.get`: `{name: {counter, code}}`.
 *
 * The envelope's `total` is not read: the server computes a `total` counter and the REST
 * layer moves `intval(array)` of it into the envelope, so it is always 1. `"result": []`
 * (PHP's empty array) is the portal saying "nothing visible". Returns undefined when the
 * shape is neither.
 *
 * A name is any key the portal sends: it is cleaned like all portal text (`redact` removes the
 * webhook's secret). Names that read the same once cleaned are one counter to a person (and
 * one tree row): their counts add up.
 */
export function parseCounterSet(result: unknown, redact?: (text: string) => string): CounterSet | undefined {
  if (Array.isArray(result)) {
    return result.length === 0 ? NO_VISIBLE_COUNTERS : undefined;
  }
  if (typeof result !== 'object' || result === null) {
    return undefined;
  }
  const byName = new Map<string, Counter>();
  for (const [key, entry] of Object.entries(result as Record<string, unknown>)) {
    const name = portalText(key, redact);
    const counter = readCounter(name, entry);
    if (counter === undefined) {
      return undefined;
    }
    const same = byName.get(name);
    byName.set(name, same ? { ...same, count: same.count + counter.count } : counter);
  }
  const counters = [...byName.values()].sort(byDisplayOrder);
  return { counters, total: counters.reduce((sum, c) => sum + c.count, 0), visible: true };
}

/** The first `max` counters in display order, and how many more there are. */
export function shownCounters(counters: readonly Counter[], max = MAX_SHOWN_COUNTERS): { shown: readonly Counter[]; more: number } {
  return { shown: counters.slice(0, max), more: Math.max(0, counters.length - max) };
}

function readCounter(name: string, entry: unknown): Counter | undefined {
  if (typeof entry !== 'object' || entry === null) {
    return undefined;
  }
  const { counter, code } = entry as { counter?: unknown; code?: unknown };
  const count = toNonNegativeInteger(counter);
  if (count === undefined) {
    return undefined;
  }
  return { name, count, code: toNonNegativeInteger(code) ?? knownCounterCode(name) ?? 0 };
}

/** The code of a counter this extension knows (an own key: "constructor" is no counter). */
export function knownCounterCode(name: string): number | undefined {
  return Object.hasOwn(COUNTER_CODES, name) ? COUNTER_CODES[name] : undefined;
}

/** PHP may send numbers as strings. */
function toNonNegativeInteger(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function displayRank(c: Counter): number {
  const i = DISPLAY_ORDER.indexOf(c.name);
  if (i !== -1) return i;
  return knownCounterCode(c.name) === undefined ? DISPLAY_ORDER.length + 1 : DISPLAY_ORDER.length;
}

function byDisplayOrder(a: Counter, b: Counter): number {
  return displayRank(a) - displayRank(b) || compareText(a.name, b.name);
}

export function countOf(set: CounterSet, name: string): number {
  return set.counters.find((c) => c.name === name)?.count ?? 0;
}

/** Overdue plus new comments: what the badge shows. */
export function attentionCount(set: CounterSet): number {
  return ATTENTION.reduce((sum, name) => sum + countOf(set, name), 0);
}
