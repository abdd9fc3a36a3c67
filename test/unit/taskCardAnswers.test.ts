/**
 * The task card's parsers and commands by example, on answers the sandbox does not send: ids
 * and counts as strings or garbage, checklists as lists, duplicate and system comments, the
 * portal's unread flags, and each write's command, key, checks and what its answer said. The
 * sandbox round trips are in taskCard.test.ts, the properties in taskCard.property.test.ts.
 */
import assert from 'node:assert/strict';
import { Failure, fail, Outcome, succeed } from '../../src/core/outcome';
import { markupText } from '../../src/core/portalMarkup';
import { portalText, sentence } from '../../src/core/portalText';
import {
  asksForum,
  chatMessagesCommand,
  commentsSourceOf,
  invalidWrite,
  MAX_CARD_COMMENTS,
  MAX_COMMENT_LENGTH,
  parseChatMessages,
  parseForumComments,
  parseTaskFields,
  readCommand,
  sameCommentsSource,
  TaskCard,
  TaskComment,
  taskCard,
  TaskFields,
  TaskWrite,
  unansweredWrite,
  writeCommand,
  writeKey,
  writeOutcome,
  WriteOutcome,
  writeRefused,
  WriteResult,
} from '../../src/core/taskCard';
import { failureOf, webhookOf } from './support';

const SECRET = 'answersecret0042';
const HOOK = webhookOf(`https://portal.example/rest/1/${SECRET}/`);
const reader = { userId: 1, redact: HOOK.redact };

function valueOf<T>(outcome: Outcome<T>): T {
  assert.ok(outcome.ok, JSON.stringify(outcome).slice(0, 300));
  return outcome.value;
}

const fields = (task: Record<string, unknown>): TaskFields => valueOf(parseTaskFields({ task: { id: '5', status: '2', ...task } }, 5, HOOK.redact));

describe('Task card answers: tasks.task.get', () => {
  it('no task in the answer is "not found"; a task without an id or a known status is an unexpected shape', () => {
    for (const answer of [[], {}, { tasks: {} }, 'text', null]) {
      const failure = failureOf(parseTaskFields(answer, 42, HOOK.redact));
      assert.equal(failure.kind, 'access', JSON.stringify(answer));
      assert.match(failure.detail, /task #42 not found or not visible/);
    }
    for (const task of [{}, { id: '5' }, { id: '5', status: '0' }, { id: '5', status: '8' }, { id: 'x', status: '2' }, { id: '0', status: '2' }]) {
      const failure = failureOf(parseTaskFields({ task }, 5, HOOK.redact));
      assert.equal(failure.kind, 'notJson', JSON.stringify(task));
      assert.match(failure.detail, /task #5 has an unexpected shape/);
    }
    assert.deepEqual([1, 7, '1', '7'].map((status) => fields({ status }).status), [1, 7, 1, 7], 'statuses 1 to 7, legacy ones included');
  });

  it('ids are positive safe integers, as numbers or digit strings', () => {
    assert.equal(fields({ id: 5 }).id, 5);
    assert.equal(fields({ id: '9007199254740991' }).id, Number.MAX_SAFE_INTEGER);
    for (const id of ['9007199254740993', '12345678901234567', ' 5', '5 ', '5.0', '-5', 5.5, -5, '']) {
      assert.equal(parseTaskFields({ task: { id, status: '2' } }, 5, HOOK.redact).ok, false, JSON.stringify(id));
    }
  });

  it('a task without a title is "#id"; its people without names are "#id" too', () => {
    const card = fields({ title: '', creator: { id: '3' }, responsible: { id: 4, name: '' }, group: { id: '7', name: 'Relaunch' } });
    assert.equal(card.title, '#5');
    assert.deepEqual(card.creator, { id: 3, name: '#3' });
    assert.deepEqual(card.responsible, { id: 4, name: '#4' });
    assert.deepEqual(card.group, { id: 7, name: 'Relaunch' });
    assert.equal(fields({ title: 12 }).title, '12', 'a number is text');
    const bare = fields({ creator: { name: 'nobody' }, responsible: 'Anna', group: [] });
    assert.deepEqual([bare.creator, bare.responsible, bare.group], [undefined, undefined, undefined]);
    assert.ok(!('creator' in bare), 'no person: no field');
  });

  it('accomplices and auditors once each, in the portal\'s order, named from their data or "#id"', () => {
    const card = fields({
      accomplices: ['3', 11, '3', 'x', 0],
      accomplicesData: { 3: { id: '3', name: 'Viktor' } },
      auditors: { 0: '4' },
      auditorsData: { 4: { name: 'Olga' } },
    });
    assert.deepEqual(card.accomplices, [{ id: 3, name: 'Viktor' }, { id: 11, name: '#11' }]);
    assert.deepEqual(card.auditors, [], 'ids not in a list: none');
  });

  it('seconds and counts as numbers or digit strings, whole, never negative nor past MAX_SAFE_INTEGER', () => {
    const seconds = (value: unknown) => fields({ timeEstimate: value }).timeEstimate;
    assert.deepEqual(
      [3600, '3600', ' 3600 ', '12.9', '12.95', 12.9, '-5', -5, -0, 'x', '1e3', '', null, 1e300].map(seconds),
      [3600, 3600, 3600, 12, 12, 12, 0, 0, 0, 0, 0, 0, 0, Number.MAX_SAFE_INTEGER],
    );
    assert.equal(fields({ newCommentsCount: '4' }).newComments, 4);
  });

  it('time spent: timeElapsed when the portal sends it (the running timer in it), else the logged time', () => {
    assert.equal(fields({ timeSpentInLogs: '1800' }).timeSpent, 1800);
    assert.equal(fields({ timeSpentInLogs: '1800', timeElapsed: '1900' }).timeSpent, 1900);
    assert.equal(fields({ timeSpentInLogs: '1800', timeElapsed: 0 }).timeSpent, 0);
    assert.equal(fields({ timerIsRunningForCurrentUser: 'Y' }).timerRunning, true);
    assert.equal(fields({ timerIsRunningForCurrentUser: true }).timerRunning, false, 'the portal says Y');
  });

  it('a deadline as a date string, or none', () => {
    assert.equal(fields({ deadline: '2025-09-26T07:29:12+00:00' }).deadline, Date.UTC(2025, 8, 26, 7, 29, 12));
    for (const deadline of ['soon', 1758871752000, null]) assert.ok(!('deadline' in fields({ deadline })), JSON.stringify(deadline));
  });

  it('the description as markup, none when it is not text', () => {
    assert.equal(markupText(fields({ description: '[B]Fix[/B] it' }).description), 'Fix it');
    assert.deepEqual(fields({ description: 7 }).description, []);
  });

  it('the checklist as a map or a list, by sort index then id, headings at parent 0, done as Y or true, toggle only when true', () => {
    const items = {
      a: { id: '12', parentId: '10', title: 'second', isComplete: 'Y', sortIndex: '2', action: { toggle: true } },
      b: { id: 11, parentId: 10, title: 'first', isComplete: true, sortIndex: 1, action: { toggle: 'Y' } },
      c: { id: '10', title: 'Heading', isComplete: 'N', sortIndex: '0' },
      d: { id: '9', title: 'tie, lower id', isComplete: false, sortIndex: '2' },
      e: { title: 'no id' },
    };
    const expected = [
      { id: 10, parentId: 0, title: 'Heading', done: false, canToggle: false },
      { id: 11, parentId: 10, title: 'first', done: true, canToggle: false },
      { id: 9, parentId: 0, title: 'tie, lower id', done: false, canToggle: false },
      { id: 12, parentId: 10, title: 'second', done: true, canToggle: true },
    ];
    assert.deepEqual(fields({ checklist: items }).checklist, expected);
    assert.deepEqual(fields({ checklist: Object.values(items) }).checklist, expected, 'PHP sends a list too');
    assert.deepEqual(fields({ checklist: 'none' }).checklist, []);
  });

  it('allowed actions: those the action map says true or Y; the timer only when the task tracks time; a comment always', () => {
    const card = fields({ action: { start: true, pause: 'Y', complete: false, defer: 'N', 'dayplan.timer.toggle': true } });
    assert.deepEqual([...card.allowed.status].sort(), ['pause', 'start']);
    assert.equal(card.allowed.timer, true);
    assert.equal(card.allowed.comment, true);
    assert.equal(fields({ allowTimeTracking: 'N', action: { 'dayplan.timer.toggle': true } }).allowed.timer, false);
    assert.equal(fields({ allowTimeTracking: 'Y', action: { 'dayplan.timer.toggle': 'Y' } }).allowed.timer, true);
    assert.equal(fields({ action: [] }).allowed.timer, false);
  });

  it('a chat id makes the card a chat card; a refused chat takes no comment', () => {
    const chat = fields({ chatId: '4005' });
    assert.deepEqual([chat.commentsIn, chat.chatId], ['chat', 4005]);
    const forum = fields({ chatId: 0 });
    assert.equal(forum.commentsIn, 'forum');
    assert.ok(!('chatId' in forum));
    const refusal: Failure = { kind: 'scope', detail: sentence`no im`, missingScope: 'im' };
    const refused = taskCard(chat, succeed([]), refusal);
    assert.deepEqual([refused.allowed.comment, refused.chatRefused, [...refused.allowed.status]], [false, refusal, [...chat.allowed.status]]);
    const shown = taskCard(chat, succeed([]));
    assert.equal(shown.allowed.comment, true);
    assert.ok(!('chatRefused' in shown));
  });
});

describe('Task card answers: comments', () => {
  const row = (id: number | string, author: number | string, extra: Record<string, unknown> = {}) => ({
    ID: String(id),
    AUTHOR_ID: String(author),
    AUTHOR_NAME: `User ${author}`,
    POST_DATE: '2025-01-02T03:04:05+00:00',
    POST_MESSAGE: `comment ${id}`,
    ...extra,
  });
  const shape = (comments: readonly TaskComment[]) => comments.map((c) => [c.id, c.author.id, c.unread]);

  it('forum comments: oldest first, each once, the newest unreadCount by others unread, the reader\'s own never', () => {
    const comments = valueOf(parseForumComments([row(4, 3), row(2, 3), row(3, 1), row(4, 3), row(1, 3), row(5, 1)], 2, reader));
    assert.deepEqual(shape(comments), [[1, 3, false], [2, 3, true], [3, 1, false], [4, 3, true], [5, 1, false]]);
    assert.deepEqual(shape(valueOf(parseForumComments([row(1, 3), row(2, 3)], 0, reader))), [[1, 3, false], [2, 3, false]]);
    assert.deepEqual(comments[0].author, { id: 3, name: 'User 3' });
    assert.equal(comments[0].postedAt, Date.UTC(2025, 0, 2, 3, 4, 5));
    assert.equal(markupText(comments[0].body), 'comment 1');
  });

  it('a comment without an id or an author is none; without a date it dates 0, without a name it is "#id", without text it is empty', () => {
    const comments = valueOf(
      parseForumComments([row('x', 3), row(1, 0), { ID: '2', AUTHOR_ID: 3, POST_DATE: 2025 }, row(3, 3, { POST_DATE: 'yesterday', AUTHOR_NAME: 7, POST_MESSAGE: null }), 'row'], 0, reader),
    );
    assert.deepEqual(comments, [
      { id: 2, author: { id: 3, name: '#3' }, postedAt: 0, body: [], unread: false },
      { id: 3, author: { id: 3, name: '7' }, postedAt: 0, body: [], unread: false },
    ]);
  });

  it('the newest MAX_CARD_COMMENTS only', () => {
    const rows = Array.from({ length: MAX_CARD_COMMENTS + 5 }, (_, i) => row(i + 1, 3));
    const comments = valueOf(parseForumComments(rows.reverse(), 0, reader));
    assert.equal(comments.length, MAX_CARD_COMMENTS);
    assert.deepEqual([comments[0].id, comments.at(-1)?.id], [6, MAX_CARD_COMMENTS + 5]);
  });

  it('an answer that is not a list, or a chat answer without messages, is an unexpected shape', () => {
    for (const answer of [{}, null, 'x', { 0: row(1, 3) }]) {
      const failure = failureOf(parseForumComments(answer, 0, reader));
      assert.equal(failure.kind, 'notJson');
      assert.match(failure.detail, /task\.commentitem\.getlist has an unexpected shape/);
    }
    for (const answer of [[], {}, { messages: {} }, null]) {
      const failure = failureOf(parseChatMessages(answer, 0, reader));
      assert.equal(failure.kind, 'notJson');
      assert.match(failure.detail, /im\.dialog\.messages\.get has an unexpected shape/);
    }
  });

  it('chat messages: names from users, system messages (author 0) left out, oldest first', () => {
    const comments = valueOf(
      parseChatMessages(
        {
          messages: [
            { id: 12, author_id: 3, date: '2025-01-02T03:04:05+00:00', text: 'newest' },
            { id: '11', author_id: '0', text: 'Task created' },
            { id: 10, author_id: 4, text: 'oldest' },
          ],
          users: [{ id: 3, name: 'Viktor' }, { id: 'x', name: 'Nobody' }, 'junk'],
        },
        1,
        reader,
      ),
    );
    assert.deepEqual(comments.map((c) => [c.id, c.author.name, markupText(c.body), c.unread]), [[10, '#4', 'oldest', false], [12, 'Viktor', 'newest', true]]);
    assert.deepEqual(valueOf(parseChatMessages({ messages: [{ id: 1, author_id: 3, text: 'm' }], users: 'none' }, 0, reader))[0].author, { id: 3, name: '#3' });
  });

  it('chat messages: where the portal flags unread, its flags say, not the count; the reader\'s own are never unread', () => {
    const messages = [
      { id: 4, author_id: 3, text: 'd', unread: false },
      { id: 3, author_id: 3, text: 'c' },
      { id: 2, author_id: 1, text: 'b', unread: true },
      { id: 1, author_id: 3, text: 'a', unread: true },
    ];
    assert.deepEqual(shape(valueOf(parseChatMessages({ messages, users: [] }, 4, reader))), [[1, 3, true], [2, 1, false], [3, 3, false], [4, 3, false]]);
    assert.ok(!valueOf(parseChatMessages({ messages, users: [] }, 4, reader)).some((c) => 'flag' in c), 'the flag is the parser\'s own');
    const notFlags = [{ id: 2, author_id: 3, text: 'b', unread: 'Y' }, { id: 1, author_id: 3, text: 'a', unread: 1 }];
    assert.deepEqual(shape(valueOf(parseChatMessages({ messages: notFlags, users: [] }, 1, reader))), [[1, 3, false], [2, 3, true]], 'a flag is a boolean');
  });
});

describe('Task card commands', () => {
  const card = (comments: Outcome<readonly TaskComment[]>, chatId?: number): TaskCard => taskCard(fields(chatId === undefined ? {} : { chatId }), comments);
  const comment = (id: number, unread: boolean): TaskComment => ({ id, author: { id: 3, name: sentence`Viktor` }, postedAt: 0, body: [], unread });

  it('comments sources: a forum, a chat, a refused chat (which asks the forum too); the same only when all agree', () => {
    assert.equal(commentsSourceOf(fields({}), true), 'forum');
    assert.deepEqual(commentsSourceOf(fields({ chatId: 9 }), false), { chatId: 9 });
    assert.deepEqual(commentsSourceOf(fields({ chatId: 9 }), true), { chatId: 9, chatRefused: true });
    assert.deepEqual([asksForum('forum'), asksForum({ chatId: 9 }), asksForum({ chatId: 9, chatRefused: true })], [true, false, true]);
    assert.equal(sameCommentsSource('forum', 'forum'), true);
    assert.equal(sameCommentsSource('forum', { chatId: 9 }), false);
    assert.equal(sameCommentsSource({ chatId: 9 }, 'forum'), false);
    assert.equal(sameCommentsSource({ chatId: 9 }, { chatId: 9 }), true);
    assert.equal(sameCommentsSource({ chatId: 9 }, { chatId: 8 }), false);
    assert.equal(sameCommentsSource({ chatId: 9 }, { chatId: 9, chatRefused: true }), false);
  });

  it('a chat\'s page by its id or by a reference to the task command\'s answer', () => {
    assert.deepEqual(chatMessagesCommand(4101), { method: 'im.dialog.messages.get', params: { DIALOG_ID: 'chat4101', LIMIT: MAX_CARD_COMMENTS } });
    assert.equal(chatMessagesCommand({ taskCommandKey: 'task_7' }).params.DIALOG_ID, 'chat$result[task_7][task][chatId]');
  });

  it('a read mark: none without an unread comment shown; the forum task viewed, or the chat read up to the newest shown', () => {
    assert.equal(readCommand(card(succeed([comment(1, false)]))), undefined);
    assert.equal(readCommand(card(succeed([]))), undefined);
    assert.equal(readCommand(card(fail({ kind: 'server', detail: sentence`down` }))), undefined);
    assert.deepEqual(readCommand(card(succeed([comment(1, true), comment(2, false)]))), { method: 'tasks.task.view.update', params: { taskId: 5 } });
    assert.deepEqual(readCommand(card(succeed([comment(1, true), comment(2, false)]), 77)), {
      method: 'im.dialog.read',
      params: { DIALOG_ID: 'chat77', MESSAGE_ID: 2 },
    });
  });

  it('each write\'s command: its method, and its parameters by the names the method binds', () => {
    assert.deepEqual(writeCommand({ kind: 'status', taskId: 5, action: 'defer' }), { method: 'tasks.task.defer', params: { taskId: 5 } });
    assert.deepEqual(writeCommand({ kind: 'timer', taskId: 5, start: true }), { method: 'tasks.task.startTimer', params: { taskId: 5, params: { STOP_PREVIOUS: 'Y' } } });
    assert.deepEqual(writeCommand({ kind: 'timer', taskId: 5, start: false }), { method: 'tasks.task.pauseTimer', params: { taskId: 5 } });
    assert.deepEqual(writeCommand({ kind: 'checklist', taskId: 5, itemId: 8, done: true }), { method: 'task.checklistitem.complete', params: { TASKID: 5, ITEMID: 8 } });
    assert.deepEqual(writeCommand({ kind: 'checklist', taskId: 5, itemId: 8, done: false }), { method: 'task.checklistitem.renew', params: { TASKID: 5, ITEMID: 8 } });
    assert.deepEqual(writeCommand({ kind: 'comment', taskId: 5, text: 'hi' }), { method: 'task.commentitem.add', params: { TASKID: 5, FIELDS: { POST_MESSAGE: 'hi' } } });
  });

  it('a write\'s key: the same for the same write in any field order, different for any other', () => {
    const writes: TaskWrite[] = [
      { kind: 'status', taskId: 5, action: 'start' },
      { kind: 'status', taskId: 6, action: 'start' },
      { kind: 'status', taskId: 5, action: 'pause' },
      { kind: 'timer', taskId: 5, start: true },
      { kind: 'timer', taskId: 5, start: false },
      { kind: 'timer', taskId: 6, start: true },
      { kind: 'checklist', taskId: 5, itemId: 8, done: true },
      { kind: 'checklist', taskId: 5, itemId: 8, done: false },
      { kind: 'checklist', taskId: 5, itemId: 9, done: true },
      { kind: 'checklist', taskId: 6, itemId: 8, done: true },
      { kind: 'comment', taskId: 5, text: 'a' },
      { kind: 'comment', taskId: 5, text: 'b' },
      { kind: 'comment', taskId: 6, text: 'a' },
    ];
    assert.equal(new Set(writes.map(writeKey)).size, writes.length);
    assert.equal(writeKey({ text: 'a', taskId: 5, kind: 'comment' }), writeKey({ kind: 'comment', taskId: 5, text: 'a' }));
    assert.equal(writeKey({ done: true, itemId: 8, taskId: 5, kind: 'checklist' }), writeKey(writes[6]));
  });

  it('a write that cannot be sent: an id that is not one, an unknown action, a comment blank or too long', () => {
    const refused = (write: TaskWrite) => invalidWrite(write)?.detail;
    assert.match(refused({ kind: 'status', taskId: 0, action: 'start' }) ?? '', /not a task or checklist item id/);
    assert.match(refused({ kind: 'checklist', taskId: 5, itemId: 1.5, done: true }) ?? '', /not a task or checklist item id/);
    assert.match(refused({ kind: 'status', taskId: 5, action: 'delete' as 'start' }) ?? '', /not a status action/);
    assert.match(refused({ kind: 'comment', taskId: 5, text: ' \n ' }) ?? '', /must have text/);
    assert.match(refused({ kind: 'comment', taskId: 5, text: 'x'.repeat(MAX_COMMENT_LENGTH + 1) }) ?? '', /at most 20000 characters/);
    for (const write of [
      { kind: 'status', taskId: 0, action: 'start' },
      { kind: 'status', taskId: 5, action: 'delete' },
      { kind: 'comment', taskId: 5, text: '' },
    ] as TaskWrite[]) {
      assert.equal(invalidWrite(write)?.kind, 'badRequest', JSON.stringify(write));
    }
    for (const write of [
      { kind: 'comment', taskId: 5, text: 'x'.repeat(MAX_COMMENT_LENGTH) },
      { kind: 'checklist', taskId: 5, itemId: 8, done: true },
      { kind: 'timer', taskId: 5, start: true },
      { kind: 'status', taskId: 5, action: 'disapprove' },
    ] as const) {
      assert.equal(invalidWrite(write), undefined, JSON.stringify(write).slice(0, 80));
    }
  });

  it('a write whose request failed may have been applied only when it may have reached the portal', () => {
    const failure = (kind: Failure['kind'], networkCause?: Failure['networkCause']): Failure => ({ kind, detail: sentence`x`, ...(networkCause ? { networkCause } : {}) });
    const applied = (f: Failure) => unansweredWrite(f).applied;
    assert.deepEqual(
      (['refused', 'dns', 'tls', 'timeout', 'reset', 'other'] as const).map((cause) => applied(failure('network', cause))),
      [undefined, undefined, undefined, 'unknown', 'unknown', 'unknown'],
    );
    assert.deepEqual(
      (['notJson', 'server', 'tooLarge', 'rateLimited', 'auth', 'access', 'redirected', 'badRequest'] as const).map((kind) => applied(failure(kind))),
      ['unknown', 'unknown', 'unknown', undefined, undefined, undefined, undefined, undefined],
    );
  });
});

describe('Task card writes: what the answer said', () => {
  const context = (before?: Partial<TaskCard>, others: TaskCard[] = []) => ({
    before: before && ({ ...taskCard(fields({}), succeed([])), ...before }),
    others,
    redact: HOOK.redact,
  });
  const said = (outcome: WriteOutcome) => valueOf<WriteResult>(outcome);

  it('a status action: done, unchanged when the status was already that, awaiting control only for Complete that led there', () => {
    const answer = (status: number) => succeed({ task: { id: '5', status: String(status) } });
    const complete: TaskWrite = { kind: 'status', taskId: 5, action: 'complete' };
    const start: TaskWrite = { kind: 'status', taskId: 5, action: 'start' };
    assert.deepEqual(said(writeOutcome(complete, answer(4), context({ status: 3 }))), { said: 'awaitingControl' });
    assert.deepEqual(said(writeOutcome(complete, answer(5), context({ status: 3 }))), { said: 'done' });
    assert.deepEqual(said(writeOutcome(start, answer(4), context({ status: 3 }))), { said: 'done' });
    assert.deepEqual(said(writeOutcome(start, answer(3), context({ status: 3 }))), { said: 'unchanged' });
    assert.deepEqual(said(writeOutcome(start, answer(3), context())), { said: 'done' }, 'no card before: done');
    assert.deepEqual(said(writeOutcome(start, succeed(true), context({ status: 3 }))), { said: 'done' }, 'an answer without the task: done');
  });

  it('the card fetched after the write comes with what it said', () => {
    const after = taskCard(fields({ status: '3' }), succeed([]));
    assert.equal(said(writeOutcome({ kind: 'comment', taskId: 5, text: 'a' }, succeed(77), { after, others: [], redact: HOOK.redact })).card, after);
  });

  it('a timer: a task that tracks no time answers null or []; starting names the other shown task whose timer ran', () => {
    const running = taskCard(fields({ id: '6', timerIsRunningForCurrentUser: 'Y' }), succeed([]));
    const idle = taskCard(fields({ id: '7' }), succeed([]));
    const self = taskCard(fields({ timerIsRunningForCurrentUser: 'Y' }), succeed([]));
    const start: TaskWrite = { kind: 'timer', taskId: 5, start: true };
    assert.deepEqual(said(writeOutcome(start, succeed(true), context(undefined, [self, idle, running]))), { said: 'timerMoved', stoppedTaskId: 6 });
    assert.deepEqual(said(writeOutcome(start, succeed(true), context(undefined, [self, idle]))), { said: 'done' });
    assert.deepEqual(said(writeOutcome({ kind: 'timer', taskId: 5, start: false }, succeed(true), context(undefined, [running]))), { said: 'done' }, 'a stop moves nothing');
    assert.deepEqual(said(writeOutcome(start, succeed([1]), context())), { said: 'done' });
    for (const [write, verb] of [[start, 'start'], [{ kind: 'timer', taskId: 5, start: false }, 'stop']] as const) {
      for (const answer of [null, []]) {
        const failure = failureOf(writeOutcome(write, succeed(answer), context()));
        assert.equal(failure.kind, 'access');
        assert.equal(failure.detail, `the portal did not ${verb} the timer of task #5: the task does not track time`);
      }
    }
  });

  it('a checklist tick: done when the portal answers true, else no such item', () => {
    const tick: TaskWrite = { kind: 'checklist', taskId: 5, itemId: 8, done: true };
    assert.equal(said(writeOutcome(tick, succeed(true), context())).said, 'done');
    assert.equal(said(writeOutcome(tick, succeed('true'), context())).said, 'done');
    for (const answer of [false, 'false', 1, null]) {
      const failure: Failure = failureOf(writeOutcome(tick, succeed(answer), context()));
      assert.deepEqual([failure.kind, failure.detail], ['badRequest', 'task #5 has no checklist item #8']);
    }
  });

  it('a refused write in the user\'s words: not allowed (1048582, or 0 saying so), no such method, a missing answer may have run', () => {
    const start: TaskWrite = { kind: 'status', taskId: 5, action: 'start' };
    const clean = (words: string) => portalText(words, HOOK.redact);
    const failure = (code: string | undefined, detail: string, kind: Failure['kind'] = 'badRequest'): Failure => ({ kind, detail: clean(detail), ...(code ? { code: clean(code) } : {}) });
    const notAllowed = writeRefused(start, failure('1048582', 'Action not allowed'));
    assert.deepEqual([notAllowed.kind, notAllowed.detail], ['access', 'the action is not allowed on task #5 (Action not allowed)']);
    assert.equal(writeRefused(start, failure('0', 'Action on the task is NOT ALLOWED')).kind, 'access');
    assert.deepEqual(writeRefused(start, failure('0', 'Something else')), failure('0', 'Something else'));
    assert.deepEqual(writeRefused(start, failure(undefined, 'not allowed')), failure(undefined, 'not allowed'));
    const missing = writeRefused({ kind: 'timer', taskId: 5, start: true }, failure('error_method_not_found', 'Method not found'));
    assert.deepEqual([missing.kind, missing.detail], ['badRequest', 'this portal does not have tasks.task.startTimer: Method not found']);
    assert.equal(writeRefused(start, failure(undefined, 'cut', 'notJson')).applied, 'unknown');
    assert.equal(writeRefused(start, failure(undefined, 'down', 'server')).applied, undefined);
    const refused = failureOf(writeOutcome(start, fail(failure('1048582', 'no')), context()));
    assert.equal(refused.kind, 'access');
  });
});
