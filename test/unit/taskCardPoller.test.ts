/**
 * The poller as the task tab's source (TaskCardSource): cards riding the poll, the user's
 * writes riding an explicit poll, read marks; the scheduler on a fake clock, the client over
 * real HTTP to a sandbox portal of each test's own (writes change its tasks).
 */
import assert from 'node:assert/strict';
import { Filters } from '../../src/core/countersState';
import { PortalText } from '../../src/core/portalText';
import { MIN_REQUEST_GAP_MS as GAP } from '../../src/core/requestGate';
import { TaskWrite, WriteFailure, WriteOutcome } from '../../src/core/taskCard';
import { batchCommandsOf, CardOptions, SandboxPortal } from '../sandbox/index';
import { counts, PollerSandbox, PollerUnderTest, until, waitForSnapshot as waitFor, webhookOf } from './support';

const INTERVAL = 60_000;
const START_DELAY = 50;
const ALL: Filters = { role: 'view_all', userId: 0, groupId: 0 };

describe('CountersPoller as the task cards\' source (fake clock, sandbox portal)', function () {
  this.timeout(10_000);

  let sandbox: SandboxPortal | undefined;
  const pollers = new PollerSandbox();
  beforeEach(() => pollers.reset());
  afterEach(async () => {
    await pollers.disposeAndCheck();
    await sandbox?.close();
    sandbox = undefined;
  });

  async function setup(card: CardOptions = {}, client: { timeoutMs?: number } = {}) {
    sandbox = await SandboxPortal.start({ card });
    const notices: PortalText[] = [];
    const env = pollers.createPoller(ALL, INTERVAL, client, { onNotice: (n) => notices.push(n) });
    return { ...env, portal: sandbox, notices };
  }

  /** Connects (user 1) and lets the first poll land. */
  async function connect(env: PollerUnderTest & { portal: SandboxPortal }) {
    env.poller.connect(webhookOf(env.portal.webhookUrl(1)), 'stored');
    await env.timers.tickAsync(START_DELAY);
    await waitFor(env.state, (s) => !s.loading && s.updatedAt !== undefined, 'the first poll');
    await env.timers.tickAsync(0);
  }

  /** The next scheduled poll, landed. */
  async function nextPoll(env: PollerUnderTest, ms = INTERVAL) {
    const before = env.sent();
    await env.timers.tickAsync(ms);
    await until(() => env.sent() > before && env.inFlight() === 0, 'the next poll');
    await waitFor(env.state, (s) => !s.loading, 'its answer');
    await env.timers.tickAsync(0);
  }

  /** Read afresh (a snapshot read before an await narrows nothing after it). */
  function cardOf(env: PollerUnderTest, taskId: number) {
    return env.state.snapshot.taskCards?.[taskId];
  }

  function batchKeys(portal: SandboxPortal, index: number): string[] {
    return batchCommandsOf(portal.requests.at(index)!).map((c) => c.key);
  }

  function failure(outcome: WriteOutcome): WriteFailure {
    assert.equal(outcome.ok, false, JSON.stringify(outcome).slice(0, 300));
    return (outcome as { error: WriteFailure }).error;
  }

  it('a tab opened before the first poll costs no request of its own: its card rides the poll', async () => {
    const env = await setup();
    env.poller.showTask(101, { readComments: false });
    await connect(env);
    assert.equal(env.sent(), 1);
    const card = env.state.snapshot.taskCards?.[101];
    assert.ok(card?.ok);
    assert.equal(card.value.title, 'Исправить оплату картой');
    // Its kind not known: both sources, the chat by a reference to the task's chatId.
    assert.deepEqual(batchKeys(env.portal, 0).filter((k) => k.endsWith('_101')), ['task_101', 'forum_101', 'chat_101']);
    await nextPoll(env);
    assert.equal(env.sent(), 2, 'one request a poll, the card in each');
    assert.deepEqual(batchKeys(env.portal, 1).filter((k) => k.endsWith('_101')), ['task_101', 'forum_101'], 'a forum card, remembered');
  });

  it('a tab opened later is asked as soon as the gate allows, in the poll\'s one request; released, it goes', async () => {
    const env = await setup();
    await connect(env);
    const release = env.poller.showTask(104, { readComments: false });
    assert.equal(env.state.snapshot.nextPollAt, env.timers.now + GAP);
    await nextPoll(env, GAP);
    assert.equal(env.sent(), 2);
    assert.ok(env.state.snapshot.taskCards?.[104]?.ok);
    release();
    release();
    assert.equal(env.state.snapshot.taskCards?.[104], undefined);
    await nextPoll(env);
    assert.ok(!batchKeys(env.portal, -1).includes('task_104'));
  });

  it('a card that fails is its own failure: the counters stand', async () => {
    const env = await setup();
    env.poller.showTask(9999, { readComments: false });
    await connect(env);
    const card = env.state.snapshot.taskCards?.[9999];
    assert.ok(card && !card.ok);
    assert.match(card.error.detail, /task #9999 not found or not visible/);
    assert.deepEqual(counts(env.state.snapshot.counters), [['expired', 2], ['new_comments', 5]]);
    assert.equal(env.state.snapshot.error, undefined);
  });

  it('a write rides an explicit poll FIRST in its one request; the card and counters change with it; a double click joins', async () => {
    const env = await setup();
    env.poller.showTask(102, { readComments: false });
    await connect(env);
    const write: TaskWrite = { kind: 'status', taskId: 102, action: 'start' };
    const first = env.poller.write(write);
    const second = env.poller.write({ action: 'start', taskId: 102, kind: 'status' });
    assert.equal(first, second, 'the same write joins the one pending');
    const outcome = await first;
    assert.ok(outcome.ok);
    assert.equal(outcome.value.said, 'done');
    assert.equal(env.sent(), 2, 'one request for the write, the counters and the card');
    assert.equal(batchKeys(env.portal, 1)[0], 'write');
    const card = env.state.snapshot.taskCards?.[102];
    assert.ok(card?.ok);
    assert.equal(card.value.status, 3, 'the state shows the write when its promise resolves');
    assert.equal(env.state.snapshot.updatedAt, env.timers.now);
    const again = env.poller.write(write);
    await env.timers.tickAsync(GAP); // 15 s after the first explicit request
    assert.ok((await again).ok, 'a new write after the first one was answered is a new write');
    assert.equal(env.sent(), 3);
  });

  it('two different writes go in two explicit polls, 15 s apart, each once', async () => {
    const env = await setup();
    await connect(env);
    const [first, second] = env.portal.cards.card(101).checklist.filter((item) => item.parentId !== 0 && !item.isComplete).map((item) => item.id);
    const a = env.poller.write({ kind: 'checklist', taskId: 101, itemId: first, done: true });
    const b = env.poller.write({ kind: 'checklist', taskId: 101, itemId: second, done: true });
    assert.ok((await a).ok);
    assert.equal(env.sent(), 2);
    await env.timers.tickAsync(GAP - 1);
    assert.equal(env.sent(), 2, 'not within 15 s of the first explicit request');
    await env.timers.tickAsync(1);
    assert.ok((await b).ok);
    assert.equal(env.sent(), 3);
    const writes = env.portal.requests.flatMap((r) => batchCommandsOf(r).filter((c) => c.key === 'write'));
    assert.deepEqual(writes.map((c) => (c.params as { ITEMID: string }).ITEMID), [String(first), String(second)]);
  });

  for (const fault of ['slow', 'truncated'] as const) {
    it(`a write whose answer is lost (${fault}) may have been applied, and is never sent again`, async () => {
      const env = await setup({}, { timeoutMs: 300 });
      await connect(env);
      const comments = env.portal.cards.card(101).comments.length;
      env.portal.inject(fault, { method: 'batch', times: 1, delayMs: 3000 });
      const outcome = await env.poller.write({ kind: 'comment', taskId: 101, text: 'Deployed' });
      assert.equal(failure(outcome).applied, 'unknown');
      assert.equal(env.portal.cards.card(101).comments.length, comments + 1, 'the portal did apply it');
      await nextPoll(env, 2 * INTERVAL);
      await nextPoll(env, 4 * INTERVAL);
      const writes = env.portal.requests.filter((r) => batchCommandsOf(r).some((c) => c.key === 'write'));
      assert.equal(writes.length, 1, 'the failed poll was retried without the write');
      assert.equal(env.portal.cards.card(101).comments.length, comments + 1);
      assert.equal(env.state.snapshot.error, undefined, 'the counters are back');
    });
  }

  it('a write refused by the rate limit was not applied, and is not sent again either', async () => {
    const env = await setup();
    await connect(env);
    env.portal.inject('queryLimit', { method: 'batch', times: 1 });
    const outcome = await env.poller.write({ kind: 'status', taskId: 102, action: 'start' });
    const refused = failure(outcome);
    assert.equal(refused.kind, 'rateLimited');
    assert.equal(refused.applied, undefined);
    assert.equal(env.portal.tasks.find((t) => t.id === 102)?.status, 2);
    await nextPoll(env, 3 * INTERVAL);
    assert.equal(env.portal.tasks.find((t) => t.id === 102)?.status, 2, 'not retried: the user asks again');
  });

  it('marks a card\'s unread comments read on the next poll, once; the counters follow at a later poll', async () => {
    const env = await setup();
    env.poller.showTask(105, { readComments: true });
    await connect(env);
    const card = env.state.snapshot.taskCards?.[105];
    assert.ok(card?.ok && card.value.comments.ok);
    assert.deepEqual(card.value.comments.value.map((c) => c.unread), [true]);
    assert.deepEqual(counts(env.state.snapshot.counters), [['expired', 2], ['new_comments', 5]]);
    assert.ok(!batchKeys(env.portal, 0).includes('read_105'), 'nothing to read before the card is shown');
    await nextPoll(env);
    assert.ok(batchKeys(env.portal, 1).includes('read_105'));
    assert.equal(batchCommandsOf(env.portal.requests[1]).find((c) => c.key === 'read_105')?.method, 'tasks.task.view.update');
    await nextPoll(env);
    assert.ok(!batchKeys(env.portal, 2).includes('read_105'), 'once');
    assert.deepEqual(counts(env.state.snapshot.counters), [['expired', 2], ['new_comments', 4]]);
    const read = env.state.snapshot.taskCards?.[105];
    assert.ok(read?.ok && read.value.comments.ok);
    assert.deepEqual(read.value.comments.value.map((c) => c.unread), [false]);
  });

  it('a read mark after an asynchronous recount is not sent again while the portal still counts the comment', async () => {
    const env = await setup({ recountDelayMs: 3_600_000 });
    env.poller.showTask(105, { readComments: true });
    await connect(env);
    await nextPoll(env);
    await nextPoll(env);
    await nextPoll(env);
    const reads = env.portal.requests.filter((r) => batchCommandsOf(r).some((c) => c.key === 'read_105'));
    assert.equal(reads.length, 1);
  });

  it('a portal without tasks.task.view.update: the read fails once, is logged, and is not sent again', async () => {
    const env = await setup({ missingMethods: ['tasks.task.view.update'] });
    env.poller.showTask(105, { readComments: true });
    await connect(env);
    await nextPoll(env);
    await nextPoll(env);
    await nextPoll(env);
    const reads = env.portal.requests.filter((r) => batchCommandsOf(r).some((c) => c.key === 'read_105'));
    assert.equal(reads.length, 1);
    assert.equal(env.notices.filter((n) => /task #105 read failed/.test(n)).length, 1);
    assert.ok(env.state.snapshot.taskCards?.[105]?.ok);
  });

  it('without readComments (read-only), nothing is marked read', async () => {
    const env = await setup();
    env.poller.showTask(105, { readComments: false });
    await connect(env);
    await nextPoll(env);
    assert.ok(!batchKeys(env.portal, 1).includes('read_105'));
  });

  it('after a batch with a chat reference fails as a whole, cards are asked without one: a chat card one poll later', async () => {
    const env = await setup({ comments: 'chat' });
    env.portal.setScopes(1, ['task', 'user', 'sonet', 'im']);
    // An older core that cannot take the reference: the whole batch fails with a server error.
    env.portal.inject('internalError', { method: 'batch', times: 1 });
    env.poller.showTask(101, { readComments: false });
    env.poller.connect(webhookOf(env.portal.webhookUrl(1)), 'stored');
    await env.timers.tickAsync(START_DELAY);
    await waitFor(env.state, (s) => !s.loading && s.error?.failure.kind === 'server', 'the failed first poll');
    assert.ok(batchKeys(env.portal, 0).includes('chat_101'), 'the first batch had the reference');
    assert.equal(env.notices.filter((n) => n.includes('reference')).length, 1, 'said in the log');
    await nextPoll(env);
    assert.deepEqual(batchKeys(env.portal, 1).filter((k) => k.endsWith('_101')), ['task_101', 'forum_101'], 'asked as a forum card');
    // The answer names the chat: its messages are asked as soon as the gate allows.
    await nextPoll(env, GAP);
    assert.deepEqual(batchKeys(env.portal, 2).filter((k) => k.endsWith('_101')), ['task_101', 'chat_101']);
    assert.ok(!JSON.stringify(batchCommandsOf(env.portal.requests.at(2)!)).includes('$result'), 'by its id, not a reference');
    const card = cardOf(env, 101);
    assert.ok(card?.ok && card.value.commentsIn === 'chat' && card.value.comments.ok);
  });

  it('a chat card: shown with its messages at the first poll, its chat remembered; its comment is a REST 3.0 request of its own', async () => {
    const env = await setup({ comments: 'chat' });
    env.portal.setScopes(1, ['task', 'user', 'sonet', 'im']);
    env.poller.showTask(101, { readComments: false });
    await connect(env);
    assert.equal(env.sent(), 1);
    const card = cardOf(env, 101);
    assert.ok(card?.ok && card.value.comments.ok);
    assert.equal(card.value.commentsIn, 'chat');
    assert.equal(card.value.comments.value.length, 3);
    assert.notEqual(env.state.snapshot.nextPollAt, env.timers.now + GAP, 'nothing left to ask soon');
    await nextPoll(env);
    assert.equal(env.sent(), 2);
    assert.deepEqual(batchKeys(env.portal, 1).filter((k) => k.endsWith('_101')), ['task_101', 'chat_101'], 'the chat by its id, the forum no more');
    const outcome = await env.poller.write({ kind: 'comment', taskId: 101, text: 'On it' });
    assert.ok(outcome.ok);
    assert.equal(env.portal.requests.at(-1)?.method, 'api/tasks.task.chat.message.send');
    assert.equal(env.sent(), 3, 'the comment in place of a batch');
    await nextPoll(env, GAP);
    const after = cardOf(env, 101);
    assert.ok(after?.ok && after.value.comments.ok);
    assert.equal(after.value.comments.value.length, 4);
  });

  it('a chat card without the im scope: the refusal over the forum\'s older comments, one request a poll, the forum asked while refused', async () => {
    const env = await setup({ comments: 'chat' });
    env.portal.cards.putCard(101, { forumComments: [{ authorId: 3, text: 'Before the chat', postedAt: Date.UTC(2025, 0, 1) }] }, Date.UTC(2025, 0, 1));
    env.poller.showTask(101, { readComments: true });
    await connect(env);
    assert.equal(env.sent(), 1, 'both sources in the first batch: the forum\'s answer is there when the chat refuses');
    const card = cardOf(env, 101);
    assert.ok(card?.ok && card.value.comments.ok);
    assert.equal(card.value.chatRefused?.missingScope, 'im');
    assert.deepEqual(card.value.comments.value.map((c) => c.author.id), [3]);
    assert.equal(card.value.allowed.comment, false);
    assert.notEqual(env.state.snapshot.nextPollAt, env.timers.now + GAP, 'nothing left to ask soon');
    await nextPoll(env);
    assert.equal(env.sent(), 2);
    assert.deepEqual(batchKeys(env.portal, 1).filter((k) => k.endsWith('_101')), ['task_101', 'forum_101', 'chat_101'], 'the chat by its id and the forum, no read mark');
    // im granted on the portal: the chat's messages at the next poll, then the chat alone.
    env.portal.setScopes(1, ['task', 'user', 'sonet', 'im']);
    await nextPoll(env);
    const granted = cardOf(env, 101);
    assert.ok(granted?.ok && granted.value.comments.ok);
    assert.equal(granted.value.chatRefused, undefined);
    assert.equal(granted.value.comments.value.length, 3);
    await nextPoll(env);
    assert.deepEqual(batchKeys(env.portal, 3).filter((k) => k.startsWith('task_') || k.startsWith('forum_') || k.startsWith('chat_')), ['task_101', 'chat_101']);
    // A new connection knows nothing: both again, the chat by a reference.
    env.portal.setScopes(1, ['task', 'user', 'sonet']);
    env.poller.connect(webhookOf(env.portal.webhookUrl(1)), 'stored');
    await nextPoll(env, GAP); // the gate's gap after the last poll
    assert.deepEqual(batchKeys(env.portal, 4).filter((k) => k.endsWith('_101')), ['task_101', 'forum_101', 'chat_101']);
    assert.ok(JSON.stringify(batchCommandsOf(env.portal.requests.at(4)!)).includes('$result'));
    assert.equal(env.sent(), 5);
  });

  it('a write while disconnected is not sent; pending writes are answered on disconnect', async () => {
    const env = await setup();
    assert.equal(failure(await env.poller.write({ kind: 'status', taskId: 1, action: 'start' })).kind, 'auth');
    await connect(env);
    await env.poller.write({ kind: 'status', taskId: 102, action: 'start' });
    const pending = env.poller.write({ kind: 'status', taskId: 102, action: 'pause' }); // within 15 s of the last explicit: waits
    env.poller.disconnect();
    assert.equal(failure(await pending).kind, 'auth');
    assert.equal(failure(await env.poller.write({ kind: 'comment', taskId: 101, text: '  ' })).kind, 'badRequest');
  });
});
