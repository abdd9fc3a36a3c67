/**
 * When the views render: when what they show of the state changed (a poll updates the state
 * several times, mostly with what no view shows), and once a minute while an age ("updated
 * 3 min ago") is on screen. No `vscode` import: unit-tested in plain Node.
 */
import { Clock, systemClock, Timer } from '../core/clock';
import { CountersSnapshot, CountersState } from '../core/countersState';

/** Ages move on without a poll; they are shown in whole minutes. */
export const AGE_TICK_MS = 60_000;

export class ViewRenderer {
  private lastShown: string | undefined;
  private ageTimer: Timer | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly state: CountersState,
    private readonly render: (snapshot: CountersSnapshot) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.unsubscribe = state.subscribe((snapshot) => this.update(snapshot));
    this.update(state.snapshot);
  }

  /** Renders now whatever changed (a setting of the views themselves). */
  renderNow(): void {
    this.lastShown = undefined;
    this.update(this.state.snapshot);
  }

  dispose(): void {
    this.unsubscribe();
    this.tickAges(false);
  }

  private update(snapshot: CountersSnapshot): void {
    const shown = shownOf(snapshot);
    if (shown !== this.lastShown) {
      this.lastShown = shown;
      this.render(snapshot);
    }
    this.tickAges(snapshot.updatedAt !== undefined);
  }

  private tickAges(on: boolean): void {
    if (on && this.ageTimer === undefined) {
      const tick = () => {
        this.ageTimer = this.clock.setTimeout(tick, AGE_TICK_MS);
        this.render(this.state.snapshot);
      };
      this.ageTimer = this.clock.setTimeout(tick, AGE_TICK_MS);
    } else if (!on && this.ageTimer !== undefined) {
      this.clock.clearTimeout(this.ageTimer);
      this.ageTimer = undefined;
    }
  }
}

/**
 * What the views show of a snapshot: `loading` only while there are no numbers yet (a spinner
 * then), the next poll only as "retrying at" after a retryable failure.
 */
function shownOf(snapshot: CountersSnapshot): string {
  return JSON.stringify({
    ...snapshot,
    loading: snapshot.loading && snapshot.counters === undefined,
    nextPollAt: snapshot.error && !snapshot.halted ? snapshot.nextPollAt : undefined,
  });
}
