/**
 * The fleet simulation: many VS Code windows (one `PollScheduler` each, default settings)
 * behind one office IP, against Bitrix24's leaky bucket (burst 50, 2 requests/s), in virtual
 * time. No network and no wall clock: hours pass in a second or two.
 *
 * Each client is the real `PollScheduler` on a shared virtual clock with its own seeded
 * random (jitter). Its run mirrors what `CountersPoller` makes of the portal's answer:
 *
 * - the bucket admits the request → `{kind: 'ok'}`;
 * - the bucket is full → HTTP 503 QUERY_LIMIT_EXCEEDED (no Retry-After on a real portal), which
 *   `CountersPoller.failed()` turns into `{kind: 'retry', notBefore: undefined, slowDown: true}`;
 * - during a forced outage: a network error → `{kind: 'retry'}` (as for a 5xx that is not a rate
 *   limit), or '503': every request refused with QUERY_LIMIT_EXCEEDED, as above (the office's
 *   limit used up by something else, or the portal refusing everyone). Outage requests never
 *   reach the bucket.
 *
 * Used by `test/unit/fleet.test.ts` (short runs, qualitative assertions) and
 * `scripts/fleet.ts` (the table). Figures are measured, not asserted.
 */
import { fakeTime, nextDueAt } from '../unit/fakeTime';
import { START_DELAY_MS } from '../../src/core/countersPoller';
import { PollScheduler, PollSchedulerOptions, PollStep } from '../../src/core/pollScheduler';
import { BITRIX24_BUCKET, LeakyBucket, LeakyBucketOptions } from '../sandbox/leakyBucket';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;


export type OutageKind = 'network' | '503';

export interface FleetOptions {
  readonly clients: number;
  /** Simulated time, ms. */
  readonly durationMs: number;
  /** Default 60 s (the setting's default). */
  readonly intervalMs?: number;
  /** Every client connects at a uniform random moment in [0, startSpreadMs). Default 1 minute. */
  readonly startSpreadMs?: number;
  /** A forced outage: every request fails during [startMs, startMs + durationMs). */
  readonly outage?: { readonly startMs: number; readonly durationMs: number; readonly kind: OutageKind };
  /** Default Bitrix24's: burst 50, 2/s. */
  readonly bucket?: LeakyBucketOptions;
  /** PRNG seed: the same seed gives the same run. */
  readonly seed?: number;
  /** How often every client's age is sampled. Default 10 s. */
  readonly sampleEveryMs?: number;
  /** Samples before this are start-up, not steady state. Default 10 minutes. */
  readonly warmupMs?: number;
  /** After the outage ends, this long is recovery, not steady state. Default 10 minutes. */
  readonly recoveryWindowMs?: number;
  /** Passed to every scheduler (jitter, maxBackoffMs): to try other constants. */
  readonly scheduler?: Partial<Pick<PollSchedulerOptions, 'jitter' | 'maxBackoffMs'>>;
  /** Replaces `PollScheduler` (experiments with another algorithm); same constructor. */
  readonly createScheduler?: (run: () => Promise<PollStep>, options: PollSchedulerOptions) => PollSchedulerLike;
}

/** What the simulation needs of a scheduler. */
export interface PollSchedulerLike {
  readonly phase: string;
  start(firstDelayMs: number): void;
  stop(): void;
}

export interface FleetResult {
  readonly clients: number;
  readonly durationMs: number;
  readonly outage?: FleetOptions['outage'];
  /** Requests that reached the portal (bucket asked), outside the outage. */
  readonly requests: number;
  readonly ok: number;
  /** 503 QUERY_LIMIT_EXCEEDED answers from the bucket. */
  readonly limited: number;
  /** Requests failed by the forced outage. */
  readonly outageFailures: number;
  /** limited / requests, over the whole run. */
  readonly share503: number;
  /** The same in steady state (after warm-up, outside outage and recovery). */
  readonly share503Steady: number;
  /** In the recovery window after the outage. */
  readonly share503Recovery: number;
  /** All requests sent (outage included) per simulated hour. */
  readonly requestsPerHour: number;
  /** The busiest whole hour. */
  readonly maxRequestsInAnHour: number;
  /**
   * Age of a client's numbers (now - last success), sampled, steady state only; a client
   * without numbers yet has none (see `allHaveNumbersMs`).
   */
  readonly maxAgeMs: number;
  readonly p95AgeMs: number;
  /** Over the whole run, start-up and outage included. */
  readonly maxAgeAnyMs: number;
  /** When the last client got its first numbers (ms after the first client connected). */
  readonly allHaveNumbersMs: number;
  /** Clients that never got numbers. */
  readonly neverOk: number;
  /** After the outage ended: when the last client that failed during it succeeded again. */
  readonly allFreshAfterOutageMs?: number;
  /** Largest age any client reached because of the outage. */
  readonly maxAgeAroundOutageMs?: number;
  /** The most timers pending at once: one per client (its connect, then its scheduler) and the sampler. */
  readonly maxPendingTimers: number;
  /**
   * After the outage ended: when the fleet was back to normal (see `backToNormal`), infinite
   * when it was not by the end of the run.
   */
  readonly backToNormalAfterOutageMs?: number;
}

/** mulberry32: small, fast, good enough for jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/** Sampled ages: a histogram with one-second buckets (enough for p95 and max). */
class AgeStats {
  private readonly buckets = new Map<number, number>();
  private count = 0;
  max = 0;

  add(ageMs: number): void {
    const second = Math.floor(ageMs / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + 1);
    this.count++;
    this.max = Math.max(this.max, ageMs);
  }

  /** The samples of all of them, together. */
  static merged(all: readonly AgeStats[]): AgeStats {
    const merged = new AgeStats();
    for (const stats of all) {
      for (const [second, n] of stats.buckets) merged.buckets.set(second, (merged.buckets.get(second) ?? 0) + n);
      merged.count += stats.count;
      merged.max = Math.max(merged.max, stats.max);
    }
    return merged;
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(p * this.count);
    let seen = 0;
    for (const second of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(second)!;
      if (seen >= rank) return (second + 1) * 1000;
    }
    return this.max;
  }
}

interface SimClient {
  readonly index: number;
  startAt: number;
  lastOkAt: number | undefined;
  failedInOutage: boolean;
  recoveredAt: number | undefined;
  scheduler: PollSchedulerLike;
}

/** What a simulated client's run returns: `CountersPoller`'s steps for these answers. */
export const FLEET_STEPS = {
  ok: { kind: 'ok' } as PollStep,
  /** 503 QUERY_LIMIT_EXCEEDED without Retry-After. */
  queryLimit: { kind: 'retry', notBefore: undefined, slowDown: true } as PollStep,
  /** A network error (or a 5xx that is not a rate limit). */
  network: { kind: 'retry', notBefore: undefined, slowDown: false } as PollStep,
} as const;
const { ok: OK_STEP, queryLimit: QUERY_LIMIT_STEP, network: NETWORK_STEP } = FLEET_STEPS;

/** Runs one fleet for `durationMs` of virtual time. */
export async function simulateFleet(options: FleetOptions): Promise<FleetResult> {
  const intervalMs = options.intervalMs ?? MINUTE;
  const startSpreadMs = options.startSpreadMs ?? MINUTE;
  const sampleEveryMs = options.sampleEveryMs ?? 10_000;
  const warmupMs = options.warmupMs ?? 10 * MINUTE;
  const recoveryWindowMs = options.recoveryWindowMs ?? 10 * MINUTE;
  const outage = options.outage;
  const outageEnd = outage ? outage.startMs + outage.durationMs : undefined;
  const seed = options.seed ?? 1;
  const { clock, timers } = fakeTime(0);
  const bucket = new LeakyBucket(options.bucket ?? BITRIX24_BUCKET);
  const placement = seededRandom(seed * 7919 + 17);

  let requests = 0;
  let ok = 0;
  let limited = 0;
  let outageFailures = 0;
  let steadyRequests = 0;
  let steadyLimited = 0;
  let recoveryRequests = 0;
  let recoveryLimited = 0;
  const perHour: number[] = [];
  const minutes = Math.ceil(options.durationMs / MINUTE);
  const requestsPerMinute: number[] = new Array<number>(minutes).fill(0);
  const agesPerMinute = Array.from({ length: minutes }, () => new AgeStats());
  let maxPendingTimers = 0;

  const inOutage = (t: number) => outage !== undefined && t >= outage.startMs && t < outageEnd!;
  const inRecovery = (t: number) => outageEnd !== undefined && t >= outageEnd && t < outageEnd + recoveryWindowMs;
  const isSteady = (t: number) => t >= warmupMs && !inOutage(t) && !inRecovery(t);

  const clients: SimClient[] = [];
  /** The client whose run the last timer started. */
  let started: SimClient | undefined;
  for (let i = 0; i < options.clients; i++) {
    const client: SimClient = {
      index: i,
      startAt: Math.floor(placement() * startSpreadMs),
      lastOkAt: undefined,
      failedInOutage: false,
      recoveredAt: undefined,
      scheduler: undefined as unknown as PollSchedulerLike,
    };
    const run = (): Promise<PollStep> => {
      started = client;
      const now = clock.now();
      const hour = Math.floor(now / HOUR);
      perHour[hour] = (perHour[hour] ?? 0) + 1;
      requestsPerMinute[Math.floor(now / MINUTE)]++;
      if (inOutage(now)) {
        outageFailures++;
        client.failedInOutage = true;
        return Promise.resolve(outage!.kind === '503' ? QUERY_LIMIT_STEP : NETWORK_STEP);
      }
      requests++;
      if (isSteady(now)) steadyRequests++;
      if (inRecovery(now)) recoveryRequests++;
      if (bucket.tryTake(now)) {
        ok++;
        client.lastOkAt = now;
        if (client.failedInOutage && client.recoveredAt === undefined && outageEnd !== undefined && now >= outageEnd) {
          client.recoveredAt = now;
        }
        return Promise.resolve(OK_STEP);
      }
      limited++;
      if (isSteady(now)) steadyLimited++;
      if (inRecovery(now)) recoveryLimited++;
      return Promise.resolve(QUERY_LIMIT_STEP);
    };
    const schedulerOptions: PollSchedulerOptions = {
      intervalMs,
      clock,
      random: seededRandom(seed * 1_000_003 + i),
      ...options.scheduler,
    };
    client.scheduler = options.createScheduler
      ? options.createScheduler(run, schedulerOptions)
      : new PollScheduler(run, schedulerOptions);
    clients.push(client);
  }

  // Connections, then age samples, are timers on the same clock as the schedulers.
  for (const client of clients) {
    clock.setTimeout(() => client.scheduler.start(START_DELAY_MS), client.startAt);
  }

  const steady = new AgeStats();
  let maxAgeAny = 0;
  let maxAgeAroundOutage = 0;
  let allHaveNumbersAt: number | undefined;
  const sample = () => {
    const now = clock.now();
    let everyoneHasNumbers = true;
    let fleetMax = 0;
    for (const client of clients) {
      if (now < client.startAt) continue;
      if (client.lastOkAt === undefined) {
        // No numbers yet: nothing shown has an age; `allHaveNumbersMs` reports these.
        everyoneHasNumbers = false;
        continue;
      }
      const age = now - client.lastOkAt;
      fleetMax = Math.max(fleetMax, age);
      agesPerMinute[Math.floor(now / MINUTE)]?.add(age);
      if (isSteady(now)) steady.add(age);
    }
    maxAgeAny = Math.max(maxAgeAny, fleetMax);
    if (everyoneHasNumbers && allHaveNumbersAt === undefined && now >= startSpreadMs) allHaveNumbersAt = now;
    if (outage && now >= outage.startMs) {
      maxAgeAroundOutage = Math.max(maxAgeAroundOutage, fleetMax);
    }
  };
  const sampleAndRepeat = () => {
    sample();
    clock.setTimeout(sampleAndRepeat, sampleEveryMs);
  };
  clock.setTimeout(sampleAndRepeat, sampleEveryMs);

  // The loop: fire the next timer; if it started a run, let that run end (microtasks only:
  // every run answers at once) before time moves on.
  for (let due = nextDueAt(timers); due !== undefined && due <= options.durationMs; due = nextDueAt(timers)) {
    started = undefined;
    timers.next();
    if (started) await settle(started);
    maxPendingTimers = Math.max(maxPendingTimers, timers.countTimers());
  }
  timers.tick(options.durationMs - timers.now);
  clients.forEach((c) => c.scheduler.stop());

  const firstStart = Math.min(...clients.map((c) => c.startAt));
  const failedInOutage = clients.filter((c) => c.failedInOutage);
  const allFresh =
    outageEnd !== undefined && failedInOutage.every((c) => c.recoveredAt !== undefined)
      ? Math.max(0, ...failedInOutage.map((c) => c.recoveredAt! - outageEnd))
      : undefined;
  const hours = options.durationMs / HOUR;
  const sentTotal = requests + outageFailures;
  return {
    clients: options.clients,
    durationMs: options.durationMs,
    outage,
    requests,
    ok,
    limited,
    outageFailures,
    share503: requests === 0 ? 0 : limited / requests,
    share503Steady: steadyRequests === 0 ? 0 : steadyLimited / steadyRequests,
    share503Recovery: recoveryRequests === 0 ? 0 : recoveryLimited / recoveryRequests,
    requestsPerHour: sentTotal / hours,
    maxRequestsInAnHour: Math.max(0, ...perHour.filter((n) => n !== undefined)),
    maxAgeMs: steady.max,
    p95AgeMs: steady.percentile(0.95),
    maxAgeAnyMs: maxAgeAny,
    allHaveNumbersMs: allHaveNumbersAt === undefined ? Number.POSITIVE_INFINITY : allHaveNumbersAt - firstStart,
    neverOk: clients.filter((c) => c.lastOkAt === undefined).length,
    allFreshAfterOutageMs: allFresh,
    backToNormalAfterOutageMs:
      outageEnd === undefined ? undefined : backToNormal(requestsPerMinute, agesPerMinute, warmupMs, outage!.startMs, outageEnd),
    maxAgeAroundOutageMs: outage ? maxAgeAroundOutage : undefined,
    maxPendingTimers,
  };
}

/** How many minutes one look at the fleet spans (see `backToNormal`). */
export const NORMAL_WINDOW_MINUTES = 5;
/** How far from the steady state's worst window a window may be and still count as normal. */
export const NORMAL_TOLERANCE = 0.1;

/**
 * "Back to normal" after an outage, from the minute-by-minute figures: the first moment T
 * (whole minutes after the outage's end) from which on every trailing window of
 * NORMAL_WINDOW_MINUTES minutes ending at T or later, to the end of the run, is as good as the
 * worst such window of the steady state before the outage, give or take NORMAL_TOLERANCE: as
 * many requests (the clients poll at their usual pace again) and a p95 age no higher (their
 * numbers are as fresh as usual). Milliseconds after the outage's end; infinite when that never
 * held.
 */
function backToNormal(requests: readonly number[], ages: readonly AgeStats[], warmupMs: number, outageStartMs: number, outageEndMs: number): number {
  const window = (end: number) => {
    const from = end - NORMAL_WINDOW_MINUTES;
    return {
      requests: requests.slice(from, end).reduce((a, b) => a + b, 0),
      p95AgeMs: AgeStats.merged(ages.slice(from, end)).percentile(0.95),
    };
  };
  let fewestRequests = Number.POSITIVE_INFINITY;
  let highestP95 = 0;
  for (let end = Math.ceil(warmupMs / MINUTE) + NORMAL_WINDOW_MINUTES; end <= Math.floor(outageStartMs / MINUTE); end++) {
    const steady = window(end);
    fewestRequests = Math.min(fewestRequests, steady.requests);
    highestP95 = Math.max(highestP95, steady.p95AgeMs);
  }
  const endMinute = Math.ceil(outageEndMs / MINUTE);
  let back = requests.length + 1;
  for (let end = requests.length; end >= endMinute; end--) {
    const look = window(end);
    if (look.requests < (1 - NORMAL_TOLERANCE) * fewestRequests || look.p95AgeMs > (1 + NORMAL_TOLERANCE) * highestP95) break;
    back = end;
  }
  return back > requests.length ? Number.POSITIVE_INFINITY : back * MINUTE - outageEndMs;
}

/** Lets a scheduler whose run has started finish it (its answer is already there). */
async function settle(client: SimClient): Promise<void> {
  for (let spins = 0; spins < 1000; spins++) {
    if (client.scheduler.phase !== 'running') return;
    await Promise.resolve();
  }
  throw new Error('a simulated run did not end');
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

export interface FleetTarget {
  readonly share503: number;
  readonly maxAgeMs: number;
  readonly backWithinMs: number;
}

/**
 * The targets: 503 share 0 / ≤ 5% / ≤ 10%; ages ≤ 2 / 3 / 10 min; back to normal (see
 * `backToNormal`) within 10 min of an outage's end.
 */
export function targetFor(clients: number): FleetTarget {
  if (clients <= 50) return { share503: 0, maxAgeMs: 2 * MINUTE, backWithinMs: 10 * MINUTE };
  if (clients <= 200) return { share503: 0.05, maxAgeMs: 3 * MINUTE, backWithinMs: 10 * MINUTE };
  return { share503: 0.1, maxAgeMs: 10 * MINUTE, backWithinMs: 10 * MINUTE };
}

export function formatMinutes(ms: number | undefined): string {
  if (ms === undefined) return '–';
  if (!Number.isFinite(ms)) return 'never';
  return `${(ms / MINUTE).toFixed(1)} min`;
}

export function formatShare(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.001 ? 2 : 1)}%`;
}

export const TABLE_HEADER = [
  '| clients | outage | requests/h | 503 share (steady) | max age (steady) | 503 share (all) | 503 share (recovery) | p95 age (steady) | all have numbers | all fresh after outage | back to normal after outage | worst age around outage | targets met |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
];

export function tableRow(r: FleetResult): string {
  const target = targetFor(r.clients);
  const met = [
    r.share503Steady <= target.share503 ? '' : '503',
    r.maxAgeMs <= target.maxAgeMs ? '' : 'age',
    r.backToNormalAfterOutageMs === undefined || r.backToNormalAfterOutageMs <= target.backWithinMs ? '' : 'back',
  ].filter(Boolean);
  return [
    '',
    r.clients,
    r.outage ? `${r.outage.kind} ${formatMinutes(r.outage.durationMs)}` : 'none',
    Math.round(r.requestsPerHour),
    formatShare(r.share503Steady),
    formatMinutes(r.maxAgeMs),
    formatShare(r.share503),
    r.outage ? formatShare(r.share503Recovery) : '–',
    formatMinutes(r.p95AgeMs),
    formatMinutes(r.allHaveNumbersMs),
    formatMinutes(r.allFreshAfterOutageMs),
    formatMinutes(r.backToNormalAfterOutageMs),
    formatMinutes(r.maxAgeAroundOutageMs),
    met.length === 0 ? 'yes' : `no (${met.join(', ')})`,
    '',
  ].join(' | ').trim();
}
