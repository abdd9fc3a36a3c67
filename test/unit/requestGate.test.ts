/**
 * RequestGate alone: which request may go when, on a monotonic clock that moves between any
 * two readings, as a real one does.
 */
import assert from 'node:assert/strict';
import { Clock } from '../../src/core/clock';
import { MIN_REQUEST_GAP_MS as GAP, RequestGate } from '../../src/core/requestGate';
import { fakeTime } from './fakeTime';

/** A clock at `at` whose every reading is a microsecond later than the one before. */
function movingClock(): { clock: Clock; set: (ms: number) => void } {
  let at = 1000;
  const clock: Clock = {
    now: () => at,
    monotonic: () => (at += 0.001),
    setTimeout: () => ({}),
    clearTimeout: () => undefined,
  };
  return { clock, set: (ms) => (at = ms) };
}

describe('RequestGate', () => {
  it('lets a request through when nothing holds it, though the clock moves between two readings', () => {
    const { clock } = movingClock();
    const gate = new RequestGate(clock);
    assert.equal(gate.pass('whenAllowed'), true);
    const explicit = new RequestGate(clock);
    assert.equal(explicit.pass('explicit'), true);
    const poll = new RequestGate(clock);
    assert.equal(poll.passPoll(), true);
  });

  it('spaces a window\'s requests 15 s apart, from the request and from its answer; an explicit one only from the last explicit one', () => {
    const { clock, set } = movingClock();
    const gate = new RequestGate(clock);
    set(0);
    assert.ok(gate.pass('whenAllowed'));
    set(5000);
    gate.answered();
    set(GAP);
    assert.equal(gate.pass('whenAllowed'), false, '15 s after the request, 10 s after its answer');
    assert.ok(Math.abs(gate.openAt('whenAllowed') - (5000 + GAP)) < 1);
    assert.equal(gate.pass('explicit'), true, 'an explicit one: no explicit one before it');
    set(GAP + 10_000);
    assert.equal(gate.pass('explicit'), false, 'not twice within 15 s');
    set(2 * GAP + 1);
    assert.equal(gate.pass('explicit'), true);
  });

  it('while the portal asks to wait, only an explicit request goes', () => {
    const { clock, set } = movingClock();
    const gate = new RequestGate(clock);
    set(0);
    gate.answered(600_000);
    set(100_000);
    assert.equal(gate.pass('whenAllowed'), false);
    assert.equal(gate.openAt('whenAllowed'), 600_000);
    assert.equal(gate.pass('explicit'), true);
    gate.answered();
    set(100_000 + GAP + 1);
    assert.equal(gate.pass('whenAllowed'), true, 'a good answer ends the wait');
  });

  it('the poll\'s request answers a pending explicit ask, passing the portal\'s wait; a later ask stays pending', () => {
    const { clock, set } = movingClock();
    const gate = new RequestGate(clock);
    set(0);
    gate.answered(600_000);
    gate.askExplicitly();
    assert.equal(gate.explicitPending, true);
    const ask = gate.latestExplicitAsk;
    assert.equal(gate.passPoll(), true);
    assert.equal(gate.explicitPending, false);
    gate.askExplicitly();
    gate.explicitAnswered(ask);
    assert.equal(gate.explicitPending, true, 'the second ask is not the first one\'s');
    set(1000);
    assert.equal(gate.passPoll(), false, 'within 15 s of the last explicit one');
    assert.ok(Math.abs(gate.pollOpenAt() - GAP) < 1);
  });

  it('Connect\'s check and the group list never answer a pending Refresh', () => {
    const { clock } = movingClock();
    const gate = new RequestGate(clock);
    gate.askExplicitly();
    assert.ok(gate.pass('explicit'));
    assert.equal(gate.explicitPending, true);
  });

  it('a new connection forgets the portal\'s wait and a pending ask, not the spacing', () => {
    const { clock, set } = movingClock();
    const gate = new RequestGate(clock);
    set(0);
    assert.ok(gate.pass('whenAllowed'));
    gate.answered(600_000);
    gate.askExplicitly();
    gate.newConnection();
    assert.equal(gate.explicitPending, false);
    assert.ok(Math.abs(gate.openAt('whenAllowed') - GAP) < 1);
  });

  it('waits for the gate on the clock, then passes', async () => {
    const { clock, timers } = fakeTime();
    const gate = new RequestGate(clock);
    assert.ok(gate.pass('explicit'));
    let passed = false;
    void gate.passWhenOpen('explicit').then(() => (passed = true));
    await timers.tickAsync(GAP - 1);
    assert.equal(passed, false);
    await timers.tickAsync(1);
    assert.equal(passed, true);
    assert.equal(gate.pass('explicit'), false, 'it counted');
  });

  it('spaces requests by the gap it is given, explicit ones and the poll\'s alike', () => {
    const { clock, set } = movingClock();
    const gate = new RequestGate(clock, 2500);
    assert.equal(gate.minGapMs, 2500);
    set(0);
    assert.ok(gate.pass('whenAllowed'));
    assert.ok(gate.pass('explicit'));
    set(2499);
    assert.equal(gate.pass('whenAllowed'), false, 'not within the gap');
    assert.equal(gate.pass('explicit'), false, 'nor an explicit one within the gap of the last explicit one');
    assert.ok(Math.abs(gate.openAt('whenAllowed') - 2500) < 1);
    set(2501);
    assert.equal(gate.passPoll(), true, 'well before 15 s');
    assert.equal(gate.pass('explicit'), true);
  });

  it('a gap below one second is one second; one that is not a finite number is the 15 s default', () => {
    const { clock } = movingClock();
    const cases: Array<[number, number]> = [
      [0, 1000], [-5000, 1000], [999, 1000], [1000, 1000], [1001, 1001], [600_000, 600_000],
      [NaN, GAP], [Infinity, GAP], [-Infinity, GAP],
    ];
    for (const [given, expected] of cases) {
      const gate = new RequestGate(clock, given);
      assert.equal(gate.minGapMs, expected, `given ${given}`);
      assert.ok(gate.pass('whenAllowed'));
      const passedAt = clock.monotonic();
      assert.ok(Math.abs(gate.openAt('whenAllowed') - (passedAt + expected)) < 1, `given ${given}: the next request ${expected} ms later`);
    }
    assert.equal(new RequestGate(clock).minGapMs, GAP, 'none given: 15 s');
  });

  it('counts on the monotonic clock: a wall clock jump changes nothing', () => {
    const { clock, timers } = fakeTime();
    const gate = new RequestGate(clock);
    assert.ok(gate.pass('whenAllowed'));
    timers.setSystemTime(clock.now() + 3600_000);
    assert.equal(gate.pass('whenAllowed'), false);
    timers.setSystemTime(clock.now() - 7200_000);
    assert.equal(gate.openAt('whenAllowed'), clock.monotonic() + GAP);
  });
});
