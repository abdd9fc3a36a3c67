/**
 * The task card's promises, searched by fast-check:
 * (a) for any interleaving of polls, tabs shown and released, writes (double clicks too), Refresh
 *     and faults (rate limit, timeout, cut answer, late answer), every write is sent at most
 *     once and answered, no two requests of the window overlap, and a request sooner than 15 s
 *     after the previous answer is an explicit one (a user's act before it), such requests 15 s
 *     apart from each other;
 * (b) any JSON in place of the portal's answers gives a card or a failure: never a throw, never
 *     the webhook's secret.
 * The poller runs on fake time in front of a scripted in-process portal reached through the real
 * client (classification and the batch's reading run as in production).
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { CountersClient } from '../../src/core/countersClient';
import { CountersPoller } from '../../src/core/countersPoller';
import { CountersState } from '../../src/core/countersState';
import { fail, Failure, Outcome, succeed } from '../../src/core/outcome';
import { sentence } from '../../src/core/portalText';
import { MIN_REQUEST_GAP_MS as GAP } from '../../src/core/requestGate';
import {
  parseChatMessages,
  parseForumComments,
  parseTaskFields,
  STATUS_ACTIONS,
  TaskWrite,
  writeKey,
  WriteOutcome,
  writeOutcome,
} from '../../src/core/taskCard';
import { HttpResponse, Transport } from '../../src/core/transport';
import { fakeTime } from './fakeTime';
import { propertyRuns } from './propertyRuns';
import { webhookOf } from './support';

const SECRET = 'cardsecret0042';
const HOOK = webhookOf(`https://portal.example/rest/1/${SECRET}/`);

// ---------------------------------------------------------------------------------------------
// (a) The poller with writes
// ---------------------------------------------------------------------------------------------

type Fault = 'rateLimited' | 'hang' | 'truncated' | 'late';

type Act =
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'show'; readonly taskId: number; readonly read: boolean }
  | { readonly kind: 'release'; readonly index: number }
  | { readonly kind: 'write'; readonly which: number }
  | { readonly kind: 'refresh' }
  | { readonly kind: 'fault'; readonly fault: Fault };

/** 103 has a task chat (the new card): its comment is a REST 3.0 request of its own. */
const WRITES: readonly TaskWrite[] = [
  { kind: 'status', taskId: 101, action: 'start' },
  { kind: 'status', taskId: 101, action: 'complete' },
  { kind: 'comment', taskId: 101, text: 'a' },
  { kind: 'checklist', taskId: 102, itemId: 5, done: true },
  { kind: 'timer', taskId: 102, start: true },
  { kind: 'comment', taskId: 103, text: 'b' },
];

const act: fc.Arbitrary<Act> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 20_000, max: 200_000 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('show' as const), taskId: fc.constantFrom(101, 102, 103), read: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), index: fc.nat(5) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), which: fc.nat(WRITES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refresh' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fault' as const), fault: fc.constantFrom<Fault>('rateLimited', 'hang', 'truncated', 'late') }) },
);

interface Sent {
  readonly start: number;
  end?: number;
  /** The write this request carried (its key), if any. */
  readonly write?: string;
  /** A user's act (a write or Refresh) came after the previous request started. */
  readonly afterAct: boolean;
}

/** The scripted portal's answer to one batch: every command's plausible result. */
function batchResult(cmd: Record<string, string>): unknown {
  const result: Record<string, unknown> = {};
  for (const [key, command] of Object.entries(cmd)) {
    const method = command.split('?')[0];
    const taskId = Number(/^(?:task|forum|chat|read)_(\d+)$/.exec(key)?.[1] ?? /taskId=(\d+)|TASKID=(\d+)/i.exec(command)?.slice(1).find(Boolean));
    if (key.startsWith('task_') || (key === 'write' && method.startsWith('tasks.task.'))) {
      result[key] = { task: { id: String(taskId), status: '3', title: `T${taskId}`, newCommentsCount: 1, ...(taskId === 103 ? { chatId: 4103 } : {}), action: { start: true } } };
    } else if (key.startsWith('forum_') || key.startsWith('chat_')) {
      result[key] = method === 'im.dialog.messages.get' ? { messages: [{ id: 9, author_id: 3, date: '2025-01-01T00:00:00+00:00', text: 'm' }], users: [] } : [{ ID: '8', AUTHOR_ID: '3', POST_MESSAGE: 'c' }];
    } else if (key === 'write') {
      result[key] = method.startsWith('task.checklistitem') ? true : 77;
    } else {
      result[key] = [];
    }
  }
  return { result, result_error: [], result_total: [], result_time: [] };
}

function response(status: number, body: string): HttpResponse {
  return { status, contentType: 'application/json', body };
}

interface WorldRun {
  readonly violations: string[];
  readonly requests: number;
  /** Requests that carried a write, and the writes the user asked (joined ones once). */
  readonly writesSent: number;
  readonly writesAsked: number;
}

async function runWorld(acts: readonly Act[]): Promise<WorldRun> {
  const { clock, timers } = fakeTime();
  const violations: string[] = [];
  const sent: Sent[] = [];
  const faults: Fault[] = [];
  let inFlight = 0;
  let actedSince = false;
  const transport: Transport = {
    post(url, json, options) {
      if (inFlight > 0) violations.push(`two requests at once at ${clock.monotonic()}`);
      inFlight++;
      const body = JSON.parse(json) as { cmd?: Record<string, string>; fields?: { taskId: number; text: string } };
      const chat = url.includes('/rest/api/');
      const carried = chat ? { kind: 'comment' as const, taskId: body.fields!.taskId, text: body.fields!.text } : undefined;
      const writeCommand = body.cmd?.write;
      const write = carried ? writeKey(carried) : writeCommand === undefined ? undefined : writeCommand;
      const entry: Sent = { start: clock.monotonic(), write, afterAct: actedSince };
      actedSince = false;
      sent.push(entry);
      const fault = faults.shift();
      const answer = (): HttpResponse => {
        if (fault === 'rateLimited') return response(503, JSON.stringify({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }));
        const whole = JSON.stringify({ result: chat ? { result: true } : batchResult(body.cmd ?? {}) });
        return response(200, fault === 'truncated' ? whole.slice(0, whole.length / 2) : whole);
      };
      const settle = (outcome: Outcome<HttpResponse>) => {
        inFlight--;
        entry.end = clock.monotonic();
        return outcome;
      };
      if (fault === 'hang' || fault === 'late') {
        const ms = fault === 'hang' ? options.timeoutMs : options.timeoutMs / 3;
        return new Promise((resolve) =>
          clock.setTimeout(() => {
            const timedOut: Failure = { kind: 'network', networkCause: 'timeout', detail: sentence`timed out` };
            resolve(settle(fault === 'hang' ? fail(timedOut) : succeed(answer())));
          }, ms),
        );
      }
      return Promise.resolve(settle(succeed(answer())));
    },
  };
  const state = new CountersState({ role: 'view_all', userId: 0, groupId: 0 });
  const poller = new CountersPoller(state, {
    intervalMs: 60_000,
    clock,
    random: () => 0.5,
    createClient: (hook) => new CountersClient(hook, { transport, now: () => clock.now() }),
  });
  const writes = new Map<Promise<WriteOutcome>, string>();
  const answered = new Set<Promise<WriteOutcome>>();
  const releases: Array<() => void> = [];
  poller.connect(HOOK, 'stored');
  for (const step of acts) {
    switch (step.kind) {
      case 'tick':
        await timers.tickAsync(step.ms);
        break;
      case 'show':
        releases.push(poller.showTask(step.taskId, { readComments: step.read }));
        break;
      case 'release':
        releases.splice(step.index, 1)[0]?.();
        break;
      case 'write': {
        actedSince = true;
        const write = WRITES[step.which];
        const done = poller.write(write);
        writes.set(done, writeKey(write));
        void done.then(() => answered.add(done));
        break;
      }
      case 'refresh':
        actedSince = true;
        void poller.refresh();
        break;
      case 'fault':
        faults.push(step.fault);
        break;
    }
    await timers.tickAsync(0);
  }
  faults.length = 0;
  for (let i = 0; i < 40 && answered.size < writes.size; i++) await timers.tickAsync(60_000);
  poller.dispose();
  await timers.tickAsync(0);

  for (const done of writes.keys()) if (!answered.has(done)) violations.push(`a write (${writes.get(done)}) was never answered`);
  // The command as sent: which write it was, by the method and ids it names.
  const sentKeys = sent.flatMap((s) => (s.write === undefined ? [] : [s.write]));
  for (const key of new Set(writes.values())) {
    const instances = [...writes.values()].filter((k) => k === key).length;
    const times = sentKeys.filter((command) => command === key || commandIs(command, key)).length;
    if (times > instances) violations.push(`write ${key} sent ${times} times for ${instances} asks`);
  }
  let lastEarly: number | undefined;
  for (const [i, s] of sent.entries()) {
    const previous = sent[i - 1];
    if (!previous) continue;
    if (previous.end === undefined || s.start < previous.end) {
      violations.push(`request ${i} overlaps the one before`);
      continue;
    }
    if (s.start - previous.end >= GAP) continue;
    if (!s.afterAct && s.write === undefined) violations.push(`request ${i} came ${s.start - previous.end} ms after an answer, unasked`);
    if (lastEarly !== undefined && s.start - lastEarly < GAP) violations.push(`explicit request ${i} ${s.start - lastEarly} ms after the last`);
    lastEarly = s.start;
  }
  return { violations, requests: sent.length, writesSent: sentKeys.length, writesAsked: writes.size };
}

/** Whether a batch's write command (`tasks.task.start?taskId=101`) is the write with this key. */
function commandIs(command: string, key: string): boolean {
  const write = WRITES.find((w) => writeKey(w) === key);
  if (!write || write.kind === 'comment' && write.taskId === 103) return false;
  const [method, query = ''] = command.split('?');
  const params = new URLSearchParams(query);
  switch (write.kind) {
    case 'status':
      return method === `tasks.task.${write.action}` && params.get('taskId') === String(write.taskId);
    case 'timer':
      return method === (write.start ? 'tasks.task.startTimer' : 'tasks.task.pauseTimer') && params.get('taskId') === String(write.taskId);
    case 'checklist':
      return method === `task.checklistitem.${write.done ? 'complete' : 'renew'}` && params.get('ITEMID') === String(write.itemId);
    case 'comment':
      return method === 'task.commentitem.add' && params.get('FIELDS[POST_MESSAGE]') === write.text;
  }
}

describe('Task card writes in the poll (property, fake time)', function () {
  this.timeout(120_000);

  it('every write is sent at most once and answered; requests never overlap nor come early unasked', async () => {
    const worlds: WorldRun[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(act, { maxLength: 40 }), async (acts) => {
        const run = await runWorld(acts);
        assert.deepEqual(run.violations, []);
        worlds.push(run);
      }),
      propertyRuns(60),
    );
    // The search reached what it is about: writes sent, and many requests.
    assert.ok(worlds.some((w) => w.writesSent >= 3) && worlds.some((w) => w.requests >= 10), JSON.stringify(worlds.slice(0, 5)));
  });

  it('example: a double click while the first click\'s poll hangs joins it; the retry carries no write', async () => {
    const run = await runWorld([
        { kind: 'tick', ms: 100 },
        { kind: 'fault', fault: 'hang' },
        { kind: 'write', which: 2 },
        { kind: 'write', which: 2 },
        { kind: 'tick', ms: 5_000 },
        { kind: 'write', which: 2 }, // still in flight (the timeout is 15 s): joins
        { kind: 'tick', ms: 20_000 },
        { kind: 'write', which: 2 },
        { kind: 'tick', ms: 200_000 },
    ]);
    assert.deepEqual(run.violations, []);
    assert.deepEqual([run.writesAsked, run.writesSent], [2, 2], 'the double click joined; the third click, after the answer, is a write of its own');
  });

  it('example: a chat card\'s comment and a forum write queued behind it go 15 s apart', async () => {
    const run = await runWorld([
        { kind: 'show', taskId: 103, read: true },
        { kind: 'tick', ms: 100 },
        { kind: 'tick', ms: 20_000 },
        { kind: 'write', which: 5 },
        { kind: 'write', which: 0 },
        { kind: 'fault', fault: 'late' },
        { kind: 'tick', ms: 100_000 },
    ]);
    assert.deepEqual(run.violations, []);
    assert.deepEqual([run.writesAsked, run.writesSent], [2, 2]);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) The parsers
// ---------------------------------------------------------------------------------------------

/** Text that may spell the secret, in any case, whole, in a URL or split by markup. */
const secretText = fc.oneof(
  fc.string(),
  fc.constantFrom(SECRET, SECRET.toUpperCase(), HOOK.reveal(), `[B]${SECRET}[/B]`, `[URL=${HOOK.reveal()}]x[/URL]`, `[USER=1]${SECRET}[/USER]`),
  fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })).map(([a, b]) => `${a}${SECRET}${b}`),
);

const FIELD_NAMES = [
  'id', 'title', 'status', 'description', 'deadline', 'creator', 'responsible', 'group', 'accomplices', 'accomplicesData', 'auditors',
  'auditorsData', 'timeEstimate', 'timeSpentInLogs', 'timeElapsed', 'timerIsRunningForCurrentUser', 'checklist', 'action', 'chatId',
  'newCommentsCount', 'allowTimeTracking', 'name', 'parentId', 'isComplete', 'sortIndex', 'toggle', 'ID', 'AUTHOR_ID', 'AUTHOR_NAME',
  'POST_DATE', 'POST_MESSAGE', 'messages', 'users', 'author_id', 'date', 'text', 'unread', 'task', '3', '101', '__proto__', 'constructor',
];

const { value: portalValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }),
    secretText,
    fc.constantFrom('3', '101', 'Y', 'N', 101, 3, -1, 2 ** 53, 1e308, Number.NaN, '2025-09-26T07:29:12+00:00', null, true, []),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 6 }),
    // A person, checklist item, comment or message the parsers accept, its words from anywhere.
    fc.record({
      id: fc.constantFrom('3', 3), ID: fc.constant('7'), AUTHOR_ID: fc.constant('3'), author_id: fc.constant(3),
      name: secretText, title: secretText, AUTHOR_NAME: secretText, POST_MESSAGE: secretText, text: secretText, isComplete: fc.constant('Y'),
    }),
  ),
}));

/** A task the parser accepts, every field present, each from anywhere (with its people and lists). */
const wholeTask = fc.record({
  ...Object.fromEntries(FIELD_NAMES.filter((name) => name !== '__proto__').map((name) => [name, portalValue])),
  id: fc.constantFrom('101', 101),
  status: fc.constantFrom('2', '3', 4),
  accomplices: fc.constant(['3']),
  accomplicesData: fc.record({ 3: fc.record({ id: fc.constant('3'), name: secretText }) }),
  checklist: fc.dictionary(fc.string({ maxLength: 3 }), portalValue, { maxKeys: 3 }),
});

/** Answers shaped like the portal's, with any value anywhere. */
const answer = fc.oneof(
  portalValue,
  fc.record({ task: wholeTask }),
  fc.record({ task: fc.dictionary(fc.constantFrom(...FIELD_NAMES), portalValue, { maxKeys: 14 }) }),
  fc.record({ task: wholeTask }),
  fc.array(fc.dictionary(fc.constantFrom(...FIELD_NAMES), portalValue, { maxKeys: 8 }), { maxLength: 5 }),
  fc.record({ messages: fc.array(fc.dictionary(fc.constantFrom(...FIELD_NAMES), portalValue), { maxLength: 5 }), users: fc.array(portalValue, { maxLength: 3 }) }),
);

const anyWrite: fc.Arbitrary<TaskWrite> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), taskId: fc.constant(101), action: fc.constantFrom(...STATUS_ACTIONS) }),
  fc.record({ kind: fc.constant('timer' as const), taskId: fc.constant(101), start: fc.boolean() }),
  fc.record({ kind: fc.constant('checklist' as const), taskId: fc.constant(101), itemId: fc.constant(5), done: fc.boolean() }),
  fc.record({ kind: fc.constant('comment' as const), taskId: fc.constant(101), text: fc.constant('x') }),
);

function assertNoSecret(value: unknown): void {
  for (const text of [JSON.stringify(value) ?? '', inspect(value, { depth: Infinity })]) {
    assert.ok(!text.toLowerCase().includes(SECRET), `the secret in ${text.slice(0, 300)}`);
  }
}

describe('Task card parsers (property)', () => {
  const reader = { userId: 1, redact: HOOK.redact };

  it('any answer gives a card or a failure, never a throw, never the secret', () => {
    fc.assert(
      fc.property(answer, answer, anyWrite, fc.nat(5), (task, comments, write, unread) => {
        const fields = parseTaskFields(task, 101, HOOK.redact);
        const forum = parseForumComments(comments, unread, reader);
        const chat = parseChatMessages(comments, unread, reader);
        const said = writeOutcome(write, succeed(task), { others: fields.ok ? [{ ...fields.value, comments: forum }] : [], redact: HOOK.redact });
        assertNoSecret([fields, forum, chat, said]);
        if (fields.ok) {
          assert.ok(fields.value.id > 0 && Number.isSafeInteger(fields.value.timeSpent) && fields.value.timeSpent >= 0);
        } else {
          assert.ok(fields.error.detail.length > 0);
        }
        for (const list of [forum, chat]) {
          if (list.ok) assert.ok(list.value.every((c, i) => Number.isSafeInteger(c.id) && (i === 0 || list.value[i - 1].id < c.id)));
        }
      }),
      propertyRuns(300),
    );
  });

  it('example: tasks.task.get\'s {"result":[]} is "not found or not visible"', () => {
    const fields = parseTaskFields([], 42, HOOK.redact);
    assert.ok(!fields.ok);
    assert.match(fields.error.detail, /task #42 not found or not visible/);
  });

  it('example: a secret spelled across markup in a comment is redacted', () => {
    const forum = parseForumComments([{ ID: '1', AUTHOR_ID: '3', POST_MESSAGE: `${SECRET.slice(0, 5)}[B]${SECRET.slice(5)}[/B]` }], 0, reader);
    assertNoSecret(forum);
    assert.ok(forum.ok && forum.value.length === 1);
  });
});
