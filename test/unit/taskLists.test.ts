/**
 * The tasks behind the counters, through the real client against the sandbox portal over HTTP:
 * the lists ride in the counters' one batch request, match the counters the portal derives
 * from the same tasks, and a list that fails never takes the counters with it.
 */
import assert from 'node:assert/strict';
import { countOf, Role, ROLES } from '../../src/core/counters';
import { CountersClient, RoleCounters } from '../../src/core/countersClient';
import { Outcome } from '../../src/core/outcome';
import { listAgreement, TASK_LIST_COUNTERS, TaskListCounter, TaskPage } from '../../src/core/taskList';
import { SandboxPortal } from '../sandbox/portal';
import { failureOf, useSandboxPortal, webhookOf } from './support';

function valueOf<T>(outcome: Outcome<T> | undefined): T {
  assert.ok(outcome?.ok, `expected success, got ${JSON.stringify(outcome)}`);
  return outcome.value;
}

describe('task lists (client against the sandbox portal)', function () {
  this.timeout(20_000);

  let sandbox: SandboxPortal;
  useSandboxPortal((started) => (sandbox = started));
  let clients: CountersClient[] = [];
  afterEach(() => {
    clients.forEach((c) => c.dispose());
    clients = [];
    sandbox.resetCounters();
    sandbox.setCommentFilters('supported');
  });

  function client(userId = 1): CountersClient {
    const created = new CountersClient(webhookOf(sandbox.webhookUrl(userId)));
    clients.push(created);
    return created;
  }

  async function withLists(role: Role, groupId = 0, userId = 1): Promise<RoleCounters> {
    return valueOf(await client(userId).getCountersByRole({ groupId }, { lists: { role, counters: TASK_LIST_COUNTERS } }));
  }

  function page(answer: RoleCounters, counter: TaskListCounter): TaskPage {
    return valueOf(answer.taskLists?.[counter]);
  }

  it('ride in the counters batch: one HTTP request, one batch with both list commands', async () => {
    await withLists('view_all');
    const requests = sandbox.requests;
    assert.equal(requests.length, 1);
    assert.equal(requests[0].method, 'batch');
    const commands = Object.values((requests[0].params as { cmd: Record<string, string> }).cmd);
    assert.equal(commands.filter((c) => c.startsWith('tasks.task.list?')).length, 2);
    assert.equal(commands.filter((c) => c.startsWith('tasks.task.counters.get?')).length, ROLES.length);
  });

  it('are not asked for unless requested', async () => {
    const answer = valueOf(await client().getCountersByRole({}));
    assert.equal(answer.taskLists, undefined);
    const commands = Object.values((sandbox.requests[0].params as { cmd: Record<string, string> }).cmd);
    assert.ok(commands.every((c) => !c.startsWith('tasks.task.list')), commands.join('\n'));
  });

  for (const groupId of [0, 7, 12]) {
    for (const role of ROLES) {
      it(`agree with the counters for ${role} in ${groupId ? `group ${groupId}` : 'all groups'}`, async () => {
        const answer = await withLists(role, groupId);
        const counters = valueOf(answer.byRole[role]);
        for (const counter of TASK_LIST_COUNTERS) {
          assert.deepEqual(listAgreement(counter, page(answer, counter), countOf(counters, counter)), { kind: 'complete' }, counter);
        }
      });
    }
  }

  it('list the overdue tasks oldest deadline first, with their responsible person and group', async () => {
    const overdue = page(await withLists('view_all'), 'expired').tasks;
    assert.deepEqual(overdue.map((t) => t.id), [102, 101]);
    const [payments] = overdue.filter((t) => t.id === 101);
    assert.equal(payments.title, 'Исправить оплату картой');
    assert.equal(payments.group?.id, 7);
    assert.equal(payments.responsible?.id, 1);
    assert.ok(payments.deadline! < Date.now());
  });

  it('count unread comments per task in the new-comments list', async () => {
    const commented = page(await withLists('view_role_responsible'), 'new_comments').tasks;
    assert.deepEqual(
      commented.map((t) => [t.id, t.unreadComments]).sort(),
      [[101, 2], [105, 1]],
    );
  });

  it('say so when the list and the counter disagree (the counter recounted later)', async () => {
    sandbox.setCounters(1, { expired: 5, new_comments: 5 }, { role: 'view_all', groupId: 0 });
    const answer = await withLists('view_all');
    assert.deepEqual(listAgreement('expired', page(answer, 'expired'), 5), { kind: 'disagrees', listed: 2, expected: 5 });
  });

  it('a portal that ignores the undocumented comment filter still lists only the tasks with unread comments', async () => {
    const supported = page(await withLists('view_all'), 'new_comments');
    sandbox.setCommentFilters('ignored');
    const ignored = page(await withLists('view_all'), 'new_comments');
    assert.deepEqual(ignored.tasks.map((t) => t.id).sort(), supported.tasks.map((t) => t.id).sort());
    assert.ok(ignored.tasks.every((t) => t.unreadComments! > 0));
  });

  it('a portal that rejects the comment filter fails that list only', async () => {
    sandbox.setCommentFilters('rejected');
    const answer = await withLists('view_all');
    assert.equal(failureOf(answer.taskLists!.new_comments!).code, 'ERROR_CORE');
    valueOf(answer.taskLists?.expired);
    assert.equal(countOf(valueOf(answer.byRole.view_all), 'expired'), 2);
  });

  it("OPERATION_TIME_LIMIT on tasks.task.list fails the lists, never the counters", async () => {
    const resetAt = Math.floor(Date.now() / 1000) + 120;
    sandbox.inject('operationTimeLimit', { method: 'tasks.task.list', operatingResetAt: resetAt });
    const answer = await withLists('view_all');
    for (const counter of TASK_LIST_COUNTERS) {
      const failure = failureOf(answer.taskLists![counter]!);
      assert.equal(failure.kind, 'rateLimited');
      assert.equal(failure.limit, 'operationTime');
    }
    for (const role of ROLES) valueOf(answer.byRole[role]);
  });

  it('only the first page: more than 50 overdue tasks give 50 rows and the real total', async () => {
    for (let i = 0; i < 53; i++) {
      sandbox.addTask({ title: `Overdue ${i}`, responsibleId: 2, deadline: Date.now() - 3_600_000 * (i + 1), status: 2 });
    }
    const answer = await withLists('view_all', 0, 2);
    const overdue = page(answer, 'expired');
    assert.equal(overdue.tasks.length, 50);
    assert.equal(overdue.total, 53);
    assert.deepEqual(listAgreement('expired', overdue, 53), { kind: 'moreThanShown', shown: 50, total: 53 });
    const listCommands = Object.values((sandbox.requests[0].params as { cmd: Record<string, string> }).cmd).filter((c) =>
      c.startsWith('tasks.task.list'),
    );
    assert.ok(listCommands.every((c) => c.endsWith('&start=0')), listCommands.join('\n'));
    for (const task of sandbox.tasks.filter((t) => t.title.startsWith('Overdue '))) sandbox.removeTask(task.id);
  });
});
