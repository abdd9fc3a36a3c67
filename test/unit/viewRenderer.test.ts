/**
 * The views render when what they show changed, and tick the ages once a minute only while
 * an age is shown.
 */
import assert from 'node:assert/strict';
import { CountersSnapshot, CountersState, Filters } from '../../src/core/countersState';
import { sentence } from '../../src/core/portalText';
import { AGE_TICK_MS, ViewRenderer } from '../../src/ui/viewRenderer';
import { fakeTime } from './fakeTime';

const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };
const CONNECTED = {
  connection: { kind: 'connected', portal: 'https://p.example', webhookUserId: 1, redacted: 'https://p.example/rest/1/•••/', source: 'stored' },
} as const;
const COUNTERS = { counters: [{ name: sentence`expired`, count: 2, code: 6291456 }], total: 2, visible: true };

describe('ViewRenderer', () => {
  function setup() {
    const { clock, timers } = fakeTime();
    const state = new CountersState(ALL);
    const rendered: CountersSnapshot[] = [];
    const renderer = new ViewRenderer(state, (s) => rendered.push(s), clock);
    return { timers, state, rendered, renderer };
  }

  it('renders the first state, then only changes a view shows', () => {
    const { state, rendered } = setup();
    assert.equal(rendered.length, 1);
    state.update({ ...CONNECTED, loading: true });
    assert.equal(rendered.length, 2, 'connected and loading: a spinner');
    state.update({ counters: COUNTERS, updatedAt: 1, loading: false });
    state.update({ nextPollAt: 60_000 });
    state.update({ loading: true });
    state.update({ loading: false, updatedAt: 1 });
    assert.equal(rendered.length, 3, 'the next poll time and a poll in flight over numbers are not shown');
    state.update({ error: { failure: { kind: 'network', detail: sentence`down` }, at: 2 }, nextPollAt: 120_000 });
    state.update({ nextPollAt: 180_000 });
    assert.equal(rendered.length, 5, 'after a failure the retry time is shown');
  });

  it('ticks the ages once a minute while an age is shown, and stops when none is', async () => {
    const { timers, state, rendered, renderer } = setup();
    await timers.tickAsync(5 * AGE_TICK_MS);
    assert.equal(rendered.length, 1, 'no age, no tick');
    state.update({ ...CONNECTED, counters: COUNTERS, updatedAt: timers.now });
    const before = rendered.length;
    await timers.tickAsync(3 * AGE_TICK_MS);
    assert.equal(rendered.length, before + 3);
    state.update({ connection: { kind: 'disconnected' }, counters: undefined, updatedAt: undefined });
    assert.equal(timers.countTimers(), 0);
    renderer.dispose();
  });
});
