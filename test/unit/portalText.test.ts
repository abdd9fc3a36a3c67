/**
 * Portal text, examples: cleaning (`portalText`), notifications (`inert`), quick picks
 * (`iconsAsText`), tooltips (`markdownText`), times (`showableTime`). The properties are in
 * portalText.property.test.ts; the renderers they simulate are in vscodeRendering.ts.
 */
import assert from 'node:assert/strict';
import type { Failure } from '../../src/core/outcome';
import {
  ELLIPSIS, iconsAsText, inert, markdownText, MAX_PORTAL_TEXT, PortalText, portalRun, portalText, sentence, showableTime, truncate,
} from '../../src/core/portalText';
import type { TaskSummary } from '../../src/core/taskList';
import type * as Words from '../../src/ui/words';
import { decodeCharacterReferences, labelIcons, notificationLinks } from './vscodeRendering';

const SECRET = 'portaltextsecret7';
const redact = (text: string) => text.split(SECRET).join('•••');

describe('portalText', () => {
  it('keeps an ordinary name as it is', () => {
    assert.equal(portalText('Anna Smirnova', redact), 'Anna Smirnova');
    assert.equal(portalText('Анна Смирнова', redact), 'Анна Смирнова');
  });

  it('turns newlines, tabs, other control characters and bidi overrides into single spaces', () => {
    assert.equal(portalText('Anna\nSmirnova', redact), 'Anna Smirnova');
    assert.equal(portalText(' Anna \r\n\t\u0000 Smirnova\u2028', redact), 'Anna Smirnova');
    assert.equal(portalText('evil\u202Etxt.exe', redact), 'evil txt.exe');
    assert.equal(portalText('a\u2066b\u2069c', redact), 'a b c');
    assert.equal(portalText('\u001b[31mred\u001b[0m', redact), '[31mred [0m');
  });

  it('caps the length with an ellipsis', () => {
    const long = 'x'.repeat(5000);
    const shown = portalText(long, redact);
    assert.equal(shown.length, MAX_PORTAL_TEXT);
    assert.ok(shown.endsWith(ELLIPSIS));
    assert.equal(portalText('y'.repeat(MAX_PORTAL_TEXT), redact), 'y'.repeat(MAX_PORTAL_TEXT), 'exactly the cap is not cut');
  });

  it('redacts the secret before cutting, so no part of it is left at the cut', () => {
    const text = `${'a'.repeat(MAX_PORTAL_TEXT - 5)}${SECRET}`;
    const shown = portalText(text, redact);
    assert.ok(!shown.includes(SECRET.slice(0, 4)), shown);
    assert.equal(portalText(`see /rest/1/${SECRET}/`, redact), 'see /rest/1/•••/');
  });

  it('never cuts a surrogate pair in half', () => {
    const text = `${'a'.repeat(MAX_PORTAL_TEXT - 2)}😀😀😀`;
    const shown = portalText(text, redact);
    assert.ok(shown.length <= MAX_PORTAL_TEXT);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(shown), 'a lone high surrogate');
    assert.equal(truncate('ab😀cd', 4), 'ab…');
  });

  it('keeps every unit it can: a pair before the cut costs nothing, and only spaces at the cut go', () => {
    assert.equal(truncate('😀abcdef', 6), '😀abc…', 'the pair is whole and far from the cut');
    assert.equal(truncate(' ab  cdefg', 6), ' ab…', 'the spaces before the ellipsis go, the leading one stays');
  });
});

describe('portalRun: a run of text inside markup', () => {
  it('keeps its spaces, where runs meet and in a line of code, and makes unprintable characters spaces', () => {
    assert.equal(portalRun('Ask ', redact, 100), 'Ask ');
    assert.equal(portalRun('    return x;\t// done', redact, 100), '    return x; // done');
    assert.equal(portalRun('Invoice \u202Efdp.exe\u2069 from', redact, 100), 'Invoice  fdp.exe  from');
  });

  it('redacts the secret before its own cap, so no part of it is left at the cut', () => {
    assert.equal(portalRun(`see /rest/1/${SECRET}/ now`, redact, 100), 'see /rest/1/•••/ now');
    const shown = portalRun(`${'a'.repeat(10)}${SECRET}`, redact, 14);
    assert.equal(shown, `${'a'.repeat(10)}•••`);
    assert.equal(portalRun('abcdef', redact, 4), `abc${ELLIPSIS}`);
  });
});

describe('PortalText: made by portalText and sentence only (what must not type-check is checked by tsc: @ts-expect-error)', () => {
  it('a sentence takes portal text, numbers and the extension\'s own words, and is capped like portal text', () => {
    const name = portalText(`Anna ${SECRET}`, redact);
    assert.equal(sentence`${name} has ${3} ${'overdue'} tasks`, 'Anna ••• has 3 overdue tasks');
    const long = portalText('n'.repeat(MAX_PORTAL_TEXT), redact);
    assert.equal(sentence`${long} and more`.length, MAX_PORTAL_TEXT);
    const raw: string = `a raw ${SECRET}`;
    // @ts-expect-error a raw string is not portal text
    const forged: PortalText = raw;
    // @ts-expect-error nor does it go into the extension's own words
    const around = sentence`named ${raw}`;
    assert.ok(forged.includes(SECRET) && around.includes(SECRET), 'what the compiler refuses would carry the secret');
  });
});

/**
 * Type checks only, never called (src/ui needs VS Code): the surfaces take portal text as
 * PortalText, so a raw string from the portal does not compile there.
 */
export function surfacesTakeOnlyPortalText(words: typeof Words, raw: string, cleaned: PortalText): void {
  words.groupLabel(5, cleaned);
  // @ts-expect-error a group's name must be PortalText
  words.groupLabel(5, raw);
  words.counterLabel(cleaned);
  words.counterLabel('expired');
  // @ts-expect-error a counter's name must be PortalText (or a counter the extension knows)
  words.counterLabel(raw);
  // @ts-expect-error a failure's detail must be PortalText
  words.failureSentence({ kind: 'redirected', detail: raw, redirectHost: cleaned } satisfies Failure);
  // @ts-expect-error a redirect's host must be PortalText
  words.failureTitle({ kind: 'redirected', detail: cleaned, redirectHost: raw } satisfies Failure);
  // @ts-expect-error a task's title must be PortalText
  words.taskTooltip({ id: 1, title: raw, status: 2 } satisfies TaskSummary);
}

describe('inert (notification messages)', () => {
  const HOSTILE = '[x](command:bitrix24Tasks.disconnect)';

  it('VS Code would make a link of the raw text (the simulated renderer finds it)', () => {
    assert.deepEqual(notificationLinks(`Connected to https://p as ${HOSTILE}.`), ['command:bitrix24Tasks.disconnect']);
    assert.deepEqual(notificationLinks('[a](https://evil.example "t")'), ['https://evil.example']);
    assert.deepEqual(notificationLinks('[a](FILE:///etc/passwd)'), ['FILE:///etc/passwd']);
  });

  it('no link once inert, and the text reads the same without the invisible word joiners', () => {
    for (const text of [HOSTILE, '[Open](command:bitrix24Tasks.connect?%5B%22https%3A%2F%2Fx%22%5D) $(zap)', '[a](https://e.x)']) {
      const message = `Connected to https://p as ${inert(text)}.`;
      assert.deepEqual(notificationLinks(message), [], message);
      assert.equal(inert(text).replaceAll('\u2060', ''), text);
    }
  });

  it('no link with the message around it either: a trailing `]` or a leading `(`', () => {
    assert.deepEqual(notificationLinks(`[x${inert(']')}(command:a)`), []);
    assert.deepEqual(notificationLinks(`[x]${inert('(command:a)')}`), []);
  });

  it('leaves text without brackets alone', () => {
    assert.equal(inert('Anna Smirnova (sales)'), 'Anna Smirnova (sales)');
  });
});

describe('iconsAsText (quick picks)', () => {
  it('shows `$(zap)` as written, not as an icon', () => {
    assert.deepEqual(labelIcons('$(zap) Sales'), { text: ' Sales', icons: ['zap'] }, 'raw, VS Code renders an icon');
    const rendered = labelIcons(iconsAsText('$(zap) Sales $(loading~spin)'));
    assert.deepEqual(rendered, { text: '$(zap) Sales $(loading~spin)', icons: [] });
  });

  it('keeps a backslash the portal wrote, and leaves a `$(` that is no icon alone', () => {
    assert.deepEqual(labelIcons(iconsAsText('\\$(zap)')), { text: '\\$(zap)', icons: [] });
    assert.equal(iconsAsText('$(not an icon) $('), '$(not an icon) $(');
  });
});

describe('markdownText (tooltips)', () => {
  it('turns every ASCII punctuation character into a character reference', () => {
    assert.equal(markdownText('[x](command:a) $(zap) <img src=x>'),
      '&#91;x&#93;&#40;command&#58;a&#41; &#36;&#40;zap&#41; &#60;img src&#61;x&#62;');
    assert.equal(markdownText('Анна Смирнова'), 'Анна Смирнова');
  });

  it('decodes back to the text as written', () => {
    const text = '**bold** _it_ `code` # h https://e.x www.e.x a@b.c \\ & &amp; |t|';
    assert.equal(decodeCharacterReferences(markdownText(text)), text);
  });
});

describe('showableTime', () => {
  it('keeps a time a Date can hold and drops one it cannot', () => {
    const now = Date.UTC(2025, 8, 26);
    assert.equal(showableTime(now), now);
    assert.equal(showableTime(8.64e15), 8.64e15);
    assert.equal(showableTime(now + 1e16), undefined, 'Retry-After: 1e13 seconds');
    assert.equal(showableTime(Number.NaN), undefined);
    assert.equal(showableTime(Number.POSITIVE_INFINITY), undefined);
  });
});
