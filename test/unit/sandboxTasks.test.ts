/**
 * Tests of the sandbox portal's tasks: `tasks.task.list` and the counters derived from the
 * tasks, over real HTTP. They pin what the notes say Bitrix24 does (filters, batch syntax,
 * paging, fields, faults), so a client tested against the sandbox meets the same portal.
 */
import * as assert from 'node:assert/strict';
import { DEFAULT_COUNTERS, DEFAULT_GROUPS, DEFAULT_USERS, ROLES, SandboxPortal } from '../sandbox/portal';
import {
  call,
  commentsFilter,
  countersAndLists,
  overdueFilter,
  roleFilter,
  withPortal,
} from './sandboxHttp';

const NOW = Date.UTC(2025, 8, 26, 9, 0, 0);
const HOUR = 3_600_000;

/** A visible group of the user: the counters of any other group are an access error. */
function groupsOf(userId: number): number[] {
  const user = DEFAULT_USERS.find((u) => u.id === userId);
  return [0, ...DEFAULT_GROUPS.filter((g) => user?.admin === true || g.members.includes(userId)).map((g) => g.id)];
}

describe('SandboxPortal tasks', () => {
  let portal: SandboxPortal;

  beforeEach(async () => {
    portal = await SandboxPortal.start({ now: () => NOW });
  });

  afterEach(async () => {
    await portal.close();
  });

  /** tasks.task.list as a batch command, the way the extension sends it: ids of the answer. */
  async function listIds(userId: number, query: string): Promise<string[]> {
    const wire = await call(portal, userId, 'batch', { halt: 0, cmd: { list: `tasks.task.list?${query}` } });
    assert.deepEqual(wire.json.result.result_error, [], query);
    return wire.json.result.result.list.tasks.map((task: { id: string }) => task.id);
  }

  describe('counters derived from the tasks', () => {
    it('reproduce DEFAULT_COUNTERS for every preset', async () => {
      for (const preset of DEFAULT_COUNTERS) {
        const wire = await call(portal, preset.userId, 'tasks.task.counters.get', { type: preset.role, groupId: preset.groupId });
        const answered = Object.fromEntries(
          Object.entries(wire.json.result as Record<string, { counter: number }>).map(([name, { counter }]) => [name, counter]),
        );
        assert.deepEqual(answered, preset.counters, `${preset.userId}/${preset.role}/${preset.groupId}`);
      }
    });

    it('the overdue list has `expired` tasks and the comment lists sum to `new_comments`, for every user, role and group', async () => {
      for (const { id: userId } of DEFAULT_USERS) {
        for (const groupId of groupsOf(userId)) {
          const byRole = await countersAndLists(portal, userId, groupId, ROLES);
          for (const role of ROLES) {
            const seen = byRole[role];
            const where = `user ${userId}, ${role}, group ${groupId}`;
            assert.equal(seen.overdue, seen.expired, where);
            assert.equal(seen.storedComments, seen.newComments, where);
            assert.equal(seen.liveComments, seen.newComments, where);
          }
        }
      }
    });

    it('follow changes to the tasks: a new overdue task, read comments, a muted task', async () => {
      const counters = async () => (await call(portal, 1, 'tasks.task.counters.get')).json.result;
      const added = portal.addTask({ title: 'Позвонить клиенту', responsibleId: 1, createdBy: 2, deadline: NOW - HOUR, unread: { 1: 2 } });
      assert.deepEqual([(await counters()).expired.counter, (await counters()).new_comments.counter], [3, 7]);
      portal.updateTask(added.id, { unread: {} });
      assert.equal((await counters()).new_comments.counter, 5);
      portal.updateTask(added.id, { mutedBy: [1] });
      assert.equal((await counters()).expired.counter, 2);
      portal.removeTask(added.id);
      assert.deepEqual(await listIds(1, `${roleFilter('view_all', 1)}&filter[ID]=${added.id}`), []);
    });

    it('counts an overdue task only while pending or in progress, by deadline to the millisecond', async () => {
      const expired = async () => (await call(portal, 2, 'tasks.task.counters.get')).json.result.expired.counter;
      const task = portal.addTask({ title: 'Due now', responsibleId: 2, deadline: NOW, status: 2 });
      assert.equal(await expired(), 0, 'a deadline of exactly now is not before now');
      portal.updateTask(task.id, { deadline: NOW - 1 });
      assert.equal(await expired(), 1);
      for (const [status, counted] of [[1, 0], [3, 1], [4, 0], [5, 0], [6, 0], [7, 0]] as const) {
        portal.updateTask(task.id, { status });
        assert.equal(await expired(), counted, `status ${status}`);
      }
    });

    it('a counter set with setCounters disagrees with its list until resetCounters', async () => {
      portal.setCounters(1, { expired: 9, new_comments: 0 }, { role: 'view_role_responsible' });
      const [disagreeing] = Object.values(await countersAndLists(portal, 1, 0, ['view_role_responsible']));
      assert.equal(disagreeing.expired, 9);
      assert.equal(disagreeing.overdue, 1);
      portal.resetCounters();
      const [agreeing] = Object.values(await countersAndLists(portal, 1, 0, ['view_role_responsible']));
      assert.equal(agreeing.expired, 1);
      assert.equal(portal.countersOf(3).mentioned, 1, 'extras stay');
    });
  });

  describe('tasks.task.list filters', () => {
    it('selects each role of user 1 with the documented filters', async () => {
      const byRole = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await listIds(1, roleFilter(role, 1))])));
      assert.deepEqual(byRole, {
        view_all: ['101', '102', '103', '104', '105', '106', '107', '109', '110'],
        view_role_responsible: ['101', '105', '106', '107'],
        view_role_accomplice: ['104'],
        view_role_auditor: ['103'],
        // Tasks user 1 created for themself (105, 107) are not "assigned".
        view_role_originator: ['102', '109', '110'],
      });
      assert.deepEqual(await listIds(1, 'filter[CREATED_BY]=1'), ['102', '105', '107', '109', '110']);
    });

    it('filters by group, status (scalar or list), deadline, mute and id', async () => {
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&filter[GROUP_ID]=12'), ['102', '103']);
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&filter[GROUP_ID]=0'), ['104', '105', '106', '107', '109', '110']);
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&filter[REAL_STATUS]=5'), ['106']);
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&filter[REAL_STATUS][]=4&filter[REAL_STATUS][]=5'), ['106', '110']);
      // 106 is done and 110 awaits control: past their deadline, but not overdue.
      assert.deepEqual(await listIds(1, `filter[MEMBER]=1&${overdueFilter(NOW)}`), ['102', '101']);
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&filter[IS_MUTED]=Y'), ['107']);
      assert.deepEqual(await listIds(1, 'filter[ID][0]=110&filter[ID][1]=101&filter[ID][2]=999'), ['101', '110']);
      assert.deepEqual(await listIds(1, 'filter[ID]=105'), ['105']);
    });

    it('IS_MUTED and the comment filters are relative to the calling user', async () => {
      portal.updateTask(101, { mutedBy: [3], unread: { 1: 2, 3: 5 } });
      assert.deepEqual(await listIds(1, 'filter[ID]=101&filter[IS_MUTED]=N'), ['101']);
      assert.deepEqual(await listIds(3, 'filter[ID]=101&filter[IS_MUTED]=N'), []);
      const counter = async (userId: number) =>
        (await call(portal, userId, 'tasks.task.list', { filter: { ID: 101 }, select: ['COUNTERS'] })).json.result.tasks[0].counter;
      assert.deepEqual(await counter(1), { counters: { expired: 1, newComments: 2 }, value: 3, color: 'danger' });
      assert.deepEqual(await counter(3), { counters: { expired: 1, newComments: 5 }, value: 6, color: 'gray' });
      assert.deepEqual(await listIds(2, `filter[ID]=101&${commentsFilter()}`), [], 'user 2 has nothing unread on it');
    });

    it('reads nested filters from a batch command, percent-encoded or not, and from a JSON body', async () => {
      const example =
        'filter[RESPONSIBLE_ID]=1&filter[REAL_STATUS][0]=2&filter[REAL_STATUS][1]=3&filter[%3CDEADLINE]=2025-09-26T09:00:00Z' +
        '&filter[IS_MUTED]=N&order[DEADLINE]=asc&select[0]=ID&select[1]=TITLE';
      assert.deepEqual(await listIds(1, example), ['101']);
      const encoded = 'filter%5BCREATED_BY%5D=1&filter%5B%21REFERENCE%3ARESPONSIBLE_ID%5D=CREATED_BY&filter%5BGROUP_ID%5D=12';
      assert.deepEqual(await listIds(1, encoded), ['102']);
      const json = await call(portal, 1, 'tasks.task.list', {
        filter: { MEMBER: 1, REAL_STATUS: [2, 3], '<DEADLINE': '2025-09-26T09:00:00Z', IS_MUTED: 'N' },
        order: { DEADLINE: 'asc' },
      });
      assert.deepEqual(json.json.result.tasks.map((t: { id: string }) => t.id), ['102', '101']);
    });

    it('ignores unknown keys, so a typo widens the result; PROBLEM is not a filter', async () => {
      const everything = await listIds(1, '');
      assert.deepEqual(await listIds(1, 'filter[RESPONSIBLE]=1'), everything);
      assert.deepEqual(await listIds(1, 'filter[PROBLEM]=6291456'), everything);
      assert.deepEqual(await listIds(1, 'filter[responsible_id]=2&filter[!REFERENCE:GROUP_ID]=CREATED_BY'), everything);
    });

    it('reads an unparsable deadline as 1970: nothing is due before it', async () => {
      assert.deepEqual(await listIds(1, 'filter[%3CDEADLINE]=yesterday-ish'), []);
      assert.deepEqual(await listIds(1, 'filter[%3CDEADLINE]=2100-01-01T00:00:00Z'), ['101', '102', '106', '107', '110']);
    });

    it('shows a user the tasks they are a member of and those of their groups; an admin sees all', async () => {
      assert.deepEqual(await listIds(2, ''), ['101', '109']);
      assert.deepEqual(await listIds(2, 'filter[RESPONSIBLE_ID]=1'), ['101']);
      assert.equal((await listIds(3, '')).length, portal.tasks.length);
    });
  });

  describe('tasks.task.list answers', () => {
    it('answers camelCase fields with string ids, ISO deadlines and the group or []', async () => {
      const wire = await call(portal, 1, 'tasks.task.list', { filter: { ID: [101, 105] } });
      assert.equal(wire.status, 200);
      assert.equal(wire.json.total, 2);
      assert.equal(wire.json.next, undefined);
      const [inGroup, own] = wire.json.result.tasks;
      assert.deepEqual(inGroup, {
        id: '101',
        title: 'Исправить оплату картой',
        deadline: '2025-09-26T06:00:00+00:00',
        status: '3',
        responsibleId: '1',
        responsible: { id: '1', name: 'Anna Smirnova', link: '/company/personal/user/1/', icon: '/bitrix/images/tasks/default_avatar.png' },
        createdBy: '3',
        creator: { id: '3', name: 'Viktor Orlov', link: '/company/personal/user/3/', icon: '/bitrix/images/tasks/default_avatar.png' },
        groupId: '7',
        group: { id: '7', name: 'Website relaunch' },
        changedDate: '2025-09-25T09:00:00+00:00',
      });
      assert.equal(own.deadline, null);
      assert.deepEqual(own.group, []);
      assert.equal(own.groupId, '0');
    });

    it('adds `counter` only with COUNTERS selected', async () => {
      const withCounter = await call(portal, 1, 'tasks.task.list', { filter: { ID: 105 }, select: ['ID', 'COUNTERS'] });
      assert.deepEqual(withCounter.json.result.tasks[0].counter, { counters: { expired: 0, newComments: 1 }, value: 1, color: 'danger' });
      const without = await call(portal, 1, 'tasks.task.list', { filter: { ID: 105 }, select: ['ID', 'TITLE'] });
      assert.equal(without.json.result.tasks[0].counter, undefined);
    });

    it('orders by DEADLINE, CHANGED_DATE and ID, ascending or descending, no deadline last', async () => {
      portal.updateTask(104, { changedDate: NOW });
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&order[DEADLINE]=asc'), ['106', '110', '102', '107', '101', '103', '104', '105', '109']);
      assert.deepEqual(await listIds(1, 'filter[MEMBER]=1&order[DEADLINE]=desc'), ['101', '107', '102', '110', '106', '103', '104', '105', '109']);
      assert.deepEqual((await listIds(1, 'filter[MEMBER]=1&order[CHANGED_DATE]=desc')).slice(0, 2), ['104', '101']);
      assert.deepEqual(await listIds(1, 'filter[RESPONSIBLE_ID]=1&order[ID]=desc'), ['107', '106', '105', '101']);
    });

    it('pages by 50: total, next while more remain, start; start=-1 skips counting', async () => {
      const page = (start: number) => call(portal, 2, 'tasks.task.list', { filter: { RESPONSIBLE_ID: 2 }, start });
      for (let i = 0; i < 49; i++) portal.addTask({ title: `Задача ${i}`, responsibleId: 2 });
      const exactlyFifty = (await page(0)).json;
      assert.equal(exactlyFifty.result.tasks.length, 50);
      assert.equal(exactlyFifty.next, undefined, 'no next page when the 50 fill this one');
      for (let i = 49; i < 60; i++) portal.addTask({ title: `Задача ${i}`, responsibleId: 2 });
      const first = (await page(0)).json;
      assert.equal(first.result.tasks.length, 50);
      assert.equal(first.total, 61);
      assert.equal(first.next, 50);
      const second = (await page(50)).json;
      assert.equal(second.result.tasks.length, 11);
      assert.equal(second.total, 61);
      assert.equal(second.next, undefined);
      const ids = [...first.result.tasks, ...second.result.tasks].map((t: { id: string }) => t.id);
      assert.equal(new Set(ids).size, 61);
      const uncounted = (await page(-1)).json;
      assert.equal(uncounted.result.tasks.length, 50);
      assert.equal(uncounted.total, undefined);
      assert.equal(uncounted.next, undefined);
      const batch = await call(portal, 2, 'batch', {
        cmd: { first: 'tasks.task.list?filter[RESPONSIBLE_ID]=2', last: 'tasks.task.list?filter[RESPONSIBLE_ID]=2&start=50' },
      });
      assert.deepEqual(batch.json.result.result_total, { first: 61, last: 61 });
      assert.deepEqual(batch.json.result.result_next, { first: 50 });
    });

    it('needs the task scope', async () => {
      portal.setScopes(2, ['user']);
      assert.equal((await call(portal, 2, 'tasks.task.list')).json.error, 'insufficient_scope');
    });
  });

  describe('faults of lists', () => {
    const counterAndComments = {
      counters: 'tasks.task.counters.get?type=view_all',
      stored: `tasks.task.list?${roleFilter('view_all', 1)}&${commentsFilter('WITH_COMMENT_COUNTERS')}`,
      live: `tasks.task.list?${roleFilter('view_all', 1)}&${commentsFilter('WITH_NEW_COMMENTS')}`,
      overdue: `tasks.task.list?${roleFilter('view_all', 1)}&${overdueFilter(NOW)}`,
    };

    it('rejected comment filters: 400 ERROR_CORE directly, the command’s error in a batch', async () => {
      await withPortal({ now: () => NOW, commentFilters: 'rejected' }, async (strict) => {
        const direct = await call(strict, 1, 'tasks.task.list', { filter: { MEMBER: 1, WITH_NEW_COMMENTS: 'Y' } });
        assert.equal(direct.status, 400);
        assert.deepEqual(direct.json, { error: 'ERROR_CORE', error_description: 'Unknown filter field: WITH_NEW_COMMENTS' });
        const { result } = (await call(strict, 1, 'batch', { halt: 0, cmd: counterAndComments })).json;
        assert.deepEqual(Object.keys(result.result), ['counters', 'overdue']);
        assert.deepEqual(result.result_error, {
          stored: { error: 'ERROR_CORE', error_description: 'Unknown filter field: WITH_COMMENT_COUNTERS' },
          live: { error: 'ERROR_CORE', error_description: 'Unknown filter field: WITH_NEW_COMMENTS' },
        });
      });
    });

    it('ignored comment filters: every task the rest of the filter selects', async () => {
      portal.setCommentFilters('ignored');
      const { result } = (await call(portal, 1, 'batch', { halt: 0, cmd: counterAndComments })).json;
      const unmuted = ['101', '102', '103', '104', '105', '106', '109', '110'];
      assert.deepEqual(result.result.stored.tasks.map((t: { id: string }) => t.id), unmuted);
      assert.deepEqual(result.result.live.tasks.map((t: { id: string }) => t.id), unmuted);
      assert.equal(result.result.counters.new_comments.counter, 5);
      portal.setCommentFilters('supported');
      assert.deepEqual(await listIds(1, `${roleFilter('view_all', 1)}&${commentsFilter()}`), ['101', '103', '104', '105']);
      assert.throws(() => portal.setCommentFilters('strict' as never), RangeError);
    });

    it('operationTimeLimit aimed at tasks.task.list hits only the list commands of a batch', async () => {
      portal.inject('operationTimeLimit', { method: 'tasks.task.list', operatingResetAt: 1_758_878_000 });
      const { result } = (await call(portal, 1, 'batch', { halt: 0, cmd: counterAndComments })).json;
      assert.deepEqual(Object.keys(result.result), ['counters']);
      assert.equal(result.result.counters.expired.counter, 2);
      for (const key of ['stored', 'live', 'overdue']) {
        assert.deepEqual(result.result_error[key], {
          error: 'OPERATION_TIME_LIMIT',
          error_description: 'Method is blocked due to operation time limit.',
        });
      }
      const direct = await call(portal, 1, 'tasks.task.list');
      assert.equal(direct.status, 429);
      assert.equal(direct.json.operating_reset_at, 1_758_878_000);
      assert.equal((await call(portal, 1, 'tasks.task.counters.get')).status, 200);
    });
  });

  it('loads no tasks with custom users, and the given tasks when asked', async () => {
    await withPortal({ users: [...DEFAULT_USERS] }, async (custom) => {
      assert.deepEqual(custom.tasks, []);
      assert.deepEqual(Object.keys((await call(custom, 3, 'tasks.task.counters.get')).json.result), ['expired', 'new_comments']);
    });
    await withPortal({ tasks: [{ title: 'Only one', responsibleId: 2, unread: { 2: 1 } }] }, async (given) => {
      assert.deepEqual(given.tasks.map((t) => t.id), [101]);
      assert.equal((await call(given, 2, 'tasks.task.counters.get')).json.result.new_comments.counter, 1);
    });
  });
});
