/**
 * Property of the sandbox portal's task card: after any sequence of actions and reads by any
 * user (status actions, forum comments and chat messages, views, chat reads, "read all",
 * timers, time passing), on either card and with or without a delayed recount, the derived
 * counters still say what the lists show (the notes: the overdue list is `expired`, the comment
 * lists sum to `new_comments`), every task's newCommentsCount adds up to `new_comments`, and
 * every unread comment is a real comment by someone else.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { chatIdOf } from '../sandbox/cards';
import { DEFAULT_GROUPS, DEFAULT_USERS, ROLES, SandboxPortal } from '../sandbox/portal';
import { STATUS_ACTIONS } from '../sandbox/taskCard';
import { propertyRuns } from './propertyRuns';
import { call, countersAndLists, postJson, withPortal } from './sandboxHttp';

const NOW = Date.UTC(2025, 8, 26, 9, 0, 0);
const HOUR = 3_600_000;
const USER_IDS = DEFAULT_USERS.map((user) => user.id);
const TASK_IDS = [101, 102, 103, 104, 105, 106, 107, 108, 109, 110];

const user = fc.constantFrom(...USER_IDS);
const task = fc.constantFrom(...TASK_IDS);

type Step =
  | { kind: 'status'; user: number; task: number; action: (typeof STATUS_ACTIONS)[number] }
  | { kind: 'comment'; user: number; task: number; v3: boolean }
  | { kind: 'view'; user: number; task: number }
  | { kind: 'chatRead'; user: number; task: number; newest: number }
  | { kind: 'readAll'; user: number; role: (typeof ROLES)[number]; groupId: number }
  | { kind: 'timer'; user: number; task: number; stop: boolean; stopPrevious: boolean }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), user, task, action: fc.constantFrom(...STATUS_ACTIONS) }),
  fc.record({ kind: fc.constant('comment' as const), user, task, v3: fc.boolean() }),
  fc.record({ kind: fc.constant('view' as const), user, task }),
  // Reads up to the `newest`-th newest message (0 = the newest, past the end = all).
  fc.record({ kind: fc.constant('chatRead' as const), user, task, newest: fc.nat(4) }),
  fc.record({ kind: fc.constant('readAll' as const), user, role: fc.constantFrom(...ROLES), groupId: fc.constantFrom(0, 7, 12) }),
  fc.record({ kind: fc.constant('timer' as const), user, task, stop: fc.boolean(), stopPrevious: fc.boolean() }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3 * HOUR }) }),
);

/** Plays one step over HTTP; refusals (400, ACCESS_ERROR…) are part of the game. */
async function play(portal: SandboxPortal, s: Step, advance: (ms: number) => void): Promise<void> {
  switch (s.kind) {
    case 'status':
      await call(portal, s.user, `tasks.task.${s.action}`, { taskId: s.task });
      return;
    case 'comment':
      if (s.v3) {
        const url = portal.webhookUrl(s.user).replace('/rest/', '/rest/api/');
        await postJson(`${url}tasks.task.chat.message.send`, { fields: { taskId: s.task, text: `From ${s.user}` } });
      } else {
        await call(portal, s.user, 'task.commentitem.add', { TASKID: s.task, FIELDS: { POST_MESSAGE: `From ${s.user}` } });
      }
      return;
    case 'view':
      await call(portal, s.user, 'tasks.task.view.update', { taskId: s.task });
      return;
    case 'chatRead': {
      const comments = portal.cards.cardOf(s.task).comments;
      const upTo = comments.at(-1 - s.newest)?.id;
      await call(portal, s.user, 'im.dialog.read', { DIALOG_ID: `chat${chatIdOf(s.task)}`, ...(upTo === undefined ? {} : { MESSAGE_ID: upTo }) });
      return;
    }
    case 'readAll':
      await call(portal, s.user, 'tasks.viewedGroup.user.markAsRead', { fields: { groupId: s.groupId, userId: s.user, role: s.role } });
      return;
    case 'timer':
      await call(portal, s.user, s.stop ? 'tasks.task.pauseTimer' : 'tasks.task.startTimer', {
        taskId: s.task,
        params: { STOP_PREVIOUS: s.stopPrevious ? 'Y' : 'N' },
      });
      return;
    case 'wait':
      advance(s.ms);
      return;
  }
}

function visibleGroups(id: number): number[] {
  const admin = DEFAULT_USERS.find((u) => u.id === id)?.admin === true;
  return [0, ...DEFAULT_GROUPS.filter((group) => admin || group.members.includes(id)).map((group) => group.id)];
}

async function assertAgree(portal: SandboxPortal, where: string): Promise<void> {
  for (const id of USER_IDS) {
    for (const groupId of visibleGroups(id)) {
      const byRole = await countersAndLists(portal, id, groupId, ROLES);
      for (const role of ROLES) {
        const seen = byRole[role];
        const at = `${where}: user ${id}, ${role}, group ${groupId}`;
        assert.equal(seen.overdue, seen.expired, `overdue list vs expired: ${at}`);
        assert.equal(seen.storedComments, seen.newComments, `WITH_COMMENT_COUNTERS vs new_comments: ${at}`);
        assert.equal(seen.liveComments, seen.newComments, `WITH_NEW_COMMENTS vs new_comments: ${at}`);
      }
    }
    // Every task's newCommentsCount, over the tasks the user is a member of and has not muted.
    const cmd = Object.fromEntries(
      TASK_IDS.map((taskId) => [
        `t${taskId}`,
        `tasks.task.get?taskId=${taskId}&select[0]=NEW_COMMENTS_COUNT&select[1]=CREATED_BY&select[2]=RESPONSIBLE_ID&select[3]=ACCOMPLICES&select[4]=AUDITORS`,
      ]),
    );
    cmd.counters = 'tasks.task.counters.get';
    const { result } = (await call(portal, id, 'batch', { halt: 0, cmd })).json.result;
    const muted = new Set(portal.tasks.filter((t) => t.mutedBy.includes(id)).map((t) => t.id));
    let sum = 0;
    for (const taskId of TASK_IDS) {
      const seen = result[`t${taskId}`].task;
      const members = seen ? [seen.createdBy, seen.responsibleId, ...seen.accomplices, ...seen.auditors].map(Number) : [];
      if (members.includes(id) && !muted.has(taskId)) sum += seen.newCommentsCount;
    }
    assert.equal(sum, result.counters.new_comments.counter, `${where}: newCommentsCount summed vs new_comments, user ${id}`);
  }
  for (const t of portal.tasks) {
    for (const id of USER_IDS) {
      const unread = portal.cards.unreadComments(t.id, id);
      assert.equal(unread.length, t.unread[id] ?? 0, `${where}: task ${t.id}, user ${id}: every unread count is real comments`);
      assert.ok(unread.every((comment) => comment.authorId !== id), `${where}: task ${t.id}, user ${id}: never one's own`);
    }
  }
}

/** One sequence of steps on one card, with the invariants checked before and after the recounts are due. */
async function runSteps(comments: 'forum' | 'chat', recountDelayMs: number, steps: readonly Step[]): Promise<void> {
  let clock = NOW;
  await withPortal({ now: () => clock, card: { comments, recountDelayMs } }, async (portal) => {
    USER_IDS.forEach((id) => portal.setScopes(id, [...(DEFAULT_USERS.find((u) => u.id === id)?.scopes ?? []), 'im']));
    for (const s of steps) await play(portal, s, (ms) => (clock += ms));
    await assertAgree(portal, `after ${steps.length} steps on the ${comments} card`);
    clock += recountDelayMs;
    await assertAgree(portal, 'once every recount is due');
  });
}

describe('SandboxPortal task card (property)', () => {
  it('example (found by the property when the author counted their own comment): a member comments on a task they have unread on', async () => {
    await runSteps('forum', 0, [{ kind: 'comment', user: 1, task: 101, v3: false }]);
  });

  it('after any actions and reads, counters = lists = the tasks\' unread counts = real unread comments', async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('forum' as const, 'chat' as const),
        fc.constantFrom(0, 5_000),
        fc.array(step, { maxLength: 20 }),
        runSteps,
      ),
      propertyRuns(10),
    );
  });
});
