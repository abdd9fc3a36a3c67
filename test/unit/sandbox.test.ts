/**
 * Tests of the sandbox portal itself, where it stands for Bitrix24: what a portal answers, to
 * whom, in which shape, and with which faults; real HTTP against a started portal.
 */
import * as assert from 'node:assert/strict';
import { resolveBatchReferences } from '../sandbox/batchReferences';
import { LeakyBucket } from '../sandbox/leakyBucket';
import { DEFAULT_USERS, FaultKind, parsePhpQuery, ROLES, SandboxPortal } from '../sandbox/portal';
import { call, postJson, request, withPortal } from './sandboxHttp';

const TIME_KEYS = [
  'start',
  'finish',
  'duration',
  'processing',
  'date_start',
  'date_finish',
  'operating_reset_at',
  'operating',
];

describe('LeakyBucket', () => {
  it('passes a burst, then refuses without pouring', () => {
    const bucket = new LeakyBucket({ burst: 3, perSecond: 2 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => bucket.tryTake(0)), [true, true, true, false, false]);
    assert.equal(bucket.level(0), 3);
  });

  it('drains perSecond and admits again', () => {
    const bucket = new LeakyBucket({ burst: 2, perSecond: 2 });
    bucket.tryTake(0);
    bucket.tryTake(0);
    assert.equal(bucket.tryTake(100), false);
    assert.equal(bucket.msUntilFree(100), 400);
    assert.equal(bucket.tryTake(500), true);
    assert.equal(bucket.tryTake(500), false);
    assert.equal(bucket.level(1500), 0);
    assert.equal(bucket.msUntilFree(1500), 0);
  });

  it('is deterministic with virtual time and ignores time going backwards', () => {
    const bucket = new LeakyBucket({ burst: 50, perSecond: 2 });
    for (let i = 0; i < 50; i++) assert.equal(bucket.tryTake(10_000), true);
    assert.equal(bucket.tryTake(9_000), false);
    assert.equal(bucket.level(9_000), 50);
    assert.equal(bucket.tryTake(10_500), true);
  });

});

describe('parsePhpQuery', () => {
  it('parses scalars, nested keys, appends and form encoding', () => {
    assert.deepEqual(parsePhpQuery('type=view_role_auditor&groupId=7&filter[ROLE]=x&ids[]=1&ids[]=2&q=a+b%20c&flag'), {
      type: 'view_role_auditor',
      groupId: '7',
      filter: { ROLE: 'x' },
      ids: { '0': '1', '1': '2' },
      q: 'a b c',
      flag: '',
    });
  });

});

describe('resolveBatchReferences', () => {
  const earlier = {
    result: { t: { task: { id: '5', chatId: 42, title: 'T', none: null } }, list: { tasks: [{ id: '7' }] } },
    next: {},
    total: { list: 3 },
    time: {},
    error: { bad: { error: 'ACCESS_ERROR', error_description: 'No' } },
  };

  it('replaces a reference inside a text by the number or string it names, in nested parameters too', () => {
    assert.deepEqual(
      resolveBatchReferences({ DIALOG_ID: 'chat$result[t][task][chatId]', LIMIT: '50', filter: { ID: 'x$result[list][tasks][0][id]', E: 'e:$error[bad][error]' } }, earlier),
      { DIALOG_ID: 'chat42', LIMIT: '50', filter: { ID: 'x7', E: 'e:ACCESS_ERROR' } },
    );
    assert.deepEqual(resolveBatchReferences({ n: 'total $total[list] of $result[list][tasks][0][id]' }, earlier), { n: 'total 3 of 7' });
  });

  it('leaves a reference inside a text as written where the walk stops at a map or null', () => {
    for (const text of ['chat$result[t][task][missing]', 'chat$result[t][task][none]', 'chat$result[later][task][chatId]', 'chat$RESULT[t][task][chatId]']) {
      assert.deepEqual(resolveBatchReferences({ DIALOG_ID: text }, earlier), { DIALOG_ID: text });
    }
  });

  it('makes a parameter that is a reference alone the value the walk stopped at, whatever it is', () => {
    assert.deepEqual(resolveBatchReferences({ taskId: '$result[list][tasks][0][id]' }, earlier), { taskId: '7' });
    assert.deepEqual(resolveBatchReferences({ chat: '$result[t][task][chatId]' }, earlier), { chat: 42 });
    // A missing step stops at the last value found: the task, or the whole section for a command not answered.
    assert.deepEqual(resolveBatchReferences({ x: '$result[t][task][missing]' }, earlier), { x: earlier.result.t.task });
    assert.deepEqual(resolveBatchReferences({ x: '$result[later][id]' }, earlier), { x: earlier.result });
    // The section is looked up as written.
    assert.deepEqual(resolveBatchReferences({ x: '$Result[t]' }, earlier), { x: null });
  });

  it('reads what the reference spells to the next white space, and leaves text without a step alone', () => {
    // The server's pattern runs to the next white space: text after the reference goes with it.
    assert.deepEqual(resolveBatchReferences({ a: 'chat$result[t][task][chatId]tail', b: '$result', c: 'cost: $5' }, earlier), {
      a: 'chat42',
      b: '$result',
      c: 'cost: $5',
    });
  });
});

describe('SandboxPortal', () => {
  let portal: SandboxPortal;

  beforeEach(async () => {
    portal = await SandboxPortal.start();
  });

  afterEach(async () => {
    await portal.close();
  });

  describe('webhooks and routing', () => {
    it('serves on 127.0.0.1 with a webhook URL per user', () => {
      assert.match(portal.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(portal.webhookUrl(1), `${portal.origin}/rest/1/sandboxsecret0001/`);
      assert.throws(() => portal.webhookUrl(99), RangeError);
    });

    it('answers METHOD and METHOD.json, POST with JSON or a form, and GET with a query string', async () => {
      const viaJson = await call(portal, 1, 'profile.json');
      const viaForm = await request(portal.webhookUrl(1) + 'tasks.task.counters.get', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'type=VIEW_ROLE_RESPONSIBLE',
      });
      const viaGet = await request(`${portal.webhookUrl(1)}tasks.task.counters.get?type=view_role_responsible`);
      assert.equal(viaJson.status, 200);
      assert.equal(viaJson.json.result.NAME, 'Anna');
      assert.equal(viaForm.json.result.expired.counter, 1);
      assert.deepEqual(viaGet.json.result, viaForm.json.result);
    });

    it('answers INVALID_CREDENTIALS for an unknown secret or user', async () => {
      for (const path of ['/rest/1/wrongsecret/profile', '/rest/99/sandboxsecret0001/profile']) {
        const wire = await postJson(portal.origin + path);
        assert.equal(wire.status, 401);
        assert.deepEqual(wire.json, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
      }
    });

    it('answers NO_AUTH_FOUND without credentials in the path', async () => {
      const wire = await postJson(`${portal.origin}/rest/profile`);
      assert.equal(wire.status, 401);
      assert.deepEqual(wire.json, { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
    });

    it('answers ERROR_METHOD_NOT_FOUND for an unknown method', async () => {
      const wire = await call(portal, 1, 'tasks.task.nothing');
      assert.equal(wire.status, 404);
      assert.deepEqual(wire.json, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
    });

    it('treats a revoked webhook as invalid, and addUser brings it back', async () => {
      portal.revokeWebhook(1);
      assert.equal((await call(portal, 1, 'profile')).json.error, 'INVALID_CREDENTIALS');
      portal.addUser({ ...DEFAULT_USERS[0], secret: 'freshsecret1' });
      assert.equal(portal.webhookUrl(1), `${portal.origin}/rest/1/freshsecret1/`);
      assert.equal((await call(portal, 1, 'profile')).status, 200);
      assert.equal((await postJson(`${portal.origin}/rest/1/sandboxsecret0001/profile`)).status, 401);
    });

    it('rejects a malformed JSON body', async () => {
      const wire = await request(portal.webhookUrl(1) + 'profile', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"userId":',
      });
      assert.equal(wire.status, 400);
      assert.equal(wire.json.error, 'INVALID_REQUEST');
    });

    it('answers 404 outside /rest/', async () => {
      assert.equal((await request(`${portal.origin}/company/`)).status, 404);
    });
  });

  describe('scopes', () => {
    it('refuses user.current and sonet_group.user.groups to a task-only webhook', async () => {
      for (const method of ['user.current', 'sonet_group.user.groups']) {
        const wire = await call(portal, 2, method);
        assert.equal(wire.status, 401);
        assert.deepEqual(wire.json, {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the webhook token',
        });
      }
    });

    it('always allows profile and server.time, and tasks with the task scope', async () => {
      for (const method of ['profile', 'server.time', 'tasks.task.counters.get']) {
        assert.equal((await call(portal, 2, method)).status, 200, method);
      }
    });

    it('needs the task scope for counters, and accepts user_brief for user.current', async () => {
      portal.setScopes(2, ['user_brief']);
      assert.equal((await call(portal, 2, 'tasks.task.counters.get')).json.error, 'insufficient_scope');
      assert.equal((await call(portal, 2, 'user.current')).json.result.ID, '2');
    });
  });

  describe('tasks.task.counters.get', () => {
    it('answers view_all over all groups with codes, total 1 and a time block', async () => {
      const wire = await call(portal, 1, 'tasks.task.counters.get');
      assert.equal(wire.status, 200);
      assert.match(wire.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(wire.json.result, {
        expired: { counter: 2, code: 6291456 },
        new_comments: { counter: 5, code: 12582912 },
      });
      assert.equal(wire.json.total, 1);
      assert.deepEqual(Object.keys(wire.json.time), TIME_KEYS);
    });

    it('answers per role (lower-cased) and per group', async () => {
      const responsible = await call(portal, 1, 'tasks.task.counters.get', { type: 'VIEW_ROLE_RESPONSIBLE' });
      const inGroup = await call(portal, 1, 'tasks.task.counters.get', { groupId: 7, type: 'view_all' });
      assert.deepEqual(responsible.json.result.expired, { counter: 1, code: 6291456 });
      assert.equal(responsible.json.result.new_comments.counter, 3);
      assert.equal(inGroup.json.result.new_comments.counter, 2);
    });

    it('answers zeros for an unset combination', async () => {
      const wire = await call(portal, 1, 'tasks.task.counters.get', { groupId: '7', type: 'view_role_auditor' });
      assert.deepEqual(wire.json.result, {
        expired: { counter: 0, code: 6291456 },
        new_comments: { counter: 0, code: 12582912 },
      });
    });

    it('answers [] for an unknown role and for another user, unless the caller is an admin', async () => {
      assert.deepEqual((await call(portal, 1, 'tasks.task.counters.get', { type: 'view_boss' })).json.result, []);
      const other = await call(portal, 2, 'tasks.task.counters.get', { userId: 1 });
      assert.equal(other.status, 200);
      assert.deepEqual(other.json.result, []);
      const byAdmin = await call(portal, 3, 'tasks.task.counters.get', { userId: 1 });
      assert.equal(byAdmin.json.result.new_comments.counter, 5);
      assert.deepEqual((await call(portal, 3, 'tasks.task.counters.get', { userId: 404 })).json.result, []);
    });

    it('answers 400 for a group the caller is not in, or that does not exist', async () => {
      for (const groupId of [30, 999]) {
        const wire = await call(portal, 1, 'tasks.task.counters.get', { groupId });
        assert.equal(wire.status, 400);
        assert.deepEqual(wire.json, { error: '0', error_description: 'Group not found or access denied. (internal error)' });
      }
      assert.equal((await call(portal, 3, 'tasks.task.counters.get', { groupId: 7 })).status, 200);
    });

    it('answers 400 with the type error for a non-integer userId', async () => {
      const wire = await call(portal, 1, 'tasks.task.counters.get', { userId: 'me' });
      assert.equal(wire.status, 400);
      assert.equal(wire.json.error, '0');
      assert.match(wire.json.error_description, /Invalid value me to match with parameter userId\. Should be a value of type int/);
    });

    it('answers exactly what setCounters set; unknown names get code 0', async () => {
      portal.setCounters(1, { expired: 4, mentioned: 1, brand_new: 2 }, { role: 'view_role_auditor', groupId: 12 });
      const wire = await call(portal, 1, 'tasks.task.counters.get', { type: 'view_role_auditor', groupId: 12 });
      assert.deepEqual(wire.json.result, {
        expired: { counter: 4, code: 6291456 },
        mentioned: { counter: 1, code: 15728640 },
        brand_new: { counter: 2, code: 0 },
      });
      portal.setCounters(2, {});
      assert.deepEqual((await call(portal, 2, 'tasks.task.counters.get')).json.result, []);
    });

    it('fills the time block from the injected clock', async () => {
      const now = Date.UTC(2025, 8, 26, 7, 29, 12, 500);
      await withPortal({ now: () => now }, async (fixed) => {
        const { time } = (await call(fixed, 1, 'tasks.task.counters.get')).json;
        assert.deepEqual(time, {
          start: now / 1000,
          finish: now / 1000,
          duration: 0,
          processing: 0,
          date_start: '2025-09-26T07:29:12+00:00',
          date_finish: '2025-09-26T07:29:12+00:00',
          operating_reset_at: Math.floor(now / 1000) + 600,
          operating: 0,
        });
      });
    });

    it('reports each method\'s own time budget, set by setMethodTime, in its envelope and its batch commands', async () => {
      const now = Date.UTC(2025, 8, 26, 7, 29, 12);
      await withPortal({ now: () => now }, async (fixed) => {
        fixed.setMethodTime('TASKS.TASK.COUNTERS.GET.json', { operating: 470, operatingResetAt: 1_758_868_300 });
        fixed.setMethodTime('batch', { operating: 1, operatingResetAt: 1_758_868_500 });
        const direct = (await call(fixed, 1, 'tasks.task.counters.get')).json.time;
        assert.deepEqual([direct.operating, direct.operating_reset_at], [470, 1_758_868_300]);
        const { result, time } = (await call(fixed, 1, 'batch', { halt: 0, cmd: { a: 'tasks.task.counters.get', b: 'profile' } })).json;
        assert.deepEqual([result.result_time.a.operating, result.result_time.a.operating_reset_at], [470, 1_758_868_300]);
        assert.deepEqual([result.result_time.b.operating, result.result_time.b.operating_reset_at], [0, Math.floor(now / 1000) + 600], 'another method: unused');
        assert.deepEqual([time.operating, time.operating_reset_at], [1, 1_758_868_500], 'the batch\'s own');
        fixed.setMethodTime('tasks.task.counters.get', undefined);
        assert.equal((await call(fixed, 1, 'tasks.task.counters.get')).json.time.operating, 0);
      });
    });
  });

  describe('user.current, profile, sonet_group.user.groups, server.time', () => {
    it('describes the webhook user with string ids', async () => {
      const current = (await call(portal, 1, 'user.current')).json;
      assert.equal(current.result.ID, '1');
      assert.equal(current.result.NAME, 'Anna');
      assert.equal(current.result.LAST_NAME, 'Smirnova');
      assert.equal(current.total, undefined);
      assert.deepEqual((await call(portal, 3, 'profile')).json.result, {
        ID: '3',
        ADMIN: true,
        NAME: 'Viktor',
        LAST_NAME: 'Orlov',
        PERSONAL_GENDER: '',
        TIME_ZONE: '',
      });
      assert.equal((await call(portal, 1, 'profile')).json.result.ADMIN, false);
    });

    it("lists the user's groups and the server time", async () => {
      assert.deepEqual((await call(portal, 1, 'sonet_group.user.groups')).json.result, [
        { GROUP_ID: '7', GROUP_NAME: 'Website relaunch', ROLE: 'A' },
        { GROUP_ID: '12', GROUP_NAME: 'Mobile app', ROLE: 'A' },
      ]);
      assert.match((await call(portal, 1, 'server.time')).json.result, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    });
  });

  describe('batch', () => {
    it('runs every role in one request, in the documented shape', async () => {
      const cmd = Object.fromEntries(ROLES.map((role) => [role, `tasks.task.counters.get?type=${role}&groupId=0`]));
      const wire = await call(portal, 1, 'batch', { halt: 0, cmd });
      assert.equal(wire.status, 200);
      const { result } = wire.json;
      assert.deepEqual(Object.keys(wire.json), ['result', 'time']);
      assert.deepEqual(Object.keys(result), ['result', 'result_error', 'result_total', 'result_next', 'result_time']);
      assert.deepEqual(Object.keys(result.result), [...ROLES]);
      assert.equal(result.result.view_all.new_comments.counter, 5);
      assert.equal(result.result.view_role_originator.expired.counter, 1);
      assert.deepEqual(result.result_error, []);
      assert.deepEqual(result.result_next, []);
      assert.deepEqual(result.result_total, Object.fromEntries(ROLES.map((role) => [role, 1])));
      assert.deepEqual(Object.keys(result.result_time.view_all), TIME_KEYS);
      assert.deepEqual(Object.keys(wire.json.time), TIME_KEYS);
    });

    it('reports per-command errors with 200 and runs the rest', async () => {
      const wire = await call(portal, 2, 'batch', {
        halt: 0,
        cmd: {
          user: 'user.current',
          profile: 'profile',
          group: 'tasks.task.counters.get?groupId=12',
          inner: 'batch?cmd[x]=profile',
          nothing: 'no.such.method',
        },
      });
      assert.equal(wire.status, 200);
      const { result } = wire.json;
      assert.deepEqual(Object.keys(result.result), ['profile']);
      assert.deepEqual(result.result_error, {
        // Bitrix24's documented batch example: insufficient_scope comes with an empty description.
        user: { error: 'insufficient_scope', error_description: '' },
        group: { error: '0', error_description: 'Group not found or access denied. (internal error)' },
        inner: { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' },
        nothing: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
      });
      assert.deepEqual(result.result_total, []);
      assert.deepEqual(Object.keys(result.result_time), ['profile']);
    });

    it('stops at the first error with halt', async () => {
      const wire = await call(portal, 2, 'batch', { halt: 1, cmd: { a: 'profile', b: 'user.current', c: 'server.time' } });
      assert.deepEqual(Object.keys(wire.json.result.result), ['a']);
      assert.deepEqual(Object.keys(wire.json.result.result_error), ['b']);
    });

    it('answers a list of commands with lists, like PHP', async () => {
      const wire = await call(portal, 1, 'batch', { cmd: ['profile', 'tasks.task.counters.get?type=view_role_auditor'] });
      assert.ok(Array.isArray(wire.json.result.result));
      assert.equal(wire.json.result.result[0].ID, '1');
      assert.equal(wire.json.result.result[1].new_comments.counter, 1);
      assert.deepEqual(wire.json.result.result_total, { '1': 1 });
    });

    it('accepts a form-encoded batch with encoded inner queries', async () => {
      const inner = encodeURIComponent('tasks.task.counters.get?type=view_role_responsible&groupId=7');
      const wire = await request(portal.webhookUrl(1) + 'batch.json', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `halt=0&cmd[resp7]=${inner}`,
      });
      assert.equal(wire.json.result.result.resp7.expired.counter, 1);
    });

    it('resolves references to earlier commands, in order, and leaves one it cannot as written', async () => {
      portal.setScopes(1, ['task', 'im']);
      const wire = await call(portal, 1, 'batch', {
        halt: 0,
        cmd: {
          early: 'tasks.task.get?taskId=$result[list][tasks][0][id]&select[0]=ID',
          list: 'tasks.task.list?order[ID]=desc&select[0]=ID&select[1]=TITLE',
          task: 'tasks.task.get?taskId=$result[list][tasks][0][id]&select[0]=ID&select[1]=TITLE',
          missing: 'im.dialog.messages.get?DIALOG_ID=chat$result[task][task][chatId]',
        },
      });
      const { result, result_error } = wire.json.result;
      const newest = result.list.tasks[0];
      assert.equal(result.task.task.id, newest.id);
      assert.equal(result.task.task.title, newest.title);
      // A later command is not there yet: the reference names the whole section, not a task id.
      assert.ok(result_error.early);
      // No chat (the old card): `chat$result[…]` stays as written, which names no dialog.
      assert.equal(result_error.missing.error, 'ACCESS_ERROR');
    });

    it('refuses more than 50 commands and bad credentials as a whole', async () => {
      const cmd = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, 'profile']));
      const tooLong = await call(portal, 1, 'batch', { cmd });
      assert.equal(tooLong.status, 400);
      assert.deepEqual(tooLong.json, { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' });
      const fifty = Object.fromEntries(Object.entries(cmd).slice(0, 50));
      assert.equal(Object.keys((await call(portal, 1, 'batch', { cmd: fifty })).json.result.result).length, 50);
      const badCreds = await postJson(`${portal.origin}/rest/1/nope/batch`, { cmd: { a: 'profile' } });
      assert.equal(badCreds.status, 401);
      assert.equal(badCreds.json.error, 'INVALID_CREDENTIALS');
    });
  });

  describe('faults', () => {
    const counters = () => call(portal, 1, 'tasks.task.counters.get');

    it('queryLimit: 503 QUERY_LIMIT_EXCEEDED, Retry-After only when asked', async () => {
      portal.inject('queryLimit', { times: 1 });
      const plain = await counters();
      assert.equal(plain.status, 503);
      assert.deepEqual(plain.json, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
      assert.equal(plain.headers.get('retry-after'), null);
      portal.inject('queryLimit', { times: 1, retryAfterSeconds: 3 });
      assert.equal((await counters()).headers.get('retry-after'), '3');
      assert.equal((await counters()).status, 200);
    });

    it('operationTimeLimit: 429 with operating_reset_at in the body', async () => {
      const now = 1_758_868_152_000;
      await withPortal({ now: () => now }, async (fixed) => {
        fixed.inject('operationTimeLimit', { times: 1 });
        fixed.inject('operationTimeLimit', { times: 1, operatingResetAt: 1_758_868_752 });
        const first = await call(fixed, 1, 'tasks.task.counters.get');
        assert.equal(first.status, 429);
        assert.deepEqual(first.json, {
          error: 'OPERATION_TIME_LIMIT',
          error_description: 'Method is blocked due to operation time limit.',
          operating_reset_at: 1_758_868_212,
        });
        assert.equal((await call(fixed, 1, 'tasks.task.counters.get')).json.operating_reset_at, 1_758_868_752);
      });
    });

    it('auth, access, block and server faults answer their errors', async () => {
      const expected: Array<[FaultKind, number, string]> = [
        ['overloadLimit', 503, 'OVERLOAD_LIMIT'],
        ['internalError', 500, 'INTERNAL_SERVER_ERROR'],
        ['unexpectedAnswer', 500, 'ERROR_UNEXPECTED_ANSWER'],
        ['invalidCredentials', 401, 'INVALID_CREDENTIALS'],
        ['insufficientScope', 401, 'insufficient_scope'],
        ['accessDenied', 401, 'ACCESS_DENIED'],
        ['groupNotFound', 400, '0'],
      ];
      for (const [kind, status, error] of expected) {
        portal.inject(kind, { times: 1 });
        const wire = await counters();
        assert.equal(wire.status, status, kind);
        assert.equal(wire.json.error, error, kind);
        assert.equal(typeof wire.json.error_description, 'string');
        assert.equal(wire.json.time, undefined, 'errors carry no time block');
      }
    });

    it('emptyResult: 200 with result [] and total 0', async () => {
      portal.inject('emptyResult', { times: 1 });
      const wire = await counters();
      assert.equal(wire.status, 200);
      assert.deepEqual(wire.json.result, []);
      assert.equal(wire.json.total, 0);
      assert.deepEqual(Object.keys(wire.json.time), TIME_KEYS);
    });

    it('htmlLogin: 200 with an HTML login page', async () => {
      portal.inject('htmlLogin', { times: 1 });
      const wire = await counters();
      assert.equal(wire.status, 200);
      assert.match(wire.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(wire.text, /<form[^>]+action="\/auth\/\?login=yes"/);
      assert.equal(wire.json, undefined);
    });

    it('slow: answers normally after delayMs', async () => {
      portal.inject('slow', { times: 1, delayMs: 150 });
      const started = Date.now();
      const wire = await counters();
      assert.ok(Date.now() - started >= 140, `answered after ${Date.now() - started} ms`);
      assert.equal(wire.json.result.expired.counter, 2);
    });

    it('drop: closes the socket without answering', async () => {
      portal.inject('drop', { times: 1 });
      await assert.rejects(counters());
      assert.equal(portal.requests[0].status, 0);
      assert.equal((await counters()).status, 200);
    });

    it('redirect: 302 elsewhere, carrying the rest of the path (and so the secret)', async () => {
      portal.inject('redirect', { times: 1 });
      portal.inject('redirect', { times: 1, redirectTo: 'http://127.0.0.1:9/x' });
      const first = await request(`${portal.webhookUrl(1)}profile.json?a=1`, { method: 'POST' });
      assert.equal(first.status, 302);
      assert.equal(first.headers.get('location'), 'https://elsewhere.example/rest/1/sandboxsecret0001/profile.json?a=1');
      const second = await call(portal, 1, 'profile');
      assert.equal(second.headers.get('location'), 'http://127.0.0.1:9/x/1/sandboxsecret0001/profile');
    });

    it('truncated: 200 JSON cut in half with matching headers', async () => {
      await withPortal({ now: () => 1_758_868_152_000 }, async (fixed) => {
        const whole = (await call(fixed, 1, 'tasks.task.counters.get')).text;
        fixed.inject('truncated', { times: 1 });
        const wire = await call(fixed, 1, 'tasks.task.counters.get');
        assert.equal(wire.status, 200);
        assert.match(wire.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(wire.headers.get('content-length'), String(Buffer.byteLength(wire.text)));
        assert.equal(wire.text, whole.slice(0, Math.floor(whole.length / 2)));
        assert.equal(wire.json, undefined);
      });
    });

    it('serverError: 500 with an HTML body', async () => {
      portal.inject('serverError', { times: 1 });
      const wire = await counters();
      assert.equal(wire.status, 500);
      assert.match(wire.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(wire.text, /500 Internal Server Error/);
    });

    it('hits `times` requests of `method` only, until cleared', async () => {
      portal.inject('serverError', { method: 'TASKS.TASK.COUNTERS.GET.json', times: 2 });
      assert.equal((await call(portal, 1, 'profile')).status, 200);
      assert.equal((await counters()).status, 500);
      assert.equal((await counters()).status, 500);
      assert.equal((await counters()).status, 200);
      portal.inject('accessDenied');
      assert.equal((await counters()).status, 401);
      assert.equal((await call(portal, 1, 'profile')).status, 401);
      portal.clearFaults();
      assert.equal((await counters()).status, 200);
    });

    it('turns a portal fault aimed at a method into that batch command’s error', async () => {
      portal.inject('queryLimit', { method: 'tasks.task.counters.get', times: 2 });
      portal.inject('emptyResult', { method: 'tasks.task.counters.get', times: 1 });
      const cmd = Object.fromEntries(ROLES.map((role) => [role, `tasks.task.counters.get?type=${role}`]));
      const wire = await call(portal, 1, 'batch', { halt: 0, cmd: { ...cmd, me: 'profile' } });
      assert.equal(wire.status, 200);
      const { result } = wire.json;
      assert.deepEqual(Object.keys(result.result_error), ['view_all', 'view_role_responsible']);
      assert.equal(result.result_error.view_all.error, 'QUERY_LIMIT_EXCEEDED');
      assert.deepEqual(result.result.view_role_accomplice, []);
      assert.equal(result.result_total.view_role_accomplice, 0);
      assert.equal(result.result.view_role_auditor.new_comments.counter, 1);
      assert.equal(result.result.me.ID, '1');
      assert.equal(portal.requests[0].fault, 'queryLimit');
    });

    it('applies a transport fault aimed at a method to the whole batch carrying it', async () => {
      portal.inject('htmlLogin', { method: 'tasks.task.counters.get', times: 1 });
      assert.equal((await call(portal, 1, 'batch', { cmd: { a: 'profile' } })).status, 200);
      const wire = await call(portal, 1, 'batch', { cmd: { a: 'tasks.task.counters.get' } });
      assert.match(wire.text, /<form/);
    });

    it('applies a fault without a method to the whole batch request', async () => {
      portal.inject('queryLimit', { times: 1 });
      const wire = await call(portal, 1, 'batch', { cmd: { a: 'profile' } });
      assert.equal(wire.status, 503);
    });

  });

  describe('leaky bucket', () => {
    it('is off by default', async () => {
      const answers = await Promise.all(Array.from({ length: 55 }, () => call(portal, 1, 'profile')));
      assert.ok(answers.every((wire) => wire.status === 200));
    });

    it('refuses over the burst per source IP and drains with the injected clock', async () => {
      let clock = 1_000_000;
      await withPortal({ leakyBucket: { burst: 3, perSecond: 1 }, now: () => clock }, async (limited) => {
        const statuses = async (n: number) => {
          const out: number[] = [];
          for (let i = 0; i < n; i++) out.push((await call(limited, 1, 'profile')).status);
          return out;
        };
        assert.deepEqual(await statuses(4), [200, 200, 200, 503]);
        assert.equal((await postJson(`${limited.origin}/_sandbox/clear`)).status, 200, 'control calls pass');
        const refused = await call(limited, 1, 'tasks.task.counters.get');
        assert.deepEqual(refused.json, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
        clock += 1000;
        assert.deepEqual(await statuses(2), [200, 503]);
        clock += 3000;
        assert.deepEqual(await statuses(4), [200, 200, 200, 503]);
      });
    });

    it('uses burst 50 for `true`, one batch counting once', async () => {
      await withPortal({ leakyBucket: true, now: () => 0 }, async (limited) => {
        const cmd = Object.fromEntries(ROLES.map((role) => [role, `tasks.task.counters.get?type=${role}`]));
        assert.equal((await call(limited, 1, 'batch', { cmd })).status, 200);
        for (let i = 0; i < 49; i++) assert.equal((await call(limited, 1, 'profile')).status, 200);
        assert.equal((await call(limited, 1, 'profile')).status, 503);
      });
    });
  });

});
