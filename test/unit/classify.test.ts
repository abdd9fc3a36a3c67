import assert from 'node:assert/strict';
import { classifyPortalError, classifyResponse, ClassifyContext, scopeOf } from '../../src/core/classify';
import { Failure, FailureKind, isRetryable, Outcome } from '../../src/core/outcome';
import { MAX_PORTAL_TEXT, sentence } from '../../src/core/portalText';
import { HttpResponse } from '../../src/core/transport';
import { WebhookUrl } from '../../src/core/webhookUrl';

const SECRET = 'classifysecret42';
const parsedWebhook = WebhookUrl.parse(`https://portal.bitrix24.com/rest/5/${SECRET}/`);
assert.ok(parsedWebhook.ok);
const webhook = parsedWebhook.webhook;

const NOW = Date.UTC(2025, 8, 26, 7, 30, 0);
const context: ClassifyContext = { now: NOW, method: 'tasks.task.counters.get', redact: (t) => webhook.redact(t) };

function response(status: number, body: unknown, extra: Partial<HttpResponse> = {}): HttpResponse {
  return {
    status,
    contentType: 'application/json; charset=utf-8',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...extra,
  };
}

function failure<T>(outcome: Outcome<T>): Failure {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  return (outcome as { ok: false; error: Failure }).error;
}

describe('classifyResponse', () => {
  describe('success', () => {
    it('returns the envelope of a 200 with result', () => {
      const body = { result: { expired: { counter: 1, code: 6291456 } }, total: 1, time: { operating: 0.5 } };
      const outcome = classifyResponse(response(200, body), context);
      assert.ok(outcome.ok);
      assert.deepEqual(outcome.value, body);
    });

    it('a result of `[]` is a success too', () => {
      const outcome = classifyResponse(response(200, { result: [], total: 0 }), context);
      assert.ok(outcome.ok);
      assert.deepEqual(outcome.value.result, []);
    });
  });

  describe('the error table: the code decides the kind', () => {
    const table: Array<[string, number, FailureKind]> = [
      ['NO_AUTH_FOUND', 401, 'auth'],
      ['INVALID_CREDENTIALS', 401, 'auth'],
      ['ACCESS_DENIED', 403, 'access'],
      ['insufficient_scope', 401, 'scope'],
      ['expired_token', 401, 'auth'],
      ['invalid_token', 401, 'auth'],
      ['user_access_error', 401, 'auth'],
      ['WRONG_AUTH_TYPE', 403, 'access'],
      ['INVALID_REQUEST', 400, 'auth'],
      ['ERROR_METHOD_NOT_FOUND', 404, 'badRequest'],
      ['PORTAL_DELETED', 403, 'auth'],
      ['OVERLOAD_LIMIT', 503, 'blocked'],
      ['OVERLOAD_LIMIT', 401, 'blocked'],
      ['QUERY_LIMIT_EXCEEDED', 503, 'rateLimited'],
      ['OPERATION_TIME_LIMIT', 429, 'rateLimited'],
      ['INTERNAL_SERVER_ERROR', 500, 'server'],
      ['ERROR_UNEXPECTED_ANSWER', 500, 'server'],
    ];
    for (const [code, status, kind] of table) {
      it(`${code} (HTTP ${status}) → ${kind}`, () => {
        const error = failure(classifyResponse(response(status, { error: code, error_description: 'text' }), context));
        assert.equal(error.kind, kind);
        assert.equal(error.code, code);
        assert.equal(error.status, status);
        assert.match(error.detail, new RegExp(`^${code}: text$`));
      });
    }

    // A batch command's error has no HTTP status of its own (the batch answers 200): the code
    // alone must decide, or the same error would be retried for a request and stop polling
    // inside a batch.
    for (const [code, status, kind] of table) {
      it(`${code} inside a batch (no status) → ${kind}, as for the whole request`, () => {
        const alone = failure(classifyResponse(response(status, { error: code, error_description: 'text' }), context));
        const inBatch = classifyPortalError({ error: code, error_description: 'text' }, context);
        assert.equal(inBatch.kind, kind);
        assert.equal(inBatch.limit, alone.limit);
        assert.equal(inBatch.missingScope, alone.missingScope);
        assert.equal(isRetryable(inBatch), isRetryable(alone));
      });
    }

    // Every status that would classify differently by itself: the code still decides.
    for (const [code, , kind] of table) {
      it(`${code} → ${kind} whatever the status (400, 401, 403, 429, 503)`, () => {
        for (const status of [400, 401, 403, 429, 503]) {
          const error = failure(classifyResponse(response(status, { error: code }), context));
          assert.equal(error.kind, kind, `HTTP ${status}`);
          assert.equal(error.status, status);
        }
      });
    }

    it('OVERLOAD_LIMIT stops polling: the block is manual, only Bitrix24 support lifts it', () => {
      const error = failure(classifyResponse(response(503, { error: 'OVERLOAD_LIMIT', error_description: 'REST API is blocked due to overload.' }), context));
      assert.equal(error.kind, 'blocked');
      assert.equal(isRetryable(error), false);
      assert.equal(error.retryAt, undefined);
    });

    it('the code wins over the status: INVALID_CREDENTIALS with 403 is auth, not access', () => {
      const error = failure(classifyResponse(response(403, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' }), context));
      assert.equal(error.kind, 'auth');
      assert.equal(error.status, 403);
    });

    it('insufficient_scope with 403 is scope, and names the method\'s scope', () => {
      const error = failure(classifyResponse(response(403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the webhook token' }), context));
      assert.equal(error.kind, 'scope');
      assert.equal(error.missingScope, 'task');
    });

    it('ACCESS_DENIED with 401 is access, not auth', () => {
      assert.equal(failure(classifyResponse(response(401, { error: 'ACCESS_DENIED' }), context)).kind, 'access');
    });

    it('codes are matched case-insensitively (the docs spell them both ways)', () => {
      assert.equal(failure(classifyResponse(response(401, { error: 'INSUFFICIENT_SCOPE' }), context)).kind, 'scope');
      assert.equal(failure(classifyResponse(response(401, { error: 'invalid_credentials' }), context)).kind, 'auth');
      assert.equal(failure(classifyResponse(response(401, { error: 'Expired_Token' }), context)).kind, 'auth');
    });

    it('an error without a description has the code as detail', () => {
      const error = failure(classifyResponse(response(401, { error: 'NO_AUTH_FOUND' }), context));
      assert.equal(error.detail, 'NO_AUTH_FOUND');
    });
  });

  describe('unknown codes fall back to the status', () => {
    const cases: Array<[number, FailureKind]> = [
      [400, 'badRequest'],
      [401, 'auth'],
      [403, 'access'],
      [404, 'badRequest'],
      [429, 'rateLimited'],
      [500, 'server'],
      [502, 'server'],
    ];
    for (const [status, kind] of cases) {
      it(`SOMETHING_NEW with HTTP ${status} → ${kind}`, () => {
        const error = failure(classifyResponse(response(status, { error: 'SOMETHING_NEW', error_description: 'huh' }), context));
        assert.equal(error.kind, kind);
        assert.equal(error.code, 'SOMETHING_NEW');
        assert.equal(error.status, status);
        assert.match(error.detail, /SOMETHING_NEW: huh/);
      });
    }

    it('a 4xx/5xx JSON answer without an error code still fails, by status', () => {
      assert.equal(failure(classifyResponse(response(401, { message: 'nope' }), context)).kind, 'auth');
      assert.equal(failure(classifyResponse(response(503, { result: 'x' }), context)).kind, 'server');
      assert.equal(failure(classifyResponse(response(403, { result: {} }), context)).kind, 'access');
    });

    it('a 400 JSON answer without an error code is a bad request, even with a result', () => {
      const error = failure(classifyResponse(response(400, { result: { expired: 1 } }), context));
      assert.equal(error.kind, 'badRequest');
      assert.equal(error.status, 400);
      assert.equal(error.detail, 'the portal answered HTTP 400 without an error code');
    });

    it('a 200 JSON object without `result` is not a success: not a Bitrix24 envelope', () => {
      const error = failure(classifyResponse(response(200, { hello: 'world' }), context));
      assert.equal(error.kind, 'notJson');
      assert.equal(error.status, 200);
      assert.equal(error.detail, 'the answer is JSON but not a Bitrix24 envelope (no result)');
    });
  });

  describe('the group-not-found answer `{"error":"0"}`', () => {
    it('is access, with the portal\'s text', () => {
      const error = failure(classifyResponse(response(400, { error: '0', error_description: 'Group not found or access denied. (internal error)' }), context));
      assert.equal(error.kind, 'access');
      assert.equal(error.code, '0');
      assert.equal(error.status, 400);
      assert.match(error.detail, /Group not found or access denied/);
      assert.equal(isRetryable(error), false);
    });

    it('is access inside a batch too (no status there)', () => {
      const error = classifyPortalError({ error: '0', error_description: 'Group not found or access denied. (internal error)' }, context);
      assert.equal(error.kind, 'access');
    });

    it('another "0" error is a bad request, not access', () => {
      const error = failure(classifyResponse(response(400, { error: '0', error_description: 'Argument #1 ($userId) must be of type int, string given' }), context));
      assert.equal(error.kind, 'badRequest');
    });
  });

  describe('rate limits', () => {
    it('QUERY_LIMIT_EXCEEDED with Retry-After seconds → retryAt now + seconds', () => {
      const error = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, { retryAfter: '7' }), context));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.limit, 'queryRate');
      assert.equal(error.retryAt, NOW + 7000);
      assert.equal(isRetryable(error), true);
    });

    it('QUERY_LIMIT_EXCEEDED with a Retry-After HTTP date → that time', () => {
      const at = new Date(NOW + 90_000).toUTCString();
      const error = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter: at }), context));
      assert.equal(error.retryAt, NOW + 90_000);
      assert.equal(error.limit, 'queryRate');
    });

    it('QUERY_LIMIT_EXCEEDED without (or with a garbled) Retry-After has no retryAt', () => {
      assert.equal(failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }), context)).retryAt, undefined);
      const garbled = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter: 'soon' }), context));
      assert.equal(garbled.retryAt, undefined);
      assert.equal(garbled.kind, 'rateLimited');
    });

    it('OPERATION_TIME_LIMIT with operating_reset_at (unix seconds) → retryAt in ms', () => {
      const error = failure(classifyResponse(response(429, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.', operating_reset_at: 1758868752 }), context));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.limit, 'operationTime');
      assert.equal(error.retryAt, 1758868752 * 1000);
    });

    it('OPERATION_TIME_LIMIT with operating_reset_at as a string', () => {
      const error = failure(classifyResponse(response(429, { error: 'OPERATION_TIME_LIMIT', operating_reset_at: '1758868752' }), context));
      assert.equal(error.retryAt, 1758868752000);
    });

    it('OPERATION_TIME_LIMIT ignores Retry-After and has no retryAt without operating_reset_at', () => {
      const error = failure(classifyResponse(response(429, { error: 'OPERATION_TIME_LIMIT' }, { retryAfter: '5' }), context));
      assert.equal(error.limit, 'operationTime');
      assert.equal(error.retryAt, undefined);
    });

    it('a time no clock can show is no retryAt (Retry-After: 1e13, operating_reset_at: 1e20)', () => {
      const far = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter: '1e13' }), context));
      assert.equal(far.retryAt, undefined);
      assert.equal(far.kind, 'rateLimited');
      const reset = failure(classifyResponse(response(429, { error: 'OPERATION_TIME_LIMIT', operating_reset_at: 1e20 }), context));
      assert.equal(reset.retryAt, undefined);
      const infinite = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter: 'Infinity' }), context));
      assert.equal(infinite.retryAt, undefined);
    });

    it('a bare 429 without a code is rate limited, by the query rate', () => {
      const error = failure(classifyResponse(response(429, '{}'), context));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.limit, 'queryRate');
    });

    it('Retry-After: 0 is now; an empty one is none', () => {
      const zero = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter: '0' }), context));
      assert.equal(zero.retryAt, NOW);
      const empty = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter: '' }), context));
      assert.equal(empty.retryAt, undefined);
    });

    it('a negative Retry-After is no retryAt (neither seconds nor a date, though Date.parse reads "-5" as May 2001)', () => {
      for (const retryAfter of ['-5', '-1', '-120']) {
        const error = failure(classifyResponse(response(503, { error: 'QUERY_LIMIT_EXCEEDED' }, { retryAfter }), context));
        assert.equal(error.retryAt, undefined, retryAfter);
        assert.equal(error.kind, 'rateLimited');
      }
    });

    it('operating_reset_at that is no time after 1970 (0, negative, empty, a boolean, a list, text) is no retryAt', () => {
      for (const reset of [0, -1758868752, '0', '-5', '', true, [1758868752], 'soon', null]) {
        const error = failure(classifyResponse(response(429, { error: 'OPERATION_TIME_LIMIT', operating_reset_at: reset }), context));
        assert.equal(error.retryAt, undefined, JSON.stringify(reset));
        assert.equal(error.limit, 'operationTime');
      }
    });
  });

  describe('answers that are not JSON', () => {
    it('an HTML login page with 200 → notJson, saying it is HTML', () => {
      const html = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>…</form></body></html>';
      const error = failure(classifyResponse(response(200, html, { contentType: 'text/html; charset=UTF-8' }), context));
      assert.equal(error.kind, 'notJson');
      assert.equal(error.status, 200);
      assert.match(error.detail, /HTML/);
      assert.match(error.detail, /text\/html/);
      assert.ok(!error.detail.includes('Sign in'), 'the page itself is not copied into the detail');
      assert.equal(isRetryable(error), true);
    });

    it('HTML sent as application/json is still recognised as HTML', () => {
      const error = failure(classifyResponse(response(200, '  <html><body>login</body></html>'), context));
      assert.equal(error.kind, 'notJson');
      assert.match(error.detail, /HTML/);
    });

    it('HTML is recognised by its first character after any white space, whatever the content type', () => {
      for (const body of ['<html><body>login</body></html>', '\n\t \r\n<!DOCTYPE html>']) {
        const error = failure(classifyResponse(response(200, body, { contentType: 'text/plain' }), context));
        assert.match(error.detail, /HTML page \(HTTP 200, text\/plain\)/, JSON.stringify(body));
      }
      const later = failure(classifyResponse(response(200, 'Service unavailable, see <a href="x">', { contentType: 'text/plain' }), context));
      assert.equal(later.kind, 'notJson');
      assert.match(later.detail, /not valid JSON \(HTTP 200, text\/plain\)/, 'a < further on is no HTML page');
    });

    it('cut-off JSON → notJson, saying it may be cut off', () => {
      const error = failure(classifyResponse(response(200, '{"result":{"expired":{"counter":1,'), context));
      assert.equal(error.kind, 'notJson');
      assert.match(error.detail, /not valid JSON/);
      assert.match(error.detail, /cut off/);
    });

    it('an empty body without a content type → notJson', () => {
      const error = failure(classifyResponse(response(200, '', { contentType: '' }), context));
      assert.equal(error.kind, 'notJson');
      assert.match(error.detail, /no content type/);
    });

    it('JSON that is not an object (array, string, null) → notJson', () => {
      for (const body of ['[]', '"ok"', 'null', '42']) {
        assert.equal(failure(classifyResponse(response(200, body), context)).kind, 'notJson', body);
      }
    });

    it('a 5xx HTML page → server, not notJson', () => {
      for (const status of [500, 502, 503, 504]) {
        const error = failure(classifyResponse(response(status, '<html><body>Bad Gateway</body></html>', { contentType: 'text/html' }), context));
        assert.equal(error.kind, 'server', String(status));
        assert.equal(error.status, status);
        assert.equal(error.detail, `the portal answered HTTP ${status}`);
        assert.equal(isRetryable(error), true);
      }
    });
  });

  describe('the secret never gets into a failure', () => {
    it('an echoed webhook URL in error_description is redacted', () => {
      const echoed = `Unknown method at https://portal.bitrix24.com/rest/5/${SECRET}/tasks.task.counters.get (secret ${SECRET})`;
      const error = failure(classifyResponse(response(400, { error: 'SOMETHING_NEW', error_description: echoed }), context));
      const text = JSON.stringify(error);
      assert.ok(!text.includes(SECRET), text);
      assert.match(error.detail, /\/rest\/5\/•••\/tasks\.task\.counters\.get/);
    });

    it('redaction happens before the description is shortened (no half-secret left)', () => {
      const echoed = 'x'.repeat(290) + SECRET + 'y'.repeat(50);
      const error = failure(classifyResponse(response(401, { error: 'INVALID_CREDENTIALS', error_description: echoed }), context));
      assert.ok(!error.detail.includes(SECRET.slice(0, 8)), error.detail);
      assert.ok(error.detail.length <= MAX_PORTAL_TEXT);
    });

    it('the error code is the portal\'s text too: redacted, one line, capped', () => {
      const code = `QUERY_LIMIT_EXCEEDED\n${SECRET}${'z'.repeat(5000)}`;
      const error = failure(classifyResponse(response(400, { error: code, error_description: 'd' }), context));
      assert.ok(!JSON.stringify(error).includes(SECRET));
      assert.ok(error.code!.startsWith('QUERY_LIMIT_EXCEEDED •••z'), error.code);
      assert.ok(error.code!.length <= MAX_PORTAL_TEXT && error.detail.length <= MAX_PORTAL_TEXT);
      assert.equal(error.kind, 'badRequest', 'only the exact code is a rate limit');
    });

    it('a content type the portal sends is capped in the detail', () => {
      const error = failure(classifyResponse(response(200, '<html>', { contentType: `text/${'h'.repeat(5000)}\n${SECRET}` }), context));
      assert.equal(error.kind, 'notJson');
      assert.ok(error.detail.length < 2 * MAX_PORTAL_TEXT, error.detail);
      assert.ok(!error.detail.includes(SECRET));
    });

    it('redacted in a batch command\'s error too', () => {
      const error = classifyPortalError({ error: 'ACCESS_DENIED', error_description: `denied for ${SECRET}` }, context);
      assert.ok(!JSON.stringify(error).includes(SECRET));
      assert.equal(error.kind, 'access');
    });
  });
});

describe('classifyPortalError (batch commands: no status)', () => {
  it('an unknown code without a status is a bad request', () => {
    const error = classifyPortalError({ error: 'SOMETHING', error_description: 'x' }, context);
    assert.equal(error.kind, 'badRequest');
    assert.equal(error.status, undefined);
  });

  it('insufficient_scope names the scope of the command\'s method', () => {
    assert.equal(classifyPortalError({ error: 'insufficient_scope' }, { ...context, method: 'sonet_group.user.groups' }).missingScope, 'sonet');
    assert.equal(classifyPortalError({ error: 'insufficient_scope' }, { ...context, method: 'user.current' }).missingScope, 'user');
    assert.equal(classifyPortalError({ error: 'insufficient_scope' }, { ...context, method: 'tasks.task.counters.get' }).missingScope, 'task');
    const unknown = classifyPortalError({ error: 'insufficient_scope' }, { ...context, method: 'profile' });
    assert.equal(unknown.kind, 'scope');
    assert.equal(unknown.missingScope, undefined);
  });

  it('QUERY_LIMIT_EXCEEDED uses the Retry-After passed in', () => {
    const error = classifyPortalError({ error: 'QUERY_LIMIT_EXCEEDED' }, { ...context, status: 503, retryAfter: '2' });
    assert.equal(error.retryAt, NOW + 2000);
  });
});

describe('scopeOf', () => {
  it('maps method prefixes to scopes', () => {
    assert.equal(scopeOf('tasks.task.counters.get'), 'task');
    assert.equal(scopeOf('sonet_group.get'), 'sonet');
    assert.equal(scopeOf('user.current'), 'user');
    assert.equal(scopeOf('profile'), undefined);
    assert.equal(scopeOf('batch'), undefined);
  });
});

describe('isRetryable', () => {
  it('only waiting-helps kinds are retryable', () => {
    const retryable: FailureKind[] = ['rateLimited', 'network', 'notJson', 'server', 'tooLarge'];
    const final: FailureKind[] = ['auth', 'scope', 'access', 'blocked', 'badRequest', 'redirected'];
    for (const kind of retryable) assert.equal(isRetryable({ kind, detail: sentence`` }), true, kind);
    for (const kind of final) assert.equal(isRetryable({ kind, detail: sentence`` }), false, kind);
  });
});
