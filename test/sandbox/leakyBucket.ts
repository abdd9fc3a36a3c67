/**
 * Bitrix24's request-rate limiter: a leaky bucket per portal and per source IP.
 * Every request pours one unit in; the bucket drains `perSecond` units a second; a request
 * that would overflow `burst` is refused (the portal answers 503 QUERY_LIMIT_EXCEEDED).
 *
 * Pure and deterministic: the caller passes the time (real or virtual), nothing reads a clock.
 */
export interface LeakyBucketOptions {
  /** Capacity: this many requests pass back to back from an empty bucket (Bitrix24: 50). */
  readonly burst: number;
  /** Drain rate in requests per second (Bitrix24: 2; Enterprise: 5). */
  readonly perSecond: number;
}

/** Bitrix24's default plan limits. */
export const BITRIX24_BUCKET: LeakyBucketOptions = { burst: 50, perSecond: 2 };

/** Absorbs float noise from the drain arithmetic (e.g. 49.000000001 after draining). */
const EPSILON = 1e-9;

export class LeakyBucket {
  private water = 0;
  private lastMs: number | undefined;

  constructor(private readonly opts: LeakyBucketOptions) {
    if (!(opts.burst >= 1) || !(opts.perSecond > 0)) {
      throw new RangeError('LeakyBucket needs burst >= 1 and perSecond > 0');
    }
  }

  /** Pours one request in if it fits; false (and nothing poured) when the bucket is full. */
  tryTake(nowMs: number): boolean {
    this.water = this.level(nowMs);
    this.lastMs = Math.max(this.lastMs ?? nowMs, nowMs);
    if (this.water + 1 > this.opts.burst + EPSILON) {
      return false;
    }
    this.water += 1;
    return true;
  }

  /** How full the bucket is at `nowMs`, after draining; does not change the bucket. */
  level(nowMs: number): number {
    if (this.lastMs === undefined) {
      return this.water;
    }
    const elapsedSeconds = Math.max(0, nowMs - this.lastMs) / 1000;
    return Math.max(0, this.water - elapsedSeconds * this.opts.perSecond);
  }

  /** Milliseconds from `nowMs` until `tryTake` would succeed again; 0 if it would now. */
  msUntilFree(nowMs: number): number {
    const excess = this.level(nowMs) + 1 - this.opts.burst;
    return excess > EPSILON ? Math.ceil((excess / this.opts.perSecond) * 1000) : 0;
  }
}
