/**
 * The REST client against the sandbox portal, over real HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CounterSet, MAX_SHOWN_COUNTERS, ROLES } from '../../src/core/counters';
import { CountersClient, CountersClientOptions, CountersFilter, RequestLogEntry } from '../../src/core/countersClient';
import { Outcome, succeed } from '../../src/core/outcome';
import { ELLIPSIS, MAX_PORTAL_TEXT } from '../../src/core/portalText';
import { HttpResponse } from '../../src/core/transport';
import { DEFAULT_USERS, SandboxPortal } from '../sandbox/portal';
import { counts, failureOf, SECRET_PREFIX, until, useSandboxPortal, webhookOf } from './support';

const NOW = Date.UTC(2025, 8, 26, 7, 30, 0);

function valueOf<T>(outcome: Outcome<T>): T {
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(outcome)}`);
  return outcome.value;
}

/** The counters of view_all, as the poller reads a role: from the batch of every role. */
async function viewAll(client: CountersClient, filter: CountersFilter = {}): Promise<Outcome<CounterSet>> {
  const answer = await client.getCountersByRole(filter);
  return answer.ok ? answer.value.byRole.view_all : answer;
}

function assertNoSecret(...values: unknown[]): void {
  for (const value of values) {
    const json = JSON.stringify(value) ?? '';
    assert.ok(!json.includes(SECRET_PREFIX), `secret in ${json}`);
    const shown = inspect(value, { depth: Infinity });
    assert.ok(!shown.includes(SECRET_PREFIX), `secret in ${shown}`);
  }
}

describe('CountersClient (against the sandbox portal)', function () {
  this.timeout(10_000);

  let sandbox: SandboxPortal;
  useSandboxPortal((started) => (sandbox = started));
  const clients: CountersClient[] = [];
  let log: RequestLogEntry[] = [];

  beforeEach(() => {
    log = [];
  });

  afterEach(() => {
    clients.splice(0).forEach((c) => c.dispose());
    // Every test: nothing any client logged may carry a secret.
    assertNoSecret(log);
  });

  function clientFor(userId = 1, options: CountersClientOptions = {}): CountersClient {
    const client = new CountersClient(webhookOf(sandbox.webhookUrl(userId)), {
      now: () => NOW,
      onRequest: (entry) => log.push(entry),
      ...options,
    });
    clients.push(client);
    return client;
  }

  describe('one role', () => {
    it('leaves out userId 0 and groupId 0 (the webhook\'s own user, all groups)', async () => {
      valueOf(await viewAll(clientFor(1), { userId: 0, groupId: 0 }));
      const { cmd } = sandbox.requests[0].params as { cmd: Record<string, string> };
      assert.equal(cmd.view_all, 'tasks.task.counters.get?type=view_all');
    });

    it('an admin sees another user\'s counters', async () => {
      const answer = valueOf(await viewAll(clientFor(3), { userId: 1 }));
      assert.equal(answer.visible, true);
      assert.deepEqual(counts(answer), [['expired', 2], ['new_comments', 5]]);
    });

    it('keeps a counter name it does not know, with the portal\'s code, and sums the real total', async () => {
      sandbox.setCounters(3, { expired: 4, brand_new: 6, new_comments: 1, mentioned: 2 }, { role: 'view_all', groupId: 30 });
      const answer = valueOf(await viewAll(clientFor(3), { groupId: 30 }));
      assert.deepEqual(answer.counters, [
        { name: 'expired', count: 4, code: 6291456 },
        { name: 'new_comments', count: 1, code: 12582912 },
        { name: 'mentioned', count: 2, code: 15728640 },
        { name: 'brand_new', count: 6, code: 0 },
      ]);
      // The envelope says total 1; the real total is the sum.
      assert.equal(answer.total, 13);
    });

    it('a webhook without the task scope is a scope failure naming `task`', async () => {
      sandbox.setScopes(2, ['user']);
      try {
        const error = failureOf(await viewAll(clientFor(2)));
        assert.equal(error.kind, 'scope');
        assert.equal(error.missingScope, 'task');
        assertNoSecret(error);
      } finally {
        sandbox.setScopes(2, [...DEFAULT_USERS[1].scopes]);
      }
    });

    it('a revoked webhook is an auth failure', async () => {
      sandbox.revokeWebhook(3);
      try {
        const error = failureOf(await viewAll(clientFor(3)));
        assert.equal(error.kind, 'auth');
        assert.equal(error.code, 'INVALID_CREDENTIALS');
        assertNoSecret(error);
      } finally {
        sandbox.addUser(DEFAULT_USERS[2]);
      }
    });
  });

  describe('getCountersByRole', () => {
    it('fetches every role in ONE HTTP request (a batch)', async () => {
      const answer = valueOf(await clientFor(1).getCountersByRole({}));
      assert.equal(sandbox.requests.length, 1);
      assert.equal(sandbox.requests[0].method, 'batch');
      assert.equal(log.length, 1);
      assert.equal(log[0].method, 'batch');
      const expected: Record<string, Array<[string, number]>> = {
        view_all: [['expired', 2], ['new_comments', 5]],
        view_role_responsible: [['expired', 1], ['new_comments', 3]],
        view_role_accomplice: [['expired', 0], ['new_comments', 1]],
        view_role_auditor: [['expired', 0], ['new_comments', 1]],
        view_role_originator: [['expired', 1], ['new_comments', 0]],
      };
      for (const role of ROLES) {
        assert.deepEqual(counts(valueOf(answer.byRole[role])), expected[role], role);
      }
      assert.equal(answer.user, undefined);
      assert.equal(answer.groups, undefined);
    });

    it('sends the filter in every command', async () => {
      valueOf(await clientFor(1).getCountersByRole({ groupId: 7, userId: 1 }));
      const { cmd, halt } = sandbox.requests[0].params as { cmd: Record<string, string>; halt: unknown };
      assert.equal(Number(halt), 0);
      assert.deepEqual(Object.keys(cmd).sort(), [...ROLES].sort());
      for (const role of ROLES) {
        const [method, query] = cmd[role].split('?');
        assert.equal(method, 'tasks.task.counters.get');
        const params = Object.fromEntries(new URLSearchParams(query));
        assert.deepEqual(params, { type: role, userId: '1', groupId: '7' });
      }
    });

    it('reads a group\'s roles, unset ones as zeros', async () => {
      const answer = valueOf(await clientFor(1).getCountersByRole({ groupId: 12 }));
      assert.deepEqual(counts(valueOf(answer.byRole.view_all)), [['expired', 1], ['new_comments', 1]]);
      assert.deepEqual(counts(valueOf(answer.byRole.view_role_originator)), [['expired', 1], ['new_comments', 0]]);
      assert.deepEqual(counts(valueOf(answer.byRole.view_role_responsible)), [['expired', 0], ['new_comments', 0]]);
    });

    it('another user\'s roles are each `[]`: not visible', async () => {
      const answer = valueOf(await clientFor(1).getCountersByRole({ userId: 3 }));
      for (const role of ROLES) {
        assert.equal(valueOf(answer.byRole[role]).visible, false, role);
      }
    });

    it('a role failing inside the batch is reported for that role only', async () => {
      const resetAt = Math.floor(NOW / 1000) + 300;
      sandbox.inject('operationTimeLimit', { method: 'tasks.task.counters.get', times: 1, operatingResetAt: resetAt });
      const answer = valueOf(await clientFor(1).getCountersByRole({}));
      assert.equal(sandbox.requests.length, 1);
      const failed = ROLES.filter((role) => !answer.byRole[role].ok);
      assert.equal(failed.length, 1, `failed: ${failed.join(',')}`);
      const error = failureOf(answer.byRole[failed[0]]);
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.limit, 'operationTime');
      assert.equal(error.status, undefined, 'a batch command has no HTTP status of its own');
      for (const role of ROLES.filter((r) => r !== failed[0])) {
        assert.equal(valueOf(answer.byRole[role]).visible, true, role);
      }
      assertNoSecret(answer);
    });

    it('an access failure inside the batch (a portal fault on one command)', async () => {
      sandbox.inject('accessDenied', { method: 'tasks.task.counters.get', times: 2 });
      const answer = valueOf(await clientFor(1).getCountersByRole({}));
      const failed = ROLES.filter((role) => !answer.byRole[role].ok);
      assert.equal(failed.length, 2);
      for (const role of failed) assert.equal(failureOf(answer.byRole[role]).kind, 'access');
      assertNoSecret(answer);
    });

    it('a group the user cannot see fails every role, as access', async () => {
      const answer = valueOf(await clientFor(1).getCountersByRole({ groupId: 30 }));
      for (const role of ROLES) {
        const error = failureOf(answer.byRole[role]);
        assert.equal(error.kind, 'access', role);
        assert.match(error.detail, /Group not found/);
      }
      assert.equal(sandbox.requests.length, 1);
      assertNoSecret(answer);
    });

    it('reads the counters\' time budget from their own commands\' result_time', async () => {
      const answer = valueOf(await clientFor(1).getCountersByRole({}));
      assert.equal(answer.time.operating, 0);
      assert.equal(answer.time.operatingResetAt, (Math.floor(sandbox.requests[0].at / 1000) + 600) * 1000);
      // Per method: another method's later reset in the same batch is not the counters'.
      const reset = Math.floor(NOW / 1000) + 90;
      sandbox.setMethodTime('tasks.task.counters.get', { operating: 400, operatingResetAt: reset });
      sandbox.setMethodTime('user.current', { operating: 470, operatingResetAt: reset + 400 });
      try {
        const withUser = valueOf(await clientFor(1).getCountersByRole({}, { withUser: true }));
        assert.deepEqual(withUser.time, { operating: 400, operatingResetAt: reset * 1000 });
      } finally {
        sandbox.setMethodTime('tasks.task.counters.get', undefined);
        sandbox.setMethodTime('user.current', undefined);
      }
    });

    it('a failure of the whole batch request fails the whole answer', async () => {
      sandbox.inject('invalidCredentials', { method: 'batch', times: 1 });
      const error = failureOf(await clientFor(1).getCountersByRole({}, { withUser: true }));
      assert.equal(error.kind, 'auth');
      assertNoSecret(error);
    });

    describe('withUser', () => {
      it('names the user from user.current when the webhook has the user scope', async () => {
        // profile fails, so the name can only have come from user.current
        sandbox.inject('accessDenied', { method: 'profile', times: 1 });
        const answer = valueOf(await clientFor(1).getCountersByRole({}, { withUser: true }));
        assert.deepEqual(valueOf(answer.user!), { id: 1, name: 'Anna Smirnova' });
        assert.equal(sandbox.requests.length, 1, 'still one request');
        const { cmd } = sandbox.requests[0].params as { cmd: Record<string, string> };
        assert.equal(cmd.user, 'user.current');
        assert.equal(cmd.profile, 'profile');
      });

      it('falls back to profile without the user scope (user 2)', async () => {
        const answer = valueOf(await clientFor(2).getCountersByRole({}, { withUser: true }));
        assert.deepEqual(valueOf(answer.user!), { id: 2, name: 'Boris Ivanov' });
        assert.deepEqual(counts(valueOf(answer.byRole.view_all)), [['expired', 0], ['new_comments', 1]]);
      });

      it('fails the user when neither user.current nor profile answers, naming the user scope that would fix it', async () => {
        sandbox.inject('accessDenied', { method: 'profile', times: 1 });
        const answer = valueOf(await clientFor(2).getCountersByRole({}, { withUser: true }));
        const error = failureOf(answer.user!);
        assert.equal(error.kind, 'scope');
        assert.equal(error.missingScope, 'user');
        assert.equal(answer.byRole.view_all.ok, true, 'the counters still came');
      });

      it('both refused for scope (the documentation\'s own batch example): the user scope is named', async () => {
        sandbox.inject('insufficientScope', { method: 'profile', times: 1 });
        const answer = valueOf(await clientFor(2).getCountersByRole({}, { withUser: true }));
        const error = failureOf(answer.user!);
        assert.equal(error.kind, 'scope');
        assert.equal(error.missingScope, 'user');
      });
    });

    describe('withGroups', () => {
      it('lists the user\'s groups in the same request, sorted by name', async () => {
        const answer = valueOf(await clientFor(1).getCountersByRole({ groupId: 7 }, { withGroups: true, withUser: true }));
        assert.deepEqual(valueOf(answer.groups!), [
          { id: 12, name: 'Mobile app' },
          { id: 7, name: 'Website relaunch' },
        ]);
        assert.equal(sandbox.requests.length, 1);
      });

      it('is a scope failure (sonet) for a webhook without it, the counters unaffected', async () => {
        const answer = valueOf(await clientFor(2).getCountersByRole({}, { withGroups: true }));
        const error = failureOf(answer.groups!);
        assert.equal(error.kind, 'scope');
        assert.equal(error.missingScope, 'sonet');
        assert.equal(answer.byRole.view_all.ok, true);
      });
    });
  });

  describe('userGroups', () => {
    it('lists the groups the user is a member of, sorted by name', async () => {
      assert.deepEqual(valueOf(await clientFor(1).userGroups()), [
        { id: 12, name: 'Mobile app' },
        { id: 7, name: 'Website relaunch' },
      ]);
      assert.deepEqual(valueOf(await clientFor(3).userGroups()), [{ id: 30, name: 'Secret project' }]);
      assert.equal(sandbox.requests[0].method, 'sonet_group.user.groups');
    });

    it('user 2 lacks the sonet scope: kind scope, missingScope sonet', async () => {
      const error = failureOf(await clientFor(2).userGroups());
      assert.equal(error.kind, 'scope');
      assert.equal(error.missingScope, 'sonet');
      assert.equal(error.code, 'insufficient_scope');
      assertNoSecret(error);
    });
  });

  describe('faults: each to its failure kind, never carrying the secret', () => {
    it('queryLimit with Retry-After → rateLimited, queryRate, retryAt', async () => {
      sandbox.inject('queryLimit', { retryAfterSeconds: 30 });
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.limit, 'queryRate');
      assert.equal(error.status, 503);
      assert.equal(error.code, 'QUERY_LIMIT_EXCEEDED');
      assert.equal(error.retryAt, NOW + 30_000);
      assertNoSecret(error);
    });

    it('queryLimit on the batch → the whole answer is rateLimited', async () => {
      sandbox.inject('queryLimit', { method: 'batch' });
      const error = failureOf(await clientFor(1).getCountersByRole({}));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.retryAt, undefined);
      assertNoSecret(error);
    });

    it('operationTimeLimit → rateLimited, operationTime, retryAt from operating_reset_at', async () => {
      const resetAt = Math.floor(NOW / 1000) + 120;
      sandbox.inject('operationTimeLimit', { operatingResetAt: resetAt });
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'rateLimited');
      assert.equal(error.limit, 'operationTime');
      assert.equal(error.status, 429);
      assert.equal(error.retryAt, resetAt * 1000);
      assertNoSecret(error);
    });

    it('invalidCredentials → auth', async () => {
      sandbox.inject('invalidCredentials');
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'auth');
      assert.equal(error.status, 401);
      assertNoSecret(error);
    });

    it('insufficientScope → scope (task)', async () => {
      sandbox.inject('insufficientScope', { method: 'tasks.task.counters.get' });
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'scope');
      assert.equal(error.missingScope, 'task');
      assertNoSecret(error);
    });

    it('accessDenied → access', async () => {
      sandbox.inject('accessDenied');
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'access');
      assert.equal(error.code, 'ACCESS_DENIED');
      assertNoSecret(error);
    });

    it('groupNotFound → access', async () => {
      sandbox.inject('groupNotFound');
      const error = failureOf(await viewAll(clientFor(1), { groupId: 7 }));
      assert.equal(error.kind, 'access');
      assertNoSecret(error);
    });

    it('emptyResult → success, nothing visible', async () => {
      sandbox.inject('emptyResult', { method: 'tasks.task.counters.get' });
      const answer = valueOf(await viewAll(clientFor(1)));
      assert.equal(answer.visible, false);
      assert.equal(answer.total, 0);
    });

    it('htmlLogin (200 HTML) → notJson, saying HTML', async () => {
      sandbox.inject('htmlLogin');
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'notJson');
      assert.equal(error.status, 200);
      assert.match(error.detail, /HTML/);
      assertNoSecret(error);
    });

    it('htmlLogin on the batch → the whole answer is notJson', async () => {
      sandbox.inject('htmlLogin', { method: 'batch' });
      const error = failureOf(await clientFor(1).getCountersByRole({}, { withUser: true }));
      assert.equal(error.kind, 'notJson');
      assertNoSecret(error);
    });

    it('serverError (500 HTML) → server', async () => {
      sandbox.inject('serverError');
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'server');
      assert.equal(error.status, 500);
      assertNoSecret(error);
    });

    it('slow beyond timeoutMs → network timeout, without waiting for the answer', async () => {
      sandbox.inject('slow', { delayMs: 3000 });
      const started = Date.now();
      const error = failureOf(await viewAll(clientFor(1, { timeoutMs: 300 })));
      const elapsed = Date.now() - started;
      assert.equal(error.kind, 'network');
      assert.equal(error.networkCause, 'timeout');
      assert.ok(elapsed >= 250 && elapsed < 2000, `took ${elapsed} ms`);
      assertNoSecret(error);
    });

    it('slow but within timeoutMs → success', async () => {
      sandbox.inject('slow', { delayMs: 100, times: 1 });
      const answer = valueOf(await viewAll(clientFor(1, { timeoutMs: 2000 })));
      assert.equal(answer.total, 7);
    });

    it('a slow batch command (transport fault aimed at the method) times the batch out', async () => {
      sandbox.inject('slow', { delayMs: 3000, method: 'tasks.task.counters.get' });
      const error = failureOf(await clientFor(1, { timeoutMs: 300 }).getCountersByRole({}));
      assert.equal(error.kind, 'network');
      assert.equal(error.networkCause, 'timeout');
    });

    it('drop (socket closed, no answer) → network', async () => {
      sandbox.inject('drop');
      const error = failureOf(await viewAll(clientFor(1)));
      assert.equal(error.kind, 'network');
      assert.equal(error.networkCause, 'reset');
      assert.equal(error.status, undefined);
      assertNoSecret(error);
    });

    it('truncated JSON → notJson (or network)', async () => {
      sandbox.inject('truncated');
      const error = failureOf(await viewAll(clientFor(1)));
      assert.ok(error.kind === 'notJson' || error.kind === 'network', error.kind);
      assertNoSecret(error);
    });

    it('an answer over maxBytes → tooLarge', async () => {
      const error = failureOf(await clientFor(1, { maxBytes: 64 }).getCountersByRole({}));
      assert.equal(error.kind, 'tooLarge');
      assert.match(error.detail, /64 bytes/);
      assertNoSecret(error);
    });

    it('a small answer fits under a small maxBytes', async () => {
      const answer = valueOf(await viewAll(clientFor(1, { maxBytes: 5000 })));
      assert.equal(answer.total, 7);
    });

    it('a refused connection → network refused', async () => {
      const gone = await SandboxPortal.start();
      const url = gone.webhookUrl(1);
      await gone.close();
      const client = new CountersClient(webhookOf(url), { onRequest: (e) => log.push(e) });
      clients.push(client);
      const error = failureOf(await viewAll(client));
      assert.equal(error.kind, 'network');
      assert.equal(error.networkCause, 'refused');
      assertNoSecret(error);
    });

    describe('redirects', () => {
      let elsewhere: SandboxPortal;
      before(async () => {
        elsewhere = await SandboxPortal.start();
      });
      after(async () => {
        await elsewhere.close();
      });
      beforeEach(() => elsewhere.clearLog());

      it('to another origin → redirected, naming the host; the target is never requested', async () => {
        sandbox.inject('redirect', { redirectTo: `${elsewhere.origin}/rest/` });
        const error = failureOf(await viewAll(clientFor(1)));
        assert.equal(error.kind, 'redirected');
        assert.equal(error.status, 302);
        assert.equal(error.redirectHost, new URL(elsewhere.origin).host);
        assert.ok(error.detail.includes(new URL(elsewhere.origin).host));
        assert.equal(sandbox.requests.length, 1);
        assert.equal(elsewhere.requests.length, 0, 'the secret was not carried to the other origin');
        assertNoSecret(error);
      });

      it('to a public host over https → redirected, naming it', async () => {
        sandbox.inject('redirect', { redirectTo: 'https://elsewhere.example/rest/' });
        const error = failureOf(await clientFor(1).getCountersByRole({}, { withUser: true }));
        assert.equal(error.kind, 'redirected');
        assert.equal(error.redirectHost, 'elsewhere.example');
        assertNoSecret(error);
      });

      it('to a host that spells the webhook\'s secret → redirected, the host redacted everywhere', async () => {
        const secret = new URL(sandbox.webhookUrl(1)).pathname.split('/')[3];
        sandbox.inject('redirect', { redirectTo: `https://${secret}.evil.example/rest/` });
        const error = failureOf(await viewAll(clientFor(1)));
        assert.equal(error.kind, 'redirected');
        assert.equal(error.redirectHost, '•••.evil.example');
        assert.ok(error.detail.includes('•••.evil.example'), error.detail);
        assertNoSecret(error);
      });

      it('to the same origin is followed', async () => {
        sandbox.inject('redirect', { redirectTo: `${sandbox.origin}/rest/`, times: 1 });
        const answer = valueOf(await viewAll(clientFor(1)));
        assert.equal(answer.total, 7);
        assert.equal(sandbox.requests.length, 2);
        assert.deepEqual(sandbox.requests.map((r) => r.status), [302, 200]);
        assert.equal(log.length, 1, 'one log entry per call');
      });

      it('a same-origin redirect loop stops after a few hops → redirected', async () => {
        sandbox.inject('redirect', { redirectTo: `${sandbox.origin}/rest/` });
        const error = failureOf(await viewAll(clientFor(1)));
        assert.equal(error.kind, 'redirected');
        assert.equal(sandbox.requests.length, 4);
        assertNoSecret(error);
      });
    });
  });

  describe('the request log (onRequest)', () => {
    it('one entry per call: method, status, duration, failure', async () => {
      let clock = NOW;
      const client = clientFor(1, { now: () => (clock += 25) });
      valueOf(await viewAll(client));
      sandbox.inject('accessDenied', { times: 1 });
      failureOf(await viewAll(client));
      assert.equal(log.length, 2);
      assert.deepEqual(
        log.map((e) => [e.method, e.status, e.failure?.kind]),
        [
          ['batch', 200, undefined],
          ['batch', 401, 'access'],
        ],
      );
      assert.ok(log.every((e) => e.durationMs > 0));
    });

    it('after every kind of failure, no entry carries the secret', async () => {
      const client = clientFor(1, { timeoutMs: 300, maxBytes: 5000 });
      const faults = [
        ['queryLimit', {}],
        ['operationTimeLimit', {}],
        ['invalidCredentials', {}],
        ['insufficientScope', {}],
        ['accessDenied', {}],
        ['groupNotFound', {}],
        ['htmlLogin', {}],
        ['slow', { delayMs: 2000 }],
        ['drop', {}],
        ['redirect', {}],
        ['truncated', {}],
        ['serverError', {}],
      ] as const;
      const outcomes: unknown[] = [];
      for (const [kind, options] of faults) {
        sandbox.inject(kind, { ...options, times: 1 });
        outcomes.push(await viewAll(client));
        sandbox.inject(kind, { ...options, times: 1 });
        outcomes.push(await client.getCountersByRole({}, { withUser: true, withGroups: true }));
      }
      assert.equal(log.length, faults.length * 2);
      assert.ok(log.every((e) => e.failure !== undefined), 'every call failed');
      assertNoSecret(log, outcomes);
    });
  });

  describe('dispose', () => {
    it('aborts a request in flight at once', async () => {
      sandbox.inject('slow', { delayMs: 5000 });
      const client = clientFor(1);
      const started = Date.now();
      const pending = client.getCountersByRole({}, { withUser: true });
      await until(() => sandbox.requests.length === 1);
      client.dispose();
      const error = failureOf(await pending);
      assert.equal(error.kind, 'network');
      assert.notEqual(error.networkCause, 'timeout', 'cancelled, not timed out');
      assert.ok(Date.now() - started < 2000);
      assertNoSecret(error);
    });

    it('aborts every request in flight', async () => {
      sandbox.inject('slow', { delayMs: 5000 });
      const client = clientFor(1);
      const pending: Array<Promise<Outcome<unknown>>> = [viewAll(client), client.userGroups()];
      await until(() => sandbox.requests.length === 2);
      client.dispose();
      const outcomes = await Promise.all(pending);
      for (const outcome of outcomes) assert.equal(failureOf(outcome).kind, 'network');
    });

    it('does not touch another client', async () => {
      sandbox.inject('slow', { delayMs: 300 });
      const a = clientFor(1);
      const b = clientFor(1);
      const pendingB = viewAll(b);
      await until(() => sandbox.requests.length === 1);
      a.dispose();
      assert.equal(valueOf(await pendingB).total, 7);
    });
  });
});

describe('CountersClient: the portal\'s names are cleaned where they enter', function () {
  this.timeout(10_000);

  const SECRET = 'sandboxsecrethostile1';
  const FIRST = '[x](command:bitrix24Tasks.disconnect)';
  let sandbox: SandboxPortal;
  let client: CountersClient;

  before(async () => {
    sandbox = await SandboxPortal.start({
      users: [{ id: 1, name: `${FIRST}\n`, lastName: `\t$(zap) <img src=x>\u202E ${SECRET}`, secret: SECRET, scopes: ['task', 'user', 'sonet'] }],
      groups: [
        { id: 5, name: '[Open](command:bitrix24Tasks.connect) $(zap)', members: [1] },
        { id: 6, name: 'g'.repeat(5000), members: [1] },
        { id: 8, name: '\u0000\r\n ', members: [1] },
        { id: 9, name: `Leaks ${SECRET}`, members: [1] },
      ],
    });
    client = new CountersClient(webhookOf(sandbox.webhookUrl(1)), { now: () => NOW });
  });

  after(async () => {
    client.dispose();
    await sandbox.close();
  });

  it('a user name: one line, the secret redacted, the rest as written', async () => {
    assert.deepEqual(valueOf((valueOf(await client.getCountersByRole({}, { withUser: true }))).user!), { id: 1, name: `${FIRST} $(zap) <img src=x> •••` });
  });

  it('group names: as written, capped with an ellipsis, a blank one by its id', async () => {
    const names = new Map(valueOf(await client.userGroups()).map((g) => [g.id, g.name]));
    assert.equal(names.get(5), '[Open](command:bitrix24Tasks.connect) $(zap)');
    assert.equal(names.get(6), `${'g'.repeat(MAX_PORTAL_TEXT - 1)}${ELLIPSIS}`);
    assert.equal(names.get(8), '#8');
  });

  it('task text: a title, responsible or group name quoting the webhook URL has its secret redacted', async () => {
    const task = sandbox.addTask({ title: `Hook: ${sandbox.webhookUrl(1)}`, responsibleId: 1, groupId: 9, deadline: NOW - 86_400_000, status: 2 });
    const answer = valueOf(await client.getCountersByRole({}, { lists: { role: 'view_all', counters: ['expired'] } }));
    const listed = valueOf(answer.taskLists!.expired!).tasks.find((t) => t.id === task.id);
    assert.ok(listed, 'the task is listed');
    assert.equal(listed.title, `Hook: ${new URL(sandbox.webhookUrl(1)).origin}/rest/1/•••/`);
    assert.equal(listed.group?.name, 'Leaks •••');
    assert.ok(listed.responsible?.name.endsWith('•••'), listed.responsible?.name);
    assert.ok(!JSON.stringify(answer).includes(SECRET), JSON.stringify(listed));
  });

  it('counter names: the secret redacted, capped; every count kept, however many names', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `junk_${String(i).padStart(4, '0')}_${'z'.repeat(300)}`);
    sandbox.setCounters(1, {
      expired: 2,
      [`leak ${SECRET}`]: 1,
      ...Object.fromEntries(names.map((name) => [name, 1])),
    });
    const counters = valueOf(await viewAll(client));
    assert.equal(counters.total, 2003);
    assert.equal(counters.counters.length, 2002, 'the model keeps every counter');
    assert.equal(counters.counters[0].name, 'expired');
    assert.ok(counters.counters.some((c) => c.name === 'leak •••'));
    assert.ok(counters.counters.every((c) => c.name.length <= MAX_PORTAL_TEXT && !c.name.includes(SECRET)));
    assert.ok(counters.counters.length > MAX_SHOWN_COUNTERS, 'more than a surface lists');
  });
});

describe('CountersClient: answers the sandbox never gives (a canned portal)', () => {
  const hook = webhookOf('https://portal.example/rest/1/cannedsecret7/');
  const COUNTERS = { expired: { counter: 2, code: 6291456 } };
  const ROLE_RESULTS = Object.fromEntries(ROLES.map((role) => [role, COUNTERS]));

  interface Canned {
    readonly client: CountersClient;
    /** Every URL posted to, in order. */
    readonly urls: string[];
    readonly log: RequestLogEntry[];
  }

  /** A client whose every request `answer` answers; `elapse` ms of its clock pass per request. */
  function canned(answer: (url: string) => HttpResponse, elapse = 0): Canned {
    const urls: string[] = [];
    const log: RequestLogEntry[] = [];
    let clock = NOW;
    const client = new CountersClient(hook, {
      now: () => clock,
      onRequest: (entry) => log.push(entry),
      transport: {
        post: (url) => {
          urls.push(url);
          clock += elapse;
          return Promise.resolve(succeed(answer(url)));
        },
      },
    });
    return { client, urls, log };
  }

  const json = (body: unknown, extra: Partial<HttpResponse> = {}): HttpResponse => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body), ...extra });
  /** A batch answer with these sections (every role's counters unless `result` says otherwise). */
  const batch = (sections: Record<string, unknown>) => json({ result: { result: ROLE_RESULTS, ...sections } });

  describe('redirects and Location', () => {
    it('a Location on an answer that is no redirect (200, 299, 400) is not followed: the answer is read as it is', async () => {
      for (const [status, kind] of [[200, undefined], [299, undefined], [400, 'badRequest']] as const) {
        const { client, urls } = canned(() => ({ ...batch({}), status, location: 'https://elsewhere.example/rest/' }));
        const answer = await client.getCountersByRole({});
        assert.equal(answer.ok ? undefined : answer.error.kind, kind, `HTTP ${status}`);
        assert.equal(urls.length, 1, `HTTP ${status}: one request`);
      }
    });

    it('300 and 399 with a Location are redirects: refused to another origin', async () => {
      for (const status of [300, 399]) {
        const { client, urls } = canned(() => ({ status, contentType: '', body: '', location: 'https://elsewhere.example/rest/' }));
        const error = failureOf(await client.getCountersByRole({}));
        assert.equal(error.kind, 'redirected', `HTTP ${status}`);
        assert.equal(error.status, status);
        assert.equal(urls.length, 1);
      }
    });

    it('a same-origin redirect is followed to its Location; the log has one entry with the whole call\'s time', async () => {
      const moved = 'https://portal.example/rest/1/cannedsecret7/moved/batch';
      const { client, urls, log } = canned((url) => (url === moved ? batch({}) : { status: 307, contentType: '', body: '', location: moved }), 40);
      valueOf(await client.getCountersByRole({}));
      assert.deepEqual(urls, [hook.methodUrl('batch'), moved]);
      assert.deepEqual(log.map((e) => [e.method, e.status, e.durationMs]), [['batch', 200, 80]]);
    });

    it('a Location that is no URL is refused, naming no host', async () => {
      const { client } = canned(() => ({ status: 302, contentType: '', body: '', location: 'http://[' }));
      const error = failureOf(await client.getCountersByRole({}));
      assert.equal(error.kind, 'redirected');
      assert.equal(error.redirectHost, 'an unknown address');
      assert.match(error.detail, /redirected the request to an unknown address/);
    });
  });

  describe('the batch answer\'s shape', () => {
    it('a command with neither a result nor an error fails alone, saying so', async () => {
      const others = Object.fromEntries(Object.entries(ROLE_RESULTS).filter(([role]) => role !== 'view_all'));
      const answer = valueOf(await canned(() => batch({ result: others })).client.getCountersByRole({}));
      const error = failureOf(answer.byRole.view_all);
      assert.equal(error.kind, 'notJson');
      assert.equal(error.detail, 'the batch answer has no result for tasks.task.counters.get');
      assert.deepEqual(counts(valueOf(answer.byRole.view_role_auditor)), [['expired', 2]]);
    });

    it('sections that are null, text or PHP\'s empty array fail every command, never the client', async () => {
      for (const result of [null, 'x', [], 7]) {
        const answer = valueOf(await canned(() => batch({ result, result_error: result, result_time: result, result_total: result })).client.getCountersByRole({}));
        for (const role of ROLES) assert.equal(failureOf(answer.byRole[role]).kind, 'notJson', `${JSON.stringify(result)}: ${role}`);
        assert.deepEqual(answer.time, {});
      }
      for (const body of [{ result: null }, { result: 'x' }]) {
        const answer = valueOf(await canned(() => json(body)).client.getCountersByRole({}));
        assert.equal(failureOf(answer.byRole.view_all).kind, 'notJson', JSON.stringify(body));
      }
    });

    it('an error entry that is not an error object (null, text) leaves the command\'s result', async () => {
      const answer = valueOf(await canned(() => batch({ result_error: { view_all: null, view_role_auditor: 'x' } })).client.getCountersByRole({}));
      assert.deepEqual(counts(valueOf(answer.byRole.view_all)), [['expired', 2]]);
      assert.deepEqual(counts(valueOf(answer.byRole.view_role_auditor)), [['expired', 2]]);
    });

    it('counters in an unexpected shape fail that role, naming the method', async () => {
      const answer = valueOf(await canned(() => batch({ result: { ...ROLE_RESULTS, view_all: 'x' } })).client.getCountersByRole({}));
      const error = failureOf(answer.byRole.view_all);
      assert.equal(error.kind, 'notJson');
      assert.equal(error.detail, 'the portal\'s answer to tasks.task.counters.get has an unexpected shape');
    });

    it('the time budget: the most used and the latest reset of the counters\' commands; a block without numbers adds nothing', async () => {
      const times = {
        view_all: { operating: 3, operating_reset_at: 1_700_000_100 },
        view_role_responsible: { operating_reset_at: 1_700_000_500 },
        view_role_accomplice: { operating: 9 },
        view_role_auditor: { operating: '50', operating_reset_at: '1800000000' },
        view_role_originator: 'x',
      };
      const answer = valueOf(await canned(() => batch({ result_time: times })).client.getCountersByRole({}));
      assert.deepEqual(answer.time, { operating: 9, operatingResetAt: 1_700_000_500_000 });
      const none = valueOf(await canned(() => batch({ result_time: { view_all: { operating: 'x' } } })).client.getCountersByRole({}));
      assert.deepEqual(none.time, { operating: undefined, operatingResetAt: undefined });
    });
  });

  describe('the user', () => {
    const withUser = (user: unknown, profile: unknown) =>
      canned(() => batch({ result: { ...ROLE_RESULTS, user, profile } })).client.getCountersByRole({}, { withUser: true });

    it('a user.current without a valid id (0, text, none) gives way to profile', async () => {
      for (const ID of [0, '0', 'x', -4, undefined]) {
        const answer = valueOf(await withUser({ ID, NAME: 'Wrong' }, { ID: '7', NAME: 'Anna', LAST_NAME: 'Smirnova' }));
        assert.deepEqual(valueOf(answer.user!), { id: 7, name: 'Anna Smirnova' }, String(ID));
      }
    });

    it('a name part that is not text is left out; no name at all is the id', async () => {
      const partial = valueOf(await withUser({ ID: 7, NAME: 42, LAST_NAME: 'Smirnova' }, {}));
      assert.deepEqual(valueOf(partial.user!), { id: 7, name: 'Smirnova' });
      const nameless = valueOf(await withUser({ ID: 7, NAME: { first: 'A' } }, {}));
      assert.deepEqual(valueOf(nameless.user!), { id: 7, name: '#7' });
    });

    it('user.current without a valid id and profile refused: profile\'s refusal', async () => {
      const answer = valueOf(
        await canned(() => batch({ result: { ...ROLE_RESULTS, user: { ID: 0 } }, result_error: { profile: { error: 'ACCESS_DENIED', error_description: 'no profile' } } }))
          .client.getCountersByRole({}, { withUser: true }),
      );
      const error = failureOf(answer.user!);
      assert.equal(error.kind, 'access');
      assert.equal(error.detail, 'ACCESS_DENIED: no profile');
    });

    it('both answering without a valid id: an access failure (an inactive user?)', async () => {
      const answer = valueOf(await withUser({ ID: 0 }, { NAME: 'Anna' }));
      const error = failureOf(answer.user!);
      assert.equal(error.kind, 'access');
      assert.equal(error.detail, 'the portal did not say who the webhook belongs to (inactive user?)');
    });
  });

  describe('the groups', () => {
    it('an answer that is not a list is an unexpected shape, naming the method', async () => {
      for (const result of [{ GROUP_ID: 5 }, 'x', null]) {
        const error = failureOf(await canned(() => json({ result })).client.userGroups());
        assert.equal(error.kind, 'notJson');
        assert.equal(error.detail, 'the portal\'s answer to sonet_group.user.groups has an unexpected shape', JSON.stringify(result));
      }
    });

    it('rows without a valid id are left out; a name that is not text is the id', async () => {
      const rows = [null, 'x', { GROUP_ID: '0', GROUP_NAME: 'zero' }, { GROUP_ID: 'x', GROUP_NAME: 'text' }, { GROUP_ID: -3, GROUP_NAME: 'negative' }, { GROUP_ID: '5', GROUP_NAME: 42 }, { GROUP_ID: 6, GROUP_NAME: 'Beta' }];
      const groups = valueOf(await canned(() => json({ result: rows })).client.userGroups());
      assert.deepEqual(groups, [{ id: 5, name: '#5' }, { id: 6, name: 'Beta' }]);
      const inBatch = valueOf(await canned(() => batch({ result: { ...ROLE_RESULTS, groups: rows } })).client.getCountersByRole({}, { withGroups: true }));
      assert.deepEqual(valueOf(inBatch.groups!), groups);
    });
  });

  it('only the new-comments list drops tasks without unread comments; an overdue one is listed whatever its comments', async () => {
    const task = (id: number, newComments: number) => ({ id, title: `t${id}`, status: 2, counter: { counters: { newComments } } });
    const page = { tasks: [task(1, 0), task(2, 3)] };
    const answer = valueOf(
      await canned(() => batch({ result: { ...ROLE_RESULTS, list_expired: page, list_new_comments: page }, result_total: { list_expired: 2, list_new_comments: 2 } }))
        .client.getCountersByRole({}, { lists: { role: 'view_all', counters: ['expired', 'new_comments'] } }),
    );
    const expired = valueOf(answer.taskLists!.expired!);
    assert.deepEqual([expired.tasks.map((t) => t.id), expired.total], [[1, 2], 2]);
    const commented = valueOf(answer.taskLists!.new_comments!);
    assert.deepEqual([commented.tasks.map((t) => t.id), commented.total], [[2], 1]);
  });
});
