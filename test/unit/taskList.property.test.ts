/**
 * The batch command encoder against the sandbox's PHP `parse_str`: whatever the names and
 * values, PHP reads back exactly what was built, and nothing else.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeQuery, QueryParams } from '../../src/core/taskList';
import { parsePhpQuery } from '../sandbox/portal';
import { propertyRuns } from './propertyRuns';

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
