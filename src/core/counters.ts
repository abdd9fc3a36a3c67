/**
 * The counter model: what `tasks.task.counters.get` answers, in the problem's words.
 */
import { compareText, PortalText, portalText, Redact } from './portalText';

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
export const COUNTER_CODES = {
  not_viewed: 1048576,
  expired: 6291456,
  wait_ctrl: 8388608,
  expired_soon: 9437184,
  wo_deadline: 10485760,
  new_comments: 12582912,
  project_expired: 13631488,
  project_new_comments: 14680064,
  mentioned: 15728640,
} as const satisfies Record<string, number>;

/** A counter name this extension knows: its own word for it, never portal text. */
export type KnownCounter = keyof typeof COUNTER_CODES;

export function isKnownCounter(name: string): name is KnownCounter {
  return Object.hasOwn(COUNTER_CODES, name); // an own key: "constructor" is no counter
}

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
  /** Portal text: any key the portal sends, cleaned. */
  readonly name: PortalText;
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
 * webhook's secret).
 */
export function parseCounterSet(result: unknown, redact: Redact): CounterSet | undefined {
  if (Array.isArray(result)) {
    return result.length === 0 ? NO_VISIBLE_COUNTERS : undefined;
  }
  if (typeof result !== 'object' || result === null) {
    return undefined;
  }
  const counters: Counter[] = [];
  for (const [key, entry] of Object.entries(result as Record<string, unknown>)) {
    const counter = readCounter(portalText(key, redact), entry);
    if (counter === undefined) {
      return undefined;
    }
    counters.push(counter);
  }
  return visibleCounters(counters);
}

/**
 * The counters a person sees: names that read the same once cleaned are one counter (and one
 * tree row), their counts added; in display order; with their saturated sum.
 */
export function visibleCounters(counters: Iterable<Counter>): CounterSet {
  const byName = new Map<string, Counter>();
  for (const counter of counters) {
    const same = byName.get(counter.name);
    byName.set(counter.name, same ? { ...same, count: sumOfCounts([same.count, counter.count]) } : counter);
  }
  const sorted = [...byName.values()].sort(byDisplayOrder);
  return { counters: sorted, total: sumOfCounts(sorted.map((c) => c.count)), visible: true };
}

/** The first `max` counters in display order, and how many more there are. */
export function shownCounters(counters: readonly Counter[], max = MAX_SHOWN_COUNTERS): { shown: readonly Counter[]; more: number } {
  return { shown: counters.slice(0, max), more: Math.max(0, counters.length - max) };
}

function readCounter(name: PortalText, entry: unknown): Counter | undefined {
  if (typeof entry !== 'object' || entry === null) {
    return undefined;
  }
  const { counter, code } = entry as { counter?: unknown; code?: unknown };
  const count = countFrom(counter);
  if (count === undefined) {
    return undefined;
  }
  return { name, count, code: codeFrom(code) ?? knownCounterCode(name) ?? 0 };
}

/** The code of a counter this extension knows. */
export function knownCounterCode(name: string): number | undefined {
  return isKnownCounter(name) ? COUNTER_CODES[name] : undefined;
}

/**
 * A count the portal sends: a non-negative integer, as a number or a decimal string (PHP),
 * saturated at Number.MAX_SAFE_INTEGER. Past that a count means nothing exact, and a sum of
 * them would reach Infinity, which JSON writes as null.
 */
export function countFrom(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !(n >= 0) || !(Number.isInteger(n) || n === Infinity)) return undefined;
  return Math.min(n, Number.MAX_SAFE_INTEGER);
}

/** Counts added up, saturated at Number.MAX_SAFE_INTEGER like each of them. */
export function sumOfCounts(counts: Iterable<number>): number {
  let sum = 0;
  for (const count of counts) sum = Math.min(sum + count, Number.MAX_SAFE_INTEGER);
  return sum;
}

/** A counter's code: an exact non-negative integer, or none. */
function codeFrom(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
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
  return sumOfCounts(ATTENTION.map((name) => countOf(set, name)));
}
