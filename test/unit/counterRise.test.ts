import * as assert from 'node:assert/strict';
import { RiseWatch } from '../../src/core/counterRise';
import { parseCounterSet } from '../../src/core/counters';
import { CountersSnapshot, Filters } from '../../src/core/countersState';
import { testRedact } from './support';

const FILTERS: Filters = { role: 'view_all', userId: 0, groupId: 0 };
const CONNECTED = {
  kind: 'connected',
  portal: 'https://portal.example',
  webhookUserId: 1,
  redacted: 'https://portal.example/rest/1/•••/',
  source: 'stored',
} as const;

function answer(expired: number, comments: number, updatedAt: number, filters = FILTERS): CountersSnapshot {
  const counters = parseCounterSet({
    expired: { counter: expired, code: 6291456 },
    new_comments: { counter: comments, code: 12582912 },
  }, testRedact)!;
  return { connection: CONNECTED, filters, counters, updatedAt, loading: false, halted: false };
}

describe('RiseWatch', () => {
  it('takes the first answer as the baseline, not as a rise', () => {
    const watch = new RiseWatch();
    assert.deepEqual(watch.observe(answer(5, 9, 1)), []);
  });

  it('reports each watched counter that went up, with from and to', () => {
    const watch = new RiseWatch();
    watch.observe(answer(1, 2, 1));
    assert.deepEqual(watch.observe(answer(3, 2, 2)), [{ name: 'expired', from: 1, to: 3 }]);
    assert.deepEqual(watch.observe(answer(4, 5, 3)), [
      { name: 'expired', from: 3, to: 4 },
      { name: 'new_comments', from: 2, to: 5 },
    ]);
  });

  it('ignores falls and the same answer rendered again', () => {
    const watch = new RiseWatch();
    watch.observe(answer(3, 3, 1));
    assert.deepEqual(watch.observe(answer(1, 0, 2)), []);
    const later = answer(2, 1, 3);
    assert.equal(watch.observe(later).length, 2);
    assert.deepEqual(watch.observe(later), [], 'a re-render of one answer is not another rise');
  });

  it('starts over after a filter change or a reconnect', () => {
    const watch = new RiseWatch();
    watch.observe(answer(1, 1, 1));
    assert.deepEqual(watch.observe(answer(9, 9, 2, { ...FILTERS, groupId: 7 })), [], 'another group is a new baseline');
    watch.observe({ ...answer(0, 0, 3), connection: { kind: 'disconnected' } });
    assert.deepEqual(watch.observe(answer(9, 9, 4, { ...FILTERS, groupId: 7 })), [], 'after a reconnect: baseline again');
  });

  it('does not count an error or missing numbers as an answer', () => {
    const watch = new RiseWatch();
    watch.observe(answer(1, 1, 1));
    assert.deepEqual(watch.observe({ ...answer(1, 1, 1), counters: undefined }), []);
    assert.deepEqual(watch.observe(answer(2, 1, 2)), [{ name: 'expired', from: 1, to: 2 }]);
  });
});
