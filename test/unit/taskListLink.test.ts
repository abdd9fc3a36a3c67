import assert from 'node:assert/strict';
import { taskIdTyped, taskLink, taskListLink, TaskListTarget } from '../../src/core/taskListLink';

const base: TaskListTarget = { portalOrigin: 'https://portal.bitrix24.com', userId: 12, groupId: 0, role: 'view_all' };

function link(change: Partial<TaskListTarget>): URL {
  const made = taskListLink({ ...base, ...change });
  assert.ok(made, JSON.stringify(change));
  return new URL(made);
}

describe('taskListLink', () => {
  it('a user\'s whole list has no filter at all', () => {
    assert.equal(taskListLink(base), 'https://portal.bitrix24.com/company/personal/user/12/tasks/');
  });

  it('a workgroup\'s list when a group is chosen (the user id is not in it)', () => {
    const url = link({ groupId: 7 });
    assert.equal(url.pathname, '/workgroups/group/7/tasks/');
    assert.equal(url.search, '');
  });

  it('a role adds apply_filter=Y and ROLEID', () => {
    const url = link({ role: 'view_role_responsible' });
    assert.equal(url.pathname, '/company/personal/user/12/tasks/');
    assert.equal(url.searchParams.get('apply_filter'), 'Y');
    assert.equal(url.searchParams.get('ROLEID'), 'view_role_responsible');
    assert.equal(url.searchParams.get('PROBLEM'), null);
  });

  it('each role goes into ROLEID as is', () => {
    for (const role of ['view_role_accomplice', 'view_role_auditor', 'view_role_originator'] as const) {
      assert.equal(link({ role }).searchParams.get('ROLEID'), role);
    }
  });

  it('a counter adds PROBLEM=<code>: overdue and new comments', () => {
    const overdue = link({ counter: 'expired' });
    assert.equal(overdue.searchParams.get('apply_filter'), 'Y');
    assert.equal(overdue.searchParams.get('PROBLEM'), '6291456');
    assert.equal(overdue.searchParams.get('ROLEID'), null);
    assert.equal(link({ counter: 'new_comments' }).searchParams.get('PROBLEM'), '12582912');
    assert.equal(link({ counter: 'mentioned' }).searchParams.get('PROBLEM'), '15728640');
  });

  it('role, group and counter together', () => {
    assert.equal(
      taskListLink({ ...base, groupId: 12, role: 'view_role_auditor', counter: 'expired' }),
      'https://portal.bitrix24.com/workgroups/group/12/tasks/?apply_filter=Y&ROLEID=view_role_auditor&PROBLEM=6291456',
    );
  });

  it('an unknown counter uses the code the portal sent', () => {
    assert.equal(link({ counter: 'brand_new', counterCode: 16777216 }).searchParams.get('PROBLEM'), '16777216');
  });

  it('a known counter prefers the table over a sent code', () => {
    assert.equal(link({ counter: 'expired', counterCode: 1 }).searchParams.get('PROBLEM'), '6291456');
  });

  it('an unknown counter without a code (or code 0) opens the list without PROBLEM', () => {
    for (const url of [link({ counter: 'brand_new' }), link({ counter: 'brand_new', counterCode: 0 })]) {
      assert.equal(url.searchParams.get('PROBLEM'), null);
      assert.equal(url.searchParams.get('apply_filter'), null);
      assert.equal(url.search, '');
    }
  });

  it('a counter named like an Object.prototype member uses the code the portal sent', () => {
    assert.equal(link({ counter: 'constructor', counterCode: 16777216 }).searchParams.get('PROBLEM'), '16777216');
    assert.equal(link({ counter: 'toString' }).searchParams.get('PROBLEM'), null);
  });

  it('keeps a local portal\'s scheme and port', () => {
    assert.equal(
      taskListLink({ ...base, portalOrigin: 'http://127.0.0.1:45123', userId: 1 }),
      'http://127.0.0.1:45123/company/personal/user/1/tasks/',
    );
  });

  it('a negative group id is treated as no group', () => {
    assert.equal(link({ groupId: -3 }).pathname, '/company/personal/user/12/tasks/');
  });
});

describe('taskLink', () => {
  const origin = 'https://portal.bitrix24.com';

  it('a task without a group opens under the user', () => {
    assert.equal(
      taskLink({ portalOrigin: origin, userId: 12, taskId: 345 }),
      'https://portal.bitrix24.com/company/personal/user/12/tasks/task/view/345/',
    );
    assert.equal(
      taskLink({ portalOrigin: origin, userId: 12, groupId: 0, taskId: 345 }),
      'https://portal.bitrix24.com/company/personal/user/12/tasks/task/view/345/',
    );
  });

  it('a task in a workgroup opens under the group (the user id is not in it)', () => {
    assert.equal(
      taskLink({ portalOrigin: origin, userId: 12, groupId: 7, taskId: 345 }),
      'https://portal.bitrix24.com/workgroups/group/7/tasks/task/view/345/',
    );
  });

  it('keeps a local portal\'s scheme and port', () => {
    assert.equal(
      taskLink({ portalOrigin: 'http://127.0.0.1:45123', userId: 1, taskId: 2 }),
      'http://127.0.0.1:45123/company/personal/user/1/tasks/task/view/2/',
    );
  });

  it('a task id that is not a positive integer gives no address', () => {
    for (const taskId of [0, -1, 1.5, NaN, Infinity, 1e21, Number.MAX_SAFE_INTEGER + 2]) {
      assert.equal(taskLink({ portalOrigin: origin, userId: 12, taskId }), undefined, String(taskId));
    }
  });

  it('a group id that is not a positive integer (nor 0) gives no address', () => {
    for (const groupId of [-7, 2.5, NaN, -Infinity]) {
      assert.equal(taskLink({ portalOrigin: origin, userId: 12, groupId, taskId: 3 }), undefined, String(groupId));
    }
  });

  it('without a group, a user id that is not a positive integer gives no address', () => {
    for (const userId of [0, -12, 0.5, NaN]) {
      assert.equal(taskLink({ portalOrigin: origin, userId, taskId: 3 }), undefined, String(userId));
    }
    // In a group the user's id is not part of the address.
    assert.equal(
      taskLink({ portalOrigin: origin, userId: 0, groupId: 7, taskId: 3 }),
      'https://portal.bitrix24.com/workgroups/group/7/tasks/task/view/3/',
    );
  });

  it('ids from JSON that are not numbers cannot inject a path or a query', () => {
    const odd = ['3/../../admin', '3?x=1', '3#y'] as unknown as number[];
    for (const id of odd) {
      assert.equal(taskLink({ portalOrigin: origin, userId: 12, taskId: id }), undefined);
      assert.equal(taskLink({ portalOrigin: origin, userId: 12, groupId: id, taskId: 3 }), undefined);
      assert.equal(taskLink({ portalOrigin: origin, userId: id, taskId: 3 }), undefined);
    }
  });
});

describe('taskIdTyped (Go to Task\'s box)', () => {
  it('a positive number, with or without #, is a task id', () => {
    for (const [typed, id] of [['7', 7], [' #345 ', 345], ['#9007199254740991', Number.MAX_SAFE_INTEGER]] as const) {
      assert.equal(taskIdTyped(typed), id, typed);
    }
  });

  it('0, a number past 2^53 and anything else are none: nothing is offered', () => {
    for (const typed of ['0', '#0', '000', '9007199254740992', '99999999999999999999', '-3', '1.5', '1e3', '', ' ', '#', 'abc', '12abc']) {
      assert.equal(taskIdTyped(typed), undefined, typed);
    }
  });
});
