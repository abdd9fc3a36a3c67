/**
 * The task card in the client's batch, against the sandbox portal over real HTTP: both cards
 * (forum and chat), the task not found, the hostile sample, every write and what it said.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CardRequest, CountersClient, WriteRequest } from '../../src/core/countersClient';
import { Outcome } from '../../src/core/outcome';
import { markupText } from '../../src/core/portalMarkup';
import { CommentsSource, readCommand, TaskCard, TaskWrite, WriteFailure, WriteOutcome } from '../../src/core/taskCard';
import { batchCommandsOf, SandboxPortal } from '../sandbox/portal';
import { failureOf, SECRET_PREFIX, webhookOf } from './support';

function valueOf<T>(outcome: Outcome<T> | undefined): T {
  assert.ok(outcome?.ok, `expected success, got ${JSON.stringify(outcome)?.slice(0, 400)}`);
  return outcome.value;
}

function writeFailureOf(outcome: WriteOutcome): WriteFailure {
  return failureOf(outcome);
}

function assertNoSecret(value: unknown): void {
  for (const text of [JSON.stringify(value) ?? '', inspect(value, { depth: Infinity })]) {
    assert.ok(!text.includes(SECRET_PREFIX), `secret in ${text.slice(0, 300)}`);
  }
}

describe('Task cards in the client (against the sandbox portal)', function () {
  this.timeout(10_000);

  let sandbox: SandboxPortal;
  const clients: CountersClient[] = [];

  async function portal(card: NonNullable<Parameters<typeof SandboxPortal.start>[0]>['card'] = {}): Promise<SandboxPortal> {
    sandbox = await SandboxPortal.start({ card });
    return sandbox;
  }

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.dispose());
    await sandbox?.close();
  });

  function clientFor(userId = 1): CountersClient {
    const client = new CountersClient(webhookOf(sandbox.webhookUrl(userId)));
    clients.push(client);
    return client;
  }

  async function cards(client: CountersClient, requests: CardRequest[], write?: WriteRequest) {
    return valueOf(await client.getCountersByRole({}, { cards: requests, write }));
  }

  async function cardOf(client: CountersClient, taskId: number, comments?: CommentsSource): Promise<TaskCard> {
    return valueOf((await cards(client, [{ taskId, comments }])).taskCards?.[taskId]);
  }

  async function write(client: CountersClient, w: TaskWrite, context: Omit<WriteRequest, 'write'> = { others: [] }): Promise<WriteOutcome> {
    const answer = await cards(client, [{ taskId: w.taskId }], { write: w, ...context });
    assert.ok(answer.written);
    return answer.written;
  }

  describe('reading', () => {
    it('reads the forum card: task, people, time, checklist, allowed actions and comments in ONE request', async () => {
      await portal();
      const answer = await cards(clientFor(1), [{ taskId: 101 }]);
      const card = valueOf(answer.taskCards?.[101]);
      assert.equal(sandbox.requests.length, 1);
      assert.equal(sandbox.requests[0].method, 'batch');
      const commands = batchCommandsOf(sandbox.requests[0]);
      // Its kind not known yet: the forum's comments and the chat's messages by a reference to the task's chatId.
      assert.deepEqual(
        commands.slice(5).map((c) => [c.key, c.method]),
        [['task_101', 'tasks.task.get'], ['forum_101', 'task.commentitem.getlist'], ['chat_101', 'im.dialog.messages.get']],
      );
      assert.deepEqual(commands[7].params, { DIALOG_ID: 'chat$result[task_101][task][chatId]', LIMIT: '50' });
      assert.deepEqual(answer.commentsFound, { 101: 'forum' });
      const get = commands[5].params as { params: Record<string, string>; select: Record<string, string> };
      assert.equal(get.params.WITH_TIMER_INFO, 'Y');
      assert.ok(Object.values(get.select).includes('CHAT_ID'));
      assert.equal(card.id, 101);
      assert.equal(card.title, 'Исправить оплату картой');
      assert.equal(card.status, 3);
      assert.deepEqual(card.creator, { id: 3, name: 'Viktor Orlov' });
      assert.deepEqual(card.responsible, { id: 1, name: 'Anna Smirnova' });
      assert.deepEqual(card.group, { id: 7, name: 'Website relaunch' });
      assert.equal(card.timeEstimate, 4 * 3600);
      assert.equal(card.timeSpent, 1800);
      assert.equal(card.timerRunning, false);
      assert.ok(card.deadline !== undefined && card.deadline < Date.now());
      assert.match(markupText(card.description), /Card payments fail with error 502/);
      assert.deepEqual(
        card.checklist.map((item) => [item.title, item.done, item.canToggle]),
        [['Before release', false, true], ['Reproduce the error', true, true], ['Fix the gateway timeout', false, true], ['Test on the live shop', false, true]],
      );
      assert.deepEqual([...card.allowed.status].sort(), ['complete', 'pause']);
      assert.equal(card.allowed.timer, true);
      assert.equal(card.commentsIn, 'forum');
      assert.equal(card.chatId, undefined);
      assert.equal(card.newComments, 2);
      const comments = valueOf(card.comments);
      assert.deepEqual(
        comments.map((c) => [c.author.id, c.unread]),
        [[1, false], [3, true], [3, true]],
        'the newest newCommentsCount comments by others are the unread ones',
      );
      assert.equal(markupText(comments[2].body), 'Any news? The client is asking.');
      assert.ok(comments[0].postedAt < comments[2].postedAt);
    });

    it('reads a chat card in ONE request: its messages by the reference to the task\'s chat, and remembers the chat', async () => {
      await portal({ comments: 'chat' });
      sandbox.setScopes(1, ['task', 'user', 'sonet', 'im']);
      const client = clientFor(1);
      const first = await cards(client, [{ taskId: 101 }]);
      assert.equal(sandbox.requests.length, 1);
      assert.deepEqual(first.commentsFound, { 101: { chatId: 4101 } });
      const card = valueOf(first.taskCards?.[101]);
      assert.equal(card.commentsIn, 'chat');
      assert.equal(card.chatId, 4101);
      assert.deepEqual(
        valueOf(card.comments).map((c) => [c.author.id, c.author.name, c.unread]),
        [[1, 'Anna Smirnova', false], [3, 'Viktor Orlov', true], [3, 'Viktor Orlov', true]],
      );
      assert.deepEqual(readCommand(card), { method: 'im.dialog.read', params: { DIALOG_ID: 'chat4101', MESSAGE_ID: valueOf(card.comments)[2].id } });
      // Known: the chat alone, by its id.
      const again = await cards(client, [{ taskId: 101, comments: { chatId: 4101 } }]);
      assert.deepEqual(again.commentsFound, {});
      assert.deepEqual(valueOf(again.taskCards?.[101]).comments, card.comments);
      assert.deepEqual(batchCommandsOf(sandbox.requests[1]).slice(5), [
        { key: 'task_101', method: 'tasks.task.get', params: batchCommandsOf(sandbox.requests[1])[5].params },
        { key: 'chat_101', method: 'im.dialog.messages.get', params: { DIALOG_ID: 'chat4101', LIMIT: '50' } },
      ]);
    });

    it('asks a known forum card\'s comments alone, and keeps back a card whose comments turned out elsewhere', async () => {
      await portal();
      const client = clientFor(1);
      const forum = await cards(client, [{ taskId: 101, comments: 'forum' }]);
      assert.deepEqual(batchCommandsOf(sandbox.requests[0]).slice(5).map((c) => c.method), ['tasks.task.get', 'task.commentitem.getlist']);
      assert.deepEqual(forum.commentsFound, {});
      assert.equal(valueOf(forum.taskCards?.[101]).comments.ok, true);
      sandbox.cards.setQuirks({ comments: 'chat' });
      const moved = await cards(client, [{ taskId: 101, comments: 'forum' }]);
      assert.deepEqual(moved.commentsFound, { 101: { chatId: 4101 } });
      assert.equal(moved.taskCards?.[101], undefined, 'the forum has none of a chat card\'s comments: no card from this answer');
    });

    it('shows a chat card without the im scope in one request: the chat\'s refusal naming im, the forum\'s comments from before the chat, no comment', async () => {
      await portal({ comments: 'chat' });
      sandbox.cards.putCard(101, { forumComments: [{ authorId: 3, text: 'Before the chat', postedAt: Date.UTC(2025, 0, 1) }] }, Date.UTC(2025, 0, 1));
      const client = clientFor(1);
      const first = await cards(client, [{ taskId: 101 }]);
      assert.equal(sandbox.requests.length, 1);
      assert.deepEqual(first.commentsFound, { 101: { chatId: 4101, chatRefused: true } });
      const card = valueOf(first.taskCards?.[101]);
      assert.equal(card.title, 'Исправить оплату картой');
      assert.equal(card.commentsIn, 'chat');
      assert.equal(card.chatRefused?.kind, 'scope');
      assert.equal(card.chatRefused.missingScope, 'im');
      // The task's unread count is the chat's: the forum's older comments are not unread, and nothing is marked read.
      assert.deepEqual(valueOf(card.comments).map((c) => [c.author.id, markupText(c.body), c.unread]), [[3, 'Before the chat', false]]);
      assert.equal(readCommand(card), undefined);
      assert.equal(card.allowed.comment, false, 'a comment would go to the chat, which refuses the webhook');
      // While refused: the chat by its id, and the forum with it.
      const again = await cards(client, [{ taskId: 101, comments: { chatId: 4101, chatRefused: true } }]);
      assert.deepEqual(batchCommandsOf(sandbox.requests[1]).slice(5).map((c) => c.key), ['task_101', 'forum_101', 'chat_101']);
      assert.deepEqual(again.commentsFound, {});
      assert.deepEqual(valueOf(again.taskCards?.[101]).comments, card.comments);
      // im added: the chat's messages at once, and the chat alone from now on.
      sandbox.setScopes(1, ['task', 'user', 'sonet', 'im']);
      const granted = await cards(client, [{ taskId: 101, comments: { chatId: 4101, chatRefused: true } }]);
      assert.deepEqual(granted.commentsFound, { 101: { chatId: 4101 } });
      const chat = valueOf(granted.taskCards?.[101]);
      assert.equal(chat.chatRefused, undefined);
      assert.equal(valueOf(chat.comments).length, 3);
      assert.equal(chat.allowed.comment, true);
      // im taken away from a known chat: the forum was not asked, so no card from this answer; found refused.
      sandbox.setScopes(1, ['task', 'user', 'sonet']);
      const refused = await cards(client, [{ taskId: 101, comments: { chatId: 4101 } }]);
      assert.deepEqual(refused.commentsFound, { 101: { chatId: 4101, chatRefused: true } });
      assert.equal(refused.taskCards?.[101], undefined);
      assert.equal(sandbox.requests.length, 4);
    });

    it('a chat card without the im scope and without older forum comments: the refusal and no comments', async () => {
      await portal({ comments: 'chat' });
      const card = await cardOf(clientFor(1), 101);
      assert.equal(card.chatRefused?.missingScope, 'im');
      assert.deepEqual(valueOf(card.comments), []);
    });

    it('says a task not found or not visible is that, and the counters stand', async () => {
      await portal();
      const answer = await cards(clientFor(2), [{ taskId: 9999 }, { taskId: 110 }]);
      assert.ok(answer.byRole.view_all.ok);
      for (const id of [9999, 110]) {
        const failure = failureOf(answer.taskCards?.[id] as Outcome<TaskCard>);
        assert.equal(failure.kind, 'access');
        assert.match(failure.detail, new RegExp(`task #${id} not found or not visible`));
      }
    });

    it('reads the hostile sample without a secret, a script or a link that is not http(s)', async () => {
      await portal({ sample: 'hostile' });
      const answer = await cards(clientFor(1), [101, 102, 104, 105, 107].map((taskId) => ({ taskId })));
      assertNoSecret(answer);
      const card = valueOf(answer.taskCards?.[101]);
      const json = JSON.stringify(answer);
      assert.ok(!/javascript:|command:|file:|data:/i.test(json.replace(/"text":"[^"]*"/g, '')), 'no such link outside text');
      assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(json), 'no bidi control');
      assert.ok(valueOf(card.comments).some((c) => markupText(c.body).includes('/rest/1/•••/')), 'the quoted webhook is redacted');
      assert.equal(valueOf(answer.taskCards?.[102]).description.at(-1)?.kind, 'truncated', 'the 1 MiB description is cut');
    });
  });

  describe('writing', () => {
    it('sends the write FIRST in the batch and reads the card after it', async () => {
      await portal();
      const client = clientFor(1);
      const before = await cardOf(client, 102);
      assert.equal(before.status, 2);
      sandbox.clearLog();
      const outcome = await write(client, { kind: 'status', taskId: 102, action: 'start' }, { before, others: [] });
      assert.equal(valueOf(outcome).said, 'done');
      assert.equal(valueOf(outcome).card?.status, 3, 'the card read after the write shows it');
      assert.equal(sandbox.requests.length, 1);
      const commands = batchCommandsOf(sandbox.requests[0]);
      assert.deepEqual(commands[0], { key: 'write', method: 'tasks.task.start', params: { taskId: '102' } });
    });

    it('says unchanged when the status was already the target, without an access check', async () => {
      await portal();
      const client = clientFor(1);
      const before = await cardOf(client, 101);
      const outcome = await write(client, { kind: 'status', taskId: 101, action: 'start' }, { before, others: [] });
      assert.equal(valueOf(outcome).said, 'unchanged');
    });

    it('says awaiting control when Complete sends the task to its creator', async () => {
      await portal();
      const client = clientFor(1);
      const before = await cardOf(client, 101);
      const outcome = await write(client, { kind: 'status', taskId: 101, action: 'complete' }, { before, others: [] });
      assert.equal(valueOf(outcome).said, 'awaitingControl');
      assert.equal(sandbox.tasks.find((t) => t.id === 101)?.status, 4);
    });

    for (const code of ['1048582', '0'] as const) {
      it(`says the action is not allowed (error ${code})`, async () => {
        await portal({ notAllowedCode: code });
        const outcome = await write(clientFor(1), { kind: 'status', taskId: 101, action: 'approve' });
        const failure = writeFailureOf(outcome);
        assert.equal(failure.kind, 'access');
        assert.match(failure.detail, /not allowed on task #101/);
        assert.equal(failure.applied, undefined);
      });
    }

    it('starts a timer with STOP_PREVIOUS and names the task whose timer it stopped', async () => {
      await portal();
      const client = clientFor(1);
      valueOf(await write(client, { kind: 'timer', taskId: 101, start: true }));
      const running = await cardOf(client, 101);
      assert.equal(running.timerRunning, true);
      const outcome = await write(client, { kind: 'timer', taskId: 105, start: true }, { others: [running] });
      assert.deepEqual({ ...valueOf(outcome), card: undefined }, { said: 'timerMoved', stoppedTaskId: 101, card: undefined });
      assert.equal(sandbox.cards.timerOf(1)?.taskId, 105);
      const start = batchCommandsOf(sandbox.requests.at(-1)!)[0];
      assert.deepEqual(start, { key: 'write', method: 'tasks.task.starttimer', params: { taskId: '105', params: { STOP_PREVIOUS: 'Y' } } });
      assert.equal(valueOf(await write(client, { kind: 'timer', taskId: 105, start: false })).said, 'done');
      assert.equal(sandbox.cards.timerOf(1), undefined);
    });

    it('says clearly when the portal has no timer method, and a task that tracks no time', async () => {
      await portal({ missingMethods: ['tasks.task.startTimer'] });
      const client = clientFor(1);
      const failure = failureOf(await write(client, { kind: 'timer', taskId: 101, start: true }));
      assert.equal(failure.kind, 'badRequest');
      assert.match(failure.detail, /does not have tasks\.task\.startTimer/);
      sandbox.cards.putCard(105, { allowTimeTracking: false }, sandbox.now());
      assert.match(failureOf(await write(client, { kind: 'timer', taskId: 105, start: false })).detail, /does not track time/);
    });

    it('ticks and unticks a checklist item; an item that is not there is a failure', async () => {
      await portal();
      const client = clientFor(1);
      assert.equal(valueOf(await write(client, { kind: 'checklist', taskId: 101, itemId: 3002, done: true })).said, 'done');
      assert.equal(sandbox.cards.card(101).checklist.find((i) => i.id === 3002)?.isComplete, true);
      assert.deepEqual(batchCommandsOf(sandbox.requests.at(-1)!)[0].params, { TASKID: '101', ITEMID: '3002' });
      valueOf(await write(client, { kind: 'checklist', taskId: 101, itemId: 3002, done: false }));
      assert.equal(sandbox.cards.card(101).checklist.find((i) => i.id === 3002)?.isComplete, false);
      assert.match(failureOf(await write(client, { kind: 'checklist', taskId: 101, itemId: 999_999, done: true })).detail, /no checklist item #999999/);
    });

    it('posts a forum comment as the webhook user, never with AUTHOR_ID', async () => {
      await portal();
      const client = clientFor(1);
      valueOf(await write(client, { kind: 'comment', taskId: 101, text: 'Fixed in [B]2.4[/B] & shipped' }));
      const posted = sandbox.cards.card(101).comments.at(-1);
      assert.deepEqual([posted?.authorId, posted?.text], [1, 'Fixed in [B]2.4[/B] & shipped']);
      assert.deepEqual(batchCommandsOf(sandbox.requests.at(-1)!)[0].params, { TASKID: '101', FIELDS: { POST_MESSAGE: 'Fixed in [B]2.4[/B] & shipped' } });
    });

    it('posts a chat card\'s comment through REST 3.0, a request of its own', async () => {
      await portal({ comments: 'chat' });
      const client = clientFor(1);
      assert.equal(valueOf(await client.sendChatMessage(101, 'On it')).said, 'done');
      assert.equal(sandbox.requests.length, 1);
      assert.equal(sandbox.requests[0].method, 'api/tasks.task.chat.message.send');
      assert.deepEqual(sandbox.requests[0].params, { fields: { taskId: 101, text: 'On it' } });
      assert.equal(sandbox.cards.card(101).comments.at(-1)?.text, 'On it');
      const denied = writeFailureOf(await client.sendChatMessage(9999, 'x'));
      assert.equal(denied.kind, 'access');
      assert.equal(denied.applied, undefined);
    });

    it('a chat comment on a portal with the old card: the method is not found, nothing applied', async () => {
      await portal();
      const failure = writeFailureOf(await clientFor(1).sendChatMessage(101, 'x'));
      assert.equal(failure.kind, 'badRequest');
      assert.equal(failure.applied, undefined);
    });
  });
});
