import assert from 'node:assert/strict';
import {
  attentionCount,
  COUNTER_CODES,
  countOf,
  CounterSet,
  isRole,
  MAX_SHOWN_COUNTERS,
  NO_VISIBLE_COUNTERS,
  parseCounterSet,
  ROLES,
  shownCounters,
} from '../../src/core/counters';
import { MAX_PORTAL_TEXT } from '../../src/core/portalText';
import { testRedact } from './support';

function counts(set: CounterSet): Array<[string, number]> {
  return set.counters.map((c) => [c.name, c.count]);
}

function parsed(result: unknown): CounterSet {
  const set = parseCounterSet(result, testRedact);
  assert.ok(set, `expected ${JSON.stringify(result)} to parse`);
  return set;
}

describe('parseCounterSet', () => {
  it('reads the documented answer', () => {
    const set = parsed({ expired: { counter: 1, code: 6291456 }, new_comments: { counter: 7, code: 12582912 } });
    assert.deepEqual(set, {
      counters: [
        { name: 'expired', count: 1, code: 6291456 },
        { name: 'new_comments', count: 7, code: 12582912 },
      ],
      total: 8,
      visible: true,
    });
  });

  it('reads the whole envelope\'s result, ignoring the envelope total', () => {
    const envelope = JSON.parse(
      '{"result":{"expired":{"counter":4,"code":6291456},"new_comments":{"counter":5,"code":12582912}},"total":1,' +
        '"time":{"start":1758868152,"finish":1758868152.93,"duration":0.93,"operating_reset_at":1758868752,"operating":0}}',
    );
    const set = parsed(envelope.result);
    assert.equal(set.total, 9);
    assert.notEqual(set.total, envelope.total);
  });

  it('total is the sum of every counter, unknown ones included', () => {
    const set = parsed({
      expired: { counter: 2, code: 6291456 },
      new_comments: { counter: 3, code: 12582912 },
      mentioned: { counter: 4, code: 15728640 },
      wo_deadline: { counter: 10, code: 10485760 },
    });
    assert.equal(set.total, 19);
  });

  it('`[]` (PHP\'s empty array) is a normal "nothing visible" answer', () => {
    const set = parsed([]);
    assert.equal(set.visible, false);
    assert.deepEqual(set.counters, []);
    assert.equal(set.total, 0);
    assert.deepEqual(set, NO_VISIBLE_COUNTERS);
  });

  it('an empty object is visible with no counters (not the same as `[]`)', () => {
    assert.deepEqual(parsed({}), { counters: [], total: 0, visible: true });
  });

  it('keeps unknown counter names with their code, after the known ones, alphabetically', () => {
    const set = parsed({
      zeta_new: { counter: 1, code: 777 },
      new_comments: { counter: 2, code: 12582912 },
      alpha_new: { counter: 3, code: 555 },
      mentioned: { counter: 0, code: 15728640 },
      expired: { counter: 5, code: 6291456 },
    });
    assert.deepEqual(
      set.counters.map((c) => [c.name, c.count, c.code]),
      [
        ['expired', 5, 6291456],
        ['new_comments', 2, 12582912],
        ['mentioned', 0, 15728640],
        ['alpha_new', 3, 555],
        ['zeta_new', 1, 777],
      ],
    );
  });

  it('old portal names are shown too, sorted by name after the known ones', () => {
    const set = parsed({
      wait_ctrl: { counter: 1, code: 8388608 },
      not_viewed: { counter: 2, code: 1048576 },
      expired_soon: { counter: 3, code: 9437184 },
      expired: { counter: 4, code: 6291456 },
    });
    assert.deepEqual(set.counters.map((c) => c.name), ['expired', 'expired_soon', 'not_viewed', 'wait_ctrl']);
    assert.equal(set.total, 10);
  });

  it('names the extension knows come before names it does not, however those sort', () => {
    const set = parsed({ aaa: { counter: 1 }, wait_ctrl: { counter: 2 }, '!first': { counter: 3 }, expired: { counter: 4 } });
    assert.deepEqual(set.counters.map((c) => c.name), ['expired', 'wait_ctrl', '!first', 'aaa']);
  });

  it('a name is the portal\'s text: one line, the secret redacted, capped', () => {
    const redact = (text: string) => text.replaceAll('countersecret9', '•••');
    const long = 'n'.repeat(5000);
    const set = parseCounterSet({ 'two\nlines': { counter: 1 }, 'has countersecret9': { counter: 2 }, [long]: { counter: 3 } }, redact);
    assert.ok(set);
    assert.deepEqual(set.counters.map((c) => c.name.length <= MAX_PORTAL_TEXT), [true, true, true]);
    assert.deepEqual(set.counters.slice(0, 2).map((c) => c.name), ['has •••', `${'n'.repeat(MAX_PORTAL_TEXT - 1)}…`]);
    assert.equal(set.counters[2].name, 'two lines');
  });

  it('names that read the same once cleaned are one counter, their counts added', () => {
    const set = parsed({ 'a\nb': { counter: 1, code: 5 }, 'a\tb': { counter: 2, code: 6 }, 'a b': { counter: 4 } });
    assert.deepEqual(set.counters, [{ name: 'a b', count: 7, code: 5 }]);
    assert.equal(set.total, 7);
  });

  it('counts past 2^53 saturate at Number.MAX_SAFE_INTEGER, and so do their sums: never Infinity, never null in a file', () => {
    const MAX = Number.MAX_SAFE_INTEGER;
    const set = parsed({
      expired: { counter: 1e308 },
      new_comments: { counter: 1e308 },
      mentioned: { counter: '99999999999999999999' },
      'a\nb': { counter: 2 ** 53 },
      'a b': { counter: MAX },
      near: { counter: MAX - 1 },
    });
    assert.deepEqual(counts(set), [['expired', MAX], ['new_comments', MAX], ['mentioned', MAX], ['a b', MAX], ['near', MAX - 1]]);
    assert.equal(set.total, MAX);
    assert.equal(attentionCount(set), MAX);
    assert.equal(JSON.parse(JSON.stringify(set)).total, MAX);
  });

  it('a code past 2^53 is no code: the table\'s, or 0', () => {
    const set = parsed({ expired: { counter: 1, code: 1e308 }, mystery: { counter: 1, code: 2 ** 53 } });
    assert.deepEqual(set.counters.map((c) => c.code), [COUNTER_CODES.expired, 0]);
  });

  it('reads numbers sent as strings', () => {
    const set = parsed({ expired: { counter: '3', code: '6291456' }, new_comments: { counter: ' 12 ', code: 12582912 } });
    assert.deepEqual(set.counters, [
      { name: 'expired', count: 3, code: 6291456 },
      { name: 'new_comments', count: 12, code: 12582912 },
    ]);
    assert.equal(set.total, 15);
  });

  it('takes a known counter\'s code from the table when the portal sends none, 0 for an unknown one', () => {
    const set = parsed({ expired: { counter: 1 }, new_comments: { counter: 2, code: null }, brand_new: { counter: 3 } });
    assert.deepEqual(set.counters, [
      { name: 'expired', count: 1, code: COUNTER_CODES.expired },
      { name: 'new_comments', count: 2, code: COUNTER_CODES.new_comments },
      { name: 'brand_new', count: 3, code: 0 },
    ]);
  });

  it('a counter named like an Object.prototype member still gets a numeric code', () => {
    const set = parsed(JSON.parse('{"constructor":{"counter":1},"toString":{"counter":2},"__proto__":{"counter":3}}'));
    for (const counter of set.counters) {
      assert.equal(typeof counter.code, 'number', counter.name);
      assert.equal(counter.code, 0, counter.name);
    }
    assert.equal(set.total, 6);
  });

  describe('malformed answers are undefined (the client turns them into a failure)', () => {
    const cases: Array<[string, unknown]> = [
      ['null', null],
      ['undefined', undefined],
      ['a number', 1],
      ['a string', 'expired'],
      ['a non-empty array', [{ counter: 1 }]],
      ['a counter that is a number, not an object', { expired: 3 }],
      ['a counter that is null', { expired: null }],
      ['a counter without a count', { expired: { code: 6291456 } }],
      ['a negative count', { expired: { counter: -1, code: 6291456 } }],
      ['a fractional count', { expired: { counter: 1.5, code: 6291456 } }],
      ['a non-numeric string count', { expired: { counter: 'many', code: 6291456 } }],
      ['an empty string count', { expired: { counter: '', code: 6291456 } }],
      ['a boolean count', { expired: { counter: true, code: 6291456 } }],
      ['one bad counter among good ones', { expired: { counter: 1, code: 6291456 }, new_comments: { counter: 'x' } }],
    ];
    for (const [name, value] of cases) {
      it(name, () => {
        assert.equal(parseCounterSet(value, testRedact), undefined);
      });
    }
  });

  it('a bad code falls back to the table instead of failing the counter', () => {
    const set = parsed({ expired: { counter: 1, code: 'nope' }, mystery: { counter: 2, code: -5 } });
    assert.deepEqual(set.counters, [
      { name: 'expired', count: 1, code: 6291456 },
      { name: 'mystery', count: 2, code: 0 },
    ]);
  });
});

describe('shownCounters', () => {
  it('lists the first MAX_SHOWN_COUNTERS in display order and says how many more', () => {
    const result = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`c${i}`, { counter: 1 }]));
    result.new_comments = { counter: 5 };
    result.expired = { counter: 2 };
    const set = parsed(result);
    const { shown, more } = shownCounters(set.counters);
    assert.equal(shown.length, MAX_SHOWN_COUNTERS);
    assert.deepEqual(shown.slice(0, 2).map((c) => c.name), ['expired', 'new_comments']);
    assert.equal(more, 40_002 - MAX_SHOWN_COUNTERS);
    assert.equal(set.total, 40_007, 'the model keeps them all');
  });

  it('nothing more when everything fits', () => {
    const set = parsed({ expired: { counter: 1 }, new_comments: { counter: 2 } });
    assert.deepEqual(shownCounters(set.counters), { shown: set.counters, more: 0 });
  });
});

describe('attentionCount and countOf', () => {
  it('the badge is overdue plus new comments, nothing else', () => {
    const set = parsed({
      expired: { counter: 2, code: 6291456 },
      new_comments: { counter: 5, code: 12582912 },
      mentioned: { counter: 100, code: 15728640 },
      wo_deadline: { counter: 1000, code: 10485760 },
    });
    assert.equal(attentionCount(set), 7);
    assert.equal(set.total, 1107);
  });

  it('a missing counter counts as 0', () => {
    assert.equal(attentionCount(parsed({ new_comments: { counter: 4, code: 12582912 } })), 4);
    assert.equal(attentionCount(parsed({ expired: { counter: 6, code: 6291456 } })), 6);
    assert.equal(attentionCount(NO_VISIBLE_COUNTERS), 0);
    assert.equal(countOf(parsed({ expired: { counter: 6 } }), 'new_comments'), 0);
  });

  it('countOf finds a counter by name, unknown names included', () => {
    const set = parsed({ expired: { counter: 6 }, brand_new: { counter: 9, code: 1 } });
    assert.equal(countOf(set, 'expired'), 6);
    assert.equal(countOf(set, 'brand_new'), 9);
  });
});

describe('roles', () => {
  it('lists the five roles, view_all first', () => {
    assert.deepEqual([...ROLES], [
      'view_all',
      'view_role_responsible',
      'view_role_accomplice',
      'view_role_auditor',
      'view_role_originator',
    ]);
  });

  it('isRole accepts exactly those', () => {
    for (const role of ROLES) assert.equal(isRole(role), true);
    for (const value of ['VIEW_ALL', 'view_role_owner', '', undefined, 1, null]) assert.equal(isRole(value), false, String(value));
  });

  it('the code table matches the documented bit patterns', () => {
    assert.equal(COUNTER_CODES.expired, 6291456);
    assert.equal(COUNTER_CODES.new_comments, 12582912);
    assert.equal(COUNTER_CODES.mentioned, 15728640);
    assert.equal(COUNTER_CODES.not_viewed, 1048576);
    assert.equal(COUNTER_CODES.wait_ctrl, 8388608);
    assert.equal(COUNTER_CODES.expired_soon, 9437184);
    assert.equal(COUNTER_CODES.wo_deadline, 10485760);
  });
});
