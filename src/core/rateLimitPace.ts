/**
 * How fast one client polls while its office shares Bitrix24's request limit (a leaky bucket
 * per portal and source IP: everyone behind the office's address drains the same 2 requests a
 * second). A `QUERY_LIMIT_EXCEEDED` says the office asks too much together, so it slows this
 * client's normal polling, not only its retries: the pace multiplies the interval.
 *
 * A run of refusals (rate limits with no success between) cuts the rate once, by DECREASE;
 * between cuts the rate climbs back by PROBE_PER_INTERVAL (compounded) for every interval of
 * time, up to full speed. A client that polls faster meets more refusals, so an office
 * converges on equal shares of the bucket, a little over it; the share refused grows only in
 * proportion to the office's size (`npm run fleet`: 200 people about 1%, 500 about 2%, 1000
 * about 10%). The climb is slow, a cut regained in about 170 intervals (three hours at a
 * minute): the portal asked.
 *
 * Two exceptions make it answer a sudden overload fast and forget an outage:
 * - Until the client has once been calm (CALM_MS since its first success without a rate
 *   limit), every refusal cuts: a whole office starting at once gets under the limit within
 *   minutes, not hours.
 * - A calm client whose run reaches LONG_RUN refusals undoes that run's cut at its next
 *   success: the portal refused everyone for a while (an outage, the office's limit used up by
 *   something else), which says nothing about this office's own pace. With one cut per run,
 *   short runs are what congestion looks like; an outage no longer slows an office for hours.
 *
 * Times are monotonic ms; the pace is a pure function of the events and the time.
 */

/** The rate after a run of refusals, as a share of the rate before it. */
export const DECREASE = 0.6;
/** How much the rate grows per interval of time without a cut (continuously compounded). */
export const PROBE_PER_INTERVAL = 0.003;
/** A client is calm this long after its first success or its last run of refusals. */
export const CALM_MS = 10 * 60_000;
/** A calm client's run of this many refusals is an outage, not congestion. */
export const LONG_RUN = 3;

export class RateLimitPace {
  /** Polls per interval at `rateSince`: 1 at full speed. */
  private rate = 1;
  private rateSince = 0;
  private firstOkAt: number | undefined;
  /** When the last run of refusals began. */
  private lastRunAt: number | undefined;
  private everCalm = false;
  /** Refusals since the last success. */
  private run = 0;
  /** The rate and its time before this run's cut, kept while the run may turn out an outage. */
  private beforeRun: { readonly rate: number; readonly since: number } | undefined;

  /**
   * @param slowest the largest pace (the interval stretched to the backoff cap): the rate
   *   never falls below its inverse.
   */
  constructor(private slowest: number) {}

  /** The interval's multiplier at `now` (1 at full speed, at most `slowest`). */
  paceAt(now: number, intervalMs: number): number {
    return 1 / this.rateAt(now, intervalMs);
  }

  /** The interval or the backoff cap changed: the slowest pace follows. */
  setSlowest(slowest: number): void {
    this.slowest = slowest;
  }

  /** A `QUERY_LIMIT_EXCEEDED` answer at `now`. */
  limited(now: number, intervalMs: number): void {
    this.run++;
    if (this.run === 1) {
      // Never calm before a first success (Infinity), nor within CALM_MS of one or of the last run.
      const calm = now - Math.max(this.firstOkAt ?? Infinity, this.lastRunAt ?? -Infinity) >= CALM_MS;
      this.everCalm ||= calm;
      this.lastRunAt = now;
      this.beforeRun = calm ? { rate: this.rate, since: this.rateSince } : undefined;
    } else if (this.everCalm) {
      return; // one cut per run
    }
    this.rate = Math.max(1 / this.slowest, this.rateAt(now, intervalMs) * DECREASE);
    this.rateSince = now;
  }

  /** A success at `now`: the end of a run of refusals, if any. */
  succeeded(now: number): void {
    this.firstOkAt ??= now;
    if (this.beforeRun && this.run >= LONG_RUN) ({ rate: this.rate, since: this.rateSince } = this.beforeRun);
    this.beforeRun = undefined;
    this.run = 0;
  }

  /**
   * The climb is counted in the current interval over the whole time since the last cut: a new
   * interval re-scales the climb made so far (a longer one slows it, in step with the polls it
   * means), never past full speed nor below the slowest pace.
   */
  private rateAt(now: number, intervalMs: number): number {
    const climbed = this.rate * Math.exp((PROBE_PER_INTERVAL * (now - this.rateSince)) / intervalMs);
    return Math.min(1, Math.max(1 / this.slowest, climbed));
  }
}
