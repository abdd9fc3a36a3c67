/**
 * May this window ask the portal now? The one place every request asks, whatever caused it.
 *
 * - An explicit ask (Refresh, Try Again, Connect's check) may go before the portal's
 *   "not before" and the backoff, and right after any other request; but not within
 *   MIN_REQUEST_GAP_MS of the previous explicit one: a second Refresh that soon is deferred to
 *   15 s after the first (more clicks meanwhile join it).
 * - Anything else (the schedule, an expanded row, a picker, a settings change, focus) goes
 *   when allowed: not before the portal's wait or the backoff while failing, and never sooner
 *   than MIN_REQUEST_GAP_MS after this window's previous request and its answer.
 *
 * Every time is monotonic (`Clock.monotonic`): a wall clock that jumps (suspend and resume,
 * NTP) neither lets a request through early nor holds one back.
 */
import { Clock, systemClock } from './clock';

/** No two requests of one window are closer than this, but for an explicit one. */
export const MIN_REQUEST_GAP_MS = 15_000;

/** Connect's check is explicit; any other request of its own (the group list) goes when allowed. */
export type Ask = 'explicit' | 'whenAllowed';

export class RequestGate {
  /** Monotonic ms: this window's last request, its answer, its last explicit request. */
  private askedAt: number | undefined;
  private answeredAt: number | undefined;
  private explicitAt: number | undefined;
  /** Monotonic ms: the portal's "not before", or the backoff, after a failure. */
  private waitUntil: number | undefined;
  /** The user's explicit asks so far, and how many of them are answered: the rest is pending. */
  private explicitAsks = 0;
  private explicitAnswers = 0;

  /**
   * @param minGapMs the spacing, MIN_REQUEST_GAP_MS but in the extension-host tests (see
   *   `extension.ts`), which would otherwise wait 15 s a step; never below one second.
   */
  readonly minGapMs: number;

  constructor(
    private readonly clock: Clock = systemClock,
    minGapMs = MIN_REQUEST_GAP_MS,
  ) {
    this.minGapMs = Math.max(1000, Number.isFinite(minGapMs) ? minGapMs : MIN_REQUEST_GAP_MS);
  }

  /** Monotonic ms from which a request may go: now, or later. */
  openAt(ask: Ask): number {
    return this.openFrom(ask, this.clock.monotonic());
  }

  /** Refresh, Try Again: the poll's next request is explicit (see `passPoll`). */
  askExplicitly(): void {
    this.explicitAsks++;
  }

  /** An explicit ask waits for the poll's next request. */
  get explicitPending(): boolean {
    return this.explicitAsks > this.explicitAnswers;
  }

  /** The latest explicit ask, by number (for `explicitAnswered`). */
  get latestExplicitAsk(): number {
    return this.explicitAsks;
  }

  /** When the poll may ask next: explicitly while the user's ask is pending. */
  pollOpenAt(): number {
    return this.openAt(this.explicitPending ? 'explicit' : 'whenAllowed');
  }

  /**
   * The poll's own request: whether it may go now. If it may, it counts as made, and it answers
   * the user's explicit ask if one is pending (whatever started the run: the ask was before it).
   */
  passPoll(): boolean {
    if (!this.pass(this.explicitPending ? 'explicit' : 'whenAllowed')) return false;
    this.explicitAnswers = this.explicitAsks;
    return true;
  }

  /**
   * A run started while explicit asks up to `ask` were pending ended with an answer (or a bug):
   * they are over, even if the run never passed the gate (a later ask is not).
   */
  explicitAnswered(ask: number): void {
    this.explicitAnswers = Math.max(this.explicitAnswers, ask);
  }

  /** Any other request (Connect's check, the group list): whether it may go now; if so, counted. */
  pass(ask: Ask): boolean {
    const now = this.clock.monotonic();
    if (this.openFrom(ask, now) > now) return false; // one reading: a real clock moves between two
    this.askedAt = now;
    if (ask === 'explicit') this.explicitAt = now;
    return true;
  }

  /** Waits until `ask` may go, then passes it. */
  async passWhenOpen(ask: Ask): Promise<void> {
    while (!this.pass(ask)) {
      const wait = Math.ceil(this.openAt(ask) - this.clock.monotonic());
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.max(1, wait)));
    }
  }

  /**
   * The portal answered a request: the next waits MIN_REQUEST_GAP_MS from now, and while
   * failing until `waitUntil` (monotonic: the portal's "not before" or the backoff).
   */
  answered(waitUntil?: number): void {
    this.answeredAt = this.clock.monotonic();
    this.waitUntil = waitUntil;
  }

  /**
   * Another window's answer, shared with this one: while it is a failure, this window waits as
   * that one does, until `waitUntil` (monotonic), so a follower's own requests (the group list)
   * keep the portal's Retry-After too. It made no request: its spacing stays as it was.
   */
  followed(waitUntil?: number): void {
    this.waitUntil = waitUntil;
  }

  /**
   * Another webhook (or none): the portal's wait and a pending explicit ask belong to the old
   * one. The spacing of this window's requests stays.
   */
  newConnection(): void {
    this.waitUntil = undefined;
    this.explicitAnswers = this.explicitAsks;
  }

  private openFrom(ask: Ask, now: number): number {
    if (ask === 'explicit') return Math.max(now, this.after(this.explicitAt));
    return Math.max(now, this.after(this.askedAt), this.after(this.answeredAt), this.waitUntil ?? -Infinity);
  }

  private after(at: number | undefined): number {
    return at === undefined ? -Infinity : at + this.minGapMs;
  }
}
