import assert from 'node:assert/strict';
import { Role, ROLES } from '../../src/core/counters';
import { CountersClient, CountersFilter, RoleCounters, TaskListsRequest } from '../../src/core/countersClient';
import {
  encodeQuery,
  isTaskListCounter,
  listAgreement,
  parseTaskPage,
  QueryParams,
  TASK_PAGE_SIZE,
  TaskListCounter,
  TaskListQuery,
  taskListParams,
  TaskPage,
} from '../../src/core/taskList';
import { Outcome, succeed } from '../../src/core/outcome';
import { MAX_PORTAL_TEXT, sentence } from '../../src/core/portalText';
import { Transport } from '../../src/core/transport';
import { parsePhpQuery } from '../sandbox/portal';
import { failureOf, webhookOf } from './support';

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0, 123);
const TASK_SECRET = 'tasklistsecret42';
const WEBHOOK = webhookOf(`https://portal.bitrix24.com/rest/7/${TASK_SECRET}/`);

function valueOf<T>(outcome: Outcome<T>): T {
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(outcome)}`);
  return outcome.value;
}

function params(change: Partial<TaskListQuery>): QueryParams {
  return valueOf(taskListParams({ counter: 'expired', role: 'view_all', userId: 7, groupId: 0, now: NOW, ...change }));
}

const SELECT = ['ID', 'TITLE', 'DEADLINE', 'STATUS', 'RESPONSIBLE_ID', 'GROUP_ID', 'CHANGED_DATE'];
const OVERDUE = { REAL_STATUS: [2, 3], '<DEADLINE': '2026-11-29T10:00:00Z', IS_MUTED: 'N' };
const NEW_COMMENTS = { WITH_COMMENT_COUNTERS: 'Y', IS_MUTED: 'N' };

const ROLE_FILTERS: Record<Role, QueryParams> = {
  view_all: { MEMBER: 7 },
  view_role_responsible: { RESPONSIBLE_ID: 7 },
  view_role_accomplice: { ACCOMPLICE: 7 },
  view_role_auditor: { AUDITOR: 7 },
  view_role_originator: { CREATED_BY: 7, '!REFERENCE:RESPONSIBLE_ID': 'CREATED_BY' },
};

describe('task lists', () => {
  describe('isTaskListCounter', () => {
    it('overdue and new comments expand; nothing else does', () => {
      assert.ok(isTaskListCounter('expired'));
      assert.ok(isTaskListCounter('new_comments'));
      for (const other of ['mentioned', 'wo_deadline', 'total', 'constructor', '', undefined, 6291456]) {
        assert.equal(isTaskListCounter(other), false, String(other));
      }
    });
  });

  describe('taskListParams', () => {
    it('overdue, for each role, all groups: exactly the counter\'s set, earliest deadline first', () => {
      for (const role of ROLES) {
        assert.deepEqual(
          params({ role }),
          { filter: { ...ROLE_FILTERS[role], ...OVERDUE }, select: SELECT, order: { DEADLINE: 'asc' }, start: 0 },
          role,
        );
      }
    });

    it('new comments, for each role, in a group: stored comment counters, latest change first', () => {
      for (const role of ROLES) {
        assert.deepEqual(
          params({ role, counter: 'new_comments', groupId: 12 }),
          {
            filter: { ...ROLE_FILTERS[role], GROUP_ID: 12, ...NEW_COMMENTS },
            select: [...SELECT, 'COUNTERS'],
            order: { CHANGED_DATE: 'desc' },
            start: 0,
          },
          role,
        );
      }
    });

    it('overdue in a group adds GROUP_ID', () => {
      assert.deepEqual(params({ groupId: 30 }).filter, { MEMBER: 7, GROUP_ID: 30, ...OVERDUE });
    });

    it('"now" is sent as UTC with Z, in whole seconds (strtotime makes an unparsable date 1970)', () => {
      const filter = (now: number) => (params({ now }).filter as Record<string, unknown>)['<DEADLINE'];
      assert.equal(filter(Date.UTC(2025, 0, 2, 3, 4, 5, 999)), '2025-01-02T03:04:05Z');
      assert.equal(filter(0), '1970-01-01T00:00:00Z');
    });

    it('never asks past the first page of 50, whatever is asked', () => {
      for (const counter of ['expired', 'new_comments'] as const) {
        for (const role of ROLES) {
          const query = params({ counter, role, groupId: 5 });
          assert.equal(query.start, 0);
          assert.deepEqual(Object.keys(query).sort(), ['filter', 'order', 'select', 'start']);
          assert.equal(parsePhpQuery(encodeQuery(query)).start, '0');
        }
      }
    });

    it('a user id that is not a positive integer is refused, not sent (MEMBER=0 would widen the list)', () => {
      for (const userId of [0, -3, 1.5, NaN]) {
        const error = failureOf(taskListParams({ counter: 'expired', role: 'view_all', userId, groupId: 0, now: NOW }));
        assert.equal(error.kind, 'badRequest', String(userId));
      }
    });

    it('a group id that is neither 0 nor a positive integer is refused', () => {
      for (const groupId of [-1, 2.5, NaN]) {
        const error = failureOf(taskListParams({ counter: 'new_comments', role: 'view_all', userId: 7, groupId, now: NOW }));
        assert.equal(error.kind, 'badRequest', String(groupId));
      }
    });
  });

  describe('encodeQuery', () => {
    it('the counters\' flat parameters read as before', () => {
      assert.equal(encodeQuery({ type: 'view_role_auditor', userId: 1, groupId: 7 }), 'type=view_role_auditor&userId=1&groupId=7');
      assert.equal(encodeQuery({}), '');
    });

    it('an overdue list, as the notes show it: nested arrays with explicit indices, `<` encoded', () => {
      assert.equal(
        encodeQuery(params({ role: 'view_role_responsible' })),
        'filter[RESPONSIBLE_ID]=7&filter[REAL_STATUS][0]=2&filter[REAL_STATUS][1]=3' +
          '&filter[%3CDEADLINE]=2026-11-29T10:00:00Z&filter[IS_MUTED]=N' +
          '&select[0]=ID&select[1]=TITLE&select[2]=DEADLINE&select[3]=STATUS&select[4]=RESPONSIBLE_ID' +
          '&select[5]=GROUP_ID&select[6]=CHANGED_DATE&order[DEADLINE]=asc&start=0',
      );
    });

    it('a new-comments list for the originator in a group', () => {
      assert.equal(
        encodeQuery(params({ counter: 'new_comments', role: 'view_role_originator', groupId: 12 })),
        'filter[CREATED_BY]=7&filter[!REFERENCE:RESPONSIBLE_ID]=CREATED_BY&filter[GROUP_ID]=12' +
          '&filter[WITH_COMMENT_COUNTERS]=Y&filter[IS_MUTED]=N' +
          '&select[0]=ID&select[1]=TITLE&select[2]=DEADLINE&select[3]=STATUS&select[4]=RESPONSIBLE_ID' +
          '&select[5]=GROUP_ID&select[6]=CHANGED_DATE&select[7]=COUNTERS&order[CHANGED_DATE]=desc&start=0',
      );
    });

    it('PHP reads the list parameters back as they were built', () => {
      assert.deepEqual(parsePhpQuery(encodeQuery(params({ role: 'view_role_originator', groupId: 3 }))), {
        filter: {
          CREATED_BY: '7',
          '!REFERENCE:RESPONSIBLE_ID': 'CREATED_BY',
          GROUP_ID: '3',
          REAL_STATUS: { 0: '2', 1: '3' },
          '<DEADLINE': '2026-11-29T10:00:00Z',
          IS_MUTED: 'N',
        },
        select: Object.fromEntries(SELECT.map((field, i) => [String(i), field])),
        order: { DEADLINE: 'asc' },
        start: '0',
      });
    });

    it('a value cannot add or change a parameter', () => {
      const sneaky = 'x&filter[MEMBER]=1&start=50#=+%20 %';
      const query = encodeQuery({ filter: { TITLE: sneaky }, start: 0 });
      assert.equal(query, 'filter[TITLE]=x%26filter%5BMEMBER%5D%3D1%26start%3D50%23%3D%2B%2520%20%25&start=0');
      assert.deepEqual(parsePhpQuery(query), { filter: { TITLE: sneaky }, start: '0' });
    });

    it('a name cannot add a parameter either; `<`, `+`, `=`, `&`, `#`, `%` in names are encoded', () => {
      const query = encodeQuery({ filter: { '<=DEADLINE': 'a', 'x&start=5': 'b', '+#%': 'c', 'Задача': 'd' } });
      assert.equal(query, 'filter[%3C%3DDEADLINE]=a&filter[x%26start%3D5]=b&filter[%2B%23%25]=c&filter[%D0%97%D0%B0%D0%B4%D0%B0%D1%87%D0%B0]=d');
      assert.deepEqual(parsePhpQuery(query), { filter: { '<=DEADLINE': 'a', 'x&start=5': 'b', '+#%': 'c', 'Задача': 'd' } });
    });

    it('Unicode values go as UTF-8; a lone surrogate as U+FFFD', () => {
      assert.equal(encodeQuery({ t: 'Ёж 🦔' }), 't=%D0%81%D0%B6%20%F0%9F%A6%94');
      assert.equal(encodeQuery({ t: 'a\uD800b' }), 't=a%EF%BF%BDb');
    });

    it('names PHP cannot carry are refused: brackets, NUL, empty; spaces and dots at the top level', () => {
      for (const name of ['a[b', 'a]b', '[', 'a\0b', '', 'a.b', 'a b', ' a']) {
        assert.throws(() => encodeQuery({ [name]: '1' }), RangeError, JSON.stringify(name));
      }
      for (const name of ['a[b', 'a]b', 'x\0', '']) {
        assert.throws(() => encodeQuery({ filter: { [name]: '1' } }), RangeError, JSON.stringify(name));
      }
      // Below the top level PHP keeps spaces and dots.
      assert.deepEqual(parsePhpQuery(encodeQuery({ f: { 'a.b c': '1' } })), { f: { 'a.b c': '1' } });
    });
  });

  describe('parseTaskPage', () => {
    const row = {
      id: '41',
      title: 'Prepare the report',
      deadline: '2026-11-28T18:00:00+03:00',
      status: '3',
      responsibleId: '7',
      responsible: { id: '7', name: 'Anna Petrova', link: '/company/personal/user/7/', icon: '/i.png' },
      groupId: '12',
      group: { id: '12', name: 'Website', opened: true },
      changedDate: '2026-11-29T09:15:00+03:00',
      counter: { counters: { expired: 1, newComments: 2 }, value: 3, color: 'danger' },
    };

    const summary = {
      id: 41,
      title: 'Prepare the report',
      deadline: Date.UTC(2026, 10, 28, 15, 0, 0),
      status: 3,
      responsible: { id: 7, name: 'Anna Petrova' },
      group: { id: 12, name: 'Website' },
      unreadComments: 2,
      changedAt: Date.UTC(2026, 10, 29, 6, 15, 0),
    };

    it('reads a good row (camelCase, numbers as strings, dates with offset)', () => {
      assert.deepEqual(valueOf(parseTaskPage({ tasks: [row] }, 1, WEBHOOK.redact)), { tasks: [summary], total: 1 });
    });

    it('numbers may also come as numbers', () => {
      const numeric = { ...row, id: 41, status: 3, responsibleId: 7, groupId: 12, group: { id: 12, name: 'Website' } };
      assert.deepEqual(valueOf(parseTaskPage({ tasks: [numeric] }, '1', WEBHOOK.redact)).tasks, [summary]);
    });

    it('no group: groupId 0 and `group: []` (PHP\'s empty array)', () => {
      const page = valueOf(parseTaskPage({ tasks: [{ ...row, groupId: '0', group: [] }] }, 1, WEBHOOK.redact));
      assert.equal(page.tasks[0].group, undefined);
    });

    it('a group without its name (or a name for another id) shows its number', () => {
      for (const group of [[], { id: '99', name: 'Other' }, { id: '12' }, { id: '12', name: ' \n ' }]) {
        const page = valueOf(parseTaskPage({ tasks: [{ ...row, group }] }, 1, WEBHOOK.redact));
        assert.deepEqual(page.tasks[0].group, { id: 12, name: '#12' }, JSON.stringify(group));
      }
    });

    it('missing fields: a task needs only its id and status', () => {
      const page = valueOf(parseTaskPage({ tasks: [{ id: '5', status: '2' }] }, 1, WEBHOOK.redact));
      assert.deepEqual(page.tasks, [
        {
          id: 5,
          title: '#5',
          deadline: undefined,
          status: 2,
          responsible: undefined,
          group: undefined,
          unreadComments: undefined,
          changedAt: undefined,
        },
      ]);
    });

    it('no deadline (null) and unparsable dates are no dates', () => {
      for (const deadline of [null, '', 'soon', 12345]) {
        const page = valueOf(parseTaskPage({ tasks: [{ ...row, deadline, changedDate: deadline }] }, 1, WEBHOOK.redact));
        assert.equal(page.tasks[0].deadline, undefined, String(deadline));
        assert.equal(page.tasks[0].changedAt, undefined, String(deadline));
      }
    });

    it('a responsible person from responsibleId alone shows the number', () => {
      const page = valueOf(parseTaskPage({ tasks: [{ ...row, responsible: undefined }] }, 1, WEBHOOK.redact));
      assert.deepEqual(page.tasks[0].responsible, { id: 7, name: '#7' });
    });

    it('rows not understood are left out, the others kept; the total stays the portal\'s', () => {
      const bad = [
        null,
        'row',
        [],
        { ...row, id: 'abc' },
        { ...row, id: '12abc' },
        { ...row, id: '0x1A' },
        { ...row, id: '1e3' },
        { ...row, id: ' 12' },
        { ...row, id: '-4' },
        { ...row, id: '0' },
        { ...row, id: 4.5 },
        { ...row, id: '99999999999999999999' },
        { ...row, status: undefined },
        { ...row, status: 'in progress' },
      ];
      const page = valueOf(parseTaskPage({ tasks: [...bad, row, { ...row, id: '42' }] }, 16, WEBHOOK.redact));
      assert.deepEqual(page.tasks.map((task) => task.id), [41, 42]);
      assert.equal(page.total, 16);
    });

    it('odd counters: a non-integer unread count is unknown', () => {
      for (const counter of [undefined, [], { counters: [] }, { counters: { newComments: -1 } }, { counters: { newComments: 'x' } }]) {
        const page = valueOf(parseTaskPage({ tasks: [{ ...row, counter }] }, 1, WEBHOOK.redact));
        assert.equal(page.tasks[0].unreadComments, undefined, JSON.stringify(counter));
      }
      assert.equal(valueOf(parseTaskPage({ tasks: [{ ...row, counter: { counters: { newComments: '4' } } }] }, 1, WEBHOOK.redact)).tasks[0].unreadComments, 4);
    });

    it('a huge title is capped like all portal text, without splitting a character', () => {
      const page = valueOf(parseTaskPage({ tasks: [{ ...row, title: '🦔'.repeat(10_000) }] }, 1, WEBHOOK.redact));
      const title = page.tasks[0].title;
      assert.ok(title.length <= MAX_PORTAL_TEXT && title.endsWith('…'), title);
      assert.ok(Array.from(title.slice(0, -1)).every((c) => c === '🦔'));
    });

    it('a title of nothing but line breaks and control characters falls back to the id', () => {
      assert.equal(valueOf(parseTaskPage({ tasks: [{ ...row, title: '\n\u0007' }] }, 1, WEBHOOK.redact)).tasks[0].title, `#${row.id}`);
    });

    it('names are portal text too', () => {
      const page = valueOf(
        parseTaskPage({ tasks: [{ ...row, responsible: { id: 7, name: 'Anna\nPetrova' }, group: { id: 12, name: 'W'.repeat(500) } }] }, 1, WEBHOOK.redact),
      );
      assert.equal(page.tasks[0].responsible?.name, 'Anna Petrova');
      assert.equal(page.tasks[0].group?.name.length, MAX_PORTAL_TEXT);
    });

    it('a title, responsible or group name quoting the webhook URL has its secret redacted', () => {
      const quoted = `see ${WEBHOOK.reveal()}tasks.task.list`;
      const leaky = { ...row, title: quoted, responsible: { id: '7', name: quoted }, group: { id: '12', name: quoted } };
      const page = valueOf(parseTaskPage({ tasks: [leaky] }, 1, WEBHOOK.redact));
      assert.ok(!JSON.stringify(page).includes(TASK_SECRET), JSON.stringify(page));
      const redacted = `see ${WEBHOOK.redacted}tasks.task.list`;
      assert.deepEqual([page.tasks[0].title, page.tasks[0].responsible?.name, page.tasks[0].group?.name], [redacted, redacted, redacted]);
    });

    it('a total or an unread count past 2^53 saturates at Number.MAX_SAFE_INTEGER; their sum too', () => {
      const MAX = Number.MAX_SAFE_INTEGER;
      const rows = [
        { ...row, counter: { counters: { newComments: 1e308 } } },
        { ...row, id: '42', counter: { counters: { newComments: '99999999999999999999' } } },
      ];
      const page = valueOf(parseTaskPage({ tasks: rows }, '99999999999999999999', WEBHOOK.redact));
      assert.equal(page.total, MAX);
      assert.deepEqual(page.tasks.map((task) => task.unreadComments), [MAX, MAX]);
      assert.equal(valueOf(parseTaskPage({ tasks: rows }, 1e308, WEBHOOK.redact)).total, MAX);
      assert.deepEqual(listAgreement('new_comments', { ...page, total: 2 }, MAX), { kind: 'complete' });
    });

    it('a task sent twice is listed once (each row of a tree has its own id)', () => {
      const page = valueOf(parseTaskPage({ tasks: [row, { ...row, title: 'again' }, { ...row, id: '42' }] }, 3, WEBHOOK.redact));
      assert.deepEqual(page.tasks.map((task) => [task.id, task.title]), [[41, 'Prepare the report'], [42, 'Prepare the report']]);
      assert.equal(page.total, 3);
    });

    it('keeps the first 50 rows even if the portal sends more', () => {
      const rows = Array.from({ length: 60 }, (_, i) => ({ id: String(i + 1), status: '2' }));
      const page = valueOf(parseTaskPage({ tasks: rows }, 60, WEBHOOK.redact));
      assert.equal(page.tasks.length, TASK_PAGE_SIZE);
      assert.equal(page.total, 60);
    });

    it('a total below the rows sent is raised to them', () => {
      assert.equal(valueOf(parseTaskPage({ tasks: [row, { ...row, id: '2' }] }, 1, WEBHOOK.redact)).total, 2);
    });

    it('an empty list', () => {
      assert.deepEqual(valueOf(parseTaskPage({ tasks: [] }, 0, WEBHOOK.redact)), { tasks: [], total: 0 });
    });

    it('an answer of an unexpected shape fails this list as notJson', () => {
      const cases: Array<[unknown, unknown]> = [
        [[], 0],
        [null, 0],
        ['tasks', 0],
        [{ tasks: {} }, 0],
        [{ tasks: null }, 0],
        [{ items: [] }, 0],
        [{ tasks: [row] }, undefined],
        [{ tasks: [row] }, 'many'],
        [{ tasks: [row] }, -1],
      ];
      for (const [result, total] of cases) {
        assert.equal(failureOf(parseTaskPage(result, total, WEBHOOK.redact)).kind, 'notJson', JSON.stringify([result, total]));
      }
    });
  });

  describe('listAgreement', () => {
    function page(unread: Array<number | undefined>, total = unread.length): TaskPage {
      return { tasks: unread.map((unreadComments, i) => ({ id: i + 1, title: sentence`t`, status: 2, unreadComments })), total };
    }

    it('overdue: the tasks listed are the counter', () => {
      assert.deepEqual(listAgreement('expired', page([undefined, undefined, undefined]), 3), { kind: 'complete' });
      assert.deepEqual(listAgreement('expired', page([]), 0), { kind: 'complete' });
    });

    it('overdue: "3 of 5 listed", and more listed than counted while the counter lags', () => {
      assert.deepEqual(listAgreement('expired', page([1, 1, 1]), 5), { kind: 'disagrees', listed: 3, expected: 5 });
      assert.deepEqual(listAgreement('expired', page([1, 1, 1]), 2), { kind: 'disagrees', listed: 3, expected: 2 });
    });

    it('overdue: a row not understood makes the list one short', () => {
      assert.deepEqual(listAgreement('expired', page([1, 1], 3), 3), { kind: 'disagrees', listed: 2, expected: 3 });
    });

    it('new comments: the unread comments summed over the tasks are the counter', () => {
      assert.deepEqual(listAgreement('new_comments', page([2, 1, 4]), 7), { kind: 'complete' });
      assert.deepEqual(listAgreement('new_comments', page([2, 1]), 7), { kind: 'disagrees', listed: 3, expected: 7 });
      // A task without its count adds nothing, so the list says it is short.
      assert.deepEqual(listAgreement('new_comments', page([2, undefined]), 3), { kind: 'disagrees', listed: 2, expected: 3 });
    });

    it('more than 50 match: the first 50 and "open all N in the browser", for either counter', () => {
      const first50 = page(Array.from({ length: 50 }, () => 1), 73);
      for (const counter of ['expired', 'new_comments'] as TaskListCounter[]) {
        assert.deepEqual(listAgreement(counter, first50, 73), { kind: 'moreThanShown', shown: 50, total: 73 });
        assert.deepEqual(listAgreement(counter, first50, 50), { kind: 'moreThanShown', shown: 50, total: 73 });
      }
    });

    it('exactly 50 is all of them', () => {
      const all50 = page(Array.from({ length: 50 }, () => 1), 50);
      assert.deepEqual(listAgreement('expired', all50, 50), { kind: 'complete' });
      assert.deepEqual(listAgreement('new_comments', all50, 50), { kind: 'complete' });
    });
  });
});

/**
 * The client's side: the lists ride in the counters' batch. A scripted transport stands in for
 * the portal here, to shape the batch answer exactly (the sandbox learns tasks.task.list
 * separately).
 */
describe('CountersClient with task lists', () => {
  const COUNTERS = { expired: { counter: 2, code: 6291456 }, new_comments: { counter: 3, code: 12582912 } };
  const TASK = { id: '41', title: 'Prepare the report', status: '3', groupId: '0', group: [] };

  interface BatchSections {
    result?: Record<string, unknown>;
    result_error?: Record<string, unknown> | [];
    result_total?: Record<string, unknown> | [];
    result_time?: Record<string, unknown>;
  }

  /** Every role's counters, plus what a test adds; PHP's `[]` for empty sections. */
  function batchAnswer(sections: BatchSections): unknown {
    const roles = Object.fromEntries(ROLES.map((role) => [role, COUNTERS]));
    return {
      result: {
        result: { ...roles, ...sections.result },
        result_error: sections.result_error ?? [],
        result_total: sections.result_total ?? Object.fromEntries(ROLES.map((role) => [role, 1])),
        result_next: [],
        result_time: sections.result_time ?? {},
      },
      time: { operating: 0, operating_reset_at: 1_800_000_000 },
    };
  }

  async function fetchWith(
    answer: unknown,
    filter: CountersFilter,
    lists?: TaskListsRequest,
  ): Promise<{ answer: RoleCounters; cmd: Record<string, string>; requests: number }> {
    const bodies: Array<{ cmd: Record<string, string> }> = [];
    const transport: Transport = {
      post: (_url, json) => {
        bodies.push(JSON.parse(json));
        return Promise.resolve(succeed({ status: 200, contentType: 'application/json', body: JSON.stringify(answer) }));
      },
    };
    const client = new CountersClient(webhookOf('https://portal.example/rest/9/abc123/'), { transport, now: () => NOW });
    const outcome = await client.getCountersByRole(filter, { lists });
    return { answer: valueOf(outcome), cmd: bodies[0].cmd, requests: bodies.length };
  }

  const both: TaskListsRequest = { role: 'view_role_responsible', counters: ['expired', 'new_comments'] };

  it('adds the lists to the ONE batch, for the webhook\'s own user, the group and the client\'s clock', async () => {
    const { cmd, requests } = await fetchWith(batchAnswer({}), { groupId: 12 }, both);
    assert.equal(requests, 1);
    assert.deepEqual(Object.keys(cmd), [...ROLES, 'list_expired', 'list_new_comments']);
    assert.equal(cmd.view_all, 'tasks.task.counters.get?type=view_all&groupId=12');
    assert.equal(
      cmd.list_expired,
      'tasks.task.list?filter[RESPONSIBLE_ID]=9&filter[GROUP_ID]=12&filter[REAL_STATUS][0]=2&filter[REAL_STATUS][1]=3' +
        '&filter[%3CDEADLINE]=2026-11-29T10:00:00Z&filter[IS_MUTED]=N' +
        '&select[0]=ID&select[1]=TITLE&select[2]=DEADLINE&select[3]=STATUS&select[4]=RESPONSIBLE_ID' +
        '&select[5]=GROUP_ID&select[6]=CHANGED_DATE&order[DEADLINE]=asc&start=0',
    );
    assert.equal(
      cmd.list_new_comments,
      'tasks.task.list?filter[RESPONSIBLE_ID]=9&filter[GROUP_ID]=12&filter[WITH_COMMENT_COUNTERS]=Y&filter[IS_MUTED]=N' +
        '&select[0]=ID&select[1]=TITLE&select[2]=DEADLINE&select[3]=STATUS&select[4]=RESPONSIBLE_ID' +
        '&select[5]=GROUP_ID&select[6]=CHANGED_DATE&select[7]=COUNTERS&order[CHANGED_DATE]=desc&start=0',
    );
  });

  it('lists another user\'s tasks when the filter names that user', async () => {
    const { cmd } = await fetchWith(batchAnswer({}), { userId: 3 }, { role: 'view_all', counters: ['expired'] });
    assert.deepEqual(Object.keys(cmd), [...ROLES, 'list_expired']);
    assert.equal((parsePhpQuery(cmd.list_expired.split('?')[1]).filter as Record<string, unknown>).MEMBER, '3');
  });

  it('reads each list with its total from result_total', async () => {
    const answer = batchAnswer({
      result: { list_expired: { tasks: [TASK] }, list_new_comments: { tasks: [] } },
      result_total: { ...Object.fromEntries(ROLES.map((role) => [role, 1])), list_expired: 5, list_new_comments: 0 },
    });
    const { answer: counters } = await fetchWith(answer, {}, both);
    const expired = valueOf(counters.taskLists?.expired ?? failed());
    assert.deepEqual(expired.tasks.map((task) => [task.id, task.title]), [[41, 'Prepare the report']]);
    assert.equal(expired.total, 5);
    assert.deepEqual(valueOf(counters.taskLists?.new_comments ?? failed()), { tasks: [], total: 0 });
    for (const role of ROLES) assert.ok(counters.byRole[role].ok, role);
  });

  it('OPERATION_TIME_LIMIT on tasks.task.list fails that list only, never the counters', async () => {
    const answer = batchAnswer({
      result: { list_new_comments: { tasks: [TASK] } },
      result_error: { list_expired: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' } },
      result_total: { list_new_comments: 1 },
    });
    const { answer: counters } = await fetchWith(answer, {}, both);
    const error = failureOf(counters.taskLists?.expired ?? failed());
    assert.equal(error.kind, 'rateLimited');
    assert.equal(error.limit, 'operationTime');
    assert.equal(valueOf(counters.taskLists?.new_comments ?? failed()).total, 1);
    for (const role of ROLES) assert.deepEqual(valueOf(counters.byRole[role]).total, 5, role);
  });

  it('the counters\' time budget is their method\'s own: neither a list\'s nor the batch\'s', async () => {
    const answer = batchAnswer({
      result: { list_expired: { tasks: [] } },
      result_total: { list_expired: 0 },
      result_time: {
        view_all: { operating: 2, operating_reset_at: 1_799_999_000 },
        list_expired: { operating: 470, operating_reset_at: 1_900_000_000 },
      },
    });
    const { answer: counters } = await fetchWith(answer, {}, { role: 'view_all', counters: ['expired'] });
    assert.equal(counters.time.operating, 2);
    assert.equal(counters.time.operatingResetAt, 1_799_999_000_000, 'not the batch envelope\'s 1_800_000_000 either');
  });

  it('PHP\'s empty sections (`[]`): a list without a total fails alone as notJson', async () => {
    const answer = batchAnswer({ result: { list_expired: { tasks: [TASK] } }, result_total: [] });
    const { answer: counters } = await fetchWith(answer, {}, { role: 'view_all', counters: ['expired'] });
    assert.equal(failureOf(counters.taskLists?.expired ?? failed()).kind, 'notJson');
    for (const role of ROLES) assert.ok(counters.byRole[role].ok, role);
  });

  it('a list the batch does not answer fails alone as notJson', async () => {
    const { answer: counters } = await fetchWith(batchAnswer({}), {}, { role: 'view_all', counters: ['new_comments'] });
    assert.equal(failureOf(counters.taskLists?.new_comments ?? failed()).kind, 'notJson');
    assert.equal(counters.taskLists?.expired, undefined);
  });

  it('no lists asked for: no list commands and no taskLists', async () => {
    const none = await fetchWith(batchAnswer({}), {});
    assert.deepEqual(Object.keys(none.cmd), [...ROLES]);
    assert.equal(none.answer.taskLists, undefined);
    const empty = await fetchWith(batchAnswer({}), {}, { role: 'view_all', counters: [] });
    assert.deepEqual(Object.keys(empty.cmd), [...ROLES]);
    assert.deepEqual(empty.answer.taskLists, {});
  });

  it('a user id that cannot be listed fails the list without sending it', async () => {
    const { answer, cmd } = await fetchWith(batchAnswer({}), { userId: -1 }, { role: 'view_all', counters: ['expired'] });
    assert.deepEqual(Object.keys(cmd), [...ROLES]);
    assert.equal(failureOf(answer.taskLists?.expired ?? failed()).kind, 'badRequest');
  });

  function failed(): never {
    assert.fail('the list is missing');
  }
});
