/**
 * The task tab's pure parts: what the webview may send (checked on arrival), the view made
 * from a card (actions only as the `action` map allows and never read-only, the newest comment
 * at the bottom, why comments are missing), which writes are offered, the comment drafts'
 * keys, and the page's content security policy.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fail, Failure, succeed } from '../../src/core/outcome';
import { portalMarkup } from '../../src/core/portalMarkup';
import { portalText } from '../../src/core/portalText';
import { STATUS_ACTIONS, StatusAction, TaskCard, taskCard, TaskComment } from '../../src/core/taskCard';
import { CommentDrafts, draftKey, DraftStore } from '../../src/ui/taskTab/drafts';
import { FROM_WEBVIEW_TYPES, fromWebview } from '../../src/ui/taskTab/fromWebview';
import { contentSecurityPolicy, shellHtml } from '../../src/ui/taskTab/html';
import { LABEL_KEYS, MAX_COMMENT_LENGTH, TabLabels } from '../../src/ui/taskTab/protocol';
import { offered, TabFacts, taskView, TaskWords } from '../../src/ui/taskTab/taskView';
import { propertyRuns } from './propertyRuns';

const same = (text: string) => text;
const text = (value: string) => portalText(value, same);

const LABELS = Object.fromEntries(LABEL_KEYS.map((key) => [key, `<${key}>`])) as TabLabels;
const WORDS: TaskWords = {
  labels: LABELS,
  status: (status) => `status ${status}`,
  action: (action) => `do ${action}`,
  deadline: (deadline, now) => ({ words: deadline < now ? 'overdue' : 'due', date: `date ${deadline}`, overdue: deadline < now }),
  duration: (seconds) => `${seconds}s`,
  postedAt: (ms) => `at ${ms}`,
  commentsUnavailable: (failure, commentsIn) => `no comments: ${failure.kind} ${failure.missingScope ?? ''} ${commentsIn}`,
  chatCommentWithheld: 'no comment box: im',
  cardFailure: (failure) => `no card: ${failure.kind}`,
  notConnected: 'not connected',
};

function comment(id: number, postedAt: number, unread = false): TaskComment {
  return { id, author: { id: 3, name: text('Viktor') }, postedAt, body: portalMarkup(`comment ${id}`, same), unread };
}

function card(change: Partial<TaskCard> = {}): TaskCard {
  return {
    id: 101,
    title: text('Fix card payments'),
    status: 2,
    deadline: 1_000,
    creator: { id: 1, name: text('Anna') },
    responsible: { id: 2, name: text('Boris') },
    accomplices: [{ id: 4, name: text('Dina') }],
    auditors: [],
    group: { id: 7, name: text('Website') },
    timeEstimate: 3600,
    timeSpent: 1800,
    timerRunning: false,
    description: portalMarkup('[B]bold[/B]', same),
    checklist: [
      { id: 10, parentId: 0, title: text('Before release'), done: false, canToggle: true },
      { id: 11, parentId: 10, title: text('Reproduce'), done: true, canToggle: true },
      { id: 12, parentId: 10, title: text('Fix'), done: false, canToggle: false },
    ],
    allowed: { status: new Set<StatusAction>(['complete', 'start', 'defer']), timer: true, comment: true },
    commentsIn: 'forum',
    comments: succeed([comment(2, 300), comment(1, 100), comment(3, 300, true)]),
    newComments: 1,
    ...change,
  };
}

function facts(change: Partial<TabFacts> = {}): TabFacts {
  return { taskId: 101, connected: true, card: succeed(card()), readOnly: false, busy: false, now: 2_000, ...change };
}

function shownCard(change: Partial<TabFacts> = {}) {
  const view = taskView(facts(change), WORDS);
  assert.equal(view.body.kind, 'card');
  return view.body.card;
}

describe('task tab: messages from the webview', () => {
  it('accepts each message of the protocol', () => {
    const messages = [
      { type: 'ready' },
      { type: 'status', action: 'complete' },
      { type: 'timer', start: true },
      { type: 'checklist', itemId: 11, done: false },
      { type: 'comment', text: 'On it.' },
      { type: 'draft', text: '' },
      { type: 'tryAgain' },
      { type: 'openLink', href: 'https://status.example/' },
      { type: 'openUser', userId: 3 },
      { type: 'openFile', fileId: 'n123' },
      { type: 'openInBitrix24' },
      { type: 'copyLink' },
    ];
    assert.deepEqual(messages.map((m) => m.type).sort(), [...FROM_WEBVIEW_TYPES].sort(), 'one example of every type');
    for (const message of messages) assert.deepEqual(fromWebview(message), message, message.type);
  });

  it('drops keys the protocol does not have (a task id in a write is never read)', () => {
    assert.deepEqual(fromWebview({ type: 'status', action: 'start', taskId: 999 }), { type: 'status', action: 'start' });
  });

  it('refuses what is not a message of the protocol, or out of its bounds', () => {
    for (const message of [
      undefined, null, 'ready', 42, [], {}, { type: 'eval' }, { type: '__proto__' }, { type: 'status', action: 'delete' },
      { type: 'status', action: 'constructor' }, { type: 'timer', start: 'yes' }, { type: 'checklist', itemId: 0, done: true },
      { type: 'checklist', itemId: 1.5, done: true }, { type: 'checklist', itemId: Number.MAX_SAFE_INTEGER + 1, done: true },
      { type: 'comment', text: '' }, { type: 'comment', text: ' \n ' }, { type: 'comment', text: 'x'.repeat(MAX_COMMENT_LENGTH + 1) },
      { type: 'draft', text: 'x'.repeat(MAX_COMMENT_LENGTH + 1) }, { type: 'openLink', href: 5 }, { type: 'openUser', userId: '3' },
      { type: 'openFile', fileId: 'n'.repeat(33) }, { type: 'openLink', href: 'https://x.example/' + 'a'.repeat(9000) },
    ]) {
      assert.equal(fromWebview(message), undefined, JSON.stringify(message)?.slice(0, 80));
    }
  });

  it('property: anything accepted is one of the protocol\'s types, with only its fields', () => {
    const anything = fc.oneof(
      fc.anything(),
      fc.record({ type: fc.constantFrom(...FROM_WEBVIEW_TYPES, 'other'), action: fc.anything(), text: fc.anything(), itemId: fc.anything(), done: fc.anything() }),
    );
    const FIELDS: Record<string, string[]> = { status: ['action'], timer: ['start'], checklist: ['itemId', 'done'], comment: ['text'], draft: ['text'], openLink: ['href'], openUser: ['userId'], openFile: ['fileId'] };
    fc.assert(
      fc.property(anything, (message) => {
        const accepted = fromWebview(message);
        if (accepted === undefined) return;
        assert.ok(FROM_WEBVIEW_TYPES.includes(accepted.type));
        assert.deepEqual(Object.keys(accepted).sort(), ['type', ...(FIELDS[accepted.type] ?? [])].sort());
        if (accepted.type === 'status') assert.ok((STATUS_ACTIONS as readonly string[]).includes(accepted.action));
      }),
      propertyRuns(500),
    );
  });
});

describe('task tab: the view of a card', () => {
  it('shows the status, deadline, people, time and checklist as the card says them', () => {
    const shown = shownCard();
    assert.equal(shown.title, 'Fix card payments');
    assert.equal(shown.status, 'status 2');
    assert.deepEqual(shown.deadline, { words: 'overdue', date: 'date 1000', overdue: true });
    assert.deepEqual([shown.creator?.name, shown.responsible?.name, shown.participants.map((p) => p.name), shown.group], ['Anna', 'Boris', ['Dina'], 'Website']);
    assert.equal(shown.estimate, '3600s');
    assert.equal(shown.spentSeconds, 1800);
    assert.deepEqual(shown.checklist.map((i) => [i.id, i.heading, i.done, i.canToggle]), [[10, true, false, false], [11, false, true, true], [12, false, false, false]]);
    assert.equal(shownCard({ card: succeed(card({ timeEstimate: 0, deadline: undefined })) }).estimate, undefined);
  });

  it('offers the status actions the action map allows, in a fixed order, with the timer and the comment box', () => {
    const shown = shownCard();
    assert.deepEqual(shown.actions, [{ action: 'start', label: 'do start' }, { action: 'complete', label: 'do complete' }, { action: 'defer', label: 'do defer' }]);
    assert.equal(shown.timer, true);
    assert.equal(shown.canComment, true);
    const none = shownCard({ card: succeed(card({ allowed: { status: new Set(), timer: false, comment: false } })) });
    assert.deepEqual([none.actions, none.timer, none.canComment], [[], false, false]);
  });

  it('read-only offers nothing: no action, timer, checklist box or comment box', () => {
    const shown = shownCard({ readOnly: true });
    assert.deepEqual(shown.actions, []);
    assert.equal(shown.timer, false);
    assert.equal(shown.canComment, false);
    assert.ok(shown.checklist.every((item) => !item.canToggle));
  });

  it('lists the comments oldest first (the newest at the bottom), the unread marked', () => {
    const shown = shownCard();
    assert.equal(shown.comments.kind, 'shown');
    if (shown.comments.kind !== 'shown') return;
    assert.deepEqual(shown.comments.items.map((c) => [c.id, c.time, c.unread]), [[1, 'at 100', false], [2, 'at 300', false], [3, 'at 300', true]]);
  });

  it('says why the comments are missing (a chat without the im scope) and still shows the task', () => {
    const scope: Failure = { kind: 'scope', missingScope: 'im', detail: text('insufficient_scope') };
    const shown = shownCard({ card: succeed(card({ commentsIn: 'chat', comments: fail(scope) })) });
    assert.deepEqual(shown.comments, { kind: 'unavailable', sentence: 'no comments: scope im chat' });
    assert.equal(shown.status, 'status 2');
  });

  it('a chat that refuses the webhook (no im): why, over the older comments from before the chat; no comment box, and why', () => {
    const scope: Failure = { kind: 'scope', missingScope: 'im', detail: text('insufficient_scope') };
    const fields = card({ commentsIn: 'chat', chatId: 4101 }); // taskCard replaces its comments
    const refused = taskCard(fields, succeed([comment(2, 300), comment(1, 100)]), scope);
    const shown = shownCard({ card: succeed(refused) });
    assert.equal(shown.chatRefused, 'no comments: scope im chat');
    assert.equal(shown.comments.kind, 'shown');
    if (shown.comments.kind === 'shown') assert.deepEqual(shown.comments.items.map((c) => c.id), [1, 2]);
    assert.deepEqual([shown.canComment, shown.commentWithheld], [false, 'no comment box: im']);
    assert.equal(offered({ kind: 'comment', taskId: 101, text: 'On it' }, refused), false, 'nor sent');
    assert.equal(shown.status, 'status 2');
    // None from before the chat: the refusal alone; the forum failing too: said as the forum's.
    const alone = shownCard({ card: succeed(taskCard(fields, succeed([]), scope)) });
    assert.deepEqual([alone.chatRefused, alone.comments], ['no comments: scope im chat', { kind: 'shown', items: [] }]);
    const network: Failure = { kind: 'network', networkCause: 'timeout', detail: text('timed out') };
    assert.deepEqual(shownCard({ card: succeed(taskCard(fields, fail(network), scope)) }).comments, { kind: 'unavailable', sentence: 'no comments: network  forum' });
    // Read-only offers no box, so it withholds none.
    assert.equal(shownCard({ card: succeed(refused), readOnly: true }).commentWithheld, undefined);
    // With im, nothing of it.
    const chat = shownCard({ card: succeed(taskCard(fields, succeed([comment(5, 500)]))) });
    assert.deepEqual([chat.chatRefused, chat.canComment, chat.commentWithheld], [undefined, true, undefined]);
  });

  it('loading, a failed card and no connection are said, not shown as a task', () => {
    assert.deepEqual(taskView(facts({ card: undefined }), WORDS).body, { kind: 'loading' });
    const failure: Failure = { kind: 'network', networkCause: 'timeout', detail: text('timed out') };
    assert.deepEqual(taskView(facts({ card: fail(failure) }), WORDS).body, { kind: 'failed', sentence: 'no card: network', detail: 'timed out' });
    assert.deepEqual(taskView(facts({ connected: false }), WORDS).body, { kind: 'failed', sentence: 'not connected' });
  });

  it('carries the write state: busy while one is in flight, and the notice', () => {
    const notice = { kind: 'failed', text: 'why', tryAgain: true } as const;
    const view = taskView(facts({ busy: true, notice }), WORDS);
    assert.equal(view.busy, true);
    assert.deepEqual(view.notice, notice);
  });

  it('property: an action is offered (shown and sent) only when the action map allows it and the tab is not read-only', () => {
    fc.assert(
      fc.property(fc.subarray([...STATUS_ACTIONS]), fc.boolean(), fc.boolean(), fc.constantFrom(...STATUS_ACTIONS), (allowed, timer, readOnly, tried) => {
        const c = card({ allowed: { status: new Set(allowed), timer, comment: true } });
        const shown = shownCard({ card: succeed(c), readOnly });
        assert.deepEqual(shown.actions.map((a) => a.action), readOnly ? [] : STATUS_ACTIONS.filter((a) => allowed.includes(a)));
        assert.equal(shown.timer, timer && !readOnly);
        assert.equal(offered({ kind: 'status', taskId: 101, action: tried }, c), allowed.includes(tried));
      }),
      propertyRuns(200),
    );
  });
});

describe('task tab: the writes a card offers', () => {
  const c = card();
  it('a checklist item only with its own right, never a heading or an unknown item', () => {
    assert.equal(offered({ kind: 'checklist', taskId: 101, itemId: 11, done: false }, c), true);
    assert.equal(offered({ kind: 'checklist', taskId: 101, itemId: 12, done: true }, c), false, 'no toggle right');
    assert.equal(offered({ kind: 'checklist', taskId: 101, itemId: 10, done: true }, c), false, 'a heading');
    assert.equal(offered({ kind: 'checklist', taskId: 101, itemId: 99, done: true }, c), false, 'not on the card');
  });

  it('the timer only when allowed, started when stopped and stopped when running', () => {
    assert.equal(offered({ kind: 'timer', taskId: 101, start: true }, c), true);
    assert.equal(offered({ kind: 'timer', taskId: 101, start: false }, c), false);
    assert.equal(offered({ kind: 'timer', taskId: 101, start: false }, card({ timerRunning: true })), true);
    assert.equal(offered({ kind: 'timer', taskId: 101, start: true }, card({ allowed: { ...c.allowed, timer: false } })), false);
  });

  it('a comment when allowed and not blank', () => {
    assert.equal(offered({ kind: 'comment', taskId: 101, text: 'ok' }, c), true);
    assert.equal(offered({ kind: 'comment', taskId: 101, text: '  ' }, c), false);
    assert.equal(offered({ kind: 'comment', taskId: 101, text: 'ok' }, card({ allowed: { ...c.allowed, comment: false } })), false);
  });
});

describe('task tab: comment drafts', () => {
  function memory(): DraftStore & { values: Map<string, unknown> } {
    const values = new Map<string, unknown>();
    return {
      values,
      get: (key) => values.get(key),
      update: (key, value) => {
        if (value === undefined) values.delete(key);
        else values.set(key, value);
        return Promise.resolve();
      },
    };
  }

  it('keys a draft by the portal\'s origin and the task id only', () => {
    assert.equal(draftKey('https://portal.example', 42), 'bitrix24Tasks.commentDraft:https://portal.example#42');
    assert.equal(draftKey('https://portal.example/rest/1/secret/', 42), 'bitrix24Tasks.commentDraft:https://portal.example#42');
    for (const [origin, id] of [['javascript:alert(1)', 1], ['not a url', 1], ['https://p.example', 0], ['https://p.example', 1.5]] as const) {
      assert.equal(draftKey(origin, id), undefined, `${origin} ${id}`);
    }
  });

  it('property: no key holds anything of the address but its origin', () => {
    const secret = fc.stringMatching(/^[a-z0-9]{8,20}$/);
    fc.assert(
      fc.property(fc.webUrl(), fc.integer({ min: 1, max: 10_000 }), secret, (address, user, code) => {
        const key = draftKey(`${new URL(address).origin}/rest/${user}/${code}/`, 7);
        assert.ok(key !== undefined);
        assert.ok(!key.includes(code), key);
        assert.ok(!key.includes('/rest/'), key);
      }),
      propertyRuns(200),
    );
  });

  it('keeps a draft per portal and task, and clears it', async () => {
    const store = memory();
    const drafts = new CommentDrafts(store);
    await drafts.set('https://a.example', 1, 'first');
    await drafts.set('https://b.example', 1, 'other portal');
    assert.equal(drafts.get('https://a.example', 1), 'first');
    assert.equal(drafts.get('https://a.example', 2), '');
    assert.equal(drafts.get('https://b.example', 1), 'other portal');
    await drafts.clear('https://a.example', 1);
    assert.equal(drafts.get('https://a.example', 1), '');
    assert.equal(store.values.size, 1, 'a cleared draft leaves no key behind');
    store.values.set(draftKey('https://c.example', 1)!, { not: 'text' });
    assert.equal(drafts.get('https://c.example', 1), '', 'something else under the key is no draft');
  });
});

describe('task tab: the page shell', () => {
  const parts = { cspSource: 'https://res.vscode-cdn.net', scriptUri: 'https://res.vscode-cdn.net/ext/dist/taskTab.js', styleUri: 'https://res.vscode-cdn.net/ext/media/taskTab.css', nonce: 'abc123', language: 'ru', title: 'Bitrix24 task' };

  it('allows only the extension\'s own script (by nonce) and styles', () => {
    const csp = contentSecurityPolicy(parts.cspSource, parts.nonce);
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /style-src https:\/\/res\.vscode-cdn\.net(;|$)/);
    assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
    assert.doesNotMatch(csp, /unsafe|\*|data:|http:/);
  });

  it('loads one script with the nonce and one stylesheet, and no inline code', () => {
    const html = shellHtml(parts);
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.match(html, /<script nonce="abc123" src="https:\/\/res\.vscode-cdn\.net\/ext\/dist\/taskTab\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="https:\/\/res\.vscode-cdn\.net\/ext\/media\/taskTab\.css">/);
    assert.doesNotMatch(html, /<style|\son[a-z]+=|javascript:/i);
    assert.match(html, /<html lang="ru">/);
  });

  it('a language tag it cannot vouch for becomes en', () => {
    assert.match(shellHtml({ ...parts, language: '"><script>' }), /<html lang="en">/);
  });
});
