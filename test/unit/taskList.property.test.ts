/**
 * The batch command encoder against the sandbox's PHP `parse_str`: whatever the names and
 * values, PHP reads back exactly what was built, and nothing else. And the answer: whatever
 * rows `tasks.task.list` sends (titles, responsibles and group names quoting the webhook URL
 * or beginning like a command link, odd ids, counts past 2^53), the page holds portal text
 * only as cleaned text without the secret, each task once under a positive safe id, and
 * safe integer counts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_PORTAL_TEXT } from '../../src/core/portalText';
import { encodeQuery, parseTaskPage, QueryParams, TASK_PAGE_SIZE } from '../../src/core/taskList';
import { parsePhpQuery } from '../sandbox/portal';
import { propertyRuns } from './propertyRuns';
import { webhookOf } from './support';

/** What a query string, PHP or a URL gives a meaning to, mixed into any Unicode. */
const unit = fc.oneof(
  fc.constantFrom('&', '=', '[', ']', '%', '%25', '%5B', '#', '+', '<', '>', '?', ' ', '.', '!', ':', '\0', '\n', ';'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.string({ unit, maxLength: 12 });

/** The sandbox refuses these names, as a JS object guard; PHP would not. */
const JS_GUARDED = new Set(['__proto__', 'constructor', 'prototype']);

function params(name: fc.Arbitrary<string>, topName: fc.Arbitrary<string>): fc.Arbitrary<QueryParams> {
  const { node } = fc.letrec<{ node: QueryParams }>((tie) => ({
    node: fc.dictionary(name, fc.oneof({ maxDepth: 3, depthIdentifier: 'params' }, text, tie('node')), {
      minKeys: 1,
      maxKeys: 4,
      noNullPrototype: true,
    }),
  }));
  return fc.dictionary(topName, fc.oneof(text, node), { maxKeys: 5, noNullPrototype: true });
}

/** Names as they come, any character. */
const anyName = text.filter((name) => !JS_GUARDED.has(name));

/** Names PHP can carry: no brackets or NUL, not empty; at the top level no spaces or dots either. */
const nestedName = anyName.map((name) => name.replace(/[[\]\0]/g, '')).filter((name) => name !== '' && !JS_GUARDED.has(name));
const topName = nestedName.map((name) => name.replace(/[ .]/g, '')).filter((name) => name !== '' && !JS_GUARDED.has(name));

function leaves(value: QueryParams | string): number {
  return typeof value === 'string' ? 1 : Object.values(value).reduce<number>((sum, child) => sum + leaves(child as QueryParams | string), 0);
}

describe('encodeQuery (property)', () => {
  it('PHP parses back exactly the parameters that were encoded', () => {
    fc.assert(
      fc.property(params(nestedName, topName), (p) => {
        assert.deepEqual(parsePhpQuery(encodeQuery(p)), p);
      }),
      propertyRuns(300),
    );
  });

  it('one pair per value, one `=` per pair: nothing in a name or value starts another', () => {
    fc.assert(
      fc.property(params(nestedName, topName), (p) => {
        const query = encodeQuery(p);
        const pairs = query === '' ? [] : query.split('&');
        assert.equal(pairs.length, leaves(p));
        for (const pair of pairs) {
          assert.equal(pair.split('=').length, 2, pair);
          assert.doesNotMatch(pair, /[\s#+<>?\0]|%(?![0-9A-F]{2})/u, pair);
        }
      }),
      propertyRuns(300),
    );
  });

  it('any names: either refused as a RangeError or read back exactly', () => {
    fc.assert(
      fc.property(params(anyName, anyName), (p) => {
        let query: string;
        try {
          query = encodeQuery(p);
        } catch (error) {
          assert.ok(error instanceof RangeError, String(error));
          return;
        }
        assert.deepEqual(parsePhpQuery(query), p);
      }),
      propertyRuns(300),
    );
  });
});

describe('parseTaskPage (property)', () => {
  const SECRET = 'listpropertysecret5';
  const webhook = webhookOf(`https://portal.bitrix24.com/rest/7/${SECRET}/`);
  const piece = fc.constantFrom(
    SECRET, SECRET.toUpperCase(), webhook.reveal(), '(command:bitrix24Tasks.disconnect)', '[x](command:a)', '$(zap)', '\u202E', '\n', '\u0000',
    'Анна', ' ', 'x',
  );
  const text = fc.oneof(
    fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
    fc.tuple(fc.constant('(command:bitrix24Tasks.connect)'), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
    fc.string({ unit: 'binary', maxLength: 300 }),
  );
  const number = fc.oneof(
    fc.integer({ min: 0, max: 60 }),
    fc.constantFrom(-1, 0.5, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, Number.MAX_VALUE),
    fc.integer({ min: 0, max: 60 }).map(String),
    fc.constantFrom('99999999999999999999', '1e308', 'abc', '//evil.example/x'),
  );
  const named = fc.record({ id: number, name: text }, { requiredKeys: [] });
  const row = fc.record(
    {
      id: number,
      title: text,
      status: fc.constantFrom('2', '3', 2, 'x'),
      responsibleId: number,
      responsible: named,
      groupId: number,
      group: fc.oneof(named, fc.constant([])),
      counter: fc.record({ counters: fc.record({ newComments: number }) }),
    },
    { requiredKeys: [] },
  );

  it('no secret in any case, text cleaned and capped, each task once under a positive safe id, safe counts', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 70 }), number, (rows, total) => {
        const page = parseTaskPage({ tasks: rows }, total, webhook.redact);
        if (!page.ok) return; // a total not understood fails the list (its own test)
        const json = JSON.stringify(page.value);
        assert.ok(!json.toLowerCase().includes(SECRET.toLowerCase()), json.slice(0, 300));
        const { tasks } = page.value;
        assert.ok(tasks.length <= TASK_PAGE_SIZE);
        assert.equal(new Set(tasks.map((task) => task.id)).size, tasks.length, 'each task once');
        for (const task of tasks) {
          assert.ok(Number.isSafeInteger(task.id) && task.id > 0, String(task.id));
          for (const shown of [task.title, task.responsible?.name ?? '', task.group?.name ?? '']) {
            assert.ok(shown.length <= MAX_PORTAL_TEXT);
            assert.doesNotMatch(shown, /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u);
          }
          for (const id of [task.responsible?.id, task.group?.id]) assert.ok(id === undefined || (Number.isSafeInteger(id) && id > 0));
          assert.ok(task.unreadComments === undefined || Number.isSafeInteger(task.unreadComments));
        }
        assert.ok(Number.isSafeInteger(page.value.total) && page.value.total >= tasks.length, String(page.value.total));
      }),
      propertyRuns(300),
    );
  });
});

describe('parseTaskPage: an example the property found (against the code before PortalText)', () => {
  it('a title that is the secret alone is redacted', () => {
    const webhook = webhookOf('https://portal.bitrix24.com/rest/7/listpropertysecret5/');
    const page = parseTaskPage({ tasks: [{ id: Number.MAX_SAFE_INTEGER, title: 'listpropertysecret5', status: '2' }] }, '0', webhook.redact);
    assert.ok(page.ok);
    assert.deepEqual(page.value.tasks.map((task) => [task.id, task.title]), [[Number.MAX_SAFE_INTEGER, '•••']]);
  });
});
