/**
 * Tests of the sandbox portal's task card over real HTTP: the task with `select` and its
 * `action` map, the status actions, timers and time, checklist items, forum and chat comments,
 * reads that lower the counters, and faults on writes. Each group pins what the notes
 * (bitrix24-task-actions.md, the section named in the group) say Bitrix24 does, so a client
 * tested against the sandbox meets the same portal; expected values are written out from the
 * notes, not taken from the sandbox's code.
 */
import * as assert from 'node:assert/strict';
import { LARGE_DESCRIPTION_BYTES } from '../sandbox/cardSample';
import { DEFAULT_COUNTERS, SandboxPortal, SandboxUser } from '../sandbox/portal';
import { call, postJson, request, Wire } from './sandboxHttp';
import { until } from './support';

const NOW = Date.UTC(2025, 8, 26, 9, 0, 0);
const MINUTE = 60_000;

type StatusAction = 'start' | 'pause' | 'defer' | 'complete' | 'renew' | 'approve' | 'disapprove';
const STATUS_ACTIONS: readonly StatusAction[] = ['start', 'pause', 'defer', 'complete', 'renew', 'approve', 'disapprove'];

/** The notes' A7 list of `action` keys, in their order. */
const ACTION_KEYS = [
  'accept', 'decline', 'complete', 'approve', 'disapprove', 'start', 'pause', 'delegate', 'remove', 'edit', 'defer', 'renew',
  'create', 'changeDeadline', 'checklistAddItems', 'addFavorite', 'deleteFavorite', 'rate', 'take', 'edit.originator',
  'checklist.reorder', 'elapsedtime.add', 'dayplan.timer.toggle', 'edit.plan', 'checklist.add', 'favorite.add', 'favorite.delete',
];

/** The REST 3.0 address of a user's webhook: `/rest/api/<id>/<secret>/`. */
function apiUrl(portal: SandboxPortal, userId: number): string {
  return portal.webhookUrl(userId).replace('/rest/', '/rest/api/');
}

describe('SandboxPortal task card', () => {
  let portal: SandboxPortal;
  let clock: number;

  async function start(options: Parameters<typeof SandboxPortal.start>[0] = {}): Promise<void> {
    await portal?.close();
    clock = NOW;
    portal = await SandboxPortal.start({ now: () => clock, ...options });
  }

  beforeEach(() => start());

  afterEach(async () => {
    await portal.close();
  });

  /** tasks.task.get's `task`, or [] when the caller may not see it. */
  async function getTask(userId: number, taskId: number, select?: string[], params?: Record<string, string>) {
    const wire = await call(portal, userId, 'tasks.task.get', { taskId, ...(select ? { select } : {}), ...(params ? { params } : {}) });
    assert.equal(wire.status, 200, wire.text.slice(0, 300));
    return wire.json.result.task ?? wire.json.result;
  }

  const act = (userId: number, action: string, taskId: number, params?: Record<string, string>) =>
    call(portal, userId, `tasks.task.${action}`, { taskId, ...(params ? { params } : {}) });

  async function counters(userId: number, filter: Record<string, unknown> = {}): Promise<{ expired: number; newComments: number }> {
    const result = (await call(portal, userId, 'tasks.task.counters.get', filter)).json.result;
    return { expired: result.expired.counter, newComments: result.new_comments.counter };
  }

  function assertNotAllowed(wire: Wire, code = '1048582'): void {
    assert.equal(wire.status, 400, wire.text.slice(0, 300));
    assert.deepEqual(wire.json, { error: code, error_description: 'Action on the task is not allowed' });
  }

  // -------------------------------------------------------------------------------------------
  describe('tasks.task.get (notes A1)', () => {
    it('answers the selected fields camelCased, strings for ids and numbers, plus id, favorite, group and action', async () => {
      const task = await getTask(1, 101, ['TITLE', 'STATUS', 'ACCOMPLICES', 'CREATED_BY', 'TIME_ESTIMATE', 'NEW_COMMENTS_COUNT', 'NO_SUCH_FIELD', 'title']);
      assert.deepEqual(Object.keys(task), [
        'id', 'title', 'status', 'createdBy', 'accomplices', 'timeEstimate', 'newCommentsCount', 'favorite', 'group', 'creator', 'accomplicesData', 'action',
      ]);
      assert.equal(task.id, '101');
      assert.equal(task.status, '3');
      assert.equal(task.timeEstimate, '14400', 'seconds, as a string');
      assert.equal(task.newCommentsCount, 2, "the caller's unread comments");
      assert.deepEqual(task.accomplices, []);
      assert.deepEqual(task.accomplicesData, [], "PHP's empty array");
      assert.deepEqual(task.group, [], 'GROUP_ID was not selected');
      assert.deepEqual(task.creator, {
        id: '3', name: 'Viktor Orlov', link: '/company/personal/user/3/', icon: '/bitrix/images/tasks/default_avatar.png', workPosition: '',
      });
      assert.deepEqual(Object.keys(task.action), ACTION_KEYS);
    });

    it('answers every field for no select or "*", the description as BB-code, and the checklist with its tree and actions', async () => {
      const all = await getTask(1, 101);
      assert.deepEqual(await getTask(1, 101, ['*']), all);
      assert.equal(all.descriptionInBbcode, 'Y');
      assert.match(all.description, /\[B\]error 502\[\/B\]/);
      assert.equal(all.timeSpentInLogs, '1800');
      assert.equal(all.allowTimeTracking, 'Y');
      assert.equal(all.taskControl, 'Y');
      assert.equal(all.commentsCount, '3');
      assert.deepEqual(all.group, { id: '7', name: 'Website relaunch', opened: false, membersCount: 2, image: '', additionalData: [] });
      const items = Object.values<Record<string, unknown>>(all.checklist);
      assert.deepEqual(items.map((item) => [item.title, item.isComplete]), [
        ['Before release', 'N'], ['Reproduce the error', 'Y'], ['Fix the gateway timeout', 'N'], ['Test on the live shop', 'N'],
      ]);
      assert.deepEqual(items[1].action, { modify: false, remove: false, toggle: true, add: true, addAccomplice: false }, 'the responsible ticks, the creator edits');
      assert.equal(all.checkListTree.fields.completedCount, 0, 'the heading is not ticked');
      assert.equal(all.checkListTree.descendants[0].fields.completedCount, 1, 'one of its items is');
      assert.equal(all.checkListCanAdd, true);
      assert.equal('chatId' in all, false, 'the old card has no CHAT_ID field');
    });

    it('adds timeElapsed and timerIsRunningForCurrentUser with WITH_TIMER_INFO, unless the portal ignores it (M)', async () => {
      const task = await getTask(1, 101, ['ID'], { WITH_TIMER_INFO: 'Y' });
      assert.equal(task.timeElapsed, '1800');
      assert.equal(task.timerIsRunningForCurrentUser, 'N');
      portal.cards.setQuirks({ timerInfo: false });
      const without = await getTask(1, 101, ['ID'], { WITH_TIMER_INFO: 'Y' });
      assert.equal('timeElapsed' in without, false);
      assert.equal('timerIsRunningForCurrentUser' in without, false);
    });

    it('answers 200 with result [] for a task that does not exist or that the caller may not see', async () => {
      assert.deepEqual(await getTask(1, 108), [], 'user 1 is no member of 108 and it is in no group of theirs');
      assert.deepEqual(await getTask(1, 999), []);
      assert.equal((await getTask(3, 108)).id, '108', 'an admin sees it');
    });

    it('refuses a select that is not a list, a task id that is not a positive integer, and no task id', async () => {
      const notList = await call(portal, 1, 'tasks.task.get', { taskId: 101, select: 'TITLE' });
      assert.equal(notList.status, 400);
      assert.equal(notList.json.error, '100');
      assert.match(notList.json.error_description, /to match with parameter \{select\}/);
      const wrongId = await call(portal, 1, 'tasks.task.get', { taskId: 'abc' });
      assert.deepEqual([wrongId.status, wrongId.json.error_description], [400, 'wrong task id']);
      const noId = await call(portal, 1, 'tasks.task.get', {});
      assert.deepEqual([noId.status, noId.json.error], [400, '100']);
      assert.match(noId.json.error_description, /^CTaskItem All parameters in the constructor/);
    });

    it('reads select and params from a batch command too', async () => {
      const wire = await call(portal, 1, 'batch', { halt: 0, cmd: { t: 'tasks.task.get?taskId=105&select[0]=TITLE&params[WITH_TIMER_INFO]=Y' } });
      const task = wire.json.result.result.t.task;
      assert.deepEqual([task.title, task.timerIsRunningForCurrentUser], ['Write the release notes', 'N']);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('the action map and the status actions per role (notes A2, A7)', () => {
    /** C creator, R responsible, A accomplice, U auditor, N a member of the task's group only, X an admin. */
    const ROLE_USERS: Array<SandboxUser & { role: string }> = [
      { role: 'C', id: 1, name: 'Cora', lastName: 'Creator', secret: 'sandboxsecret0021', scopes: ['task'] },
      { role: 'R', id: 2, name: 'Rita', lastName: 'Responsible', secret: 'sandboxsecret0022', scopes: ['task'] },
      { role: 'A', id: 3, name: 'Arne', lastName: 'Accomplice', secret: 'sandboxsecret0023', scopes: ['task'] },
      { role: 'U', id: 4, name: 'Uma', lastName: 'Auditor', secret: 'sandboxsecret0024', scopes: ['task'] },
      { role: 'N', id: 5, name: 'Nils', lastName: 'Nobody', secret: 'sandboxsecret0025', scopes: ['task'] },
      { role: 'X', id: 6, name: 'Xena', lastName: 'Admin', secret: 'sandboxsecret0026', scopes: ['task'], admin: true },
    ];
    const OUTSIDER: SandboxUser = { id: 7, name: 'Otto', lastName: 'Outsider', secret: 'sandboxsecret0027', scopes: ['task'] };
    const TASK = 500;

    /** Who may, per status (the notes' table; "4 for responsible/accomplice who is not the creator"). */
    const MAY: Record<number, Record<StatusAction, string>> = {
      1: { start: 'CRAX', pause: '', defer: 'CRAX', complete: 'CRAX', renew: '', approve: '', disapprove: '' },
      2: { start: 'CRAX', pause: '', defer: 'CRAX', complete: 'CRAX', renew: '', approve: '', disapprove: '' },
      3: { start: '', pause: 'CRAX', defer: '', complete: 'CRAX', renew: '', approve: '', disapprove: '' },
      4: { start: '', pause: '', defer: '', complete: 'CX', renew: 'RA', approve: 'CX', disapprove: 'CX' },
      5: { start: '', pause: '', defer: '', complete: '', renew: 'CRAX', approve: '', disapprove: '' },
      6: { start: '', pause: '', defer: '', complete: 'CRAX', renew: 'CRAX', approve: '', disapprove: '' },
      7: { start: '', pause: '', defer: '', complete: 'CRAX', renew: '', approve: '', disapprove: '' },
    };

    /**
     * Where each action goes. complete: to 5 for the creator (and an admin completing a task in
     * 4), otherwise to 4 "awaiting control", as the task is checked after completion and its
     * creator is not its responsible.
     */
    function target(action: StatusAction, role: string, status: number): number {
      switch (action) {
        case 'start':
          return 3;
        case 'defer':
          return 6;
        case 'approve':
          return 5;
        case 'complete':
          return role === 'C' || (role === 'X' && status === 4) ? 5 : 4;
        default:
          return 2;
      }
    }

    beforeEach(async () => {
      await start({ users: [...ROLE_USERS, OUTSIDER], groups: [{ id: 20, name: 'Team', members: [5] }] });
      portal.addTask({ id: TASK, title: 'Ship the build', createdBy: 1, responsibleId: 2, accomplices: [3], auditors: [4], groupId: 20 });
      portal.cards.putCard(TASK, { taskControl: true }, clock);
    });

    it('the action map of each role in each status says who may do what', async () => {
      for (const status of [1, 2, 3, 4, 5, 6, 7] as const) {
        portal.updateTask(TASK, { status });
        for (const user of ROLE_USERS) {
          const { action } = await getTask(user.id, TASK, ['ID']);
          const expected = Object.fromEntries(STATUS_ACTIONS.map((a) => [a, MAY[status][a].includes(user.role)]));
          const answered = Object.fromEntries(STATUS_ACTIONS.map((a) => [a, action[a]]));
          assert.deepEqual(answered, expected, `status ${status}, role ${user.role}`);
        }
      }
    });

    it('an auditor and a group member read the task but may change nothing; an outsider gets []', async () => {
      for (const id of [4, 5]) {
        const { action } = await getTask(id, TASK, ['ID']);
        const allowed = Object.keys(action).filter((key) => action[key]);
        assert.deepEqual(allowed, ['create', 'addFavorite', 'favorite.add'], `user ${id}`);
      }
      assert.deepEqual(await getTask(7, TASK, ['ID']), []);
      assertNotAllowed(await act(7, 'start', TASK));
    });

    it('tasks.task.getaccess answers the same map for several users, in upper case', async () => {
      const wire = await call(portal, 6, 'tasks.task.getaccess', { taskId: TASK, users: [1, 2, 7] });
      const { allowedActions } = wire.json.result;
      assert.deepEqual(Object.keys(allowedActions), ['1', '2'], 'the outsider has no access, so no entry');
      for (const id of [1, 2]) {
        const { action } = await getTask(id, TASK, ['ID']);
        assert.deepEqual(Object.values(allowedActions[id]), Object.values(action));
        assert.equal(allowedActions[id].START, action.start);
        assert.equal(allowedActions[id]['DAYPLAN.TIMER.TOGGLE'], action['dayplan.timer.toggle']);
      }
    });

    it('every action, role and status: allowed moves the task where the notes say; refused is 400 1048582 and changes nothing', async () => {
      for (const status of [1, 2, 3, 4, 5, 6, 7] as const) {
        for (const action of STATUS_ACTIONS) {
          for (const user of ROLE_USERS) {
            portal.updateTask(TASK, { status, changedDate: NOW - MINUTE });
            const wire = await act(user.id, action, TASK);
            const where = `${action} by ${user.role} from ${status}`;
            const to = target(action, user.role, status);
            if (MAY[status][action].includes(user.role)) {
              assert.equal(wire.status, 200, `${where}: ${wire.text.slice(0, 200)}`);
              assert.equal(wire.json.result.task.status, String(to), where);
              assert.equal(wire.json.result.task.changedDate, '2025-09-26T09:00:00+00:00', `${where}: written now`);
            } else if (to === status) {
              // Nothing to write and no access check: 200 with the unchanged task.
              assert.equal(wire.status, 200, where);
              assert.equal(wire.json.result.task.status, String(status), where);
            } else {
              assertNotAllowed(wire);
            }
            const [task] = portal.tasks.filter((t) => t.id === TASK);
            const written = wire.status === 200 ? Number(wire.json.result.task.status) : status;
            assert.equal(task.status, written, `${where}: the portal holds what it answered`);
            if (task.status === status) assert.equal(task.changedDate, NOW - MINUTE, `${where}: nothing written`);
          }
        }
      }
    });

    it('a status change to the current status answers 200 without an access check, or 400 on a portal that checks (M)', async () => {
      portal.updateTask(TASK, { status: 3 });
      const asAuditor = await act(4, 'start', TASK);
      assert.equal(asAuditor.status, 200, 'not even an auditor is refused: nothing is written');
      assert.equal(asAuditor.json.result.task.status, '3');
      portal.cards.setQuirks({ sameStatus: 'checked' });
      assertNotAllowed(await act(2, 'start', TASK));
      assertNotAllowed(await act(4, 'start', TASK));
    });

    it('older cores answer "0" instead of 1048582', async () => {
      portal.cards.setQuirks({ notAllowedCode: '0' });
      portal.updateTask(TASK, { status: 3 });
      assertNotAllowed(await act(2, 'defer', TASK), '0');
      assertNotAllowed(await act(2, 'start', 999), '0');
    });

    it('complete goes straight to 5 when the creator is the responsible or the task is not checked', async () => {
      portal.updateTask(TASK, { status: 3 });
      portal.cards.putCard(TASK, { taskControl: false }, clock);
      assert.equal((await act(2, 'complete', TASK)).json.result.task.status, '5');
      portal.updateTask(TASK, { status: 3, createdBy: 2 });
      portal.cards.putCard(TASK, { taskControl: true }, clock);
      assert.equal((await act(3, 'complete', TASK)).json.result.task.status, '5', 'the accomplice completes a task its responsible created');
    });

    it('complete refuses a task that needs a result only with params.PLATFORM web or mobile, or always on such a portal (M)', async () => {
      portal.cards.putCard(TASK, { requireResult: true }, clock);
      portal.updateTask(TASK, { status: 3 });
      for (const PLATFORM of ['web', 'mobile']) {
        const refused = await act(2, 'complete', TASK, { PLATFORM });
        assert.deepEqual([refused.status, refused.json.error], [400, '0'], PLATFORM);
      }
      assert.equal(portal.tasks.find((t) => t.id === TASK)?.status, 3);
      portal.cards.setQuirks({ resultCheck: 'always' });
      assert.equal((await act(2, 'complete', TASK)).status, 400);
      portal.cards.setQuirks({ resultCheck: 'platform' });
      assert.equal((await act(2, 'complete', TASK)).json.result.task.status, '4');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('status actions on the default tasks move the counters (notes A2)', () => {
    it('the responsible completes an overdue checked task: awaiting control, no longer overdue; the creator approves or returns it', async () => {
      assert.deepEqual(await counters(1), { expired: 2, newComments: 5 });
      const completed = await act(1, 'complete', 101);
      assert.equal(completed.json.result.task.status, '4', 'sent for approval');
      assert.equal(completed.json.result.task.action.approve, false);
      assert.equal((await counters(1)).expired, 1);
      assert.equal((await getTask(3, 101, ['ID'])).action.approve, true);
      const returned = await act(3, 'disapprove', 101);
      assert.equal(returned.json.result.task.status, '2');
      assert.equal((await counters(1)).expired, 2, 'returned for rework: overdue again');
      await act(1, 'complete', 101);
      assert.equal((await act(3, 'approve', 101)).json.result.task.status, '5');
    });

    it('a task is deferred only when not in progress: pause first', async () => {
      assertNotAllowed(await act(1, 'defer', 101));
      assert.equal((await act(1, 'pause', 101)).json.result.task.status, '2');
      assert.equal((await act(1, 'defer', 101)).json.result.task.status, '6');
      assert.equal((await counters(1)).expired, 1, 'deferred is not overdue');
      assert.equal((await act(1, 'renew', 101)).json.result.task.status, '2');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('timers and time spent (notes A5)', () => {
    const elapsed = async (taskId: number) => (await call(portal, 1, 'task.elapseditem.getlist', { TASKID: taskId, ORDER: { ID: 'asc' } })).json.result;

    it('startTimer starts the task and runs the clock; pauseTimer logs the whole seconds as a system record', async () => {
      const started = await call(portal, 1, 'tasks.task.startTimer', { taskId: 104 });
      assert.equal(started.status, 200);
      assert.equal(started.json.result.task.status, '3', 'a pending task is started');
      assert.equal(started.json.result.task.timerIsRunningForCurrentUser, 'Y');
      assert.equal(started.json.result.task.timeElapsed, '0');
      clock += 90_500;
      assert.equal((await getTask(1, 104, ['ID'], { WITH_TIMER_INFO: 'Y' })).timeElapsed, '90');
      assert.equal((await getTask(3, 104, ['ID'], { WITH_TIMER_INFO: 'Y' })).timerIsRunningForCurrentUser, 'N', "not user 3's timer");
      const paused = await call(portal, 1, 'tasks.task.pauseTimer', { taskId: 104 });
      assert.equal(paused.json.result.task.timerIsRunningForCurrentUser, 'N');
      assert.equal(paused.json.result.task.timeSpentInLogs, '90');
      const [record] = await elapsed(104);
      assert.deepEqual([record.USER_ID, record.SECONDS, record.SOURCE], ['1', '90', '3']);
      const again = await call(portal, 1, 'tasks.task.pauseTimer', { taskId: 104 });
      assert.deepEqual([again.status, again.json.error], [400, '0'], 'no timer runs on it');
    });

    it('one timer per user: another task is refused naming the running one, unless STOP_PREVIOUS=Y stops and logs it', async () => {
      await call(portal, 1, 'tasks.task.startTimer', { taskId: 104 });
      clock += 60_000;
      const refused = await call(portal, 1, 'tasks.task.startTimer', { taskId: 101 });
      assert.deepEqual([refused.status, refused.json.error], [400, '0']);
      assert.match(refused.json.error_description, /Перевести справку на английский/);
      assert.match(refused.json.error_description, /104/);
      assert.equal(portal.cards.timerOf(1)?.taskId, 104);
      const switched = await call(portal, 1, 'tasks.task.startTimer', { taskId: 101, params: { STOP_PREVIOUS: 'Y' } });
      assert.equal(switched.json.result.task.timerIsRunningForCurrentUser, 'Y');
      assert.equal(portal.cards.timerOf(1)?.taskId, 101);
      assert.deepEqual((await elapsed(104)).map((r: { SECONDS: string }) => r.SECONDS), ['60'], "the stopped timer's time is logged");
      const other = await call(portal, 3, 'tasks.task.startTimer', { taskId: 103 });
      assert.equal(other.json.result.task.timerIsRunningForCurrentUser, 'Y', "another user's timer is theirs");
      assert.equal(portal.cards.timerOf(1)?.taskId, 101);
    });

    it('completing the task stops its responsible\'s timer; a timer on a completed task renews it', async () => {
      await call(portal, 1, 'tasks.task.startTimer', { taskId: 101 });
      clock += 30_000;
      await act(1, 'complete', 101);
      assert.equal(portal.cards.timerOf(1), undefined);
      assert.equal((await getTask(1, 101, ['TIME_SPENT_IN_LOGS'])).timeSpentInLogs, '1830');
      const renewed = await call(portal, 1, 'tasks.task.startTimer', { taskId: 106 });
      assert.equal(renewed.json.result.task.status, '2', 'renewed, not started');
      assert.equal(renewed.json.result.task.timerIsRunningForCurrentUser, 'Y');
    });

    it('a task without time tracking answers null; a portal without the timer methods answers ERROR_METHOD_NOT_FOUND (M)', async () => {
      portal.cards.putCard(104, { allowTimeTracking: false }, clock);
      const none = await call(portal, 1, 'tasks.task.startTimer', { taskId: 104 });
      assert.deepEqual([none.status, none.json.result], [200, null]);
      assert.equal((await getTask(1, 104, ['ID'])).action['dayplan.timer.toggle'], false);
      portal.cards.setQuirks({ missingMethods: ['tasks.task.startTimer', 'tasks.task.pauseTimer'] });
      const missing = await call(portal, 1, 'tasks.task.startTimer', { taskId: 101 });
      assert.deepEqual([missing.status, missing.json.error], [404, 'ERROR_METHOD_NOT_FOUND']);
    });

    it('task.elapseditem.add logs time by hand (source 2); both fields are required, in order', async () => {
      const added = await call(portal, 1, 'task.elapseditem.add', { TASKID: 101, ARFIELDS: { SECONDS: 113, COMMENT_TEXT: 'Review' } });
      assert.equal(typeof added.json.result, 'number');
      const records = await elapsed(101);
      assert.deepEqual(records.at(-1), { ...records.at(-1), ID: String(added.json.result), SECONDS: '113', MINUTES: '2', SOURCE: '2', COMMENT_TEXT: 'Review' });
      assert.equal((await getTask(1, 101, ['TIME_SPENT_IN_LOGS'])).timeSpentInLogs, '1913');
      const incomplete = await call(portal, 1, 'task.elapseditem.add', { TASKID: 101, ARFIELDS: { SECONDS: 5 } });
      assert.deepEqual([incomplete.status, incomplete.json.error], [400, 'ERROR_CORE']);
      const auditor = await call(portal, 1, 'task.elapseditem.add', { TASKID: 103, ARFIELDS: { SECONDS: 5, COMMENT_TEXT: '' } });
      assert.equal(auditor.status, 400, 'an auditor logs no time');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('checklist items (notes A6)', () => {
    it('lists the items flat, ticks and unticks one by ITEMID; false for no such item or swapped parameters', async () => {
      const list = (await call(portal, 1, 'task.checklistitem.getlist', { TASKID: 101, ORDER: { SORT_INDEX: 'asc' } })).json.result;
      assert.deepEqual(list.map((i: Record<string, string>) => [i.PARENT_ID, i.TITLE, i.IS_COMPLETE]), [
        ['0', 'Before release', 'N'], ['1101', 'Reproduce the error', 'Y'], ['1101', 'Fix the gateway timeout', 'N'], ['1101', 'Test on the live shop', 'N'],
      ]);
      const itemId = Number(list[2].ID);
      const ticked = await call(portal, 1, 'task.checklistitem.complete', { TASKID: 101, ITEMID: itemId });
      assert.equal(ticked.json.result, true);
      assert.equal((await getTask(1, 101, ['CHECKLIST'])).checklist[itemId].isComplete, 'Y');
      assert.equal((await call(portal, 1, 'task.checklistitem.complete', { TASKID: 101, ITEMID: itemId })).json.result, true, 'idempotent');
      assert.equal((await call(portal, 1, 'task.checklistitem.renew', { TASKID: 101, ITEMID: itemId })).json.result, true);
      assert.equal((await getTask(1, 101, ['CHECKLIST'])).checklist[itemId].isComplete, 'N');
      assert.equal((await call(portal, 1, 'task.checklistitem.complete', { ITEMID: itemId, TASKID: 101 })).json.result, false, 'swapped');
      assert.equal((await call(portal, 1, 'task.checklistitem.complete', { TASKID: 101, ITEMID: 1 })).json.result, false);
      assert.equal((await getTask(1, 101, ['CHECKLIST'])).checklist[itemId].isComplete, 'N');
    });

    it('refuses a tick by someone whose item action says no toggle: an auditor', async () => {
      portal.cards.putCard(103, { checklist: [{ title: 'Check the contrast' }] }, clock);
      const { checklist } = await getTask(1, 103, ['CHECKLIST']);
      const [item] = Object.values<{ id: string; action: { toggle: boolean } }>(checklist);
      assert.equal(item.action.toggle, false);
      const byAuditor = await call(portal, 1, 'task.checklistitem.complete', { TASKID: 103, ITEMID: Number(item.id) });
      assert.deepEqual([byAuditor.status, byAuditor.json.error], [400, 'ERROR_CORE']);
      assert.equal(portal.cards.cardOf(103).checklist[0].isComplete, false);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('old card: forum comments (notes A3)', () => {
    const comments = async (userId: number, params: Record<string, unknown>) => call(portal, userId, 'task.commentitem.getlist', params);

    it('lists comments newest first by default, with ORDER and FILTER in that order after TASKID', async () => {
      const newest = (await comments(1, { TASKID: 101 })).json.result;
      assert.deepEqual(newest.map((c: Record<string, string>) => c.AUTHOR_ID), ['3', '3', '1']);
      assert.deepEqual(Object.keys(newest[0]), ['POST_MESSAGE_HTML', 'ID', 'AUTHOR_ID', 'AUTHOR_NAME', 'AUTHOR_EMAIL', 'POST_DATE', 'POST_MESSAGE', 'ATTACHED_OBJECTS']);
      assert.equal(newest[0].AUTHOR_NAME, 'Viktor Orlov');
      assert.equal(newest[0].POST_DATE, '2025-09-26T08:30:00+00:00');
      const oldest = (await comments(1, { TASKID: 101, ORDER: { POST_DATE: 'asc' }, FILTER: { AUTHOR_ID: 3 } })).json.result;
      assert.deepEqual(oldest.map((c: Record<string, string>) => c.ID), [newest[1].ID, newest[0].ID]);
      const since = (await comments(1, { TASKID: 101, ORDER: { ID: 'desc' }, FILTER: { '>=POST_DATE': '2025-09-26T08:00:00+00:00' } })).json.result;
      assert.deepEqual(since.map((c: Record<string, string>) => c.ID), [newest[0].ID]);
    });

    it('forum comments from before a chat are the forum\'s too: listed with the rest on the old card', async () => {
      portal.cards.putCard(101, { forumComments: [{ authorId: 3, text: 'Before the chat', postedAt: Date.UTC(2025, 0, 1) }] }, clock);
      const all = (await comments(1, { TASKID: 101, ORDER: { ID: 'asc' } })).json.result;
      assert.deepEqual(all.map((c: Record<string, string>) => c.AUTHOR_ID), ['1', '3', '3', '3']);
      assert.equal(all.find((c: Record<string, string>) => c.POST_MESSAGE === 'Before the chat')?.AUTHOR_ID, '3');
    });

    it('binds parameters by position: FILTER without ORDER is read as ORDER and refused with the documented error', async () => {
      const wire = await comments(1, { TASKID: 101, FILTER: { '>=POST_DATE': '2025-01-01' } });
      assert.equal(wire.status, 400);
      assert.deepEqual(wire.json, {
        error: 'ERROR_CORE',
        error_description:
          'TASKS_ERROR_EXCEPTION_#256; Param #1 (arOrder) for method ctaskcommentitem::getlist() must not contain key ">=POST_DATE".; 256/TE/WRONG_ARGUMENTS.<br>',
      });
      const noAccess = await comments(1, { TASKID: 108 });
      assert.deepEqual([noAccess.status, noAccess.json.error], [400, 'ERROR_CORE']);
    });

    it('a new comment is unread for the other members, not for its author; AUTHOR_ID posts as someone else', async () => {
      const before = { 1: await counters(1), 3: await counters(3) };
      const added = await call(portal, 1, 'task.commentitem.add', { TASKID: 101, FIELDS: { POST_MESSAGE: 'Fixed on staging.' } });
      assert.equal(typeof added.json.result, 'number');
      assert.equal((await counters(3)).newComments, before[3].newComments + 1, 'the creator has one more');
      assert.equal((await counters(1)).newComments, before[1].newComments, 'the author has none more');
      const [newest] = (await comments(1, { TASKID: 101 })).json.result;
      assert.deepEqual([newest.ID, newest.AUTHOR_ID, newest.POST_MESSAGE], [String(added.json.result), '1', 'Fixed on staging.']);
      await call(portal, 1, 'task.commentitem.add', { TASKID: 101, FIELDS: { POST_MESSAGE: 'Posted in your name', AUTHOR_ID: 3 } });
      assert.equal((await comments(1, { TASKID: 101 })).json.result[0].AUTHOR_ID, '3');
      assert.equal((await counters(1)).newComments, before[1].newComments + 1);
      const empty = await call(portal, 1, 'task.commentitem.add', { TASKID: 101, FIELDS: { POST_MESSAGE: '' } });
      assert.deepEqual([empty.status, empty.json.error], [400, 'ERROR_CORE']);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('new card: the task chat (notes A3)', () => {
    beforeEach(async () => {
      await start({ card: { comments: 'chat' } });
      portal.setScopes(1, ['task', 'user', 'sonet', 'im']);
    });

    const messages = (userId: number, params: Record<string, unknown>) => call(portal, userId, 'im.dialog.messages.get', params);

    it('the task has a chat id; its messages need the im scope and chat membership, newest first, LIMIT and LAST_ID page back', async () => {
      const { chatId } = await getTask(1, 101, ['CHAT_ID']);
      assert.ok(Number.isInteger(chatId) && chatId > 0);
      const dialog = `chat${chatId}`;
      portal.setScopes(1, ['task']);
      assert.deepEqual((await messages(1, { DIALOG_ID: dialog })).json.error, 'insufficient_scope');
      portal.setScopes(1, ['task', 'im']);
      const all = (await messages(1, { DIALOG_ID: dialog })).json.result;
      assert.equal(all.chat_id, chatId);
      assert.deepEqual(all.messages.map((m: { author_id: number }) => m.author_id), [3, 3, 1]);
      assert.equal(all.messages[0].date, '2025-09-26T08:30:00+00:00');
      assert.deepEqual(all.users.map((u: { name: string }) => u.name).sort(), ['Anna Smirnova', 'Viktor Orlov']);
      const page = (await messages(1, { DIALOG_ID: dialog, LIMIT: 2 })).json.result.messages;
      assert.deepEqual(page.map((m: { id: number }) => m.id), all.messages.slice(0, 2).map((m: { id: number }) => m.id));
      const older = (await messages(1, { DIALOG_ID: dialog, LAST_ID: page[1].id })).json.result.messages;
      assert.deepEqual(older.map((m: { id: number }) => m.id), [all.messages[2].id]);
      assert.equal((await getTask(1, 101, ['NEW_COMMENTS_COUNT'])).newCommentsCount, 2, 'getting messages reads nothing');
      portal.setScopes(2, ['task', 'im']);
      assert.deepEqual((await messages(2, { DIALOG_ID: dialog })).json.error, 'ACCESS_ERROR', 'a group member is no chat member');
      assert.deepEqual((await messages(1, {})).json.error, 'DIALOG_ID_EMPTY');
    });

    it('old forum methods: getlist answers only the comments from before the chat ([] without), add still posts into the chat', async () => {
      assert.deepEqual((await call(portal, 1, 'task.commentitem.getlist', { TASKID: 101 })).json.result, []);
      await call(portal, 1, 'task.commentitem.add', { TASKID: 101, FIELDS: { POST_MESSAGE: 'via the forum method' } });
      const { chatId } = await getTask(1, 101, ['CHAT_ID']);
      const chat = (await messages(1, { DIALOG_ID: `chat${chatId}` })).json.result.messages;
      assert.equal(chat[0].text, 'via the forum method');
      portal.cards.putCard(101, { forumComments: [{ authorId: 3, text: 'Before the chat', postedAt: Date.UTC(2025, 0, 1) }] }, clock);
      const forum = (await call(portal, 1, 'task.commentitem.getlist', { TASKID: 101 })).json.result;
      assert.deepEqual(forum.map((c: Record<string, string>) => [c.AUTHOR_ID, c.POST_MESSAGE]), [['3', 'Before the chat']]);
      assert.equal((await messages(1, { DIALOG_ID: `chat${chatId}` })).json.result.messages.length, chat.length, 'not in the chat');
    });

    it('tasks.task.chat.message.send lives on /rest/api/ only, answers {result: true} and raises the others\' unread', async () => {
      const before = await counters(3);
      const sent = await postJson(`${apiUrl(portal, 1)}tasks.task.chat.message.send`, { fields: { taskId: 101, text: 'On it' } });
      assert.deepEqual([sent.status, sent.json.result], [200, { result: true }]);
      assert.equal((await counters(3)).newComments, before.newComments + 1);
      const onV2 = await call(portal, 1, 'tasks.task.chat.message.send', { fields: { taskId: 101, text: 'x' } });
      assert.deepEqual([onV2.status, onV2.json.error], [404, 'ERROR_METHOD_NOT_FOUND']);
      const invalid = await postJson(`${apiUrl(portal, 1)}tasks.task.chat.message.send`, { fields: { taskId: 101 } });
      assert.equal(invalid.status, 400);
      assert.deepEqual(invalid.json, {
        error: {
          code: 'BITRIX_REST_V3_EXCEPTION_VALIDATION_REQUESTVALIDATIONEXCEPTION',
          message: 'Request object validation error',
          validation: [{ field: 'text', message: 'Required field `text` is not specified' }],
        },
      });
      const denied = await postJson(`${apiUrl(portal, 1)}tasks.task.chat.message.send`, { fields: { taskId: 108, text: 'x' } });
      assert.equal(denied.json.error.code, 'BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION');
    });

    it('the REST 3.0 scope is task or tasks (L), and the old card has no REST 3.0 task methods', async () => {
      portal.cards.setQuirks({ restV3Scope: 'tasks' });
      const scoped = await postJson(`${apiUrl(portal, 1)}tasks.task.chat.message.send`, { fields: { taskId: 101, text: 'x' } });
      assert.deepEqual([scoped.status, scoped.json.error], [401, 'insufficient_scope']);
      portal.setScopes(1, ['task', 'tasks', 'im']);
      assert.equal((await postJson(`${apiUrl(portal, 1)}tasks.task.chat.message.send`, { fields: { taskId: 101, text: 'x' } })).status, 200);
      portal.cards.setQuirks({ comments: 'forum' });
      const old = await postJson(`${apiUrl(portal, 1)}tasks.task.chat.message.send`, { fields: { taskId: 101, text: 'x' } });
      assert.deepEqual([old.status, old.json.error], [404, 'ERROR_METHOD_NOT_FOUND']);
      assert.equal('chatId' in (await getTask(1, 101, ['CHAT_ID'])), false);
    });

    it('auditors are chat members, or not (not confirmed): then they neither read the chat nor get its unread', async () => {
      const { chatId } = await getTask(1, 103, ['CHAT_ID']);
      assert.equal((await messages(1, { DIALOG_ID: `chat${chatId}` })).status, 200, 'user 1 audits 103');
      portal.cards.setQuirks({ auditorsInChat: false });
      assert.equal((await messages(1, { DIALOG_ID: `chat${chatId}` })).json.error, 'ACCESS_ERROR');
      const before = await getTask(1, 103, ['NEW_COMMENTS_COUNT']);
      await postJson(`${apiUrl(portal, 3)}tasks.task.chat.message.send`, { fields: { taskId: 103, text: 'x' } });
      assert.equal((await getTask(1, 103, ['NEW_COMMENTS_COUNT'])).newCommentsCount, before.newCommentsCount);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('reading comments lowers the counters (notes A4)', () => {
    const unreadList = async (userId: number) => {
      const wire = await call(portal, userId, 'tasks.task.list', { filter: { WITH_NEW_COMMENTS: 'Y', IS_MUTED: 'N' }, select: ['ID', 'COUNTERS'] });
      return wire.json.result.tasks.map((t: { id: string }) => t.id);
    };

    it('tasks.task.view.update reads a task: its count, the counter and the comment list follow', async () => {
      assert.deepEqual(await unreadList(1), ['101', '103', '104', '105']);
      const viewed = await call(portal, 1, 'tasks.task.view.update', { taskId: 101 });
      assert.deepEqual([viewed.status, viewed.json.result], [200, null]);
      assert.equal((await getTask(1, 101, ['NEW_COMMENTS_COUNT'])).newCommentsCount, 0);
      assert.equal((await counters(1)).newComments, 3);
      assert.deepEqual(await unreadList(1), ['103', '104', '105']);
      assert.equal((await counters(3)).newComments, 0, "another user's reads are their own");
    });

    it('on the new card, view.update does not read the chat (not confirmed) unless the portal does; im.dialog.read does', async () => {
      await start({ card: { comments: 'chat' } });
      portal.setScopes(1, ['task', 'im']);
      await call(portal, 1, 'tasks.task.view.update', { taskId: 101 });
      assert.equal((await counters(1)).newComments, 5);
      const { chatId } = await getTask(1, 101, ['CHAT_ID']);
      const [newest, older] = (await call(portal, 1, 'im.dialog.messages.get', { DIALOG_ID: `chat${chatId}` })).json.result.messages;
      const partly = await call(portal, 1, 'im.dialog.read', { DIALOG_ID: `chat${chatId}`, MESSAGE_ID: older.id });
      assert.deepEqual(partly.json.result, { dialogId: `chat${chatId}`, chatId, counter: 1, lastId: older.id });
      assert.equal((await counters(1)).newComments, 4);
      const fully = await call(portal, 1, 'im.dialog.read', { DIALOG_ID: `chat${chatId}` });
      assert.deepEqual([fully.json.result.counter, fully.json.result.lastId], [0, newest.id]);
      assert.equal((await counters(1)).newComments, 3);
      portal.cards.setQuirks({ chatReadNeedsMessageId: true });
      const refused = await call(portal, 1, 'im.dialog.read', { DIALOG_ID: `chat${chatId}` });
      assert.deepEqual([refused.status, refused.json.error], [400, 'MESSAGE_ID_ERROR']);
      portal.cards.setQuirks({ viewReadsChat: true });
      await call(portal, 1, 'tasks.task.view.update', { taskId: 104 });
      assert.equal((await counters(1)).newComments, 2);
    });

    it('markAsRead and comment.readAll read every task of a role and group, chats included', async () => {
      const read = await call(portal, 1, 'tasks.viewedGroup.user.markAsRead', { fields: { groupId: 0, userId: 1, role: 'view_role_responsible' } });
      assert.deepEqual([read.status, read.json.result], [200, true]);
      assert.equal((await counters(1, { type: 'view_role_responsible' })).newComments, 0);
      assert.equal((await counters(1)).newComments, 2, 'the audited and the accomplice task stay unread');
      await call(portal, 1, 'tasks.task.comment.readAll', { groupId: 12, userId: 1, role: 'view_all' });
      assert.deepEqual(await unreadList(1), ['104'], 'group 12 (103) read, 104 is in no group');
      const forOther = await call(portal, 1, 'tasks.viewedGroup.user.markAsRead', { fields: { groupId: 0, userId: 2 } });
      assert.equal(forOther.status, 400);
      assert.equal((await counters(2)).newComments, 1);
    });

    it('counters are recounted asynchronously: they drop once recountDelayMs of portal time has passed', async () => {
      portal.cards.setQuirks({ recountDelayMs: 5_000 });
      await call(portal, 1, 'tasks.task.view.update', { taskId: 101 });
      assert.equal((await counters(1)).newComments, 5);
      assert.equal((await getTask(1, 101, ['NEW_COMMENTS_COUNT'])).newCommentsCount, 2);
      clock += 4_999;
      assert.equal((await counters(1)).newComments, 5);
      clock += 1;
      assert.equal((await counters(1)).newComments, 3);
      assert.deepEqual(await unreadList(1), ['103', '104', '105']);
    });

    it('a portal without the undocumented read methods answers ERROR_METHOD_NOT_FOUND (M)', async () => {
      portal.cards.setQuirks({ missingMethods: ['tasks.task.view.update', 'tasks.viewedGroup.user.markAsRead'] });
      for (const [method, params] of [['tasks.task.view.update', { taskId: 101 }], ['tasks.viewedGroup.user.markAsRead', { fields: {} }]] as const) {
        const wire = await call(portal, 1, method, params);
        assert.deepEqual([wire.status, wire.json.error], [404, 'ERROR_METHOD_NOT_FOUND'], method);
      }
      assert.equal((await counters(1)).newComments, 5);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('faults on writes (the sandbox fault mechanism; notes A2: an action answers the task)', () => {
    it("'slow': the write is applied, then the answer comes too late for the client", async () => {
      portal.inject('slow', { method: 'tasks.task.complete', delayMs: 60_000, times: 1 });
      const abort = new AbortController();
      const pending = request(`${portal.webhookUrl(1)}tasks.task.complete`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ taskId: 101 }),
        signal: abort.signal,
      });
      await until(() => portal.requests.some((r) => r.method === 'tasks.task.complete'), 'the complete request');
      assert.equal(portal.tasks.find((t) => t.id === 101)?.status, 4, 'already written');
      abort.abort();
      await assert.rejects(pending, { name: 'AbortError' });
      assert.equal((await getTask(1, 101, ['STATUS'])).status, '4');
      assert.equal((await act(1, 'complete', 101)).json.result.task.status, '4', 'a retry changes nothing more');
    });

    it("'truncated': the write is applied, the answer cut in the middle", async () => {
      portal.inject('truncated', { method: 'tasks.task.pause', times: 1 });
      const wire = await act(1, 'pause', 101);
      assert.equal(wire.json, undefined);
      assert.equal((await getTask(1, 101, ['STATUS'])).status, '2');
    });

    it("'queryLimit' (503): nothing is written, alone or as one command of a batch", async () => {
      portal.inject('queryLimit', { method: 'tasks.task.pause', times: 2 });
      const alone = await act(1, 'pause', 101);
      assert.deepEqual([alone.status, alone.json.error], [503, 'QUERY_LIMIT_EXCEEDED']);
      const batch = await call(portal, 1, 'batch', { halt: 0, cmd: { pause: 'tasks.task.pause?taskId=101', counters: 'tasks.task.counters.get' } });
      assert.equal(batch.json.result.result_error.pause.error, 'QUERY_LIMIT_EXCEEDED');
      assert.equal(batch.json.result.result.counters.expired.counter, 2);
      assert.equal((await getTask(1, 101, ['STATUS'])).status, '3');
    });

    it('400 not allowed when the task changed after its action map was read', async () => {
      assert.equal((await getTask(1, 104, ['ID'])).action.start, true);
      const patched = await postJson(`${portal.origin}/_sandbox/tasks/104`, { status: 5 }, 'PATCH');
      assert.equal(patched.status, 200);
      assertNotAllowed(await act(1, 'start', 104));
      assert.equal((await getTask(1, 104, ['ID'])).action.renew, true, 'the new map');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('sample data: plain, or hostile portal text', () => {
    const everyText = (p: SandboxPortal) =>
      p.tasks
        .map((t) => p.cards.cardOf(t.id))
        .flatMap((card) => [card.description, ...card.checklist.map((i) => i.title), ...card.comments.map((c) => c.text)])
        .join('\n');

    it('the hostile sample has the same tasks, counters and lists; only the texts differ', async () => {
      const plainTasks = portal.tasks;
      const plainText = everyText(portal);
      await start({ card: { sample: 'hostile' } });
      assert.deepEqual(portal.tasks, plainTasks);
      for (const preset of DEFAULT_COUNTERS) {
        assert.deepEqual(portal.countersOf(preset.userId, preset), preset.counters, `${preset.userId}/${preset.role}/${preset.groupId}`);
      }
      const hostileText = everyText(portal);
      for (const pattern of [/<script>/, /\[URL=javascript:/i, /\[IMG\]https:\/\/tracker\.example/, /\u202E/, /\[URL=command:/, /\[URL=file:/, /sandboxsecret0001/]) {
        assert.match(hostileText, pattern);
        assert.doesNotMatch(plainText, pattern);
      }
    });

    it('a hostile comment quotes the webhook URL of the reader; a description is 1 MiB; comments stay unread as before', async () => {
      await start({ card: { sample: 'hostile' } });
      const texts = (await call(portal, 1, 'task.commentitem.getlist', { TASKID: 101 })).json.result.map((c: { POST_MESSAGE: string }) => c.POST_MESSAGE);
      assert.ok(texts.some((text: string) => text.includes(portal.webhookUrl(1))), 'the full webhook URL, secret included');
      assert.ok(texts.some((text: string) => /\[URL=javascript:/.test(text) && /<script>/.test(text)));
      const large = await getTask(1, 102, ['DESCRIPTION']);
      assert.equal(Buffer.byteLength(large.description), LARGE_DESCRIPTION_BYTES);
      assert.equal((await getTask(1, 101, ['NEW_COMMENTS_COUNT'])).newCommentsCount, 2);
      assert.deepEqual(portal.cards.unreadComments(101, 1).map((c) => c.authorId), [3, 3], 'the unread ones are the hostile ones');
    });

    it('loads whatever the portal clock says, a clock at 0 included (comments then date from before 1970)', async () => {
      await start();
      clock = 0;
      await portal.close();
      portal = await SandboxPortal.start({ now: () => clock });
      const [newest] = (await call(portal, 1, 'task.commentitem.getlist', { TASKID: 101 })).json.result;
      assert.equal(newest.POST_DATE, '1969-12-31T23:30:00+00:00');
    });

    it('custom users or tasks get empty cards', async () => {
      await start({ tasks: [{ id: 101, title: 'Mine', responsibleId: 1 }] });
      assert.deepEqual(portal.cards.cardOf(101), {
        description: '', timeEstimate: 0, allowTimeTracking: true, taskControl: false, requireResult: false, checklist: [], comments: [], forumComments: [], elapsed: [],
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('control API for cards', () => {
    it('reads and patches a card, lets a colleague comment, sets quirks and refuses bad ones', async () => {
      const patched = await postJson(`${portal.origin}/_sandbox/cards/105`, { description: '[B]New[/B] notes' }, 'PATCH');
      assert.equal(patched.json.description, '[B]New[/B] notes');
      assert.equal((await getTask(1, 105, ['DESCRIPTION'])).description, '[B]New[/B] notes');
      const commented = await postJson(`${portal.origin}/_sandbox/cards/105/comments`, { authorId: 3, text: 'Looks good' });
      assert.equal(commented.json.authorId, 3);
      assert.equal((await getTask(1, 105, ['NEW_COMMENTS_COUNT'])).newCommentsCount, 2);
      assert.equal((await request(`${portal.origin}/_sandbox/cards/105`)).json.comments.at(-1).text, 'Looks good');
      const quirks = await postJson(`${portal.origin}/_sandbox/card-quirks`, { comments: 'chat', recountDelayMs: 1000 });
      assert.deepEqual([quirks.json.comments, quirks.json.recountDelayMs], ['chat', 1000]);
      for (const bad of [{ comments: 'email' }, { recountDelayMs: -1 }, { nonsense: true }]) {
        assert.equal((await postJson(`${portal.origin}/_sandbox/card-quirks`, bad)).status, 400, JSON.stringify(bad));
      }
      assert.equal((await postJson(`${portal.origin}/_sandbox/cards/105/comments`, { authorId: 99, text: 'x' })).status, 400);
      assert.equal((await request(`${portal.origin}/_sandbox/timers`)).status, 200);
    });
  });
});
