/**
 * The promises about portal text, searched with fast-check: whatever a portal sends as a
 * name, a counter name, a task's title, an error or a redirect's host, and whatever a
 * snapshot file holds,
 *
 *  - no notification built from it has a link (VS Code's own link rule, vscodeRendering.ts);
 *  - no quick pick renders an icon from it, and it reads as written;
 *  - a tooltip's Markdown gets it as literal text;
 *  - nothing shown or stored from it is longer than MAX_PORTAL_TEXT;
 *  - the webhook's secret never survives into it, in any case, nor into a log entry;
 *  - at most MAX_SHOWN_COUNTERS counters are listed, and none is lost from the model;
 *  - every count is a safe integer: past 2^53 (1e308 too) it saturates, never Infinity.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import { classifyPortalError } from '../../src/core/classify';
import { MAX_SHOWN_COUNTERS, parseCounterSet, ROLES, shownCounters } from '../../src/core/counters';
import { CountersClient, RequestLogEntry } from '../../src/core/countersClient';
import { succeed } from '../../src/core/outcome';
import { iconsAsText, inert, markdownText, MAX_PORTAL_TEXT, portalText, showableTime } from '../../src/core/portalText';
import { SharedPoll } from '../../src/core/sharedPoll';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { fakeTime } from './fakeTime';
import { propertyRuns } from './propertyRuns';
import { decodeCharacterReferences, labelIcons, notificationLinks } from './vscodeRendering';

const SECRET = 'propertysecret0042';
const parsed = WebhookUrl.parse(`https://portal.bitrix24.com/rest/3/${SECRET}/`);
assert.ok(parsed.ok);
const webhook = parsed.webhook;
const redact = (text: string) => webhook.redact(text);

/** Text a hostile portal would send: link, icon and Markdown pieces, controls, the secret in any case, the webhook URL. */
const PIECES = [
  '[', ']', '(', ')', '](', 'command:', '(command:', 'https://', 'http://', 'file:', 'bitrix24Tasks.connect', '?', '%5B', '"', "'", ' ',
  '$(', '$(zap)', '$(loading~spin)', '\\', '<img src=x>', '*', '_', '`', '#', '\n', '\r\n', '\u0000', '\u202E', '\u2028',
  '😀', 'Анна', 'x', SECRET, SECRET.toUpperCase(), SECRET.slice(0, 7), webhook.reveal(),
];
const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(''));
/** Text that begins like a command link's target: `(command:…)…`. */
const commandFirst = fc
  .tuple(fc.constantFrom('(command:bitrix24Tasks.disconnect)', '(command:workbench.action.reloadWindow?%5B%5D)', '(COMMAND:x)'), pieces)
  .map(([link, rest]) => `${link}${rest}`);
/** `[label](command:target "title")` and the like, somewhere in other text. */
const linkShaped = fc
  .tuple(
    pieces,
    fc.string({ minLength: 1, maxLength: 20 }).filter((label) => !label.includes(']')),
    fc.constantFrom('command:', 'https://', 'http://', 'file:', 'COMMAND:', 'HTTPS://'),
    fc.string({ minLength: 1, maxLength: 40 }).filter((target) => !/[)\s]/.test(target)),
    fc.option(fc.string({ minLength: 1, maxLength: 10 }).filter((title) => !title.includes('"'))),
    pieces,
  )
  .map(([before, label, scheme, target, title, after]) => `${before}[${label}](${scheme}${target}${title ? ` "${title}"` : ''})${after}`);
const hostileText = fc.oneof(pieces, linkShaped, commandFirst, fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 2000 }));

/** Counts near and past 2^53 and up to 1e308, as numbers or as PHP's decimal strings. */
const hugeCount = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, Number.MAX_VALUE),
  fc.integer({ min: 2 ** 52, max: Number.MAX_SAFE_INTEGER }),
  fc.double({ min: 2 ** 53, max: Number.MAX_VALUE, noNaN: true }).map(Math.floor),
);
const sentCount = fc.oneof(hugeCount, hugeCount.map((n) => BigInt(n).toString()));

/** Whether text holds the secret, in any case (a host name comes lowercased). */
const holdsSecret = (text: string) => text.toLowerCase().includes(SECRET.toLowerCase());

/** The notifications portal text enters, in English and Russian, from the sources and the bundle. */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ru.json'), 'utf8')) as Record<string, string>;
const TEMPLATES = ['Connected to {0} as {1}.', 'Could not connect to {0}: {1}', 'Bitrix24: {0}']
  .flatMap((english) => [english, bundle[english]]);

function format(template: string, ...args: string[]): string {
  return template.replace(/\{(\d)\}/g, (_whole, i: string) => args[Number(i)]);
}

describe('portal text (properties)', () => {
  it('no notification with portal text in it has a link', () => {
    for (const template of TEMPLATES) assert.ok(template, 'a template is missing from the Russian bundle');
    fc.assert(
      fc.property(hostileText, hostileText, fc.constantFrom(...TEMPLATES), (name, other, template) => {
        const message = format(template, 'https://portal.bitrix24.com', inert(portalText(name, redact)), inert(other));
        assert.deepEqual(notificationLinks(message), [], message);
      }),
      propertyRuns(300),
    );
  });

  it('inert text next to any text without a link of its own makes no link', () => {
    const surrounding = fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(surrounding, hostileText, surrounding, (before, text, after) => {
        fc.pre(!(before + after).includes(']('));
        assert.deepEqual(notificationLinks(`${before}${inert(text)}${after}`), []);
        assert.equal(inert(text).replaceAll('\u2060', ''), text, 'reads as written');
      }),
      propertyRuns(300),
    );
  });

  it('a quick pick renders no icon from portal text, and shows it as written', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        assert.deepEqual(labelIcons(iconsAsText(text)), { text, icons: [] });
      }),
      propertyRuns(300),
    );
  });

  it('a tooltip gets literal text: no Markdown, HTML or icon syntax, and it decodes to the text', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const markdown = markdownText(text);
        assert.doesNotMatch(markdown.replace(/&#\d+;/g, ''), /[!-/:-@[-`{-~]/);
        assert.equal(decodeCharacterReferences(markdown), text);
      }),
      propertyRuns(300),
    );
  });

  it('no cleaned portal string is longer than MAX_PORTAL_TEXT, has a control character or the secret', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const shown = portalText(text, redact);
        assert.ok(shown.length <= MAX_PORTAL_TEXT, `${shown.length} characters`);
        assert.doesNotMatch(shown, /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u);
        assert.ok(!holdsSecret(shown), shown);
      }),
      propertyRuns(300),
    );
  });

  it('a portal error never brings the secret or more than MAX_PORTAL_TEXT characters into a failure', () => {
    fc.assert(
      fc.property(hostileText, hostileText, fc.constantFrom(undefined, 400, 401, 503), (code, description, status) => {
        const failure = classifyPortalError(
          { error: code, error_description: description },
          { now: 0, method: 'tasks.task.counters.get', redact, status, retryAfter: '1e13' },
        );
        for (const text of [failure.detail, failure.code ?? '']) {
          assert.ok(text.length <= MAX_PORTAL_TEXT, `${text.length} characters`);
          assert.ok(!holdsSecret(text), text);
        }
        assert.ok(failure.retryAt === undefined || showableTime(failure.retryAt) !== undefined, 'a time a clock can show');
      }),
      propertyRuns(300),
    );
  });

  it('counters: every name is cleaned, none is lost, at most MAX_SHOWN_COUNTERS are listed, known ones first; counts saturate', () => {
    const known = fc.constantFrom('expired', 'new_comments', 'mentioned', 'wait_ctrl');
    const answer = fc.dictionary(fc.oneof(known, hostileText), sentCount, { maxKeys: 60 });
    fc.assert(
      fc.property(answer, (counts) => {
        const result = Object.fromEntries(Object.entries(counts).map(([name, counter]) => [name, { counter }]));
        const set = parseCounterSet(result, redact);
        assert.ok(set);
        const exact = Object.values(counts).reduce((sum, n) => sum + BigInt(n), 0n);
        const expected = exact > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(exact);
        assert.equal(set.total, expected, 'no count lost, and saturated past 2^53');
        for (const counter of set.counters) {
          assert.ok(counter.name.length <= MAX_PORTAL_TEXT && !holdsSecret(counter.name), counter.name);
          assert.ok(Number.isSafeInteger(counter.count) && counter.count >= 0, String(counter.count));
        }
        assert.equal(new Set(set.counters.map((c) => c.name)).size, set.counters.length, 'one row per name');
        const { shown, more } = shownCounters(set.counters);
        assert.equal(shown.length, Math.min(MAX_SHOWN_COUNTERS, set.counters.length));
        assert.equal(shown.length + more, set.counters.length);
        const names = new Set<string>(set.counters.map((c) => c.name));
        for (const name of ['expired', 'new_comments', 'mentioned']) {
          if (names.has(name)) assert.ok(shown.some((c) => c.name === name), `${name} is listed`);
        }
      }),
      propertyRuns(200),
    );
  });

  it('a redirect\'s host, whatever it spells, reaches the failure and the log redacted', async () => {
    const label = fc.stringMatching(/^[a-z0-9-]{0,20}$/);
    const host = fc
      .array(fc.oneof(label, fc.constantFrom(SECRET, SECRET.toUpperCase(), `x${SECRET}y`)), { minLength: 1, maxLength: 4 })
      .map((labels) => `${labels.filter(Boolean).join('.') || 'evil'}.evil.example`);
    await fc.assert(
      fc.asyncProperty(host, fc.constantFrom(301, 302, 307), async (to, status) => {
        const log: RequestLogEntry[] = [];
        const client = new CountersClient(webhook, {
          transport: { post: () => Promise.resolve(succeed({ status, contentType: '', body: '', location: `https://${to}/rest/` })) },
          onRequest: (entry) => log.push(entry),
        });
        const answer = await client.getCountersByRole({});
        assert.ok(!answer.ok && answer.error.kind === 'redirected');
        const text = JSON.stringify([answer, log]);
        assert.ok(!holdsSecret(text), text);
        assert.ok(answer.error.redirectHost !== undefined && answer.error.redirectHost.length <= MAX_PORTAL_TEXT);
      }),
      propertyRuns(200),
    );
  });

  it('whatever a snapshot file holds, what a window reads from it is clean: no secret, no control, capped, safe counts', async () => {
    const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'b24-snapshot-'));
    const { clock } = fakeTime();
    const shared = new SharedPoll(folder, clock, 'reader');
    const key = 'k'.repeat(24);
    const named = fc.record({ id: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(0, 2 ** 53, '7')), name: hostileText });
    const failure = fc.record(
      { kind: fc.constantFrom('redirected', 'server', 'teapot'), detail: hostileText, code: hostileText, redirectHost: hostileText },
      { requiredKeys: ['kind', 'detail'] },
    );
    const outcomeOf = <T>(value: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 4, arbitrary: value.map((v) => ({ ok: true, value: v })) }, { weight: 1, arbitrary: failure.map((error) => ({ ok: false, error })) });
    const counterSet = fc.record({
      counters: fc.array(fc.record({ name: hostileText, count: hugeCount, code: fc.nat() }), { maxLength: 5 }),
      total: hugeCount,
      visible: fc.boolean(),
    });
    const task = fc.record(
      {
        id: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -1, 2 ** 53, '//evil.example/x')),
        title: hostileText,
        status: fc.constantFrom(2, 3),
        responsible: named,
        group: named,
        unreadComments: hugeCount,
      },
      { requiredKeys: ['id', 'title', 'status'] },
    );
    const page = fc.record({ tasks: fc.array(task, { maxLength: 4 }), total: hugeCount });
    const file = fc.record({
      writer: fc.constant('writer'),
      fetchedAt: fc.constant(clock.now()),
      nextPollAt: fc.constant(clock.now() + 60_000),
      outcome: outcomeOf(
        fc.record({
          byRole: fc.record(Object.fromEntries(ROLES.map((role) => [role, outcomeOf(counterSet)]))),
          user: outcomeOf(named),
          groups: outcomeOf(fc.array(named, { maxLength: 3 })),
          taskLists: fc.record({ expired: outcomeOf(page), new_comments: outcomeOf(page) }),
          time: fc.constant({}),
        }),
      ),
    });
    try {
      await fc.assert(
        fc.asyncProperty(file, async (content) => {
          await fsp.writeFile(path.join(folder, `snapshot-${key}.json`), JSON.stringify(content));
          const ignored: unknown[] = [];
          const read = await shared.current(key, { redact, intervalMs: 60_000, onIgnored: (error) => ignored.push(error) });
          assert.equal(ignored.length, read ? 0 : 1, 'a file that does not parse is reported');
          for (const said of [read, ...ignored.map(String)]) {
            const text = JSON.stringify(said) ?? '';
            assert.ok(!holdsSecret(text), text.slice(0, 300));
          }
          if (!read) return;
          const strings = (value: unknown): string[] =>
            typeof value === 'string' ? [value] : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
          for (const string of strings(read.outcome)) {
            assert.ok(string.length <= MAX_PORTAL_TEXT, `${string.length} characters`);
            assert.doesNotMatch(string, /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u);
          }
          const numbers = (value: unknown): number[] =>
            typeof value === 'number' ? [value] : typeof value === 'object' && value !== null ? Object.values(value).flatMap(numbers) : [];
          for (const n of numbers(read.outcome)) assert.ok(Number.isSafeInteger(n) && n >= 0, `a number ${n}`);
        }),
        propertyRuns(150),
      );
    } finally {
      await fsp.rm(folder, { recursive: true, force: true });
    }
  });
});

describe('portal text: examples the properties found (against the code before PortalText)', () => {
  it('the secret in capitals is redacted too', () => {
    assert.equal(portalText(SECRET.toUpperCase(), redact), '•••');
    const failure = classifyPortalError({ error: SECRET.toUpperCase(), error_description: '' }, { now: 0, method: 'batch', redact });
    assert.deepEqual([failure.code, failure.detail], ['•••', '•••']);
  });

  it('a counter at 2^53 - 1 and another at 1 sum to 2^53 - 1, not past it', () => {
    assert.equal(parseCounterSet({ '': { counter: Number.MAX_SAFE_INTEGER }, expired: { counter: 1 } }, redact)?.total, Number.MAX_SAFE_INTEGER);
  });

  it('a redirect to <secret>.evil.example names the host redacted', async () => {
    const client = new CountersClient(webhook, {
      transport: { post: () => Promise.resolve(succeed({ status: 301, contentType: '', body: '', location: `https://${SECRET}.evil.example/rest/` })) },
    });
    const answer = await client.getCountersByRole({});
    assert.ok(!answer.ok);
    assert.equal(answer.error.redirectHost, '•••.evil.example');
  });

  it('a snapshot file with a total of 2^53 for counters that are not visible reads as none', async () => {
    const folder = await fsp.mkdtemp(path.join(os.tmpdir(), 'b24-snapshot-'));
    try {
      const { clock } = fakeTime();
      const hidden = { ok: true, value: { counters: [], total: 2 ** 53, visible: false } };
      const byRole = Object.fromEntries(ROLES.map((role) => [role, hidden]));
      const file = { writer: 'w', fetchedAt: clock.now(), nextPollAt: clock.now() + 60_000, outcome: { ok: true, value: { byRole, time: {} } } };
      await fsp.writeFile(path.join(folder, `snapshot-${'k'.repeat(24)}.json`), JSON.stringify(file));
      const read = await new SharedPoll(folder, clock, 'reader').current('k'.repeat(24), { redact });
      assert.ok(read?.outcome.ok);
      assert.deepEqual(read.outcome.value.byRole.view_all, { ok: true, value: { counters: [], total: 0, visible: false } });
    } finally {
      await fsp.rm(folder, { recursive: true, force: true });
    }
  });
});
