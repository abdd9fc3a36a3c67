import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diskFileLink, markupLink, taskIdTyped, taskLink, taskListLink, TaskListTarget, userLink } from '../../src/core/taskListLink';
import { propertyRuns } from './propertyRuns';

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

describe('userLink, diskFileLink and markupLink (the task tab\'s links)', () => {
  const origin = 'https://portal.bitrix24.com';

  it('a person opens at their profile on the portal', () => {
    assert.equal(userLink(origin, 3), 'https://portal.bitrix24.com/company/personal/user/3/');
    assert.equal(userLink('http://127.0.0.1:45123', 1), 'http://127.0.0.1:45123/company/personal/user/1/');
  });

  it('a user id that is not a positive safe integer gives no address', () => {
    for (const id of [0, -3, 2.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 2, '3/../x' as unknown as number]) {
      assert.equal(userLink(origin, id), undefined, String(id));
    }
  });

  it('a disk object opens in the viewer, an attached file through uf.php', () => {
    assert.equal(diskFileLink(origin, 'n123'), 'https://portal.bitrix24.com/disk/showFile/123/');
    assert.equal(diskFileLink(origin, '456'), 'https://portal.bitrix24.com/bitrix/tools/disk/uf.php?attachedId=456&action=show');
    assert.equal(diskFileLink(origin, 'n007'), 'https://portal.bitrix24.com/disk/showFile/7/', 'leading zeros dropped');
  });

  it('a file id of any other shape (or 0) gives no address', () => {
    for (const id of ['', 'n', 'n0', '0', 'x1', '1x', 'n-1', '1/../../x', '1?a=b', ' 1', 'N1', '1'.repeat(19)]) {
      assert.equal(diskFileLink(origin, id), undefined, id);
    }
  });

  it('a portal origin that is not http(s) gives no address', () => {
    for (const bad of ['javascript:alert(1)', 'file:///etc', 'not a url', '']) {
      assert.equal(userLink(bad, 3), undefined, bad);
      assert.equal(diskFileLink(bad, 'n1'), undefined, bad);
    }
  });

  it('a markup link opens as written when it is http(s) without credentials', () => {
    assert.equal(markupLink('https://status.example/gateway'), 'https://status.example/gateway');
    assert.equal(markupLink('http://logs.example:8080/a?b=c#d'), 'http://logs.example:8080/a?b=c#d');
  });

  it('refuses every other scheme, credentials in the address, and what is not a URL', () => {
    for (const href of [
      'javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd',
      'vscode:extension/x', 'command:workbench.action.terminal.new', 'vscode-webview://x', 'ftp://files.example/',
      'https://user:pass@portal.example/', 'https://user@portal.example/', 'https://:pass@portal.example/', '/relative', '', 'https://',
    ]) {
      assert.equal(markupLink(href), undefined, href);
    }
  });

  it('property: no input gives a link that is not http(s), has credentials, or (for people and files) leaves the portal', () => {
    const portal = fc.constantFrom(origin, 'http://127.0.0.1:45123', 'https://b24-x.bitrix24.ru');
    const text = fc.oneof(
      fc.string(),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(fc.constantFrom('javascript:', 'data:', 'file://', 'vscode:', 'command:', 'https://u:p@', 'http://', 'n', '//'), fc.string())
        .map(([a, b]) => a + b),
    );
    const id = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1));
    fc.assert(
      fc.property(portal, text, id, (portalOrigin, written, userId) => {
        const onPortal = [userLink(portalOrigin, userId), diskFileLink(portalOrigin, written)];
        for (const link of onPortal) {
          if (link === undefined) continue;
          const url = new URL(link);
          assert.equal(url.origin, new URL(portalOrigin).origin, link);
          assert.equal(url.username + url.password, '', link);
        }
        const external = markupLink(written);
        if (external !== undefined) {
          const url = new URL(external);
          assert.ok(url.protocol === 'https:' || url.protocol === 'http:', external);
          assert.equal(url.username + url.password, '', external);
        }
      }),
      propertyRuns(300),
    );
  });
});
