/**
 * The promises about portal text, searched with fast-check: whatever a portal sends as a
 * name, a counter name or an error,
 *
 *  - no notification built from it has a link (VS Code's own link rule, vscodeRendering.ts);
 *  - no quick pick renders an icon from it, and it reads as written;
 *  - a tooltip's Markdown gets it as literal text;
 *  - nothing shown or stored from it is longer than MAX_PORTAL_TEXT;
 *  - the webhook's secret never survives into it;
 *  - at most MAX_SHOWN_COUNTERS counters are listed, and none is lost from the model.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { classifyPortalError } from '../../src/core/classify';
import { MAX_SHOWN_COUNTERS, parseCounterSet, shownCounters } from '../../src/core/counters';
import { iconsAsText, inert, markdownText, MAX_PORTAL_TEXT, portalText, showableTime } from '../../src/core/portalText';
import { WebhookUrl } from '../../src/core/webhookUrl';
import { propertyRuns } from './propertyRuns';
import { decodeCharacterReferences, labelIcons, notificationLinks } from './vscodeRendering';

const SECRET = 'propertysecret0042';
const parsed = WebhookUrl.parse(`https://portal.bitrix24.com/rest/3/${SECRET}/`);
assert.ok(parsed.ok);
const webhook = parsed.webhook;
const redact = (text: string) => webhook.redact(text);

/** Text a hostile portal would send: link, icon and Markdown pieces, controls, the secret. */
const PIECES = [
  '[', ']', '(', ')', '](', 'command:', 'https://', 'http://', 'file:', 'bitrix24Tasks.connect', '?', '%5B', '"', "'", ' ',
  '$(', '$(zap)', '$(loading~spin)', '\\', '<img src=x>', '*', '_', '`', '#', '\n', '\r\n', '\u0000', '\u202E', '\u2028',
  '😀', 'Анна', 'x', SECRET, SECRET.slice(0, 7),
];
const pieces = fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join(''));
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
const hostileText = fc.oneof(pieces, linkShaped, fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 2000 }));

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
        assert.ok(!shown.includes(SECRET));
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
          assert.ok(!text.includes(SECRET));
        }
        assert.ok(failure.retryAt === undefined || showableTime(failure.retryAt) !== undefined, 'a time a clock can show');
      }),
      propertyRuns(300),
    );
  });

  it('counters: every name is cleaned, none is lost, at most MAX_SHOWN_COUNTERS are listed, known ones first', () => {
    const known = fc.constantFrom('expired', 'new_comments', 'mentioned', 'wait_ctrl');
    const answer = fc.dictionary(fc.oneof(known, hostileText), fc.nat({ max: 1000 }), { maxKeys: 60 });
    fc.assert(
      fc.property(answer, (counts) => {
        const result = Object.fromEntries(Object.entries(counts).map(([name, counter]) => [name, { counter }]));
        const set = parseCounterSet(result, redact);
        assert.ok(set);
        assert.equal(set.total, Object.values(counts).reduce((sum, n) => sum + n, 0), 'no count lost');
        for (const counter of set.counters) {
          assert.ok(counter.name.length <= MAX_PORTAL_TEXT && !counter.name.includes(SECRET), counter.name);
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
});
