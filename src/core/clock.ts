/** Time, injected so that schedules can be tested (and soaked) without waiting. */
export interface Clock {
  /**
   * Wall time, epoch ms: only for what is shown (ages, "retrying at") and for what other
   * processes read (the shared poll's files). It jumps: suspend and resume, NTP, a user.
   */
  now(): number;
  /**
   * Monotonic ms from an arbitrary origin, never jumping: every interval and wait ("time since
   * the last request", when the next one is due) is counted on it.
   */
  monotonic(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** Opaque: whatever the clock's `setTimeout` returns. */
export type Timer = { readonly __timer: unique symbol } | object;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};
